//! Payments and refunds of a check at the counter: cash with change, split tender, cards
//! never over the balance, a balance paid only once however payments race, refunds that
//! need a manager (signed in, or their PIN on the spot) and give money back only once.

use crate::support::{Owner, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

/// A takeout order of two burgers; its id and total.
async fn check(app: &TestApp, owner: &Owner) -> (Uuid, i64) {
    let m = app.menu(owner).await;
    let items = json!([{ "item_id": m.burger, "quantity": 2, "modifiers": [m.single] }]);
    let r = app.order(owner, &owner.token, "walk_in", items).await;
    r.expect(201, "");
    assert_eq!(r.body["paid"], false);
    assert_eq!(r.body["balance"], r.body["total"]);
    assert_eq!(r.body["payments"], json!([]));
    (r.id("/id"), r.body["total"].as_i64().unwrap())
}

async fn order(app: &TestApp, owner: &Owner, id: Uuid) -> Value {
    app.get(&at(owner, &format!("orders/{id}")), &owner.token).await.body.clone()
}

#[tokio::test]
async fn cash_gives_change_tenders_split_and_a_card_is_never_charged_over_the_balance() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (id, total) = check(&app, &owner).await;
    let pay = at(&owner, &format!("orders/{id}/payments"));

    // Part on the card machine, with a tip; more than the balance on a card is refused.
    let over = app.post(&pay, &owner.token, json!({ "method": "external", "amount": total + 1 })).await;
    over.expect(422, "validation_failed");
    assert_eq!(over.body["error"]["details"]["field"], "amount");
    let first = app.post(&pay, &owner.token, json!({ "method": "external", "amount": 1000, "tip": 200 })).await;
    first.expect(201, "");
    assert_eq!((first.body["amount"].as_i64(), first.body["tip"].as_i64()), (Some(1000), Some(200)));
    assert_eq!(first.body["change"], 0);
    assert_eq!(first.body["balance"], total - 1000);
    assert_eq!(first.body["paid"], false);

    // Short cash, a tendered card, a bad method: refused, nothing taken.
    let short = json!({ "method": "cash", "amount": 500, "tip": 100, "tendered": 550 });
    app.post(&pay, &owner.token, short).await.expect(422, "validation_failed");
    let tendered_card = json!({ "method": "external", "amount": 100, "tendered": 100 });
    app.post(&pay, &owner.token, tendered_card).await.expect(422, "validation_failed");
    app.post(&pay, &owner.token, json!({ "method": "cheque", "amount": 100 })).await.expect(422, "validation_failed");
    app.post(&pay, &owner.token, json!({ "method": "cash", "amount": 0 })).await.expect(422, "validation_failed");
    assert_eq!(order(&app, &owner, id).await["balance"], total - 1000);

    // The rest in cash, handed over as a round note: the change is worked out.
    let rest = total - 1000;
    let cash = app.post(&pay, &owner.token, json!({ "method": "cash", "amount": rest, "tendered": rest + 1000 })).await;
    cash.expect(201, "");
    assert_eq!(cash.body["change"], 1000);
    assert_eq!(cash.body["tendered"], rest + 1000);
    assert_eq!((cash.body["balance"].as_i64(), cash.body["paid"].as_bool()), (Some(0), Some(true)));

    let o = order(&app, &owner, id).await;
    assert_eq!((o["paid"].as_bool(), o["balance"].as_i64()), (Some(true), Some(0)));
    assert_eq!(o["payment_status"], "paid");
    let methods: Vec<&str> = o["payments"].as_array().unwrap().iter().map(|p| p["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["external", "cash"]);
    // Paid: nothing more is taken, whatever the tender.
    app.post(&pay, &owner.token, json!({ "method": "cash", "amount": 100 })).await.expect(409, "already_paid");

    // Cash over the whole balance of a new check pays the balance and gives the rest back.
    let (id, total) = check(&app, &owner).await;
    let pay = at(&owner, &format!("orders/{id}/payments"));
    let r = app.post(&pay, &owner.token, json!({ "method": "cash", "amount": total + 550 })).await;
    r.expect(201, "");
    assert_eq!((r.body["amount"].as_i64(), r.body["change"].as_i64()), (Some(total), Some(550)));
    // Cards through Stripe at the counter need a reader, which this restaurant has not.
    let (id, _) = check(&app, &owner).await;
    let card = json!({ "method": "card", "amount": 100 });
    app.post(&at(&owner, &format!("orders/{id}/payments")), &owner.token, card)
        .await
        .expect(409, "payments_unavailable");

    // A cancelled order takes nothing; the kitchen cannot take money; another restaurant's
    // order is not found.
    app.delete(&at(&owner, &format!("orders/{id}")), &owner.token).await.expect(200, "");
    let cash = json!({ "method": "cash", "amount": 100 });
    app.post(&at(&owner, &format!("orders/{id}/payments")), &owner.token, cash.clone())
        .await
        .expect(409, "order_closed");
    let (cid, _) = check(&app, &owner).await;
    let (_, cook) = app.add_member(&owner, "cook@example.com", "kitchen").await;
    app.post(&at(&owner, &format!("orders/{cid}/payments")), &cook, cash.clone()).await.expect(403, "forbidden");
    let other = app.signup("bo@example.com", "Other").await;
    let theirs = format!("/v1/restaurants/{}/orders/{cid}/payments", other.rid);
    app.post(&theirs, &other.token, cash).await.expect(404, "not_found");
}

#[tokio::test]
async fn payments_racing_for_the_last_of_a_balance_take_it_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (id, total) = check(&app, &owner).await;
    let pay = at(&owner, &format!("orders/{id}/payments"));
    let body = json!({ "method": "external", "amount": total });
    let tries = (0..8).map(|_| app.post(&pay, &owner.token, body.clone()));
    let answers = futures_util::future::join_all(tries).await;
    let taken = answers.iter().filter(|r| r.status == 201).count();
    let refused = answers.iter().filter(|r| r.status == 409 && r.body["error"]["code"] == "already_paid").count();
    assert_eq!((taken, refused), (1, 7), "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    let o = order(&app, &owner, id).await;
    assert_eq!((o["balance"].as_i64(), o["payments"].as_array().unwrap().len()), (Some(0), 1));
}

#[tokio::test]
async fn refunds_need_a_manager_and_give_money_back_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (manager, manager_token) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let set_pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, set_pin).await.expect(200, "");

    let (id, total) = check(&app, &owner).await;
    let pay = at(&owner, &format!("orders/{id}/payments"));
    let cash = app.post(&pay, &staff, json!({ "method": "cash", "amount": total })).await;
    cash.expect(201, "");
    let refund = at(&owner, &format!("payments/{}/refund", cash.id("/id")));

    // Staff alone may not; a wrong PIN or their own is not a manager's; nothing moves.
    let r = app.post(&refund, &staff, json!({ "amount": 500, "reason": "cold fries" })).await;
    r.expect(403, "approval_required");
    let wrong = json!({ "amount": 500, "reason": "cold fries", "approval": { "pin": "1111" } });
    app.post(&refund, &staff, wrong).await.expect(403, "approval_required");
    app.post(&refund, &staff, json!({ "amount": 500 })).await.expect(422, "validation_failed");
    assert_eq!(order(&app, &owner, id).await["balance"], 0);

    // The manager's PIN approves it on the spot, and is named on the refund.
    let ok = json!({ "amount": 500, "reason": "cold fries", "approval": { "pin": "4321" } });
    let r = app.post(&refund, &staff, ok).await;
    r.expect(201, "");
    assert_eq!(r.body["status"], "done");
    assert_eq!(r.body["approved_by"], json!(manager));
    assert_eq!(r.body["balance"], 500);
    let o = order(&app, &owner, id).await;
    assert_eq!((o["balance"].as_i64(), o["paid"].as_bool()), (Some(500), Some(false)));
    assert_eq!(o["payments"][0]["refunded"], 500);
    assert_eq!(o["payment_status"], json!(null), "a check that owes again is not paid");

    // More than is left is refused; a manager signed in needs no PIN; then nothing is left.
    let left = total - 500;
    let too_much = json!({ "amount": left + 1, "reason": "again" });
    app.post(&refund, &manager_token, too_much).await.expect(422, "validation_failed");
    let all = app.post(&refund, &manager_token, json!({ "reason": "wrong order" })).await;
    all.expect(201, "");
    assert_eq!(all.body["amount"], left);
    app.post(&refund, &manager_token, json!({ "reason": "once more" })).await.expect(409, "conflict");
    let o = order(&app, &owner, id).await;
    assert_eq!(o["balance"], total);
    assert_eq!(o["payments"][0]["refunded"], total);
    assert_eq!(o["payment_status"], "refunded");

    // Both refunds are in the log with who made and who approved them.
    let log = app.get(&at(&owner, "audit?type=order.refund_made"), &owner.token).await;
    let entries = log.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{}", log.body);
}

