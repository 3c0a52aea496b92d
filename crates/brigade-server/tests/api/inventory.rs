//! Inventory: the ledger and its invariant, units, recipes that orders deplete and
//! cancels restore, auto-86 and its return (a person's 86 left alone), low-stock alerts,
//! reports, transfers, and tenancy on every route.

use crate::support::{Menu, Owner, TestApp};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn stock(app: &TestApp, owner: &Owner, body: Value) -> Uuid {
    let r = app.post(&at(owner, "inventory/items"), &owner.token, body).await;
    r.expect(201, "");
    r.id("/id")
}

async fn item(app: &TestApp, owner: &Owner, id: Uuid) -> Value {
    let r = app.get(&at(owner, &format!("inventory/items/{id}")), &owner.token).await;
    r.expect(200, "");
    r.body
}

async fn on_hand(app: &TestApp, owner: &Owner, id: Uuid) -> f64 {
    item(app, owner, id).await["on_hand"].as_f64().unwrap()
}

async fn movement(app: &TestApp, owner: &Owner, body: Value) -> crate::support::Response {
    app.post(&at(owner, "inventory/transactions"), &owner.token, body).await
}

/// The sum of an item's whole ledger, read back through the API.
async fn ledger_sum(app: &TestApp, owner: &Owner, id: Uuid) -> f64 {
    let mut sum = 0.0;
    let mut cursor: Option<String> = None;
    loop {
        let mut path = at(owner, &format!("inventory/transactions?item_id={id}&limit=500"));
        if let Some(c) = &cursor {
            path += &format!("&cursor={c}");
        }
        let page = app.get(&path, &owner.token).await;
        page.expect(200, "");
        for m in page.body["items"].as_array().unwrap() {
            sum += m["quantity"].as_f64().unwrap();
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return (sum * 1000.0).round() / 1000.0,
        }
    }
}

/// Beef patties (each, 150 g not needed: counted), buns, cheese slices; the burger uses
/// one of each, "Double" adds a patty, and a "No cheese" option is added to the menu item.
struct Kitchen {
    m: Menu,
    patty: Uuid,
    bun: Uuid,
    cheese: Uuid,
    no_cheese: Uuid,
}

async fn kitchen(app: &TestApp, owner: &Owner) -> Kitchen {
    let m = app.menu(owner).await;
    let patty = stock(
        app,
        owner,
        json!({ "name": "Beef patty", "unit": "each", "reorder_point": 4, "par_level": 40,
        "purchase_units": [{ "name": "case", "quantity": 24 }] }),
    )
    .await;
    let bun = stock(app, owner, json!({ "name": "Bun", "unit": "each" })).await;
    let cheese = stock(app, owner, json!({ "name": "Cheddar slice", "unit": "each" })).await;
    // Give the burger a "No cheese" option in its Extras group.
    let burger = app.get(&at(owner, &format!("menu/items/{}", m.burger)), &owner.token).await;
    let mut body = burger.body.clone();
    body["modifier_groups"][1]["options"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "No cheese", "price_delta": 0 }));
    body["modifier_groups"][1]["max"] = json!(3);
    let r = app.put(&at(owner, &format!("menu/items/{}", m.burger)), &owner.token, body).await;
    r.expect(200, "");
    let no_cheese = r.body["modifier_groups"][1]["options"][2]["id"].as_str().unwrap().parse().unwrap();
    let recipe = json!({ "lines": [
        { "inventory_item_id": patty, "quantity": 1 },
        { "inventory_item_id": bun, "quantity": 1 },
        { "inventory_item_id": cheese, "quantity": 1 },
        { "inventory_item_id": patty, "option_id": m.double, "quantity": 1 },
        { "inventory_item_id": cheese, "option_id": no_cheese, "quantity": -1 },
    ] });
    app.put(&at(owner, &format!("menu/items/{}/recipe", m.burger)), &owner.token, recipe).await.expect(200, "");
    Kitchen { m, patty, bun, cheese, no_cheese }
}

