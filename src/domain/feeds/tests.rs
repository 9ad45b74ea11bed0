//! The change feeds' bookkeeping, given watermarks and what a run saw.

use super::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .expect("time")
}

fn id(s: &str) -> SalesforceId {
    SalesforceId::parse(s).expect("id")
}

#[test]
fn the_window_reaches_back_an_overlap_until_a_later_read_proves_it_settled() {
    let overlap = Duration::seconds(60);
    let mark = at("2024-05-01T10:00:00Z");
    let last = id("500xx000000bQ2L");
    let recent = RecordsMark {
        stamp: Some(mark),
        last_id: Some(last.clone()),
        read_at: Some(at("2024-05-01T10:00:30Z")),
    };
    assert_eq!(
        records_window(&recent, None, overlap),
        RecordWindow::Since(mark - overlap)
    );
    let settled = RecordsMark {
        read_at: Some(at("2024-05-01T10:05:00Z")),
        ..recent.clone()
    };
    assert_eq!(
        records_window(&settled, None, overlap),
        RecordWindow::After(mark, last)
    );
    let first = RecordsMark::default();
    assert_eq!(
        records_window(&first, Some(mark), overlap),
        RecordWindow::Since(mark - overlap)
    );
    assert_eq!(records_window(&first, None, overlap), RecordWindow::All);
}

#[test]
fn the_records_watermark_stops_before_the_first_unhandled_record() {
    let records = || {
        vec![
            (
                Some(id("500xx000000bQ2L")),
                Some(at("2024-05-01T10:00:00Z")),
            ),
            (
                Some(id("500xx000000bQ3L")),
                Some(at("2024-05-01T10:01:00Z")),
            ),
            (
                Some(id("500xx000000bQ4L")),
                Some(at("2024-05-01T10:02:00Z")),
            ),
        ]
    };
    let failed: BTreeSet<SalesforceId> = [id("500xx000000bQ3L")].into_iter().collect();
    let (stamp, last) = advance_records(&RecordsMark::default(), records(), &failed);
    assert_eq!(stamp, Some(at("2024-05-01T10:00:00Z")));
    assert_eq!(last, Some(id("500xx000000bQ2L")));
    let (stamp, last) = advance_records(&RecordsMark::default(), records(), &BTreeSet::new());
    assert_eq!(stamp, Some(at("2024-05-01T10:02:00Z")));
    assert_eq!(last, Some(id("500xx000000bQ4L")));
}

#[test]
fn a_comment_or_file_of_an_unhandled_record_holds_its_feed() {
    let case = id("500xx000000bQ2L");
    let other = id("500xx000000bQ3L");
    let mark = Some(at("2024-05-01T09:00:00Z"));
    let items = [
        (&case, at("2024-05-01T10:00:00Z")),
        (&other, at("2024-05-01T10:05:00Z")),
    ];
    assert_eq!(
        advance_feed(mark, items, None, &BTreeSet::new()),
        Some(at("2024-05-01T10:05:00Z"))
    );
    let unhandled: BTreeSet<SalesforceId> = [case.clone()].into_iter().collect();
    assert_eq!(advance_feed(mark, items, None, &unhandled), mark, "held");
    assert_eq!(
        advance_feed(mark, [], None, &unhandled),
        mark,
        "nothing read"
    );
    let org_wide = Some(at("2024-05-01T10:09:00Z"));
    assert_eq!(
        advance_feed(mark, [], org_wide, &unhandled),
        org_wide,
        "rows on other objects' records move it too"
    );
    assert_eq!(
        advance_feed(mark, items, org_wide, &unhandled),
        mark,
        "still held"
    );
}

fn change(modstamp: &str, created: &str, news: bool) -> RecordChange {
    RecordChange {
        modstamp: Some(at(modstamp)),
        created: Some(at(created)),
        has_new_comments_or_files: news,
    }
}

#[test]
fn a_linked_record_seen_again_only_through_the_overlap_gets_no_job() {
    let item = ItemId::new();
    let record = id("500xx000000bQ2L");
    let link = LinkedRecord {
        link_id: LinkId::for_record(item, &record),
        observed_modstamp: Some(at("2024-05-01T10:00:00Z")),
        observed_read_at: Some(at("2024-05-01T10:00:03Z")),
    };
    let again = change("2024-05-01T10:00:00Z", "2024-05-01T08:00:00Z", false);
    assert_eq!(
        classify(item, &record, &again, Some(&link), true, None),
        None
    );
    let edited = change("2024-05-01T10:01:00Z", "2024-05-01T08:00:00Z", false);
    assert_eq!(
        classify(item, &record, &edited, Some(&link), true, None),
        Some(Job::Pull(link.link_id))
    );
    let commented = change("2024-05-01T10:00:00Z", "2024-05-01T08:00:00Z", true);
    assert_eq!(
        classify(item, &record, &commented, Some(&link), false, None),
        Some(Job::Pull(link.link_id)),
        "a new comment is news even when the record is not"
    );
}

