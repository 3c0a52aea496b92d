//! Guests who come back: orders from any channel link one customer per person in a
//! restaurant group, found by phone (any spelling) or email; the number and the address
//! are kept sealed; profiles are searched, masked by role, merged, exported and erased.

use crate::support::{Owner, TestApp};
use serde_json::{json, Value};

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn order_as(app: &TestApp, owner: &Owner, token: &str, channel: &str, customer: Value, items: Value) -> Value {
    let body = json!({ "channel": channel, "type": "takeout", "customer": customer, "items": items });
    let r = app.post(&at(owner, "orders"), token, body).await;
    r.expect(201, "");
    r.body.clone()
}

async fn complete(app: &TestApp, owner: &Owner, id: &str) {
    for status in ["accepted", "preparing", "ready", "completed"] {
        let path = at(owner, &format!("orders/{id}/status"));
        app.post(&path, &owner.token, json!({ "status": status })).await.expect(200, "");
    }
}

#[tokio::test]
async fn orders_from_every_channel_link_one_guest_found_by_any_spelling_and_kept_sealed() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let fries = json!([{ "item_id": m.fries, "quantity": 2 }]);
    let cola = json!([{ "item_id": m.cola, "quantity": 1 }]);

    // Three channels, three spellings of one number, then the email alone.
    let first = order_as(
        &app,
        &owner,
        &owner.token,
        "phone",
        json!({ "name": "Grace Hopper", "phone": "(555) 010-4242", "marketing_consent": true }),
        fries.clone(),
    )
    .await;
    let cid = first["customer_id"].as_str().expect("linked").to_owned();
    assert_eq!(first["customer"]["phone"], "•••• 4242");
    let second = order_as(
        &app,
        &owner,
        &owner.token,
        "web",
        json!({ "name": "Grace", "phone": "+1 555 010 4242", "email": "Grace@Example.com" }),
        cola.clone(),
    )
    .await;
    let third = order_as(&app, &owner, &owner.token, "qr", json!({ "phone": "1-555-010-4242" }), fries.clone()).await;
    let fourth =
        order_as(&app, &owner, &owner.token, "walk_in", json!({ "email": " grace@example.COM" }), fries.clone()).await;
    for o in [&second, &third, &fourth] {
        assert_eq!(o["customer_id"], cid.as_str(), "{o}");
    }
    // Without a phone or email, nobody to link.
    let anon = order_as(&app, &owner, &owner.token, "walk_in", json!({ "name": "Someone" }), fries.clone()).await;
    assert!(anon["customer_id"].is_null());
    complete(&app, &owner, first["id"].as_str().unwrap()).await;
    complete(&app, &owner, second["id"].as_str().unwrap()).await;
    let cancel = at(&owner, &format!("orders/{}", third["id"].as_str().unwrap()));
    app.delete(&cancel, &owner.token).await.expect(200, "");

    let profile = app.get(&at(&owner, &format!("customers/{cid}")), &owner.token).await;
    profile.expect(200, "");
    let p = &profile.body;
    assert_eq!(p["name"], "Grace", "the latest name given");
    assert_eq!(p["phone"], "+15550104242");
    assert_eq!(p["email"], "grace@example.com");
    assert_eq!(p["masked"], false);
    assert_eq!(p["visits"], 3, "four orders, one cancelled");
    let spent = first["total"].as_i64().unwrap() + second["total"].as_i64().unwrap();
    assert_eq!(p["total_spent"], spent, "completed orders only");
    assert_eq!(p["completed_orders"], 2);
    assert_eq!(p["average_ticket"], spent / 2);
    assert_eq!(p["favourites"][0]["name"], "Fries");
    assert_eq!(p["favourites"][0]["quantity"], 4, "the cancelled order's fries do not count");
    assert_eq!(p["marketing_consent"]["given"], true);
    assert_eq!(p["marketing_consent"]["channel"], "phone");
    assert!(p["first_order_at"].is_string() && p["last_order_at"].is_string());

    // The guest's orders, newest first.
    let orders = app.get(&at(&owner, &format!("customers/{cid}/orders")), &owner.token).await;
    orders.expect(200, "");
    let ids: Vec<&str> = orders.body["items"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], fourth["id"].as_str().unwrap());

    // Found by a part of the name, the whole number in any spelling, the email.
    let search = |q: &str| {
        let path = at(&owner, &format!("customers?q={}", urlencode(q)));
        let (app, token) = (&app, owner.token.clone());
        async move {
            let r = app.get(&path, &token).await;
            r.expect(200, "");
            r.body["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("RAC").await, vec![cid.clone()]);
    assert_eq!(search("ra").await, vec![cid.clone()], "two letters: no trigram, still found");
    assert!(search("r%c").await.is_empty(), "a % is a character, not a wildcard");
    // A new name is found by its parts, the old one no longer.
    let rename = |name: &str| json!({ "name": name });
    app.put(&at(&owner, &format!("customers/{cid}")), &owner.token, rename("Grace Brewster")).await.expect(200, "");
    assert_eq!(search("brewst").await, vec![cid.clone()]);
    assert!(search("hopper").await.is_empty());
    app.put(&at(&owner, &format!("customers/{cid}")), &owner.token, rename("Grace Hopper")).await.expect(200, "");
    assert_eq!(search("hopper").await, vec![cid.clone()]);
    assert_eq!(search("555.010.4242").await, vec![cid.clone()]);
    assert_eq!(search("GRACE@example.com").await, vec![cid.clone()]);
    assert!(search("555 010 9999").await.is_empty());
    assert!(search("0104242").await.is_empty(), "a part of a number finds nobody");
    app.get(&at(&owner, "customers?q=12345678901234567890"), &owner.token).await.expect(422, "validation_failed");
    let list = app.get(&at(&owner, "customers"), &owner.token).await;
    assert_eq!(list.body["items"][0]["visits"], 3);
    assert_eq!(list.body["items"][0]["points"], 0);

    // What the phone agent asks.
    let found = app.get(&at(&owner, "customers/lookup?phone=%2B15550104242"), &owner.token).await;
    found.expect(200, "");
    assert_eq!(found.body["id"], cid.as_str());
    app.get(&at(&owner, "customers/lookup?phone=555-010-0000"), &owner.token).await.expect(404, "not_found");
    app.get(&at(&owner, "customers/lookup?phone=call%20me"), &owner.token).await.expect(422, "validation_failed");

    // The number and the address are nowhere in the database in the clear: not on the
    // orders, not in the log, not on the profile.
    for secret in ["5550104242", "010-4242", "grace@example.com"] {
        let tables = app.state.db.tables_holding(secret).await.unwrap();
        assert!(tables.is_empty(), "{secret} is in the clear in {tables:?}");
    }
    assert!(!app.state.db.tables_holding("Grace Hopper").await.unwrap().is_empty(), "names are kept readable");

    // A number that does not parse is refused, and nothing is written.
    let before = app.get(&at(&owner, "orders"), &owner.token).await.body["items"].as_array().unwrap().len();
    let bad = json!({ "channel": "web", "type": "takeout", "customer": { "phone": "call me" }, "items": fries });
    let r = app.post(&at(&owner, "orders"), &owner.token, bad).await;
    r.expect(422, "validation_failed");
    assert!(r.body.to_string().contains("customer.phone"), "{}", r.body);
    let bad = json!({ "channel": "web", "type": "takeout", "customer": { "email": "grace@" }, "items": cola });
    app.post(&at(&owner, "orders"), &owner.token, bad).await.expect(422, "validation_failed");
    let after = app.get(&at(&owner, "orders"), &owner.token).await.body["items"].as_array().unwrap().len();
    assert_eq!(before, after);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn staff_see_numbers_masked_and_only_owners_and_managers_export_merge_or_erase() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let fries = json!([{ "item_id": m.fries, "quantity": 1 }]);
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let (_, manager) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, kitchen) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    let o = order_as(
        &app,
        &owner,
        &staff,
        "pos",
        json!({ "name": "Ada", "phone": "555 010 1234", "email": "ada@example.com" }),
        fries.clone(),
    )
    .await;
    let cid = o["customer_id"].as_str().unwrap().to_owned();
    let path = at(&owner, &format!("customers/{cid}"));

    let seen = app.get(&path, &staff).await;
    seen.expect(200, "");
    assert_eq!(seen.body["phone"], "•••• 1234");
    assert_eq!(seen.body["email"], "a•••@example.com");
    assert_eq!(seen.body["masked"], true);
    let listed = app.get(&at(&owner, "customers"), &staff).await;
    assert_eq!(listed.body["items"][0]["phone"], "•••• 1234");
    assert_eq!(app.get(&path, &manager).await.body["phone"], "+15550101234");
    app.get(&path, &kitchen).await.expect(403, "");

    // Staff keep notes and tags (allergies, VIP); the log says what changed, not the words.
    let changed =
        app.put(&path, &staff, json!({ "notes": "Peanut allergy", "tags": ["vip", "VIP", " allergy "] })).await;
    changed.expect(200, "");
    assert_eq!(changed.body["tags"], json!(["vip", "allergy"]));
    assert_eq!(changed.body["notes"], "Peanut allergy");
    app.put(&path, &staff, json!({ "tags": vec!["x"; 21] })).await.expect(422, "validation_failed");
    app.put(&path, &staff, json!({ "notes": "x".repeat(2001) })).await.expect(422, "validation_failed");
    let withdrawn = app.put(&path, &staff, json!({ "marketing_consent": false })).await;
    assert_eq!(withdrawn.body["marketing_consent"]["given"], false);

    // Export and erase are for owners and managers.
    app.get(&format!("{path}/export"), &staff).await.expect(403, "");
    app.delete(&path, &staff).await.expect(403, "");
    app.post(&format!("{path}/merge"), &staff, json!({ "other_id": cid })).await.expect(403, "");

    complete(&app, &owner, o["id"].as_str().unwrap()).await;
    let key = o["tracking_key"].as_str().unwrap();
    let rated = app
        .anon_post(
            &format!("/v1/public/orders/{}/feedback?key={key}", o["id"].as_str().unwrap()),
            json!({ "rating": 5, "comment": "Ada loved it" }),
        )
        .await;
    rated.expect(201, "");

    let export = app.get(&format!("{path}/export"), &manager).await;
    export.expect(200, "");
    assert_eq!(export.body["profile"]["phone"], "+15550101234");
    assert_eq!(export.body["profile"]["email"], "ada@example.com");
    assert_eq!(export.body["profile"]["notes"], "Peanut allergy");
    assert_eq!(export.body["orders"][0]["items"][0]["name"], "Fries");
    assert_eq!(export.body["orders"][0]["restaurant"], "Diner");
    assert_eq!(export.body["feedback"][0]["comment"], "Ada loved it");

    let erased = app.delete(&path, &owner.token).await;
    erased.expect(204, "");
    app.get(&path, &owner.token).await.expect(404, "not_found");
    app.delete(&path, &owner.token).await.expect(404, "not_found");
    // The order keeps its money and items, not who the guest was.
    let kept = app.get(&at(&owner, &format!("orders/{}", o["id"].as_str().unwrap())), &owner.token).await;
    assert_eq!(kept.body["total"], o["total"]);
    assert_eq!(kept.body["items"][0]["name"], "Fries");
    assert!(kept.body["customer"].is_null() && kept.body["customer_id"].is_null(), "{}", kept.body);
    for gone in ["Ada loved it", "Peanut allergy", "\"Ada\"", "•••• 1234"] {
        let tables = app.state.db.tables_holding(gone).await.unwrap();
        assert!(tables.is_empty(), "{gone} is still in {tables:?}");
    }
    // Both were audited, without the guest's details.
    let audit = app.get(&at(&owner, "audit?type=customer.exported"), &owner.token).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.body);
    let audit = app.get(&at(&owner, "audit?type=customer.erased"), &owner.token).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 1, "{}", audit.body);
    assert!(!audit.body.to_string().contains("Ada"));
}

