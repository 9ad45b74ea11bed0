//! Projections are deterministic folds: live-updated views equal views rebuilt from the log,
//! verify finds no difference on a healthy view and names a tampered row.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use proptest::prelude::*;
use sfjira::domain::fields::FieldReason;
use sfjira::domain::ids::{ItemId, JiraIssueKey, LinkId, ProjectKey, SalesforceId};
use sfjira::domain::item::{ItemDefinition, ItemOptions, SyncMode};
use sfjira::domain::link::events::*;
use sfjira::domain::side::Side;
use sfjira::events::item::{ItemChanged, ItemDefined, ItemDeleted, ItemEvent};
use sfjira::events::scheduler::{ItemOutcome, ItemRun, RunCounts, RunFinished, SchedulerEvent};
use sfjira::events::store::{EventData, EventStore, ExpectedVersion, MemoryEventStore, StreamId};
use sfjira::events::{encode, streams, Meta};
use sfjira::projections::Projections;
use tokio_util::sync::CancellationToken;

const ITEMS: [u128; 3] = [1, 2, 3];
const RECORDS: [&str; 4] = [
    "500xx000000bQ2L",
    "500xx000000bQ3L",
    "500xx000000bQ4L",
    "001xx000003DGb2",
];
const ISSUES: [&str; 3] = ["SUP-1", "SUP-2", "ENG-9"];

fn item(i: usize) -> ItemId {
    ItemId::from_uuid(uuid::Uuid::from_u128(ITEMS[i]))
}

fn link_of(item_index: usize, record: usize) -> LinkId {
    LinkId::for_record(
        item(item_index),
        &SalesforceId::parse(RECORDS[record]).expect("id"),
    )
}

#[derive(Debug, Clone)]
enum Step {
    DefineItem(usize, bool),
    ChangeItem(usize),
    DeleteItem(usize),
    Link(usize, usize, usize, bool),
    Unlink(usize, usize),
    Observe(usize, usize, String),
    Fail(usize, usize, usize, bool),
    Pull(usize, usize),
    Status(usize, usize, bool),
    Comment(usize, usize),
    Attach(usize, usize, bool),
    Run(usize, bool),
}

fn step() -> impl Strategy<Value = Step> {
    let i = 0..ITEMS.len();
    let r = 0..RECORDS.len();
    prop_oneof![
        (i.clone(), any::<bool>()).prop_map(|(i, two)| Step::DefineItem(i, two)),
        i.clone().prop_map(Step::ChangeItem),
        i.clone().prop_map(Step::DeleteItem),
        (i.clone(), r.clone(), 0..ISSUES.len(), any::<bool>())
            .prop_map(|(i, r, k, auto)| Step::Link(i, r, k, auto)),
        (i.clone(), r.clone()).prop_map(|(i, r)| Step::Unlink(i, r)),
        (i.clone(), r.clone(), "[a-z ]{0,12}").prop_map(|(i, r, s)| Step::Observe(i, r, s)),
        (i.clone(), r.clone(), 0..3usize, any::<bool>())
            .prop_map(|(i, r, op, retry)| Step::Fail(i, r, op, retry)),
        (i.clone(), r.clone()).prop_map(|(i, r)| Step::Pull(i, r)),
        (i.clone(), r.clone(), any::<bool>()).prop_map(|(i, r, j)| Step::Status(i, r, j)),
        (i.clone(), r.clone()).prop_map(|(i, r)| Step::Comment(i, r)),
        (i.clone(), r.clone(), any::<bool>()).prop_map(|(i, r, s)| Step::Attach(i, r, s)),
        (i, any::<bool>()).prop_map(|(i, ok)| Step::Run(i, ok)),
    ]
}

fn definition(two_way: bool, name: &str) -> ItemDefinition {
    ItemDefinition {
        name: name.into(),
        mode: if two_way {
            SyncMode::TwoWay
        } else {
            SyncMode::DisplayOnly
        },
        jira_projects: vec![ProjectKey::parse("SUP").expect("key")],
        issue_type_id: Some("10001".into()),
        object: "Case".into(),
        preview_fields: vec!["Subject".into()],
        mappings: vec![],
        options: ItemOptions::default(),
    }
}

