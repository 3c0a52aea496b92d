//! A table's evening through the API: a check opened on a table with seats, rounds that
//! fire only their own lines, a void a manager approves, a move, splits that add up and
//! merges, and the floor and kitchen that know which table and seat each plate is for.

use crate::support::{Owner, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn table(app: &TestApp, owner: &Owner, name: &str) -> (Uuid, Value) {
    let r = app.post(&at(owner, "tables"), &owner.token, json!({ "name": name, "capacity": 4 })).await;
    r.expect(201, "");
    (r.id("/id"), r.body.clone())
}

async fn table_view(app: &TestApp, owner: &Owner, id: Uuid) -> Value {
    let list = app.get(&at(owner, "tables"), &owner.token).await;
    list.body["items"].as_array().unwrap().iter().find(|t| t["id"] == json!(id)).unwrap().clone()
}

fn totals(orders: &[Value]) -> i64 {
    orders.iter().map(|o| o["total"].as_i64().unwrap()).sum()
}

#[tokio::test]
async fn a_tables_evening_seats_rounds_a_void_a_split_and_the_kitchen_knows_where_food_goes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (manager, _) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, pin).await.expect(200, "");
    let (t2, fresh) = table(&app, &owner, "T2").await;
    assert_eq!((fresh["status"].as_str(), fresh["current_order_id"].as_null()), (Some("available"), Some(())));

    // Seated: two burgers on seats 1 and 2.
    let burger = |seat: i64| json!({ "item_id": m.burger, "quantity": 1, "modifiers": [m.single], "seat": seat });
    let body = json!({ "channel": "pos", "type": "dine_in", "table_id": t2, "items": [burger(1), burger(2)] });
    let o = app.post(&at(&owner, "orders"), &staff, body).await;
    o.expect(201, "");
    let id = o.id("/id");
    assert_eq!(o.body["items"][1]["seat"], 2);
    let t = table_view(&app, &owner, t2).await;
    assert_eq!((t["status"].as_str(), t["current_order_id"].clone()), (Some("ordered"), json!(id)));
    let first_ticket = o.body["items"][0]["ticket_id"].clone();

    // A second round: fries for seat 1 and a cola for seat 2 fire new tickets holding only
    // them; the grill's first ticket is untouched.
    let round = json!({ "items": [
        { "item_id": m.fries, "quantity": 1, "seat": 1 },
        { "item_id": m.cola, "quantity": 1, "seat": 2 },
    ] });
    let r = app.post(&at(&owner, &format!("orders/{id}/items")), &staff, round).await;
    r.expect(200, "");
    let items = r.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 4);
    assert_eq!(items.iter().map(|l| l["round"].as_i64().unwrap()).collect::<Vec<_>>(), [1, 1, 2, 2]);
    assert!(r.body["total"].as_i64().unwrap() > o.body["total"].as_i64().unwrap());
    let tickets = app.get(&at(&owner, "kds/tickets"), &owner.token).await;
    let tickets = tickets.body["items"].as_array().unwrap().clone();
    assert_eq!(tickets.len(), 3, "grill for round 1, fryer and bar for round 2");
    let grill = tickets.iter().find(|t| t["id"] == first_ticket).unwrap();
    assert_eq!(grill["items"].as_array().unwrap().len(), 2);
    assert_eq!((grill["table"].as_str(), grill["round"].as_i64()), (Some("T2"), Some(1)));
    let fries_ticket = tickets.iter().find(|t| t["station_id"] == json!(m.fryer)).unwrap();
    assert_eq!(fries_ticket["round"], 2);
    assert_eq!(fries_ticket["items"][0]["seat"], 1);

    // A void of a sent line: staff alone may not; a reason is needed; the manager's PIN
    // approves it, the total drops and the kitchen sees the line struck.
    let cola = items[3]["id"].as_str().unwrap().to_owned();
    let void = at(&owner, &format!("orders/{id}/items/{cola}/void"));
    app.post(&void, &staff, json!({ "reason": "changed their mind" })).await.expect(403, "approval_required");
    app.post(&void, &staff, json!({ "reason": " ", "approval": { "pin": "4321" } }))
        .await
        .expect(422, "validation_failed");
    let before = r.body["total"].as_i64().unwrap();
    let v = app.post(&void, &staff, json!({ "reason": "changed their mind", "approval": { "pin": "4321" } })).await;
    v.expect(200, "");
    assert!(v.body["total"].as_i64().unwrap() < before);
    assert_eq!(v.body["items"][3]["voided"], true);
    let again = json!({ "reason": "again", "approval": { "pin": "4321" } });
    app.post(&void, &staff, again).await.expect(409, "conflict");
    let bar = app.get(&at(&owner, &format!("kds/tickets?station_id={}", m.bar)), &owner.token).await;
    assert_eq!(bar.body["items"][0]["items"][0]["voided"], true);

    // Moved to a bigger table: the old one is free again.
    let (t10, _) = table(&app, &owner, "T10").await;
    let moved = app.post(&at(&owner, &format!("orders/{id}/move")), &staff, json!({ "table_id": t10 })).await;
    moved.expect(200, "");
    assert_eq!(table_view(&app, &owner, t2).await["status"], "available");
    assert_eq!(table_view(&app, &owner, t10).await["current_order_id"], json!(id));
    let list = app.get(&at(&owner, "tables"), &owner.token).await;
    let names: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["T2", "T10"], "tables sort naturally");

    // Split by seat: seat 2's burger goes on a check of its own; the totals add up.
    let total = v.body["total"].as_i64().unwrap();
    let s = app.post(&at(&owner, &format!("orders/{id}/split")), &staff, json!({ "by": "seat" })).await;
    s.expect(200, "");
    let parts = s.body["orders"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 2);
    assert_eq!(totals(&parts), total);
    assert_eq!(parts[0]["id"], json!(id));
    assert_eq!(parts[1]["split_from"], json!(id));
    assert_eq!(parts[1]["table_id"], json!(t10));
    let seat2 = parts[1]["id"].as_str().unwrap().to_owned();
    // The kitchen still has seat 2's burger on the grill ticket it started.
    let tickets = app.get(&at(&owner, &format!("kds/tickets?station_id={}", m.grill)), &owner.token).await;
    assert_eq!(tickets.body["items"][0]["items"].as_array().unwrap().len(), 2);

    // Seat 2 pays cash with a tip; the table is paying; seat 1 pays by card machine.
    let pay = |oid: &str| at(&owner, &format!("orders/{oid}/payments"));
    let due = parts[1]["total"].as_i64().unwrap();
    let cash = json!({ "method": "cash", "amount": due, "tip": 200, "tendered": due + 500 });
    app.post(&pay(&seat2), &staff, cash).await.expect(201, "");
    assert_eq!(table_view(&app, &owner, t10).await["status"], "paying");
    // A paid check is neither merged nor split again.
    let merge = at(&owner, &format!("orders/{id}/merge"));
    app.post(&merge, &staff, json!({ "order_id": seat2 })).await.expect(409, "check_has_payments");
    let due = parts[0]["total"].as_i64().unwrap();
    app.post(&pay(&id.to_string()), &staff, json!({ "method": "external", "amount": due })).await.expect(201, "");

    // The close-out lists the void with its item and the manager who approved it.
    let report = app.get(&at(&owner, "reports/close-out"), &owner.token).await;
    report.expect(200, "");
    let voids = report.body["voids"].as_array().unwrap();
    assert_eq!(voids.len(), 1);
    assert_eq!((voids[0]["item"].as_str(), voids[0]["approved_by"].clone()), (Some("Cola"), json!(manager)));
    assert_eq!(
        report.body["by_tender"]["cash"].as_i64().unwrap() + report.body["by_tender"]["external"].as_i64().unwrap(),
        total
    );
}