async fn receive(app: &TestApp, owner: &Owner, id: Uuid, quantity: f64, unit: Option<&str>, cost: Option<i64>) {
    let r = movement(
        app,
        owner,
        json!({ "item_id": id, "kind": "receive", "quantity": quantity, "unit": unit, "cost": cost }),
    )
    .await;
    r.expect(201, "");
}

#[tokio::test]
async fn stock_items_check_their_units_levels_and_skus() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let path = at(&owner, "inventory/items");
    for (body, field) in [
        (json!({ "name": "Flour", "unit": "kg" }), "unit"),
        (json!({ "name": "", "unit": "g" }), "name"),
        (json!({ "name": "Flour", "unit": "g", "par_level": 5, "levels_unit": "l" }), "par_level"),
        (json!({ "name": "Flour", "unit": "g", "par_level": 5, "reorder_point": 10 }), "reorder_point"),
        (
            json!({ "name": "Flour", "unit": "g", "purchase_units": [{ "name": "kg", "quantity": 1000 }] }),
            "purchase_units",
        ),
        (
            json!({ "name": "Flour", "unit": "g", "purchase_units": [{ "name": "sack", "quantity": 0 }] }),
            "purchase_units",
        ),
        (json!({ "name": "Flour", "unit": "g", "category_id": Uuid::now_v7() }), "category_id"),
    ] {
        let r = app.post(&path, &owner.token, body.clone()).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{body}");
    }
    // Levels in any unit of the item's kind, stored in its base unit.
    let flour = stock(
        &app,
        &owner,
        json!({ "name": "Flour", "unit": "g", "sku": "FL-1", "par_level": 10, "reorder_point": 2,
        "levels_unit": "kg", "purchase_units": [{ "name": "sack", "quantity": 25000 }] }),
    )
    .await;
    let f = item(&app, &owner, flour).await;
    assert_eq!((f["par_level"].as_f64(), f["reorder_point"].as_f64()), (Some(10_000.0), Some(2_000.0)));
    let r = app.post(&path, &owner.token, json!({ "name": "Other flour", "unit": "g", "sku": "FL-1" })).await;
    r.expect(409, "sku_taken");
    // The unit is fixed once the item exists.
    let r = app
        .put(&at(&owner, &format!("inventory/items/{flour}")), &owner.token, json!({ "name": "Flour", "unit": "ml" }))
        .await;
    r.expect(422, "validation_failed");
    assert_eq!(item(&app, &owner, flour).await["unit"], "g");
}