fn to_event(step: &Step) -> (StreamId, EventData) {
    let link_event = |i: usize, r: usize, e: LinkEvent| {
        (streams::link(link_of(i, r)), encode(&e, Meta::default()))
    };
    let cv = SalesforceId::parse("068xx000000AbCd").expect("id");
    match step {
        Step::DefineItem(i, two) => (
            streams::item(item(*i)),
            encode(
                &ItemEvent::Defined(ItemDefined {
                    definition: definition(*two, "Cases"),
                    context: Default::default(),
                    warnings: vec![],
                }),
                Meta::default(),
            ),
        ),
        Step::ChangeItem(i) => (
            streams::item(item(*i)),
            encode(
                &ItemEvent::Changed(ItemChanged {
                    definition: definition(true, "Renamed"),
                    context: Default::default(),
                    changed: vec!["name".into()],
                    warnings: vec!["required field".into()],
                }),
                Meta::default(),
            ),
        ),
        Step::DeleteItem(i) => (
            streams::item(item(*i)),
            encode(
                &ItemEvent::Deleted(ItemDeleted {
                    trigger: Trigger::Admin,
                }),
                Meta::default(),
            ),
        ),
        Step::Link(i, r, k, auto) => link_event(
            *i,
            *r,
            LinkEvent::Linked(Linked {
                item_id: item(*i),
                issue_key: JiraIssueKey::parse(ISSUES[*k]).expect("key"),
                issue_id: None,
                record_id: SalesforceId::parse(RECORDS[*r]).expect("id"),
                object: "Case".into(),
                origin: if *auto {
                    LinkOrigin::Auto
                } else {
                    LinkOrigin::Manual
                },
                trigger: Trigger::Scheduler,
            }),
        ),
        Step::Unlink(i, r) => link_event(
            *i,
            *r,
            LinkEvent::Unlinked(Unlinked {
                trigger: Trigger::Panel,
                reason: None,
            }),
        ),
        Step::Observe(i, r, s) => {
            let mut values = serde_json::Map::new();
            values.insert("Subject".into(), serde_json::Value::from(s.clone()));
            link_event(
                *i,
                *r,
                LinkEvent::RecordObserved(RecordObserved {
                    values,
                    system_modstamp: None,
                    read_at: None,
                    trigger: Trigger::Refresh,
                }),
            )
        }
        Step::Fail(i, r, op, retry) => link_event(
            *i,
            *r,
            LinkEvent::SyncFailed(SyncFailed {
                operation: [
                    operations::PULL_FIELDS,
                    operations::STATUS,
                    operations::COMMENTS,
                ][*op]
                    .into(),
                error: "boom".into(),
                will_retry: *retry,
                attempt: 1,
                next_retry_at: None,
            }),
        ),
        Step::Pull(i, r) => link_event(
            *i,
            *r,
            LinkEvent::FieldPulled(FieldPulled {
                salesforce_field: "Subject".into(),
                jira_field: "summary".into(),
                value: "x".into(),
                fingerprint: "f".into(),
                source_modstamp: None,
                reason: FieldReason::OnlyThisSideChanged,
                jira_changed_at: None,
            }),
        ),
        Step::Status(i, r, jira) => link_event(
            *i,
            *r,
            LinkEvent::StatusWon(StatusWon {
                winner: if *jira { Side::Jira } else { Side::Salesforce },
                reason: StatusReason::LaterChange,
                salesforce_value: Some("Working".into()),
                jira_value: Some("Done".into()),
                salesforce_changed_at: None,
                jira_changed_at: None,
                written: Some("Closed".into()),
            }),
        ),
        Step::Comment(i, r) => link_event(
            *i,
            *r,
            LinkEvent::CommentPaired(CommentPaired {
                origin: Side::Salesforce,
                salesforce_ids: vec![SalesforceId::parse("00axx000001AbCd").expect("id")],
                salesforce_kind: SalesforceCommentKind::CaseComment,
                jira_comment_id: "10100".into(),
                fingerprint: "f".into(),
            }),
        ),
        Step::Attach(i, r, skipped) => link_event(
            *i,
            *r,
            if *skipped {
                LinkEvent::AttachmentSkipped(AttachmentSkipped {
                    origin: Side::Salesforce,
                    source_id: cv.to_string(),
                    filename: "big.bin".into(),
                    size: 12 << 20,
                    reason: "over the ceiling".into(),
                })
            } else {
                LinkEvent::AttachmentPaired(AttachmentPaired {
                    origin: Side::Jira,
                    content_document_id: None,
                    content_version_id: cv.clone(),
                    jira_attachment_id: "10200".into(),
                    filename: "a.txt".into(),
                    size: 3,
                })
            },
        ),
        Step::Run(i, ok) => (
            streams::scheduler(),
            encode(
                &SchedulerEvent::RunFinished(RunFinished {
                    run_id: uuid::Uuid::now_v7(),
                    items: vec![ItemRun {
                        item_id: item(*i),
                        outcome: if *ok {
                            ItemOutcome::Completed
                        } else {
                            ItemOutcome::Failed {
                                error: "down".into(),
                            }
                        },
                        counts: RunCounts {
                            records_seen: 1,
                            ..RunCounts::default()
                        },
                        watermarks: sfjira::events::scheduler::Watermarks {
                            records: ok.then(Utc::now),
                            ..Default::default()
                        },
                        salesforce_calls: 2,
                    }],
                    duration_ms: 5,
                }),
                Meta::default(),
            ),
        ),
    }
}

