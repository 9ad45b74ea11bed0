//! The seeds: `empty` (the org, an integration user, an External Client App with client
//! credentials on, the default case statuses) and `demo` (the same plus realistic sales and
//! service data). Ids and credentials are deterministic, so a demo can be scripted.

mod demo;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::ids;
use super::schema::standard::service::DEFAULT_CASE_STATUSES;
use super::setup::{self, system_ctx, UserSpec};
use super::store::{App, Org, Settings};
use super::write::{self, WriteOpts};
use crate::common::Seed;

/// Consumer key of the seeded app.
pub const CLIENT_ID: &str =
    "3MVG9sfjiraEmulatorDemoConsumerKey.q7Xw2Lp9Rt4Zk8Vn3Bc6Hy1Jm5Df0GsAe2Ri7Uo4Pl8Mk1Nj6Bh";
/// Consumer secret of the seeded app.
pub const CLIENT_SECRET: &str = "E6A1C3F08B2D4E5F9A7C1B3D5E7F9A0B2C4D6E8F0A1B3C5D7E9F1A2B4C6D8E0F";
/// Username of the run-as (integration) user.
pub const INTEGRATION_USERNAME: &str = "integration@sfjira-demo.example";
/// Username of the administrator who owns the demo data.
pub const ADMIN_USERNAME: &str = "admin@sfjira-demo.example";
/// Name of the seeded External Client App.
pub const APP_NAME: &str = "Jira_Salesforce_Connector";

/// The seeded organization id.
pub fn org_id() -> String {
    ids::make("00D", 1)
}

/// Builds the org for `seed` at emulated time `now`; returns it and the app's client id.
pub fn build(seed: Seed, settings: Settings, now: DateTime<Utc>) -> (Org, String) {
    let mut org = Org::new(&org_id(), settings);
    let admin = base(&mut org, now);
    if seed == Seed::Demo {
        demo::load(&mut org, &admin, now);
    }
    (org, CLIENT_ID.to_string())
}

fn user(username: &str, first: &str, last: &str) -> UserSpec {
    UserSpec {
        username: Some(username.into()),
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: Some(username.into()),
        active: Some(true),
        api_enabled: Some(true),
        ..UserSpec::default()
    }
}

/// The part of every seed: organization row, users, app, case statuses. Returns the admin id.
fn base(org: &mut Org, now: DateTime<Utc>) -> String {
    let admin =
        setup::add_user(org, now, &user(ADMIN_USERNAME, "Avery", "Admin")).unwrap_or_default();
    let integration = setup::add_user(org, now, &user(INTEGRATION_USERNAME, "Integration", "User"))
        .unwrap_or_default();
    let ctx = system_ctx(&admin, now);
    let org_row = json!({
        "Name": "Acme Support (Emulated)",
        "Division": null,
        "City": "San Francisco",
        "Country": "United States",
        "OrganizationType": "Developer Edition",
        "InstanceName": "EMU1",
        "IsSandbox": false,
        "LanguageLocaleKey": "en_US",
        "DefaultLocaleSidKey": "en_US",
        "TimeZoneSidKey": "GMT",
    });
    if let Ok(id) = write::create(
        org,
        &ctx,
        "Organization",
        &org_row,
        None,
        WriteOpts::system(),
    ) {
        // The organization's row carries the org id, not a generated one.
        if let Some(mut rec) = org
            .data
            .records
            .get_mut("Organization")
            .and_then(|m| m.remove(&id))
        {
            rec.fields
                .insert("Id".into(), Value::String(org.org_id.clone()));
            org.put(rec);
        }
    }
    let statuses: Vec<(String, bool, bool)> = DEFAULT_CASE_STATUSES
        .iter()
        .enumerate()
        .map(|(i, (v, closed))| (v.to_string(), *closed, i == 0))
        .collect();
    let _ = setup::set_case_statuses(org, now, &statuses);
    let _ = setup::put_app(
        org,
        App {
            name: APP_NAME.into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            run_as: Some(integration),
            client_credentials: true,
            scopes: vec!["api".into()],
        },
    );
    admin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_deterministic() {
        let now = Utc::now();
        let settings = Settings {
            daily_api_limit: 100,
            token_ttl_secs: 7200,
        };
        let (a, _) = build(Seed::Demo, settings.clone(), now);
        let (b, _) = build(Seed::Demo, settings.clone(), now);
        let ids =
            |o: &Org| -> Vec<String> { o.records_of("Case").map(|r| r.id().to_string()).collect() };
        assert_eq!(ids(&a), ids(&b));
        for (object, n) in [
            ("Account", 4),
            ("Contact", 6),
            ("Lead", 3),
            ("Opportunity", 3),
            ("Contract", 1),
            ("Order", 1),
            ("Quote", 1),
            ("Case", 12),
            ("CaseComment", 10),
            ("FeedItem", 5),
            ("FeedComment", 6),
            ("ContentVersion", 3),
            ("ContentDocument", 3),
            ("ContentDocumentLink", 6),
            ("Task", 1),
            ("Event", 1),
        ] {
            assert_eq!(
                a.records_of(object).count(),
                n,
                "every demo {object} was accepted"
            );
        }
        let (empty, client) = build(Seed::Empty, settings, now);
        assert_eq!(client, CLIENT_ID);
        assert_eq!(empty.records_of("Case").count(), 0);
        assert_eq!(empty.records_of("CaseStatus").count(), 5);
        assert_eq!(
            empty
                .records_of("Organization")
                .next()
                .map(|r| r.id().to_string()),
            Some(org_id())
        );
    }
}
