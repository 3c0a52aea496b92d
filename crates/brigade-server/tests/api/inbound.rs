//! Orders and payments coming in by webhook: Uber Eats orders onto the kitchen display
//! (signed, deduplicated, accepted or denied back, 86'd items taken but flagged,
//! cancellations followed, retried through an outage), and Stripe Checkout (session,
//! signed webhook marks paid, replays and forgeries refused, refund on cancel).

use crate::fakes::{FakeStripe, FakeUber};
use crate::support::{long_tokens, Owner, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

struct Setup {
    app: TestApp,
    owner: Owner,
    menu: crate::support::Menu,
    uber: FakeUber,
    stripe: FakeStripe,
}

async fn setup() -> Setup {
    let uber = FakeUber::start("store-1").await;
    let stripe = FakeStripe::start().await;
    let (base, auth, stripe_url) = (uber.base_url.clone(), uber.auth_url(), stripe.base_url.clone());
    let app = TestApp::builder()
        .config(|c| {
            c.ubereats_base_url = base;
            c.ubereats_auth_url = auth;
            c.stripe_base_url = stripe_url;
            c.sync_drift_interval_secs = 0;
            c.open_signup = true;
            long_tokens(c);
        })
        .spawn()
        .await;
    let owner = app.signup("owner@inbound.test", "Inbound Diner").await;
    let menu = app.menu(&owner).await;
    Setup { app, owner, menu, uber, stripe }
}

impl Setup {
    fn path(&self, rest: &str) -> String {
        format!("/v1/restaurants/{}/{rest}", self.owner.rid)
    }

    async fn connect(&self, platform: &str, credentials: Value) -> Value {
        let body =
            json!({ "platform": platform, "store_id": format!("{platform}-store-1"), "credentials": credentials });
        let r = self.app.post(&self.path("integrations"), &self.owner.token, body).await;
        r.expect(201, "");
        r.body.clone()
    }

    fn hook_path(integration: &Value) -> String {
        let url = integration["webhook_url"].as_str().unwrap();
        url[url.find("/v1/hooks/").unwrap()..].to_owned()
    }

    async fn log(&self, id: &str) -> Vec<Value> {
        let r = self.app.get(&self.path(&format!("integrations/{id}/webhooks")), &self.owner.token).await;
        r.expect(200, "");
        r.body.as_array().unwrap().clone()
    }

    async fn orders(&self) -> Vec<Value> {
        let r = self.app.get(&self.path("orders"), &self.owner.token).await;
        r.expect(200, "");
        r.body["items"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn uber_orders_land_on_the_kitchen_display_once_and_are_answered() {
    let s = setup().await;
    let uber = s.connect("ubereats", s.uber.credentials()).await;
    let hook = Setup::hook_path(&uber);
    assert!(hook.starts_with(&format!("/v1/hooks/ubereats/{}", uber["id"].as_str().unwrap())), "{hook}");

    // Fries are 86'd in Brigade, but Uber sold them before the 86 reached it.
    let r = s
        .app
        .post(
            &s.path(&format!("menu/items/{}/availability", s.menu.fries)),
            &s.owner.token,
            json!({ "available": false, "reason": "fryer down" }),
        )
        .await;
    r.expect(200, "");
    s.uber.place("uber-order-1", &[(s.menu.burger.to_string(), "Burger", 2), (s.menu.fries.to_string(), "Fries", 1)]);
    let (body, sig) = s.uber.webhook("evt-1", "orders.notification", "uber-order-1");

    // Unsigned and forged copies are refused and change nothing.
    s.app.hook(&hook, &[], &body).await.expect(401, "signature_invalid");
    let forged = brigade_domain::integration::uber_signature("not-the-secret", &body);
    s.app.hook(&hook, &[("x-uber-signature", forged)], &body).await.expect(401, "signature_invalid");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    s.app.hook(&hook, &[("x-uber-signature", sig.clone())], &tampered).await.expect(401, "signature_invalid");
    assert!(s.orders().await.is_empty());

    let r = s.app.hook(&hook, &[("x-uber-signature", sig.clone())], &body).await;
    r.expect(200, "");
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let order_id = r.id("/order_id");
    let o = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
    o.expect(200, "");
    assert_eq!((o.str("/channel").as_str(), o.str("/type").as_str()), ("ubereats", "delivery"));
    assert_eq!(o.str("/external_id"), "uber-order-1");
    // What the guest paid Uber is kept beside Brigade's own price, for reconciliation.
    assert_eq!((o.body["external_total"].as_i64(), o.body["total"].as_i64().is_some()), (Some(2450), true));
    assert_eq!(o.body["customer"]["name"], "Ada L.");
    assert!(o.str("/special_instructions").contains("ring twice"), "{}", o.body);
    let lines = o.body["items"].as_array().unwrap();
    assert_eq!(lines[0]["quantity"], 2);
    assert!(lines[0]["notes"].as_str().unwrap().contains("Double"), "{}", lines[0]);
    assert!(lines[0]["notes"].as_str().unwrap().contains("no onions"));
    assert_eq!(lines[0]["flag"], Value::Null);
    assert!(lines[1]["flag"].as_str().unwrap().contains("fryer down"), "{}", lines[1]);
    assert_eq!(s.uber.state.lock().accepted, vec!["uber-order-1".to_owned()]);

    // On the kitchen display like any order, the flag with it.
    let t = s.app.get(&s.path("kds/tickets"), &s.owner.token).await;
    t.expect(200, "");
    let tickets = t.body["items"].as_array().unwrap();
    assert!(tickets.iter().any(|t| t["order_id"] == json!(order_id)), "{}", t.body);
    assert!(t.body.to_string().contains("fryer down"));

    // The same event again is a replay: logged, answered, nothing done. The same order
    // under a new event id is a duplicate: not placed or accepted twice.
    let again = s.app.hook(&hook, &[("x-uber-signature", sig.clone())], &body).await;
    again.expect(200, "");
    assert_eq!(again.body["outcome"], "replayed");
    let (body2, sig2) = s.uber.webhook("evt-2", "orders.notification", "uber-order-1");
    let dup = s.app.hook(&hook, &[("x-uber-signature", sig2)], &body2).await;
    assert_eq!((dup.body["outcome"].as_str(), dup.id("/order_id")), (Some("duplicate"), order_id));
    assert_eq!(s.orders().await.len(), 1);
    assert_eq!(s.uber.state.lock().accepted.len(), 1);

    let log = s.log(uber["id"].as_str().unwrap()).await;
    let outcomes: Vec<&str> = log.iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["duplicate", "replayed", "processed", "refused", "refused", "refused"], "{log:?}");
    assert!(log[3]["reason"].as_str().unwrap().contains("forged"), "{log:?}");

    // An order Brigade cannot map is denied back to Uber, saying why.
    s.uber.place("uber-order-2", &[("sku-from-elsewhere".into(), "Pizza", 1)]);
    let (b, sg) = s.uber.webhook("evt-3", "orders.notification", "uber-order-2");
    let r = s.app.hook(&hook, &[("x-uber-signature", sg)], &b).await;
    assert_eq!(r.body["outcome"], "denied", "{}", r.body);
    assert!(r.str("/reason").contains("Pizza"));
    assert_eq!(s.uber.state.lock().denied, vec!["uber-order-2".to_owned()]);

    // Uber down while the order is read: 503, so Uber sends it again; then it is taken.
    s.uber.place("uber-order-3", &[(s.menu.cola.to_string(), "Cola", 3)]);
    let (b, sg) = s.uber.webhook("evt-4", "orders.notification", "uber-order-3");
    s.uber.state.lock().down = true;
    s.app.hook(&hook, &[("x-uber-signature", sg.clone())], &b).await.expect(503, "try_again");
    s.uber.state.lock().down = false;
    let r = s.app.hook(&hook, &[("x-uber-signature", sg)], &b).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let cola_order = r.id("/order_id");
    let o = s.app.get(&s.path(&format!("orders/{cola_order}")), &s.owner.token).await;
    assert_eq!(o.body["items"][0]["unit_price"], 350, "the Uber Eats price of the cola");

    // The guest cancels on Uber: the order is cancelled here too.
    let (b, sg) = s.uber.webhook("evt-5", "orders.cancel", "uber-order-3");
    let r = s.app.hook(&hook, &[("x-uber-signature", sg)], &b).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let o = s.app.get(&s.path(&format!("orders/{cola_order}")), &s.owner.token).await;
    assert_eq!(o.str("/status"), "cancelled");
    assert!(o.str("/cancel_reason").contains("Uber Eats"));
    assert_eq!(s.orders().await.len(), 2);

    // The analytics count Uber's orders: one taken (with Uber's own total beside ours),
    // one cancelled by Uber and one refused, each with its reason.
    brigade_server::analytics::rollup::catch_up(&s.app.state).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let q = format!("analytics/channels?from={}&to={}", today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let a = s.app.get(&s.path(&q), &s.owner.token).await;
    a.expect(200, "");
    let c = a.body["channels"].as_array().unwrap().iter().find(|c| c["channel"] == "ubereats").unwrap().clone();
    assert_eq!(
        (c["platform"].as_bool(), c["orders"].as_i64(), c["cancelled"].as_i64()),
        (Some(true), Some(1), Some(1))
    );
    assert_eq!(c["refused"], 1, "{c}");
    assert!(c["refuse_reasons"][0]["reason"].as_str().unwrap().contains("Pizza"), "{c}");
    assert!(c["cancel_reasons"][0]["reason"].as_str().unwrap().contains("Uber Eats"), "{c}");
    // The fake says every order came to $24.50 on Uber.
    assert_eq!((c["matched_orders"].as_i64(), c["platform_total"].as_i64()), (Some(1), Some(2_450)), "{c}");
    assert_eq!(c["brigade_total"], c["total"]);
    assert_eq!(c["difference"].as_i64(), Some(2_450 - c["total"].as_i64().unwrap()));
}

#[tokio::test]
async fn webhooks_reach_only_their_own_integration() {
    let s = setup().await;
    let uber = s.connect("ubereats", s.uber.credentials()).await;
    let id = uber["id"].as_str().unwrap();
    let (body, sig) = s.uber.webhook("evt-1", "orders.notification", "x");
    // The wrong platform in the address, an unknown integration, a removed one: 404.
    s.app
        .hook(&format!("/v1/hooks/doordash/{id}"), &[("x-uber-signature", sig.clone())], &body)
        .await
        .expect(404, "not_found");
    s.app
        .hook(&format!("/v1/hooks/ubereats/{}", Uuid::now_v7()), &[("x-uber-signature", sig.clone())], &body)
        .await
        .expect(404, "not_found");
    // Another restaurant cannot read this one's webhook log.
    let other = s.app.signup("other@inbound.test", "Other Diner").await;
    let r = s.app.get(&format!("/v1/restaurants/{}/integrations/{id}/webhooks", other.rid), &other.token).await;
    r.expect(404, "not_found");
    s.app.delete(&s.path(&format!("integrations/{id}")), &s.owner.token).await.expect(204, "");
    s.app.hook(&format!("/v1/hooks/ubereats/{id}"), &[("x-uber-signature", sig)], &body).await.expect(404, "not_found");
}

#[tokio::test]
async fn options_chosen_on_uber_eats_become_brigade_modifiers() {
    let s = setup().await;
    s.uber.state.lock().store_id = "ubereats-store-1".into(); // the store `connect` names
    let uber = s.connect("ubereats", s.uber.credentials()).await;
    let jobs = s.app.settle_sync(&s.owner, chrono::Duration::seconds(2)).await;
    assert!(jobs.iter().all(|j| j["status"] == "succeeded"), "{jobs:?}");
    // The menu went up with the burger's choices: groups with their limits, options as
    // items priced by what they add, listed in no category.
    let groups = s.uber.state.lock().modifier_groups.clone();
    let patty = groups.iter().find(|g| g["title"]["translations"]["en_us"] == "Patty");
    let patty = patty.expect("Patty uploaded");
    assert_eq!(patty["quantity_info"]["quantity"], json!({ "min_permitted": 1, "max_permitted": 1 }));
    assert_eq!(patty["modifier_options"].as_array().unwrap().len(), 2);
    assert_eq!(s.uber.item(s.menu.double).expect("the option is an item").price, 300);

    let option = |id: Uuid, title: &str, quantity: i64| json!({ "id": id, "external_data": id, "title": title, "quantity": quantity });
    let burger = |n: usize, selected: Vec<Value>| {
        json!({ "id": format!("uber-item-{n}"), "title": "Burger", "external_data": s.menu.burger, "quantity": 1,
                "selected_modifier_groups": [{ "title": "Your choices", "selected_items": selected }] })
    };
    s.uber.place_items(
        "uber-opts-1",
        vec![burger(0, vec![option(s.menu.double, "Double", 1), option(s.menu.bacon, "Bacon", 2)])],
    );
    let hook = Setup::hook_path(&uber);
    let (body, sig) = s.uber.webhook("evt-opts-1", "orders.notification", "uber-opts-1");
    let r = s.app.hook(&hook, &[("x-uber-signature", sig)], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let o = s.app.get(&s.path(&format!("orders/{}", r.id("/order_id"))), &s.owner.token).await;
    let line = &o.body["items"][0];
    let names: Vec<&str> = line["modifiers"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Double", "Bacon", "Bacon"], "{line}");
    assert_eq!(line["notes"], Value::Null, "nothing left over as words: {line}");
    let base = o.body["items"][0]["unit_price"].as_i64().unwrap() - 300 - 2 * 150;
    assert!(base > 0, "priced with what the options add: {line}");

    // Options Brigade no longer has (or that break the item's rules: two patties) do not
    // refuse a paid order: it is taken, the options written on the line for the cook.
    s.uber.place_items(
        "uber-opts-2",
        vec![
            burger(0, vec![option(s.menu.double, "Double", 1), option(s.menu.single, "Single", 1)]),
            burger(1, vec![option(Uuid::now_v7(), "Gone option", 1)]),
        ],
    );
    let (body, sig) = s.uber.webhook("evt-opts-2", "orders.notification", "uber-opts-2");
    let r = s.app.hook(&hook, &[("x-uber-signature", sig)], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let o = s.app.get(&s.path(&format!("orders/{}", r.id("/order_id"))), &s.owner.token).await;
    assert_eq!(o.body["items"][0]["notes"], "Double; Single", "{}", o.body);
    assert_eq!(o.body["items"][1]["notes"], "Gone option", "{}", o.body);
    assert_eq!(s.uber.state.lock().accepted, vec!["uber-opts-1".to_owned(), "uber-opts-2".to_owned()]);
}

#[tokio::test]
async fn stripe_checkout_marks_orders_paid_and_refunds_them_on_cancel() {
    let s = setup().await;
    let placed = s.app.order(&s.owner, &s.owner.token, "web", json!([{ "item_id": s.menu.cola, "quantity": 2 }])).await;
    placed.expect(201, "");
    let (order_id, key) = (placed.id("/id"), placed.str("/tracking_key"));
    let checkout = format!("/v1/public/orders/{order_id}/checkout?key={key}");

    // No Stripe connected: pay at the counter.
    s.app.anon_post(&checkout, json!({})).await.expect(409, "payments_unavailable");
    let stripe = s.connect("stripe", s.stripe.credentials()).await;
    assert_eq!(stripe["credentials"], json!({ "secret_key": "set", "webhook_secret": "set" }));
    let t = s
        .app
        .post(&s.path(&format!("integrations/{}/test", stripe["id"].as_str().unwrap())), &s.owner.token, json!({}))
        .await;
    assert_eq!(t.body["ok"], true, "{}", t.body);
    assert!(
        s.app.get(&s.path("sync/jobs"), &s.owner.token).await.body["items"].as_array().unwrap().is_empty(),
        "Stripe gets no menu"
    );

    s.app
        .anon_post(&format!("/v1/public/orders/{order_id}/checkout?key=wrong"), json!({}))
        .await
        .expect(404, "not_found");
    let public = format!("/v1/public/orders/{order_id}?key={key}");
    let p = s.app.call(reqwest::Method::GET, &public, None, None).await;
    assert_eq!((p.body["pay_by_card"].as_bool(), &p.body["payment_status"]), (Some(true), &Value::Null));
    // A body that is not JSON, or not of the right shape, is the guest's mistake, whatever
    // Stripe would say (defect 16: it was 503, the provider call).
    s.stripe.state.lock().down = true;
    for (bad, status) in [(&b"{not json"[..], 400), (b"[1, 2]", 422), (b"{\"success_url\": 5}", 422)] {
        let r = s.app.hook(&checkout, &[], bad).await;
        assert_eq!(r.status.as_u16(), status, "{}", r.body);
    }
    s.stripe.state.lock().down = false;
    // Stripe sends the guest back only to a page of this Brigade.
    let away = s.app.anon_post(&checkout, json!({ "success_url": "https://evil.example/phish" })).await;
    away.expect(422, "validation_failed");
    let back = format!("{}/t/x/orders/{order_id}#key={key}", s.app.state.config.public_base_url);
    let c = s.app.anon_post(&checkout, json!({ "success_url": back })).await;
    c.expect(201, "");
    assert!(c.str("/url").starts_with("https://checkout.stripe.test/"), "{}", c.body);
    assert_eq!(c.body["amount"], placed.body["total"]);
    let session = c.str("/session_id");
    // Asking again gives the same session (Stripe's Idempotency-Key).
    assert_eq!(s.app.anon_post(&checkout, json!({})).await.str("/session_id"), session);
    let sent = s.stripe.state.lock().sessions[&session].clone();
    assert_eq!(sent["client_reference_id"], json!(order_id.to_string()));
    let call = s.stripe.state.lock().calls.iter().find(|c| c.path == "/v1/checkout/sessions").unwrap().body.clone();
    assert_eq!(call["success_url"], json!(back));
    let o = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
    assert_eq!(o.body["payment_status"], "pending");

    let hook = Setup::hook_path(&stripe);
    let paid =
        json!({ "id": session, "object": "checkout.session", "payment_status": "paid", "payment_intent": "pi_123" });
    let (body, sig) = s.stripe.event("evt_1", "checkout.session.completed", paid.clone());
    // Forged, unsigned and stale (a recorded request replayed later) are refused.
    let wrong = s.stripe.event_signed(
        "evt_1",
        "checkout.session.completed",
        paid.clone(),
        chrono::Utc::now().timestamp(),
        "whsec_other",
    );
    s.app.hook(&hook, &[("stripe-signature", wrong.1)], &wrong.0).await.expect(401, "signature_invalid");
    s.app.hook(&hook, &[], &body).await.expect(401, "signature_invalid");
    let old = s.stripe.event_signed(
        "evt_1",
        "checkout.session.completed",
        paid.clone(),
        chrono::Utc::now().timestamp() - 3600,
        "whsec_brigade",
    );
    s.app.hook(&hook, &[("stripe-signature", old.1)], &old.0).await.expect(401, "signature_invalid");
    let o = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
    assert_eq!(o.body["payment_status"], "pending");

    let r = s.app.hook(&hook, &[("stripe-signature", sig.clone())], &body).await;
    r.expect(200, "");
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let o = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
    assert_eq!(o.body["payment_status"], "paid");
    let p = s.app.call(reqwest::Method::GET, &public, None, None).await;
    assert_eq!((p.body["pay_by_card"].as_bool(), p.str("/payment_status").as_str()), (Some(false), "paid"));
    assert_eq!(s.app.hook(&hook, &[("stripe-signature", sig)], &body).await.body["outcome"], "replayed");
    s.app.anon_post(&checkout, json!({})).await.expect(409, "already_paid");

    // Cancelling a paid order refunds it through Stripe, once.
    s.app.delete(&s.path(&format!("orders/{order_id}")), &s.owner.token).await.expect(200, "");
    s.app.state.wake_workers();
    s.app
        .eventually("the refund", || async {
            let o = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
            o.body["payment_status"] == "refunded"
        })
        .await;
    let refunds = s.stripe.state.lock().refunds.clone();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["payment_intent"], "pi_123");
    s.app.anon_post(&checkout, json!({})).await.expect(409, "order_closed");
    let log = s.log(stripe["id"].as_str().unwrap()).await;
    let outcomes: Vec<&str> = log.iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["replayed", "processed", "refused", "refused", "refused"], "{log:?}");
}

/// A web order of `n` colas: its id, tracking key and number.
async fn web_order(s: &Setup, n: i64) -> (Uuid, String, i64) {
    let o = s.app.order(&s.owner, &s.owner.token, "web", json!([{ "item_id": s.menu.cola, "quantity": n }])).await;
    o.expect(201, "");
    (o.id("/id"), o.str("/tracking_key"), o.body["number"].as_i64().unwrap())
}

/// Pays `order_id` through a Checkout session, as Stripe's webhook would.
async fn pay(s: &Setup, stripe: &Value, order_id: Uuid, key: &str, pi: &str) {
    let checkout = format!("/v1/public/orders/{order_id}/checkout?key={key}");
    let session = s.app.anon_post(&checkout, json!({})).await.str("/session_id");
    let paid = json!({ "id": session, "object": "checkout.session", "payment_status": "paid", "payment_intent": pi });
    let (body, sig) = s.stripe.event(&format!("evt_{pi}"), "checkout.session.completed", paid);
    let r = s.app.hook(&Setup::hook_path(stripe), &[("stripe-signature", sig)], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
}

#[tokio::test]
async fn a_refund_stripe_will_not_make_becomes_a_managers_task() {
    let s = setup().await;
    let stripe = s.connect("stripe", s.stripe.credentials()).await;
    let tasks = || async {
        let today = s.app.clock.now().format("%Y-%m-%d").to_string();
        let t = s.app.get(&s.path(&format!("tasks?from={today}&to={today}")), &s.owner.token).await;
        t.body["items"].as_array().unwrap().clone()
    };

    // Stripe refuses the refund outright: the order says so and a manager is told.
    let (first, key, number) = web_order(&s, 1).await;
    pay(&s, &stripe, first, &key, "pi_disputed").await;
    s.stripe.state.lock().refuse_refunds = Some("Charge ch_1 has been charged back; cannot issue a refund.".into());
    s.app.delete(&s.path(&format!("orders/{first}")), &s.owner.token).await.expect(200, "");
    s.app.state.wake_workers();
    s.app
        .eventually("the refund to fail", || async {
            let o = s.app.get(&s.path(&format!("orders/{first}")), &s.owner.token).await;
            o.body["payment_status"] == "refund_failed"
        })
        .await;
    let t = tasks().await;
    let task =
        t.iter().find(|t| t["name"].as_str().unwrap().starts_with(&format!("Refund order #{number} ("))).unwrap();
    assert!(task["name"].as_str().unwrap().ends_with(" USD) by hand"), "{task}");
    assert_eq!(task["role"], "manager");
    assert!(task["description"].as_str().unwrap().contains("charged back"), "{task}");
    assert!(task["steps"][0]["text"].as_str().unwrap().contains("pi_disputed"), "{task}");

    // Stripe accepts it, then the card cannot take it back (refund.failed): the same.
    s.stripe.state.lock().refuse_refunds = None;
    s.stripe.state.lock().refund_status = "pending".into();
    let (second, key, number) = web_order(&s, 2).await;
    pay(&s, &stripe, second, &key, "pi_expired").await;
    s.app.delete(&s.path(&format!("orders/{second}")), &s.owner.token).await.expect(200, "");
    s.app.state.wake_workers();
    s.app.eventually("Stripe to be asked", || async { s.stripe.state.lock().refunds.len() == 1 }).await;
    let refund = json!({ "id": "re_1", "object": "refund", "payment_intent": "pi_expired", "status": "failed",
        "failure_reason": "expired_or_canceled_card" });
    let (body, sig) = s.stripe.event("evt_refund_failed", "refund.failed", refund);
    let hook = Setup::hook_path(&stripe);
    // Whether or not the job has recorded Stripe's "pending" yet, the failure stands.
    let r = s.app.hook(&hook, &[("stripe-signature", sig)], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    let o = s.app.get(&s.path(&format!("orders/{second}")), &s.owner.token).await;
    assert_eq!(o.body["payment_status"], "refund_failed");
    let t = tasks().await;
    let task =
        t.iter().find(|t| t["name"].as_str().unwrap().starts_with(&format!("Refund order #{number} ("))).unwrap();
    assert!(task["description"].as_str().unwrap().contains("expired_or_canceled_card"), "{task}");
    assert_eq!(t.len(), 2, "one task per failed refund");
}

/// Defect 12: 300 unsigned posts were each stored with 4 KB of their body, forever. Now
/// they are counted, the last few kept (with the start of their body), and a source that
/// sends junk fast writes no more than its share.
#[tokio::test]
async fn refused_webhooks_are_counted_and_only_the_last_few_kept() {
    let s = setup().await;
    let uber = s.connect("ubereats", s.uber.credentials()).await;
    let (hook, id) = (Setup::hook_path(&uber), uber["id"].as_str().unwrap().to_owned());
    let junk = vec![b'j'; 4000];
    for _ in 0..300 {
        s.app.hook(&hook, &[], &junk).await.expect(401, "signature_invalid");
    }
    let log = s.log(&id).await;
    let refused: Vec<&Value> = log.iter().filter(|e| e["outcome"] == "refused").collect();
    assert!(!refused.is_empty() && refused.len() <= 20, "{} refusals kept", refused.len());
    assert!(refused.iter().all(|e| e["payload"].as_str().unwrap().len() <= 512));
    // Time passes; the next refusal is written and brings the uncounted ones with it.
    s.app.clock.advance(chrono::Duration::seconds(10));
    for _ in 0..30 {
        s.app.clock.advance(chrono::Duration::seconds(2));
        s.app.hook(&hook, &[], b"{}").await.expect(401, "signature_invalid");
    }
    assert!(s.log(&id).await.iter().filter(|e| e["outcome"] == "refused").count() <= 20);
    let got = s.app.get(&s.path(&format!("integrations/{id}")), &s.owner.token).await;
    assert_eq!(got.body["webhooks_refused"], 330, "{}", got.body);
    assert!(got.body["last_refused_at"].is_string());
}

#[tokio::test]
async fn a_card_at_the_counter_is_taken_on_a_stripe_terminal_reader_counted_once_and_a_decline_or_an_offline_reader_says_why(
) {
    let s = &setup().await;
    let placed = s.app.order(&s.owner, &s.owner.token, "pos", json!([{ "item_id": s.menu.cola, "quantity": 4 }])).await;
    placed.expect(201, "");
    let (order_id, total) = (placed.id("/id"), placed.body["total"].as_i64().unwrap());
    let pay = |body: Value| {
        let path = s.path(&format!("orders/{order_id}/payments"));
        async move { s.app.post(&path, &s.owner.token, body).await }
    };
    let order = || async {
        let r = s.app.get(&s.path(&format!("orders/{order_id}")), &s.owner.token).await;
        r.expect(200, "");
        r.body.clone()
    };

    // Without Stripe: no readers, and a card is refused with what to do instead.
    s.app.get(&s.path("card-readers"), &s.owner.token).await.expect(409, "payments_unavailable");
    let card = |reader: &str, amount: i64, tip: i64| json!({ "method": "card", "amount": amount, "tip": tip, "reader_id": reader });
    pay(card("tmr_counter", total, 0)).await.expect(409, "payments_unavailable");

    let stripe = s.connect("stripe", s.stripe.credentials()).await;
    let hook = Setup::hook_path(&stripe);
    s.stripe.add_reader("tmr_counter", "Counter", "online");
    s.stripe.add_reader("tmr_patio", "Patio", "offline");
    let readers = s.app.get(&s.path("card-readers"), &s.owner.token).await;
    readers.expect(200, "");
    assert_eq!(
        readers.body["items"][1],
        json!({ "id": "tmr_patio", "label": "Patio", "status": "offline", "device_type": "bbpos_wisepos_e" })
    );

    // Bad input changes nothing: no reader named, more than the balance.
    pay(json!({ "method": "card", "amount": total })).await.expect(422, "validation_failed");
    let over = pay(card("tmr_counter", total + 1, 0)).await;
    over.expect(422, "validation_failed");
    assert_eq!(over.body["error"]["details"]["field"], "amount");
    pay(json!({ "method": "cash", "amount": total, "reader_id": "tmr_counter" }))
        .await
        .expect(422, "validation_failed");

    // An offline reader: the payment fails with Stripe's words; nothing was taken.
    let offline = pay(card("tmr_patio", total, 0)).await;
    offline.expect(201, "");
    assert_eq!((offline.str("/status").as_str(), offline.body["paid"].as_bool()), ("open", Some(false)));
    let failed = offline.id("/id");
    s.app
        .eventually("the offline reader to fail the payment", || async {
            order().await["payments"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["id"] == json!(failed) && p["status"] == "failed")
        })
        .await;
    let o = order().await;
    let p = o["payments"].as_array().unwrap().iter().find(|p| p["id"] == json!(failed)).unwrap().clone();
    assert!(p["error"].as_str().unwrap().contains("Reader is currently offline"), "{p}");
    assert_eq!((o["balance"].as_i64(), o["paid"].as_bool()), (Some(total), Some(false)));
    assert!(s.stripe.state.lock().intents.values().all(|i| i["status"] == "canceled"), "the unused intent is dropped");

    // On the counter's reader, with a tip: what it asks for is held, so a second card or
    // cash racing for the same balance is refused until the reader is done.
    let taken = pay(card("tmr_counter", total, 150)).await;
    taken.expect(201, "");
    let payment = taken.id("/id");
    pay(card("tmr_counter", total, 0)).await.expect(409, "payment_in_progress");
    pay(json!({ "method": "cash", "amount": total })).await.expect(409, "payment_in_progress");
    s.app
        .eventually("the reader to be asked", || async {
            s.stripe.state.lock().readers[0]["action"]["status"] == "in_progress"
        })
        .await;
    let pi = s.stripe.state.lock().readers[0]["action"]["process_payment_intent"]["payment_intent"].clone();
    let intent = s.stripe.state.lock().intents[pi.as_str().unwrap()].clone();
    assert_eq!((intent["amount"].as_i64(), intent["currency"].as_str()), (Some(total + 150), Some("usd")));
    assert_eq!(intent["metadata"]["payment_id"], json!(payment.to_string()));

    // The card is tapped: Stripe's signed webhook marks it paid, once however often it comes.
    let (body, sig) = s.stripe.present("tmr_counter", "4242424242424242");
    let r = s.app.hook(&hook, &[("stripe-signature", sig.clone())], &body).await;
    assert_eq!(r.body["outcome"], "processed", "{}", r.body);
    assert_eq!(s.app.hook(&hook, &[("stripe-signature", sig)], &body).await.body["outcome"], "replayed");
    let again = s.stripe.event("evt_again", "payment_intent.succeeded", intent.clone());
    assert_eq!(s.app.hook(&hook, &[("stripe-signature", again.1)], &again.0).await.body["outcome"], "ignored");
    let o = order().await;
    assert_eq!(
        (o["balance"].as_i64(), o["paid"].as_bool(), o["payment_status"].as_str()),
        (Some(0), Some(true), Some("paid"))
    );
    let report = s.app.get(&s.path("reports/close-out"), &s.owner.token).await;
    assert_eq!(
        (report.body["by_tender"]["card"].as_i64(), report.body["tips"]["total"].as_i64()),
        (Some(total), Some(150))
    );
    pay(card("tmr_counter", 100, 0)).await.expect(409, "already_paid");

    // A decline on another check: failed with the card's words, the balance still owed.
    let second = s.app.order(&s.owner, &s.owner.token, "pos", json!([{ "item_id": s.menu.cola, "quantity": 1 }])).await;
    let (second, owed) = (second.id("/id"), second.body["total"].as_i64().unwrap());
    let path = s.path(&format!("orders/{second}/payments"));
    s.app.post(&path, &s.owner.token, card("tmr_counter", owed, 0)).await.expect(201, "");
    s.app
        .eventually("the reader to be asked again", || async {
            let st = s.stripe.state.lock();
            st.readers[0]["action"]["status"] == "in_progress" && st.intents.len() == 3
        })
        .await;
    let (body, sig) = s.stripe.present("tmr_counter", "4000000000000002");
    s.app.hook(&hook, &[("stripe-signature", sig)], &body).await.expect(200, "");
    let o = s.app.get(&s.path(&format!("orders/{second}")), &s.owner.token).await;
    assert_eq!(o.body["payments"][0]["status"], "failed");
    assert_eq!(o.body["payments"][0]["error"], "Your card was declined.");
    assert_eq!(o.body["balance"].as_i64(), Some(owed));

    // Cancelled at the counter: the hold is gone at once and the reader stops asking.
    s.stripe.state.lock().readers[0]["action"] = Value::Null;
    let waiting = s.app.post(&path, &s.owner.token, card("tmr_counter", owed, 0)).await;
    let waiting = waiting.id("/id");
    s.app
        .eventually("the reader to be asked a third time", || async {
            s.stripe.state.lock().readers[0]["action"]["status"] == "in_progress"
        })
        .await;
    let cancel = s.path(&format!("payments/{waiting}/cancel"));
    let c = s.app.post(&cancel, &s.owner.token, json!({})).await;
    c.expect(200, "");
    assert_eq!(c.body["status"], "canceled");
    s.app.post(&cancel, &s.owner.token, json!({})).await.expect(409, "conflict");
    s.app
        .eventually("the reader to stop asking", || async { s.stripe.state.lock().readers[0]["action"].is_null() })
        .await;
    let cash = s.app.post(&path, &s.owner.token, json!({ "method": "cash", "amount": owed })).await;
    cash.expect(201, "");
    assert_eq!(cash.body["paid"], true);
    s.app
        .post(&s.path(&format!("orders/{second}/payment-link")), &s.owner.token, json!({}))
        .await
        .expect(409, "already_paid");

    // No reader at hand: a Checkout link for the balance, as a QR code, one per balance.
    let third = s.app.order(&s.owner, &s.owner.token, "pos", json!([{ "item_id": s.menu.cola, "quantity": 2 }])).await;
    let (third, due) = (third.id("/id"), third.body["total"].as_i64().unwrap());
    let link = s.path(&format!("orders/{third}/payment-link"));
    let l = s.app.post(&link, &s.owner.token, json!({})).await;
    l.expect(201, "");
    assert_eq!(l.body["amount"].as_i64(), Some(due));
    assert!(l.str("/qr_svg").contains("<svg"), "{}", l.body);
    assert!(l.str("/url").starts_with("https://checkout.stripe.test/"));
    assert_eq!(s.app.post(&link, &s.owner.token, json!({})).await.str("/session_id"), l.str("/session_id"));
    let session = s.stripe.state.lock().sessions[&l.str("/session_id")].clone();
    assert_eq!(session["amount_total"].as_i64(), Some(due));
    let o = s.app.get(&s.path(&format!("orders/{third}")), &s.owner.token).await;
    assert_eq!((o.body["balance"].as_i64(), o.body["payments"].as_array().unwrap().len()), (Some(due), 1));
}
