//! Tests for field compatibility and conversion.

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn sf(name: &str, t: SfFieldType) -> SfFieldSpec {
    SfFieldSpec::new(name, t)
}

fn jf(id: &str, kind: JiraFieldKind) -> JiraFieldSpec {
    JiraFieldSpec::new(id, kind)
}

fn options(values: &[&str]) -> Vec<JiraOption> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| JiraOption {
            id: Some(i.to_string()),
            value: v.to_string(),
        })
        .collect()
}

fn picklist(name: &str, values: &[(&str, &str)]) -> SfFieldSpec {
    let mut spec = sf(name, SfFieldType::Picklist);
    spec.picklist_values = values
        .iter()
        .map(|(v, l)| PicklistValue {
            value: v.to_string(),
            label: l.to_string(),
            active: true,
        })
        .collect();
    spec
}

#[test]
fn describe_and_schema_are_read() {
    let field = json!({"name": "Priority", "label": "Priority", "type": "picklist", "length": 40,
        "updateable": true, "nillable": true, "precision": 0, "scale": 0, "digits": 0,
        "picklistValues": [{"active": true, "defaultValue": false, "label": "High", "validFor": null, "value": "High"}]});
    let spec = SfFieldSpec::from_describe(&field);
    assert_eq!(spec.field_type, SfFieldType::Picklist);
    assert_eq!(spec.length, Some(40));
    assert_eq!(spec.precision, None);
    assert_eq!(spec.picklist_values[0].label, "High");
    assert_eq!(SfFieldType::from_describe("base64"), SfFieldType::Other);
    assert_eq!(
        SfFieldType::from_describe("DateTime"),
        SfFieldType::Datetime
    );
    assert_eq!(SfFieldType::Multipicklist.as_str(), "multipicklist");

    let kinds = [
        (
            json!({"type": "string", "system": "summary"}),
            JiraFieldKind::String,
        ),
        (
            json!({"type": "string", "system": "description"}),
            JiraFieldKind::Doc,
        ),
        (
            json!({"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textarea"}),
            JiraFieldKind::Doc,
        ),
        (json!({"type": "number"}), JiraFieldKind::Number),
        (json!({"type": "date"}), JiraFieldKind::Date),
        (json!({"type": "datetime"}), JiraFieldKind::DateTime),
        (json!({"type": "option"}), JiraFieldKind::Option),
        (
            json!({"type": "array", "items": "option"}),
            JiraFieldKind::Options,
        ),
        (
            json!({"type": "array", "items": "string", "system": "labels"}),
            JiraFieldKind::Labels,
        ),
        (json!({"type": "priority"}), JiraFieldKind::Priority),
        (json!({"type": "user"}), JiraFieldKind::User),
        (
            json!({"type": "array", "items": "version"}),
            JiraFieldKind::Other("array of version".into()),
        ),
    ];
    for (schema, kind) in kinds {
        assert_eq!(JiraFieldKind::from_schema(&schema), kind, "{schema}");
    }
    let meta = json!({"fieldId": "priority", "name": "Priority", "schema": {"type": "priority", "system": "priority"},
        "allowedValues": [{"id": "1", "name": "Highest"}, {"id": "3", "name": "Medium"}]});
    let spec = JiraFieldSpec::from_createmeta(&meta);
    assert_eq!(spec.id, "priority");
    assert_eq!(spec.kind, JiraFieldKind::Priority);
    assert_eq!(spec.allowed_values[1].value, "Medium");
}

