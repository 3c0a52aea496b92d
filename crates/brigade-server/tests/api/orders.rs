//! Orders from every channel: priced on the server, refused when an item is 86'd or the
//! input is wrong, numbered per day, moved through the state machine.

use crate::support::TestApp;
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn a_walk_in_order_is_priced_numbered_and_tracked() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "tax_rate_bps": 825 }))
        .await
        .expect(200, "");
    let m = app.menu(&owner).await;
    let (_, staff) = app.add_member(&owner, "sue@example.com", "staff").await;
    let items = json!([
        { "item_id": m.burger, "quantity": 2, "modifiers": [m.double, m.cheese, m.cheese], "notes": "no onions" },
        { "item_id": m.cola, "quantity": 1 }
    ]);
    let r = app.order(&owner, &staff, "walk_in", items).await;
    r.expect(201, "");
    // Burger 12.00 + double 3.00 + 2 × cheese 1.00 = 17.00 each, × 2 = 34.00; cola 2.50.
    assert_eq!(r.body["items"][0]["unit_price"], 1700);
    assert_eq!(r.body["items"][0]["line_total"], 3400);
    assert_eq!(r.body["items"][0]["modifiers"][0]["name"], "Double");
    assert_eq!(r.body["items"][0]["notes"], "no onions");
    assert_eq!(r.body["subtotal"], 3650);
    assert_eq!(r.body["tax"], 301); // 36.50 × 8.25 % = 3.01125
    assert_eq!(r.body["total"], 3951);
    assert_eq!(r.body["number"], 1);
    assert_eq!(r.body["status"], "received");
    assert_eq!(r.body["currency"], "USD");
    let id = r.id("/id");
    let second = app.order(&owner, &staff, "phone", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    assert_eq!(second.body["number"], 2);

    let base = format!("/v1/restaurants/{}/orders/{id}", owner.rid);
    for status in ["accepted", "preparing", "ready", "completed"] {
        let s = app.post(&format!("{base}/status"), &staff, json!({ "status": status })).await;
        s.expect(200, "");
        assert_eq!(s.body["status"], status);
    }
    app.post(&format!("{base}/status"), &staff, json!({ "status": "cancelled", "reason": "too late" }))
        .await
        .expect(409, "invalid_transition");
    app.post(&format!("{base}/status"), &staff, json!({ "status": "eaten" })).await.expect(422, "validation_failed");
    let history = app.get(&format!("{base}/history"), &owner.token).await;
    let steps: Vec<&str> = history.body.as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "accepted", "preparing", "ready", "completed"]);
    assert!(history.body[1]["by"].as_str().unwrap().starts_with("user:"));

    // Cancel the other with a reason; DELETE cancels too.
    let other = format!("/v1/restaurants/{}/orders/{}", owner.rid, second.id("/id"));
    let c =
        app.post(&format!("{other}/status"), &staff, json!({ "status": "cancelled", "reason": "customer left" })).await;
    assert_eq!(c.body["cancel_reason"], "customer left");
    app.delete(&other, &staff).await.expect(409, "invalid_transition");

    let list = app.get(&format!("/v1/restaurants/{}/orders?status=completed", owner.rid), &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let list = app.get(&format!("/v1/restaurants/{}/orders?channel=phone", owner.rid), &owner.token).await;
    assert_eq!(list.body["items"][0]["status"], "cancelled");
    let stats = app.get(&format!("/v1/restaurants/{}/orders/stats", owner.rid), &owner.token).await;
    stats.expect(200, "");
    assert_eq!(stats.body["orders"], 2);
    assert_eq!(stats.body["cancelled"], 1);
    assert_eq!(stats.body["sales"], 3951);
    assert_eq!(stats.body["by_channel"]["walk_in"]["orders"], 1);
}

#[tokio::test]
async fn an_order_still_open_when_the_business_day_turns_over_is_still_counted_open() {
    let app = TestApp::builder().config(crate::support::long_tokens).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let stats = format!("/v1/restaurants/{}/orders/stats", owner.rid);
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    let before = app.get(&stats, &owner.token).await;
    assert_eq!((before.body["orders"].as_i64(), before.body["open"].as_i64()), (Some(1), Some(1)));
    app.clock.advance(chrono::Duration::days(1));
    let after = app.get(&stats, &owner.token).await;
    assert_ne!(after.body["business_day"], before.body["business_day"]);
    assert_eq!((after.body["orders"].as_i64(), after.body["open"].as_i64()), (Some(0), Some(1)));
}

