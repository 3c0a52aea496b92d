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

/// The OpenAPI document states what the server takes (issue 12, defect 20): JSON's `2.0` is
/// the integer 2, an enumeration lists the values the parser accepts, every string a request
/// carries has a pattern, a format or a list of values, and a value the document allows is
/// one the server keeps as it was given.
#[tokio::test]
async fn the_document_says_what_the_server_takes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let restaurant = format!("/v1/restaurants/{}", owner.rid);
    let r = app.put(&restaurant, &owner.token, json!({"tax_rate_bps": 825.0})).await;
    r.expect(200, "");
    assert_eq!(r.body["tax_rate_bps"], 825);
    let r = app.put(&restaurant, &owner.token, json!({"tax_rate_bps": 825.5})).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "tax_rate_bps");
    // One past i64's range reads as a float that rounds to i64::MIN; it is not taken as that.
    let station = app.post(&format!("{restaurant}/kds/stations"), &owner.token, json!({"name": "Grill"})).await;
    let raw = r#"{"name": "Grill", "sort_order": -9223372036854775809}"#;
    let r = app
        .client
        .put(app.url(&format!("{restaurant}/kds/stations/{}", station.body["id"].as_str().unwrap())))
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    // A cursor is checked for an API key too, which sees one restaurant and so never pages.
    let key = app
        .post(&format!("{restaurant}/api-keys"), &owner.token, json!({"name": "till", "permissions": ["menu:read"]}))
        .await;
    let key = key.body["key"].as_str().unwrap().to_owned();
    app.get("/v1/restaurants?cursor=not-one", &key).await.expect(422, "validation_failed");
    // A query value is held to the length any text has.
    let long = "a".repeat(brigade_domain::caps::ANY_TEXT + 1);
    let r = app.get(&format!("{restaurant}/audit?type={long}"), &owner.token).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "type");

    // A threshold too small to be a minute once rounded was kept as 0 and read back as 0.0,
    // which the document's own minimum refused.
    let settings = format!("{restaurant}/labour/settings");
    let tiny = json!({"weekly_overtime_hours": 1e-167, "week_starts": "Mon"});
    let r = app.put(&settings, &owner.token, tiny).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "weekly_overtime_hours");
    let r = app.put(&settings, &owner.token, json!({"weekly_overtime_hours": 0.01, "week_starts": "Mon"})).await;
    r.expect(200, "");
    assert!(r.body["weekly_overtime_hours"].as_f64().unwrap() >= 0.01);

    let doc = app.call(Method::GET, "/v1/openapi.json", None, None).await.body;
    let schemas = &doc["components"]["schemas"];
    let values = |name: &str| -> Vec<String> {
        schemas[name]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
    };
    let channels: Vec<String> = brigade_domain::menu::Channel::ALL.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(values("Channel"), channels);
    let roles: Vec<String> = brigade_domain::auth::Role::ALL.iter().map(|r| r.as_str().to_owned()).collect();
    assert_eq!(values("MemberRole"), roles);
    assert_eq!(schemas["OrderInput"]["properties"]["channel"]["$ref"], "#/components/schemas/Channel");
    assert_eq!(schemas["Pin"]["pattern"], "^[0-9]{4,8}$");
    // Every string property of a request body says what it takes.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(name) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str() else {
                continue;
            };
            let body = &schemas[name.trim_start_matches("#/components/schemas/")];
            for (field, schema) in body["properties"].as_object().into_iter().flatten() {
                let is_string = schema["type"] == "string"
                    || schema["type"].as_array().is_some_and(|t| t.contains(&json!("string")));
                if is_string {
                    let said = ["pattern", "format", "enum"].iter().any(|k| !schema[*k].is_null());
                    assert!(said, "{method} {path}: `{field}` takes any text in the document");
                }
            }
            if body["properties"].is_object() {
                assert!(!body["additionalProperties"].is_null(), "{method} {path}: unnamed fields are not described");
            }
        }
    }
}

/// Channels, order types and statuses are read into their enums as the request is parsed:
/// a wrong word is refused there, naming its field and the words that are taken, in JSON
/// bodies and query strings alike, and nothing is written.
#[tokio::test]
async fn a_wrong_word_for_a_channel_type_or_status_names_its_field_and_the_choices() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let orders = format!("/v1/restaurants/{}/orders", owner.rid);
    let item = json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] }]);
    let refused = [
        (json!({ "channel": "fax", "type": "takeout", "items": item }), "channel", "walk_in"),
        (json!({ "channel": "web", "type": "dine-in", "items": item }), "type", "dine_in"),
    ];
    for (body, field, choice) in refused {
        let r = app.post(&orders, &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains(choice), "{}", r.body);
    }
    let placed = app.order(&owner, &owner.token, "web", item.clone()).await;
    placed.expect(201, "");
    let status = format!("{orders}/{}/status", placed.id("/id"));
    let r = app.post(&status, &owner.token, json!({ "status": "done" })).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "status");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("completed"), "{}", r.body);
    for query in ["orders?status=done", "orders?channel=fax", "kds/tickets?status=later", "kds/all-day?status=later"] {
        let r = app.get(&format!("/v1/restaurants/{}/{query}", owner.rid), &owner.token).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], if query.contains("channel") { "channel" } else { "status" });
    }
    // An escape that is not UTF-8 is not read as a replacement character.
    let r = app.get(&format!("{orders}?status=%FF"), &owner.token).await;
    r.expect(400, "malformed_query");
    let list = app.get(&orders, &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1, "only the order that was right");
    assert_eq!(list.body["items"][0]["status"], "received");
}
