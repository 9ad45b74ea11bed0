//! Tests for the curated object catalogue.

use super::*;
use serde_json::json;

fn record(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("test records are objects"),
    }
}

#[test]
fn names_of_any_text_are_judged_without_panicking() {
    for name in [
        "éé",
        "é__c",
        "Ω",
        "ab€",
        "日本語__c",
        "€__c",
        "x\u{301}\u{301}",
    ] {
        let _ = module_of(name);
    }
    assert!(is_custom_object("Widgét__c"));
    assert!(!is_custom_object("éé"));
    assert!(!is_custom_object("€"));
}

#[test]
fn modules_group_the_curated_objects() {
    assert_eq!(module_of("Case"), Some(Module::ServiceCloud));
    for o in ["Account", "Contact", "Lead", "Opportunity"] {
        assert_eq!(module_of(o), Some(Module::Crm), "{o}");
    }
    for o in ["Task", "Event"] {
        assert_eq!(module_of(o), Some(Module::Activities), "{o}");
    }
    for o in ["Quote", "Order", "Contract"] {
        assert_eq!(module_of(o), Some(Module::Revenue), "{o}");
    }
    assert_eq!(module_of("Widget__c"), Some(Module::CustomObjects));
    assert_eq!(module_of("ns__Widget__c"), Some(Module::CustomObjects));
    assert_eq!(module_of("case"), Some(Module::ServiceCloud));
    assert_eq!(module_of("Campaign"), None);
    assert_eq!(module_of("__c"), None);
    assert_eq!(Module::ALL.len(), 5);
    assert_eq!(Module::Crm.label(), "Salesforce CRM");
}

#[test]
fn key_prefixes_go_both_ways() {
    let expected = [
        ("Case", "500"),
        ("Account", "001"),
        ("Contact", "003"),
        ("Lead", "00Q"),
        ("Opportunity", "006"),
        ("Task", "00T"),
        ("Event", "00U"),
        ("Quote", "0Q0"),
        ("Order", "801"),
        ("Contract", "800"),
        ("CaseComment", "00a"),
        ("FeedItem", "0D5"),
        ("FeedComment", "0D7"),
        ("ContentVersion", "068"),
        ("ContentDocument", "069"),
        ("ContentDocumentLink", "06A"),
        ("User", "005"),
        ("Organization", "00D"),
    ];
    for (name, prefix) in expected {
        assert_eq!(standard_key_prefix(name), Some(prefix), "{name}");
        assert_eq!(object_for_key_prefix(prefix), Some(name), "{prefix}");
    }
    assert_eq!(object_for_key_prefix("00A"), None);
    assert_eq!(standard_key_prefix("Widget__c"), None);
}

#[test]
fn search_fields_per_object() {
    assert_eq!(search_fields("Case"), ["CaseNumber", "Subject"]);
    assert_eq!(search_fields("Account"), ["Name", "Phone", "Website"]);
    assert_eq!(search_fields("Contact"), ["Name", "Email", "Phone"]);
    assert_eq!(search_fields("Lead"), ["Name", "Company", "Email"]);
    assert_eq!(search_fields("Opportunity"), ["Name"]);
    assert_eq!(search_fields("Contract"), ["ContractNumber"]);
    assert_eq!(search_fields("Order"), ["OrderNumber"]);
    assert_eq!(search_fields("Quote"), ["Name", "QuoteNumber"]);
    assert_eq!(search_fields("Task"), ["Subject"]);
    assert_eq!(search_fields("Event"), ["Subject"]);
    assert_eq!(search_fields("Widget__c"), ["Name"]);
}

#[test]
fn display_fields_cover_the_label() {
    assert_eq!(display_fields("Case"), ["Id", "CaseNumber", "Subject"]);
    assert_eq!(display_fields("Contact"), ["Id", "Name", "Email", "Phone"]);
    assert_eq!(
        display_fields("Contract"),
        ["Id", "ContractNumber", "Status"]
    );
    assert_eq!(
        display_fields("Quote"),
        ["Id", "QuoteNumber", "Name", "Status"]
    );
    assert_eq!(display_fields("Widget__c"), ["Id", "Name"]);
}

