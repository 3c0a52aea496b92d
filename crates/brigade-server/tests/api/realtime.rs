//! The realtime feed: who may listen to what, delivery of committed events, catch-up
//! after a reconnect, guests following their order, and two nodes on one database.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn members_get_their_restaurants_events_and_nobody_else_does() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let other = app.signup("bob@example.com", "Elsewhere").await;
    let m = app.menu(&owner).await;
    let channel = format!("restaurant:{}", owner.rid);

    let mut anon = app.ws(None).await;
    let r = anon.subscribe(&channel, None).await;
    assert_eq!((r["op"].as_str(), r["code"].as_str()), (Some("error"), Some("unauthenticated")));
    let mut stranger = app.ws(Some(&other.token)).await;
    let r = stranger.subscribe(&channel, None).await;
    assert_eq!(r["code"], "not_found");
    let mut bad = app.ws(None).await;
    bad.send(json!({ "op": "auth", "token": "nonsense" })).await;
    assert_eq!(bad.next().await.unwrap()["code"], "invalid_token");
    bad.send(json!({ "op": "subscribe", "channel": "chat:1" })).await;
    assert_eq!(bad.next().await.unwrap()["code"], "invalid_channel");
    bad.send(json!({ "op": "ping" })).await;
    assert_eq!(bad.next().await.unwrap()["op"], "pong");

    let mut ws = app.ws(None).await;
    ws.send(json!({ "op": "auth", "token": owner.token })).await;
    assert_eq!(ws.next().await.unwrap()["op"], "authenticated");
    let sub = ws.subscribe(&channel, None).await;
    assert_eq!(sub["op"], "subscribed");
    let start = sub["offset"].as_i64().unwrap();
    let order = app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 2 }])).await;
    order.expect(201, "");
    // The feed may still be delivering the menu's setup events; skip to the order.
    let msg = ws.until("order.new").await;
    assert_eq!(msg["channel"], channel);
    assert!(msg["offset"].as_i64().unwrap() > start);
    assert_eq!(msg["event"]["entity_id"], order.str("/id"));
    assert_eq!(msg["event"]["data"]["total"], 500);
    assert!(msg["event"]["data"].get("tracking_key").is_none());
    // The other restaurant's socket could not subscribe and gets nothing.
    stranger.send(json!({ "op": "ping" })).await;
    assert_eq!(stranger.next().await.unwrap()["op"], "pong");
}

#[tokio::test]
async fn a_client_that_reconnects_gets_what_it_missed_in_order_then_live_events() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let channel = format!("restaurant:{}", owner.rid);
    let mut ws = app.ws(Some(&owner.token)).await;
    ws.subscribe(&channel, None).await;
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    // Skip any of the menu's setup events the feed is still delivering.
    let first = ws.until("order.new").await;
    let last_seen = first["offset"].as_i64().unwrap();
    drop(ws);

    // While it is away: two orders, an 86, a status change.
    let a = app.order(&owner, &owner.token, "web", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    app.order(&owner, &owner.token, "web", json!([{ "item_id": m.cola, "quantity": 3 }])).await.expect(201, "");
    app.post(
        &format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.burger),
        &owner.token,
        json!({ "available": false }),
    )
    .await
    .expect(200, "");
    app.post(
        &format!("/v1/restaurants/{}/orders/{}/status", owner.rid, a.str("/id")),
        &owner.token,
        json!({ "status": "accepted" }),
    )
    .await
    .expect(200, "");

    let mut ws = app.ws(Some(&owner.token)).await;
    let sub = ws.subscribe(&channel, Some(last_seen)).await;
    assert_eq!(sub["op"], "subscribed");
    let mut kinds = Vec::new();
    let mut offsets = Vec::new();
    for _ in 0..4 {
        let (k, msg) = ws.event().await;
        kinds.push(k);
        offsets.push(msg["offset"].as_i64().unwrap());
    }
    assert_eq!(kinds, ["order.new", "order.new", "menu.availability_changed", "order.status_changed"]);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]), "in order: {offsets:?}");
    assert!(offsets[0] > last_seen);
    assert_eq!(*offsets.last().unwrap(), sub["offset"].as_i64().unwrap());
    // Then live.
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    let (k, msg) = ws.event().await;
    assert_eq!(k, "order.new");
    assert!(msg["offset"].as_i64().unwrap() > *offsets.last().unwrap());
}