#[tokio::test]
async fn bad_orders_are_refused_and_leave_nothing_behind() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let cases = [
        (json!([{ "item_id": uuid::Uuid::now_v7(), "quantity": 1 }]), "items[0].item_id"),
        (json!([{ "item_id": m.burger, "quantity": 1 }]), "items[0].modifiers"),
        (json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single, m.double] }]), "items[0].modifiers"),
        (
            json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single, m.cheese, m.bacon, m.cheese] }]),
            "items[0].modifiers",
        ),
        (
            json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single, uuid::Uuid::now_v7()] }]),
            "items[0].modifiers",
        ),
        (json!([{ "item_id": m.cola, "quantity": 0 }]), "items[0].quantity"),
        (json!([{ "item_id": m.cola, "quantity": 1000000 }]), "items[0].quantity"),
        (json!([{ "item_id": m.cola, "quantity": -2 }]), "items[0].quantity"),
        (json!([{ "item_id": m.cola, "quantity": "two" }]), "items[0].quantity"),
        (json!([]), "items"),
    ];
    for (items, field) in cases {
        let r = app.order(&owner, &owner.token, "walk_in", items.clone()).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{items}");
    }
    let r = app.order(&owner, &owner.token, "carrier_pigeon", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
    assert_eq!(r.body["error"]["details"]["field"], "channel");
    let r = app
        .post(&format!("/v1/restaurants/{}/orders", owner.rid), &owner.token, json!({ "channel": "web", "type": "takeout", "table_id": uuid::Uuid::now_v7(), "items": [{ "item_id": m.cola, "quantity": 1 }] }))
        .await;
    assert_eq!(r.body["error"]["details"]["field"], "table_id");
    let r = app
        .post(&format!("/v1/restaurants/{}/orders", owner.rid), &owner.token, json!({ "channel": "ubereats", "type": "delivery", "external_total": -1, "items": [{ "item_id": m.cola, "quantity": 1 }] }))
        .await;
    assert_eq!(r.body["error"]["details"]["field"], "external_total");
    let list = app.get(&format!("/v1/restaurants/{}/orders", owner.rid), &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 0);
    // The next good order is still number 1.
    let ok = app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
    assert_eq!(ok.body["number"], 1);
    // Kitchen staff cannot take orders.
    let (_, cook) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    app.order(&owner, &cook, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(403, "forbidden");
}

#[tokio::test]
async fn channel_prices_and_inclusive_tax() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.put(
        &format!("/v1/restaurants/{}", owner.rid),
        &owner.token,
        json!({ "tax_rate_bps": 2000, "tax_inclusive": true }),
    )
    .await
    .expect(200, "");
    let m = app.menu(&owner).await;
    let r = app.order(&owner, &owner.token, "ubereats", json!([{ "item_id": m.cola, "quantity": 3 }])).await;
    r.expect(201, "");
    assert_eq!(r.body["subtotal"], 1050);
    assert_eq!(r.body["total"], 1050);
    assert_eq!(r.body["tax"], 175); // 10.50 incl. 20 %: net 8.75
}

