//! describeGlobal, sObject basic info and describe shapes, custom objects and fields, and the
//! run-as user's permissions as describe, SOQL and writes see them.

use crate::salesforce_support;

use emulator::common::Seed;
use reqwest::Method;
use salesforce_support::start;
use serde_json::{json, Value};

/// Keys jsforce declares as required on a describe `Field`.
const FIELD_KEYS: &[&str] = &[
    "aggregatable",
    "autoNumber",
    "byteLength",
    "calculated",
    "calculatedFormula",
    "cascadeDelete",
    "caseSensitive",
    "compoundFieldName",
    "controllerName",
    "createable",
    "custom",
    "defaultValue",
    "defaultValueFormula",
    "defaultedOnCreate",
    "dependentPicklist",
    "deprecatedAndHidden",
    "digits",
    "displayLocationInDecimal",
    "encrypted",
    "externalId",
    "extraTypeInfo",
    "filterable",
    "filteredLookupInfo",
    "groupable",
    "highScaleNumber",
    "htmlFormatted",
    "idLookup",
    "inlineHelpText",
    "label",
    "length",
    "mask",
    "maskType",
    "name",
    "nameField",
    "namePointing",
    "nillable",
    "permissionable",
    "picklistValues",
    "precision",
    "queryByDistance",
    "referenceTargetField",
    "referenceTo",
    "relationshipName",
    "relationshipOrder",
    "restrictedDelete",
    "restrictedPicklist",
    "scale",
    "soapType",
    "sortable",
    "type",
    "unique",
    "updateable",
    "writeRequiresMasterRead",
];

/// Keys of a describeGlobal entry (A3).
const GLOBAL_KEYS: &[&str] = &[
    "activateable",
    "createable",
    "custom",
    "customSetting",
    "deepCloneable",
    "deletable",
    "deprecatedAndHidden",
    "feedEnabled",
    "hasSubtypes",
    "isInterface",
    "isSubtype",
    "keyPrefix",
    "label",
    "labelPlural",
    "layoutable",
    "mergeable",
    "mruEnabled",
    "name",
    "queryable",
    "replicateable",
    "retrieveable",
    "searchable",
    "triggerable",
    "undeletable",
    "updateable",
    "urls",
];

fn field<'v>(describe: &'v Value, name: &str) -> &'v Value {
    describe["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("field {name}"))
}

#[tokio::test]
async fn describe_global_lists_objects_in_the_documented_shape() {
    let sf = start(Seed::Empty).await;
    let a = sf.get("/sobjects").await;
    assert_eq!(a.status, 200);
    assert_eq!(
        (a.body["encoding"].clone(), a.body["maxBatchSize"].clone()),
        (json!("UTF-8"), json!(200))
    );
    let case = a.body["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Case")
        .unwrap();
    for key in GLOBAL_KEYS {
        assert!(case.get(*key).is_some(), "describeGlobal entry lacks {key}");
    }
    assert_eq!(case["keyPrefix"], "500");
    assert_eq!(
        case["urls"]["rowTemplate"],
        "/services/data/v60.0/sobjects/Case/{ID}"
    );
    let basic = sf.get("/sobjects/Case").await;
    assert_eq!(basic.body["objectDescribe"]["name"], "Case");
    assert_eq!(basic.body["recentItems"], json!([]));
    sf.stop().await;
}

