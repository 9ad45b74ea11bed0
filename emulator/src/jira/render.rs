//! Wire representations: the JSON Jira sends for users, statuses, projects, issue types,
//! comments, attachments, change histories and field values, in v3 (ADF rich text) or v2
//! (plain text), with `self` links under the site's base URL.
//!
//! The shapes follow the OpenAPI schemas (`UserDetails`, `StatusDetails`, `Comment`,
//! `Attachment`, `AttachmentMetadata`, `Changelog`, …): fields a schema does not declare are not
//! emitted, and values a schema types as non-nullable strings are left out rather than sent as
//! null. Building them in one place keeps every endpoint and every webhook payload identical.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::adf;
use super::fields;
use super::model::{
    Attachment, Category, Comment, History, Issue, IssueType, Project, State, Status, User,
};
use super::store::{priority_name, resolution_name, PRIORITIES, RESOLUTIONS};

/// REST API version of a request: v3 speaks ADF, v2 plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `/rest/api/2`.
    V2,
    /// `/rest/api/3`.
    V3,
}

impl Version {
    /// `2` or `3`.
    pub fn number(self) -> u8 {
        match self {
            Self::V2 => 2,
            Self::V3 => 3,
        }
    }
}

/// Jira's timestamp form: `2021-01-17T12:34:00.000+0000`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
}

/// The `expand` list Jira advertises on an issue.
pub const ISSUE_EXPANDS: &str =
    "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations";

/// A renderer bound to one state, site and API version.
pub struct View<'a> {
    /// The data.
    pub state: &'a State,
    /// Site base URL.
    pub base: &'a str,
    /// API version of the links and rich text.
    pub version: Version,
}

impl<'a> View<'a> {
    /// A renderer.
    pub fn new(state: &'a State, base: &'a str, version: Version) -> Self {
        Self {
            state,
            base,
            version,
        }
    }

