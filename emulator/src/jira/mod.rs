//! The Jira Cloud REST API emulator.