type Snapshot = BTreeMap<String, Vec<(Vec<u8>, Vec<u8>)>>;

fn snapshot(projections: &Projections) -> Snapshot {
    projections
        .handles()
        .iter()
        .map(|h| {
            (
                h.name().to_string(),
                h.view().scan_prefix(b"").expect("scan"),
            )
        })
        .collect()
}

async fn live_then_rebuilt(steps: Vec<Step>) -> (Snapshot, Snapshot, Vec<bool>) {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let projections = Projections::open(store.clone(), None).expect("open");
    let cancel = CancellationToken::new();
    projections.spawn(&cancel);
    for step in &steps {
        let (stream, data) = to_event(step);
        store
            .append(&stream, ExpectedVersion::Any, vec![data])
            .await
            .expect("append");
    }
    assert!(projections.wait_for_head(Duration::from_secs(10)).await);
    let live = snapshot(&projections);
    let mut clean = Vec::new();
    for handle in projections.handles() {
        clean.push(handle.verify().await.expect("verify").is_clean());
        handle.rebuild().await.expect("rebuild");
    }
    let rebuilt = snapshot(&projections);
    cancel.cancel();
    (live, rebuilt, clean)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn views_rebuilt_from_the_log_equal_the_live_ones(steps in proptest::collection::vec(step(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (live, rebuilt, clean) = runtime.block_on(live_then_rebuilt(steps));
        prop_assert!(clean.iter().all(|c| *c), "verify found a difference on a live view");
        prop_assert_eq!(live, rebuilt);
    }
}

#[actix_web::test]
async fn verify_names_a_tampered_row_and_rebuild_repairs_it() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let projections = Projections::open(store.clone(), None).expect("open");
    let cancel = CancellationToken::new();
    projections.spawn(&cancel);
    for step in [Step::DefineItem(0, true), Step::Link(0, 0, 0, false)] {
        let (stream, data) = to_event(&step);
        store
            .append(&stream, ExpectedVersion::Any, vec![data])
            .await
            .expect("append");
    }
    assert!(projections.wait_for_head(Duration::from_secs(10)).await);
    let panel = projections.get("panel").expect("panel").clone();
    let view = panel.view();
    let old_name = view.name().to_string();
    let key = format!("card/SUP-1/{}", item(0));
    let mut card: serde_json::Value =
        serde_json::from_slice(&view.get(key.as_bytes()).expect("get").expect("card exists"))
            .expect("json");
    card["origin"] = "auto".into();
    let checkpoint = view.checkpoint().expect("checkpoint");
    view.commit(
        vec![(
            key.clone().into_bytes(),
            Some(serde_json::to_vec(&card).expect("json")),
        )],
        checkpoint,
    )
    .expect("tamper");
    let diff = panel.verify().await.expect("verify");
    assert_eq!(diff.different, vec![key.clone()]);
    let report = panel.rebuild().await.expect("rebuild");
    assert_eq!(report.old_tree, old_name);
    assert_ne!(
        report.new_tree, old_name,
        "a rebuild writes a new generation"
    );
    assert!(panel.verify().await.expect("verify").is_clean());
    let repaired: serde_json::Value = serde_json::from_slice(
        &panel
            .view()
            .get(key.as_bytes())
            .expect("get")
            .expect("card"),
    )
    .expect("json");
    assert_eq!(repaired["origin"], "manual");
    cancel.cancel();
}

#[actix_web::test]
async fn opening_drops_the_views_of_a_retired_projection_and_keeps_the_others() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let views = store.views();
    let retired = views.open_view("timeline:v1:g1").expect("open");
    retired
        .commit(vec![(b"link/x/1".to_vec(), Some(b"{}".to_vec()))], 0)
        .expect("commit");
    views
        .set_meta("projection:timeline", Some(b"timeline:v1:g1".to_vec()))
        .expect("meta");
    let first = Projections::open(store.clone(), None).expect("open");
    let before: Vec<String> = views.list_views().expect("list");
    assert!(
        !before.iter().any(|v| v.starts_with("timeline:")),
        "{before:?}"
    );
    assert_eq!(views.get_meta("projection:timeline").expect("meta"), None);
    assert!(first.get("timeline").is_none());
    let names: Vec<&str> = first.handles().iter().map(|h| h.name()).collect();
    assert_eq!(names, ["links", "panel", "admin"]);
    for name in ["links", "panel", "admin"] {
        assert!(
            before.iter().any(|v| v.starts_with(&format!("{name}:"))),
            "{name} view kept: {before:?}"
        );
    }
}