#[tokio::test]
async fn an_owners_locations_share_their_guests_and_merge_duplicates_but_no_one_else_sees_them() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Downtown").await;
    let m = app.menu(&owner).await;
    let second = app
        .post(
            "/v1/restaurants",
            &owner.token,
            json!({ "name": "Uptown", "timezone": "America/New_York", "currency": "USD" }),
        )
        .await;
    second.expect(201, "");
    assert_eq!(second.body["group_id"], owner.rid.to_string(), "a new location joins the owner's group");
    assert_eq!(second.body["country"], "US", "the currency's country");
    let uptown = Owner {
        rid: second.id("/id"),
        token: owner.token.clone(),
        refresh: owner.refresh.clone(),
        user_id: owner.user_id,
    };
    let up_menu = app.menu(&uptown).await;

    let a = order_as(
        &app,
        &owner,
        &owner.token,
        "web",
        json!({ "name": "Lin", "phone": "555 010 3333" }),
        json!([{ "item_id": m.fries, "quantity": 1 }]),
    )
    .await;
    let b = order_as(
        &app,
        &uptown,
        &owner.token,
        "qr",
        json!({ "phone": "+15550103333" }),
        json!([{ "item_id": up_menu.cola, "quantity": 1 }]),
    )
    .await;
    assert_eq!(a["customer_id"], b["customer_id"], "one guest across the group");
    let cid = a["customer_id"].as_str().unwrap();
    let orders = app.get(&at(&uptown, &format!("customers/{cid}/orders")), &owner.token).await;
    let rids: Vec<&str> =
        orders.body["items"].as_array().unwrap().iter().map(|o| o["restaurant_id"].as_str().unwrap()).collect();
    assert_eq!(rids.len(), 2, "{}", orders.body);
    assert!(rids.contains(&owner.rid.to_string().as_str()) && rids.contains(&uptown.rid.to_string().as_str()));

    // Another owner's restaurant sees none of it.
    let other = app.signup("bo@example.com", "Elsewhere").await;
    app.get(&format!("/v1/restaurants/{}/customers/{cid}", other.rid), &other.token).await.expect(404, "not_found");
    let theirs = app.get(&format!("/v1/restaurants/{}/customers", other.rid), &other.token).await;
    assert!(theirs.body["items"].as_array().unwrap().is_empty());
    app.get(&format!("/v1/restaurants/{}/customers/{cid}/orders", other.rid), &other.token)
        .await
        .expect(404, "not_found");
    // Their guest with the same number is their own.
    let om = app.menu(&other).await;
    let c = order_as(
        &app,
        &other,
        &other.token,
        "web",
        json!({ "phone": "555 010 3333" }),
        json!([{ "item_id": om.fries, "quantity": 1 }]),
    )
    .await;
    assert_ne!(c["customer_id"], a["customer_id"]);

    // A duplicate made by email alone folds into the phone's profile.
    let d = order_as(
        &app,
        &owner,
        &owner.token,
        "web",
        json!({ "name": "Lin W.", "email": "lin@example.com" }),
        json!([{ "item_id": m.fries, "quantity": 1 }]),
    )
    .await;
    let dup = d["customer_id"].as_str().unwrap();
    assert_ne!(dup, cid);
    let merge = at(&owner, &format!("customers/{cid}/merge"));
    app.post(&merge, &owner.token, json!({ "other_id": cid })).await.expect(422, "validation_failed");
    let foreign = c["customer_id"].as_str().unwrap();
    app.post(&merge, &owner.token, json!({ "other_id": foreign })).await.expect(422, "validation_failed");
    let merged = app.post(&merge, &owner.token, json!({ "other_id": dup })).await;
    merged.expect(200, "");
    assert_eq!(merged.body["email"], "lin@example.com");
    assert_eq!(merged.body["phone"], "+15550103333");
    assert_eq!(merged.body["visits"], 3);
    app.get(&at(&owner, &format!("customers/{dup}")), &owner.token).await.expect(404, "not_found");
    // The next order by that email finds the merged profile.
    let e = order_as(
        &app,
        &owner,
        &owner.token,
        "web",
        json!({ "email": "LIN@example.com" }),
        json!([{ "item_id": m.fries, "quantity": 1 }]),
    )
    .await;
    assert_eq!(e["customer_id"], cid);
}

