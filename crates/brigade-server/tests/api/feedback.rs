//! Guests rate their completed orders, once; the dashboard reads the ratings back; a low
//! one becomes a call-back task for a manager.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_guest_rates_a_completed_order_once_and_the_dashboard_reads_it() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let placed = app.order(&owner, &owner.token, "qr", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    placed.expect(201, "");
    let (id, key, number) = (placed.id("/id"), placed.str("/tracking_key"), placed.body["number"].as_i64().unwrap());
    let rate = |key: String, body: serde_json::Value| {
        let app = &app;
        async move { app.anon_post(&format!("/v1/public/orders/{id}/feedback?key={key}"), body).await }
    };

    // Not before it is complete; never with someone else's key.
    rate(key.clone(), json!({ "rating": 5 })).await.expect(409, "order_not_complete");
    rate("wrong".into(), json!({ "rating": 5 })).await.expect(404, "not_found");
    for status in ["accepted", "preparing", "ready", "completed"] {
        let path = format!("/v1/restaurants/{}/orders/{id}/status", owner.rid);
        app.post(&path, &owner.token, json!({ "status": status })).await.expect(200, "");
    }
    rate("wrong".into(), json!({ "rating": 5 })).await.expect(404, "not_found");
    // Bad input changes nothing.
    for bad in
        [json!({ "rating": 0 }), json!({ "rating": 6 }), json!({ "rating": 4, "comment": "x".repeat(2001) }), json!({})]
    {
        rate(key.clone(), bad).await.expect(422, "validation_failed");
    }

    let given = rate(key.clone(), json!({ "rating": 4, "comment": "  Crisp fries, slow pickup.  " })).await;
    given.expect(201, "");
    assert_eq!(given.body["rating"], 4);
    assert_eq!(given.body["comment"], "Crisp fries, slow pickup.");
    assert_eq!(given.body["order_number"], number);
    rate(key.clone(), json!({ "rating": 1 })).await.expect(409, "already_rated");

    let list = app.get(&format!("/v1/restaurants/{}/feedback", owner.rid), &owner.token).await;
    list.expect(200, "");
    assert_eq!(list.body["count"], 1);
    assert_eq!(list.body["average"], 4.0);
    assert_eq!(list.body["by_channel"]["qr"], json!({ "count": 1, "average": 4.0 }));
    assert_eq!(list.body["items"][0]["rating"], 4, "the first rating stands");
    assert_eq!(list.body["items"][0]["order_id"], id.to_string());
    assert_eq!(list.body["by_item"][0]["name"], "Fries");
    assert_eq!(list.body["by_item"][0]["count"], 1);
    assert_eq!(list.body["by_item"][0]["average"], 4.0);
    let days = list.body["by_day"].as_object().unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days.values().next().unwrap()["count"], 1);
    // The tracking page knows the order has been rated.
    let tracked = app.call(reqwest::Method::GET, &format!("/v1/public/orders/{id}?key={key}"), None, None).await;
    assert_eq!(tracked.body["rating"], 4);
    // A period that ends before it starts is refused; another restaurant sees none of it.
    let inverted = format!("/v1/restaurants/{}/feedback?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", owner.rid);
    app.get(&inverted, &owner.token).await.expect(422, "validation_failed");
    let other = app.signup("bo@example.com", "Other").await;
    app.get(&format!("/v1/restaurants/{}/feedback", owner.rid), &other.token).await.expect(404, "not_found");
    // The event says the rating, not the guest's words.
    let audit = app.get(&format!("/v1/restaurants/{}/audit?type=feedback.received", owner.rid), &owner.token).await;
    let text = audit.body.to_string();
    assert!(text.contains("feedback.received"), "{text}");
    assert!(!text.contains("Crisp fries"), "{text}");
}

#[tokio::test]
async fn a_low_rating_asks_a_manager_to_call_the_guest_back_and_twenty_taps_make_one_rating() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let placed = app.order(&owner, &owner.token, "web", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    let (id, key, number) = (placed.id("/id"), placed.str("/tracking_key"), placed.body["number"].as_i64().unwrap());
    for status in ["accepted", "preparing", "ready", "completed"] {
        let path = format!("/v1/restaurants/{}/orders/{id}/status", owner.rid);
        app.post(&path, &owner.token, json!({ "status": status })).await.expect(200, "");
    }
    let path = format!("/v1/public/orders/{id}/feedback?key={key}");
    let taps = (0..20).map(|i| app.anon_post(&path, json!({ "rating": 1 + i % 2, "comment": "cold" })));
    let statuses: Vec<u16> = futures_util::future::join_all(taps).await.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");

    let list = app.get(&format!("/v1/restaurants/{}/feedback", owner.rid), &owner.token).await;
    assert_eq!(list.body["count"], 1);
    let tasks = app.get(&format!("/v1/restaurants/{}/tasks", owner.rid), &owner.token).await;
    tasks.expect(200, "");
    let call_backs: Vec<&serde_json::Value> = tasks.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == format!("Call back the guest of order #{number}"))
        .collect();
    assert_eq!(call_backs.len(), 1, "{}", tasks.body);
    assert_eq!(call_backs[0]["role"], "manager");
}
