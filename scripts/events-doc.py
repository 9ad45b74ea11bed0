#!/usr/bin/env python3
"""Writes docs/events.md from the golden fixtures and the descriptions below.

Run it after adding or changing an event type; tests/event_catalogue.rs checks that the
document names every type and shows each current fixture's payload exactly.
"""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

DESCRIPTIONS = {
    "link.linked": "An issue and a record were linked, by a person in the panel (`manual`) or by the scheduler with an auto-created issue (`auto`). Opens the stream; a later `link.linked` after `link.unlinked` re-links. **History:** v1 (first release) had no `origin`, `issue_id` or `trigger`; it is upcast with `origin: manual`, `issue_id: null`, `trigger: panel`.",
    "link.unlinked": "The link was removed (manual links only, from the panel or the admin API). Nothing is deleted on either side.",
    "link.record_observed": "The Salesforce record's preview and mapped values were read and differ from the last observation; backs the panel preview. Never written when nothing changed. `read_at` (optional; absent in older events and when unknown) is Salesforce's clock when the read answered, to the second: Salesforce stamps records to the second, so a run that reads the record again with the same `SystemModstamp` treats it as nothing new only when `read_at` is a later second than the stamp; otherwise an edit made later in that second could share the stamp, and the record is looked at again.",
    "link.field_pulled": "A mapped Salesforce value was written to the Jira issue. `fingerprint` (of the Salesforce value) is the value both sides now hold, so the next webhook recognises the change as our own echo and the next conflict has a common ancestor. `reason` says why Salesforce's value held: `first_sync`, `only_this_side_changed`, `changed_later` (both changed; `jira_changed_at` is Jira's change it beat) or `tie_goes_to_salesforce`. **History:** v1 had no `reason` or `jira_changed_at`; it is upcast with `only_this_side_changed` and `null`.",
    "link.field_pushed": "A mapped Jira value was written to the Salesforce record (two-way items only). `source_updated` is when the field changed in Jira; `reason` says why Jira's value held (`only_this_side_changed` or `changed_later`); `salesforce_modstamp` and `replaced_fingerprint` are the record's `SystemModstamp` and the value read just before the write, so a scheduled snapshot stamped at or before it that still shows the replaced value is known to predate the write (Salesforce stamps to the second, so the stamp alone cannot tell). **History:** v1 had none of `reason`, `salesforce_modstamp`, `replaced_fingerprint`; it is upcast with `only_this_side_changed`, `null`, `null`.",
    "link.field_in_step": "Both sides were found holding the same value of a mapped field while the link remembered another (people typed the same on both sides; a new link or mapping met equal values). Nothing was written; the value is remembered as agreed so that neither side writes it or reads the other for it again.",
    "link.status_won": "Status sync chose a winner: `initial` (first sync, Salesforce initialises Jira) or `later_change` (the side whose status changed later). Carries both values and both timestamps, and what was written on the losing side.",
    "link.status_not_written": "No safe status exists on the target side (no name match, no reachable status of the same category); nothing was written and the reason is shown on the card.",
    "link.comment_paired": "A comment now exists on both sides; `origin` says where it was written first. Several Salesforce ids when a long Jira comment was split to fit: numbered CaseComments of at most 4,000 bytes, or on a feed a post (`FeedItem`) followed by replies to it (`FeedComment`, ids starting `0D7`) of at most 10,000.",
    "link.comment_updated": "An edited comment was mirrored onto its pair.",
    "link.attachment_paired": "A file now exists on both sides.",
    "link.attachment_skipped": "A file was not copied, with the reason (over the ceiling, over Jira's upload limit).",
    "link.issue_read": "The linked issue was read and everything it showed was handled, as of its `updated` time (recorded only when that time moved and no step must be retried). The Jira sweep skips an issue no newer than this, so an issue seen again only because the sweep's window overlaps costs no call.",
    "link.note_written": "The link note (issue key, URL, item name, manual or automatic) now stands on the Salesforce record.",
    "link.sync_failed": "An operation failed; `will_retry` says whether a retry can succeed and `next_retry_at` when it is due. Failures appear on the item's attention list and the card until the operation next succeeds.",
    "link.failure_dismissed": "An admin dismissed a failure from the item's dead-letter list; it no longer needs attention and is not retried.",
    "link.remote_write_intended": "Recorded durably *before* a remote create (issue, comment, file, note). `marker` is what the created object carries; after a crash an unsettled intent is re-driven by looking for the marker first. `at` is when the attempt began. **History:** v1 had no `at`; it is upcast with `at: null`.",
    "link.remote_write_unconfirmed": "A create was sent but its answer was lost (a timeout, a dropped connection, a 5xx or 429 after the request left): it may or may not exist. It is never sent again as is; the next attempt looks for the marker, and creates only when the lookup is empty after `absent_if_unseen_after` — once the request cannot still be in flight and, for a lookup through Jira's search index, the index has had time to show it.",
    "link.remote_write_settled": "How an intended create ended: `created`, `found_existing` (found by its marker after a restart or a lost answer) or `abandoned`.",
    "item.defined": "A Smart Connected Item was created; carries the whole definition, the labels and baseline of the moment (`context`: the newest `SystemModstamp` of the object, after which scheduled runs start) and the warnings shown on save.",
    "item.changed": "An item was edited; carries the whole new definition and context, and which settings changed.",
    "item.deleted": "An item was deleted; its links stop syncing (their history stays).",
    "connection.validated": "Salesforce credentials were checked (token, organization, instance URL) and saved. The secret is never in the log: it is encrypted at rest outside it; only its fingerprint is recorded.",
    "connection.revoked": "The connection was revoked and its encrypted secret erased.",
    "scheduler.run_started": "A reconciliation run began (`scheduled` tick or `manual` sync now); `run_id` is the correlation id of everything it causes.",
    "scheduler.run_finished": "A run ended, with per-item outcome, counts, Salesforce calls and the new watermarks (records by `SystemModstamp`; comments and files by their own `CreatedDate`, since a new comment does not move its record). The next incremental queries start from the last watermarks recorded here. `fields_pushed` counts two-way values the run's Jira sweep wrote to Salesforce. **History:** v1 had no `fields_pushed`; it is upcast with 0.",
    "webhook.received": "A verified Jira webhook delivery, appended before it is acknowledged. Its stream is named from `X-Atlassian-Webhook-Identifier`, so a retried delivery is stored once.",
}

