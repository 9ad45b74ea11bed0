//! The Jira Cloud REST client: account and site, projects and create screens, issues and
//! transitions, comments, properties, attachments, JQL search and admin webhooks.
//!
//! [`JiraClient`] is the only way the rest of sfjira talks to Jira. One module per concern:
//! [`client`] (credentials and the request path every call shares), [`error`] (failures by
//! what to do about them), [`model`] (typed issue-level answers, lenient where Jira is),
//! [`site`] (typed site metadata), [`meta`] (myself, server, projects, createmeta, fields),
//! [`issues`] (create, read, edit, transitions, issue properties), [`comments`],
//! [`attachments`], [`search`] (token-paged JQL) and [`webhooks`].

pub mod attachments;
pub mod client;
pub mod comments;
pub mod error;
pub mod issues;
pub mod meta;
pub mod model;
pub mod search;
pub mod site;
pub mod webhooks;

pub use client::JiraClient;
pub use error::{ErrorCollection, JiraError};
pub use model::{
    Attachment, AttachmentSettings, Comment, CreatedIssue, EntityProperty, Issue, PropertyWrite,
    Status, StatusCategory, Transition, UserRef, Webhook,
};
pub use search::{JqlPager, SearchPage};
pub use site::{FieldInfo, FieldMeta, FieldSchema, IssueType, Myself, Project, ServerInfo};