#[tokio::test]
async fn movements_keep_on_hand_equal_to_the_ledger_with_average_cost() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let beer = stock(
        &app,
        &owner,
        json!({ "name": "Lager", "unit": "each", "purchase_units": [{ "name": "case", "quantity": 24 }] }),
    )
    .await;
    // 2 cases at 24.00 a case (1.00 each), then 24 at 2.00: 1.33 each on average.
    receive(&app, &owner, beer, 2.0, Some("case"), Some(4800)).await;
    receive(&app, &owner, beer, 24.0, None, Some(4800)).await;
    let b = item(&app, &owner, beer).await;
    assert_eq!(b["on_hand"], 72.0);
    assert!((b["unit_cost"].as_f64().unwrap() - 133.333_333).abs() < 0.001, "{b}");
    assert_eq!(b["value"], 9600);

    // Bad movements change nothing.
    for (body, field) in [
        (json!({ "item_id": beer, "kind": "waste", "quantity": 2 }), "reason"),
        (json!({ "item_id": beer, "kind": "waste", "quantity": -2, "reason": "x" }), "quantity"),
        (json!({ "item_id": beer, "kind": "receive", "quantity": 1, "unit": "kg" }), "unit"),
        (json!({ "item_id": beer, "kind": "sale", "quantity": 1 }), "kind"),
        (json!({ "item_id": beer, "kind": "teleport", "quantity": 1 }), "kind"),
        (json!({ "item_id": beer, "kind": "count", "quantity": -1 }), "quantity"),
        (json!({ "item_id": beer, "kind": "adjustment", "quantity": 0, "reason": "x" }), "quantity"),
    ] {
        let r = movement(&app, &owner, body.clone()).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{body}");
    }
    movement(&app, &owner, json!({ "item_id": Uuid::now_v7(), "kind": "receive", "quantity": 1 }))
        .await
        .expect(404, "not_found");
    assert_eq!(on_hand(&app, &owner, beer).await, 72.0);

    movement(&app, &owner, json!({ "item_id": beer, "kind": "waste", "quantity": 3, "reason": "dropped" }))
        .await
        .expect(201, "");
    movement(&app, &owner, json!({ "item_id": beer, "kind": "adjustment", "quantity": -1, "reason": "staff drink" }))
        .await
        .expect(201, "");
    // A count sets on hand; the ledger records the variance (68 expected, 65 counted).
    let r = movement(&app, &owner, json!({ "item_id": beer, "kind": "count", "quantity": 65 })).await;
    r.expect(201, "");
    assert_eq!(r.body["on_hand"], 65.0);
    let last = app.get(&at(&owner, &format!("inventory/transactions?item_id={beer}&limit=1")), &owner.token).await;
    assert_eq!(
        (last.body["items"][0]["kind"].as_str(), last.body["items"][0]["quantity"].as_f64()),
        (Some("count"), Some(-3.0))
    );
    assert_eq!(ledger_sum(&app, &owner, beer).await, 65.0);
}

#[tokio::test]
async fn orders_take_their_recipes_out_of_stock_and_cancels_put_them_back() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    for id in [k.patty, k.bun, k.cheese] {
        receive(&app, &owner, id, 20.0, None, None).await;
    }
    // 2 double burgers without cheese: 4 patties, 2 buns, no cheese.
    let o = app
        .order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": k.m.burger, "quantity": 2, "modifiers": [k.m.double, k.no_cheese] }]),
        )
        .await;
    o.expect(201, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 16.0);
    assert_eq!(on_hand(&app, &owner, k.bun).await, 18.0);
    assert_eq!(on_hand(&app, &owner, k.cheese).await, 20.0);
    // An item without a recipe takes nothing.
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": k.m.cola, "quantity": 3 }])).await.expect(201, "");

    let id = o.id("/id");
    let status_path = at(&owner, &format!("orders/{id}/status"));
    app.post(&status_path, &owner.token, json!({ "status": "cancelled", "reason": "guest left" }))
        .await
        .expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 20.0);
    assert_eq!(on_hand(&app, &owner, k.bun).await, 20.0);
    let sales = app
        .get(&at(&owner, &format!("inventory/transactions?item_id={}&kind=sale_return", k.patty)), &owner.token)
        .await;
    assert_eq!(sales.body["items"][0]["reference_id"], id.to_string());
    for id in [k.patty, k.bun, k.cheese] {
        assert_eq!(ledger_sum(&app, &owner, id).await, on_hand(&app, &owner, id).await);
    }
}

#[tokio::test]
async fn restaurants_may_deplete_when_the_kitchen_accepts_instead() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    receive(&app, &owner, k.patty, 10.0, None, None).await;
    receive(&app, &owner, k.bun, 10.0, None, None).await;
    receive(&app, &owner, k.cheese, 10.0, None, None).await;
    let r = app
        .put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "inventory_depletes_on": "whenever" }))
        .await;
    r.expect(422, "validation_failed");
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "inventory_depletes_on": "accepted" }))
        .await
        .expect(200, "");
    let o = app
        .order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": k.m.burger, "quantity": 1, "modifiers": [k.m.single] }]),
        )
        .await;
    o.expect(201, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 10.0, "not yet");
    let id = o.id("/id");
    let status_path = at(&owner, &format!("orders/{id}/status"));
    let status = |s: &str| app.post(&status_path, &owner.token, json!({ "status": s }));
    status("accepted").await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 9.0);
    status("preparing").await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 9.0, "once");
    status("cancelled").await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 10.0);
    // Cancelled before acceptance: nothing taken, nothing returned.
    let o = app
        .order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": k.m.burger, "quantity": 1, "modifiers": [k.m.single] }]),
        )
        .await;
    let id = o.id("/id");
    app.post(&at(&owner, &format!("orders/{id}/status")), &owner.token, json!({ "status": "cancelled" }))
        .await
        .expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 10.0);
}

