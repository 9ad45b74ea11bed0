//! `spawn_app()`: the real application on 127.0.0.1 port 0, with a temporary data directory,
//! plus one helper per endpoint.

use std::sync::Arc;
use std::time::Duration;

use sfjira::actors::link::Execute;
use sfjira::config::Settings;
use sfjira::domain::ids::{ItemId, JiraIssueKey, LinkId, SalesforceId};
use sfjira::domain::link::events::{LinkOrigin, Trigger};
use sfjira::domain::link::LinkCommand;
use sfjira::engine::inbox::Inbox;
use sfjira::events::Meta;
use sfjira::http::AppState;
use sfjira::startup::Application;

/// The admin token every test app starts with (at least 32 characters, as sfjira requires).
pub const ADMIN_TOKEN: &str = "test-admin-token-of-at-least-32-chars";

/// A running application.
pub struct TestApp {
    pub address: String,
    pub token: String,
    pub http: reqwest::Client,
    pub state: AppState,
    /// The webhook inbox: `process_pending()` processes every delivery recorded so far.
    pub inbox: Arc<Inbox>,
    pub _data: Arc<tempfile::TempDir>,
}

/// Settings every test starts from: loopback, port 0, fresh data, no scheduler ticks.
pub fn test_settings(data: &tempfile::TempDir) -> Settings {
    let mut settings = Settings {
        data_dir: data.path().join("data"),
        ..Settings::default()
    };
    settings.http.port = 0;
    settings.http.admin_token = Some(ADMIN_TOKEN.to_string().into());
    settings.sync.scheduler_enabled = false;
    settings.actors.idle_timeout_secs = 600;
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut settings = test_settings(&data);
    adjust(&mut settings);
    start(settings, data).await
}

pub async fn start(settings: Settings, data: Arc<tempfile::TempDir>) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        sfjira::telemetry::init("debug", sfjira::telemetry::LogFormat::Pretty);
    }
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let inbox = app.inbox().clone();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        token: ADMIN_TOKEN.into(),
        http: reqwest::Client::new(),
        state,
        inbox,
        _data: data,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_anonymous(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// Links a record to an issue through the link's actor, as the panel will.
    pub async fn link(
        &self,
        item: ItemId,
        issue: &str,
        record: &str,
        origin: LinkOrigin,
    ) -> LinkId {
        let record = SalesforceId::parse(record).expect("record id");
        let link_id = LinkId::for_record(item, &record);
        self.state
            .registry
            .run(
                link_id,
                Execute(LinkCommand::Link {
                    item_id: item,
                    issue_key: JiraIssueKey::parse(issue).expect("issue key"),
                    issue_id: None,
                    record_id: record,
                    object: "Case".into(),
                    origin,
                    trigger: Trigger::Panel,
                }),
                Meta::default(),
            )
            .await
            .expect("link succeeds");
        link_id
    }

    /// Waits until every projection has folded everything appended so far.
    pub async fn settle(&self) {
        assert!(
            self.state
                .projections
                .wait_for_head(Duration::from_secs(10))
                .await,
            "projections did not catch up"
        );
    }
}
