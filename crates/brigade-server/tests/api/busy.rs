//! What the assistant's tools needed that the REST API lacked: an option's 86 ("out of
//! avocado"), busy mode, and tasks made by hand.

use crate::fakes::FakeUber;
use crate::support::{long_tokens, TestApp};
use brigade_server::jobs::Job;
use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn an_option_86_stops_guests_choosing_it_and_a_required_group_left_empty_stops_the_item() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, kitchen) = app.add_member(&owner, "cook@example.com", "kitchen").await;
    let path = |id: Uuid| format!("/v1/restaurants/{}/menu/options/{id}/availability", owner.rid);
    let line = |option: Uuid| json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single, option] }]);

    // The kitchen runs out of bacon: it may say so.
    let r = app.post(&path(m.bacon), &kitchen, json!({ "available": false, "reason": "out of bacon" })).await;
    r.expect(200, "");
    assert_eq!(r.body["option"]["name"], "Bacon");
    assert_eq!(r.body["option"]["available"], false);
    assert_eq!(r.body["items"][0]["id"], m.burger.to_string());
    let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token).await;
    let extras = &item.body["modifier_groups"][1]["options"];
    assert_eq!((extras[0]["available"].clone(), extras[1]["available"].clone()), (json!(true), json!(false)));
    assert_eq!(extras[1]["availability"]["reason"], "out of bacon");
    assert_eq!(item.body["availability"]["available"], true, "the burger itself is still sold");

    let refused = app.order(&owner, &owner.token, "pos", line(m.bacon)).await;
    refused.expect(409, "option_unavailable");
    assert_eq!(refused.body["error"]["details"]["option_id"], m.bacon.to_string());
    assert!(refused.str("/error/message").contains("Bacon"), "{}", refused.body);
    app.order(&owner, &owner.token, "pos", line(m.cheese)).await.expect(201, "");
    let public =
        app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{}/menu?channel=qr", m.slug), None, None).await;
    let names: Vec<String> = public.body["categories"][0]["items"][0]["modifier_groups"][1]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Cheese"]);

    // Both patties gone: the burger cannot be made, by the one rule.
    for id in [m.single, m.double] {
        app.post(&path(id), &kitchen, json!({ "available": false })).await.expect(200, "");
    }
    assert!(!app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));
    let none = app.order(&owner, &owner.token, "pos", json!([{ "item_id": m.burger, "quantity": 1 }])).await;
    none.expect(409, "item_unavailable");
    assert!(none.str("/error/message").contains("Patty"), "{}", none.body);

    // Editing the item keeps what the kitchen ran out of.
    let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token).await;
    let mut body = item.body.clone();
    body["price"] = json!(1300);
    let edited = app.put(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token, body).await;
    edited.expect(200, "");
    assert_eq!(edited.body["modifier_groups"][0]["options"][0]["available"], false);

    // Back on.
    app.post(&path(m.single), &kitchen, json!({ "available": true })).await.expect(200, "");
    assert!(app.public_items(&m.slug, "qr").await.contains(&"Burger".to_owned()));

    // Bad input changes nothing.
    app.post(&path(Uuid::now_v7()), &kitchen, json!({ "available": false })).await.expect(404, "not_found");
    app.post(&path(m.single), &kitchen, json!({ "available": false, "until": "yesterday" }))
        .await
        .expect(422, "validation_failed");
    app.post(&path(m.single), &kitchen, json!({ "available": false, "channels": [] }))
        .await
        .expect(422, "validation_failed");
    let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token).await;
    assert_eq!(item.body["modifier_groups"][0]["options"][0]["available"], true);
    let other = app.signup("bo@example.com", "Elsewhere").await;
    let cross = format!("/v1/restaurants/{}/menu/options/{}/availability", other.rid, m.single);
    app.post(&cross, &other.token, json!({ "available": false })).await.expect(404, "not_found");
    let audit =
        app.get(&format!("/v1/restaurants/{}/audit?type=menu.availability_changed", owner.rid), &owner.token).await;
    assert!(audit.body["items"].as_array().unwrap().iter().any(|e| e["entity"] == "menu_option"));
}

