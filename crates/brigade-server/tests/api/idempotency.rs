//! Idempotency-Key: a retried POST returns the first result and creates nothing twice.

use crate::support::TestApp;
use serde_json::{json, Value};

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> (u16, Value, bool) {
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (status, r.json().await.unwrap(), replayed)
}

#[tokio::test]
async fn a_retried_create_returns_the_first_result() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let path = format!("/v1/restaurants/{}/users", owner.rid);
    let body = json!({"name": "Sam", "role": "staff", "phone": "5550100001", "pin": "1234"});
    let (s1, first, replayed1) = post_with_key(&app, &path, &owner.token, "add-sam-1", &body).await;
    let (s2, second, replayed2) = post_with_key(&app, &path, &owner.token, "add-sam-1", &body).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first, second);
    assert!(!replayed1 && replayed2);
    let users = app.get(&path, &owner.token).await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 2, "created twice");

    // The same key with another body is a client bug, refused.
    let other = json!({"name": "Kim", "role": "staff", "phone": "5550100002", "pin": "1234"});
    let (s, err, _) = post_with_key(&app, &path, &owner.token, "add-sam-1", &other).await;
    assert_eq!(s, 422);
    assert_eq!(err["error"]["details"]["field"], "Idempotency-Key");

    // Refusals are replayed too: the answer to a request does not change on retry.
    let dup = json!({"name": "Sam2", "role": "staff", "phone": "5550100001", "pin": "1234"});
    let (s, e1, _) = post_with_key(&app, &path, &owner.token, "dup-phone", &dup).await;
    let (s_again, e2, replayed) = post_with_key(&app, &path, &owner.token, "dup-phone", &dup).await;
    assert_eq!((s, s_again, replayed), (409, 409, true));
    assert_eq!(e1, e2);

    let long = "k".repeat(300);
    let (s, err, _) = post_with_key(&app, &path, &owner.token, &long, &body).await;
    assert_eq!(s, 400);
    assert_eq!(err["error"]["code"], "invalid_idempotency_key");
}

#[tokio::test]
async fn keys_are_per_caller() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let body = json!({"name": "Second", "timezone": "UTC", "currency": "USD"});
    let (_, ra, _) = post_with_key(&app, "/v1/restaurants", &a.token, "same-key", &body).await;
    let (_, rb, replayed) = post_with_key(&app, "/v1/restaurants", &b.token, "same-key", &body).await;
    assert!(!replayed);
    assert_ne!(ra["id"], rb["id"]);
    let b_list = app.get("/v1/restaurants", &b.token).await;
    assert_eq!(b_list.body["items"].as_array().unwrap().len(), 2);
}