#[test]
fn compatibility_rules() {
    use SyncDirection::*;
    let text = sf("Subject", SfFieldType::String);
    assert!(compatibility(&text, &jf("summary", JiraFieldKind::String), TwoWay).is_ok());
    assert!(compatibility(&text, &jf("description", JiraFieldKind::Doc), TwoWay).is_ok());
    let err = compatibility(&text, &jf("assignee", JiraFieldKind::User), OneWay).unwrap_err();
    assert!(
        err.reason.contains("user fields are not supported"),
        "{err}"
    );
    let err = compatibility(&text, &jf("cf", JiraFieldKind::Number), OneWay).unwrap_err();
    assert!(
        err.reason
            .contains("a Salesforce string field cannot fill a number field"),
        "{err}"
    );

    let mut locked = sf("CaseNumber", SfFieldType::String);
    locked.label = "Case Number".into();
    locked.updateable = false;
    assert!(compatibility(&locked, &jf("summary", JiraFieldKind::String), OneWay).is_ok());
    let err = compatibility(&locked, &jf("summary", JiraFieldKind::String), TwoWay).unwrap_err();
    assert!(
        err.reason
            .contains("Case Number (CaseNumber) is not updateable"),
        "{err}"
    );

    let amount = sf("Amount", SfFieldType::Currency);
    assert!(compatibility(&amount, &jf("cf", JiraFieldKind::Number), TwoWay).is_ok());
    assert!(compatibility(&amount, &jf("cf", JiraFieldKind::String), OneWay).is_ok());
    let err = compatibility(&amount, &jf("cf", JiraFieldKind::String), TwoWay).unwrap_err();
    assert!(err.reason.contains("can only be one-way"), "{err}");

    let when = sf("ClosedDate", SfFieldType::Datetime);
    assert!(compatibility(&when, &jf("cf", JiraFieldKind::Date), OneWay).is_ok());
    assert!(compatibility(&when, &jf("cf", JiraFieldKind::Date), TwoWay).is_err());
    assert!(compatibility(&when, &jf("cf", JiraFieldKind::DateTime), TwoWay).is_ok());

    let flag = sf("IsEscalated", SfFieldType::Boolean);
    assert!(compatibility(&flag, &jf("cf", JiraFieldKind::Option), TwoWay).is_ok());
    assert!(compatibility(&flag, &jf("cf", JiraFieldKind::Options), TwoWay).is_ok());
    assert!(compatibility(
        &sf("Tags__c", SfFieldType::Multipicklist),
        &jf("labels", JiraFieldKind::Labels),
        TwoWay
    )
    .is_ok());
    assert!(compatibility(
        &sf("Priority", SfFieldType::Picklist),
        &jf("priority", JiraFieldKind::Priority),
        TwoWay
    )
    .is_ok());
    assert!(compatibility(
        &sf("Id", SfFieldType::Id),
        &jf("cf", JiraFieldKind::String),
        OneWay
    )
    .is_ok());
    let mut id = sf("Id", SfFieldType::Id);
    id.updateable = true;
    assert!(compatibility(&id, &jf("cf", JiraFieldKind::String), TwoWay).is_err());
    assert!(compatibility(
        &sf("Geo", SfFieldType::Other),
        &jf("cf", JiraFieldKind::String),
        OneWay
    )
    .is_err());
}

#[test]
fn text_and_long_text() {
    let subject = sf("Subject", SfFieldType::String);
    let summary = jf("summary", JiraFieldKind::String);
    assert_eq!(
        sf_to_jira(&json!("Printer\non  fire"), &subject, &summary).unwrap(),
        json!("Printer on fire")
    );
    let long = "x".repeat(300);
    let err = sf_to_jira(&json!(long), &subject, &summary).unwrap_err();
    assert_eq!(
        err,
        ConversionError::TooLong {
            field: "summary".into(),
            actual: 300,
            max: 255
        }
    );

    let body = sf("Description", SfFieldType::Textarea);
    let desc = jf("description", JiraFieldKind::Doc);
    let adf = sf_to_jira(&json!("one\n\ntwo"), &body, &desc).unwrap();
    assert_eq!(adf["content"].as_array().unwrap().len(), 2);
    assert_eq!(jira_to_sf(&adf, &desc, &body).unwrap(), json!("one\n\ntwo"));
    assert_eq!(
        jira_to_sf(&json!("*bold* move"), &desc, &body).unwrap(),
        json!("bold move")
    );

    let mut short = sf("Subject", SfFieldType::String);
    short.length = Some(5);
    let err = jira_to_sf(&json!("too long"), &summary, &short).unwrap_err();
    assert!(
        err.to_string()
            .contains("the text has 8 characters but the field holds at most 5"),
        "{err}"
    );
}

