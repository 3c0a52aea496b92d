//! Opening hours: set whole, checked field by field; outside them guests' and platforms'
//! orders are refused with 409 `closed`, the public menu says when it opens, the counter
//! still takes orders, and the phone agent says it is closed instead of taking one.

use crate::support::TestApp;
use chrono::TimeZone;
use serde_json::json;

fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().to_utc()
}

#[tokio::test]
async fn outside_opening_hours_guests_and_platforms_wait_and_the_counter_does_not() {
    let app = TestApp::spawn().await;
    let mut owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = format!("/v1/restaurants/{}/hours", owner.rid);
    // None set: always open.
    let h = app.get(&path, &owner.token).await;
    h.expect(200, "");
    assert_eq!((h.body["open_now"].as_bool(), h.body["weekly"].as_array().map(Vec::len)), (Some(true), Some(0)));

    // Bad hours name their field and change nothing.
    for (body, field) in [
        (json!({ "weekly": [{ "day": "funday", "open": "11:00", "close": "14:00" }] }), "weekly[0].day"),
        (json!({ "weekly": [{ "day": "mon", "open": "11:00", "close": "24:30" }] }), "weekly[0].close"),
        (json!({ "exceptions": [{ "date": "2026-12-25", "open": "11:00" }] }), "exceptions[0]"),
    ] {
        let r = app.put(&path, &owner.token, body).await;
        assert_eq!(r.expect(422, "validation_failed").body["error"]["details"]["field"], field);
    }
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    app.put(&path, &staff, json!({})).await.expect(403, "");

    // Lunch and dinner on Fridays; Christmas closed.
    let hours = json!({
        "weekly": [
            { "day": "fri", "open": "11:30", "close": "14:30" },
            { "day": "fri", "open": "17:00", "close": "01:00" }
        ],
        "exceptions": [{ "date": "2026-12-25", "closed": true }]
    });
    app.put(&path, &owner.token, hours).await.expect(200, "");
    // Friday 2026-12-04, 3 PM: between lunch and dinner.
    app.clock.set(ny(2026, 12, 4, 15, 0));
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let h = app.get(&path, &owner.token).await;
    assert_eq!(h.body["open_now"], false);
    assert_eq!(h.body["opens_at"], json!(ny(2026, 12, 4, 17, 0)));
    let order = |channel: &str| json!({ "channel": channel, "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] });
    let orders = format!("/v1/restaurants/{}/orders", owner.rid);
    let refused = app.post(&orders, &owner.token, order("web")).await;
    refused.expect(409, "closed");
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("it opens at 5:00 PM"), "{}", refused.body);
    app.post(&orders, &owner.token, order("pos")).await.expect(201, "");
    let menu = app.call(reqwest::Method::GET, &format!("/v1/public/restaurants/{}/menu", m.slug), None, None).await;
    assert_eq!((menu.body["open_now"].as_bool(), menu.body["taking_orders"].as_bool()), (Some(false), Some(false)));
    assert_eq!(menu.body["notice"], "Closed now. We open at 5:00 PM.");

    // Past midnight, Friday's dinner still runs; Christmas Day is closed until Saturday.
    app.clock.set(ny(2026, 12, 5, 0, 30));
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    app.post(&orders, &owner.token, order("web")).await.expect(201, "");
    app.clock.set(ny(2026, 12, 25, 12, 0));
    // Three weeks on, the owner signs in again.
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let closed = app.post(&orders, &owner.token, order("ubereats")).await;
    closed.expect(409, "closed");
    assert!(closed.body["error"]["message"].as_str().unwrap().contains("it opens on Friday, January 1 at 11:30 AM"));

    // Empty hours: always open again.
    app.put(&path, &owner.token, json!({ "weekly": [] })).await.expect(200, "");
    app.post(&orders, &owner.token, order("web")).await.expect(201, "");
}

#[tokio::test]
async fn out_until_tomorrow_lasts_until_the_next_opening() {
    // Saturday 23:30 at a bar open 20:00 to 05:00 (the day turns at 04:00).
    let app = TestApp::builder().starting_at(ny(2026, 11, 7, 23, 30)).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let eighty_six = |until: serde_json::Value| {
        let path = format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.fries);
        let token = owner.token.clone();
        let app = &app;
        async move {
            let r = app.post(&path, &token, json!({ "available": false, "reason": "out", "until": until })).await;
            r.expect(200, "");
            r.body["availability"]["until"].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap()
        }
    };
    // No hours: the end of the business day, 04:00.
    assert_eq!(eighty_six(json!("end_of_day")).await, ny(2026, 11, 8, 4, 0));
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let weekly: Vec<_> = days.iter().map(|d| json!({ "day": d, "open": "20:00", "close": "05:00" })).collect();
    let path = format!("/v1/restaurants/{}/hours", owner.rid);
    app.put(&path, &owner.token, json!({ "weekly": weekly, "exceptions": [] })).await.expect(200, "");
    // With them: tomorrow night's opening, not 04:00 while the bar is still open.
    assert_eq!(eighty_six(json!("end_of_day")).await, ny(2026, 11, 8, 20, 0));
    // Closed on Sunday: Monday's.
    let closed = json!({ "weekly": weekly, "exceptions": [{ "date": "2026-11-08", "closed": true }] });
    app.put(&path, &owner.token, closed).await.expect(200, "");
    assert_eq!(eighty_six(json!("end_of_day")).await, ny(2026, 11, 9, 20, 0));
}

