//! Messages to guests: a text through the restaurant's Twilio number when an order the
//! guest asked about is ready, a receipt by email when it completes, the delivery log,
//! retries through Twilio's 429, STOP honoured (signed inbound webhook), marketing only
//! with consent, templates, the guest's signed link to their data, and retention.

use crate::fakes::{FakeSmtp, FakeTwilio};
use crate::support::{Owner, TestApp};
use serde_json::{json, Value};

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

const NUMBER: &str = "+15550100000";

async fn setup() -> (TestApp, Owner, crate::support::Menu, FakeTwilio, FakeSmtp, String) {
    let twilio = FakeTwilio::start().await;
    let smtp = FakeSmtp::start().await;
    let (base, url) = (twilio.base_url.clone(), smtp.url.clone());
    let app = TestApp::builder()
        .config(move |c| {
            c.open_signup = true;
            c.twilio_base_url = base;
            c.smtp_url = Some(url);
            c.mail_from = "orders@brigade.test".into();
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let body = json!({ "platform": "twilio", "store_id": NUMBER, "credentials": twilio.credentials() });
    let r = app.post(&at(&owner, "integrations"), &owner.token, body).await;
    r.expect(201, "");
    let id = r.str("/id");
    let t = app.post(&at(&owner, &format!("integrations/{id}/test")), &owner.token, json!({})).await;
    assert_eq!(t.body["ok"], true, "{}", t.body);
    assert!(t.str("/message").contains("Brigade test account is active"), "{}", t.body);
    let hook = r.str("/webhook_url");
    (app, owner, m, twilio, smtp, hook)
}

async fn step(app: &TestApp, owner: &Owner, id: &str, statuses: &[&str]) {
    for s in statuses {
        let r = app.post(&at(owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": s })).await;
        r.expect(200, "");
    }
}

async fn log(app: &TestApp, owner: &Owner, query: &str) -> Vec<Value> {
    let r = app.get(&at(owner, &format!("messages{query}")), &owner.token).await;
    r.expect(200, "");
    r.body["items"].as_array().unwrap().clone()
}

/// Decodes quoted-printable (RFC 2045), as a mail reader does.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_guest_who_asked_hears_the_order_is_ready_and_gets_the_receipt_and_the_log_says_so() {
    let (app, owner, m, twilio, smtp, _) = setup().await;
    let guest =
        json!({ "name": "Grace", "phone": "555 010 4242", "email": "grace@example.com", "order_updates": true });
    let items = json!([{ "item_id": m.fries, "quantity": 2 }]);
    let o = app
        .post(
            &at(&owner, "orders"),
            &owner.token,
            json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": items }),
        )
        .await;
    o.expect(201, "");
    let (id, number) = (o.str("/id"), o.body["number"].as_i64().unwrap());

    // Ready: a text from the restaurant's number; Twilio says 429 first, the job waits
    // and tries again.
    twilio.state.lock().fail_next.push_back(429);
    step(&app, &owner, &id, &["accepted", "preparing", "ready"]).await;
    app.eventually("the first try is refused", || async { !twilio.state.lock().calls.is_empty() }).await;
    app.eventually("the log shows the retry", || async {
        log(&app, &owner, "").await.first().is_some_and(|m| m["attempts"] == 1 && m["status"] == "queued")
    })
    .await;
    let waiting = log(&app, &owner, "").await;
    assert!(waiting[0]["error"].as_str().unwrap().contains("429"), "{}", waiting[0]);
    app.clock.advance(chrono::Duration::minutes(2));
    app.state.wake_workers();
    app.eventually("the text goes", || async { !twilio.sent().is_empty() }).await;
    let text = &twilio.sent()[0];
    assert_eq!((text.to.as_str(), text.from.as_str()), ("+15550104242", NUMBER));
    let (first, data) = text.body.split_once('\n').unwrap();
    assert_eq!(first, format!("Diner: your order #{number} is ready."));
    assert!(data.starts_with("Your data: http://127.0.0.1:8080/my-data/"), "{data}");

    // Completed: the receipt by email, with the lines and a link to the guest's data.
    step(&app, &owner, &id, &["completed"]).await;
    app.eventually("the receipt is mailed", || async { !smtp.mails().is_empty() }).await;
    let mail = &smtp.mails()[0];
    assert_eq!(mail.to, vec!["grace@example.com".to_owned()]);
    assert_eq!(mail.from, "orders@brigade.test");
    let data = unquote(&mail.data);
    assert!(data.contains(&format!("Subject: Your receipt from Diner: order #{number}")), "{data}");
    assert!(data.contains("From: Diner <orders@brigade.test>"), "{data}");
    assert!(data.contains("2 × Fries 8.00"), "{data}");
    assert!(data.contains("/my-data/"), "{data}");

    // The log: both sent, addresses masked, newest first; by order too. (The relay has
    // the mail a moment before the job writes down that it went.)
    let by_order = format!("?order_id={id}");
    app.eventually("the log says both went", || async {
        log(&app, &owner, &by_order).await.iter().all(|m| m["status"] == "sent")
    })
    .await;
    let all = log(&app, &owner, &by_order).await;
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0]["channel"].as_str(), all[0]["kind"].as_str(), all[0]["status"].as_str()),
        (Some("email"), Some("receipt"), Some("sent"))
    );
    assert_eq!(all[0]["to"], "g•••@example.com");
    assert_eq!(
        (all[1]["kind"].as_str(), all[1]["to"].as_str(), all[1]["attempts"].as_i64()),
        (Some("order_ready"), Some("•••• 4242"), Some(2))
    );
    assert_eq!(all[1]["provider_id"].as_str(), Some(twilio.sent()[0].sid.as_str()));
    // Nothing in the log or the jobs holds the number or the address in the clear.
    assert!(app.state.db.tables_holding("5550104242").await.unwrap().is_empty());
    assert!(app.state.db.tables_holding("grace@example.com").await.unwrap().is_empty());

    // A guest who did not ask hears nothing.
    let quiet = json!({ "name": "Linus", "phone": "555 010 5555" });
    let o2 = app
        .post(
            &at(&owner, "orders"),
            &owner.token,
            json!({ "channel": "pos", "type": "takeout", "customer": quiet, "items": items }),
        )
        .await;
    step(&app, &owner, &o2.str("/id"), &["accepted", "preparing", "ready", "completed"]).await;
    assert!(log(&app, &owner, &format!("?order_id={}", o2.str("/id"))).await.is_empty());

    // The guest's link shows them everything, messages included, and erases them.
    let start = data.find("/my-data/").unwrap() + "/my-data/".len();
    let token: String = data[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let mine = app.call(reqwest::Method::GET, &format!("/v1/public/guests/{token}"), None, None).await;
    mine.expect(200, "");
    assert_eq!(mine.body["profile"]["phone"], "+15550104242");
    assert_eq!(mine.body["messages"].as_array().unwrap().len(), 2);
    // One hex digit changed (to another: a signature may end in 0 already).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    app.call(reqwest::Method::GET, &format!("/v1/public/guests/{forged}"), None, None).await.expect(404, "not_found");
    let page = reqwest::get(app.url(&format!("/my-data/{token}"))).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Erase me"));
    app.call(reqwest::Method::DELETE, &format!("/v1/public/guests/{token}"), None, None).await.expect(204, "");
    app.call(reqwest::Method::GET, &format!("/v1/public/guests/{token}"), None, None).await.expect(404, "not_found");
    let kept = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await;
    assert!(kept.body["customer_id"].is_null());
    assert_eq!(kept.body["total"], o.body["total"]);
    let erased = log(&app, &owner, &format!("?order_id={id}")).await;
    assert_eq!(erased[0]["body"], "(erased)");
}

#[tokio::test]
async fn stop_is_honoured_marketing_needs_consent_and_templates_are_the_restaurants() {
    let (app, owner, m, twilio, _smtp, hook) = setup().await;
    let hook_path = &hook[hook.find("/v1/hooks/").unwrap()..];
    let items = json!([{ "item_id": m.cola, "quantity": 1 }]);
    let order = |phone: &str, consent: bool| {
        json!({ "channel": "pos", "type": "takeout", "items": items,
            "customer": { "name": "Ada", "phone": phone, "order_updates": true, "marketing_consent": consent } })
    };

    // The restaurant's own words; a placeholder it does not know is refused.
    let bad = json!({ "sms": "Hey {firstname}", "email_subject": "x", "email_body": "y" });
    let r = app.put(&at(&owner, "messages/templates/order_ready"), &owner.token, bad).await;
    r.expect(422, "validation_failed");
    assert!(r.body.to_string().contains("{firstname} is not a placeholder"));
    let mine =
        json!({ "sms": "{name}, #{number} is up at {restaurant}!", "email_subject": "Ready", "email_body": "Ready." });
    app.put(&at(&owner, "messages/templates/order_ready"), &owner.token, mine).await.expect(200, "");
    app.put(
        &at(&owner, "messages/templates/nope"),
        &owner.token,
        json!({ "sms": "a", "email_subject": "b", "email_body": "c" }),
    )
    .await
    .expect(404, "not_found");
    let list = app.get(&at(&owner, "messages/templates"), &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().iter().filter(|t| t["custom"] == true).count(), 1);

    let o = app.post(&at(&owner, "orders"), &owner.token, order("555 010 4242", true)).await;
    step(&app, &owner, &o.str("/id"), &["accepted", "preparing", "ready"]).await;
    app.eventually("the text goes", || async { twilio.sent().len() == 1 }).await;
    assert_eq!(twilio.sent()[0].body, format!("Ada, #{} is up at Diner!", o.body["number"]));

    // A forged STOP is refused and changes nothing; a signed one stops texts and
    // withdraws marketing consent.
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>, sig: String| {
        client
            .post(app.url(hook_path))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", sig)
            .body(body)
            .send()
    };
    let (body, _) = twilio.inbound(&hook, "+15550104242", NUMBER, "STOP");
    assert_eq!(post(body, "forged=".into()).await.unwrap().status(), 401);
    let (body, sig) = twilio.inbound(&hook, "+15550104242", NUMBER, " stop ");
    let answer = post(body, sig).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().contains("<Response></Response>"));
    let cid = o.str("/customer_id");
    let profile = app.get(&at(&owner, &format!("customers/{cid}")), &owner.token).await;
    assert_eq!(profile.body["marketing_consent"]["given"], false);

    // Their next order's text is logged as suppressed and never sent.
    let o2 = app.post(&at(&owner, "orders"), &owner.token, order("555 010 4242", false)).await;
    step(&app, &owner, &o2.str("/id"), &["accepted", "preparing", "ready"]).await;
    let l = log(&app, &owner, &format!("?order_id={}", o2.str("/id"))).await;
    assert_eq!(
        (l[0]["status"].as_str(), l[0]["error"].as_str()),
        (Some("suppressed"), Some("the number replied STOP"))
    );
    // START lifts it.
    let (body, sig) = twilio.inbound(&hook, "+15550104242", NUMBER, "START");
    assert_eq!(post(body, sig).await.unwrap().status(), 200);

    // Marketing: only to a guest who agreed; owners and managers only; a text says how
    // to stop. A direct message goes to anyone.
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let never = app.post(&at(&owner, "orders"), &owner.token, order("555 010 7777", false)).await;
    let offer = |cid: &str| json!({ "customer_id": cid, "kind": "marketing", "body": "Half-price fries on Tuesday." });
    let r = app.post(&at(&owner, "messages"), &owner.token, offer(&never.str("/customer_id"))).await;
    r.expect(422, "validation_failed");
    assert!(r.body.to_string().contains("has not agreed"));
    let yes = app.post(&at(&owner, "orders"), &owner.token, order("555 010 8888", true)).await;
    app.post(&at(&owner, "messages"), &staff, offer(&yes.str("/customer_id"))).await.expect(403, "");
    let sent = app.post(&at(&owner, "messages"), &owner.token, offer(&yes.str("/customer_id"))).await;
    sent.expect(202, "");
    app.eventually("the offer goes", || async { twilio.sent().iter().any(|t| t.to == "+15550108888") }).await;
    let offer_text = twilio.sent().into_iter().find(|t| t.to == "+15550108888").unwrap();
    assert!(offer_text.body.ends_with("Reply STOP to opt out."), "{}", offer_text.body);
    let direct = json!({ "customer_id": never.str("/customer_id"), "kind": "direct", "body": "You left your scarf." });
    app.post(&at(&owner, "messages"), &staff, direct).await.expect(202, "");
    app.eventually("the direct message goes", || async { twilio.sent().iter().any(|t| t.to == "+15550107777") }).await;

    // Twilio itself says a number unsubscribed (21610): the message fails, and the
    // number is not texted again.
    twilio.state.lock().unsubscribed.insert("+15550107777".into());
    let again = json!({ "customer_id": never.str("/customer_id"), "kind": "direct", "body": "Still here?" });
    app.post(&at(&owner, "messages"), &owner.token, again.clone()).await.expect(202, "");
    app.eventually("Twilio refuses it", || async {
        log(&app, &owner, &format!("?customer_id={}", never.str("/customer_id")))
            .await
            .first()
            .is_some_and(|m| m["status"] == "failed")
    })
    .await;
    app.post(&at(&owner, "messages"), &owner.token, again).await.expect(202, "");
    let l = log(&app, &owner, &format!("?customer_id={}", never.str("/customer_id"))).await;
    assert_eq!(l[0]["status"], "suppressed");
}