#[tokio::test]
async fn running_out_86es_the_item_everywhere_and_stock_brings_it_back_but_not_a_persons_86() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    // A recipe that stock cannot make 86es the item at once.
    let burger = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
    assert_eq!(burger.body["availability"]["available"], false);
    assert_eq!(burger.body["availability"]["reason"], "out of Beef patty");
    receive(&app, &owner, k.bun, 10.0, None, None).await;
    receive(&app, &owner, k.cheese, 10.0, None, None).await;
    let mut feed = app.ws(Some(&owner.token)).await;
    feed.subscribe(&format!("restaurant:{}", owner.rid), None).await;
    receive(&app, &owner, k.patty, 2.0, None, None).await;
    // Two patties are below the reorder point of 4: an alert, then the burger is back.
    let low = feed.until("inventory.low_stock").await;
    assert_eq!(low["event"]["data"]["name"], "Beef patty");
    assert_eq!(low["event"]["data"]["on_hand"], 2.0);
    let back = feed.until("menu.availability_changed").await;
    assert_eq!(back["event"]["data"]["available"], true);
    assert!(app.public_items(&k.m.slug, "qr").await.contains(&"Burger".to_owned()));

    // Two patties make one double: the order takes both, and the item is 86'd in the same commit.
    let order = |mods: Value| {
        app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": k.m.burger, "quantity": 1, "modifiers": mods }]))
    };
    order(json!([k.m.double])).await.expect(201, "");
    let r = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
    assert_eq!(r.body["availability"]["reason"], "out of Beef patty");
    assert!(!app.public_items(&k.m.slug, "qr").await.contains(&"Burger".to_owned()));
    for channel in ["ubereats", "web"] {
        let o = app
            .order(
                &owner,
                &owner.token,
                channel,
                json!([{ "item_id": k.m.burger, "quantity": 1, "modifiers": [k.m.single] }]),
            )
            .await;
        o.expect(409, "item_unavailable");
    }

    // A person 86es it too (for another reason): stock coming back leaves that alone.
    let path = at(&owner, &format!("menu/items/{}/availability", k.m.burger));
    app.post(&path, &owner.token, json!({ "available": false, "reason": "grill broken" })).await.expect(200, "");
    receive(&app, &owner, k.patty, 24.0, None, None).await;
    let r = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
    assert_eq!(r.body["availability"]["reason"], "grill broken");
    // And running out while a person's 86 stands does not overwrite it either.
    movement(&app, &owner, json!({ "item_id": k.patty, "kind": "count", "quantity": 0 })).await.expect(201, "");
    let r = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
    assert_eq!(r.body["availability"]["reason"], "grill broken");
    app.post(&path, &owner.token, json!({ "available": true })).await.expect(200, "");
    receive(&app, &owner, k.patty, 1.0, None, None).await;
    let r = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
    assert_eq!(r.body["availability"]["available"], true);
    // One low-stock alert per crossing: 2 on hand, (0 is still low), 24, then 0 again.
    let alerts = app.get(&at(&owner, "audit?type=inventory.low_stock"), &owner.token).await;
    assert_eq!(alerts.body["items"].as_array().unwrap().len(), 2, "{}", alerts.body);
}