#[test]
fn numbers() {
    let amount = {
        let mut s = sf("Amount", SfFieldType::Currency);
        s.precision = Some(6);
        s.scale = Some(2);
        s
    };
    let num = jf("cf", JiraFieldKind::Number);
    assert_eq!(
        sf_to_jira(&json!(12.5), &amount, &num).unwrap(),
        json!(12.5)
    );
    assert_eq!(sf_to_jira(&json!(12.0), &amount, &num).unwrap(), json!(12));
    assert_eq!(
        jira_to_sf(&json!(1.006), &num, &amount).unwrap(),
        json!(1.01)
    );
    assert_eq!(
        jira_to_sf(&json!(7.12345), &num, &amount).unwrap(),
        json!(7.12)
    );
    assert!(matches!(
        jira_to_sf(&json!(10000), &num, &amount),
        Err(ConversionError::OutOfRange { .. })
    ));
    assert_eq!(jira_to_sf(&json!("42"), &num, &amount).unwrap(), json!(42));
    assert!(matches!(
        jira_to_sf(&json!("forty"), &num, &amount),
        Err(ConversionError::NotANumber { .. })
    ));

    let mut employees = sf("NumberOfEmployees", SfFieldType::Int);
    employees.digits = Some(8);
    assert_eq!(
        jira_to_sf(&json!(250.0), &num, &employees).unwrap(),
        json!(250)
    );
    assert!(matches!(
        jira_to_sf(&json!(2.5), &num, &employees),
        Err(ConversionError::NotAnInteger { .. })
    ));
    assert!(matches!(
        jira_to_sf(&json!(1e9), &num, &employees),
        Err(ConversionError::OutOfRange { .. })
    ));
    let pct = sf("Probability", SfFieldType::Percent);
    assert_eq!(jira_to_sf(&json!(12.5), &num, &pct).unwrap(), json!(12.5));
}

#[test]
fn dates_and_datetimes() {
    let d = sf("DueDate__c", SfFieldType::Date);
    let jd = jf("duedate", JiraFieldKind::Date);
    assert_eq!(
        sf_to_jira(&json!("2024-01-02"), &d, &jd).unwrap(),
        json!("2024-01-02")
    );
    assert_eq!(
        jira_to_sf(&json!("2024-02-29"), &jd, &d).unwrap(),
        json!("2024-02-29")
    );
    assert!(matches!(
        jira_to_sf(&json!("2023-02-29"), &jd, &d),
        Err(ConversionError::InvalidDate { .. })
    ));

    let dt = sf("ClosedDate", SfFieldType::Datetime);
    let jdt = jf("cf", JiraFieldKind::DateTime);
    assert_eq!(
        sf_to_jira(&json!("2024-01-02T03:04:05.000+0000"), &dt, &jdt).unwrap(),
        json!("2024-01-02T03:04:05.000+0000")
    );
    assert_eq!(
        jira_to_sf(&json!("2024-01-02T05:04:05.123+02:00"), &jdt, &dt).unwrap(),
        json!("2024-01-02T03:04:05.123+0000")
    );
    assert_eq!(
        jira_to_sf(&json!("2024-01-02T03:04:05Z"), &jdt, &dt).unwrap(),
        json!("2024-01-02T03:04:05.000+0000")
    );
    assert_eq!(
        sf_to_jira(&json!("2024-01-02T23:30:00.000-0200"), &dt, &jd).unwrap(),
        json!("2024-01-03")
    );
    assert_eq!(
        sf_to_jira(&json!("2024-01-02"), &d, &jdt).unwrap(),
        json!("2024-01-02T00:00:00.000+0000")
    );
    assert!(matches!(
        jira_to_sf(&json!("yesterday"), &jdt, &dt),
        Err(ConversionError::InvalidDateTime { .. })
    ));
    for text in [
        "2024-01-02T03:04:05.000+0000",
        "2024-01-02T03:04:05+00:00",
        "2024-01-02T03:04:05.000Z",
        "2024-01-02T03:04:05",
        "2024-01-02T03:04:05.5-0000",
    ] {
        assert!(parse_datetime_lenient(text).is_some(), "{text}");
    }
}