#[tokio::test]
async fn describe_fields_carry_every_key_jsforce_requires() {
    let sf = start(Seed::Empty).await;
    let d = sf.get("/sobjects/Case/describe").await.body;
    for f in d["fields"].as_array().unwrap() {
        for key in FIELD_KEYS {
            assert!(f.get(*key).is_some(), "{} lacks {key}", f["name"]);
        }
    }
    let status = field(&d, "Status");
    assert_eq!(status["type"], "picklist");
    assert_eq!(
        status["picklistValues"][0],
        json!({"active": true, "defaultValue": true, "label": "New", "validFor": null, "value": "New"})
    );
    let number = field(&d, "CaseNumber");
    assert_eq!(
        (number["nameField"].clone(), number["autoNumber"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(field(&d, "AccountId")["referenceTo"], json!(["Account"]));
    assert_eq!(field(&d, "AccountId")["relationshipName"], "Account");
    assert_eq!(field(&d, "Id")["soapType"], "tns:ID");
    assert_eq!(d["feedEnabled"], true);
    assert_eq!(d["recordTypeInfos"][0]["master"], true);
    let children = d["childRelationships"].as_array().unwrap();
    assert!(children.iter().any(|c| c["childSObject"] == "CaseComment"
        && c["relationshipName"] == "CaseComments"
        && c["field"] == "ParentId"));
    let comment = sf.get("/sobjects/CaseComment/describe").await.body;
    assert_eq!(field(&comment, "ParentId")["referenceTo"], json!(["Case"]));
    assert_eq!(field(&comment, "CommentBody")["length"], 4000);
    let feed_comment = sf.get("/sobjects/FeedComment/describe").await.body;
    assert!(feed_comment["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["name"] != "LastModifiedDate"));
    let link = sf.get("/sobjects/ContentDocumentLink/describe").await.body;
    assert!(link["fields"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["name"] != "CreatedDate"));
    sf.stop().await;
}

#[tokio::test]
async fn custom_objects_and_fields_appear_in_describe_and_soql() {
    let sf = start(Seed::Empty).await;
    let a = sf
        .control(
            Method::POST,
            "/objects",
            Some(json!({"name": "Widget__c", "label": "Widget", "feed_enabled": true, "fields": [
                {"name": "Severity__c", "type": "picklist", "values": ["Low", "High"]},
                {"name": "Case__c", "type": "reference", "reference_to": "Case", "child_relationship": "Widgets__r"}
            ]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.body["key_prefix"], "a00");
    let global = sf.get("/sobjects").await.body;
    assert!(global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Widget__c" && o["custom"] == true));
    let d = sf.get("/sobjects/Widget__c/describe").await.body;
    assert_eq!(field(&d, "Severity__c")["restrictedPicklist"], true);
    assert_eq!(field(&d, "Case__c")["relationshipName"], "Case__r");
    let case = sf.create("Case", json!({"Subject": "has widgets"})).await;
    let w = sf
        .create(
            "Widget__c",
            json!({"Name": "W-1", "Severity__c": "High", "Case__c": case}),
        )
        .await;
    assert!(w.starts_with("a00"));
    assert_eq!(
        sf.post(
            "/sobjects/Widget__c",
            json!({"Name": "W-2", "Severity__c": "Bogus"})
        )
        .await
        .code(),
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    );
    let rows = sf.rows("SELECT Name, Case__r.Subject FROM Widget__c").await;
    assert_eq!(rows[0]["Case__r"]["Subject"], "has widgets");
    let parents = sf
        .rows("SELECT Subject, (SELECT Name FROM Widgets__r) FROM Case")
        .await;
    assert_eq!(parents[0]["Widgets__r"]["records"][0]["Name"], "W-1");
    let bad = sf
        .control(Method::POST, "/objects", Some(json!({"name": "NoSuffix"})))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "invalid_object");
    sf.stop().await;
}

#[tokio::test]
async fn the_run_as_users_permissions_are_enforced_everywhere() {
    let sf = start(Seed::Empty).await;
    let username = sf.info.username.clone();
    for (object, perms) in [
        ("Lead", json!({"read": false})),
        (
            "Account",
            json!({"read": true, "create": false, "edit": false, "delete": false}),
        ),
    ] {
        let path = format!("/users/{username}/permissions/{object}");
        let a = sf.control(Method::PUT, &path, Some(perms)).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let global = sf.get("/sobjects").await.body;
    assert!(
        global["sobjects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["name"] != "Lead"),
        "describeGlobal hides unreadable objects"
    );
    let account = global["sobjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Account")
        .unwrap()
        .clone();
    assert_eq!(
        (account["createable"].clone(), account["updateable"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(sf.get("/sobjects/Lead/describe").await.status, 404);
    let q = sf.query("SELECT Id FROM Lead").await;
    assert_eq!(q.code(), "INVALID_TYPE");
    let a = sf.post("/sobjects/Account", json!({"Name": "x"})).await;
    assert_eq!(a.status, 400);
    assert_eq!(
        a.body,
        json!([{"message": "insufficient access rights on object id", "errorCode": "INSUFFICIENT_ACCESS_OR_READONLY", "fields": []}])
    );
    sf.control(
        Method::PATCH,
        &format!("/users/{username}"),
        Some(json!({"api_enabled": false})),
    )
    .await;
    let a = sf.get("/sobjects").await;
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (403, "API_CURRENTLY_DISABLED")
    );
    sf.stop().await;
}
