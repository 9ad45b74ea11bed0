//! The site itself: myself, server info, projects, fields and create screens, and the admin
//! webhook resource.

use super::*;

#[tokio::test]
async fn connects_and_reads_the_site() {
    let (emu, client) = start().await;
    let info = emu.info();
    let me = client.myself().await.expect("myself");
    assert_eq!(me.account_id, info.account_id);
    let server = client.server_info().await.expect("server info");
    assert_eq!(server.deployment_type.as_deref(), Some("Cloud"));

    let bearer = JiraClient::new(&JiraSettings {
        bearer_token: Some(SecretString::from(info.bearer_token.clone())),
        api_token: None,
        ..settings(&info.base_url, &info.email, "")
    })
    .expect("bearer client");
    assert_eq!(
        bearer.myself().await.expect("bearer").account_id,
        info.account_id
    );

    let wrong = JiraClient::new(&settings(&info.base_url, &info.email, "nope"))
        .expect("client")
        .with_retry_policy(quick_retry());
    let err = wrong.myself().await.expect_err("bad token");
    assert!(matches!(err, JiraError::Unauthorized { .. }), "{err}");
    assert!(!err.is_retryable() && err.is_auth());
    assert_eq!(wrong.calls_made(), 1);

    // More projects than one page of project search.
    for i in 0..55 {
        control(
            &emu,
            reqwest::Method::POST,
            "/__emulator/projects",
            json!({"key": format!("P{i}"), "name": format!("Project {i}")}),
        )
        .await;
    }
    let before = client.calls_made();
    let projects = client.projects().await.expect("projects");
    assert_eq!(projects.len(), 57);
    assert!(client.calls_made() - before >= 2, "paged");
    assert!(projects.iter().any(|p| p.key == "SUP"));

    let sup = client.project(&project("sup")).await.expect("project");
    assert_eq!(sup.name, "Customer Support");
    assert_eq!(sup.issue_types.len(), 3);
    let err = client
        .project(&project("NOPE"))
        .await
        .expect_err("no project");
    assert!(err.is_not_found(), "{err}");

    let types = client
        .issue_types(&project("ENG"))
        .await
        .expect("issue types");
    let bug = types.iter().find(|t| t.name == "Bug").expect("Bug");
    let meta = client
        .create_meta_fields(&project("ENG"), &bug.id)
        .await
        .expect("create meta");
    let severity = meta
        .iter()
        .find(|f| f.field_id == "customfield_10001")
        .expect("Severity");
    assert!(severity.required);
    assert!(!severity.allowed_values.is_empty());
    assert!(meta.iter().any(|f| f.field_id == "summary" && f.required));

    let all = client.fields().await.expect("fields");
    assert!(all.iter().any(|f| f.id == "customfield_10000"
        && f.custom
        && f.clause_names.iter().any(|c| c == "cf[10000]")));
    emu.stop().await;
}

#[tokio::test]
async fn admin_webhooks_are_registered_listed_and_deleted() {
    let (emu, client) = start().await;
    let secret = SecretString::from("s3cret".to_string());
    let hook = client
        .register_webhook(
            "sfjira",
            "http://127.0.0.1:9/webhooks/jira",
            &[
                "jira:issue_updated",
                "comment_created",
                "attachment_created",
            ],
            Some("project = SUP"),
            Some(&secret),
        )
        .await
        .expect("register");
    assert!(hook.enabled);
    assert_eq!(hook.jql_filter.as_deref(), Some("project = SUP"));
    let all = client.webhooks().await.expect("list");
    assert!(all.iter().any(|h| h.id == hook.id && h.events.len() == 3));
    client.delete_webhook(hook.id).await.expect("delete");
    assert!(client
        .webhooks()
        .await
        .expect("list")
        .iter()
        .all(|h| h.id != hook.id));
    let err = client
        .delete_webhook(hook.id)
        .await
        .expect_err("already gone");
    assert!(err.is_not_found(), "{err}");

    let users = control(&emu, reqwest::Method::GET, "/__emulator/users", Value::Null).await;
    let agent = users
        .as_array()
        .and_then(|u| u.iter().find(|u| u["email"] == "agent@example.com"))
        .expect("the demo agent")
        .clone();
    let token = agent["api_tokens"][0].as_str().expect("a token");
    let agent_client =
        JiraClient::new(&settings(emu.base_url(), "agent@example.com", token)).expect("client");
    let err = agent_client.webhooks().await.expect_err("not an admin");
    assert!(matches!(err, JiraError::Forbidden { .. }), "{err}");
    emu.stop().await;
}