/// The order that 86es an item must say so, for its node drops the cached public menu at
/// once on that word; the realtime tailer drops it too, but only when it gets there, and a
/// guest asking in between was once sold the item that had just run out.
#[tokio::test]
async fn stock_that_runs_out_in_an_order_says_the_menu_changed() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    for item in [k.bun, k.cheese] {
        receive(&app, &owner, item, 10.0, None, None).await;
    }
    receive(&app, &owner, k.patty, 2.0, None, None).await;
    let sold =
        |options: Vec<Uuid>| brigade_server::inventory::SoldLine { menu_item_id: k.m.burger, quantity: 1, options };
    let deplete = |options: Vec<Uuid>| {
        let app = &app;
        let rid = owner.rid;
        async move {
            let mut tx = app.state.db.begin(rid).await.unwrap();
            let orders = [(rid, Uuid::new_v4(), vec![sold(options)], brigade_store::events::ActedBy::System)];
            brigade_server::inventory::deplete_orders(&mut tx, &orders, chrono::Utc::now()).await.unwrap()
            // Dropped: rolled back, stock untouched for the next call.
        }
    };
    assert!(deplete(vec![k.m.single]).await.is_empty(), "one patty left: nothing 86'd");
    assert_eq!(deplete(vec![k.m.double]).await.into_iter().collect::<Vec<_>>(), vec![owner.rid], "the last two: 86'd");
}

#[tokio::test]
async fn the_ledger_invariant_holds_over_random_days_of_service() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    let items = [k.patty, k.bun, k.cheese];
    for seed in 0..3u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut placed: Vec<Uuid> = Vec::new();
        for _ in 0..40 {
            match rng.gen_range(0..10) {
                0..=4 => {
                    let mut mods = vec![if rng.gen_bool(0.5) { k.m.single } else { k.m.double }];
                    if rng.gen_bool(0.3) {
                        mods.push(k.no_cheese);
                    }
                    let q = rng.gen_range(1..4);
                    let r = app
                        .order(
                            &owner,
                            &owner.token,
                            "walk_in",
                            json!([{ "item_id": k.m.burger, "quantity": q, "modifiers": mods }]),
                        )
                        .await;
                    // Refused (409) while out of stock; either way nothing half-happens.
                    assert!(r.status == 201 || r.code() == "item_unavailable", "{}", r.body);
                    if r.status == 201 {
                        placed.push(r.id("/id"));
                    }
                }
                5 | 6 if !placed.is_empty() => {
                    let id = placed.swap_remove(rng.gen_range(0..placed.len()));
                    let r = app
                        .post(
                            &at(&owner, &format!("orders/{id}/status")),
                            &owner.token,
                            json!({ "status": "cancelled" }),
                        )
                        .await;
                    r.expect(200, "");
                }
                7 | 8 => {
                    let id = items[rng.gen_range(0..3)];
                    receive(&app, &owner, id, rng.gen_range(1..12) as f64, None, Some(rng.gen_range(0..2000))).await;
                }
                _ => {
                    let id = items[rng.gen_range(0..3)];
                    let q = rng.gen_range(0..15) as f64;
                    movement(&app, &owner, json!({ "item_id": id, "kind": "count", "quantity": q }))
                        .await
                        .expect(201, "");
                }
            }
        }
        for id in items {
            assert_eq!(ledger_sum(&app, &owner, id).await, on_hand(&app, &owner, id).await, "seed {seed}");
        }
        // The menu tells the truth about whether stock can make a burger.
        let recipe = app.get(&at(&owner, &format!("menu/items/{}/recipe", k.m.burger)), &owner.token).await;
        let burger = app.get(&at(&owner, &format!("menu/items/{}", k.m.burger)), &owner.token).await;
        assert_eq!(recipe.body["can_make"], burger.body["availability"]["available"], "seed {seed}: {}", burger.body);
    }
}