#[test]
fn labels_follow_the_object() {
    let case = record(
        json!({"Id": "500xx000000bQ2LAAU", "CaseNumber": "00001026", "Subject": "Printer  on fire"}),
    );
    assert_eq!(
        format_record_label("Case", &case),
        "00001026 [Printer on fire]"
    );
    let contact = record(json!({"Name": "Ada Lovelace", "Email": "ada@example.com"}));
    assert_eq!(
        format_record_label("Contact", &contact),
        "Ada Lovelace [ada@example.com]"
    );
    let lead = record(json!({"Name": "Grace Hopper", "Email": null, "Company": "Navy"}));
    assert_eq!(format_record_label("Lead", &lead), "Grace Hopper [Navy]");
    let contract = record(json!({"ContractNumber": "00000100", "Status": "Activated"}));
    assert_eq!(
        format_record_label("Contract", &contract),
        "00000100 [Activated]"
    );
    let opp = record(json!({"Name": "Big deal", "StageName": "Prospecting"}));
    assert_eq!(
        format_record_label("Opportunity", &opp),
        "Big deal [Prospecting]"
    );
}

#[test]
fn labels_fall_back_gracefully() {
    let case = record(json!({"CaseNumber": "00001026", "Subject": ""}));
    assert_eq!(format_record_label("Case", &case), "00001026");
    let contact = record(json!({"FirstName": "Ada", "LastName": "Lovelace"}));
    assert_eq!(format_record_label("Contact", &contact), "Ada Lovelace");
    let custom = record(json!({"Name": "W-1", "Status__c": "Open"}));
    assert_eq!(format_record_label("Widget__c", &custom), "W-1 [Open]");
    let only_id = record(json!({"Id": "500xx000000bQ2LAAU"}));
    assert_eq!(format_record_label("Case", &only_id), "500xx000000bQ2LAAU");
    assert_eq!(format_record_label("Case", &Map::new()), "(unnamed record)");
    let quote = record(json!({"QuoteNumber": 17, "Name": "17"}));
    assert_eq!(format_record_label("Quote", &quote), "17");
    let odd = record(json!({"Name": {"nested": true}, "Subject": "S"}));
    assert_eq!(format_record_label("Account", &odd), "S");
}

#[test]
fn status_candidates() {
    for o in ["Case", "Lead", "Task", "Contract", "Order", "Quote"] {
        assert_eq!(status_field_candidates(o, &[]), ["Status"], "{o}");
    }
    assert_eq!(status_field_candidates("Opportunity", &[]), ["StageName"]);
    assert_eq!(status_field_candidates("Event", &[]), ["ShowAs"]);
    assert!(status_field_candidates("Account", &["Status__c"]).is_empty());
    assert!(status_field_candidates("Contact", &[]).is_empty());
    assert_eq!(
        status_field_candidates(
            "Widget__c",
            &[
                "Stage__c",
                "Color__c",
                "Support_Status__c",
                "ns__Status__c",
                "Status"
            ]
        ),
        ["ns__Status__c", "Support_Status__c", "Stage__c"]
    );
    assert!(status_field_candidates("Campaign", &["Status__c"]).is_empty());
}

#[test]
fn generic_labels_are_expanded() {
    assert_eq!(
        expand_field_label("Account", "Name", "Name"),
        "Account Name"
    );
    assert_eq!(
        expand_field_label("Account", "Name", "Account Name"),
        "Account Name"
    );
    assert_eq!(
        expand_field_label("Contract", "Status", "Status"),
        "Contract Status"
    );
    assert_eq!(expand_field_label("Case", "Type", "type"), "Case type");
    assert_eq!(expand_field_label("Case", "Subject", "Subject"), "Subject");
    assert_eq!(expand_field_label("Widget", "Name", ""), "Widget Name");
    assert_eq!(expand_field_label("", "Name", "Name"), "Name");
    assert_eq!(
        expand_field_label("Case", "Priority", " Priority "),
        "Priority"
    );
}

#[test]
fn comment_models() {
    assert_eq!(comment_model("Case", None), CommentModel::CaseComment);
    assert_eq!(
        comment_model("Case", Some(false)),
        CommentModel::CaseComment
    );
    assert_eq!(comment_model("Account", None), CommentModel::Feed);
    assert_eq!(comment_model("Task", None), CommentModel::Unsupported);
    assert_eq!(comment_model("Widget__c", None), CommentModel::Unsupported);
    assert_eq!(comment_model("Widget__c", Some(true)), CommentModel::Feed);
    assert_eq!(
        comment_model("Opportunity", Some(false)),
        CommentModel::Unsupported
    );
}
