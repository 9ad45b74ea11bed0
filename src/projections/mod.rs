//! Read models built from the log: the issue panel, the admin view and the audit timeline.
