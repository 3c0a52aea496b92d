//! The kitchen display: tickets per station, bump to ready, recall.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn an_order_splits_into_station_tickets_and_bumping_them_all_makes_it_ready() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, cook) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    let (_, staff) = app.add_member(&owner, "sue@example.com", "staff").await;
    let r = app
        .order(
            &owner,
            &staff,
            "walk_in",
            json!([
                { "item_id": m.burger, "quantity": 2, "modifiers": [m.single] },
                { "item_id": m.fries, "quantity": 1 },
                { "item_id": m.fries, "quantity": 2, "notes": "extra salt" }
            ]),
        )
        .await;
    r.expect(201, "");
    let order = format!("/v1/restaurants/{}/orders/{}", owner.rid, r.id("/id"));
    let tickets = |station: uuid::Uuid| {
        let (app, path, cook) =
            (&app, format!("/v1/restaurants/{}/kds/tickets?station_id={station}", owner.rid), cook.clone());
        async move { app.get(&path, &cook).await }
    };
    let grill = tickets(m.grill).await;
    assert_eq!(grill.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(grill.body["items"][0]["items"][0]["name"], "Burger");
    assert_eq!(grill.body["items"][0]["items"][0]["modifiers"][0]["name"], "Single");
    let fryer = tickets(m.fryer).await;
    assert_eq!(fryer.body["items"][0]["items"].as_array().unwrap().len(), 2);
    assert_eq!(fryer.body["items"][0]["items"][1]["notes"], "extra salt");
    assert!(tickets(m.bar).await.body["items"].as_array().unwrap().is_empty());
    let all = app.get(&format!("/v1/restaurants/{}/kds/tickets", owner.rid), &cook).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 2);
    let all_day = app.get(&format!("/v1/restaurants/{}/kds/all-day", owner.rid), &cook).await;
    assert_eq!(
        all_day.body,
        json!([
            { "item_id": m.fries, "name": "Fries", "quantity": 3 },
            { "item_id": m.burger, "name": "Burger", "quantity": 2 }
        ])
    );

    let bump = |ticket: &str| {
        let (app, path, cook) =
            (&app, format!("/v1/restaurants/{}/kds/tickets/{ticket}/bump", owner.rid), cook.clone());
        async move { app.post(&path, &cook, json!({})).await }
    };
    let grill_ticket = grill.str("/items/0/id");
    let fryer_ticket = fryer.str("/items/0/id");
    app.post(&format!("/v1/restaurants/{}/kds/tickets/{grill_ticket}/bump", owner.rid), &staff, json!({}))
        .await
        .expect(403, "forbidden");
    bump(&grill_ticket).await.expect(200, "");
    bump(&grill_ticket).await.expect(409, "ticket_unchanged");
    assert_eq!(app.get(&order, &staff).await.body["status"], "received");
    let b = bump(&fryer_ticket).await;
    b.expect(200, "");
    assert_eq!(b.body["order_status"], "ready");
    assert_eq!(app.get(&order, &staff).await.body["status"], "ready");

    // The cook recalls the fries: back to preparing, and bumping again makes it ready.
    let recall =
        app.post(&format!("/v1/restaurants/{}/kds/tickets/{fryer_ticket}/recall", owner.rid), &cook, json!({})).await;
    recall.expect(200, "");
    assert_eq!(recall.body["status"], "open");
    assert_eq!(app.get(&order, &staff).await.body["status"], "preparing");
    bump(&fryer_ticket).await.expect(200, "");
    assert_eq!(app.get(&order, &staff).await.body["status"], "ready");
    let bumped = app.get(&format!("/v1/restaurants/{}/kds/tickets?status=bumped", owner.rid), &cook).await;
    assert_eq!(bumped.body["items"][0]["id"], fryer_ticket, "most recently bumped first");

    app.post(&format!("{order}/status"), &staff, json!({ "status": "completed" })).await.expect(200, "");
    app.post(&format!("/v1/restaurants/{}/kds/tickets/{fryer_ticket}/recall", owner.rid), &cook, json!({}))
        .await
        .expect(409, "order_closed");
    let history = app.get(&format!("{order}/history"), &owner.token).await;
    let steps: Vec<&str> = history.body.as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(steps, ["received", "ready", "preparing", "ready", "completed"]);
}

#[tokio::test]
async fn cancelling_an_order_clears_its_tickets() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let r = app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
    let open = format!("/v1/restaurants/{}/kds/tickets?station_id={}", owner.rid, m.bar);
    assert_eq!(app.get(&open, &owner.token).await.body["items"].as_array().unwrap().len(), 1);
    app.delete(&format!("/v1/restaurants/{}/orders/{}", owner.rid, r.id("/id")), &owner.token).await.expect(200, "");
    assert!(app.get(&open, &owner.token).await.body["items"].as_array().unwrap().is_empty());

    // Deleting a station unroutes its categories; later orders make unrouted tickets.
    app.delete(&format!("/v1/restaurants/{}/kds/stations/{}", owner.rid, m.bar), &owner.token).await.expect(204, "");
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    let all = app.get(&format!("/v1/restaurants/{}/kds/tickets", owner.rid), &owner.token).await;
    assert!(all.body["items"][0]["station_id"].is_null());
    app.get(&format!("/v1/restaurants/{}/kds/tickets?status=later", owner.rid), &owner.token)
        .await
        .expect(422, "validation_failed");
}
