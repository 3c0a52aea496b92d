//! The error contract: shapes and status codes for bad input, never a 500 for it.

use crate::support::TestApp;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn malformed_json_is_400_and_wrong_types_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let raw = |body: &'static str| {
        app.client.post(app.url("/v1/auth/login")).header("content-type", "application/json").body(body).send()
    };
    let r = raw("{\"email\": ").await.unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");
    assert_eq!(raw("").await.unwrap().status(), 400);

    let r = app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({"tax_rate_bps": "lots"})).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "tax_rate_bps");
    let r = app.anon_post("/v1/auth/login", json!({"email": "a@b.co"})).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "password");
    let r = app
        .post(&format!("/v1/restaurants/{}/users", owner.rid), &owner.token, json!({"role": "staff", "phone": 5}))
        .await;
    assert_eq!(r.body["error"]["details"]["field"], "phone");
    // Unknown fields are ignored.
    let r = app
        .put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({"tax_rate_bps": 825, "colour": "red"}))
        .await;
    r.expect(200, "");
    assert_eq!(r.body["tax_rate_bps"], 825);
    let r = app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({"tax_rate_bps": 10001})).await;
    r.expect(422, "validation_failed");
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = TestApp::builder().config(|c| c.body_limit_bytes = 4096).spawn().await;
    app.signup("ana@example.com", "Diner").await;
    let big = json!({"email": "a@b.co", "password": "x".repeat(5000)});
    let r = app.anon_post("/v1/auth/login", big).await;
    r.expect(413, "payload_too_large");
    assert_eq!(r.body["error"]["details"]["limit"], 4096);
}

#[tokio::test]
async fn unknown_routes_and_ids_are_404_with_the_error_shape() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.get("/v1/nothing-here", &owner.token).await.expect(404, "not_found");
    app.get("/v1/restaurants/not-a-uuid", &owner.token).await.expect(404, "not_found");
    app.get(&format!("/v1/restaurants/{}/users/not-a-uuid", owner.rid), &owner.token).await.expect(404, "not_found");
    app.get(&format!("/v1/restaurants/{}/users?limit=0", owner.rid), &owner.token)
        .await
        .expect(422, "validation_failed");
    app.get(&format!("/v1/restaurants/{}/users?limit=abc", owner.rid), &owner.token)
        .await
        .expect(422, "validation_failed");
    app.get(&format!("/v1/restaurants/{}/audit?since=yesterday", owner.rid), &owner.token)
        .await
        .expect(422, "validation_failed");
}

#[tokio::test]
async fn every_response_has_a_request_id_and_internal_failures_name_it() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let r = app.call(Method::GET, "/health/live", None, None).await;
    assert!(r.headers.contains_key("x-request-id"));
    let sent = app.client.get(app.url("/health/live")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(sent.headers()["x-request-id"], "abc-123");

    // The database goes away under the server: a 500 that names the request, no details.
    app.state.db.close().await;
    let r = app.get("/v1/auth/me", &owner.token).await;
    r.expect(500, "internal");
    let id = r.headers["x-request-id"].to_str().unwrap();
    assert_eq!(r.body["error"]["details"]["request_id"], id);
    assert!(!r.body.to_string().contains("pool"), "internal details leaked: {}", r.body);
}