#[tokio::test]
async fn recipes_reports_and_food_cost() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    // Patties at 24.00 a case (1.00 each), buns 0.50, cheese 0.25: a plain burger costs 1.75 of its 12.00.
    receive(&app, &owner, k.patty, 1.0, Some("case"), Some(2400)).await;
    receive(&app, &owner, k.bun, 10.0, None, Some(500)).await;
    receive(&app, &owner, k.cheese, 10.0, None, Some(250)).await;
    let recipe = app.get(&at(&owner, &format!("menu/items/{}/recipe", k.m.burger)), &owner.token).await;
    assert_eq!(recipe.body["portion_cost"], 175);
    assert_eq!(recipe.body["food_cost_percent"], 14.6);
    assert_eq!(recipe.body["lines"][3]["option_name"], "Double");
    let fc = app.get(&at(&owner, "inventory/food-cost"), &owner.token).await;
    assert_eq!(fc.body["items"][0]["name"], "Burger");

    // Bad recipes change nothing.
    let path = at(&owner, &format!("menu/items/{}/recipe", k.m.burger));
    for (lines, field) in [
        (json!([{ "inventory_item_id": Uuid::now_v7(), "quantity": 1 }]), "lines[0].inventory_item_id"),
        (json!([{ "inventory_item_id": k.bun, "quantity": -1 }]), "lines[0].quantity"),
        (json!([{ "inventory_item_id": k.bun, "quantity": 1, "option_id": Uuid::now_v7() }]), "lines[0].option_id"),
        (json!([{ "inventory_item_id": k.bun, "quantity": 1, "unit": "kg" }]), "lines[0].unit"),
        (
            json!([{ "inventory_item_id": k.bun, "quantity": 1 }, { "inventory_item_id": k.bun, "quantity": 2 }]),
            "lines[1].inventory_item_id",
        ),
    ] {
        let r = app.put(&path, &owner.token, json!({ "lines": lines })).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    assert_eq!(app.get(&path, &owner.token).await.body["lines"].as_array().unwrap().len(), 5);
    app.delete(&at(&owner, &format!("inventory/items/{}", k.bun)), &owner.token).await.expect(409, "in_recipes");

    // Sell 5 plain burgers, waste 1 bun, count: 2 patties fewer than the ledger expects.
    for _ in 0..5 {
        app.order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": k.m.burger, "quantity": 1, "modifiers": [k.m.single] }]),
        )
        .await
        .expect(201, "");
    }
    movement(&app, &owner, json!({ "item_id": k.bun, "kind": "waste", "quantity": 1, "reason": "stale" }))
        .await
        .expect(201, "");
    let counts = json!({ "counts": [{ "item_id": k.patty, "quantity": 17 }, { "item_id": k.bun, "quantity": 4 }] });
    app.post(&at(&owner, "inventory/counts"), &owner.token, counts).await.expect(201, "");
    // A count sheet with a bad line records nothing.
    let bad =
        json!({ "counts": [{ "item_id": k.patty, "quantity": 1 }, { "item_id": Uuid::now_v7(), "quantity": 1 }] });
    let r = app.post(&at(&owner, "inventory/counts"), &owner.token, bad).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "counts[1].item_id");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 17.0);

    let v = app.get(&at(&owner, "inventory/variance"), &owner.token).await;
    v.expect(200, "");
    let patty = v.body["items"].as_array().unwrap().iter().find(|l| l["name"] == "Beef patty").unwrap().clone();
    assert_eq!((patty["theoretical_usage"].as_f64(), patty["actual_usage"].as_f64()), (Some(5.0), Some(7.0)));
    assert_eq!((patty["variance"].as_f64(), patty["variance_cost"].as_i64()), (Some(2.0), Some(200)));
    let bun = v.body["items"].as_array().unwrap().iter().find(|l| l["name"] == "Bun").unwrap().clone();
    assert_eq!((bun["waste"].as_f64(), bun["unexplained"].as_f64()), (Some(1.0), Some(0.0)));

    // Patties: 17 on hand, par 40 → order 23, rounded up to whole cases: 1 case short of par is 24.
    let r = app.get(&at(&owner, "inventory/reorder"), &owner.token).await;
    let line = r.body["items"].as_array().unwrap().iter().find(|l| l["name"] == "Beef patty").unwrap().clone();
    assert_eq!((line["order_quantity"].as_f64(), line["purchase_units"].as_i64()), (Some(24.0), Some(1)));
    assert_eq!(line["purchase_unit"], "case");
    assert_eq!(line["supplier_name"], Value::Null);
    // Items bought from suppliers come first, supplier by supplier; the rest after.
    let dairy = json!({ "name": "Butter", "unit": "g", "par_level": 1000, "supplier": { "name": "Dairy Co", "phone": "+15550100" } });
    stock(&app, &owner, dairy).await;
    let meat = json!({ "name": "Bacon", "unit": "each", "par_level": 10, "supplier": { "name": "Butcher" } });
    stock(&app, &owner, meat).await;
    let r = app.get(&at(&owner, "inventory/reorder"), &owner.token).await;
    let order: Vec<(Option<&str>, &str)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["supplier_name"].as_str(), l["name"].as_str().unwrap()))
        .collect();
    assert_eq!(order, [(Some("Butcher"), "Bacon"), (Some("Dairy Co"), "Butter"), (None, "Beef patty")]);
    assert_eq!(r.body["items"][1]["supplier"]["phone"], "+15550100");
    movement(&app, &owner, json!({ "item_id": k.patty, "kind": "count", "quantity": 3 })).await.expect(201, "");
    let low = app.get(&at(&owner, "inventory/low-stock"), &owner.token).await;
    assert_eq!(low.body["items"][0]["name"], "Beef patty");
}