#[tokio::test]
async fn cancelling_a_paid_order_needs_a_manager_and_leaves_the_money_owed_back() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (manager, _) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let set_pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, set_pin).await.expect(200, "");

    // Unpaid: staff cancel it alone, as before.
    let (unpaid, _) = check(&app, &owner).await;
    app.delete(&at(&owner, &format!("orders/{unpaid}")), &staff).await.expect(200, "");

    let (id, total) = check(&app, &owner).await;
    let cash = json!({ "method": "cash", "amount": total });
    app.post(&at(&owner, &format!("orders/{id}/payments")), &staff, cash).await.expect(201, "");
    let path = at(&owner, &format!("orders/{id}"));
    app.delete(&path, &staff).await.expect(403, "approval_required");
    let by_status = json!({ "status": "cancelled", "reason": "guest left" });
    app.post(&format!("{path}/status"), &staff, by_status).await.expect(403, "approval_required");
    let wrong = json!({ "reason": "guest left", "approval": { "pin": "9999" } });
    app.call(reqwest::Method::DELETE, &path, Some(&staff), Some(wrong)).await.expect(403, "approval_required");
    assert_eq!(order(&app, &owner, id).await["status"], "received");

    let approved = json!({ "reason": "guest left", "approval": { "pin": "4321" } });
    let r = app.call(reqwest::Method::DELETE, &path, Some(&staff), Some(approved)).await;
    r.expect(200, "");
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(r.body["cancel_reason"], "guest left");
    // Nothing is owed on a cancelled order: the cash taken is owed back until refunded.
    assert_eq!((r.body["balance"].as_i64(), r.body["paid"].as_bool()), (Some(-total), Some(false)));
    let log = app.get(&at(&owner, "audit?type=order.approved"), &owner.token).await;
    assert_eq!(log.body["items"][0]["data"]["approved_by"], json!(manager), "{}", log.body);
}

