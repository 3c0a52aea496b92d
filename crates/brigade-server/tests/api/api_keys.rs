//! API keys: shown once, scoped, revocable.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_key_acts_with_its_permissions_until_revoked() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let keys = format!("/v1/restaurants/{}/api-keys", owner.rid);
    let r = app
        .post(
            &keys,
            &owner.token,
            json!({"name": "Delivery sync", "permissions": ["restaurant:read", "menu:read", "menu:read"]}),
        )
        .await;
    r.expect(201, "");
    let key = r.str("/key");
    let id = r.id("/id");
    assert!(key.starts_with("bk_"));
    assert_eq!(r.body["permissions"], json!(["restaurant:read", "menu:read"]));
    assert!(key.starts_with(&r.str("/prefix")));

    // Listed without the secret.
    let list = app.get(&keys, &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert!(!list.body.to_string().contains(&key));
    assert!(list.body["items"][0]["last_used_at"].is_null());

    let rest = format!("/v1/restaurants/{}", owner.rid);
    app.get(&rest, &key).await.expect(200, "");
    app.get(&format!("{rest}/users"), &key).await.expect(403, "forbidden");
    app.put(&rest, &key, json!({"name": "Hijacked"})).await.expect(403, "forbidden");
    app.get("/v1/auth/me", &key).await.expect(403, "user_only");
    let used = app.get(&format!("{keys}/{id}"), &owner.token).await;
    assert!(used.body["last_used_at"].is_string());

    app.delete(&format!("{keys}/{id}"), &owner.token).await.expect(204, "");
    app.get(&rest, &key).await.expect(401, "api_key_revoked");
    app.delete(&format!("{keys}/{id}"), &owner.token).await.expect(404, "not_found");
    app.get(&rest, "bk_not-a-real-key").await.expect(401, "invalid_api_key");
    let audit = app.get(&format!("{rest}/audit?type=api_key."), &owner.token).await;
    let types: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["api_key.revoked", "api_key.created"]);
}

#[tokio::test]
async fn keys_cannot_hold_more_than_their_maker() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let keys = format!("/v1/restaurants/{}/api-keys", owner.rid);
    let r = app.post(&keys, &owner.token, json!({"name": "x", "permissions": ["menu:eat"]})).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "permissions");
    app.post(&keys, &owner.token, json!({"name": "x", "permissions": []})).await.expect(422, "validation_failed");
    app.post(&keys, &owner.token, json!({"name": " ", "permissions": ["menu:read"]}))
        .await
        .expect(422, "validation_failed");

    // A key that manages keys cannot mint one with more than it holds.
    let manager_key = app
        .post(&keys, &owner.token, json!({"name": "m", "permissions": ["api_keys:manage", "menu:read"]}))
        .await
        .str("/key");
    app.post(&keys, &manager_key, json!({"name": "y", "permissions": ["menu:read"]})).await.expect(201, "");
    app.post(&keys, &manager_key, json!({"name": "z", "permissions": ["users:write"]})).await.expect(403, "forbidden");
}

#[tokio::test]
async fn keys_are_rate_limited_per_key() {
    let app = TestApp::builder().config(|c| c.rate_limit_key_per_sec = 1).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let keys = format!("/v1/restaurants/{}/api-keys", owner.rid);
    let key = app.post(&keys, &owner.token, json!({"name": "x", "permissions": ["restaurant:read"]})).await.str("/key");
    let rest = format!("/v1/restaurants/{}", owner.rid);
    for _ in 0..4 {
        app.get(&rest, &key).await.expect(200, "");
    }
    let r = app.get(&rest, &key).await;
    r.expect(429, "rate_limited");
    assert_eq!(r.headers["retry-after"], "1");
    // The owner's own token is not limited by the key's bucket.
    app.get(&rest, &owner.token).await.expect(200, "");
    app.clock.advance(chrono::Duration::seconds(1));
    app.get(&rest, &key).await.expect(200, "");
}
