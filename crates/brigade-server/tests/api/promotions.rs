//! Promotions: codes and automatic offers, percent, amount or a free item, off the order
//! or some of its lines, before tax; a code that does not apply says why (422
//! `promo_invalid`) and changes nothing; uses are counted once however many orders race
//! for the last one, and a cancel gives a use back.

use crate::support::{Owner, TestApp};
use serde_json::{json, Value};

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

fn refused(r: &crate::support::Response, why: &str) {
    r.expect(422, "promo_invalid");
    assert!(r.body["error"]["details"]["reason"].as_str().unwrap_or_default().contains(why), "{why}: {}", r.body);
}

#[tokio::test]
async fn codes_and_automatic_offers_come_off_before_tax_and_refuse_with_reasons() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let taxed = json!({ "tax_rate_bps": 1000 });
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, taxed).await.expect(200, "");
    let promos = at(&owner, "promotions");

    // Managers and owners write them; staff read them.
    let save10 = json!({ "code": "save10", "kind": "percent", "value": 10, "min_subtotal": 2000 });
    app.post(&promos, &staff, save10.clone()).await.expect(403, "");
    let created = app.post(&promos, &owner.token, save10.clone()).await;
    created.expect(201, "");
    assert_eq!(created.body["code"], "SAVE10");
    assert_eq!(created.body["name"], "SAVE10");
    let save10_id = created.str("/id");
    app.post(&promos, &owner.token, json!({ "code": "Save10", "kind": "amount", "value": 100 }))
        .await
        .expect(409, "duplicate");
    for (bad, field) in [
        (json!({ "code": "X", "kind": "percent", "value": 150 }), "value"),
        (json!({ "code": "X", "kind": "free_item", "value": 1 }), "item_ids"),
        (json!({ "code": "X", "kind": "amount", "value": 100, "item_ids": [m.grill] }), "item_ids"),
        (json!({ "code": "X", "kind": "amount", "value": 100, "category_ids": [m.burger] }), "category_ids"),
        (json!({ "code": "two words", "kind": "amount", "value": 100 }), "code"),
        (
            json!({ "code": "X", "kind": "amount", "value": 100, "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z" }),
            "ends_at",
        ),
        (json!({ "code": "X", "kind": "amount", "value": 100, "channels": [] }), "channels"),
        (json!({ "code": "X", "kind": "amount", "value": 100, "max_uses": 0 }), "max_uses"),
    ] {
        let r = app.post(&promos, &owner.token, bad).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{}", r.body);
    }
    assert_eq!(app.get(&promos, &staff).await.body["items"].as_array().unwrap().len(), 1);

    let order = |items: Value, code: Option<&str>| {
        let mut b = json!({ "channel": "pos", "type": "takeout", "items": items });
        if let Some(c) = code {
            b["promo_code"] = json!(c);
        }
        b
    };
    let burger = |n: i64| json!({ "item_id": m.burger, "quantity": n, "modifiers": [m.single] });
    let orders = at(&owner, "orders");
    let quote = at(&owner, "orders/quote");

    // Too small an order: the reason names the minimum; nothing is written.
    let r = app.post(&quote, &staff, order(json!([burger(1)]), Some("SAVE10"))).await;
    refused(&r, "this code needs a subtotal of 20.00");
    refused(&app.post(&orders, &staff, order(json!([burger(1)]), Some("save10"))).await, "subtotal of 20.00");
    refused(&app.post(&orders, &staff, order(json!([burger(1)]), Some("NOPE"))).await, "there is no such code");
    assert_eq!(app.get(&orders, &owner.token).await.body["items"].as_array().unwrap().len(), 0);

    // 10 % off 24.00 before tax: 21.60 + 2.16. The quote says what the order does.
    let q = app.post(&quote, &staff, order(json!([burger(2)]), Some("save10"))).await;
    q.expect(200, "");
    assert_eq!(
        (q.body["discount"].as_i64(), q.body["subtotal"].as_i64(), q.body["tax"].as_i64()),
        (Some(240), Some(2160), Some(216))
    );
    assert_eq!(q.body["promotions"][0]["lines"], json!([0]));
    let placed = app.post(&orders, &staff, order(json!([burger(2)]), Some("save10"))).await;
    placed.expect(201, "");
    assert_eq!(placed.body["total"], 2376);
    assert_eq!(placed.body["discount"], 240);
    assert_eq!(placed.body["promo_discount"], 240);
    assert_eq!(placed.body["promotions"][0]["code"], "SAVE10");
    assert_eq!(placed.body["promotions"][0]["line_ids"], json!([placed.body["items"][0]["id"]]));
    let id = placed.str("/id");
    let again = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await;
    assert_eq!((again.body["discount"].clone(), again.body["total"].clone()), (json!(240), json!(2376)), "as stored");
    assert_eq!(app.get(&at(&owner, &format!("promotions/{save10_id}")), &owner.token).await.body["uses"], 1);
    // The kitchen sees which promotion the order used.
    let tickets = app.get(&at(&owner, "kds/tickets"), &owner.token).await;
    let ticket = tickets.body["items"].as_array().unwrap().iter().find(|t| t["order_id"] == json!(id)).unwrap().clone();
    assert_eq!(ticket["promotions"], json!(["SAVE10"]), "{ticket}");
    // A round added to the check is not discounted again.
    let round = app.post(&at(&owner, &format!("orders/{id}/items")), &staff, json!({ "items": [burger(1)] })).await;
    round.expect(200, "");
    assert_eq!(round.body["discount"], 240);
    // A cancel gives the use back.
    app.delete(&at(&owner, &format!("orders/{id}")), &owner.token).await.expect(200, "");
    assert_eq!(app.get(&at(&owner, &format!("promotions/{save10_id}")), &owner.token).await.body["uses"], 0);

    // Codes that do not hold now say why.
    let later = json!({ "code": "LATER", "kind": "amount", "value": 100, "starts_at": "2999-01-01T12:00:00Z" });
    app.post(&promos, &owner.token, later).await.expect(201, "");
    refused(
        &app.post(&orders, &staff, order(json!([burger(1)]), Some("later"))).await,
        "this code starts on 2999-01-01",
    );
    let past = json!({ "code": "OLD", "kind": "amount", "value": 100, "starts_at": "2000-01-01T00:00:00Z", "ends_at": "2001-01-01T00:00:00Z" });
    app.post(&promos, &owner.token, past).await.expect(201, "");
    refused(&app.post(&orders, &staff, order(json!([burger(1)]), Some("OLD"))).await, "expired");
    let qr_only = json!({ "code": "TABLE", "kind": "amount", "value": 100, "channels": ["qr"] });
    app.post(&promos, &owner.token, qr_only).await.expect(201, "");
    refused(&app.post(&orders, &staff, order(json!([burger(1)]), Some("TABLE"))).await, "for qr orders only");

    // A free item: the cheapest unit of those named, from its line.
    let fries =
        json!({ "code": "FRIES", "kind": "free_item", "value": 1, "item_ids": [m.fries], "name": "Free fries" });
    app.post(&promos, &owner.token, fries).await.expect(201, "");
    refused(&app.post(&orders, &staff, order(json!([burger(1)]), Some("fries"))).await, "none of the items");
    let with_fries = json!([burger(1), { "item_id": m.fries, "quantity": 2 }]);
    let f = app.post(&orders, &staff, order(with_fries.clone(), Some("fries"))).await;
    f.expect(201, "");
    assert_eq!(f.body["promo_discount"], 400);
    assert_eq!(f.body["promotions"][0]["name"], "Free fries");
    assert_eq!(f.body["promotions"][0]["line_ids"], json!([f.body["items"][1]["id"]]));

    // Automatic: 1.00 off drinks, stacking. It applies with no code, and with a code
    // that stacks; a code that does not stack stands alone.
    let drinks =
        json!({ "kind": "amount", "value": 100, "category_ids": [m.drinks], "stackable": true, "name": "Drinks deal" });
    let auto = app.post(&promos, &owner.token, drinks).await;
    auto.expect(201, "");
    assert!(auto.body["code"].is_null());
    let cola = json!({ "item_id": m.cola, "quantity": 1 });
    let a = app.post(&orders, &staff, order(json!([burger(1), cola]), None)).await;
    a.expect(201, "");
    assert_eq!(
        (a.body["promo_discount"].as_i64(), a.body["promotions"][0]["name"].as_str()),
        (Some(100), Some("Drinks deal"))
    );
    let big = json!([burger(2), cola]);
    let alone = app.post(&orders, &staff, order(big, Some("SAVE10"))).await;
    alone.expect(201, "");
    assert_eq!(alone.body["promotions"].as_array().unwrap().len(), 1);
    assert_eq!(alone.body["promo_discount"], 265, "10 % of 26.50 only");
    let stack = json!({ "code": "STACK", "kind": "amount", "value": 50, "stackable": true });
    app.post(&promos, &owner.token, stack).await.expect(201, "");
    let both = app.post(&orders, &staff, order(json!([burger(1), cola]), Some("stack"))).await;
    both.expect(201, "");
    assert_eq!(both.body["promo_discount"], 150);

    // Paused, or archived: the code no longer exists for guests.
    let mut paused = save10.clone();
    paused["active"] = json!(false);
    app.put(&at(&owner, &format!("promotions/{save10_id}")), &owner.token, paused).await.expect(200, "");
    refused(&app.post(&orders, &staff, order(json!([burger(2)]), Some("SAVE10"))).await, "there is no such code");
    app.delete(&at(&owner, &format!("promotions/{save10_id}")), &owner.token).await.expect(204, "");
    app.get(&at(&owner, &format!("promotions/{save10_id}")), &owner.token).await.expect(404, "");
    // Its code is free for a new promotion.
    app.post(&promos, &owner.token, save10).await.expect(201, "");
}