#[tokio::test]
async fn a_guest_follows_their_order_and_a_station_sees_only_its_tickets() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, cook) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    let mut grill = app.ws(Some(&cook)).await;
    assert_eq!(grill.subscribe(&format!("kds:{}:{}", owner.rid, m.grill), None).await["op"], "subscribed");

    let t = app.post(&format!("/v1/restaurants/{}/tables", owner.rid), &owner.token, json!({ "name": "T9" })).await;
    let token = t.str("/qr_url").rsplit('/').next().unwrap().to_owned();
    // A drink-only order never reaches the grill; a burger does.
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    let placed = app
        .call(
            reqwest::Method::POST,
            &format!("/v1/public/tables/{token}/orders"),
            None,
            Some(json!({ "items": [{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] }] })),
        )
        .await;
    placed.expect(201, "");
    let (kind, msg) = grill.event().await;
    assert_eq!(kind, "order.new");
    assert_eq!(msg["event"]["entity_id"], placed.str("/id"));

    let order_channel = format!("order:{}", placed.str("/id"));
    let mut guest = app.ws(None).await;
    guest.send(json!({ "op": "subscribe", "channel": order_channel, "key": "wrong" })).await;
    assert_eq!(guest.next().await.unwrap()["code"], "not_found");
    guest.send(json!({ "op": "subscribe", "channel": order_channel, "key": placed.str("/tracking_key") })).await;
    assert_eq!(guest.next().await.unwrap()["op"], "subscribed");

    let presence = app.get(&format!("/v1/restaurants/{}/realtime/presence", owner.rid), &owner.token).await;
    assert_eq!(presence.body[0]["channel"], format!("kds:{}:{}", owner.rid, m.grill));
    assert_eq!(presence.body[0]["connections"].as_array().unwrap().len(), 1);

    let tickets = app.get(&format!("/v1/restaurants/{}/kds/tickets?station_id={}", owner.rid, m.grill), &cook).await;
    app.post(
        &format!("/v1/restaurants/{}/kds/tickets/{}/bump", owner.rid, tickets.str("/items/0/id")),
        &cook,
        json!({}),
    )
    .await
    .expect(200, "");
    assert_eq!(guest.until("order.status_changed").await["event"]["data"]["to"], "ready");
    assert_eq!(grill.event().await.0, "kds.ticket_bumped");
    assert_eq!(grill.event().await.0, "order.status_changed");
}

#[tokio::test]
async fn two_servers_on_one_database_deliver_each_others_events() {
    let a = TestApp::spawn().await;
    let owner = a.signup("ana@example.com", "Diner").await;
    let m = a.menu(&owner).await;
    let b = TestApp::builder().same_database_as(&a).spawn().await;
    assert!(a.public_items(&m.slug, "qr").await.contains(&"Fries".to_owned()), "A caches a menu with fries");
    let mut on_b = b.ws(Some(&owner.token)).await;
    on_b.subscribe(&format!("restaurant:{}", owner.rid), None).await;
    let placed = a.order(&owner, &owner.token, "web", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    placed.expect(201, "");
    let msg = on_b.until("order.new").await;
    assert_eq!(msg["event"]["entity_id"], placed.str("/id"));
    // And the other way.
    let mut on_a = a.ws(Some(&owner.token)).await;
    on_a.subscribe(&format!("restaurant:{}", owner.rid), None).await;
    b.post(
        &format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.fries),
        &owner.token,
        json!({ "available": false }),
    )
    .await
    .expect(200, "");
    assert_eq!(on_a.until("menu.availability_changed").await["event"]["data"]["available"], false);
    // A's cached public menu forgot the fries as soon as A's feed saw B's 86.
    assert!(!a.public_items(&m.slug, "qr").await.contains(&"Fries".to_owned()));
}

#[tokio::test]
async fn sockets_are_told_when_the_server_stops() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let mut ws = app.ws(Some(&owner.token)).await;
    ws.subscribe(&format!("restaurant:{}", owner.rid), None).await;
    let _app = app.restart().await;
    // Events committed just before the subscription may still be on their way (the feed
    // delivers them after it); then the socket closes.
    while let Some(m) = ws.next().await {
        assert_eq!(m["op"], "event", "only events may come before the close: {m}");
    }
}