#[tokio::test]
async fn even_splits_and_merges_add_up_and_bad_splits_change_nothing() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let items = json!([
        { "item_id": m.burger, "quantity": 1, "modifiers": [m.single] },
        { "item_id": m.fries, "quantity": 1 },
        { "item_id": m.cola, "quantity": 1 },
    ]);
    let o = app.order(&owner, &owner.token, "walk_in", items).await;
    o.expect(201, "");
    let id = o.id("/id");
    let total = o.body["total"].as_i64().unwrap();
    let split = at(&owner, &format!("orders/{id}/split"));
    let lines: Vec<String> =
        o.body["items"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_owned()).collect();

    // Splits that do not add up are refused and change nothing.
    for bad in [
        json!({ "by": "even", "ways": 1 }),
        json!({ "by": "items", "groups": [[]] }),
        json!({ "by": "items", "groups": [[lines[0]], [lines[0]]] }),
        json!({ "by": "items", "groups": [[Uuid::now_v7()]] }),
        json!({ "by": "seat" }),
        json!({ "by": "halves" }),
    ] {
        let r = app.post(&split, &owner.token, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    let same = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await;
    assert_eq!((same.body["total"].as_i64(), same.body["items"].as_array().unwrap().len()), (Some(total), 3));

    // Evenly in three: the parts differ by at most a cent and add up to the total.
    let r = app.post(&split, &owner.token, json!({ "by": "even", "ways": 3 })).await;
    r.expect(200, "");
    let parts = r.body["orders"].as_array().unwrap().clone();
    assert_eq!(parts.len(), 3);
    assert_eq!(totals(&parts), total);
    let each: Vec<i64> = parts.iter().map(|p| p["total"].as_i64().unwrap()).collect();
    assert!(each.iter().max().unwrap() - each.iter().min().unwrap() <= 2, "{each:?}");
    // A part is not split again, and a void that would take the first part below zero is
    // refused until the parts are merged back.
    app.post(&split, &owner.token, json!({ "by": "even", "ways": 2 })).await.expect(409, "check_split");

    // Merged back, the check is whole again; the merged parts are closed as merged.
    for p in &parts[1..] {
        let r =
            app.post(&at(&owner, &format!("orders/{id}/merge")), &owner.token, json!({ "order_id": p["id"] })).await;
        r.expect(200, "");
    }
    let whole = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await;
    assert_eq!(whole.body["total"], total);
    let gone = app.get(&at(&owner, &format!("orders/{}", parts[1]["id"].as_str().unwrap())), &owner.token).await;
    assert_eq!((gone.body["status"].as_str(), gone.body["merged_into"].clone()), (Some("cancelled"), json!(id)));
    let merge = at(&owner, &format!("orders/{id}/merge"));
    app.post(&merge, &owner.token, json!({ "order_id": parts[1]["id"] })).await.expect(409, "order_closed");
    app.post(&merge, &owner.token, json!({ "order_id": id })).await.expect(422, "validation_failed");

    // By items: the cola on its own check; then merged back, lines and tickets follow.
    let r = app.post(&split, &owner.token, json!({ "by": "items", "groups": [[lines[2]]] })).await;
    r.expect(200, "");
    let parts = r.body["orders"].as_array().unwrap().clone();
    assert_eq!(totals(&parts), total);
    assert_eq!(parts[1]["items"][0]["id"], json!(lines[2]));
    let back = app.post(&merge, &owner.token, json!({ "order_id": parts[1]["id"] })).await;
    back.expect(200, "");
    assert_eq!((back.body["total"].as_i64(), back.body["items"].as_array().unwrap().len()), (Some(total), 3));
    // The close-out does not count a merge as a void.
    let report = app.get(&at(&owner, "reports/close-out"), &owner.token).await;
    assert_eq!(report.body["voids"], json!([]));
    // Another restaurant's check is not found.
    let other = app.signup("bo@example.com", "Other").await;
    let theirs = format!("/v1/restaurants/{}/orders/{id}/split", other.rid);
    app.post(&theirs, &other.token, json!({ "by": "even", "ways": 2 })).await.expect(404, "not_found");
}

#[tokio::test]
async fn the_counter_quotes_as_it_would_order_and_finds_past_orders_by_number_guest_phone_table_and_day() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let (t5, _) = table(&app, &owner, "T5").await;

    // The quote prices exactly as placing would, writes nothing, and refuses as it would.
    let fries = json!([{ "item_id": m.fries, "quantity": 2 }]);
    let cart = json!({ "channel": "pos", "type": "takeout", "items": fries });
    let q = app.post(&at(&owner, "orders/quote"), &staff, cart.clone()).await;
    q.expect(200, "");
    let placed = app.post(&at(&owner, "orders"), &staff, cart.clone()).await;
    placed.expect(201, "");
    assert_eq!(q.body["total"], placed.body["total"]);
    assert_eq!(q.body["lines"][0]["quantity"], 2);
    let bad = json!({ "channel": "pos", "type": "takeout", "items": [{ "item_id": m.fries, "quantity": 0 }] });
    app.post(&at(&owner, "orders/quote"), &staff, bad).await.expect(422, "validation_failed");
    let kitchen = app.add_member(&owner, "kim@example.com", "kitchen").await.1;
    app.post(&at(&owner, "orders/quote"), &kitchen, cart).await.expect(403, "");
    let count = app.get(&at(&owner, "orders"), &owner.token).await;
    assert_eq!(count.body["items"].as_array().unwrap().len(), 1, "a quote places nothing");

    // A phone order with a delivery address, and a dine-in at T5.
    let guest = json!({ "name": "Pat O'Caller", "phone": "+1 555 010 7777", "address": "1 Main St" });
    let body = json!({ "channel": "phone", "type": "delivery", "customer": guest, "items": fries });
    let phoned = app.post(&at(&owner, "orders"), &staff, body).await;
    phoned.expect(201, "");
    assert_eq!(phoned.body["customer"]["address"], "1 Main St");
    assert_eq!(phoned.body["customer"]["phone"], "•••• 7777", "the order keeps the number masked");
    assert!(phoned.body["customer_id"].is_string(), "and links the guest");
    let body = json!({ "channel": "pos", "type": "dine_in", "table_id": t5, "items": fries });
    let seated = app.post(&at(&owner, "orders"), &staff, body).await;
    seated.expect(201, "");

    let find = |query: &str| {
        let path = at(&owner, &format!("orders?{query}"));
        let app = &app;
        let token = owner.token.clone();
        async move {
            let r = app.get(&path, &token).await;
            r.expect(200, "");
            r.body["items"].as_array().unwrap().iter().map(|o| o["number"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    let n = |o: &Value| o["number"].as_i64().unwrap();
    assert_eq!(find("q=(555)%20010-7777").await, [n(&phoned.body)], "by the phone, in another spelling");
    assert_eq!(find("q=555-010-0000").await, Vec::<i64>::new(), "a number nobody gave");
    assert_eq!(find("q=o%27caller").await, [n(&phoned.body)], "by the name, any case");
    assert_eq!(find(&format!("q=%23{}", n(&seated.body))).await, [n(&seated.body)], "by number");
    assert_eq!(find(&format!("table_id={t5}")).await, [n(&seated.body)]);
    assert_eq!(find("q=100%25").await, Vec::<i64>::new(), "a % is a character, not a wildcard");
    let day = placed.body["business_day"].as_str().unwrap();
    assert_eq!(find(&format!("day={day}")).await.len(), 3);
    assert_eq!(find("day=2001-01-01").await, Vec::<i64>::new());
    let long = "x".repeat(101);
    app.get(&at(&owner, &format!("orders?q={long}")), &owner.token).await.expect(422, "validation_failed");
}

#[tokio::test]
async fn comps_and_discounts_need_a_manager_come_off_before_tax_and_add_up_in_the_close_out() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (manager, _) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, pin).await.expect(200, "");
    let approval = json!({ "pin": "4321" });
    let tax = json!({ "tax_rate_bps": 800, "tax_inclusive": false });
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, tax).await.expect(200, "");
    let lines = json!([
        { "item_id": m.burger, "quantity": 1, "modifiers": [m.single] },
        { "item_id": m.fries, "quantity": 2 },
        { "item_id": m.cola, "quantity": 1 },
    ]);
    let o =
        app.post(&at(&owner, "orders"), &staff, json!({ "channel": "pos", "type": "takeout", "items": lines })).await;
    o.expect(201, "");
    let id = o.id("/id");
    let price = |i: usize| o.body["items"][i]["line_total"].as_i64().unwrap();
    let tax_of = |net: i64| (net * 800 + 5_000) / 10_000;

    // A comp: staff alone may not; the manager's PIN approves; a reason is needed.
    let fries = o.body["items"][1]["id"].as_str().unwrap().to_owned();
    let comp = at(&owner, &format!("orders/{id}/items/{fries}/comp"));
    app.post(&comp, &staff, json!({ "reason": "too salty" })).await.expect(403, "approval_required");
    app.post(&comp, &staff, json!({ "reason": "", "approval": approval })).await.expect(422, "validation_failed");
    let c = app.post(&comp, &staff, json!({ "reason": "too salty", "approval": approval })).await;
    c.expect(200, "");
    assert_eq!(
        (c.body["items"][1]["comped"].as_bool(), c.body["items"][1]["voided"].as_bool()),
        (Some(true), Some(false))
    );
    let net = price(0) + price(2);
    assert_eq!(c.body["subtotal"].as_i64(), Some(net));
    app.post(&comp, &owner.token, json!({ "reason": "again" })).await.expect(409, "conflict");

    // A discount of 10 %: on what the lines come to after the comp, before tax.
    let disc = at(&owner, &format!("orders/{id}/discount"));
    app.post(&disc, &staff, json!({ "percent": 10, "reason": "regular" })).await.expect(403, "approval_required");
    for bad in [
        json!({ "percent": 0, "reason": "x" }),
        json!({ "percent": 150, "reason": "x" }),
        json!({ "percent": 10, "amount": 100, "reason": "x" }),
        json!({ "reason": "x" }),
        json!({ "percent": 10, "reason": " " }),
    ] {
        let mut body = bad.clone();
        body["approval"] = approval.clone();
        app.post(&disc, &staff, body).await.expect(422, "validation_failed");
    }
    let d = app.post(&disc, &staff, json!({ "percent": 10, "reason": "regular", "approval": approval })).await;
    d.expect(200, "");
    let off = (net * 1_000 + 5_000) / 10_000;
    assert_eq!((d.body["discount"].as_i64(), d.body["discount_percent"].as_f64()), (Some(off), Some(10.0)));
    assert_eq!(d.body["subtotal"].as_i64(), Some(net - off));
    assert_eq!(d.body["total"].as_i64(), Some(net - off + tax_of(net - off)), "tax after the discount");

    // A share follows the check: a round makes it bigger.
    let round = json!({ "items": [{ "item_id": m.cola, "quantity": 1 }] });
    let r = app.post(&at(&owner, &format!("orders/{id}/items")), &staff, round).await;
    r.expect(200, "");
    let net2 = net + price(2);
    assert_eq!(r.body["discount"].as_i64(), Some((net2 * 1_000 + 5_000) / 10_000));
    // A discounted check is not split; an amount in its place; taken off by anyone.
    let split = at(&owner, &format!("orders/{id}/split"));
    app.post(&split, &owner.token, json!({ "by": "even", "ways": 2 })).await.expect(409, "conflict");
    let d = app.post(&disc, &owner.token, json!({ "amount": 500, "reason": "birthday" })).await;
    d.expect(200, "");
    assert_eq!((d.body["discount"].as_i64(), d.body["discount_percent"].clone()), (Some(500), Value::Null));
    let big = app.post(&disc, &owner.token, json!({ "amount": 99_999_999, "reason": "all of it" })).await;
    assert_eq!(big.body["subtotal"].as_i64(), Some(0), "never more than the lines");
    let back = app.delete(&at(&owner, &format!("orders/{id}/discount")), &staff).await;
    back.expect(200, "");
    assert_eq!((back.body["discount"].as_i64(), back.body["subtotal"].as_i64()), (Some(0), Some(net2)));
    let d = app.post(&disc, &owner.token, json!({ "amount": 500, "reason": "birthday" })).await;
    let total = d.body["total"].as_i64().unwrap();

    // Paid, the check takes no discount that would make it owe less than was paid.
    let pay = at(&owner, &format!("orders/{id}/payments"));
    app.post(&pay, &staff, json!({ "method": "cash", "amount": total })).await.expect(201, "");
    app.post(&disc, &owner.token, json!({ "amount": 900, "reason": "late" })).await.expect(409, "check_has_payments");

    let report = app.get(&at(&owner, "reports/close-out"), &owner.token).await;
    report.expect(200, "");
    let comps = report.body["comps"].as_array().unwrap();
    assert_eq!(comps.len(), 1);
    assert_eq!((comps[0]["item"].as_str(), comps[0]["reason"].as_str()), (Some("Fries"), Some("too salty")));
    assert_eq!(comps[0]["amount"].as_i64(), Some(price(1)));
    assert_eq!(comps[0]["approved_by_name"], "manager");
    assert_eq!(report.body["discounts"].as_i64(), Some(500));
    assert_eq!(report.body["discounted"][0]["reason"], "birthday");
    let url = app.url(&at(&owner, "reports/close-out?format=csv"));
    let csv = app.client.get(url).bearer_auth(&owner.token).send().await.unwrap().text().await.unwrap();
    assert!(csv.contains("comp,#1 (Fries)"), "{csv}");
    assert!(csv.contains("discount,#1,5.00,birthday"), "{csv}");
}

#[tokio::test]
async fn a_manager_reopens_a_closed_check_to_add_to_it_and_take_the_rest() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (manager, _) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, pin).await.expect(200, "");
    let body = json!({ "channel": "pos", "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] });
    let o = app.post(&at(&owner, "orders"), &staff, body).await;
    let id = o.id("/id");
    let total = o.body["total"].as_i64().unwrap();
    app.post(&at(&owner, &format!("orders/{id}/payments")), &staff, json!({ "method": "cash", "amount": total }))
        .await
        .expect(201, "");
    let reopen = at(&owner, &format!("orders/{id}/reopen"));
    // Only a closed check is reopened.
    app.post(&reopen, &owner.token, json!({ "reason": "forgot dessert" })).await.expect(409, "invalid_transition");
    app.post(&at(&owner, &format!("orders/{id}/status")), &staff, json!({ "status": "completed" }))
        .await
        .expect(200, "");
    app.post(&reopen, &staff, json!({ "reason": "forgot dessert" })).await.expect(403, "approval_required");
    app.post(&reopen, &staff, json!({ "reason": " ", "approval": { "pin": "4321" } }))
        .await
        .expect(422, "validation_failed");
    let r = app.post(&reopen, &staff, json!({ "reason": "forgot dessert", "approval": { "pin": "4321" } })).await;
    r.expect(200, "");
    assert_eq!((r.str("/status").as_str(), r.body["completed_at"].clone()), ("ready", Value::Null));
    app.post(&reopen, &owner.token, json!({ "reason": "again" })).await.expect(409, "invalid_transition");

    // Open again, it takes a round and the rest of the money, then closes.
    let round = json!({ "items": [{ "item_id": m.fries, "quantity": 1 }] });
    let more = app.post(&at(&owner, &format!("orders/{id}/items")), &staff, round).await;
    more.expect(200, "");
    let owed = more.body["balance"].as_i64().unwrap();
    assert!(owed > 0);
    let paid = app
        .post(&at(&owner, &format!("orders/{id}/payments")), &staff, json!({ "method": "cash", "amount": owed }))
        .await;
    assert_eq!(paid.body["paid"], true);
    let history = app.get(&at(&owner, &format!("orders/{id}/history")), &owner.token).await;
    assert!(history.body.to_string().contains("forgot dessert"), "{}", history.body);
}

#[tokio::test]
async fn a_check_is_changed_whole_with_put_and_the_kitchen_hears_only_of_the_change() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (manager, _) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let pin = json!({ "phone": "+15550100300", "pin": "4321" });
    app.put(&at(&owner, &format!("users/{manager}")), &owner.token, pin).await.expect(200, "");
    let (t1, _) = table(&app, &owner, "T1").await;
    let items = json!([
        { "item_id": m.burger, "quantity": 1, "modifiers": [m.single], "seat": 1 },
        { "item_id": m.fries, "quantity": 1, "seat": 2 },
    ]);
    let o = app
        .post(
            &at(&owner, "orders"),
            &staff,
            json!({ "channel": "pos", "type": "dine_in", "table_id": t1, "items": items }),
        )
        .await;
    o.expect(201, "");
    let id = o.id("/id");
    let burger = o.body["items"][0]["id"].as_str().unwrap().to_owned();
    let fries = o.body["items"][1]["id"].as_str().unwrap().to_owned();
    let path = at(&owner, &format!("orders/{id}"));
    let tickets =
        || async { app.get(&at(&owner, "kds/tickets"), &owner.token).await.body["items"].as_array().unwrap().len() };
    let before = tickets().await;

    // Refused, changing nothing: a line named twice or not on the check, a line made
    // smaller or given another item, a void without a reason or a manager.
    let keep = |line: &str, item: Uuid, q: i64, mods: Value| json!({ "id": line, "item_id": item, "quantity": q, "modifiers": mods });
    for (body, status, code) in [
        (
            json!({ "items": [keep(&burger, m.burger, 1, json!([m.single])), keep(&burger, m.burger, 1, json!([m.single]))] }),
            422,
            "validation_failed",
        ),
        (json!({ "items": [keep(&Uuid::now_v7().to_string(), m.fries, 1, json!([]))] }), 422, "validation_failed"),
        (
            json!({ "items": [keep(&fries, m.fries, 0, json!([])), keep(&burger, m.burger, 1, json!([m.single]))] }),
            422,
            "validation_failed",
        ),
        (
            json!({ "items": [keep(&fries, m.cola, 1, json!([])), keep(&burger, m.burger, 1, json!([m.single]))] }),
            422,
            "validation_failed",
        ),
        (json!({ "items": [keep(&burger, m.burger, 1, json!([m.single]))] }), 422, "validation_failed"),
        (
            json!({ "items": [keep(&burger, m.burger, 1, json!([m.single]))], "reason": "wrong table" }),
            403,
            "approval_required",
        ),
    ] {
        app.put(&path, &staff, body).await.expect(status, code);
    }
    assert_eq!(tickets().await, before, "nothing fired");

    // Two more burgers, a cola added, fries voided with the manager's PIN, a note on the
    // burger: one new round with only the additions; the rest changes in place.
    let mut wanted = keep(&burger, m.burger, 3, json!([m.single]));
    wanted["notes"] = json!("no pickles");
    wanted["seat"] = json!(1);
    let body = json!({
        "items": [wanted, { "item_id": m.cola, "quantity": 1, "seat": 2 }],
        "reason": "changed their mind", "approval": { "pin": "4321" },
    });
    let r = app.put(&path, &staff, body).await;
    r.expect(200, "");
    let lines = r.body["items"].as_array().unwrap();
    let find = |name: &str, round: i64| {
        lines.iter().find(|l| l["name"].as_str().unwrap().contains(name) && l["round"] == round).cloned()
    };
    let first = find("Burger", 1).unwrap();
    assert_eq!((first["quantity"].as_i64(), first["notes"].as_str()), (Some(1), Some("no pickles")));
    assert_eq!(find("Burger", 2).unwrap()["quantity"], 2, "the two more fire as round 2");
    assert!(find("Cola", 2).is_some());
    assert_eq!(find("Fries", 1).unwrap()["voided"], true);
    let fired = app.get(&at(&owner, "kds/tickets"), &owner.token).await;
    let round2: Vec<_> = fired.body["items"].as_array().unwrap().iter().filter(|t| t["round"] == 2).collect();
    let names: Vec<_> = round2
        .iter()
        .flat_map(|t| t["items"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap().to_owned()))
        .collect();
    assert!(!names.iter().any(|n| n.contains("Fries")) && names.len() == 2, "{names:?}");
    let report = app.get(&at(&owner, "reports/close-out"), &owner.token).await;
    assert_eq!(report.body["voids"][0]["reason"], "changed their mind");
}
