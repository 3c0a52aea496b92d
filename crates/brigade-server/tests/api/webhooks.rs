//! Outgoing webhooks: subscribing, signed deliveries of the chosen event types only,
//! retries with backoff and a dead letter after 24 hours, the delivery log, replay,
//! pings, refused addresses, and tenancy.

use crate::fakes::Receiver;
use crate::support::{long_tokens, Owner, TestApp};
use brigade_domain::integration::verify_timestamped;
use chrono::Duration;
use serde_json::{json, Value};

async fn setup(allow_private: bool) -> (TestApp, Owner, crate::support::Menu, Receiver) {
    let app = TestApp::builder()
        .config(|c| {
            c.open_signup = true;
            c.webhooks_allow_private = allow_private;
            long_tokens(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@hooks.test", "Hooks Diner").await;
    let menu = app.menu(&owner).await;
    (app, owner, menu, Receiver::start().await)
}

fn path(owner: &Owner, rest: &str) -> String {
    format!("/v1/restaurants/{}/{rest}", owner.rid)
}

async fn deliveries(app: &TestApp, owner: &Owner, sub: &str) -> Vec<Value> {
    let r = app.get(&path(owner, &format!("webhooks/{sub}/deliveries")), &owner.token).await;
    r.expect(200, "");
    r.body.as_array().unwrap().clone()
}

/// Waits until the subscription's newest delivery is no longer waiting to be sent now.
async fn settled(app: &TestApp, owner: &Owner, sub: &str, want: usize) -> Vec<Value> {
    for _ in 0..500 {
        app.state.wake_workers();
        let d = deliveries(app, owner, sub).await;
        let now = app.clock.now();
        let busy = d.iter().any(|d| {
            d["status"] == "sending"
                || d["status"] == "pending"
                    && d["next_attempt_at"]
                        .as_str()
                        .is_some_and(|t| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap() <= now)
        });
        if d.len() >= want && !busy {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("deliveries did not settle: {:?}", deliveries(app, owner, sub).await);
}

#[tokio::test]
async fn subscribed_events_arrive_signed_and_failures_retry_then_die_and_replay() {
    let (app, owner, menu, rx) = setup(true).await;
    let r = app
        .post(
            &path(&owner, "webhooks"),
            &owner.token,
            json!({ "url": rx.url, "event_types": ["order.*"], "description": "POS bridge" }),
        )
        .await;
    r.expect(201, "");
    let sub = r.str("/id");
    let secret = r.str("/secret");
    assert!(secret.starts_with("bwhsec_"));
    let shown = app.get(&path(&owner, &format!("webhooks/{sub}")), &owner.token).await;
    assert!(shown.body.get("secret").is_none(), "the secret is shown once: {}", shown.body);
    assert!(secret.ends_with(shown.str("/secret_hint").trim_start_matches('…')));

    // An 86 is not an order event: not sent. An order is.
    app.post(
        &path(&owner, &format!("menu/items/{}/availability", menu.fries)),
        &owner.token,
        json!({ "available": false }),
    )
    .await
    .expect(200, "");
    let o = app.order(&owner, &owner.token, "web", json!([{ "item_id": menu.cola, "quantity": 1 }])).await;
    o.expect(201, "");
    let d = settled(&app, &owner, &sub, 1).await;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0]["event_type"].as_str(), d[0]["status"].as_str(), d[0]["attempts"].as_i64()),
        (Some("order.new"), Some("succeeded"), Some(1))
    );
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let sig = &got[0].headers["brigade-signature"];
    verify_timestamped(&secret, sig, &got[0].body, app.clock.now().timestamp(), 300).expect("a valid signature");
    assert!(verify_timestamped("bwhsec_other", sig, &got[0].body, app.clock.now().timestamp(), 300).is_err());
    assert_eq!(got[0].headers["brigade-event"], "order.new");
    assert_eq!(got[0].headers["brigade-delivery"], d[0]["id"].as_str().unwrap());
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "order.new");
    assert_eq!(body["data"]["id"], o.body["id"]);
    assert!(body["data"].get("tracking_key").is_none(), "the guest's key is not sent");

    // The receiver fails twice, then takes it: retried with backoff, the same delivery id.
    rx.state.lock().answers.extend([500, 503]);
    let id = o.id("/id");
    app.post(&path(&owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": "accepted" }))
        .await
        .expect(200, "");
    let d = settled(&app, &owner, &sub, 2).await;
    assert_eq!((d[0]["status"].as_str(), d[0]["last_status"].as_i64()), (Some("pending"), Some(500)));
    app.clock.advance(Duration::minutes(2));
    let d = settled(&app, &owner, &sub, 2).await;
    assert_eq!(d[0]["last_status"], 503);
    app.clock.advance(Duration::minutes(5));
    let d = settled(&app, &owner, &sub, 2).await;
    assert_eq!((d[0]["status"].as_str(), d[0]["attempts"].as_i64()), (Some("succeeded"), Some(3)));
    let got = rx.received();
    assert_eq!(got.len(), 4);
    assert!(got[1..].iter().all(|g| g.headers["brigade-delivery"] == d[0]["id"].as_str().unwrap()));

    // A receiver failing for a day: the delivery is dead. A replay sends it again.
    rx.state.lock().answers.extend(std::iter::repeat_n(500, 100));
    app.post(&path(&owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": "preparing" }))
        .await
        .expect(200, "");
    settled(&app, &owner, &sub, 3).await;
    for _ in 0..30 {
        app.clock.advance(Duration::hours(1));
        settled(&app, &owner, &sub, 3).await;
    }
    let d = deliveries(&app, &owner, &sub).await;
    assert_eq!(d[0]["status"], "dead", "{:?}", d[0]);
    let dead = app.get(&path(&owner, &format!("webhooks/{sub}/deliveries?status=dead")), &owner.token).await;
    assert_eq!(dead.body.as_array().unwrap().len(), 1);
    rx.state.lock().answers.clear();
    let did = d[0]["id"].as_str().unwrap();
    app.post(&path(&owner, &format!("webhooks/{sub}/deliveries/{did}/replay")), &owner.token, json!({}))
        .await
        .expect(202, "");
    let d = settled(&app, &owner, &sub, 3).await;
    assert_eq!(d[0]["status"], "succeeded");

    // A ping goes to this subscription alone.
    app.post(&path(&owner, &format!("webhooks/{sub}/ping")), &owner.token, json!({})).await.expect(202, "");
    let d = settled(&app, &owner, &sub, 4).await;
    assert_eq!((d[0]["event_type"].as_str(), d[0]["status"].as_str()), (Some("webhook.ping"), Some("succeeded")));

    // Paused: nothing is sent; events meanwhile wait for the resume.
    app.call(
        reqwest::Method::PATCH,
        &path(&owner, &format!("webhooks/{sub}")),
        Some(&owner.token),
        Some(json!({ "status": "paused" })),
    )
    .await
    .expect(200, "");
    let before = rx.received().len();
    app.post(&path(&owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": "ready" }))
        .await
        .expect(200, "");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(rx.received().len(), before);
    // Resumed: what happened meanwhile is sent now.
    app.call(
        reqwest::Method::PATCH,
        &path(&owner, &format!("webhooks/{sub}")),
        Some(&owner.token),
        Some(json!({ "status": "active" })),
    )
    .await
    .expect(200, "");
    let d = settled(&app, &owner, &sub, 5).await;
    assert_eq!(
        (d[0]["event_type"].as_str(), d[0]["status"].as_str()),
        (Some("order.status_changed"), Some("succeeded")),
        "{:?}",
        d[0]
    );
    assert_eq!(rx.received().len(), before + 1);
}

#[tokio::test]
async fn bad_subscriptions_are_refused_and_private_addresses_are_not_sent_to() {
    let (app, owner, _menu, rx) = setup(false).await;
    for (body, field) in [
        (json!({ "url": "ftp://example.com/x", "event_types": ["*"] }), "url"),
        (json!({ "url": "https://user:pw@example.com/x", "event_types": ["*"] }), "url"),
        (json!({ "url": "not a url", "event_types": ["*"] }), "url"),
        (json!({ "url": "https://example.com/x", "event_types": [] }), "event_types"),
        (json!({ "url": "https://example.com/x", "event_types": ["*.new"] }), "event_types"),
    ] {
        let r = app.post(&path(&owner, "webhooks"), &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    assert!(app.get(&path(&owner, "webhooks"), &owner.token).await.body.as_array().unwrap().is_empty());

    // Loopback is refused when sending (a name could resolve anywhere later).
    let r = app.post(&path(&owner, "webhooks"), &owner.token, json!({ "url": rx.url, "event_types": ["*"] })).await;
    r.expect(201, "");
    let sub = r.str("/id");
    app.post(&path(&owner, &format!("webhooks/{sub}/ping")), &owner.token, json!({})).await.expect(202, "");
    let d = settled(&app, &owner, &sub, 1).await;
    assert!(d[0]["last_error"].as_str().unwrap().contains("not a public address"), "{:?}", d[0]);
    assert!(rx.received().is_empty());

    // Staff cannot manage webhooks; another restaurant cannot see them.
    let (_, staff) = app.add_member(&owner, "cook@hooks.test", "staff").await;
    app.post(&path(&owner, "webhooks"), &staff, json!({ "url": "https://example.com", "event_types": ["*"] }))
        .await
        .expect(403, "forbidden");
    let other = app.signup("other@hooks.test", "Other Diner").await;
    app.get(&format!("/v1/restaurants/{}/webhooks/{sub}", other.rid), &other.token).await.expect(404, "not_found");
    app.get(&format!("/v1/restaurants/{}/webhooks/{sub}/deliveries", other.rid), &other.token)
        .await
        .expect(404, "not_found");
    app.delete(&path(&owner, &format!("webhooks/{sub}")), &owner.token).await.expect(204, "");
    app.get(&path(&owner, &format!("webhooks/{sub}")), &owner.token).await.expect(404, "not_found");
}