#[tokio::test]
async fn guests_idle_past_the_groups_retention_are_erased_by_the_job() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let items = json!([{ "item_id": m.cola, "quantity": 1 }]);
    let old = app
        .post(&at(&owner, "orders"), &owner.token, json!({ "channel": "pos", "type": "takeout", "items": items, "customer": { "name": "Old", "phone": "555 010 1111" } }))
        .await;
    let retention = at(&owner, "customers/retention");
    assert_eq!(app.get(&retention, &owner.token).await.body["months"], Value::Null);
    app.put(&retention, &owner.token, json!({ "months": 0 })).await.expect(422, "validation_failed");
    app.put(&retention, &owner.token, json!({ "months": 6 })).await.expect(200, "");
    app.clock.advance(chrono::Duration::days(200));
    let mut owner = owner;
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let recent = app
        .post(&at(&owner, "orders"), &owner.token, json!({ "channel": "pos", "type": "takeout", "items": items, "customer": { "name": "New", "phone": "555 010 2222" } }))
        .await;
    // The hourly job may already have run as the clock moved; running it again finds
    // nothing more to do.
    brigade_server::customers::service::erase_idle(&app.state).await.unwrap();
    assert_eq!(brigade_server::customers::service::erase_idle(&app.state).await.unwrap(), 0);
    app.get(&at(&owner, &format!("customers/{}", old.str("/customer_id"))), &owner.token).await.expect(404, "");
    app.get(&at(&owner, &format!("customers/{}", recent.str("/customer_id"))), &owner.token).await.expect(200, "");
    let kept = app.get(&at(&owner, &format!("orders/{}", old.str("/id"))), &owner.token).await;
    assert_eq!(kept.body["total"], old.body["total"]);
    assert!(kept.body["customer"].is_null());
}