#[tokio::test]
async fn a_night_past_the_turnover_keeps_its_business_day() {
    // Friday 2026-12-04, 23:00 at a bar open 20:00 to 05:00 on Fridays; the day turns at
    // 04:00.
    let app = TestApp::builder().starting_at(ny(2026, 12, 4, 23, 0)).spawn().await;
    let mut owner = app.signup("ana@example.com", "Bar").await;
    let m = app.menu(&owner).await;
    let r = format!("/v1/restaurants/{}", owner.rid);
    app.put(&r, &owner.token, json!({ "day_starts_at": "04:00:00" })).await.expect(200, "");
    let hours = json!({ "weekly": [{ "day": "fri", "open": "20:00", "close": "05:00" }] });
    app.put(&format!("{r}/hours"), &owner.token, hours).await.expect(200, "");
    let orders = format!("{r}/orders");
    let order = json!({ "channel": "web", "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] });
    let placed = app.post(&orders, &owner.token, order.clone()).await;
    assert_eq!(placed.expect(201, "").body["number"], 1);

    // 04:30: past the turnover but the night runs on: still Friday's day and numbers.
    app.clock.set(ny(2026, 12, 5, 4, 30));
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let late = app.post(&orders, &owner.token, order.clone()).await;
    assert_eq!(late.expect(201, "").body["number"], 2);
    let stats = app.get(&format!("{orders}/stats"), &owner.token).await;
    assert_eq!((stats.str("/business_day"), stats.body["orders"].as_i64()), ("2026-12-04".to_owned(), Some(2)));
    // A task due "by the end of the day" is due at the night's close.
    let task = app.post(&format!("{r}/tasks"), &owner.token, json!({ "title": "Count the till" })).await;
    task.expect(201, "");
    assert_eq!(task.body["due_at"], json!(ny(2026, 12, 5, 5, 0)));
    assert_eq!(task.str("/business_day"), "2026-12-04");

    // 05:10: closed, and Saturday's business day has begun, numbered from one.
    app.clock.set(ny(2026, 12, 5, 5, 10));
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let counter = json!({ "channel": "pos", "type": "takeout", "items": [{ "item_id": m.cola, "quantity": 1 }] });
    let next = app.post(&orders, &owner.token, counter).await;
    assert_eq!(next.expect(201, "").body["number"], 1);
    let stats = app.get(&format!("{orders}/stats"), &owner.token).await;
    assert_eq!((stats.str("/business_day"), stats.body["orders"].as_i64()), ("2026-12-05".to_owned(), Some(1)));

    // The analytics count the night's late order on Friday.
    brigade_server::analytics::rollup::catch_up(&app.state).await.expect("rollups catch up");
    let sales = app.get(&format!("{r}/analytics/sales?from=2026-12-04&to=2026-12-05&group_by=day"), &owner.token).await;
    sales.expect(200, "");
    let by_day: Vec<_> = sales.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["key"].as_str().unwrap().to_owned(), d["orders"].as_i64()))
        .collect();
    assert_eq!(by_day, [("2026-12-04".to_owned(), Some(2)), ("2026-12-05".to_owned(), Some(1))]);
}
