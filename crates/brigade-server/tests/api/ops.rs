//! Operations: health, readiness, metrics, OpenAPI and docs, the per-IP rate limit.

use crate::support::TestApp;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_readiness_and_liveness() {
    let app = TestApp::spawn().await;
    let h = app.call(Method::GET, "/health", None, None).await;
    h.expect(200, "");
    assert_eq!(h.body["status"], "ok");
    assert_eq!(h.body["database"], "ok");
    assert_eq!(h.body["backend"], if app.store.is_postgres() { "postgres" } else { "sqlite" });
    app.call(Method::GET, "/health/live", None, None).await.expect(200, "");
    app.call(Method::GET, "/health/ready", None, None).await.expect(200, "");
    app.eventually("the worker to start", || async {
        app.call(Method::GET, "/health", None, None).await.body["worker"] == "running"
    })
    .await;

    let api_only = TestApp::builder().config(|c| c.role = brigade_server::config::Role::Api).spawn().await;
    let h = api_only.call(Method::GET, "/health", None, None).await;
    assert_eq!(h.body["worker"], "disabled");

    app.state.db.close().await;
    app.call(Method::GET, "/health/ready", None, None).await.expect(503, "");
    let h = app.call(Method::GET, "/health", None, None).await;
    h.expect(503, "");
    assert_eq!(h.body["database"], "error");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.get(&format!("/v1/restaurants/{}", owner.rid), &owner.token).await.expect(200, "");
    app.get(&format!("/v1/restaurants/{}", uuid::Uuid::now_v7()), &owner.token).await.expect(404, "");
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains(r#"brigade_http_requests_total{route="/v1/restaurants/{rid}",method="GET",status="200"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"brigade_http_requests_total{route="/v1/restaurants/{rid}",method="GET",status="404"} 1"#));
    assert!(text.contains("brigade_http_request_duration_seconds_bucket{route=\"/v1/auth/signup\""));
    assert!(text.contains("brigade_db_pool_connections"));
    assert!(!text.contains(&owner.rid.to_string()), "raw ids must not become labels");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let r = app.call(Method::GET, "/v1/openapi.json", None, None).await;
    r.expect(200, "");
    assert!(r.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = r.body["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/auth/signup", "post"),
        ("/v1/auth/login", "post"),
        ("/v1/auth/pin-login", "post"),
        ("/v1/auth/refresh", "post"),
        ("/v1/auth/logout", "post"),
        ("/v1/auth/me", "get"),
        ("/v1/restaurants", "post"),
        ("/v1/restaurants", "get"),
        ("/v1/restaurants/{rid}", "get"),
        ("/v1/restaurants/{rid}", "put"),
        ("/v1/restaurants/{rid}/users", "get"),
        ("/v1/restaurants/{rid}/users", "post"),
        ("/v1/restaurants/{rid}/users/{uid}", "put"),
        ("/v1/restaurants/{rid}/users/{uid}", "delete"),
        ("/v1/restaurants/{rid}/api-keys", "post"),
        ("/v1/restaurants/{rid}/api-keys", "get"),
        ("/v1/restaurants/{rid}/api-keys/{id}", "delete"),
        ("/v1/restaurants/{rid}/audit", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing from OpenAPI");
    }
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("/v1/openapi.json"));
    assert!(!html.contains("https://"), "the docs page must work offline");
}

#[tokio::test]
async fn requests_are_rate_limited_per_ip_but_health_is_not() {
    let app = TestApp::builder().config(|c| c.rate_limit_ip_per_sec = 2).spawn().await;
    for _ in 0..8 {
        app.call(Method::GET, "/v1/auth/me", None, None).await.expect(401, "");
    }
    let r = app.call(Method::GET, "/v1/auth/me", None, None).await;
    r.expect(429, "rate_limited");
    assert!(r.headers.contains_key("retry-after"));
    app.call(Method::GET, "/health", None, None).await.expect(200, "");
    app.clock.advance(chrono::Duration::seconds(1));
    app.anon_post("/v1/auth/login", json!({"email": "a@b.co", "password": "whatever you like"})).await.expect(401, "");
}
