//! Two restaurants, two owners: nothing of one is reachable from the other, by token or
//! by API key. Another restaurant's things answer 404, as if they did not exist.

use crate::support::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn nothing_crosses_between_restaurants() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let (b_staff, _) = app.add_member(&b, "bstaff@example.com", "staff").await;
    let b_key = app
        .post(
            &format!("/v1/restaurants/{}/api-keys", b.rid),
            &b.token,
            json!({"name": "pos", "permissions": ["restaurant:read"]}),
        )
        .await;
    let b_key_id = b_key.id("/id");
    let a_key = app
        .post(
            &format!("/v1/restaurants/{}/api-keys", a.rid),
            &a.token,
            json!({"name": "all", "permissions": ["restaurant:read", "restaurant:write", "users:read", "users:write", "api_keys:manage", "audit:read"]}),
        )
        .await
        .str("/key");

    for token in [a.token.as_str(), a_key.as_str()] {
        let rb = format!("/v1/restaurants/{}", b.rid);
        app.get(&rb, token).await.expect(404, "not_found");
        app.put(&rb, token, json!({"name": "Taken"})).await.expect(404, "not_found");
        app.get(&format!("{rb}/users"), token).await.expect(404, "not_found");
        app.get(&format!("{rb}/users/{b_staff}"), token).await.expect(404, "not_found");
        app.post(
            &format!("{rb}/users"),
            token,
            json!({"name": "Mole", "role": "staff", "email": "mole@example.com", "password": PASSWORD}),
        )
        .await
        .expect(404, "not_found");
        app.put(&format!("{rb}/users/{b_staff}"), token, json!({"role": "manager"})).await.expect(404, "not_found");
        app.delete(&format!("{rb}/users/{b_staff}"), token).await.expect(404, "not_found");
        app.get(&format!("{rb}/api-keys"), token).await.expect(404, "not_found");
        app.get(&format!("{rb}/api-keys/{b_key_id}"), token).await.expect(404, "not_found");
        app.delete(&format!("{rb}/api-keys/{b_key_id}"), token).await.expect(404, "not_found");
        app.post(&format!("{rb}/api-keys"), token, json!({"name": "x", "permissions": ["menu:read"]}))
            .await
            .expect(404, "not_found");
        app.get(&format!("{rb}/audit"), token).await.expect(404, "not_found");

        // B's ids under A's own restaurant are not found either.
        let ra = format!("/v1/restaurants/{}", a.rid);
        app.get(&format!("{ra}/users/{b_staff}"), token).await.expect(404, "not_found");
        app.put(&format!("{ra}/users/{b_staff}"), token, json!({"name": "Renamed"})).await.expect(404, "not_found");
        app.delete(&format!("{ra}/users/{b_staff}"), token).await.expect(404, "not_found");
        app.get(&format!("{ra}/api-keys/{b_key_id}"), token).await.expect(404, "not_found");
        app.delete(&format!("{ra}/api-keys/{b_key_id}"), token).await.expect(404, "not_found");
    }

    // A's lists show only A.
    let list = app.get("/v1/restaurants", &a.token).await;
    let ids: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a.rid.to_string()]);
    let list = app.get("/v1/restaurants", &a_key).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    let audit = app.get(&format!("/v1/restaurants/{}/audit?limit=500", a.rid), &a.token).await;
    for e in audit.body["items"].as_array().unwrap() {
        assert_ne!(e["entity_id"], b_staff.to_string(), "B's event leaked into A's audit: {e}");
        assert_ne!(e["entity_id"], b.rid.to_string());
    }
    // B is untouched.
    let b_rest = app.get(&format!("/v1/restaurants/{}", b.rid), &b.token).await;
    assert_eq!(b_rest.body["name"], "Bravo");
    let b_users = app.get(&format!("/v1/restaurants/{}/users", b.rid), &b.token).await;
    assert_eq!(b_users.body["items"].as_array().unwrap().len(), 2);
}

