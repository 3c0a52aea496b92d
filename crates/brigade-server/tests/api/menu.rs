//! The menu and the 86 board: building it, refusing bad input, and one availability rule
//! that every channel sees at once.

use crate::support::TestApp;
use serde_json::json;

#[tokio::test]
async fn a_manager_builds_a_menu_and_guests_see_it() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token).await;
    item.expect(200, "");
    assert_eq!(item.body["allergens"], json!(["gluten", "milk"]));
    assert_eq!(item.body["availability"]["available"], true);
    assert_eq!(item.body["modifier_groups"][0]["min"], 1);

    let public =
        app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{}/menu?channel=qr", m.slug), None, None).await;
    public.expect(200, "");
    let cats: Vec<&str> =
        public.body["categories"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(cats, ["Mains", "Drinks"]);
    assert!(public.body["categories"][0]["items"][0].get("cost").is_none(), "costs are not for guests");
    // Channel prices.
    let price_on = |channel: &'static str| {
        let app = &app;
        let slug = m.slug.clone();
        async move {
            let r = app
                .call(
                    reqwest::Method::GET,
                    &format!("/v1/public/restaurants/{slug}/menu?channel={channel}"),
                    None,
                    None,
                )
                .await;
            r.body["categories"][1]["items"][0]["price"].as_i64().unwrap()
        }
    };
    assert_eq!(price_on("qr").await, 250);
    assert_eq!(price_on("ubereats").await, 350);
    app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{}/menu?channel=fax", m.slug), None, None)
        .await
        .expect(422, "validation_failed");
    app.call(reqwest::Method::GET, "/v1/public/restaurants/no-such-place/menu", None, None)
        .await
        .expect(404, "not_found");

    let listed =
        app.get(&format!("/v1/restaurants/{}/menu/items?category_id={}", owner.rid, m.mains), &owner.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_menu_input_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let items = format!("/v1/restaurants/{}/menu/items", owner.rid);
    let base = json!({ "category_id": m.mains, "name": "Soup", "price": 500 });
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("price", json!(-1)), "price"),
        (with("name", json!("  ")), "name"),
        (with("category_id", json!(uuid::Uuid::now_v7())), "category_id"),
        (with("station_id", json!(uuid::Uuid::now_v7())), "station_id"),
        (with("prep_minutes", json!(5000)), "prep_minutes"),
        (with("images", json!(["javascript:alert(1)"])), "images"),
        (
            with(
                "modifier_groups",
                json!([{ "name": "Size", "min": 2, "max": 1, "options": [{ "name": "S" }, { "name": "L" }] }]),
            ),
            "modifier_groups[0]",
        ),
        (
            with("modifier_groups", json!([{ "name": "Size", "min": 3, "max": 3, "options": [{ "name": "S" }] }])),
            "modifier_groups[0]",
        ),
        (with("schedule", json!({ "windows": [{ "days": [], "start": "07:00:00", "end": "11:00:00" }] })), "schedule"),
        (with("channels", json!({ "fax": { "enabled": true } })), "channels"),
    ] {
        let r = app.post(&items, &owner.token, body.clone()).await;
        r.expect(422, "validation_failed");
        assert!(r.body["error"]["details"]["field"].as_str().unwrap().starts_with(field), "{field}: {}", r.body);
    }
    let listed = app.get(&items, &owner.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3, "a refused item was stored");

    // A category with items cannot go; staff cannot edit the menu.
    app.delete(&format!("/v1/restaurants/{}/menu/categories/{}", owner.rid, m.mains), &owner.token)
        .await
        .expect(409, "category_not_empty");
    let (_, staff) = app.add_member(&owner, "sue@example.com", "staff").await;
    app.post(&items, &staff, base.clone()).await.expect(403, "forbidden");
    app.put(&format!("{items}/{}", m.burger), &staff, base).await.expect(403, "forbidden");
    let cat = format!("/v1/restaurants/{}/menu/categories/{}", owner.rid, m.drinks);
    app.put(&cat, &owner.token, json!({ "name": "Drinks", "parent_id": m.drinks }))
        .await
        .expect(422, "validation_failed");
}

#[tokio::test]
async fn an_86_takes_an_item_off_every_channel_at_once_and_brings_it_back() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, cook) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));

    let path = format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.burger);
    let r = app.post(&path, &cook, json!({ "available": false, "reason": "sold out" })).await;
    r.expect(200, "");
    assert_eq!(
        r.body["availability"],
        json!({ "available": false, "reason": "sold out", "until": null, "channels": null })
    );
    for channel in ["qr", "web", "ubereats", "phone"] {
        assert!(!app.public_items(&m.slug, channel).await.contains(&"Burger".to_owned()), "{channel} still sells it");
    }
    let refused = app
        .order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] }]),
        )
        .await;
    refused.expect(409, "item_unavailable");
    assert_eq!(refused.body["error"]["details"]["name"], "Burger");
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("Burger"));

    app.post(&path, &cook, json!({ "available": true })).await.expect(200, "");
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));

    // Only on one channel.
    app.post(&path, &owner.token, json!({ "available": false, "reason": "tablet down", "channels": ["ubereats"] }))
        .await
        .expect(200, "");
    assert!(!app.public_items(&m.slug, "ubereats").await.contains(&"Burger".to_owned()));
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));

    let events =
        app.get(&format!("/v1/restaurants/{}/audit?type=menu.availability_changed", owner.rid), &owner.token).await;
    assert_eq!(events.body["items"].as_array().unwrap().len(), 3);
    assert_eq!(events.body["items"][0]["data"]["channels"], json!(["ubereats"]));
    app.post(&path, &owner.token, json!({ "available": false, "until": "2001-01-01T00:00:00Z" }))
        .await
        .expect(422, "validation_failed");
    app.post(&path, &owner.token, json!({ "available": false, "channels": [] })).await.expect(422, "validation_failed");
}

