//! Who we are on the site and what it holds: the account, the server, projects, issue types,
//! create screens and fields.
//!
//! The admin page validates the Jira connection (`myself`, `serverInfo`), lists projects and
//! issue types to choose from, and warns before saving an auto-create item whose issue type
//! requires fields nobody maps; all of that comes from here. Lists are paged by Jira, so each
//! call follows the pages to the end.

use serde::Deserialize;

use super::client::JiraClient;
use super::error::JiraError;
use super::site::{FieldInfo, FieldMeta, IssueType, Myself, Project, ServerInfo};
use crate::domain::ids::ProjectKey;

/// Page size for project search (Jira allows up to 100).
const PROJECT_PAGE: u32 = 50;
/// Page size for createmeta (Jira refuses more than 200).
const CREATEMETA_PAGE: u32 = 200;
/// Safety bound on offset paging, against a server that never says it is done.
const MAX_PAGES: usize = 10_000;

impl JiraClient {
    /// The account the client acts as.
    pub async fn myself(&self) -> Result<Myself, JiraError> {
        self.get_json("myself", &self.api(&["myself"]), &[]).await
    }

    /// The server's description (answers without credentials too).
    pub async fn server_info(&self) -> Result<ServerInfo, JiraError> {
        self.get_json("server info", &self.api(&["serverInfo"]), &[])
            .await
    }

    /// Every project the account can browse (`project/search`, all pages).
    pub async fn projects(&self) -> Result<Vec<Project>, JiraError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            #[serde(default)]
            values: Vec<Project>,
            #[serde(default)]
            is_last: Option<bool>,
            #[serde(default)]
            total: Option<u64>,
        }
        let url = self.api(&["project", "search"]);
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .get_json(
                    "project search",
                    &url,
                    &[
                        ("startAt", out.len().to_string()),
                        ("maxResults", PROJECT_PAGE.to_string()),
                    ],
                )
                .await?;
            let got = page.values.len();
            out.extend(page.values);
            let done = page.is_last.unwrap_or(false)
                || got == 0
                || page.total.is_some_and(|t| out.len() as u64 >= t);
            if done {
                break;
            }
        }
        Ok(out)
    }

    /// One project, with its issue types.
    pub async fn project(&self, key: &ProjectKey) -> Result<Project, JiraError> {
        self.get_json("project", &self.api(&["project", key.as_str()]), &[])
            .await
    }

    /// The issue types one can create in a project (`issue/createmeta/{project}/issuetypes`).
    pub async fn issue_types(&self, project: &ProjectKey) -> Result<Vec<IssueType>, JiraError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Page {
            #[serde(default)]
            issue_types: Vec<IssueType>,
            #[serde(default)]
            create_meta_issue_type: Vec<IssueType>,
            #[serde(default)]
            total: Option<u64>,
        }
        let url = self.api(&["issue", "createmeta", project.as_str(), "issuetypes"]);
        let mut out: Vec<IssueType> = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .get_json(
                    "createmeta issue types",
                    &url,
                    &[
                        ("startAt", out.len().to_string()),
                        ("maxResults", CREATEMETA_PAGE.to_string()),
                    ],
                )
                .await?;
            let values = if page.issue_types.is_empty() {
                page.create_meta_issue_type
            } else {
                page.issue_types
            };
            let got = values.len();
            out.extend(values);
            if got == 0 || page.total.is_none_or(|t| out.len() as u64 >= t) {
                break;
            }
        }
        Ok(out)
    }

    /// The create-screen fields of an issue type in a project
    /// (`issue/createmeta/{project}/issuetypes/{id}`), with `required` and `schema`.
    pub async fn create_meta_fields(
        &self,
        project: &ProjectKey,
        issue_type_id: &str,
    ) -> Result<Vec<FieldMeta>, JiraError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            fields: Vec<FieldMeta>,
            #[serde(default)]
            results: Vec<FieldMeta>,
            #[serde(default)]
            total: Option<u64>,
        }
        let issue_type_id = super::client::numeric_id("issue type", issue_type_id)?;
        let url = self.api(&[
            "issue",
            "createmeta",
            project.as_str(),
            "issuetypes",
            issue_type_id,
        ]);
        let mut out: Vec<FieldMeta> = Vec::new();
        for _ in 0..MAX_PAGES {
            let page: Page = self
                .get_json(
                    "createmeta fields",
                    &url,
                    &[
                        ("startAt", out.len().to_string()),
                        ("maxResults", CREATEMETA_PAGE.to_string()),
                    ],
                )
                .await?;
            let values = if page.fields.is_empty() {
                page.results
            } else {
                page.fields
            };
            let got = values.len();
            out.extend(values);
            if got == 0 || page.total.is_none_or(|t| out.len() as u64 >= t) {
                break;
            }
        }
        Ok(out)
    }

    /// Every field of the site, system and custom.
    pub async fn fields(&self) -> Result<Vec<FieldInfo>, JiraError> {
        self.get_json("fields", &self.api(&["field"]), &[]).await
    }
}