#[test]
fn a_record_with_the_observed_stamp_is_news_unless_the_observation_was_read_a_second_later() {
    let item = ItemId::new();
    let record = id("500xx000000bQ2L");
    let stamp = "2024-05-01T10:00:00Z";
    let same = change(stamp, "2024-05-01T08:00:00Z", false);
    let read_in = |read: Option<&str>| LinkedRecord {
        link_id: LinkId::for_record(item, &record),
        observed_modstamp: Some(at(stamp)),
        observed_read_at: read.map(at),
    };
    for read in [None, Some(stamp), Some("2024-05-01T10:00:00.900Z")] {
        let link = read_in(read);
        assert_eq!(
            classify(item, &record, &same, Some(&link), false, None),
            Some(Job::Pull(link.link_id)),
            "observed in the stamp's own second ({read:?}): an edit later that second shares it"
        );
    }
    let settled = read_in(Some("2024-05-01T10:00:01Z"));
    assert_eq!(
        classify(item, &record, &same, Some(&settled), false, None),
        None
    );
}

#[test]
fn an_unlinked_record_is_created_only_by_auto_create_and_only_after_the_baseline() {
    let item = ItemId::new();
    let record = id("500xx000000bQ2L");
    let baseline = Some(at("2024-05-01T09:00:00Z"));
    let new = change("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z", false);
    let old = change("2024-05-01T10:00:00Z", "2024-05-01T08:00:00Z", false);
    assert_eq!(
        classify(item, &record, &new, None, true, baseline),
        Some(Job::Create(LinkId::for_record(item, &record)))
    );
    assert_eq!(classify(item, &record, &old, None, true, baseline), None);
    assert_eq!(classify(item, &record, &new, None, false, baseline), None);
}

#[test]
fn the_jira_sweep_reaches_back_an_overlap_until_a_later_sweep_proves_it_settled() {
    let (overlap, lag) = (Duration::seconds(60), Duration::seconds(30));
    let defined = at("2024-05-01T09:00:00Z");
    let stamp = Some(at("2024-05-01T10:00:00Z"));
    assert_eq!(
        jira_sweep_since(None, None, defined, overlap, lag),
        at("2024-05-01T08:59:00Z"),
        "first sweep: an overlap before the item was defined"
    );
    let soon = Some(at("2024-05-01T10:01:00Z"));
    assert_eq!(
        jira_sweep_since(stamp, soon, defined, overlap, lag),
        at("2024-05-01T09:59:00Z"),
        "the index may still show an older change"
    );
    let later = Some(at("2024-05-01T10:05:00Z"));
    assert_eq!(
        jira_sweep_since(stamp, later, defined, overlap, lag),
        at("2024-05-01T10:00:00Z"),
        "settled: a quiet project is not read again"
    );
}

#[test]
fn org_wide_feeds_stop_reaching_back_once_a_later_read_proves_them_settled() {
    let overlap = Duration::seconds(60);
    let mark = at("2024-05-01T10:00:00Z");
    let baseline = at("2024-04-30T08:00:00Z");
    // Given a comment watermark read 30 s after the newest row: rows may still appear behind it.
    assert_eq!(
        feed_since(Some(mark), Some(at("2024-05-01T10:00:30Z")), None, overlap),
        Some(mark - overlap)
    );
    // Given the last read an overlap (and the Date header's second) after it: none can.
    assert_eq!(
        feed_since(Some(mark), Some(at("2024-05-01T10:01:01Z")), None, overlap),
        Some(mark)
    );
    // A read just under that still reaches back.
    assert_eq!(
        feed_since(Some(mark), Some(at("2024-05-01T10:01:00Z")), None, overlap),
        Some(mark - overlap)
    );
    // Never read: the overlap before the watermark, or before the baseline, or everything.
    assert_eq!(
        feed_since(Some(mark), None, None, overlap),
        Some(mark - overlap)
    );
    assert_eq!(
        feed_since(None, Some(mark), Some(baseline), overlap),
        Some(baseline - overlap)
    );
    assert_eq!(feed_since(None, None, None, overlap), None);
}
