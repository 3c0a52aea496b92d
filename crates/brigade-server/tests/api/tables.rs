//! Tables and QR ordering: signed codes, rotation, and a guest ordering from the table.

use crate::support::TestApp;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_guest_orders_from_the_table_code_and_follows_the_order() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let tables = format!("/v1/restaurants/{}/tables", owner.rid);
    let t = app.post(&tables, &owner.token, json!({ "name": "T1", "capacity": 4 })).await;
    t.expect(201, "");
    let url = t.str("/qr_url");
    assert!(url.starts_with("http://127.0.0.1:8080/t/"), "{url}");
    let token = url.rsplit('/').next().unwrap().to_owned();
    app.post(&tables, &owner.token, json!({ "name": "T1" })).await.expect(409, "name_taken");
    app.post(&tables, &owner.token, json!({ "name": "T2", "capacity": 0 })).await.expect(422, "validation_failed");

    let svg = app
        .client
        .get(app.url(&format!("{tables}/{}/qr.svg", t.id("/id"))))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));
    let png = app
        .client
        .get(app.url(&format!("{tables}/{}/qr.png", t.id("/id"))))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));

    let guest = app.call(Method::GET, &format!("/v1/public/tables/{token}"), None, None).await;
    guest.expect(200, "");
    assert_eq!(guest.body["table"]["name"], "T1");
    assert_eq!(guest.body["restaurant"]["slug"], m.slug);

    let order = json!({ "items": [{ "item_id": m.burger, "quantity": 1, "modifiers": [m.double, m.bacon] }] });
    let placed = app.call(Method::POST, &format!("/v1/public/tables/{token}/orders"), None, Some(order.clone())).await;
    placed.expect(201, "");
    assert_eq!(placed.body["total"], 1650);
    let id = placed.id("/id");
    let key = placed.str("/tracking_key");
    let staff_view = app.get(&format!("/v1/restaurants/{}/orders/{id}", owner.rid), &owner.token).await;
    assert_eq!(staff_view.body["channel"], "qr");
    assert_eq!(staff_view.body["type"], "dine_in");
    assert_eq!(staff_view.body["table_id"], t.str("/id"));
    let history = app.get(&format!("/v1/restaurants/{}/orders/{id}/history", owner.rid), &owner.token).await;
    assert_eq!(history.body[0]["by"], "guest");

    // The kitchen finishes it; the guest sees ready.
    let tickets = app.get(&format!("/v1/restaurants/{}/kds/tickets", owner.rid), &owner.token).await;
    let ticket = tickets.str("/items/0/id");
    app.post(&format!("/v1/restaurants/{}/kds/tickets/{ticket}/bump", owner.rid), &owner.token, json!({}))
        .await
        .expect(200, "");
    let tracked = app.call(Method::GET, &format!("/v1/public/orders/{id}?key={key}"), None, None).await;
    assert_eq!(tracked.body["status"], "ready");

    // A guest cannot order what is 86'd, nor with a required choice missing.
    app.post(
        &format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.burger),
        &owner.token,
        json!({ "available": false }),
    )
    .await
    .expect(200, "");
    app.call(Method::POST, &format!("/v1/public/tables/{token}/orders"), None, Some(order))
        .await
        .expect(409, "item_unavailable");
    let missing = json!({ "items": [{ "item_id": m.fries, "quantity": 1 }, { "item_id": m.cola, "quantity": 1, "modifiers": [m.single] }] });
    app.call(Method::POST, &format!("/v1/public/tables/{token}/orders"), None, Some(missing))
        .await
        .expect(422, "validation_failed");
}

#[tokio::test]
async fn forged_and_rotated_codes_are_dead() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let tables = format!("/v1/restaurants/{}/tables", owner.rid);
    let t = app.post(&tables, &owner.token, json!({ "name": "Patio 3" })).await;
    let old = t.str("/qr_url").rsplit('/').next().unwrap().to_owned();
    // One character changed.
    let mut forged: Vec<char> = old.chars().collect();
    forged[5] = if forged[5] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    app.call(Method::GET, &format!("/v1/public/tables/{forged}"), None, None).await.expect(404, "not_found");
    app.call(Method::GET, "/v1/public/tables/garbage", None, None).await.expect(404, "not_found");

    let rotated = app.post(&format!("{tables}/{}/qr/rotate", t.id("/id")), &owner.token, json!({})).await;
    rotated.expect(200, "");
    let new = rotated.str("/qr_url").rsplit('/').next().unwrap().to_owned();
    assert_ne!(old, new);
    let gone = app.call(Method::GET, &format!("/v1/public/tables/{old}"), None, None).await;
    gone.expect(404, "not_found");
    assert!(gone.body["error"]["message"].as_str().unwrap().contains("ask your server"));
    app.call(Method::POST, &format!("/v1/public/tables/{old}/orders"), None, Some(json!({ "items": [] })))
        .await
        .expect(404, "not_found");
    app.call(Method::GET, &format!("/v1/public/tables/{new}"), None, None).await.expect(200, "");
    // A deleted table's code dies too.
    app.delete(&format!("{tables}/{}", t.id("/id")), &owner.token).await.expect(204, "");
    app.call(Method::GET, &format!("/v1/public/tables/{new}"), None, None).await.expect(404, "not_found");
}
