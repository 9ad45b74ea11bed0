//! The emulated org's state: metadata, records, file contents, users, External Client Apps,
//! issued tokens, validation rules and counters — one serde-serializable value, so the whole
//! org can be saved to and loaded from a state file, and snapshotted for all-or-none rollback.

use std::collections::BTreeMap;

use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::ids;
use super::limits::Usage;
use super::query::Cursors;
use super::schema::{ObjectDef, Schema};
use super::table::{RecordMut, Table};

/// One record: its sObject type and its field values (canonical field names; absent = null).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// sObject API name.
    pub object: String,
    /// Field values, including `Id`, `IsDeleted` and the audit fields.
    pub fields: Map<String, Value>,
}

impl Record {
    /// The 18-character id.
    pub fn id(&self) -> &str {
        self.fields.get("Id").and_then(Value::as_str).unwrap_or("")
    }

    /// A field's value (null when absent).
    pub fn get(&self, field: &str) -> &Value {
        self.fields.get(field).unwrap_or(&Value::Null)
    }

    /// A text field's value.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.get(field).as_str()
    }

    /// Whether it is in the recycle bin.
    pub fn is_deleted(&self) -> bool {
        self.get("IsDeleted").as_bool().unwrap_or(false)
    }
}

/// CRUD permissions on one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Perms {
    /// Read (query, retrieve, describe, search).
    #[serde(default)]
    pub read: bool,
    /// Create.
    #[serde(default)]
    pub create: bool,
    /// Edit.
    #[serde(default)]
    pub edit: bool,
    /// Delete.
    #[serde(default)]
    pub delete: bool,
}

impl Perms {
    /// Everything allowed.
    pub const ALL: Perms = Perms {
        read: true,
        create: true,
        edit: true,
        delete: true,
    };
    /// Nothing allowed.
    pub const NONE: Perms = Perms {
        read: false,
        create: false,
        edit: false,
        delete: false,
    };
}

/// The API side of a user: whether it may use the API and what it may do per object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserAccess {
    /// "API Enabled" on the profile or a permission set.
    pub api_enabled: bool,
    /// Permissions for objects not listed in `objects`.
    pub default: Perms,
    /// Per-object permissions, keyed by lower-case object name.
    pub objects: BTreeMap<String, Perms>,
}

impl UserAccess {
    /// Permissions on `object`.
    pub fn on(&self, object: &str) -> Perms {
        self.objects
            .get(&object.to_ascii_lowercase())
            .copied()
            .unwrap_or(self.default)
    }
}

/// An External Client App (or Connected App) configured for the client-credentials flow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    /// App name.
    pub name: String,
    /// Consumer key.
    pub client_id: String,
    /// Consumer secret.
    pub client_secret: String,
    /// Run-as (execution) user id.
    pub run_as: Option<String>,
    /// "Enable Client Credentials Flow".
    pub client_credentials: bool,
    /// OAuth scopes, e.g. `["api"]`.
    pub scopes: Vec<String>,
}

/// An issued access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// The app's client id.
    pub client_id: String,
    /// The user it acts as.
    pub user_id: String,
    /// When it was issued (emulated clock).
    pub issued_at: DateTime<Utc>,
    /// Whether the app had the `api` scope when it was issued.
    pub api_scope: bool,
}

/// A validation rule armed through the control API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationRule {
    /// Rule name.
    pub name: String,
    /// sObject it applies to.
    pub object: String,
    /// A SOQL `WHERE` condition over the record as it would be saved; true means reject.
    pub condition: String,
    /// The message Salesforce returns.
    pub message: String,
    /// The field the error is shown on, if any.
    pub field: Option<String>,
    /// Whether it is checked.
    pub active: bool,
}

/// Uploaded file bytes, serialized as base64.
#[derive(Debug, Clone, PartialEq)]
pub struct Blob(pub Bytes);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map(|b| Blob(Bytes::from(b)))
            .map_err(serde::de::Error::custom)
    }
}

/// Counters behind generated ids and auto-numbers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    /// Next value of the shared record-id counter.
    pub next_id: u64,
    /// Last number issued per `Object.Field` auto-number.
    pub auto_numbers: BTreeMap<String, u64>,
}

