//! Storage: nothing committed is lost across restarts; migrations run again harmlessly;
//! the admin commands work on the same data.

use crate::support::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn data_survives_a_restart_and_migrations_rerun_harmlessly() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.post(
        &format!("/v1/restaurants/{}/users", owner.rid),
        &owner.token,
        json!({"name": "Sam", "role": "staff", "phone": "5550100001", "pin": "1234"}),
    )
    .await
    .expect(201, "");
    let before = app.get(&format!("/v1/restaurants/{}/audit", owner.rid), &owner.token).await;

    let app = app.restart().await;
    app.state.db.migrate().await.expect("migrations are idempotent");
    let after = app.get(&format!("/v1/restaurants/{}/audit", owner.rid), &owner.token).await;
    assert_eq!(before.body["items"], after.body["items"]);
    // The signing key was kept in the database, so tokens from before still verify.
    app.get("/v1/auth/me", &owner.token).await.expect(200, "");
    app.login("ana@example.com", PASSWORD).await.expect(200, "");
    let users = app.get(&format!("/v1/restaurants/{}/users", owner.rid), &owner.token).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 2);
    app.anon_post("/v1/auth/pin-login", json!({"restaurant_id": owner.rid, "phone": "5550100001", "pin": "1234"}))
        .await
        .expect(200, "");
}

#[tokio::test]
async fn admin_commands_create_users_and_reset_passwords() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let db = &app.state.db;
    let id = brigade_server::admin::create_user(
        db,
        "max@example.com",
        "Max",
        PASSWORD,
        Some((owner.rid, brigade_domain::auth::Role::Manager)),
    )
    .await
    .unwrap();
    let max = app.login("max@example.com", PASSWORD).await;
    max.expect(200, "");
    let me = app.get("/v1/auth/me", &max.str("/access_token")).await;
    assert_eq!(me.body["id"], id.to_string());
    assert_eq!(me.body["memberships"][0]["role"], "manager");
    assert!(brigade_server::admin::create_user(db, "max@example.com", "Max", PASSWORD, None).await.is_err());
    assert!(brigade_server::admin::create_user(db, "new@example.com", "New", "short", None).await.is_err());
    assert!(brigade_server::admin::create_user(
        db,
        "x@example.com",
        "X",
        PASSWORD,
        Some((uuid::Uuid::now_v7(), brigade_domain::auth::Role::Staff))
    )
    .await
    .is_err());

    brigade_server::admin::reset_password(db, "ana@example.com", "a whole new password").await.unwrap();
    app.get("/v1/auth/me", &owner.token).await.expect(401, "token_revoked");
    app.login("ana@example.com", PASSWORD).await.expect(401, "invalid_credentials");
    app.login("ana@example.com", "a whole new password").await.expect(200, "");
    assert!(brigade_server::admin::reset_password(db, "ghost@example.com", PASSWORD).await.is_err());
}

/// Two nodes on one SQLite file: a write transaction that read first is not refused
/// because the other node committed in between. SQLite cannot move a stale read snapshot
/// up to a write lock, so write transactions take the lock when they begin and the other
/// node waits for it instead of failing.
#[tokio::test]
async fn two_nodes_writing_one_database_wait_for_each_other() {
    use brigade_store::events::{self, ActedBy, NewEvent};
    let event = |kind| NewEvent {
        restaurant_id: None,
        kind,
        entity: "test",
        entity_id: None,
        actor: ActedBy::System,
        payload: json!({}),
        at: chrono::Utc::now(),
    };
    let a = TestApp::spawn().await;
    let b = TestApp::builder().same_database_as(&a).spawn().await;
    let mut first = a.state.db.begin(brigade_store::System::Admin).await.unwrap();
    let before = events::max_id_tx(&mut first).await.unwrap();
    let db = b.state.db.clone();
    let other = tokio::spawn(async move {
        let mut tx = db.begin(brigade_store::System::Admin).await?;
        events::record(&mut tx, event("test.second")).await?;
        tx.commit().await
    });
    // Give the other node every chance to commit between the read above and the write.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let id = events::record(&mut first, event("test.first")).await.expect("the write after a read goes through");
    first.commit().await.unwrap();
    other.await.unwrap().expect("the other node's write went through too");
    assert!(id > before);
    let kinds: Vec<String> =
        events::after(&a.state.db, before, 10).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"test.first".to_owned()) && kinds.contains(&"test.second".to_owned()), "{kinds:?}");
}
