//! Grubhub against its fake: MAC-signed calls, 86s as schedule overrides (hidden until
//! the 86 ends, shown again by deleting it), the availability of every item on connect,
//! orders by webhook with its auth token, confirmed back.

use crate::fakes::FakeGrubhub;
use crate::support::{long_tokens, TestApp};
use chrono::Duration;
use serde_json::json;

#[tokio::test]
async fn grubhub_follows_86s_and_sends_orders_to_the_kitchen() {
    let gh = FakeGrubhub::start("gh-merchant-1").await;
    let base = gh.base_url.clone();
    let app = TestApp::builder()
        .config(|c| {
            c.grubhub_base_url = base;
            c.sync_drift_interval_secs = 0;
            long_tokens(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@gh.test", "Hub Diner").await;
    let menu = app.menu(&owner).await;
    let p = |rest: &str| format!("/v1/restaurants/{}/{rest}", owner.rid);
    let settle = || app.settle_sync(&owner, Duration::seconds(2));

    // A wrong secret key: the MAC is refused.
    let mut bad = gh.credentials();
    bad["secret_key"] = json!("b3RoZXI=");
    let r = app
        .post(
            &p("integrations"),
            &owner.token,
            json!({ "platform": "grubhub", "store_id": "gh-merchant-1", "credentials": bad }),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["credentials"]["partner_key"], "set");
    let wrong = r.str("/id");
    assert_eq!(app.post(&p(&format!("integrations/{wrong}/test")), &owner.token, json!({})).await.body["ok"], false);
    app.delete(&p(&format!("integrations/{wrong}")), &owner.token).await.expect(204, "");

    let r = app
        .post(
            &p("integrations"),
            &owner.token,
            json!({ "platform": "grubhub", "store_id": "gh-merchant-1", "credentials": gh.credentials() }),
        )
        .await;
    r.expect(201, "");
    let id = r.str("/id");
    assert_eq!(app.post(&p(&format!("integrations/{id}/test")), &owner.token, json!({})).await.body["ok"], true);
    let jobs = settle().await;
    assert_eq!((jobs[0]["kind"].as_str(), jobs[0]["status"].as_str()), (Some("menu"), Some("succeeded")), "{jobs:?}");
    assert!(gh.state.lock().ops.len() >= 3, "every item's availability on connect");

    // 86: hidden until it ends (through a 503 and a 429); back: the override deleted.
    gh.state.lock().fail_next.extend([503, 429]);
    app.post(&p(&format!("menu/items/{}/availability", menu.fries)), &owner.token, json!({ "available": false }))
        .await
        .expect(200, "");
    settle().await;
    assert!(gh.state.lock().hidden.contains(&menu.fries.to_string()));
    app.post(&p(&format!("menu/items/{}/availability", menu.fries)), &owner.token, json!({ "available": true }))
        .await
        .expect(200, "");
    let jobs = settle().await;
    assert!(!gh.state.lock().hidden.contains(&menu.fries.to_string()));
    assert_eq!(jobs[0]["result"]["acknowledged"], true);

    // An order: its webhook carries the auth token; the order is read, placed, confirmed.
    gh.state.lock().orders.insert("gh-order-1".into(), json!({
        "order_uuid": "gh-order-1", "order_number": "7731", "fulfillment_info": { "type": "PICKUP" },
        "diner": { "name": "Lin" },
        "lines": [{ "external_id": menu.cola.to_string(), "name": "Cola", "quantity": 2, "options": [{ "name": "No ice" }] }],
        "charges": { "total": 700 }
    }));
    let hook = format!("/v1/hooks/grubhub/{id}");
    let body = serde_json::to_vec(&json!({ "order_uuid": "gh-order-1", "status": "NEW" })).unwrap();
    app.hook(&hook, &[("authorization", "Basic not-it".into())], &body).await.expect(401, "signature_invalid");
    let r = app.hook(&hook, &[("authorization", "gh-webhook-token".into())], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let order = app.get(&p(&format!("orders/{}", r.str("/order_id"))), &owner.token).await;
    assert_eq!((order.str("/channel").as_str(), order.str("/type").as_str()), ("grubhub", "takeout"));
    assert_eq!(order.body["items"][0]["notes"], "No ice");
    assert_eq!(gh.state.lock().statuses, vec![("gh-order-1".to_owned(), "CONFIRMED".to_owned())]);
    assert_eq!(
        app.hook(&hook, &[("authorization", "gh-webhook-token".into())], &body).await.body["outcome"],
        "replayed"
    );
}