#[tokio::test]
async fn twenty_first_orders_of_one_new_guest_at_once_make_one_customer() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = at(&owner, "orders");
    let orders = (0..20).map(|i| {
        let spelling = if i % 2 == 0 { "555 010 8888" } else { "+1 (555) 010-8888" };
        let body = json!({ "channel": "web", "type": "takeout", "customer": { "phone": spelling },
            "items": [{ "item_id": m.fries, "quantity": 1 }] });
        app.post(&path, &owner.token, body)
    });
    let placed = futures_util::future::join_all(orders).await;
    let ids: std::collections::BTreeSet<String> = placed
        .iter()
        .map(|r| {
            r.expect(201, "");
            r.body["customer_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let list = app.get(&at(&owner, "customers"), &owner.token).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["visits"], 20);
}

#[tokio::test]
async fn numbers_are_read_with_the_restaurants_country() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let fries = json!([{ "item_id": m.fries, "quantity": 1 }]);
    // A euro restaurant has no country of its currency: a number needs its + code.
    let r = app
        .put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "currency": "EUR", "country": null }))
        .await;
    r.expect(200, "");
    assert!(r.body["country"].is_null());
    let body =
        json!({ "channel": "web", "type": "takeout", "customer": { "phone": "06 12 34 56 78" }, "items": fries });
    let refused = app.post(&at(&owner, "orders"), &owner.token, body.clone()).await;
    refused.expect(422, "validation_failed");
    assert!(refused.body.to_string().contains("country code"), "{}", refused.body);
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "country": "XX" }))
        .await
        .expect(422, "validation_failed");
    let r = app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "country": "fr" })).await;
    assert_eq!(r.body["country"], "FR");
    let placed = app.post(&at(&owner, "orders"), &owner.token, body).await;
    placed.expect(201, "");
    let cid = placed.body["customer_id"].as_str().unwrap();
    let c = app.get(&at(&owner, &format!("customers/{cid}")), &owner.token).await;
    assert_eq!(c.body["phone"], "+33612345678");
    let found = app.get(&at(&owner, "customers/lookup?phone=%2B33%206%2012%2034%2056%2078"), &owner.token).await;
    assert_eq!(found.body["id"], cid);
}

