//! Views: rows and checkpoint committed together, and a view's metadata and lifecycle.

use crate::*;

pub async fn views_commit_rows_and_checkpoint_together(store: Arc<dyn EventStore>) {
    let views = store.views();
    let view = views.open_view("panel:v1").expect("open view");
    assert_eq!(view.name(), "panel:v1");
    assert_eq!(view.checkpoint().expect("checkpoint"), 0);
    store
        .append(&stream("link-v"), ExpectedVersion::NoStream, evs(5))
        .await
        .expect("append");

    view.commit(
        vec![
            (b"a/1".to_vec(), Some(b"one".to_vec())),
            (b"a/2".to_vec(), Some(b"two".to_vec())),
            (b"b/1".to_vec(), Some(b"other".to_vec())),
        ],
        3,
    )
    .expect("commit");
    assert_eq!(view.checkpoint().expect("checkpoint"), 3);
    assert_eq!(view.get(b"a/1").expect("get"), Some(b"one".to_vec()));
    assert_eq!(view.get(b"zzz").expect("get"), None);
    let rows = view.scan_prefix(b"a/").expect("scan");
    assert_eq!(
        rows,
        vec![
            (b"a/1".to_vec(), b"one".to_vec()),
            (b"a/2".to_vec(), b"two".to_vec())
        ]
    );
    // The checkpoint is not a row.
    assert_eq!(view.scan_prefix(b"").expect("scan").len(), 3);

    view.commit(vec![(b"a/1".to_vec(), None)], 5)
        .expect("delete");
    assert_eq!(view.get(b"a/1").expect("get"), None);
    assert_eq!(view.checkpoint().expect("checkpoint"), 5);

    // A checkpoint beyond the log head, or going back, is refused and changes nothing.
    assert!(matches!(
        view.commit(vec![(b"c".to_vec(), Some(vec![1]))], 6),
        Err(StoreError::CheckpointAhead {
            checkpoint: 6,
            head: 5,
            ..
        })
    ));
    assert!(matches!(
        view.commit(vec![(b"c".to_vec(), Some(vec![1]))], 4),
        Err(StoreError::CheckpointRegressed { current: 5, .. })
    ));
    assert_eq!(view.get(b"c").expect("get"), None);
    assert_eq!(view.checkpoint().expect("checkpoint"), 5);

    // The same view opened again shares its data.
    let again = views.open_view("panel:v1").expect("reopen view");
    assert_eq!(again.get(b"a/2").expect("get"), Some(b"two".to_vec()));

    view.clear().expect("clear");
    assert_eq!(view.checkpoint().expect("checkpoint"), 0);
    assert!(view.scan_prefix(b"").expect("scan").is_empty());
    view.commit(vec![], 2).expect("rebuild from scratch");
}

pub async fn view_meta_and_lifecycle(store: Arc<dyn EventStore>) {
    let views = store.views();
    assert!(matches!(
        views.open_view("Bad Name"),
        Err(StoreError::InvalidViewName { .. })
    ));
    assert!(matches!(
        views.open_view(""),
        Err(StoreError::InvalidViewName { .. })
    ));
    views.open_view("panel:v1").expect("open");
    views.open_view("admin:v1").expect("open");
    assert_eq!(
        views.list_views().expect("list"),
        vec!["admin:v1".to_owned(), "panel:v1".to_owned()]
    );
    assert!(views.drop_view("panel:v1").expect("drop"));
    assert!(!views.drop_view("panel:v1").expect("drop again"));
    assert_eq!(
        views.list_views().expect("list"),
        vec!["admin:v1".to_owned()]
    );
    let fresh = views.open_view("panel:v1").expect("recreate");
    assert_eq!(fresh.checkpoint().expect("checkpoint"), 0);
    assert!(fresh.scan_prefix(b"").expect("scan").is_empty());

    assert_eq!(views.get_meta("panel.active").expect("meta"), None);
    views
        .set_meta("panel.active", Some(b"2".to_vec()))
        .expect("set meta");
    assert_eq!(
        views.get_meta("panel.active").expect("meta"),
        Some(b"2".to_vec())
    );
    views.set_meta("panel.active", None).expect("unset meta");
    assert_eq!(views.get_meta("panel.active").expect("meta"), None);
}