#[tokio::test]
async fn transfers_move_stock_between_an_owners_locations_only() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let second = app
        .post(
            "/v1/restaurants",
            &owner.token,
            json!({ "name": "Diner Two", "timezone": "America/New_York", "currency": "USD" }),
        )
        .await;
    second.expect(201, "");
    let two = Owner {
        rid: second.id("/id"),
        user_id: owner.user_id,
        token: owner.token.clone(),
        refresh: owner.refresh.clone(),
    };
    let stranger = app.signup("bob@example.com", "Elsewhere").await;
    let here = stock(&app, &owner, json!({ "name": "Flour", "unit": "g" })).await;
    let there = stock(&app, &two, json!({ "name": "Flour", "unit": "g" })).await;
    let wrong_unit = stock(&app, &two, json!({ "name": "Milk", "unit": "ml" })).await;
    let theirs = stock(&app, &stranger, json!({ "name": "Flour", "unit": "g" })).await;
    receive(&app, &owner, here, 10.0, Some("kg"), Some(1500)).await;

    let path = at(&owner, "inventory/transfers");
    let t = |to: Uuid, item: Uuid, q: f64| json!({ "item_id": here, "to_restaurant_id": to, "to_item_id": item, "quantity": q, "unit": "kg" });
    app.post(&path, &owner.token, t(stranger.rid, theirs, 1.0)).await.expect(422, "validation_failed");
    app.post(&path, &owner.token, t(two.rid, wrong_unit, 1.0)).await.expect(422, "validation_failed");
    app.post(&path, &owner.token, t(owner.rid, here, 1.0)).await.expect(422, "validation_failed");
    let r = app.post(&path, &owner.token, t(two.rid, there, 2.5)).await;
    r.expect(201, "");
    assert_eq!((r.body["from"]["on_hand"].as_f64(), r.body["to"]["on_hand"].as_f64()), (Some(7_500.0), Some(2_500.0)));
    assert_eq!(r.body["to"]["unit_cost"], 0.15, "at the sending item's average cost");
    assert_eq!(on_hand(&app, &stranger, theirs).await, 0.0);
}

