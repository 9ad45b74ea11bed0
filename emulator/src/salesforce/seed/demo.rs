//! The demo org's business data: a few accounts with contacts, leads, opportunities, a
//! contract, an order and a quote, a dozen cases in every status with comments, Chatter posts
//! and replies, and some small files. Timestamps lie in the weeks before the emulated now.

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::salesforce::setup::system_ctx;
use crate::salesforce::store::Org;
use crate::salesforce::values::{fmt_date, fmt_datetime};
use crate::salesforce::write::{self, WriteOpts};

const ACCOUNTS: &[(&str, &str, &str, &str)] = &[
    (
        "Acme Corporation",
        "Manufacturing",
        "+1 415 555 0100",
        "https://acme.example.com",
    ),
    (
        "Globex Logistics",
        "Transportation",
        "+1 312 555 0142",
        "https://globex.example.com",
    ),
    (
        "Initech Software",
        "Technology",
        "+1 512 555 0199",
        "https://initech.example.com",
    ),
    (
        "Umbrella Health",
        "Healthcare",
        "+1 617 555 0123",
        "https://umbrella.example.com",
    ),
];

/// (first, last, title, account index)
const CONTACTS: &[(&str, &str, &str, usize)] = &[
    ("Jane", "Gray", "IT Director", 0),
    ("Omar", "Haddad", "Plant Manager", 0),
    ("Priya", "Natarajan", "Operations Lead", 1),
    ("Tom", "Becker", "CTO", 2),
    ("Lucia", "Fernandez", "Support Manager", 2),
    ("Ken", "Watanabe", "Head of Procurement", 3),
];

/// (subject, status, priority, origin, type, reason, account, contact, days ago, description)
#[allow(clippy::type_complexity)]
const CASES: &[(&str, &str, &str, &str, &str, &str, usize, usize, i64, &str)] = &[
    (
        "Conveyor belt stops after firmware update",
        "New",
        "High",
        "Phone",
        "Electronic",
        "Breakdown",
        0,
        0,
        21,
        "Since updating the controller firmware to 4.2 the main conveyor halts every few hours.",
    ),
    (
        "Request for maintenance schedule",
        "Working",
        "Low",
        "Email",
        "Other",
        "Feedback",
        0,
        1,
        19,
        "Customer asks for next quarter's preventive maintenance dates.",
    ),
    (
        "Tracking portal shows wrong ETA",
        "Escalated",
        "High",
        "Web",
        "Electronic",
        "Performance",
        1,
        2,
        17,
        "ETAs in the portal are off by exactly one time zone.",
    ),
    (
        "Invoice PDF cannot be opened",
        "Closed",
        "Medium",
        "Email",
        "Other",
        "Other",
        1,
        2,
        16,
        "The invoice attachment is reported as damaged.",
    ),
    (
        "SSO login loops back to sign-in page",
        "Working",
        "High",
        "Web",
        "Electronic",
        "Performance",
        2,
        3,
        14,
        "Users are redirected back to the login page after authenticating.",
    ),
    (
        "API rate limit errors during nightly import",
        "Waiting on Customer",
        "Medium",
        "Email",
        "Electronic",
        "Performance",
        2,
        4,
        12,
        "Nightly import gets HTTP 429 after about 10,000 records.",
    ),
    (
        "Replacement part for pump housing",
        "New",
        "Medium",
        "Phone",
        "Mechanical",
        "Equipment Design",
        0,
        1,
        10,
        "Cracked pump housing on line 3 needs a replacement part.",
    ),
    (
        "Data export missing custom fields",
        "Working",
        "Low",
        "Web",
        "Other",
        "Feedback",
        2,
        3,
        8,
        "CSV export omits all custom fields.",
    ),
    (
        "Lab analyzer calibration drift",
        "Escalated",
        "High",
        "Phone",
        "Electrical",
        "Performance",
        3,
        5,
        6,
        "Analyzer readings drift by 3% within a day of calibration.",
    ),
    (
        "Training request for new staff",
        "Closed",
        "Low",
        "Email",
        "Other",
        "Installation",
        3,
        5,
        5,
        "Onboarding session for six new lab technicians.",
    ),
    (
        "Shipment damaged in transit",
        "New",
        "High",
        "Web",
        "Structural",
        "Breakdown",
        1,
        2,
        3,
        "Two pallets arrived with crushed corners.",
    ),
    (
        "Mobile app crashes on upload",
        "Working",
        "Medium",
        "Web",
        "Electronic",
        "Breakdown",
        2,
        4,
        1,
        "The app crashes when uploading photos larger than 10 MB.",
    ),
];

