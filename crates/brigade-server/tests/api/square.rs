//! Square against its fake: the catalog imported into Brigade's menu (and imported again
//! as an update), POS orders by signed webhook onto the kitchen display mapped to the
//! imported items, payments marking them paid, forged and replayed webhooks refused.

use crate::fakes::FakeSquare;
use crate::support::{long_tokens, TestApp};
use serde_json::{json, Value};

fn catalog(latte_large: i64) -> Vec<Value> {
    vec![
        json!({ "type": "CATEGORY", "id": "C1", "category_data": { "name": "Coffee" } }),
        json!({ "type": "ITEM", "id": "I1", "item_data": { "name": "Latte", "category_id": "C1", "description": "Double shot", "variations": [
            { "type": "ITEM_VARIATION", "id": "V1", "item_variation_data": { "name": "Small", "price_money": { "amount": 350, "currency": "USD" } } },
            { "type": "ITEM_VARIATION", "id": "V2", "item_variation_data": { "name": "Large", "price_money": { "amount": latte_large, "currency": "USD" } } }
        ] } }),
        json!({ "type": "ITEM", "id": "I2", "item_data": { "name": "Scone", "variations": [
            { "type": "ITEM_VARIATION", "id": "V3", "item_variation_data": { "name": "Regular", "price_money": { "amount": 300, "currency": "USD" } } }
        ] } }),
    ]
}

#[tokio::test]
async fn a_square_catalog_becomes_the_menu_and_pos_orders_reach_the_kitchen() {
    let sq = FakeSquare::start("L1").await;
    sq.state.lock().catalog = catalog(450);
    let base = sq.base_url.clone();
    let app = TestApp::builder()
        .config(|c| {
            c.square_base_url = base;
            long_tokens(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@square.test", "Square Cafe").await;
    let p = |rest: &str| format!("/v1/restaurants/{}/{rest}", owner.rid);
    let r = app
        .post(
            &p("integrations"),
            &owner.token,
            json!({ "platform": "square", "store_id": "L1", "credentials": sq.credentials() }),
        )
        .await;
    r.expect(201, "");
    let id = r.str("/id");
    let hook_url = r.str("/webhook_url");
    let t = app.post(&p(&format!("integrations/{id}/test")), &owner.token, json!({})).await;
    assert_eq!(t.body["ok"], true, "{}", t.body);
    assert!(t.str("/message").contains("Main Street"));

    // Import: one item per variation, in categories by name; again, it updates.
    let i = app.post(&p(&format!("integrations/{id}/import")), &owner.token, json!({})).await;
    i.expect(200, "");
    assert_eq!(
        (i.body["read"].as_i64(), i.body["created"].as_i64(), i.body["categories_created"].as_i64()),
        (Some(3), Some(3), Some(2))
    );
    let items = app.get(&p("menu/items"), &owner.token).await.body["items"].as_array().unwrap().clone();
    let by_name = |n: &str| items.iter().find(|i| i["name"] == n).cloned().unwrap();
    assert_eq!(by_name("Latte (Large)")["price"], 450);
    assert_eq!(by_name("Scone")["price"], 300);
    sq.state.lock().catalog = catalog(475);
    let again = app.post(&p(&format!("integrations/{id}/import")), &owner.token, json!({})).await;
    assert_eq!((again.body["created"].as_i64(), again.body["updated"].as_i64()), (Some(0), Some(3)), "{}", again.body);
    let large =
        app.get(&p(&format!("menu/items/{}", by_name("Latte (Large)")["id"].as_str().unwrap())), &owner.token).await;
    assert_eq!(large.body["price"], 475);
    assert!(
        app.get(&p("sync/jobs"), &owner.token).await.body["items"].as_array().unwrap().is_empty(),
        "Square gets no pushes"
    );

    // A POS order: signed over the notification URL and body, mapped to the imported items.
    sq.state.lock().orders.insert("SQ-1".into(), json!({
        "id": "SQ-1", "location_id": "L1", "ticket_name": "Ana",
        "line_items": [
            { "name": "Latte", "variation_name": "Large", "quantity": "2", "catalog_object_id": "V2", "modifiers": [{ "name": "Oat milk" }] },
            { "name": "Scone", "quantity": "1", "catalog_object_id": "V3" }
        ],
        "fulfillments": [{ "type": "PICKUP" }], "total_money": { "amount": 1250, "currency": "USD" }
    }));
    let hook = &hook_url[hook_url.find("/v1/hooks/").unwrap()..];
    let (body, sig) = sq.webhook(&hook_url, "evt-1", "order.created", json!({ "type": "order", "id": "SQ-1", "object": { "order_created": { "order_id": "SQ-1", "state": "OPEN" } } }));
    let forged = brigade_domain::integration::square_signature("another-key", &hook_url, &body);
    app.hook(hook, &[("x-square-hmacsha256-signature", forged)], &body).await.expect(401, "signature_invalid");
    let wrong_url =
        brigade_domain::integration::square_signature("square-signature-key", "https://elsewhere.example/x", &body);
    app.hook(hook, &[("x-square-hmacsha256-signature", wrong_url)], &body).await.expect(401, "signature_invalid");
    let r = app.hook(hook, &[("x-square-hmacsha256-signature", sig.clone())], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let order = app.get(&p(&format!("orders/{}", r.str("/order_id"))), &owner.token).await;
    assert_eq!((order.str("/channel").as_str(), order.str("/type").as_str()), ("pos", "takeout"));
    assert_eq!(order.body["items"][0]["name"], "Latte (Large)");
    assert_eq!(order.body["items"][0]["quantity"], 2);
    assert_eq!(order.body["items"][0]["notes"], "Oat milk");
    assert_eq!(order.body["payment_status"], Value::Null);
    assert_eq!(app.hook(hook, &[("x-square-hmacsha256-signature", sig)], &body).await.body["outcome"], "replayed");

    // Paid at the POS.
    let (pb, ps) = sq.webhook(&hook_url, "evt-2", "payment.updated", json!({ "type": "payment", "id": "P1", "object": { "payment": { "id": "P1", "order_id": "SQ-1", "status": "COMPLETED" } } }));
    assert_eq!(app.hook(hook, &[("x-square-hmacsha256-signature", ps)], &pb).await.body["outcome"], "processed");
    let order = app.get(&p(&format!("orders/{}", order.str("/id"))), &owner.token).await;
    assert_eq!(order.body["payment_status"], "paid");

    // A line Brigade never imported cannot be mapped: logged as denied, nothing placed.
    sq.state.lock().orders.insert(
        "SQ-2".into(),
        json!({ "id": "SQ-2", "line_items": [{ "name": "Gift card", "quantity": "1", "catalog_object_id": "GC" }] }),
    );
    let (b2, s2) = sq.webhook(
        &hook_url,
        "evt-3",
        "order.created",
        json!({ "type": "order", "id": "SQ-2", "object": { "order_created": { "order_id": "SQ-2" } } }),
    );
    let r = app.hook(hook, &[("x-square-hmacsha256-signature", s2)], &b2).await;
    assert_eq!(r.body["outcome"], "denied", "{}", r.body);
    assert_eq!(app.get(&p("orders"), &owner.token).await.body["items"].as_array().unwrap().len(), 1);

    // Square down: the import says so and changes nothing.
    sq.state.lock().down = true;
    app.post(&p(&format!("integrations/{id}/import")), &owner.token, json!({})).await.expect(502, "platform_refused");
}