/// Row-level security is a second wall that fails closed. The PostgreSQL suite connects as
/// an ordinary role that owns its tables (as production should), so the policies bind it.
#[tokio::test]
async fn row_level_security_fails_closed_on_postgres() {
    use brigade_store::{menu, orders, System};
    use sqlx::Connection;
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let crate::support::Store::Postgres(url) = &app.store else {
        eprintln!("row-level security is PostgreSQL's; nothing to check on SQLite");
        return;
    };
    if app.state.db.rls_enforced().await.unwrap() != Some(true) {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI must run the PostgreSQL suite as an ordinary role");
        eprintln!("SKIPPED: this PostgreSQL role bypasses row-level security; run scripts/test to use brigade_app");
        return;
    }
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let m = app.menu(&b).await;
    let b_order =
        app.order(&b, &b.token, "web", json!([{"item_id": m.burger, "quantity": 1, "modifiers": [m.single]}])).await;
    b_order.expect(201, "");
    let b_order = b_order.id("/id");

    // The application's own role with no scope: no tenant rows at all, and no writes.
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    for table in ["restaurants", "memberships", "menu_items", "orders", "order_items", "events"] {
        // Events without a restaurant (a sign-up's) are nobody's: visible to all.
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE {}",
            if table == "restaurants" { "true" } else { "restaurant_id IS NOT NULL" }
        );
        let n: i64 = sqlx::query_scalar(&sql).fetch_one(&mut conn).await.unwrap();
        assert_eq!(n, 0, "{table}: a query with no scope saw tenant rows");
    }
    let write = sqlx::query(
        "INSERT INTO menu_categories (id, restaurant_id, name, sort_order, is_active, created_at, updated_at)
                             VALUES ($1, $2, 'Smuggled', 0, true, now(), now())",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(b.rid)
    .execute(&mut conn)
    .await;
    assert!(write.is_err(), "a write with no scope went through");

    // Through the store: a transaction for A does not see B's order even when asked for
    // it by B's id (the WHERE clause says B; the wall says no).
    let db = &app.state.db;
    let mut tx = db.begin_read(a.rid).await.unwrap();
    assert!(orders::get_for_update(&mut tx, b.rid, b_order).await.unwrap().is_none());
    assert!(orders::lines_tx(&mut tx, b_order).await.unwrap().is_empty());
    drop(tx);
    assert!(orders::by_id(db, a.rid, b_order).await.unwrap().is_none());
    assert!(menu::item(db, b.rid, m.burger).await.unwrap().is_some(), "B's own scope sees B's item");
    assert!(menu::categories(db, a.rid).await.unwrap().is_empty());

    // The named system paths still see across restaurants.
    assert_eq!(orders::by_id(db, System::Public, b_order).await.unwrap().map(|o| o.restaurant_id), Some(b.rid));
    let mut tx = db.begin_read(System::Jobs).await.unwrap();
    assert!(orders::get_for_update(&mut tx, b.rid, b_order).await.unwrap().is_some());
    drop(tx);
    // And the whole API still works for both, as every other test shows.
    let a_orders = app.get(&format!("/v1/restaurants/{}/orders", a.rid), &a.token).await;
    assert_eq!(a_orders.body["items"], json!([]));
    let b_orders = app.get(&format!("/v1/restaurants/{}/orders", b.rid), &b.token).await;
    assert_eq!(b_orders.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn menus_orders_kitchens_and_tables_do_not_cross_either() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let m = app.menu(&b).await;
    let order = app
        .order(&b, &b.token, "walk_in", json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] }]))
        .await;
    let order_id = order.id("/id");
    let table =
        app.post(&format!("/v1/restaurants/{}/tables", b.rid), &b.token, json!({ "name": "B1" })).await.id("/id");
    let ticket = app.get(&format!("/v1/restaurants/{}/kds/tickets", b.rid), &b.token).await.str("/items/0/id");
    let a_key = app
        .post(&format!("/v1/restaurants/{}/api-keys", a.rid), &a.token, json!({ "name": "all", "permissions": ["menu:read", "menu:write", "menu:86", "orders:read", "orders:write", "kitchen:work", "restaurant:read", "restaurant:write"] }))
        .await
        .str("/key");

    for token in [a.token.as_str(), a_key.as_str()] {
        let rb = format!("/v1/restaurants/{}", b.rid);
        let gets = [
            format!("{rb}/menu/categories"),
            format!("{rb}/menu/items"),
            format!("{rb}/menu/items/{}", m.burger),
            format!("{rb}/orders"),
            format!("{rb}/orders/{order_id}"),
            format!("{rb}/orders/{order_id}/history"),
            format!("{rb}/orders/queue"),
            format!("{rb}/orders/stats"),
            format!("{rb}/kds/stations"),
            format!("{rb}/kds/tickets"),
            format!("{rb}/kds/all-day"),
            format!("{rb}/tables"),
            format!("{rb}/tables/{table}/qr.svg"),
            format!("{rb}/realtime/presence"),
        ];
        for path in gets {
            app.get(&path, token).await.expect(404, "not_found");
        }
        let posts = [
            (format!("{rb}/menu/items/{}/availability", m.burger), json!({ "available": false })),
            (format!("{rb}/menu/bulk-availability"), json!({ "item_ids": [m.burger], "available": false })),
            (format!("{rb}/menu/categories"), json!({ "name": "Mole" })),
            (
                format!("{rb}/orders"),
                json!({ "channel": "web", "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] }),
            ),
            (format!("{rb}/orders/{order_id}/status"), json!({ "status": "cancelled" })),
            (format!("{rb}/kds/tickets/{ticket}/bump"), json!({})),
            (format!("{rb}/tables/{table}/qr/rotate"), json!({})),
        ];
        for (path, body) in posts {
            app.post(&path, token, body).await.expect(404, "not_found");
        }
        // B's ids under A's restaurant are unknown there.
        let ra = format!("/v1/restaurants/{}", a.rid);
        app.get(&format!("{ra}/menu/items/{}", m.burger), token).await.expect(404, "not_found");
        app.get(&format!("{ra}/orders/{order_id}"), token).await.expect(404, "not_found");
        app.post(&format!("{ra}/kds/tickets/{ticket}/bump"), token, json!({})).await.expect(404, "not_found");
        app.post(&format!("{ra}/menu/items/{}/availability", m.burger), token, json!({ "available": false }))
            .await
            .expect(404, "not_found");
        app.delete(&format!("{ra}/tables/{table}"), token).await.expect(404, "not_found");
        // Ordering B's item in A's restaurant: not on A's menu.
        let r = app.order(&a, token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
        r.expect(422, "validation_failed");
    }
    // B's things are untouched.
    assert_eq!(
        app.get(&format!("/v1/restaurants/{}/orders/{order_id}", b.rid), &b.token).await.body["status"],
        "received"
    );
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));
    // And A's realtime socket cannot listen to B's order.
    let mut ws = app.ws(Some(&a.token)).await;
    assert_eq!(ws.subscribe(&format!("order:{order_id}"), None).await["code"], "not_found");
    assert_eq!(ws.subscribe(&format!("kds:{}:all", b.rid), None).await["code"], "not_found");
}