    /// `{base}/rest/api/{v}/{path}`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/rest/api/{}/{path}", self.base, self.version.number())
    }

    fn avatars(&self, kind: &str, id: &str) -> Value {
        let url = |size: u32| format!("{}/avatar/{kind}/{id}?size={size}", self.base);
        json!({"16x16": url(16), "24x24": url(24), "32x32": url(32), "48x48": url(48)})
    }

    /// `UserDetails` of an account id (an "unknown" user when it no longer exists).
    pub fn user_ref(&self, account_id: &str) -> Value {
        match self.state.user(account_id) {
            Some(user) => self.user_details(user),
            None => json!({
                "accountId": account_id,
                "accountType": "unknown",
                "active": false,
                "displayName": "Former user",
                "self": self.api(&format!("user?accountId={account_id}")),
            }),
        }
    }

    /// `UserDetails`.
    pub fn user_details(&self, user: &User) -> Value {
        json!({
            "self": self.api(&format!("user?accountId={}", user.account_id)),
            "accountId": user.account_id,
            "emailAddress": user.email,
            "avatarUrls": self.avatars("user", &user.account_id),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "accountType": "atlassian",
        })
    }

    /// `User` (what `/myself` answers).
    pub fn user_full(&self, user: &User) -> Value {
        let mut value = self.user_details(user);
        value["locale"] = json!("en_US");
        value["groups"] = json!({"size": if user.admin { 2 } else { 1 }, "items": []});
        value["applicationRoles"] = json!({"size": 1, "items": []});
        value["expand"] = json!("groups,applicationRoles");
        value
    }

    /// `StatusCategory`.
    pub fn status_category(&self, category: Category) -> Value {
        json!({
            "self": self.api(&format!("statuscategory/{}", category.id())),
            "id": category.id(),
            "key": category.key(),
            "colorName": category.color(),
            "name": category.name(),
        })
    }

    /// `StatusDetails`.
    pub fn status(&self, status: &Status) -> Value {
        json!({
            "self": self.api(&format!("status/{}", status.id)),
            "description": status.description,
            "iconUrl": format!("{}/images/icons/statuses/generic.png", self.base),
            "name": status.name,
            "id": status.id,
            "statusCategory": self.status_category(status.category),
        })
    }

    /// `StatusDetails` by id.
    pub fn status_by_id(&self, id: &str) -> Value {
        self.state
            .status(id)
            .map(|s| self.status(s))
            .unwrap_or(Value::Null)
    }

    /// `IssueTypeDetails`.
    pub fn issue_type(&self, issue_type: &IssueType) -> Value {
        json!({
            "self": self.api(&format!("issuetype/{}", issue_type.id)),
            "id": issue_type.id,
            "description": issue_type.description,
            "iconUrl": format!(
                "{}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{}?size=medium",
                self.base, issue_type.avatar_id
            ),
            "name": issue_type.name,
            "subtask": issue_type.subtask,
            "avatarId": issue_type.avatar_id,
            "hierarchyLevel": issue_type.hierarchy_level,
        })
    }

    /// `ProjectDetails`-like reference used in issue fields.
    pub fn project_ref(&self, project: &Project) -> Value {
        json!({
            "self": self.api(&format!("project/{}", project.id)),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": project.project_type,
            "simplified": false,
            "avatarUrls": self.avatars("project", &project.id),
        })
    }

    /// `Project`; issue types only with `expand=issueTypes` or on the single-project endpoint.
    pub fn project(&self, project: &Project, with_issue_types: bool, with_lead: bool) -> Value {
        let mut value = json!({
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            "self": self.api(&format!("project/{}", project.id)),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "avatarUrls": self.avatars("project", &project.id),
            "projectTypeKey": project.project_type,
            "simplified": false,
            "style": "classic",
            "isPrivate": false,
            "properties": {},
        });
        if with_lead {
            value["description"] = json!(project.description);
            value["lead"] = self.user_ref(&project.lead);
            value["assigneeType"] = json!("UNASSIGNED");
            value["components"] = json!([]);
            value["versions"] = json!([]);
            value["roles"] = json!({});
        }
        if with_issue_types {
            value["issueTypes"] = Value::Array(
                project
                    .issue_types
                    .iter()
                    .filter_map(|id| self.state.issue_type(id))
                    .map(|t| self.issue_type(t))
                    .collect(),
            );
        }
        value
    }

    /// Priority reference.
    pub fn priority(&self, id: &str) -> Value {
        let name = priority_name(id).unwrap_or("Medium");
        json!({
            "self": self.api(&format!("priority/{id}")),
            "iconUrl": format!("{}/images/icons/priorities/{}.svg", self.base, name.to_lowercase()),
            "name": name,
            "id": id,
        })
    }

    /// Resolution reference.
    pub fn resolution(&self, id: &str) -> Value {
        let description = RESOLUTIONS
            .iter()
            .find(|r| r.0 == id)
            .map(|r| r.2)
            .unwrap_or_default();
        json!({
            "self": self.api(&format!("resolution/{id}")),
            "id": id,
            "description": description,
            "name": resolution_name(id).unwrap_or(id),
        })
    }

    /// Rich text as this version shows it: ADF in v3, text in v2.
    pub fn rich_text(&self, doc: Option<&Value>) -> Value {
        match (doc, self.version) {
            (None, _) => Value::Null,
            (Some(d), Version::V3) => d.clone(),
            (Some(d), Version::V2) => json!(adf::to_text(d)),
        }
    }

    /// `Comment`.
    pub fn comment(&self, issue: &Issue, comment: &Comment, rendered: bool, props: bool) -> Value {
        let mut value = json!({
            "self": self.api(&format!("issue/{}/comment/{}", issue.id, comment.id)),
            "id": comment.id.to_string(),
            "author": self.user_ref(&comment.author),
            "body": self.rich_text(Some(&comment.body)),
            "updateAuthor": self.user_ref(&comment.update_author),
            "created": timestamp(comment.created),
            "updated": timestamp(comment.updated),
            "jsdPublic": comment.jsd_public,
        });
        if let Some(visibility) = &comment.visibility {
            value["visibility"] = visibility.clone();
        }
        if rendered {
            value["renderedBody"] = json!(adf::to_html(&comment.body));
        }
        if props {
            value["properties"] = Value::Array(
                comment
                    .properties
                    .iter()
                    .map(|(k, v)| json!({"key": k, "value": v}))
                    .collect(),
            );
        }
        value
    }

    /// `Attachment` (upload answer and issue field): id as a string.
    pub fn attachment(&self, attachment: &Attachment) -> Value {
        let mut value = json!({
            "self": self.api(&format!("attachment/{}", attachment.id)),
            "id": attachment.id.to_string(),
            "filename": attachment.filename,
            "author": self.user_ref(&attachment.author),
            "created": timestamp(attachment.created),
            "size": attachment.content.len(),
            "mimeType": attachment.mime_type,
            "content": self.api(&format!("attachment/content/{}", attachment.id)),
        });
        if attachment.mime_type.starts_with("image/") {
            value["thumbnail"] =
                json!(self.api(&format!("attachment/thumbnail/{}", attachment.id)));
        }
        value
    }

    /// `AttachmentMetadata`: id as an integer, author as a full `User`.
    pub fn attachment_metadata(&self, attachment: &Attachment) -> Value {
        let mut value = self.attachment(attachment);
        value["id"] = json!(attachment.id);
        value["author"] = match self.state.user(&attachment.author) {
            Some(u) => self.user_details(u),
            None => json!({"accountId": attachment.author}),
        };
        value["properties"] = json!({});
        value
    }

    /// `Changelog` (one history entry); null values are left out as the schema types them
    /// as strings.
    pub fn history(&self, history: &History) -> Value {
        let items: Vec<Value> = history
            .items
            .iter()
            .map(|i| {
                let mut item = Map::new();
                item.insert("field".into(), json!(i.field));
                item.insert("fieldtype".into(), json!(i.fieldtype));
                item.insert("fieldId".into(), json!(i.field_id));
                for (key, value) in [
                    ("from", &i.from),
                    ("fromString", &i.from_string),
                    ("to", &i.to),
                    ("toString", &i.to_string),
                ] {
                    if let Some(v) = value {
                        item.insert(key.into(), json!(v));
                    }
                }
                Value::Object(item)
            })
            .collect();
        json!({
            "id": history.id.to_string(),
            "author": self.user_ref(&history.author),
            "created": timestamp(history.created),
            "items": items,
        })
    }

    /// The value of one field of an issue; `None` when the field does not exist.
    pub fn field_value(&self, issue: &Issue, field_id: &str) -> Option<Value> {
        let state = self.state;
        let user = |id: &Option<String>| {
            id.as_deref()
                .map(|a| self.user_ref(a))
                .unwrap_or(Value::Null)
        };
        Some(match field_id {
            "summary" => json!(issue.summary),
            "description" => self.rich_text(issue.description.as_ref()),
            "environment" => self.rich_text(issue.environment.as_ref()),
            "issuetype" => state
                .issue_type(&issue.issue_type_id)
                .map(|t| self.issue_type(t))
                .unwrap_or(Value::Null),
            "project" => state
                .project_of(issue)
                .map(|p| self.project_ref(p))
                .unwrap_or(Value::Null),
            "status" => self.status_by_id(&issue.status_id),
            "statusCategory" => self.status_category(state.category_of(&issue.status_id)),
            "resolution" => issue
                .resolution_id
                .as_deref()
                .map(|r| self.resolution(r))
                .unwrap_or(Value::Null),
            "resolutiondate" => issue
                .resolution_date
                .map(|t| json!(timestamp(t)))
                .unwrap_or(Value::Null),
            "priority" => issue
                .priority_id
                .as_deref()
                .map(|p| self.priority(p))
                .unwrap_or(Value::Null),
            "labels" => json!(issue.labels),
            "assignee" => user(&issue.assignee),
            "reporter" => user(&issue.reporter),
            "creator" => self.user_ref(&issue.creator),
            "created" => json!(timestamp(issue.created)),
            "updated" => json!(timestamp(issue.updated)),
            "duedate" => json!(issue.duedate),
            "statuscategorychangedate" => json!(timestamp(issue.status_category_changed)),
            "comment" => {
                let comments: Vec<Value> = issue
                    .comments
                    .iter()
                    .map(|c| self.comment(issue, c, false, false))
                    .collect();
                json!({
                    "comments": comments,
                    "self": self.api(&format!("issue/{}/comment", issue.id)),
                    "maxResults": comments.len(),
                    "total": comments.len(),
                    "startAt": 0,
                })
            }
            "attachment" => Value::Array(
                state
                    .attachments
                    .values()
                    .filter(|a| a.issue_id == issue.id)
                    .map(|a| self.attachment(a))
                    .collect(),
            ),
            "issuelinks" | "subtasks" | "components" | "fixVersions" | "versions" => json!([]),
            "watches" => json!({
                "self": self.api(&format!("issue/{}/watchers", issue.key)),
                "watchCount": 0,
                "isWatching": false,
            }),
            "votes" => json!({
                "self": self.api(&format!("issue/{}/votes", issue.key)),
                "votes": 0,
                "hasVoted": false,
            }),
            "lastViewed" => Value::Null,
            other => {
                let cf = state.custom_field(other)?;
                match issue.custom.get(other) {
                    None => Value::Null,
                    Some(v) => self.custom_value(cf, v),
                }
            }
        })
    }

    fn custom_value(&self, cf: &super::model::CustomField, value: &Value) -> Value {
        use super::model::CustomKind;
        match cf.kind {
            CustomKind::Text | CustomKind::Number => value.clone(),
            CustomKind::Textarea => self.rich_text(Some(value)),
            CustomKind::Select => {
                let id = fields::scalar_text(value);
                let shown = cf
                    .options
                    .iter()
                    .find(|o| o.id == id)
                    .map(|o| o.value.clone())
                    .unwrap_or_default();
                json!({
                    "self": self.api(&format!("customFieldOption/{id}")),
                    "value": shown,
                    "id": id,
                })
            }
        }
    }

    /// Every field id an issue has, system then custom, in `*all` order.
    pub fn all_field_ids(&self) -> Vec<String> {
        fields::SYSTEM_FIELDS
            .iter()
            .filter(|f| f.schema_type.is_some())
            .map(|f| f.id.to_string())
            .chain(self.state.custom_fields.iter().map(|c| c.field_id()))
            .collect()
    }

    /// Priority list for `allowedValues`.
    pub fn priorities(&self) -> Vec<Value> {
        PRIORITIES.iter().map(|p| self.priority(p.0)).collect()
    }
}