#[tokio::test]
async fn a_timed_86_expires_by_itself() {
    let app = TestApp::builder().config(|c| c.access_token_ttl_secs = 7200).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.fries);
    let until = (app.clock.now() + chrono::Duration::minutes(30)).to_rfc3339();
    app.post(&path, &owner.token, json!({ "available": false, "reason": "fryer down", "until": until }))
        .await
        .expect(200, "");
    assert!(!app.public_items(&m.slug, "qr").await.contains(&"Fries".to_owned()));
    app.clock.advance(chrono::Duration::minutes(31));
    app.state.wake_workers();
    let audit = format!("/v1/restaurants/{}/audit?type=menu.availability_changed", owner.rid);
    app.eventually("the 86 to be lifted", || async {
        let e = app.get(&audit, &owner.token).await;
        e.body["items"][0]["data"]["available"] == true && e.body["items"][0]["actor"] == "system"
    })
    .await;
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Fries".to_owned()));
    let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.fries), &owner.token).await;
    assert_eq!(item.body["availability"]["available"], true);
}

#[tokio::test]
async fn until_end_of_day_is_the_restaurants_business_day() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let r = app
        .post(
            &format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.cola),
            &owner.token,
            json!({ "available": false, "until": "end_of_day" }),
        )
        .await;
    r.expect(200, "");
    let until: chrono::DateTime<chrono::Utc> = r.str("/availability/until").parse().unwrap();
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let local = until.with_timezone(&tz);
    assert_eq!(local.format("%H:%M").to_string(), "04:00");
    assert!(until > app.clock.now() && until <= app.clock.now() + chrono::Duration::hours(25));
}

#[tokio::test]
async fn bulk_86_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = format!("/v1/restaurants/{}/menu/bulk-availability", owner.rid);
    let r = app
        .post(
            &path,
            &owner.token,
            json!({ "item_ids": [m.burger, uuid::Uuid::now_v7()], "available": false, "reason": "x" }),
        )
        .await;
    r.expect(422, "validation_failed");
    assert_eq!(app.public_items(&m.slug, "qr").await.len(), 3, "a refused bulk change changed something");
    let r = app
        .post(
            &path,
            &owner.token,
            json!({ "item_ids": [m.burger, m.fries, m.fries], "available": false, "reason": "power cut" }),
        )
        .await;
    r.expect(200, "");
    assert_eq!(r.body["updated"], 2);
    assert_eq!(app.public_items(&m.slug, "qr").await, ["Cola"]);
}

#[tokio::test]
async fn schedules_and_channels_decide_what_is_sold() {
    let app = TestApp::builder().config(|c| c.access_token_ttl_secs = 4 * 3600).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let items = format!("/v1/restaurants/{}/menu/items", owner.rid);
    // A window that is never now: an hour from now, for an hour, every day.
    let tz: chrono_tz::Tz = "America/New_York".parse().unwrap();
    let local = (app.clock.now() + chrono::Duration::hours(2)).with_timezone(&tz);
    let start = local.format("%H:00:00").to_string();
    let end = (local + chrono::Duration::hours(1)).format("%H:00:00").to_string();
    let all_days = json!(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]);
    let later = app
        .post(
            &items,
            &owner.token,
            json!({ "category_id": m.mains, "name": "Late Special", "price": 900,
              "schedule": { "windows": [{ "days": all_days, "start": start, "end": end }] } }),
        )
        .await;
    later.expect(201, "");
    let no_grubhub = app
        .post(&items, &owner.token, json!({ "category_id": m.mains, "name": "House Salad", "price": 800, "channels": { "grubhub": { "enabled": false } } }))
        .await;
    no_grubhub.expect(201, "");
    let qr = app.public_items(&m.slug, "qr").await;
    assert!(!qr.contains(&"Late Special".to_owned()));
    assert!(qr.contains(&"House Salad".to_owned()));
    assert!(!app.public_items(&m.slug, "grubhub").await.contains(&"House Salad".to_owned()));
    let r = app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": later.id("/id"), "quantity": 1 }])).await;
    r.expect(409, "item_unavailable");
    app.clock.advance(chrono::Duration::hours(2));
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Late Special".to_owned()));
}