#[tokio::test]
async fn the_same_idempotency_key_never_orders_twice() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let body = json!({ "channel": "web", "type": "takeout", "items": [{ "item_id": m.fries, "quantity": 2 }] });
    let path = app.url(&format!("/v1/restaurants/{}/orders", owner.rid));
    let send =
        || app.client.post(&path).bearer_auth(&owner.token).header("idempotency-key", "checkout-42").json(&body).send();
    let (a, b) = tokio::join!(send(), send());
    let mut created = None;
    for r in [a.unwrap(), b.unwrap()] {
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap();
        match status {
            201 => {
                if let Some(id) = &created {
                    assert_eq!(&body["id"], id, "two orders for one key");
                }
                created = Some(body["id"].clone());
            }
            // The twin arrived while the first was running: told to retry, nothing made.
            409 => assert_eq!(body["error"]["code"], "idempotency_in_progress"),
            other => panic!("{other}: {body}"),
        }
    }
    let created = created.expect("one request created the order");
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["id"], created);
    let list = app.get(&format!("/v1/restaurants/{}/orders", owner.rid), &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn concurrent_orders_get_distinct_numbers() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let mut handles = Vec::new();
    for _ in 0..24 {
        let client = app.client.clone();
        let url = app.url(&format!("/v1/restaurants/{}/orders", owner.rid));
        let token = owner.token.clone();
        let body = json!({ "channel": "web", "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] });
        handles.push(tokio::spawn(async move {
            let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<serde_json::Value>().await.unwrap()["number"].as_i64().unwrap()
        }));
    }
    let mut numbers = HashSet::new();
    for h in handles {
        numbers.insert(h.await.unwrap());
    }
    assert_eq!(numbers, (1..=24).collect::<HashSet<i64>>());
}

#[tokio::test]
async fn no_order_gets_through_after_an_86_commits() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let orders_url = app.url(&format!("/v1/restaurants/{}/orders", owner.rid));
    let mut handles = Vec::new();
    for i in 0..30 {
        let client = app.client.clone();
        let url = orders_url.clone();
        let token = owner.token.clone();
        let body = json!({ "channel": "qr", "type": "dine_in", "items": [{ "item_id": m.fries, "quantity": 1 }] });
        handles.push(tokio::spawn(async move {
            if i % 3 == 0 {
                tokio::task::yield_now().await;
            }
            let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            r.status().as_u16()
        }));
    }
    tokio::task::yield_now().await;
    let path = format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.fries);
    app.post(&path, &owner.token, json!({ "available": false })).await.expect(200, "");
    for h in handles {
        let status = h.await.unwrap();
        assert!(status == 201 || status == 409, "{status}");
    }
    // In commit order, every accepted order comes before the 86.
    let events = app.get(&format!("/v1/restaurants/{}/audit?limit=500", owner.rid), &owner.token).await;
    let items = events.body["items"].as_array().unwrap();
    let eighty_sixed_at =
        items.iter().find(|e| e["type"] == "menu.availability_changed").unwrap()["id"].as_i64().unwrap();
    for e in items.iter().filter(|e| e["type"] == "order.new") {
        assert!(e["id"].as_i64().unwrap() < eighty_sixed_at, "an order committed after the 86: {e}");
    }
    // And afterwards nothing gets through.
    app.order(&owner, &owner.token, "qr", json!([{ "item_id": m.fries, "quantity": 1 }]))
        .await
        .expect(409, "item_unavailable");
}

#[tokio::test]
async fn orders_are_assigned_queued_and_kept_when_items_are_deleted() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (sue, _) = app.add_member(&owner, "sue@example.com", "staff").await;
    let r = app.order(&owner, &owner.token, "phone", json!([{ "item_id": m.fries, "quantity": 3 }])).await;
    let id = r.id("/id");
    let path = format!("/v1/restaurants/{}/orders/{id}", owner.rid);
    let a = app.post(&format!("{path}/assign"), &owner.token, json!({ "user_id": sue })).await;
    a.expect(200, "");
    assert_eq!(a.body["assigned_to"], sue.to_string());
    app.post(&format!("{path}/assign"), &owner.token, json!({ "user_id": uuid::Uuid::now_v7() }))
        .await
        .expect(422, "validation_failed");
    let queue = app.get(&format!("/v1/restaurants/{}/orders/queue", owner.rid), &owner.token).await;
    assert_eq!(queue.body["items"][0]["id"], id.to_string());

    app.delete(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.fries), &owner.token).await.expect(204, "");
    let order = app.get(&path, &owner.token).await;
    order.expect(200, "");
    assert_eq!(order.body["items"][0]["name"], "Fries");
    assert_eq!(order.body["items"][0]["line_total"], 1200);
    app.order(&owner, &owner.token, "phone", json!([{ "item_id": m.fries, "quantity": 1 }]))
        .await
        .expect(422, "validation_failed");

    let key = r.str("/tracking_key");
    let public = app.call(reqwest::Method::GET, &format!("/v1/public/orders/{id}?key={key}"), None, None).await;
    public.expect(200, "");
    assert_eq!(public.body["status"], "received");
    assert!(public.body.get("customer").is_none());
    app.call(reqwest::Method::GET, &format!("/v1/public/orders/{id}?key=wrong"), None, None)
        .await
        .expect(404, "not_found");
    app.call(reqwest::Method::GET, &format!("/v1/public/orders/{id}"), None, None)
        .await
        .expect(422, "validation_failed");
}