STREAMS = [
    ("link-{uuid}", "One issue↔record link. The link id is derived from the item and the record (uuid v5), so \"the link for this record\" always names the same stream.", "link."),
    ("item-{uuid}", "One Smart Connected Item.", "item."),
    ("connection", "The Salesforce connection.", "connection."),
    ("scheduler", "Reconciliation runs.", "scheduler."),
    ("webhook-{uuid}", "One Jira webhook delivery; the uuid is derived from `X-Atlassian-Webhook-Identifier`, and the stream is appended with \"no stream yet\" expected, so Jira's retries of a delivery are recognised as duplicates.", "webhook."),
]

HEADER = """# Event catalogue

Everything sfjira knows is an event in one append-only log. Each event has a stable type string
(never a Rust type name), a schema version, a JSON payload, and an envelope: global sequence
(gap-free, commit order), stream and version within it, event id (uuid v7), `recorded_at`,
causation and correlation ids, and the SHA-256 hash chain (`prev_hash`, `hash`).

Old schema versions are never rewritten: they are upcast on read (`src/events/upcast.rs`).
Every example below is the golden fixture under `tests/fixtures/events/<type>/v<N>.json`; a test
checks that each fixture decodes and re-encodes to exactly the payload shown, and that this
document shows every type with its current fixture. Regenerate it with
`python3 scripts/events-doc.py`.
"""


def current_version(event_type):
    versions = [int(f[1:-5]) for f in os.listdir(os.path.join(ROOT, "tests/fixtures/events", event_type))]
    return max(versions)


def main():
    out = [HEADER]
    for stream, about, prefix in STREAMS:
        out += [f"## Stream `{stream}`", "", about, ""]
        for event_type, text in DESCRIPTIONS.items():
            if not event_type.startswith(prefix):
                continue
            version = current_version(event_type)
            path = os.path.join(ROOT, "tests/fixtures/events", event_type, f"v{version}.json")
            with open(path) as f:
                payload = json.load(f)["payload"]
            out += [f"### `{event_type}` (v{version})", "", text, "", "```json",
                    json.dumps(payload, indent=2, ensure_ascii=False), "```", ""]
    with open(os.path.join(ROOT, "docs/events.md"), "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
