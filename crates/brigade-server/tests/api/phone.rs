//! The phone agent over Twilio's real protocol: a fake Twilio that signs every webhook
//! with the line's auth token and follows the TwiML it gets back (Gather actions, Dial,
//! Hangup) calls the restaurant with scripted caller lines.

use crate::fakes::{twiml, FakeTwilio, Verb};
use crate::support::{Owner, TestApp};
use serde_json::{json, Value};

const LINE: &str = "+15550100200";
const DESK: &str = "+15550100299";

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn setup() -> (TestApp, Owner, crate::support::Menu, FakeTwilio, String) {
    let twilio = FakeTwilio::start().await;
    let base = twilio.base_url.clone();
    let app = TestApp::builder()
        .config(move |c| {
            c.open_signup = true;
            c.twilio_base_url = base;
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let body = json!({
        "platform": "twilio", "store_id": LINE, "credentials": twilio.credentials(),
        "config": { "forward_to": "+1 555 010 0299", "max_quantity": 30 }
    });
    let r = app.post(&at(&owner, "integrations"), &owner.token, body).await;
    r.expect(201, "");
    let hook = r.str("/webhook_url");
    let public = app.state.config.public_base_url.trim_end_matches('/').to_owned();
    twilio.state.lock().route = Some((public, app.url("").trim_end_matches('/').to_owned()));
    (app, owner, m, twilio, hook)
}

#[tokio::test]
async fn a_caller_orders_by_voice_hears_it_read_back_and_the_kitchen_gets_it() {
    let (app, owner, m, twilio, hook) = setup().await;
    let call = twilio
        .phone(
            &hook,
            "+1 (555) 010-4242",
            LINE,
            &["hi can I get two burgers with cheese and a cola", "double", "make that three", "that's all", "yes"],
        )
        .await;
    assert!(call.said("Thanks for calling Diner"), "{call:?}");
    assert!(call.said("Which patty for the Burger: Single or Double?"), "{call:?}");
    assert!(call.said("That is 2 Burgers with Cheese and Double and 3 Colas, for pickup."), "{call:?}");
    // The total is the server's, in figures Twilio reads as dollars and cents.
    let read_back = call.heard.iter().find(|h| h.contains("Your total is")).unwrap();
    assert!(read_back.contains("Shall I place the order?"), "{read_back}");
    assert!(call.said("Your order number is 1"), "{call:?}");
    assert!(call.hung_up);

    let orders = app.get(&at(&owner, "orders?channel=phone"), &owner.token).await;
    let order = &orders.body["items"][0];
    assert_eq!(order["channel"], "phone");
    assert_eq!(order["type"], "takeout");
    let total = order["total"].as_i64().unwrap();
    assert!(read_back.contains(&format!("${}.{:02}", total / 100, total % 100)), "{read_back} / {total}");
    let items = order["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (items[0]["item_id"].as_str(), items[0]["quantity"].as_i64()),
        (Some(m.burger.to_string().as_str()), Some(2))
    );
    assert_eq!(
        (items[1]["item_id"].as_str(), items[1]["quantity"].as_i64()),
        (Some(m.cola.to_string().as_str()), Some(3))
    );
    assert!(order["customer_id"].is_string(), "the caller is linked to a guest");
    // The SMS with the number and the ready time.
    app.eventually("the confirmation is texted", || async { !twilio.sent().is_empty() }).await;
    let text = &twilio.sent()[0];
    assert_eq!(text.to, "+15550104242");
    assert!(text.body.contains("#1") && text.body.contains("Ready at about"), "{}", text.body);

    // The call is kept with its transcript; staff see the number masked.
    let calls = app.get(&at(&owner, "phone/calls"), &owner.token).await;
    let c = &calls.body["items"][0];
    assert_eq!(c["outcome"], "ordered");
    assert_eq!(c["order_id"], order["id"]);
    // The agent hung up after the order: the call is over, with or without Twilio's
    // status callback, and off the live calls panel.
    assert_eq!(c["status"], "ended");
    assert!(c["duration_seconds"].is_i64(), "{c}");
    let live = app.get(&at(&owner, "phone/calls?status=in_progress"), &owner.token).await;
    assert_eq!(live.body["items"], json!([]));
    app.get(&at(&owner, "phone/calls?status=over"), &owner.token).await.expect(422, "");
    let one = app.get(&at(&owner, &format!("phone/calls/{}", c["id"].as_str().unwrap())), &owner.token).await;
    let turns = one.body["turns"].as_array().unwrap();
    assert_eq!(turns[1]["speaker"], "caller");
    assert_eq!(turns[1]["text"], "hi can I get two burgers with cheese and a cola");
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let seen = app.get(&at(&owner, &format!("phone/calls/{}", c["id"].as_str().unwrap())), &staff).await;
    assert_eq!(seen.body["caller"], "•••• 4242");

    // Calling again, they are known: greeted and offered the usual.
    let again = twilio.phone(&hook, "+15550104242", LINE, &["yes please", "that's it", "yes"]).await;
    assert!(again.said("Would you like the usual, 2 Burgers with Cheese and Double and 3 Colas?"), "{again:?}");
    assert!(again.said("Your order number is 2"), "{again:?}");
    // What Twilio waited for each answer (a figure for BENCHMARKS.md, not a check: this
    // is the debug build, beside other tests).
    let mut ms = twilio.state.lock().voice_ms.clone();
    ms.sort_by(f64::total_cmp);
    let p95 = ms[(ms.len() * 95).div_ceil(100) - 1];
    println!("phone webhooks: {} answered, p50 {:.1} ms, p95 {p95:.1} ms", ms.len(), ms[ms.len() / 2]);
}

#[tokio::test]
async fn what_cannot_be_had_is_never_taken_and_people_get_a_person() {
    let (app, owner, m, twilio, hook) = setup().await;
    let eighty_six = json!({ "available": false });
    app.post(&at(&owner, &format!("menu/items/{}/availability", m.fries)), &owner.token, eighty_six)
        .await
        .expect(200, "");
    let call = twilio.phone(&hook, "+15550104242", LINE, &["fries and a pizza", "can I talk to someone"]).await;
    assert!(call.said("Sorry, the Fries is not available right now. We do have Burger."), "{call:?}");
    assert!(call.said("Sorry, we do not have pizza."), "{call:?}");
    assert_eq!(call.dialed.as_deref(), Some(DESK));
    // Two turns not understood: a person, never a loop.
    let lost = twilio.phone(&hook, "+15550104242", LINE, &["purple monkey dishwasher", "banana telephone"]).await;
    assert_eq!(lost.dialed.as_deref(), Some(DESK));
    // More than the line takes by phone: a person too.
    let big = twilio.phone(&hook, "+15550104242", LINE, &["500 colas"]).await;
    assert!(big.said("We take up to 30 of an item by phone"), "{big:?}");
    assert_eq!(big.dialed.as_deref(), Some(DESK));
    // A hang-up mid-order places nothing, and the status callback closes the call.
    let gone = twilio.phone(&hook, "+15550104242", LINE, &["a cola"]).await;
    assert!(!gone.hung_up);
    // Until then it is on the live calls panel, with what was understood; a handed-off
    // call is too (the caller is on the line with staff), a call gone silent for ten
    // minutes is not.
    let live = app.get(&at(&owner, "phone/calls?status=in_progress"), &owner.token).await;
    let going: Vec<&Value> = live.body["items"].as_array().unwrap().iter().collect();
    assert_eq!(going.len(), 4, "{going:?}");
    assert_eq!(going[0]["understood"], json!(["1 Cola"]));
    app.clock.advance(chrono::TimeDelta::minutes(11));
    let live = app.get(&at(&owner, "phone/calls?status=in_progress"), &owner.token).await;
    assert_eq!(live.body["items"], json!([]));
    let status =
        format!("{}/v1/restaurants/{}/phone/status", app.state.config.public_base_url.trim_end_matches('/'), owner.rid);
    let reach = app.url(&format!("/v1/restaurants/{}/phone/status", owner.rid));
    let params: Vec<(String, String)> = [
        ("CallSid", gone.sid.as_str()),
        ("CallStatus", "completed"),
        ("CallDuration", "41"),
        ("To", LINE),
        ("From", "+15550104242"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let (body, sig) = twilio.signed(&status, &params);
    let forged = reqwest::Client::new()
        .post(&reach)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "bm9wZQ==")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let ok = reqwest::Client::new()
        .post(&reach)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    let calls = app.get(&at(&owner, "phone/calls"), &owner.token).await;
    let last = &calls.body["items"][0];
    assert_eq!((last["outcome"].as_str(), last["duration_seconds"].as_i64()), (Some("abandoned"), Some(41)));
    let orders = app.get(&at(&owner, "orders?channel=phone"), &owner.token).await;
    assert!(orders.body["items"].as_array().unwrap().is_empty(), "nothing was placed");
    let outcomes: Vec<&str> =
        calls.body["items"].as_array().unwrap().iter().filter_map(|c| c["outcome"].as_str()).collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "handed_off").count(), 3, "{outcomes:?}");
    // The wait is the order path's own estimate: the burger's 12 minutes, nothing queued.
    let wait = twilio.phone(&hook, "+15550104242", LINE, &["a single burger", "how long is the wait"]).await;
    assert!(wait.said("An order placed now is ready in about 12 minutes."), "{wait:?}");
}

#[tokio::test]
async fn forged_replayed_and_misdialled_webhooks_change_nothing() {
    let (app, owner, _m, twilio, hook) = setup().await;
    // Forged: 403, logged, no call kept.
    let params: Vec<(String, String)> =
        [("CallSid", "CA1"), ("From", "+15550104242"), ("To", LINE), ("CallStatus", "ringing")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    let (body, _) = twilio.signed(&hook, &params);
    let public = app.state.config.public_base_url.trim_end_matches('/').to_owned();
    let r = reqwest::Client::new()
        .post(hook.replacen(&public, app.url("").trim_end_matches('/'), 1))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-twilio-signature", "Zm9yZ2Vk")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(app.get(&at(&owner, "phone/calls"), &owner.token).await.body["items"].as_array().unwrap().is_empty());

    // A number this line is not: a polite goodbye.
    let wrong = twilio.phone(&hook, "+15550104242", "+15550109999", &[]).await;
    assert!(wrong.hung_up && wrong.said("not set up to take orders"), "{wrong:?}");

    // A turn Twilio sends twice gets the same answer and places one order.
    let sid = "CAreplayed";
    let p = |extra: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = [("CallSid", sid), ("From", "+15550104242"), ("To", LINE)]
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        v.sort();
        v
    };
    let (_, greeting) = twilio.post_voice(&hook, &p(&[("CallStatus", "ringing")])).await;
    let action = |xml: &str| match twiml(xml).into_iter().find(|v| matches!(v, Verb::Gather { .. })) {
        Some(Verb::Gather { action, .. }) => action,
        other => panic!("no Gather: {other:?} in {xml}"),
    };
    let (_, first) = twilio.post_voice(&action(&greeting), &p(&[("SpeechResult", "a cola")])).await;
    let (_, again) = twilio.post_voice(&action(&greeting), &p(&[("SpeechResult", "a cola")])).await;
    assert_eq!(first, again, "the same answer");
    let (_, read) = twilio.post_voice(&action(&first), &p(&[("SpeechResult", "that's all")])).await;
    let yes = action(&read);
    let (_, placed) = twilio.post_voice(&yes, &p(&[("SpeechResult", "yes")])).await;
    let (_, replayed) = twilio.post_voice(&yes, &p(&[("SpeechResult", "yes")])).await;
    assert_eq!(placed, replayed);
    let orders = app.get(&at(&owner, "orders?channel=phone"), &owner.token).await;
    let items = orders.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["items"][0]["quantity"], 1, "one cola, not two");

    // A 5,000-character speech result is cut to what is read, not choked on; an empty
    // one is silence.
    let long = "cola ".repeat(1000);
    let call = |extra: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = [("CallSid", "CAlong"), ("From", "+15550104242"), ("To", LINE)]
            .iter()
            .chain(extra)
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        v.sort();
        v
    };
    let (_, hello) = twilio.post_voice(&hook, &call(&[("CallStatus", "ringing")])).await;
    let (status, answer) = twilio.post_voice(&action(&hello), &call(&[("SpeechResult", &long)])).await;
    assert_eq!(status, 200);
    assert!(matches!(twiml(&answer)[0], Verb::Gather { .. } | Verb::Dial(_)), "{answer}");
    let (_, quiet) = twilio.post_voice(&action(&answer), &call(&[("SpeechResult", "")])).await;
    assert!(!twiml(&quiet).is_empty(), "{quiet}");
    // The line's status.
    let st = app.get(&at(&owner, "phone/status"), &owner.token).await;
    st.expect(200, "");
    assert_eq!(st.body["lines"][0]["configured"], true);
    assert_eq!(st.body["lines"][0]["reachable"], true);
    assert_eq!(st.body["lines"][0]["forward_to"], DESK);
    assert!(st.body["lines"][0]["status_callback_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/v1/restaurants/{}/phone/status", owner.rid)));
    // The caller's number is nowhere in the clear: not the calls, the turns, the orders,
    // the events or the log of the forged webhook.
    assert!(app.state.db.tables_holding("5550104242").await.unwrap().is_empty());
}

