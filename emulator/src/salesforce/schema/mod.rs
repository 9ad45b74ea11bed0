//! The org's metadata: which sObjects exist, their fields, types, picklists and relationships.
//!
//! Everything else reads this one model: describe renders it, writes are validated against it,
//! SOQL resolves names and relationship paths through it, search knows which fields are text.
//! Standard objects are defined in [`standard`]; custom objects and fields are added at run time
//! through the control API and then behave exactly like standard ones.

mod fields;
pub mod standard;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use fields::{FieldDef, FieldType, PicklistEntry};

/// One sObject type.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectDef {
    /// API name, e.g. `Case` or `Widget__c`.
    pub name: String,
    /// Singular label.
    pub label: String,
    /// Plural label.
    pub label_plural: String,
    /// First three characters of its record ids.
    pub key_prefix: String,
    /// Custom object (`__c`).
    pub custom: bool,
    /// Records can be created through the API.
    pub createable: bool,
    /// Records can be updated through the API.
    pub updateable: bool,
    /// Records can be deleted through the API.
    pub deletable: bool,
    /// Appears in text search.
    pub searchable: bool,
    /// Has a Chatter feed (FeedItem parents).
    pub feed_enabled: bool,
    /// Fields in describe order.
    pub fields: Vec<FieldDef>,
}

impl ObjectDef {
    /// A field by API name, case-insensitively.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// A reference field by its relationship name (`Account` for `AccountId`), case-insensitively.
    pub fn relationship(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }

    /// The field flagged `nameField` (Name, CaseNumber, Subject…), if any.
    pub fn name_field(&self) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name_field)
    }

    /// Whether records may be queried (all objects here are).
    pub fn queryable(&self) -> bool {
        true
    }
}

/// A child relationship as describe reports it on the parent.
#[derive(Debug, Clone)]
pub struct ChildRelationship {
    /// The child sObject.
    pub child: String,
    /// The child's reference field.
    pub field: String,
    /// Relationship name used in subqueries (`CaseComments`).
    pub name: Option<String>,
    /// Whether deleting the parent deletes the children.
    pub cascade_delete: bool,
}

/// All sObject types of the org, keyed case-insensitively.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Schema {
    objects: BTreeMap<String, ObjectDef>,
}

impl Schema {
    /// The standard objects this emulator knows.
    pub fn standard() -> Self {
        let mut schema = Self::default();
        for object in standard::objects() {
            schema.insert(object);
        }
        schema
    }

    /// Adds or replaces an object.
    pub fn insert(&mut self, object: ObjectDef) {
        self.objects
            .insert(object.name.to_ascii_lowercase(), object);
    }

    /// An object by API name, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&ObjectDef> {
        self.objects.get(&name.to_ascii_lowercase())
    }

    /// A mutable object by API name, case-insensitively.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut ObjectDef> {
        self.objects.get_mut(&name.to_ascii_lowercase())
    }

    /// The object whose ids start with `prefix`.
    pub fn by_prefix(&self, prefix: &str) -> Option<&ObjectDef> {
        self.objects.values().find(|o| o.key_prefix == prefix)
    }

    /// All objects, sorted by API name.
    pub fn iter(&self) -> impl Iterator<Item = &ObjectDef> {
        let mut all: Vec<&ObjectDef> = self.objects.values().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all.into_iter()
    }

    /// Relationships pointing at `parent` from any object's reference fields.
    pub fn children_of(&self, parent: &str) -> Vec<ChildRelationship> {
        let mut out = Vec::new();
        for object in self.iter() {
            for field in &object.fields {
                if field.reference_to.iter().any(|t| t == parent) {
                    out.push(ChildRelationship {
                        child: object.name.clone(),
                        field: field.name.clone(),
                        name: field.child_relationship.clone(),
                        cascade_delete: field.cascade_delete,
                    });
                }
            }
        }
        out
    }

    /// The next unused custom-object key prefix (`a00`, `a01`, …).
    pub fn next_custom_prefix(&self) -> String {
        (0..36 * 36)
            .map(|n| {
                let digits = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                format!("a{}{}", digits[n / 36] as char, digits[n % 36] as char)
            })
            .find(|p| self.by_prefix(p).is_none())
            .unwrap_or_else(|| "aZZ".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_and_fields_are_found_case_insensitively() {
        let schema = Schema::standard();
        let case = schema.get("case").expect("Case");
        assert_eq!(case.name, "Case");
        assert_eq!(
            case.field("subject").map(|f| f.name.as_str()),
            Some("Subject")
        );
        assert_eq!(
            case.relationship("account").map(|f| f.name.as_str()),
            Some("AccountId")
        );
        assert_eq!(
            schema.by_prefix("500").map(|o| o.name.as_str()),
            Some("Case")
        );
        assert_eq!(schema.next_custom_prefix(), "a00");
    }

    #[test]
    fn case_lists_its_comments_as_a_child_relationship() {
        let schema = Schema::standard();
        let children = schema.children_of("Case");
        assert!(children
            .iter()
            .any(|c| c.child == "CaseComment" && c.name.as_deref() == Some("CaseComments")));
    }
}