const COMMENTS: &[(usize, &str, bool, i64)] = &[
    (
        0,
        "Collected controller logs from the customer; looking at watchdog resets.",
        false,
        20,
    ),
    (
        0,
        "Workaround: disable the new energy-saving mode until a fix ships.",
        true,
        19,
    ),
    (1, "Sent the draft schedule for review.", true, 18),
    (2, "Reproduced: the portal converts UTC twice.", false, 16),
    (
        2,
        "Engineering has a fix scheduled for the next release.",
        true,
        15,
    ),
    (
        3,
        "Re-sent the invoice generated from the new template; customer confirmed it opens.",
        true,
        15,
    ),
    (
        4,
        "Cookie domain mismatch after the DNS change suspected.",
        false,
        13,
    ),
    (
        5,
        "Asked the customer to batch requests and honour Retry-After.",
        true,
        11,
    ),
    (8, "Field engineer booked for Thursday.", true, 5),
    (
        11,
        "Crash report points at image resizing on older devices.",
        false,
        1,
    ),
];

/// (case, post, replies, days ago)
const POSTS: &[(usize, &str, &[&str], i64)] = &[
    (
        0,
        "Is anyone else seeing halts with firmware 4.2?",
        &[
            "Two other sites reported the same.",
            "Rolling back fixed it for them.",
        ],
        20,
    ),
    (
        2,
        "Portal ETA bug: customer asks for a status update.",
        &["Fix is in QA."],
        15,
    ),
    (
        4,
        "SSO loop — can someone from identity take a look?",
        &[],
        13,
    ),
    (
        8,
        "Calibration drift: we need the lab's temperature logs.",
        &[
            "Requested from the customer.",
            "Logs received, drift correlates with room temperature.",
        ],
        5,
    ),
    (
        11,
        "Mobile crash affects only Android 11 so far.",
        &["Confirmed on a second device."],
        1,
    ),
];

/// (case, file name, content, days ago)
const FILES: &[(usize, &str, &str, i64)] = &[
    (
        0,
        "controller-log.txt",
        "2024-05-01T10:00:00Z watchdog reset\n2024-05-01T13:12:09Z watchdog reset\n",
        20,
    ),
    (
        2,
        "eta-screenshot-notes.txt",
        "Portal ETA 14:00, carrier ETA 13:00 (UTC+1).\n",
        16,
    ),
    (
        8,
        "calibration.csv",
        "time,reading\n08:00,100.0\n12:00,101.4\n16:00,103.1\n",
        5,
    ),
];

fn at(now: DateTime<Utc>, days_ago: i64, hours: i64) -> Value {
    Value::String(fmt_datetime(
        now - Duration::days(days_ago) + Duration::hours(hours),
    ))
}

fn put(org: &mut Org, user: &str, now: DateTime<Utc>, object: &str, body: Value) -> String {
    let ctx = system_ctx(user, now);
    match write::create(org, &ctx, object, &body, None, WriteOpts::system()) {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(object, error = %e, "demo seed record refused");
            String::new()
        }
    }
}