#[tokio::test]
async fn numbers_older_orders_kept_in_the_clear_are_sealed_by_the_upgrade() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let placed = app.order(&owner, &owner.token, "phone", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    let id = placed.id("/id");
    // As an order written before customers existed: the number in plain words, on the
    // order and on its copy in the log.
    let old = json!({ "name": "Old Timer", "phone": "(555) 010-6666", "address": "9 Elm St" });
    let mut tx = app.state.db.begin(brigade_store::System::Admin).await.unwrap();
    brigade_store::customers::set_order_guest(&mut tx, id, Some(&old), None).await.unwrap();
    brigade_store::customers::rewrite_logged_guest(&mut tx, id, Some(&old)).await.unwrap();
    tx.commit().await.unwrap();
    let mut held = app.state.db.tables_holding("010-6666").await.unwrap();
    held.sort();
    assert_eq!(held, ["events", "orders"]);

    let sealed = brigade_server::customers::service::seal_plain_contacts(&app.state).await.unwrap();
    assert_eq!(sealed, 1);
    assert!(app.state.db.tables_holding("010-6666").await.unwrap().is_empty());
    assert!(app.state.db.tables_holding("5550106666").await.unwrap().is_empty());
    let order = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await;
    assert_eq!(order.body["customer"]["phone"], "•••• 6666");
    assert_eq!(order.body["customer"]["address"], "9 Elm St");
    let cid = order.body["customer_id"].as_str().unwrap();
    let c = app.get(&at(&owner, &format!("customers/{cid}")), &owner.token).await;
    assert_eq!(c.body["phone"], "+15550106666");
    assert_eq!(c.body["name"], "Old Timer");
    assert_eq!(brigade_server::customers::service::seal_plain_contacts(&app.state).await.unwrap(), 0, "once");
}
