//! DoorDash against its fake: DD-JWT-V1 auth, the menu created then patched, 86s as item
//! suspensions, prices with the menu, pushes acknowledged (DoorDash shows nothing back),
//! the store paused and reopened, orders by webhook with its auth token, confirmed.

use crate::fakes::FakeDoorDash;
use crate::support::{long_tokens, TestApp};
use chrono::Duration;
use serde_json::json;

#[tokio::test]
async fn doordash_gets_the_menu_and_86s_takes_orders_and_pauses() {
    let dd = FakeDoorDash::start("dd-store-9").await;
    let base = dd.base_url.clone();
    let app = TestApp::builder()
        .config(|c| {
            c.doordash_base_url = base;
            c.sync_drift_interval_secs = 0;
            long_tokens(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@dd.test", "Dash Diner").await;
    let menu = app.menu(&owner).await;
    let p = |rest: &str| format!("/v1/restaurants/{}/{rest}", owner.rid);
    let settle = || app.settle_sync(&owner, Duration::seconds(2));

    // A wrong signing secret: the token is refused, the test says so.
    let mut bad = dd.credentials();
    bad["signing_secret"] = json!("b3RoZXItc2VjcmV0");
    let r = app
        .post(
            &p("integrations"),
            &owner.token,
            json!({ "platform": "doordash", "store_id": "dd-store-9", "credentials": bad }),
        )
        .await;
    r.expect(201, "");
    let wrong = r.str("/id");
    assert_eq!(r.body["credentials"]["webhook_token"], "set");
    assert_eq!(r.body["credentials"]["key_id"], "…ey-1");
    let t = app.post(&p(&format!("integrations/{wrong}/test")), &owner.token, json!({})).await;
    assert_eq!(t.body["ok"], false, "{}", t.body);
    app.delete(&p(&format!("integrations/{wrong}")), &owner.token).await.expect(204, "");

    let r = app
        .post(
            &p("integrations"),
            &owner.token,
            json!({ "platform": "doordash", "store_id": "dd-store-9", "credentials": dd.credentials() }),
        )
        .await;
    r.expect(201, "");
    let id = r.str("/id");
    let t = app.post(&p(&format!("integrations/{id}/test")), &owner.token, json!({})).await;
    assert_eq!(t.body["ok"], true, "{}", t.body);
    let jobs = settle().await;
    assert_eq!(jobs[0]["status"], "succeeded", "{:?}", jobs[0]);
    assert_eq!(jobs[0]["result"]["verified"], false, "DoorDash shows nothing back: acknowledged, not verified");
    assert_eq!(jobs[0]["result"]["acknowledged"], true);
    assert!(dd.menu_items().iter().any(|(i, price)| *i == menu.cola.to_string() && *price == 250));

    // An 86 is an item suspension; a price goes up with the menu (a PATCH of it). A 429
    // (Retry-After: 1) and a 503 on the way only delay it.
    dd.state.lock().fail_next.extend([429, 503]);
    app.post(&p(&format!("menu/items/{}/availability", menu.fries)), &owner.token, json!({ "available": false }))
        .await
        .expect(200, "");
    let jobs = settle().await;
    assert_eq!(
        (jobs[0]["status"].as_str(), jobs[0]["attempts"].as_i64()),
        (Some("succeeded"), Some(2)),
        "{:?}",
        jobs[0]
    );
    assert_eq!(dd.state.lock().statuses.last().unwrap(), &(menu.fries.to_string(), false));
    let mut cola = app.get(&p(&format!("menu/items/{}", menu.cola)), &owner.token).await.body;
    cola["price"] = json!(275);
    app.put(&p(&format!("menu/items/{}", menu.cola)), &owner.token, cola).await.expect(200, "");
    settle().await;
    assert!(
        dd.menu_items().iter().any(|(i, price)| *i == menu.cola.to_string() && *price == 275),
        "{:?}",
        dd.menu_items()
    );
    assert!(dd.state.lock().calls.iter().any(|c| c.method == "PATCH" && c.path == "/menus/dd-menu-1"));

    // Orders come with DoorDash's auth header; anything else is refused.
    let hook = format!("/v1/hooks/doordash/{id}");
    let body =
        dd.order_webhook("dd-order-1", &[(menu.burger.to_string(), "Burger", 1), (menu.fries.to_string(), "Fries", 2)]);
    app.hook(&hook, &[("authorization", "Bearer nope".into())], &body).await.expect(401, "signature_invalid");
    app.hook(&hook, &[], &body).await.expect(401, "signature_invalid");
    let ok = app.hook(&hook, &[("authorization", "Bearer dd-webhook-token".into())], &body).await;
    assert_eq!(ok.body["outcome"], "processed", "{}", ok.body);
    let order = app.get(&p(&format!("orders/{}", ok.str("/order_id"))), &owner.token).await;
    assert_eq!((order.str("/channel").as_str(), order.str("/external_id").as_str()), ("doordash", "dd-order-1"));
    assert!(order.body["items"][1]["flag"].as_str().unwrap().contains("86'd"), "{}", order.body);
    let confirmations = dd.state.lock().confirmations.clone();
    assert_eq!(confirmations.len(), 1);
    assert_eq!(confirmations[0].1["order_status"], "success");
    let again = app.hook(&hook, &[("authorization", "Bearer dd-webhook-token".into())], &body).await;
    assert_eq!(again.body["outcome"], "replayed");
    assert_eq!(dd.state.lock().confirmations.len(), 1);

    // In the weeds: pause the store on DoorDash, then open it again.
    let r = app
        .post(
            &p(&format!("integrations/{id}/store")),
            &owner.token,
            json!({ "open": false, "reason": "kitchen slammed" }),
        )
        .await;
    r.expect(200, "");
    assert!(!dd.state.lock().store_active);
    app.post(&p(&format!("integrations/{id}/store")), &owner.token, json!({ "open": true })).await.expect(200, "");
    assert!(dd.state.lock().store_active);
    dd.state.lock().down = true;
    app.post(&p(&format!("integrations/{id}/store")), &owner.token, json!({ "open": false }))
        .await
        .expect(502, "platform_refused");
}
