//! Restaurants: locations an owner adds, reads and changes.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn an_owner_adds_locations_and_sees_only_theirs() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Café Olé").await;
    let first = app.get(&format!("/v1/restaurants/{}", owner.rid), &owner.token).await;
    assert_eq!(first.body["slug"], "cafe-ole");
    assert_eq!(first.body["role"], "owner");

    let body = json!({"name": "Café Olé", "timezone": "Europe/Paris", "currency": "eur", "tax_rate_bps": 1000,
                      "tax_inclusive": true, "phone": "+33 1 23 45 67 89", "address": " 1 rue de Rivoli "});
    let r = app.post("/v1/restaurants", &owner.token, body).await;
    r.expect(201, "");
    assert_eq!(r.body["slug"], "cafe-ole-2");
    assert_eq!(r.body["currency"], "EUR");
    assert_eq!(r.body["phone"], "+33123456789");
    assert_eq!(r.body["address"], "1 rue de Rivoli");
    assert_eq!(r.body["tax_inclusive"], true);

    let list = app.get("/v1/restaurants?limit=1", &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let next = app.get(&format!("/v1/restaurants?limit=1&cursor={}", list.str("/next_cursor")), &owner.token).await;
    assert_eq!(next.body["items"].as_array().unwrap().len(), 1);
    assert!(next.body["next_cursor"].is_null());
    assert_ne!(list.body["items"][0]["id"], next.body["items"][0]["id"]);

    for (body, field) in [
        (json!({"name": "", "timezone": "UTC", "currency": "USD"}), "name"),
        (json!({"name": "X", "timezone": "UTC", "currency": "dollars"}), "currency"),
        (json!({"name": "X", "timezone": "UTC", "currency": "USD", "slug": "Not OK"}), "slug"),
        (json!({"name": "X", "timezone": "UTC", "currency": "USD", "tax_rate_bps": -5}), "tax_rate_bps"),
        (json!({"name": "X", "currency": "USD"}), "timezone"),
    ] {
        let r = app.post("/v1/restaurants", &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    app.post(
        "/v1/restaurants",
        &owner.token,
        json!({"name": "X", "timezone": "UTC", "currency": "USD", "slug": "cafe-ole"}),
    )
    .await
    .expect(409, "slug_taken");
    assert_eq!(app.get("/v1/restaurants", &owner.token).await.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn managers_change_settings_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (_, manager) = app.add_member(&owner, "max@example.com", "manager").await;
    let path = format!("/v1/restaurants/{}", owner.rid);
    let r = app
        .put(&path, &manager, json!({"name": "Diner 2.0", "timezone": "America/Chicago", "address": "5 Main St"}))
        .await;
    r.expect(200, "");
    assert_eq!(r.body["timezone"], "America/Chicago");
    let r = app.put(&path, &manager, json!({"address": null})).await;
    assert!(r.body["address"].is_null());
    assert_eq!(r.body["name"], "Diner 2.0");
    app.put(&path, &manager, json!({"timezone": "Nowhere/Land"})).await.expect(422, "validation_failed");
    let audit = app.get(&format!("{path}/audit?type=restaurant.updated"), &owner.token).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(audit.body["items"][1]["data"]["changed"]["timezone"], "America/Chicago");
}

#[tokio::test]
async fn audit_filters_by_type_and_time_and_pages() {
    let app = TestApp::builder().config(|c| c.access_token_ttl_secs = 7200).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let start = app.clock.now();
    app.clock.advance(chrono::Duration::hours(1));
    for i in 0..5 {
        app.post(
            &format!("/v1/restaurants/{}/users", owner.rid),
            &owner.token,
            json!({"name": format!("S{i}"), "role": "staff", "phone": format!("555010000{i}"), "pin": "1234"}),
        )
        .await
        .expect(201, "");
    }
    let base = format!("/v1/restaurants/{}/audit", owner.rid);
    let all = app.get(&format!("{base}?type=user.created&limit=2"), &owner.token).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let mut seen = 2;
    let mut cursor = all.str("/next_cursor");
    loop {
        let page = app.get(&format!("{base}?type=user.created&limit=2&cursor={cursor}"), &owner.token).await;
        seen += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, 6, "five members and the owner");
    let until = (start + chrono::Duration::minutes(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let early = app.get(&format!("{base}?until={until}"), &owner.token).await;
    let types: Vec<&str> =
        early.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["user.created", "restaurant.created"]);
    let since = app.get(&format!("{base}?since={until}&type=restaurant."), &owner.token).await;
    assert_eq!(since.body["items"].as_array().unwrap().len(), 0);
}

/// Guests see a restaurant's new name and slug on the public menu at once, though the menu
/// (and which restaurant its slug names) is cached.
#[tokio::test]
async fn a_renamed_restaurant_shows_on_its_public_menu_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("owner@example.com", "Cafe Ole").await;
    let slug = app.get(&format!("/v1/restaurants/{}", owner.rid), &owner.token).await.body["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let menu = |slug: String| {
        let app = &app;
        async move { app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{slug}/menu"), None, None).await }
    };
    assert_eq!(menu(slug.clone()).await.body["restaurant"]["name"], "Cafe Ole");
    let body = json!({ "name": "Cafe Olé", "slug": "cafe-ole-moved" });
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, body).await.expect(200, "");
    assert_eq!(menu("cafe-ole-moved".into()).await.body["restaurant"]["name"], "Cafe Olé");
    menu(slug).await.expect(404, "not_found");
}