#[test]
fn checkboxes() {
    let flag = sf("IsEscalated", SfFieldType::Boolean);
    let select = jf("cf", JiraFieldKind::Option);
    assert_eq!(
        sf_to_jira(&json!(true), &flag, &select).unwrap(),
        json!({"value": "Yes"})
    );
    let mut tf = select.clone();
    tf.allowed_values = options(&["True", "False"]);
    assert_eq!(
        sf_to_jira(&json!(false), &flag, &tf).unwrap(),
        json!({"value": "False"})
    );
    assert_eq!(
        jira_to_sf(&json!({"value": "Yes"}), &select, &flag).unwrap(),
        json!(true)
    );
    assert_eq!(
        jira_to_sf(&json!({"value": "false"}), &select, &flag).unwrap(),
        json!(false)
    );
    assert_eq!(
        jira_to_sf(&Value::Null, &select, &flag).unwrap(),
        json!(false)
    );
    assert!(matches!(
        jira_to_sf(&json!({"value": "Maybe"}), &select, &flag),
        Err(ConversionError::NotABoolean { .. })
    ));

    let mut checkbox = jf("cf", JiraFieldKind::Options);
    checkbox.allowed_values = options(&["Urgent"]);
    assert_eq!(
        sf_to_jira(&json!(true), &flag, &checkbox).unwrap(),
        json!([{"value": "Urgent"}])
    );
    assert_eq!(
        sf_to_jira(&json!(false), &flag, &checkbox).unwrap(),
        json!([])
    );
    assert_eq!(
        jira_to_sf(&json!([{"value": "Urgent"}]), &checkbox, &flag).unwrap(),
        json!(true)
    );
    assert_eq!(
        jira_to_sf(&json!([]), &checkbox, &flag).unwrap(),
        json!(false)
    );
    let text = jf("cf", JiraFieldKind::String);
    assert_eq!(
        sf_to_jira(&json!(true), &flag, &text).unwrap(),
        json!("Yes")
    );
}

#[test]
fn picklists_and_priorities() {
    let status = picklist("Origin", &[("Web", "Web form"), ("Phone", "Phone")]);
    let mut select = jf("cf", JiraFieldKind::Option);
    select.allowed_values = options(&["web form", "Phone"]);
    assert_eq!(
        sf_to_jira(&json!("Web"), &status, &select).unwrap(),
        json!({"value": "web form"})
    );
    let err = sf_to_jira(&json!("Email"), &status, &select).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cf: \"Email\" matches none of the allowed values (web form, Phone)"
    );
    assert_eq!(
        jira_to_sf(&json!({"value": "WEB FORM"}), &select, &status).unwrap(),
        json!("Web")
    );
    assert_eq!(
        jira_to_sf(&json!({"id": "1", "value": "phone"}), &select, &status).unwrap(),
        json!("Phone")
    );
    assert!(matches!(
        jira_to_sf(&json!({"value": "Fax"}), &select, &status),
        Err(ConversionError::NoMatchingValue { .. })
    ));

    let prio = picklist(
        "Priority",
        &[("High", "High"), ("Medium", "Medium"), ("Low", "Low")],
    );
    let mut jp = jf("priority", JiraFieldKind::Priority);
    jp.allowed_values = options(&["Highest", "High", "Medium", "Low"]);
    assert_eq!(
        sf_to_jira(&json!("high"), &prio, &jp).unwrap(),
        json!({"name": "High"})
    );
    assert_eq!(
        jira_to_sf(&json!({"name": "Low", "id": "4"}), &jp, &prio).unwrap(),
        json!("Low")
    );
    assert!(jira_to_sf(&json!({"name": "Highest"}), &jp, &prio).is_err());

    let mut inactive = prio.clone();
    inactive.picklist_values[0].active = false;
    assert!(jira_to_sf(&json!({"name": "High"}), &jp, &inactive).is_err());
}

#[test]
fn multipicklists() {
    let mut tags = picklist(
        "Tags__c",
        &[
            ("Alpha", "Alpha"),
            ("Beta", "Beta test"),
            ("Gamma", "Gamma"),
        ],
    );
    tags.field_type = SfFieldType::Multipicklist;
    let mut multi = jf("cf", JiraFieldKind::Options);
    multi.allowed_values = options(&["Alpha", "Beta test"]);
    assert_eq!(
        sf_to_jira(&json!("Alpha;Beta"), &tags, &multi).unwrap(),
        json!([{"value": "Alpha"}, {"value": "Beta test"}])
    );
    assert_eq!(
        jira_to_sf(
            &json!([{"value": "beta test"}, {"value": "alpha"}, {"value": "Alpha"}]),
            &multi,
            &tags
        )
        .unwrap(),
        json!("Beta;Alpha")
    );
    let labels = jf("labels", JiraFieldKind::Labels);
    assert_eq!(
        sf_to_jira(&json!("Alpha; Gamma"), &tags, &labels).unwrap(),
        json!(["Alpha", "Gamma"])
    );
    let mut spaced = tags.clone();
    spaced.picklist_values.push(PicklistValue {
        value: "Two words".into(),
        label: "Two words".into(),
        active: true,
    });
    assert!(matches!(
        sf_to_jira(&json!("Two words"), &spaced, &labels),
        Err(ConversionError::InvalidLabel { .. })
    ));
    assert_eq!(
        jira_to_sf(&json!(["gamma", "ALPHA"]), &labels, &tags).unwrap(),
        json!("Gamma;Alpha")
    );
    let text = jf("cf", JiraFieldKind::String);
    assert_eq!(
        sf_to_jira(&json!("Alpha;Beta"), &tags, &text).unwrap(),
        json!("Alpha;Beta")
    );
}