/// Adds the demo data, owned by `admin`.
pub fn load(org: &mut Org, admin: &str, now: DateTime<Utc>) {
    let accounts: Vec<String> = ACCOUNTS
        .iter()
        .enumerate()
        .map(|(i, (name, industry, phone, web))| {
            let city = ["San Francisco", "Chicago", "Austin", "Boston"][i % 4];
            put(
                org,
                admin,
                now,
                "Account",
                json!({
                    "Name": name, "Industry": industry, "Phone": phone, "Website": web,
                    "Type": "Customer - Direct", "BillingCity": city,
                    "CreatedDate": at(now, 60 - i as i64, 9),
                }),
            )
        })
        .collect();
    let contacts: Vec<String> = CONTACTS
        .iter()
        .enumerate()
        .map(|(i, (first, last, title, account))| {
            let email = format!(
                "{}.{}@{}.example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                ACCOUNTS[*account]
                    .0
                    .split(' ')
                    .next()
                    .unwrap_or("x")
                    .to_lowercase()
            );
            put(
                org,
                admin,
                now,
                "Contact",
                json!({
                    "FirstName": first, "LastName": last, "Title": title, "Email": email,
                    "Phone": format!("+1 555 010 {:04}", 1000 + i), "AccountId": accounts[*account],
                    "CreatedDate": at(now, 55 - i as i64, 10),
                }),
            )
        })
        .collect();
    for (i, (first, last, company, status)) in [
        (
            "Mia",
            "Schultz",
            "Northwind Traders",
            "Open - Not Contacted",
        ),
        ("Raj", "Patel", "Contoso Pharma", "Working - Contacted"),
        (
            "Elena",
            "Rossi",
            "Fabrikam Energy",
            "Closed - Not Converted",
        ),
    ]
    .iter()
    .enumerate()
    {
        put(
            org,
            admin,
            now,
            "Lead",
            json!({
                "FirstName": first, "LastName": last, "Company": company, "Status": status,
                "Email": format!("{}@{}.example.com", first.to_lowercase(), company.split(' ').next().unwrap_or("x").to_lowercase()),
                "LeadSource": "Web", "CreatedDate": at(now, 30 - i as i64 * 5, 11),
            }),
        );
    }
    let today = now.date_naive();
    let mut opportunities = Vec::new();
    for (i, (name, stage, amount, account)) in [
        (
            "Acme line 4 expansion",
            "Proposal/Price Quote",
            125_000.0,
            0,
        ),
        ("Globex fleet telematics", "Negotiation/Review", 48_500.0, 1),
        ("Initech support renewal", "Closed Won", 18_000.0, 2),
    ]
    .iter()
    .enumerate()
    {
        opportunities.push(put(
            org,
            admin,
            now,
            "Opportunity",
            json!({
                "Name": name, "StageName": stage, "Amount": amount, "AccountId": accounts[*account],
                "CloseDate": fmt_date(today + Duration::days(30 + 15 * i as i64)),
                "CreatedDate": at(now, 40 - i as i64 * 3, 14),
            }),
        ));
    }
    let contract = put(
        org,
        admin,
        now,
        "Contract",
        json!({
            "AccountId": accounts[0], "StartDate": fmt_date(today - Duration::days(90)), "ContractTerm": 12,
            "Description": "Annual maintenance and support agreement.", "CreatedDate": at(now, 95, 9),
        }),
    );
    put(
        org,
        admin,
        now,
        "Order",
        json!({
            "AccountId": accounts[0], "ContractId": contract, "EffectiveDate": fmt_date(today - Duration::days(20)),
            "Name": "Spare parts Q2", "CreatedDate": at(now, 20, 9),
        }),
    );
    put(
        org,
        admin,
        now,
        "Quote",
        json!({
            "Name": "Line 4 expansion — proposal", "OpportunityId": opportunities[0], "ContactId": contacts[0],
            "ExpirationDate": fmt_date(today + Duration::days(30)), "CreatedDate": at(now, 9, 16),
        }),
    );
    let cases: Vec<String> = CASES
        .iter()
        .map(
            |(
                subject,
                status,
                priority,
                origin,
                ctype,
                reason,
                account,
                contact,
                days,
                description,
            )| {
                let closed = *status == "Closed";
                let mut body = json!({
                    "Subject": subject, "Status": status, "Priority": priority, "Origin": origin,
                    "Type": ctype, "Reason": reason, "Description": description,
                    "AccountId": accounts[*account], "ContactId": contacts[*contact],
                    "CreatedDate": at(now, *days, 9),
                    "LastModifiedDate": at(now, *days, 15),
                });
                if closed {
                    body["ClosedDate"] = at(now, *days, 15);
                }
                put(org, admin, now, "Case", body)
            },
        )
        .collect();
    for (case, text, public, days) in COMMENTS {
        put(
            org,
            admin,
            now,
            "CaseComment",
            json!({
                "ParentId": cases[*case], "CommentBody": text, "IsPublished": public, "CreatedDate": at(now, *days, 12),
            }),
        );
    }
    for (case, body, replies, days) in POSTS {
        let post = put(
            org,
            admin,
            now,
            "FeedItem",
            json!({
                "ParentId": cases[*case], "Body": body, "Type": "TextPost", "CreatedDate": at(now, *days, 10),
            }),
        );
        for (i, reply) in replies.iter().enumerate() {
            put(
                org,
                admin,
                now,
                "FeedComment",
                json!({
                    "FeedItemId": post, "CommentBody": reply, "CreatedDate": at(now, *days, 11 + i as i64),
                }),
            );
        }
    }
    for (case, name, content, days) in FILES {
        put(
            org,
            admin,
            now,
            "ContentVersion",
            json!({
                "Title": name.rsplit_once('.').map_or(*name, |(stem, _)| stem), "PathOnClient": name,
                "VersionData": base64::engine::general_purpose::STANDARD.encode(content),
                "FirstPublishLocationId": cases[*case], "CreatedDate": at(now, *days, 13),
            }),
        );
    }
    put(
        org,
        admin,
        now,
        "Task",
        json!({
            "Subject": "Call", "WhatId": cases[2], "WhoId": contacts[2], "Status": "Completed",
            "Priority": "High", "ActivityDate": fmt_date(today - Duration::days(15)), "CreatedDate": at(now, 16, 9),
        }),
    );
    put(
        org,
        admin,
        now,
        "Event",
        json!({
            "Subject": "Meeting", "WhatId": cases[8], "WhoId": contacts[5], "Location": "Customer lab",
            "StartDateTime": at(now, -2, 9), "EndDateTime": at(now, -2, 11), "CreatedDate": at(now, 5, 9),
        }),
    );
}