#[tokio::test]
async fn a_timed_option_86_comes_back_by_itself() {
    let app = TestApp::builder()
        .config(|c| {
            long_tokens(c);
            c.worker_concurrency = 0;
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let until = app.clock.now() + Duration::hours(1);
    let path = format!("/v1/restaurants/{}/menu/options/{}/availability", owner.rid, m.cheese);
    app.post(&path, &owner.token, json!({ "available": false, "until": until.to_rfc3339() })).await.expect(200, "");
    let job = brigade_server::menu::service::RestoreOption { restaurant_id: owner.rid, option_id: m.cheese, until };
    let early = brigade_server::menu::service::RestoreOption { restaurant_id: owner.rid, option_id: m.cheese, until };
    early.run(app.state.clone()).await.unwrap();
    let available = || async {
        let item = app.get(&format!("/v1/restaurants/{}/menu/items/{}", owner.rid, m.burger), &owner.token).await;
        item.body["modifier_groups"][1]["options"][0]["available"].clone()
    };
    assert_eq!(available().await, false, "not due yet");
    app.clock.advance(Duration::hours(2));
    job.run(app.state.clone()).await.unwrap();
    assert_eq!(available().await, true);
}

#[tokio::test]
async fn busy_mode_quotes_longer_pauses_channels_and_ends_by_itself() {
    let app = TestApp::builder()
        .config(|c| {
            long_tokens(c);
            c.worker_concurrency = 0;
            c.open_signup = true;
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (_, kitchen) = app.add_member(&owner, "cook@example.com", "kitchen").await;
    let busy = format!("/v1/restaurants/{}/busy", owner.rid);
    let quote_path = format!("/v1/restaurants/{}/orders/quote", owner.rid);
    let items = json!([{ "item_id": m.fries, "quantity": 1 }]);
    let quote = |at: chrono::DateTime<chrono::Utc>| {
        let (app, path, token, items) = (&app, quote_path.clone(), owner.token.clone(), items.clone());
        async move {
            let q = app.post(&path, &token, json!({ "channel": "pos", "type": "takeout", "items": items })).await;
            q.expect(200, "");
            let ready: chrono::DateTime<chrono::Utc> = q.str("/estimated_ready_at").parse().unwrap();
            (ready - at).num_minutes()
        }
    };
    let off = app.get(&busy, &kitchen).await;
    off.expect(200, "");
    assert_eq!((off.body["active"].clone(), off.body["extra_minutes"].clone()), (json!(false), json!(0)));
    let normal = quote(app.clock.now()).await;

    // Bad input changes nothing.
    for bad in [
        json!({ "extra_minutes": 999 }),
        json!({ "extra_minutes": -5 }),
        json!({ "extra_minutes": 10, "until": "2001-01-01T00:00:00Z" }),
        json!({ "extra_minutes": 10, "paused_channels": ["fax"] }),
    ] {
        let r = app.put(&busy, &owner.token, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    assert_eq!(app.get(&busy, &owner.token).await.body["active"], false);

    // The kitchen is in the weeds: 20 more minutes, and no QR orders for the next hour.
    let until = app.clock.now() + Duration::hours(1);
    let on = app
        .put(
            &busy,
            &kitchen,
            json!({ "extra_minutes": 20, "until": until.to_rfc3339(), "paused_channels": ["qr"], "reason": "slammed" }),
        )
        .await;
    on.expect(200, "");
    assert_eq!((on.body["active"].clone(), on.body["paused_channels"].clone()), (json!(true), json!(["qr"])));
    assert_eq!(quote(app.clock.now()).await, normal + 20);
    let placed = app.order(&owner, &owner.token, "pos", items.clone()).await;
    placed.expect(201, "");
    let ready: chrono::DateTime<chrono::Utc> = placed.str("/estimated_ready_at").parse().unwrap();
    assert!((ready - app.clock.now()).num_minutes() >= normal + 20);
    app.order(&owner, &owner.token, "qr", items.clone()).await.expect(409, "channel_paused");
    let public = |channel: &'static str| {
        let (app, slug) = (&app, m.slug.clone());
        async move {
            app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{slug}/menu?channel={channel}"), None, None)
                .await
                .body
        }
    };
    let qr = public("qr").await;
    assert_eq!(qr["taking_orders"], false);
    assert!(qr["notice"].as_str().unwrap().contains("Not taking orders"));
    let web = public("web").await;
    assert_eq!(web["taking_orders"], true);
    assert!(web["notice"].as_str().unwrap().contains("20 minutes"));

    // It ends by itself at its time.
    app.clock.advance(Duration::minutes(61));
    assert_eq!(app.get(&busy, &owner.token).await.body["active"], false, "over once its time has passed");
    brigade_server::busy::service::EndBusy { restaurant_id: owner.rid, until }.run(app.state.clone()).await.unwrap();
    app.order(&owner, &owner.token, "qr", items.clone()).await.expect(201, "");
    assert!(quote(app.clock.now()).await < normal + 20, "no busy minutes (only the orders ahead)");
    let audit =
        app.get(&format!("/v1/restaurants/{}/audit?type=restaurant.busy_changed", owner.rid), &owner.token).await;
    assert_eq!(audit.body["items"].as_array().unwrap().len(), 2, "on, then off by itself");

    // Turned on and off by hand; a staff member without the 86 right cannot: nobody lacks it
    // here but another restaurant's owner, who gets 404.
    app.put(&busy, &owner.token, json!({ "extra_minutes": 15 })).await.expect(200, "");
    let off = app.put(&busy, &owner.token, json!({ "extra_minutes": 0 })).await;
    off.expect(200, "");
    assert_eq!(off.body["active"], false);
    let other = app.signup("bo@example.com", "Elsewhere").await;
    app.put(&format!("/v1/restaurants/{}/busy", owner.rid), &other.token, json!({ "extra_minutes": 5 }))
        .await
        .expect(404, "not_found");
}

/// A restaurant with a menu and an Uber Eats store (`store-1` on a fake), from `at`.
async fn with_uber(at: Option<chrono::DateTime<chrono::Utc>>) -> (TestApp, crate::support::Owner, FakeUber) {
    let uber = FakeUber::start("store-1").await;
    let (base, auth) = (uber.base_url.clone(), uber.auth_url());
    let mut builder = TestApp::builder().config(|c| {
        c.ubereats_base_url = base;
        c.ubereats_auth_url = auth;
        c.sync_drift_interval_secs = 0;
        long_tokens(c);
    });
    if let Some(at) = at {
        builder = builder.starting_at(at);
    }
    let app = builder.spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.menu(&owner).await;
    let body = json!({ "platform": "ubereats", "store_id": "store-1", "credentials": uber.credentials() });
    app.post(&format!("/v1/restaurants/{}/integrations", owner.rid), &owner.token, body).await.expect(201, "");
    (app, owner, uber)
}

#[tokio::test]
async fn busy_mode_pauses_a_delivery_platform_store_and_opens_it_again() {
    let (app, owner, uber) = with_uber(None).await;
    let busy = format!("/v1/restaurants/{}/busy", owner.rid);
    app.put(&busy, &owner.token, json!({ "extra_minutes": 10, "paused_channels": ["ubereats"] })).await.expect(200, "");
    app.state.wake_workers();
    let status = || async { uber.state.lock().store_status.clone() };
    app.eventually("the Uber Eats store is paused", || async { status().await == "PAUSED" }).await;
    app.put(&busy, &owner.token, json!({ "extra_minutes": 0 })).await.expect(200, "");
    app.state.wake_workers();
    app.eventually("the Uber Eats store is open again", || async { status().await == "ONLINE" }).await;
}

#[tokio::test]
async fn anyone_adds_a_task_for_themselves_and_a_manager_gives_one_to_someone() {
    // Noon in New York: a task due in two hours is on today's list. (On the wall clock,
    // one made after 2 AM would fall due in the next business day and leave the list.)
    let noon = chrono::TimeZone::with_ymd_and_hms(&chrono_tz::America::New_York, 2026, 11, 4, 12, 0, 0).unwrap();
    let app = TestApp::builder().config(long_tokens).starting_at(noon.to_utc()).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (staff_id, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    let (cook_id, _) = app.add_member(&owner, "cook@example.com", "kitchen").await;
    let tasks = format!("/v1/restaurants/{}/tasks", owner.rid);
    let mine = app.post(&tasks, &staff, json!({ "title": "Restock the walk-in", "assignee_id": staff_id })).await;
    mine.expect(201, "");
    assert_eq!((mine.str("/name"), mine.str("/status")), ("Restock the walk-in".into(), "pending".into()));
    assert!(mine.body["due_at"].is_string());
    let refused = app.post(&tasks, &staff, json!({ "title": "Mop", "assignee_id": cook_id })).await;
    refused.expect(403, "forbidden");
    let due = (app.clock.now() + Duration::hours(2)).to_rfc3339();
    let given = app
        .post(
            &tasks,
            &owner.token,
            json!({ "title": "Mop", "assignee_id": cook_id, "due_at": due, "notes": "back first" }),
        )
        .await;
    given.expect(201, "");
    assert_eq!(given.str("/description"), "back first");
    for bad in [
        json!({ "title": "" }),
        json!({ "title": "x", "due_at": "2001-01-01T00:00:00Z" }),
        json!({ "title": "x", "role": "boss" }),
        json!({ "title": "x", "assignee_id": Uuid::now_v7() }),
    ] {
        let r = app.post(&tasks, &owner.token, bad.clone()).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.body);
    }
    let list = app.get(&tasks, &owner.token).await;
    let names: Vec<&str> = list.body["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Restock the walk-in") && names.contains(&"Mop") && names.len() == 2, "{names:?}");
}

#[tokio::test]
async fn the_platform_stores_follow_the_opening_hours_and_busy_mode_opens_none_while_closed() {
    use chrono::TimeZone;
    let ny =
        |d: u32, h: u32, m: u32| chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap().to_utc();
    let (app, owner, uber) = with_uber(Some(ny(2, 9, 0))).await;
    let status = || uber.state.lock().store_status.clone();
    let last_reason = || {
        let calls = &uber.state.lock().calls;
        calls.iter().rev().find(|c| c.path.ends_with("/status") && c.method == "POST").map(|c| c.body["reason"].clone())
    };

    // Monday 9:00, hours set to 11:00-22:00: closed, so Uber pauses the store, saying when it opens.
    let hours = format!("/v1/restaurants/{}/hours", owner.rid);
    let weekly = json!({ "weekly": [{ "day": "mon", "open": "11:00", "close": "22:00" },
        { "day": "tue", "open": "11:00", "close": "22:00" }], "exceptions": [] });
    app.put(&hours, &owner.token, weekly.clone()).await.expect(200, "");
    app.eventually("the store pauses", || async { status() == "PAUSED" }).await;
    assert_eq!(last_reason(), Some(json!("closed; opens at 11:00 AM")));
    // At eleven it opens.
    app.clock.set(ny(2, 11, 0) + Duration::seconds(5));
    app.state.wake_workers();
    app.eventually("the store opens at eleven", || async { status() == "ONLINE" }).await;
    // Busy mode pauses Uber; the ten o'clock close pauses it too, and busy mode ending
    // after the close does not open it.
    let busy = format!("/v1/restaurants/{}/busy", owner.rid);
    app.put(&busy, &owner.token, json!({ "extra_minutes": 10, "paused_channels": ["ubereats"] })).await.expect(200, "");
    app.state.wake_workers();
    app.eventually("busy mode pauses it", || async { status() == "PAUSED" }).await;
    app.clock.set(ny(2, 22, 0) + Duration::seconds(5));
    app.state.wake_workers();
    app.eventually("the close says when it opens", || async {
        last_reason() == Some(json!("closed; opens tomorrow at 11:00 AM"))
    })
    .await;
    let calls = uber.state.lock().calls.len();
    app.put(&busy, &owner.token, json!({ "extra_minutes": 0 })).await.expect(200, "");
    app.state.wake_workers();
    // Tuesday at eleven it opens again.
    app.clock.set(ny(3, 11, 0) + Duration::seconds(5));
    app.state.wake_workers();
    app.eventually("Tuesday's opening opens it", || async { status() == "ONLINE" }).await;
    let opened: Vec<String> = uber.state.lock().calls[calls..]
        .iter()
        .filter(|c| c.path.ends_with("/status") && c.method == "POST")
        .map(|c| c.body["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(opened, ["ONLINE"], "opened once, at the opening, not when busy mode ended at night");

    // Hours cleared (always open) and set to closed today: the store follows each change.
    app.put(&hours, &owner.token, json!({ "weekly": [], "exceptions": [{ "date": "2026-11-03", "closed": true }] }))
        .await
        .expect(200, "");
    app.eventually("a closed day pauses it", || async { status() == "PAUSED" }).await;
    app.put(&hours, &owner.token, json!({ "weekly": [], "exceptions": [] })).await.expect(200, "");
    app.eventually("no hours opens it", || async { status() == "ONLINE" }).await;
}