#[tokio::test]
async fn drawers_expect_their_cash_and_the_close_out_adds_up() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let drawers = at(&owner, "drawers");
    let d = app.post(&drawers, &staff, json!({ "name": "Front till", "float": 10_000 })).await;
    d.expect(201, "");
    let drawer = d.id("/id");
    app.post(&drawers, &owner.token, json!({ "name": "Front till", "float": 0 })).await.expect(409, "name_taken");
    app.post(&drawers, &staff, json!({ "name": " ", "float": 0 })).await.expect(422, "validation_failed");

    // Two checks: one in cash (into the staff member's drawer, with a tip and change),
    // one on the card machine with a tip; a refund from the cash one; an open third.
    let (a, total_a) = check(&app, &owner).await;
    let cash = json!({ "method": "cash", "amount": total_a, "tip": 300, "tendered": total_a + 1_000 });
    let paid = app.post(&at(&owner, &format!("orders/{a}/payments")), &staff, cash).await;
    paid.expect(201, "");
    assert_eq!(paid.body["drawer_id"], json!(drawer));
    assert_eq!(paid.body["change"], 700);
    let (b, total_b) = check(&app, &owner).await;
    let card = json!({ "method": "external", "amount": total_b, "tip": 250 });
    app.post(&at(&owner, &format!("orders/{b}/payments")), &owner.token, card).await.expect(201, "");
    let refund = json!({ "amount": 400, "reason": "cold fries" });
    let r = app.post(&at(&owner, &format!("payments/{}/refund", paid.id("/id"))), &owner.token, refund).await;
    r.expect(201, "");
    let (open, total_open) = check(&app, &owner).await;

    // Paid out and in, then the count: expected = float + cash taken (amount and tip)
    // - cash refunded + paid in - paid out.
    let moves = format!("{drawers}/{drawer}/movements");
    let out = json!({ "kind": "paid_out", "amount": 1_500, "reason": "ice delivery" });
    app.post(&moves, &staff, out).await.expect(201, "");
    let r =
        app.post(&moves, &staff, json!({ "kind": "paid_in", "amount": 500, "reason": "coins from the bank" })).await;
    r.expect(201, "");
    let expected = 10_000 + total_a + 300 - 400 - 1_500 + 500;
    assert_eq!(r.body["expected"], expected);
    app.post(&moves, &staff, json!({ "kind": "tip_out", "amount": 5, "reason": "x" }))
        .await
        .expect(422, "validation_failed");
    app.post(&moves, &staff, json!({ "kind": "paid_out", "amount": 5, "reason": "" }))
        .await
        .expect(422, "validation_failed");
    let closed = app.post(&format!("{drawers}/{drawer}/close"), &staff, json!({ "counted": expected - 200 })).await;
    closed.expect(200, "");
    assert_eq!(
        (closed.body["expected"].as_i64(), closed.body["counted"].as_i64(), closed.body["difference"].as_i64()),
        (Some(expected), Some(expected - 200), Some(-200))
    );
    app.post(&format!("{drawers}/{drawer}/close"), &staff, json!({ "counted": 1 })).await.expect(409, "conflict");
    app.post(&moves, &staff, json!({ "kind": "paid_in", "amount": 5, "reason": "late" })).await.expect(409, "conflict");

    // The close-out: managers only.
    let report = at(&owner, "reports/close-out");
    app.get(&report, &staff).await.expect(403, "forbidden");
    let r = app.get(&report, &owner.token).await;
    r.expect(200, "");
    let c = &r.body;
    assert_eq!(c["orders"], 3);
    assert_eq!(c["sales"], total_a + total_b + total_open);
    assert_eq!(c["by_tender"], json!({ "cash": total_a, "external": total_b, "card": 0 }));
    assert_eq!(c["tips"]["total"], 550);
    let people = c["tips"]["by_person"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{c}");
    assert!(people.iter().any(|p| p["tips"] == 300 && p["name"] == "staff"), "{c}");
    assert_eq!(c["refunds"].as_array().unwrap().len(), 1);
    assert_eq!(c["refunds"][0]["amount"], 400);
    let open_checks: Vec<Value> = c["open_checks"].as_array().unwrap().clone();
    let owing: Vec<(Value, Value)> =
        open_checks.iter().map(|o| (o["order_id"].clone(), o["balance"].clone())).collect();
    assert!(owing.contains(&(json!(open), json!(total_open))), "{c}");
    assert!(owing.contains(&(json!(a), json!(400))), "the refunded part is owed again: {c}");
    assert_eq!(c["drawers"][0]["difference"], -200);

    let csv = app.client.get(app.url(&format!("{report}?format=csv"))).bearer_auth(&owner.token).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("section,item,amount,detail\n"), "{text}");
    assert!(text.contains("tips,total,5.50,"), "{text}");
    assert!(text.contains("drawer,Front till,"), "{text}");
    app.get(&format!("{report}?format=xml"), &owner.token).await.expect(422, "validation_failed");
    app.get(&format!("{report}?date=2026-13-01"), &owner.token).await.expect(422, "validation_failed");
    let empty = app.get(&format!("{report}?date=2020-01-01"), &owner.token).await;
    assert_eq!((empty.body["orders"].as_i64(), empty.body["sales"].as_i64()), (Some(0), Some(0)));
}