/// Every operation of the OpenAPI document under `/v1/restaurants/{rid}`, every method,
/// called by another restaurant's owner: with the first restaurant's id in `{rid}`, and
/// with their own `{rid}` but each of the first restaurant's ids in the other path
/// parameters. Nothing answers 2xx, and no body carries the first restaurant's names or
/// ids. Routes added later are walked without anyone listing them here.
#[tokio::test]
async fn every_documented_route_refuses_another_restaurants_ids() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("a@example.com", "Alpha Secret Diner").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let m = app.menu(&a).await;
    let at = |p: &str| format!("/v1/restaurants/{}/{p}", a.rid);
    let mut ids = vec![a.user_id, m.burger, m.fries, m.mains, m.grill];
    let order = app
        .order(
            &a,
            &a.token,
            "pos",
            json!([{ "item_id": m.burger, "quantity": 1,
        "modifiers": [m.single] }]),
        )
        .await;
    order.expect(201, "");
    ids.push(order.id("/id"));
    let tickets = app.get(&at("kds/tickets"), &a.token).await;
    ids.push(tickets.id("/items/0/id"));
    let made = [
        ("tables", json!({ "name": "Window 4", "seats": 2 })),
        ("inventory/categories", json!({ "name": "Fish" })),
        ("inventory/items", json!({ "name": "Salmon fillet", "unit": "g" })),
        ("api-keys", json!({ "name": "till", "permissions": ["menu:read"] })),
        ("task-templates", json!({ "name": "Open up", "frequency": "daily", "due_time": "09:00:00" })),
        ("webhooks", json!({ "url": "http://127.0.0.1:9/hook", "event_types": ["order.new"] })),
    ];
    for (path, body) in made {
        let r = app.post(&at(path), &a.token, body).await;
        assert!(r.status.is_success(), "making {path}: {} {}", r.status, r.body);
        ids.push(r.id("/id"));
    }
    let names = ["Alpha Secret Diner", "Burger", "Salmon fillet", "Window 4", "Open up", "127.0.0.1:9/hook"];
    let doc: serde_json::Value = serde_json::from_str(&app.state.openapi_json).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut calls = 0;
    for (path, item) in paths.iter().filter(|(p, _)| p.contains("{rid}")) {
        for method in ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
            let fill = |rid: uuid::Uuid, other: uuid::Uuid| {
                let mut p = path.replace("{rid}", &rid.to_string());
                for param in ["{id}", "{uid}", "{delivery_id}"] {
                    p = p.replace(param, &other.to_string());
                }
                p.replace("{index}", "0")
            };
            let mut tries: Vec<String> = ids.iter().map(|id| fill(a.rid, *id)).collect();
            if path.matches('{').count() > 1 {
                tries.extend(ids.iter().map(|id| fill(b.rid, *id)));
            }
            tries.dedup();
            for url in tries {
                let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                let body = (method != reqwest::Method::GET && method != reqwest::Method::DELETE).then(|| json!({}));
                let r = app.call(method.clone(), &url, Some(&b.token), body).await;
                calls += 1;
                assert!(
                    !r.status.is_success(),
                    "{method} {url} answered {} to another restaurant: {}",
                    r.status,
                    r.body
                );
                let text = r.body.to_string();
                let leaked = names.iter().find(|n| text.contains(*n)).map(|n| n.to_string()).or_else(|| {
                    ids.iter().chain([&a.rid]).find(|id| text.contains(&id.to_string())).map(|id| id.to_string())
                });
                assert!(leaked.is_none(), "{method} {url} showed {leaked:?} of another restaurant: {text}");
            }
        }
    }
    assert!(calls > 1000, "walked {calls} calls");
}

/// A slug is unique among all restaurants, though no restaurant can see another: the check
/// runs in the named scope that may (and on PostgreSQL, row-level security would otherwise
/// hide the other slug and the change would fail on the index instead).
#[tokio::test]
async fn a_slug_taken_by_another_restaurant_is_refused_kindly() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("a@example.com", "Alpha").await;
    let b = app.signup("b@example.com", "Bravo").await;
    let b_slug =
        app.get(&format!("/v1/restaurants/{}", b.rid), &b.token).await.body["slug"].as_str().unwrap().to_owned();
    let r = app.put(&format!("/v1/restaurants/{}", a.rid), &a.token, json!({ "slug": b_slug })).await;
    r.expect(409, "slug_taken");
    let body = json!({"name": "Alpha Two", "timezone": "UTC", "currency": "USD", "slug": b_slug});
    app.post("/v1/restaurants", &a.token, body).await.expect(409, "slug_taken");
    let r = app.put(&format!("/v1/restaurants/{}", a.rid), &a.token, json!({ "slug": "alpha-moved" })).await;
    r.expect(200, "");
    assert_eq!(r.body["slug"], "alpha-moved");
}