#[tokio::test]
async fn the_guest_of_a_platform_order_the_restaurant_refuses_is_texted() {
    let twilio = FakeTwilio::start().await;
    let uber = crate::fakes::FakeUber::start("store-1").await;
    let (tw, base, auth) = (twilio.base_url.clone(), uber.base_url.clone(), uber.auth_url());
    let app = TestApp::builder()
        .config(move |c| {
            c.open_signup = true;
            c.twilio_base_url = tw;
            c.ubereats_base_url = base;
            c.ubereats_auth_url = auth;
            c.sync_drift_interval_secs = 0;
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.menu(&owner).await;
    let connect = |platform: &str, store: &str, credentials: Value| json!({ "platform": platform, "store_id": store, "credentials": credentials });
    app.post(&at(&owner, "integrations"), &owner.token, connect("twilio", NUMBER, twilio.credentials()))
        .await
        .expect(201, "");
    let u =
        app.post(&at(&owner, "integrations"), &owner.token, connect("ubereats", "store-1", uber.credentials())).await;
    u.expect(201, "");
    let hook_url = u.str("/webhook_url");
    let hook = &hook_url[hook_url.find("/v1/hooks/").unwrap()..];

    // An order Brigade cannot take: denied back to Uber, and its guest told by text.
    uber.place("uber-order-9", &[("sku-from-elsewhere".into(), "Pizza", 1)]);
    if let Some(o) = uber.state.lock().orders.get_mut("uber-order-9") {
        o["eater"]["phone"] = json!("+1 (555) 010-4242");
    }
    let (body, sig) = uber.webhook("evt-9", "orders.notification", "uber-order-9");
    let r = app.hook(hook, &[("x-uber-signature", sig)], &body).await;
    assert_eq!(r.body["outcome"], "denied", "{}", r.body);
    app.eventually("the guest is texted", || async { !twilio.sent().is_empty() }).await;
    let text = &twilio.sent()[0];
    assert_eq!(text.to, "+15550104242");
    assert!(
        text.body.starts_with(
            "Diner: sorry, we could not take your Uber Eats order #UBER-. Uber Eats will refund you.\nYour data: "
        ),
        "{}",
        text.body
    );
    app.eventually("the log says it went", || async { log(&app, &owner, "").await[0]["status"] == "sent" }).await;
    assert_eq!(log(&app, &owner, "").await[0]["kind"], "order_refused");
}