#[tokio::test]
async fn the_last_use_of_a_code_goes_to_one_guest_and_a_guest_uses_it_as_often_as_allowed() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let promos = at(&owner, "promotions");
    let once = json!({ "code": "ONCE", "kind": "amount", "value": 100, "max_uses": 1 });
    let once_id = app.post(&promos, &owner.token, once).await.str("/id");
    let table = app.post(&at(&owner, "tables"), &owner.token, json!({ "name": "T1", "capacity": 2 })).await;
    let token = table.str("/qr_url").rsplit('/').next().unwrap().to_owned();
    let path = format!("/v1/public/tables/{token}/orders");
    let cola = json!([{ "item_id": m.cola, "quantity": 1 }]);

    // Twenty guests at the same moment: one gets it.
    let tries = (0..20).map(|_| app.anon_post(&path, json!({ "items": cola, "promo_code": "once" })));
    let answers = futures_util::future::join_all(tries).await;
    let made: Vec<_> = answers.iter().filter(|r| r.status.as_u16() == 201).collect();
    assert_eq!(made.len(), 1, "{:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in answers.iter().filter(|r| r.status.as_u16() != 201) {
        refused(r, "it has been used up");
    }
    assert_eq!(app.get(&at(&owner, &format!("promotions/{once_id}")), &owner.token).await.body["uses"], 1);
    // The guest's quote says so too, before ordering.
    let quote = format!("/v1/public/tables/{token}/quote");
    refused(&app.anon_post(&quote, json!({ "items": cola, "promo_code": "ONCE" })).await, "used up");

    // Once per guest, known by their number in any spelling.
    let mine = json!({ "code": "WELCOME", "kind": "percent", "value": 50, "max_uses_per_customer": 1 });
    app.post(&promos, &owner.token, mine).await.expect(201, "");
    let guest = |phone: &str| json!({ "items": cola, "promo_code": "welcome", "customer": { "name": "Grace", "phone": phone } });
    refused(&app.anon_post(&path, json!({ "items": cola, "promo_code": "welcome" })).await, "phone number or email");
    let first = app.anon_post(&path, guest("555 010 4242")).await;
    first.expect(201, "");
    assert_eq!(first.body["total"].as_i64().unwrap() * 2, 250, "half off 2.50, no tax");
    refused(&app.anon_post(&path, guest("(555) 010-4242")).await, "a guest may use it once");
    app.anon_post(&path, guest("555 010 9999")).await.expect(201, "");
}
