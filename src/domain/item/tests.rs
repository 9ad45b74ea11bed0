use super::*;
use crate::domain::fields::{JiraFieldKind, JiraFieldSpec, SfFieldSpec, SfFieldType};

fn case() -> ObjectMetadata {
    let mut status = SfFieldSpec::new("Status", SfFieldType::Picklist);
    status.picklist_values = vec![];
    let mut number = SfFieldSpec::new("CaseNumber", SfFieldType::String);
    number.updateable = false;
    ObjectMetadata {
        name: "Case".into(),
        label: "Case".into(),
        fields: vec![
            SfFieldSpec::new("Subject", SfFieldType::String),
            SfFieldSpec::new("Description", SfFieldType::Textarea),
            number,
            status,
        ],
        feed_enabled: true,
    }
}

fn jira() -> JiraMetadata {
    let screen = |id: &str, kind: JiraFieldKind, required: bool| JiraScreenField {
        spec: JiraFieldSpec::new(id, kind),
        required,
        has_default: false,
    };
    JiraMetadata {
        projects: vec![ProjectKey::parse("SUP").expect("key")],
        issue_type: Some((
            "10001".into(),
            vec![
                screen("summary", JiraFieldKind::String, true),
                screen("description", JiraFieldKind::Doc, false),
                screen("customfield_10040", JiraFieldKind::String, true),
            ],
        )),
    }
}

fn two_way() -> ItemDefinition {
    ItemDefinition {
        name: "Support cases".into(),
        mode: SyncMode::TwoWay,
        jira_projects: vec![ProjectKey::parse("SUP").expect("key")],
        issue_type_id: Some("10001".into()),
        object: "Case".into(),
        preview_fields: vec!["Subject".into()],
        mappings: vec![FieldMapping {
            salesforce_field: "Subject".into(),
            jira_field: "summary".into(),
        }],
        options: ItemOptions {
            auto_create: true,
            status_sync: Some(StatusSync {
                salesforce_field: "Status".into(),
            }),
            comments_sync: true,
            attachments_sync: true,
        },
    }
}

#[test]
fn a_sound_two_way_case_item_passes_with_a_warning_for_an_unmapped_required_field() {
    let v = validate(&two_way(), Some(&case()), &jira());
    assert!(v.is_valid(), "{:?}", v.problems);
    assert_eq!(v.warnings.len(), 1);
    assert!(v.warnings[0].contains("customfield_10040"));
}

#[test]
fn an_unknown_object_is_named() {
    let mut def = two_way();
    def.object = "Bogus__c".into();
    let v = validate(&def, None, &jira());
    assert_eq!(v.problems[0].field, "object");
    assert!(v.problems[0].message.contains("Bogus__c"));
}

#[test]
fn unknown_fields_and_read_only_two_way_targets_are_refused_field_by_field() {
    let mut def = two_way();
    def.mappings = vec![
        FieldMapping {
            salesforce_field: "Nope".into(),
            jira_field: "description".into(),
        },
        FieldMapping {
            salesforce_field: "CaseNumber".into(),
            jira_field: "customfield_10040".into(),
        },
    ];
    let v = validate(&def, Some(&case()), &jira());
    let fields: Vec<_> = v.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["mappings[0].salesforce_field", "mappings[1]"]);
}

#[test]
fn status_sync_needs_a_status_like_field() {
    let mut object = case();
    object.name = "Account".into();
    object.label = "Account".into();
    object.fields.retain(|f| f.name != "Status");
    let mut def = two_way();
    def.object = "Account".into();
    def.options.comments_sync = false;
    let v = validate(&def, Some(&object), &jira());
    assert!(
        v.problems.iter().any(|p| p.field == "options.status_sync"),
        "{:?}",
        v.problems
    );
}

#[test]
fn display_only_items_refuse_sync_options_and_several_projects_are_fine() {
    let mut def = two_way();
    def.mode = SyncMode::DisplayOnly;
    def.mappings.clear();
    let v = validate(&def, Some(&case()), &jira());
    assert!(v.problems.iter().any(|p| p.field == "options"));
    def.options = ItemOptions::default();
    def.jira_projects
        .push(ProjectKey::parse("ENG").expect("key"));
    let mut jira = jira();
    jira.projects.push(ProjectKey::parse("ENG").expect("key"));
    assert!(validate(&def, Some(&case()), &jira).is_valid());
}

#[test]
fn a_synchronised_item_targets_exactly_one_known_project() {
    let mut def = two_way();
    def.jira_projects
        .push(ProjectKey::parse("XYZ").expect("key"));
    let v = validate(&def, Some(&case()), &jira());
    let fields: Vec<_> = v.problems.iter().map(|p| p.field.as_str()).collect();
    assert!(fields.contains(&"jira_projects"));
    assert!(fields.contains(&"jira_projects[1]"));
}
