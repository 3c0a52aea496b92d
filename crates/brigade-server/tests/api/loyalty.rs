//! Loyalty: points earned on completed orders (taken back on a refund or a reopen),
//! redeemed at order time as a discount priced by the server (given back on a cancel),
//! every change a ledger row; a guest online spends only their own points, and a balance
//! is spent once however many orders race for it.

use crate::support::{Owner, TestApp};
use serde_json::{json, Value};

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn place(app: &TestApp, owner: &Owner, token: &str, body: Value) -> crate::support::Response {
    app.post(&at(owner, "orders"), token, body).await
}

async fn complete(app: &TestApp, owner: &Owner, id: &str) {
    for status in ["accepted", "preparing", "ready", "completed"] {
        app.post(&at(owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": status }))
            .await
            .expect(200, "");
    }
}

async fn points(app: &TestApp, owner: &Owner, cid: &str) -> (i64, Vec<(i64, String)>) {
    let c = app.get(&at(owner, &format!("customers/{cid}")), &owner.token).await;
    c.expect(200, "");
    let history = c.body["points_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["delta"].as_i64().unwrap(), e["reason"].as_str().unwrap().to_owned()))
        .collect();
    (c.body["points"].as_i64().unwrap(), history)
}

#[tokio::test]
async fn points_are_earned_redeemed_returned_and_taken_back_and_the_balance_is_the_ledger() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let taxed = json!({ "tax_rate_bps": 1000 });
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, taxed).await.expect(200, "");

    // The program: off until turned on; only owners and managers change it.
    let loyalty = at(&owner, "loyalty");
    let off = app.get(&loyalty, &staff).await;
    assert_eq!(off.body["enabled"], false);
    let program = json!({ "enabled": true, "points_per_unit": 10, "reward_points": 100, "reward_value": 500 });
    app.put(&loyalty, &staff, program.clone()).await.expect(403, "");
    for bad in [
        json!({ "enabled": true, "points_per_unit": -1, "reward_points": 100, "reward_value": 500 }),
        json!({ "enabled": true, "points_per_unit": 1, "reward_points": 0, "reward_value": 500 }),
    ] {
        app.put(&loyalty, &owner.token, bad).await.expect(422, "validation_failed");
    }
    app.put(&loyalty, &owner.token, program).await.expect(200, "");

    let guest = json!({ "name": "Grace", "phone": "555 010 4242" });
    let fries = json!([{ "item_id": m.fries, "quantity": 3 }]);
    let first =
        place(&app, &owner, &staff, json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": fries }))
            .await;
    first.expect(201, "");
    let cid = first.str("/customer_id");
    let first_id = first.str("/id");
    assert_eq!(points(&app, &owner, &cid).await.0, 0, "nothing before it is complete");
    complete(&app, &owner, &first_id).await;
    let earned = first.body["total"].as_i64().unwrap() * 10 / 100;
    assert!(earned >= 100, "enough for a reward: {earned}");
    assert_eq!(points(&app, &owner, &cid).await, (earned, vec![(earned, "earned".into())]));

    // Redeemed at the counter: the discount comes off before tax, as the quote says.
    let body = json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": fries, "redeem_points": 100 });
    let quote = app.post(&at(&owner, "orders/quote"), &staff, body.clone()).await;
    quote.expect(200, "");
    assert_eq!(quote.body["discount"], 500);
    let plain = app
        .post(&at(&owner, "orders/quote"), &staff, json!({ "channel": "pos", "type": "takeout", "items": fries }))
        .await;
    assert_eq!(quote.body["subtotal"].as_i64().unwrap(), plain.body["subtotal"].as_i64().unwrap() - 500);
    assert!(quote.body["tax"].as_i64().unwrap() < plain.body["tax"].as_i64().unwrap(), "tax after the discount");
    let second = place(&app, &owner, &staff, body).await;
    second.expect(201, "");
    assert_eq!(second.body["discount"], 500);
    assert_eq!(second.body["points_redeemed"], 100);
    assert_eq!(second.body["points_discount"], 500);
    assert_eq!(second.body["total"], quote.body["total"]);
    assert_eq!(points(&app, &owner, &cid).await.0, earned - 100);

    // Bad redemptions change nothing.
    let bad = |points: Value, customer: Value| json!({ "channel": "pos", "type": "takeout", "customer": customer, "items": fries, "redeem_points": points });
    for (b, why) in [
        (bad(json!(150), guest.clone()), "points are redeemed 100 at a time"),
        (bad(json!(-100), guest.clone()), "positive"),
        (bad(json!(100_000), guest.clone()), "the guest has"),
        (bad(json!(100), json!({ "name": "Nobody" })), "phone number or email"),
        (bad(json!(100), json!({ "phone": "555 010 9999" })), "the guest has 0 points"),
    ] {
        let r = place(&app, &owner, &staff, b).await;
        r.expect(422, "validation_failed");
        assert!(r.body.to_string().contains(why), "{why}: {}", r.body);
    }
    assert_eq!(points(&app, &owner, &cid).await.0, earned - 100);

    // A cancel gives the points back.
    app.delete(&at(&owner, &format!("orders/{}", second.str("/id"))), &owner.token).await.expect(200, "");
    assert_eq!(points(&app, &owner, &cid).await.0, earned);

    // A refund takes back what the refunded money earned; a reopen takes back the rest,
    // and closing it again earns it again.
    let total = first.body["total"].as_i64().unwrap();
    let paid = app
        .post(
            &at(&owner, &format!("orders/{first_id}/payments")),
            &staff,
            json!({ "method": "external", "amount": total }),
        )
        .await;
    paid.expect(201, "");
    let payment = paid.body["payments"][0]["id"].as_str().map(str::to_owned).unwrap_or_else(|| paid.str("/id"));
    let refund = app
        .post(
            &at(&owner, &format!("payments/{payment}/refund")),
            &owner.token,
            json!({ "amount": total / 2, "reason": "cold fries" }),
        )
        .await;
    refund.expect(201, "");
    let after_refund = (total - total / 2) * 10 / 100;
    assert_eq!(points(&app, &owner, &cid).await.0, after_refund);
    let (_, history) = points(&app, &owner, &cid).await;
    assert_eq!(history[0], (after_refund - earned, "taken_back".into()));
    let reopen = at(&owner, &format!("orders/{first_id}/reopen"));
    app.post(&reopen, &owner.token, json!({ "reason": "wrong table" })).await.expect(200, "");
    assert_eq!(points(&app, &owner, &cid).await.0, 0);
    app.post(&at(&owner, &format!("orders/{first_id}/status")), &owner.token, json!({ "status": "completed" }))
        .await
        .expect(200, "");
    let (balance, history) = points(&app, &owner, &cid).await;
    assert_eq!(balance, after_refund);
    let sum: i64 = history.iter().map(|(d, _)| d).sum();
    assert_eq!(sum, balance, "the balance is the ledger's sum");
    assert!(!app.get(&at(&owner, "customers"), &owner.token).await.body["items"][0]["points"].is_null());
}

#[tokio::test]
async fn a_guest_online_spends_only_their_own_points_and_a_balance_is_spent_once() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let program = json!({ "enabled": true, "points_per_unit": 100, "reward_points": 100, "reward_value": 100 });
    app.put(&at(&owner, "loyalty"), &owner.token, program).await.expect(200, "");
    let table = app.post(&at(&owner, "tables"), &owner.token, json!({ "name": "T1", "capacity": 2 })).await;
    let qr = table.str("/qr_url");
    let token = qr.rsplit('/').next().unwrap().to_owned();
    let guest = json!({ "name": "Grace", "phone": "555 010 4242" });
    let cola = json!([{ "item_id": m.cola, "quantity": 1 }]);

    // Their first order earns points; its page shows them.
    let first =
        app.anon_post(&format!("/v1/public/tables/{token}/orders"), json!({ "customer": guest, "items": cola })).await;
    first.expect(201, "");
    let (first_id, first_key) = (first.str("/id"), first.str("/tracking_key"));
    complete(&app, &owner, &first_id).await;
    let tracked =
        app.call(reqwest::Method::GET, &format!("/v1/public/orders/{first_id}?key={first_key}"), None, None).await;
    let balance = tracked.body["loyalty"]["points"].as_i64().unwrap();
    assert!(balance >= 100, "{}", tracked.body);
    assert_eq!(tracked.body["loyalty"]["reward_points"], 100);

    let order = |proof: Value, phone: &str, points: i64| json!({ "customer": { "phone": phone }, "items": cola, "redeem_points": points, "points_proof": proof });
    let path = format!("/v1/public/tables/{token}/orders");
    // Without proof, with a wrong key, or with someone else's order: not theirs.
    let stranger = app.anon_post(&path, json!({ "customer": { "phone": "555 010 7777" }, "items": cola })).await;
    let stranger_proof = json!({ "order_id": stranger.str("/id"), "key": stranger.str("/tracking_key") });
    for proof in [Value::Null, json!({ "order_id": first_id, "key": "wrong" }), stranger_proof.clone()] {
        app.anon_post(&path, order(proof, "555 010 4242", 100)).await.expect(403, "forbidden");
    }
    // Someone who knows Grace's number cannot spend her points with their own order's key.
    app.anon_post(&path, order(stranger_proof, "555 010 4242", 100)).await.expect(403, "forbidden");
    let mine = json!({ "order_id": first_id, "key": first_key });

    // Many orders race for the same points: the balance is spent once per reward.
    let rewards = balance / 100;
    let tries = (0..(rewards + 5)).map(|_| app.anon_post(&path, order(mine.clone(), "(555) 010-4242", 100)));
    let answers = futures_util::future::join_all(tries).await;
    let made = answers.iter().filter(|r| r.status.as_u16() == 201).count() as i64;
    let refused = answers.iter().filter(|r| r.status.as_u16() == 422).count() as i64;
    assert_eq!(made, rewards, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(refused, 5);
    let cid = app.get(&at(&owner, "orders?q=555-010-4242&limit=1"), &owner.token).await.body["items"][0]["customer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let c = app.get(&at(&owner, &format!("customers/{cid}")), &owner.token).await;
    assert_eq!(c.body["points"], balance - rewards * 100);
}

#[tokio::test]
async fn rewards_are_redeemed_by_id_a_free_item_is_priced_from_the_order_and_bad_ones_change_nothing() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let loyalty = at(&owner, "loyalty");
    let base = json!({ "enabled": true, "points_per_unit": 100, "reward_points": 100, "reward_value": 100 });
    let with = |rewards: Value| {
        let mut p = base.clone();
        p["rewards"] = rewards;
        p
    };
    // Checked before anything is written: a free item needs items of this menu, an
    // amount needs a value, an id must be one of the program's.
    let stranger = uuid::Uuid::now_v7();
    for bad in [
        json!([{ "name": "Free nothing", "points": 150, "kind": "free_item", "item_ids": [] }]),
        json!([{ "name": "Free mystery", "points": 150, "kind": "free_item", "item_ids": [stranger] }]),
        json!([{ "name": "Nothing off", "points": 150, "kind": "amount", "value": 0 }]),
        json!([{ "id": stranger, "name": "Forged", "points": 150, "kind": "amount", "value": 100 }]),
    ] {
        app.put(&loyalty, &owner.token, with(bad)).await.expect(422, "validation_failed");
    }
    assert_eq!(app.get(&loyalty, &owner.token).await.body["rewards"], json!([]));
    let saved = app
        .put(
            &loyalty,
            &owner.token,
            with(json!([
                { "name": "A free drink", "points": 150, "kind": "free_item", "item_ids": [m.cola, m.fries] },
                { "name": "Two off", "points": 100000, "kind": "amount", "value": 200 },
            ])),
        )
        .await;
    saved.expect(200, "");
    let drink = saved.str("/rewards/0/id");
    let two_off = saved.str("/rewards/1/id");
    // A PUT without rewards keeps them.
    app.put(&loyalty, &owner.token, base.clone()).await.expect(200, "");
    assert_eq!(app.get(&loyalty, &owner.token).await.body["rewards"].as_array().unwrap().len(), 2);

    // Grace earns points, and her order page lists the rewards.
    let guest = json!({ "name": "Grace", "phone": "555 010 4242" });
    let burger = json!({ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] });
    let first = place(
        &app,
        &owner,
        &owner.token,
        json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": [burger] }),
    )
    .await;
    first.expect(201, "");
    complete(&app, &owner, &first.str("/id")).await;
    let cid = first.str("/customer_id");
    let balance = points(&app, &owner, &cid).await.0;
    assert!(balance >= 150, "{balance}");
    let tracked = app
        .call(
            reqwest::Method::GET,
            &format!("/v1/public/orders/{}?key={}", first.str("/id"), first.str("/tracking_key")),
            None,
            None,
        )
        .await;
    assert_eq!(tracked.body["loyalty"]["rewards"][0]["name"], "A free drink");

    // The free drink is the dearest of its items on the order, at the order's price.
    let lines = json!([burger, { "item_id": m.cola, "quantity": 2 }, { "item_id": m.fries, "quantity": 1 }]);
    let body = json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": lines, "reward_id": drink });
    let quote = app.post(&at(&owner, "orders/quote"), &owner.token, body.clone()).await;
    quote.expect(200, "");
    let dearest = quote.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["item_id"] == json!(m.cola) || l["item_id"] == json!(m.fries))
        .map(|l| l["unit_price"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(quote.body["points_discount"], dearest);
    assert_eq!(quote.body["points_reward"], "A free drink");
    let placed = place(&app, &owner, &owner.token, body).await;
    placed.expect(201, "");
    assert_eq!(
        (placed.body["points_redeemed"].as_i64(), placed.body["points_discount"].as_i64()),
        (Some(150), Some(dearest))
    );
    assert_eq!(placed.body["points_reward"], "A free drink");
    assert_eq!(points(&app, &owner, &cid).await.0, balance - 150);

    // Refused, and nothing spent: the free item is not on the order, both kinds at once,
    // an unknown reward, more points than she has.
    let after = balance - 150;
    let only_burger = |extra: Value| {
        let mut b = json!({ "channel": "pos", "type": "takeout", "customer": guest, "items": [burger] });
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    for (extra, why) in [
        (json!({ "reward_id": drink }), "add one of its items"),
        (json!({ "reward_id": drink, "redeem_points": 100 }), "not both"),
        (json!({ "reward_id": stranger }), "not offered"),
        (json!({ "reward_id": two_off }), "the guest has"),
    ] {
        let r = place(&app, &owner, &owner.token, only_burger(extra)).await;
        r.expect(422, "validation_failed");
        assert!(r.body.to_string().contains(why), "{why}: {}", r.body);
    }
    assert_eq!(points(&app, &owner, &cid).await.0, after);

    // A cancel gives the reward's points back; removing a reward keeps the past orders'.
    app.delete(&at(&owner, &format!("orders/{}", placed.str("/id"))), &owner.token).await.expect(200, "");
    assert_eq!(points(&app, &owner, &cid).await.0, balance);
    let kept = app.get(&loyalty, &owner.token).await.body["rewards"][1].clone();
    app.put(&loyalty, &owner.token, with(json!([kept]))).await.expect(200, "");
    let old = app.get(&at(&owner, &format!("orders/{}", placed.str("/id"))), &owner.token).await;
    assert_eq!(old.body["points_reward"], "A free drink");
    let gone = place(&app, &owner, &owner.token, only_burger(json!({ "reward_id": drink }))).await;
    gone.expect(422, "validation_failed");
}