/// Org-wide settings the control API can change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Daily API request allowance.
    pub daily_api_limit: u64,
    /// Token lifetime in seconds of emulated time.
    pub token_ttl_secs: i64,
}

/// The records, files and counters: what all-or-none operations roll back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Data {
    /// Records per sObject (API name), by 18-character id in issue order, with their indexes.
    pub records: BTreeMap<String, Table>,
    /// File contents per ContentVersion id.
    pub blobs: BTreeMap<String, Blob>,
    /// Id and auto-number counters.
    pub counters: Counters,
}

/// The whole emulated org.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Org {
    /// Organization id (`00D…`).
    pub org_id: String,
    /// Metadata.
    pub schema: Schema,
    /// Records and files.
    pub data: Data,
    /// API access of users, by user id.
    pub access: BTreeMap<String, UserAccess>,
    /// External Client Apps by client id.
    pub apps: BTreeMap<String, App>,
    /// Issued tokens.
    pub tokens: BTreeMap<String, Token>,
    /// Validation rules.
    pub rules: Vec<ValidationRule>,
    /// Settings.
    pub settings: Settings,
    /// API usage in the rolling 24 hours.
    pub usage: Usage,
    /// Open query cursors (not persisted).
    #[serde(skip)]
    pub cursors: Cursors,
}

impl Org {
    /// An org with the standard schema and nothing else.
    pub fn new(org_id: &str, settings: Settings) -> Self {
        Self {
            org_id: org_id.to_string(),
            schema: Schema::standard(),
            data: Data::default(),
            access: BTreeMap::new(),
            apps: BTreeMap::new(),
            tokens: BTreeMap::new(),
            rules: Vec::new(),
            settings,
            usage: Usage::default(),
            cursors: Cursors::default(),
        }
    }

    /// The object a (normalized) id belongs to.
    pub fn object_of_id(&self, id: &str) -> Option<&ObjectDef> {
        self.schema.by_prefix(ids::prefix(id))
    }

    /// A record by 18-character id, deleted or not.
    pub fn record(&self, id: &str) -> Option<&Record> {
        let object = self.object_of_id(id)?;
        self.data.records.get(&object.name)?.get(id)
    }

    /// A record to change in place by 18-character id (re-indexed when the guard drops).
    pub fn record_mut(&mut self, id: &str) -> Option<RecordMut<'_>> {
        let name = self.object_of_id(id)?.name.clone();
        self.data.records.get_mut(&name)?.get_mut(id)
    }

    /// All records of an object (deleted ones included), in id order.
    pub fn records_of(&self, object: &str) -> impl Iterator<Item = &Record> {
        self.data
            .records
            .get(object)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The records of an object with their indexes, when it has any.
    pub fn table(&self, object: &str) -> Option<&Table> {
        self.data.records.get(object)
    }

    /// Issues a new id for `object`.
    pub fn new_id(&mut self, object: &ObjectDef) -> String {
        self.data.counters.next_id += 1;
        ids::make(&object.key_prefix, self.data.counters.next_id)
    }

    /// Stores a record (replacing one with the same id).
    pub fn put(&mut self, record: Record) {
        self.data
            .records
            .entry(record.object.clone())
            .or_default()
            .insert(record);
    }

    /// Next value of an auto-number field, starting after `start`.
    pub fn next_auto_number(&mut self, object: &str, field: &str, start: u64) -> u64 {
        let n = self
            .data
            .counters
            .auto_numbers
            .entry(format!("{object}.{field}"))
            .or_insert(start);
        *n += 1;
        *n
    }

    /// The API access of a user (nothing when unknown).
    pub fn access_of(&self, user_id: &str) -> UserAccess {
        self.access.get(user_id).cloned().unwrap_or(UserAccess {
            api_enabled: false,
            default: Perms::NONE,
            objects: BTreeMap::new(),
        })
    }

    /// Permissions of `user_id` on `object`.
    pub fn perms(&self, user_id: &str, object: &str) -> Perms {
        self.access
            .get(user_id)
            .map(|a| a.on(object))
            .unwrap_or(Perms::NONE)
    }
}
