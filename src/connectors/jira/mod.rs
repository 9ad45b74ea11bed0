//! The Jira Cloud REST client.