#[test]
fn nulls_clear_the_target() {
    let subject = sf("Subject", SfFieldType::String);
    assert_eq!(
        sf_to_jira(&Value::Null, &subject, &jf("cf", JiraFieldKind::String)).unwrap(),
        Value::Null
    );
    assert_eq!(
        sf_to_jira(&json!(""), &subject, &jf("labels", JiraFieldKind::Labels)).unwrap(),
        json!([])
    );
    assert_eq!(
        jira_to_sf(&Value::Null, &jf("cf", JiraFieldKind::String), &subject).unwrap(),
        Value::Null
    );
    let empty_doc = json!({"type": "doc", "version": 1, "content": []});
    assert_eq!(
        jira_to_sf(&empty_doc, &jf("description", JiraFieldKind::Doc), &subject).unwrap(),
        Value::Null
    );
    let mut required = subject.clone();
    required.nillable = false;
    assert_eq!(
        jira_to_sf(&json!(""), &jf("cf", JiraFieldKind::String), &required).unwrap_err(),
        ConversionError::Required {
            field: "Subject".into()
        }
    );
}

#[test]
fn references_and_unsupported() {
    let account = sf("AccountId", SfFieldType::Reference);
    let text = jf("cf", JiraFieldKind::String);
    assert_eq!(
        jira_to_sf(&json!("001D000000IqhSL"), &text, &account).unwrap(),
        json!("001D000000IqhSLIAZ")
    );
    assert!(matches!(
        jira_to_sf(&json!("nope"), &text, &account),
        Err(ConversionError::InvalidId { .. })
    ));
    assert!(matches!(
        sf_to_jira(
            &json!("x"),
            &sf("Subject", SfFieldType::String),
            &jf("assignee", JiraFieldKind::User)
        ),
        Err(ConversionError::Unsupported { .. })
    ));
    assert!(matches!(
        jira_to_sf(&json!("x"), &text, &sf("Id", SfFieldType::Id)),
        Err(ConversionError::Unsupported { .. })
    ));
    assert!(matches!(
        jira_to_sf(&json!({"a": 1}), &text, &sf("Subject", SfFieldType::String)),
        Err(ConversionError::WrongShape { .. })
    ));
}

proptest! {
    #[test]
    fn textarea_round_trips_through_adf(text in "[a-zA-Z0-9 .,]{1,40}(\n{1,2}[a-zA-Z0-9 .,]{1,40}){0,4}") {
        let body = sf("Description", SfFieldType::Textarea);
        let desc = jf("description", JiraFieldKind::Doc);
        let adf = sf_to_jira(&json!(text), &body, &desc).unwrap();
        let back = jira_to_sf(&adf, &desc, &body).unwrap();
        let expected = crate::domain::adf::normalize_text(&text);
        if expected.is_empty() {
            prop_assert_eq!(back, Value::Null);
        } else {
            prop_assert_eq!(back, json!(expected));
        }
    }

    #[test]
    fn datetimes_round_trip(secs in 0i64..4_000_000_000, millis in 0u32..1000) {
        let at = chrono::DateTime::from_timestamp(secs, millis * 1_000_000).unwrap();
        let text = format_datetime(&at);
        prop_assert_eq!(parse_datetime_lenient(&text), Some(at));
        let dt = sf("D", SfFieldType::Datetime);
        let jdt = jf("cf", JiraFieldKind::DateTime);
        let there = sf_to_jira(&json!(text), &dt, &jdt).unwrap();
        prop_assert_eq!(jira_to_sf(&there, &jdt, &dt).unwrap(), json!(text));
    }

    #[test]
    fn numbers_round_trip(x in -1.0e6f64..1.0e6) {
        let mut amount = sf("Amount", SfFieldType::Double);
        amount.scale = Some(2);
        amount.precision = Some(18);
        let num = jf("cf", JiraFieldKind::Number);
        let there = sf_to_jira(&json!(x), &amount, &num).unwrap();
        let back = jira_to_sf(&there, &num, &amount).unwrap();
        let expected = (x * 100.0).round() / 100.0;
        prop_assert!((back.as_f64().unwrap() - expected).abs() < 1e-9);
    }
}