#[tokio::test]
async fn inventory_routes_keep_to_their_restaurant_and_roles() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let other = app.signup("bob@example.com", "Elsewhere").await;
    let k = kitchen(&app, &owner).await;
    let theirs = stock(&app, &other, json!({ "name": "Secret sauce", "unit": "ml" })).await;
    let mine = |p: &str| at(&owner, p);
    // Another restaurant's things are not found through mine, nor mine through theirs.
    for path in [
        mine(&format!("inventory/items/{theirs}")),
        format!("/v1/restaurants/{}/inventory/items/{}", other.rid, k.patty),
        format!("/v1/restaurants/{}/inventory/items", owner.rid),
    ] {
        let r = app.get(&path, &other.token).await;
        assert!(r.status == 404, "{path}: {}", r.status);
    }
    let r = movement(&app, &owner, json!({ "item_id": theirs, "kind": "receive", "quantity": 1 })).await;
    r.expect(404, "not_found");
    let r = app
        .put(
            &mine(&format!("menu/items/{}/recipe", k.m.fries)),
            &owner.token,
            json!({ "lines": [{ "inventory_item_id": theirs, "quantity": 1 }] }),
        )
        .await;
    r.expect(422, "validation_failed");
    let r = app.get(&format!("/v1/restaurants/{}/inventory/items?low=true", other.rid), &other.token).await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 0);
    // Staff move stock but do not edit items or recipes.
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let r = app
        .post(&mine("inventory/transactions"), &staff, json!({ "item_id": k.bun, "kind": "receive", "quantity": 5 }))
        .await;
    r.expect(201, "");
    app.post(&mine("inventory/items"), &staff, json!({ "name": "Salt", "unit": "g" })).await.expect(403, "forbidden");
    app.put(&mine(&format!("menu/items/{}/recipe", k.m.fries)), &staff, json!({ "lines": [] }))
        .await
        .expect(403, "forbidden");
}

#[tokio::test]
async fn rounds_take_stock_voids_give_it_back_and_splits_and_merges_keep_each_checks_share() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let k = kitchen(&app, &owner).await;
    for id in [k.patty, k.bun, k.cheese] {
        receive(&app, &owner, id, 20.0, None, None).await;
    }
    let single = json!({ "item_id": k.m.burger, "quantity": 1, "modifiers": [k.m.single] });
    let o = app
        .order(&owner, &owner.token, "walk_in", json!([single.clone(), { "item_id": k.m.cola, "quantity": 1 }]))
        .await;
    o.expect(201, "");
    let id = o.id("/id");
    let round = app.post(&at(&owner, &format!("orders/{id}/items")), &owner.token, json!({ "items": [single] })).await;
    round.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 18.0, "the round took its patty");

    // A void gives back what its line took.
    let second = round.body["items"][2]["id"].as_str().unwrap().to_owned();
    let void = at(&owner, &format!("orders/{id}/items/{second}/void"));
    app.post(&void, &owner.token, json!({ "reason": "sent twice" })).await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 19.0);

    // The burger split off and cancelled gives back its own patty; the rest, merged back
    // and cancelled, gives back nothing twice.
    let first = o.body["items"][0]["id"].as_str().unwrap().to_owned();
    let s = app
        .post(&at(&owner, &format!("orders/{id}/split")), &owner.token, json!({ "by": "items", "groups": [[first]] }))
        .await;
    s.expect(200, "");
    let part = s.body["orders"][1]["id"].as_str().unwrap().to_owned();
    assert_eq!(on_hand(&app, &owner, k.patty).await, 19.0, "a split moves no stock");
    app.delete(&at(&owner, &format!("orders/{part}")), &owner.token).await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 20.0);
    app.delete(&at(&owner, &format!("orders/{id}")), &owner.token).await.expect(200, "");
    assert_eq!(on_hand(&app, &owner, k.patty).await, 20.0);
    assert_eq!(on_hand(&app, &owner, k.bun).await, 20.0);
    for id in [k.patty, k.bun, k.cheese] {
        assert_eq!(ledger_sum(&app, &owner, id).await, on_hand(&app, &owner, id).await);
    }
}