#[tokio::test]
async fn callers_get_delivery_only_where_the_line_delivers() {
    let (app, owner, _m, twilio, hook) = setup().await;
    let lines = app.get(&at(&owner, "integrations"), &owner.token).await;
    let id = lines.body[0]["id"].as_str().unwrap().to_owned();
    // Bad areas change nothing.
    let many: Vec<String> = (0..51).map(|i| format!("100{i:02}")).collect();
    let bad = json!({ "config": { "forward_to": DESK, "delivery": true, "delivery_areas": many } });
    let r = app
        .call(reqwest::Method::PATCH, &at(&owner, &format!("integrations/{id}")), Some(&owner.token), Some(bad))
        .await;
    let r = r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "config.delivery_areas");
    let blank = json!({ "config": { "forward_to": DESK, "delivery": true, "delivery_areas": ["10001", "  "] } });
    let r = app
        .call(reqwest::Method::PATCH, &at(&owner, &format!("integrations/{id}")), Some(&owner.token), Some(blank))
        .await;
    assert_eq!(r.expect(422, "validation_failed").body["error"]["details"]["field"], "config.delivery_areas[1]");

    // By default a line takes pickup orders only, and says so.
    let call = twilio.phone(&hook, "+15550104242", LINE, &["a cola for delivery to 5 West 20th Street 10001"]).await;
    assert!(call.said("Sorry, we do not deliver by phone order; orders are for pickup."), "{call:?}");

    let config = json!({ "config": { "forward_to": DESK, "delivery": true, "delivery_areas": ["10001", "Chelsea"] } });
    app.call(reqwest::Method::PATCH, &at(&owner, &format!("integrations/{id}")), Some(&owner.token), Some(config))
        .await
        .expect(200, "");
    let call = twilio
        .phone(&hook, "+15550104242", LINE, &["a cola for delivery to 5 West 20th Street 10001", "that's all", "yes"])
        .await;
    assert!(call.said("That is 1 Cola, for delivery to 5 West 20th Street 10001."), "{call:?}");
    assert!(call.hung_up, "{call:?}");
    let orders = app.get(&at(&owner, "orders?channel=phone"), &owner.token).await;
    let order = &orders.body["items"][0];
    assert_eq!(order["type"], "delivery", "{order}");
    assert_eq!(order["customer"]["address"], "5 West 20th Street 10001", "{order}");
    // Outside the areas: pickup, and the caller hears why.
    let call = twilio
        .phone(&hook, "+15550104242", LINE, &["a cola for delivery to 9 Elm Road", "Hoboken", "that's all"])
        .await;
    assert!(call.said("Which of those is 9 Elm Road in?"), "{call:?}");
    assert!(call.said("we only deliver to 10001 and Chelsea, so the order is for pickup"), "{call:?}");
    assert!(call.said("That is 1 Cola, for pickup."), "{call:?}");
}

#[tokio::test]
async fn outside_opening_hours_the_agent_says_when_to_call_again() {
    let (app, owner, _m, twilio, hook) = setup().await;
    // Open only on Mondays at lunch; it is Friday 2026-12-04, 3 PM in New York.
    let hours = json!({ "weekly": [{ "day": "mon", "open": "11:30", "close": "14:30" }] });
    app.put(&at(&owner, "hours"), &owner.token, hours).await.expect(200, "");
    use chrono::TimeZone;
    app.clock.set(chrono_tz::America::New_York.with_ymd_and_hms(2026, 12, 4, 15, 0, 0).unwrap().to_utc());
    let call = twilio.phone(&hook, "+15550104242", LINE, &["two burgers"]).await;
    assert!(call.said("We are closed right now. We open on Monday at 11:30 AM."), "{call:?}");
    assert!(call.hung_up, "{call:?}");
    let token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let calls = app.get(&at(&owner, "phone/calls"), &token).await;
    assert_eq!(calls.body["items"][0]["outcome"], "question");
    assert_eq!(calls.body["items"][0]["status"], "ended");
    assert!(app.get(&at(&owner, "orders?channel=phone"), &token).await.body["items"].as_array().unwrap().is_empty());
}