#[tokio::test]
async fn amounts_past_the_largest_are_refused_before_they_can_add_up_to_an_overflow() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (id, _) = check(&app, &owner).await;
    let pay = at(&owner, &format!("orders/{id}/payments"));
    let max = i64::MAX;
    for (body, field) in [
        (json!({ "method": "cash", "amount": max }), "amount"),
        (json!({ "method": "cash", "amount": 100, "tip": max }), "tip"),
        (json!({ "method": "cash", "amount": 100, "tendered": max }), "tendered"),
        (json!({ "method": "external", "amount": 100_000_000 }), "amount"),
    ] {
        let r = app.post(&pay, &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    // The largest amount and tip in cash pay the check and give the rest back.
    let most = json!({ "method": "cash", "amount": 99_999_999, "tip": 99_999_999 });
    let paid = app.post(&pay, &owner.token, most).await;
    paid.expect(201, "");
    let refund = at(&owner, &format!("payments/{}/refund", paid.id("/id")));
    let r = app.post(&refund, &owner.token, json!({ "amount": max, "reason": "typo" })).await;
    r.expect(422, "validation_failed");

    let drawers = at(&owner, "drawers");
    app.post(&drawers, &owner.token, json!({ "name": "Till", "float": max })).await.expect(422, "validation_failed");
    let d = app.post(&drawers, &owner.token, json!({ "name": "Till", "float": 99_999_999 })).await;
    d.expect(201, "");
    let drawer = d.id("/id");
    let moves = format!("{drawers}/{drawer}/movements");
    let big = json!({ "kind": "paid_in", "amount": max, "reason": "bank" });
    app.post(&moves, &owner.token, big).await.expect(422, "validation_failed");
    let close = format!("{drawers}/{drawer}/close");
    app.post(&close, &owner.token, json!({ "counted": max })).await.expect(422, "validation_failed");
    let closed = app.post(&close, &owner.token, json!({ "counted": 99_999_999 })).await;
    closed.expect(200, "");
    assert_eq!(closed.body["difference"], 0);
    app.get(&at(&owner, "reports/close-out"), &owner.token).await.expect(200, "");
}
