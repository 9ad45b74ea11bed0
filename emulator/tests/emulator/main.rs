//! The emulators' tests in one binary (one link instead of twenty): each module drives one
//! area of one emulator over real HTTP, the Python ones through the real client libraries.

mod salesforce_support;
mod support;

mod common_control;
mod jira_attachments;
mod jira_auth;
mod jira_control;
mod jira_issues;
mod jira_openapi;
mod jira_python_client;
mod jira_search;
mod jira_webhooks;
mod salesforce_auth;
mod salesforce_clock;
mod salesforce_composite;
mod salesforce_describe;
mod salesforce_files;
mod salesforce_limits;
mod salesforce_python_client;
mod salesforce_records;
mod salesforce_search;
mod salesforce_soql;
mod salesforce_state;
