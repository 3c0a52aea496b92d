//! Analytics: sales by every grouping, the summary, items and the menu-engineering
//! matrix, read from rollups that the event log's consumer keeps; every figure is checked
//! against what the orders say, on random orders too; bad periods are 422.

use crate::support::{Owner, TestApp};
use brigade_server::analytics::rollup;
use chrono::{DateTime, TimeZone, Timelike, Utc};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::America::New_York.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().to_utc()
}

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

async fn place(app: &TestApp, owner: &Owner, channel: &str, items: Value) -> Value {
    let body = json!({ "channel": channel, "type": "takeout", "items": items });
    let r = app.post(&at(owner, "orders"), &owner.token, body).await;
    r.expect(201, "");
    r.body.clone()
}

async fn caught_up(app: &TestApp) {
    rollup::catch_up(&app.state).await.expect("rollups catch up");
}

#[tokio::test]
async fn sales_items_and_the_matrix_count_what_the_orders_say() {
    let app = TestApp::builder().starting_at(ny(2026, 11, 2, 12, 0)).spawn().await;
    let mut owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = format!("/v1/restaurants/{}", owner.rid);
    app.put(&path, &owner.token, json!({ "tax_rate_bps": 800 })).await.expect(200, "");

    // Monday noon: a burger with cheese and two fries at the counter, paid in cash with a
    // tip; a cola on the web; fries cancelled.
    let a = place(
        &app,
        &owner,
        "pos",
        json!([
            { "item_id": m.burger, "quantity": 1, "modifiers": [m.single, m.cheese] },
            { "item_id": m.fries, "quantity": 2 }
        ]),
    )
    .await;
    assert_eq!((a["subtotal"].as_i64(), a["tax"].as_i64(), a["total"].as_i64()), (Some(2_100), Some(168), Some(2_268)));
    let pay = json!({ "method": "cash", "amount": 2_268, "tip": 200 });
    app.post(&at(&owner, &format!("orders/{}/payments", a["id"].as_str().unwrap())), &owner.token, pay)
        .await
        .expect(201, "");
    let b = place(&app, &owner, "web", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
    assert_eq!(b["total"], 270);
    let c = place(&app, &owner, "pos", json!([{ "item_id": m.fries, "quantity": 1 }])).await;
    let cancel = at(&owner, &format!("orders/{}/status", c["id"].as_str().unwrap()));
    app.post(&cancel, &owner.token, json!({ "status": "cancelled", "reason": "changed their mind" }))
        .await
        .expect(200, "");

    // Tuesday evening: a double burger, 10 % off, paid by card machine, 5.00 refunded.
    app.clock.set(ny(2026, 11, 3, 19, 30));
    owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
    let d = place(&app, &owner, "pos", json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.double] }])).await;
    let did = d["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            &at(&owner, &format!("orders/{did}/discount")),
            &owner.token,
            json!({ "percent": 10, "reason": "regular" }),
        )
        .await;
    r.expect(200, "");
    assert_eq!((r.body["discount"].as_i64(), r.body["total"].as_i64()), (Some(150), Some(1_458)));
    let p = app
        .post(
            &at(&owner, &format!("orders/{did}/payments")),
            &owner.token,
            json!({ "method": "external", "amount": 1_458 }),
        )
        .await;
    p.expect(201, "");
    let refund = json!({ "amount": 500, "reason": "slow" });
    app.post(&at(&owner, &format!("payments/{}/refund", p.str("/id"))), &owner.token, refund).await.expect(201, "");
    caught_up(&app).await;

    let sales = |q: &str| {
        let path = at(&owner, &format!("analytics/sales?{q}"));
        let (app, token) = (&app, owner.token.clone());
        async move {
            let r = app.get(&path, &token).await;
            r.expect(200, "");
            r.body.clone()
        }
    };
    let by_day = sales("from=2026-11-02&to=2026-11-03&group_by=day").await;
    let rows = by_day["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let pick = |v: &Value, keys: &[&str]| keys.iter().map(|k| v[*k].as_i64().unwrap_or(-1)).collect::<Vec<_>>();
    let fields = ["orders", "gross", "discounts", "refunds", "net", "tax", "total", "tips", "average_ticket"];
    assert_eq!(rows[0]["key"], "2026-11-02");
    assert_eq!(pick(&rows[0], &fields), [2, 2_350, 0, 0, 2_350, 188, 2_538, 200, 1_269]);
    assert_eq!(pick(&rows[1], &fields), [1, 1_500, 150, 500, 850, 108, 958, 0, 958]);
    assert_eq!(pick(&by_day["totals"], &fields), [3, 3_850, 150, 500, 3_200, 296, 3_496, 200, 1_165]);
    assert_eq!(by_day["previous"]["orders"], 0);
    assert_eq!(
        (by_day["previous_from"].as_str(), by_day["previous_to"].as_str()),
        (Some("2026-10-31"), Some("2026-11-01"))
    );

    let by_channel = sales("from=2026-11-02&to=2026-11-03&group_by=channel").await;
    let keyed = |v: &Value| -> BTreeMap<String, i64> {
        v["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].as_str().unwrap().to_owned(), r["total"].as_i64().unwrap()))
            .collect()
    };
    assert_eq!(keyed(&by_channel), BTreeMap::from([("pos".into(), 2_268 + 958), ("web".into(), 270)]));
    let by_hour = sales("from=2026-11-02&to=2026-11-03&group_by=hour").await;
    assert_eq!(by_hour["rows"].as_array().unwrap().len(), 24);
    assert_eq!(
        (by_hour["rows"][12]["total"].as_i64(), by_hour["rows"][19]["total"].as_i64()),
        (Some(2_538), Some(958))
    );
    let by_part = keyed(&sales("from=2026-11-02&to=2026-11-03&group_by=daypart").await);
    assert_eq!((by_part["lunch"], by_part["dinner"], by_part["breakfast"]), (2_538, 958, 0));
    let by_weekday = keyed(&sales("from=2026-11-02&to=2026-11-03&group_by=weekday").await);
    assert_eq!((by_weekday["mon"], by_weekday["tue"], by_weekday["sun"]), (2_538, 958, 0));
    let by_staff = sales("from=2026-11-02&to=2026-11-03&group_by=staff").await;
    assert_eq!(by_staff["rows"][0]["key"], owner.user_id.to_string());
    assert_eq!(by_staff["rows"][0]["label"], "Owner of Diner");
    let by_table = keyed(&sales("from=2026-11-02&to=2026-11-03&group_by=table").await);
    assert_eq!(by_table[""], 3_496);

    // Own dayparts apply to past days.
    let parts = at(&owner, "analytics/dayparts");
    let bad = app.put(&parts, &owner.token, json!({ "dayparts": [{ "name": "a", "starts": 24 }] })).await;
    assert_eq!(bad.expect(422, "validation_failed").body["error"]["details"]["field"], "dayparts");
    let mine = json!({ "dayparts": [{ "name": "day", "starts": 6 }, { "name": "evening", "starts": 17 }] });
    app.put(&parts, &owner.token, mine).await.expect(200, "");
    let by_part = keyed(&sales("from=2026-11-02&to=2026-11-03&group_by=daypart").await);
    assert_eq!(by_part, BTreeMap::from([("day".into(), 2_538), ("evening".into(), 958)]));

    // The summary compares with the day before.
    let s = app.get(&at(&owner, "analytics/summary?from=2026-11-03&to=2026-11-03"), &owner.token).await;
    s.expect(200, "");
    assert_eq!((s.body["current"]["total"].as_i64(), s.body["previous"]["total"].as_i64()), (Some(958), Some(2_538)));
    assert_eq!(s.body["change_percent"]["total"], -62.3);
    assert_eq!(s.body["year_before"], Value::Null);

    // Items: the burger's manual cost (4.00) makes it costed; options are counted apart.
    let items = app.get(&at(&owner, "analytics/items?from=2026-11-02&to=2026-11-03"), &owner.token).await;
    items.expect(200, "");
    let row = |name: &str| items.body["rows"].as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap();
    let burger = row("Burger");
    assert_eq!(pick(&burger, &["quantity", "revenue", "food_cost", "margin"]), [2, 2_800, 800, 2_000]);
    assert_eq!(burger["costed"], true);
    assert_eq!(pick(&row("Fries"), &["quantity", "revenue", "food_cost"]), [2, 800, 0]);
    assert_eq!(row("Fries")["costed"], false);
    let option =
        |name: &str| items.body["options"].as_array().unwrap().iter().find(|r| r["name"] == name).cloned().unwrap();
    assert_eq!(pick(&option("Double"), &["quantity", "revenue"]), [1, 300]);
    assert_eq!(pick(&option("Cheese"), &["quantity", "revenue"]), [1, 100]);
    let mains = items.body["categories"].as_array().unwrap().iter().find(|c| c["name"] == "Mains").cloned().unwrap();
    assert_eq!(mains["revenue"], 3_600);

    // The matrix: 5 sold over 3 items, a popularity line of 0.7 × 5 / 3; an average
    // margin of (2 000 + 800 + 250) / 5 = 610 a unit.
    let me = app.get(&at(&owner, "analytics/menu-engineering?from=2026-11-02&to=2026-11-03"), &owner.token).await;
    me.expect(200, "");
    assert_eq!(me.body["popularity_threshold"], 1.17);
    assert_eq!(me.body["average_contribution_margin"], 610.0);
    let class = |name: &str| {
        me.body["items"].as_array().unwrap().iter().find(|r| r["name"] == name).map(|r| r["class"].clone())
    };
    assert_eq!(class("Burger"), Some(json!("star")));
    assert_eq!(class("Fries"), Some(json!("plowhorse")));
    assert_eq!(class("Cola"), Some(json!("dog")));

    // A late change corrects the day it belongs to: Monday's web order cancelled on Tuesday.
    let cancel = at(&owner, &format!("orders/{}/status", b["id"].as_str().unwrap()));
    app.post(&cancel, &owner.token, json!({ "status": "cancelled", "reason": "never collected" }))
        .await
        .expect(200, "");
    caught_up(&app).await;
    let by_day = sales("from=2026-11-02&to=2026-11-03").await;
    assert_eq!(pick(&by_day["rows"][0], &["orders", "total"]), [1, 2_268]);

    // The day's report, as CSV: the day beside the same weekday a week before, the hours,
    // the refund; and as PDF.
    let csv = app
        .client
        .get(app.url(&at(&owner, "reports/daily?date=2026-11-03&format=csv")))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("daily-report-2026-11-03.csv"));
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with("section,key,label,orders,gross,discounts,refunds,net,tax,total,tips,average_ticket"),
        "{csv}"
    );
    assert!(csv.contains("\ntotal,2026-11-03,Tuesday 2026-11-03,1,15.00,1.50,5.00,8.50,1.08,9.58,0.00,9.58,"), "{csv}");
    assert!(csv.contains("\nbefore,2026-10-27,Tuesday a week before,0,"), "{csv}");
    assert!(csv.contains("\nhour,19,,1,15.00,"), "{csv}");
    assert!(csv.contains("\nrefund,") && csv.contains(",slow,,,,5.00,"), "{csv}");
    assert!(csv.contains("\ntender,card,,,,,,,,0.00,") || csv.contains("\ntender,external,,,,,,,,14.58,"), "{csv}");
    let pdf = app
        .client
        .get(app.url(&at(&owner, "reports/daily?date=2026-11-03")))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.unwrap();
    // Text with a non-ASCII mark (the title's "·") is written in hex; plain words as they are.
    let text = String::from_utf8_lossy(&pdf);
    assert!(pdf.starts_with(b"%PDF-") && text.contains("(Money taken)") && text.contains("(Page 1 of 2)"), "{text}");
    let period = app
        .client
        .get(app.url(&at(&owner, "reports/period?from=2026-11-02&to=2026-11-03&format=pdf")))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(period.status(), 200);
    let period = String::from_utf8_lossy(&period.bytes().await.unwrap()).into_owned();
    assert!(period.contains("(Menu engineering: 1 stars, 1 plowhorses, 0 puzzles, 0 dogs.)"), "{period}");
    let bad = app.get(&at(&owner, "reports/period?from=2026-11-02&to=2026-11-03&format=xml"), &owner.token).await;
    assert_eq!(bad.expect(422, "validation_failed").body["error"]["details"]["field"], "format");
    let bad = app.get(&at(&owner, "reports/daily?date=2026-13-01"), &owner.token).await;
    assert_eq!(bad.expect(422, "validation_failed").body["error"]["details"]["field"], "date");

    // Staff may not read the figures; another restaurant's are not found.
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    app.get(&at(&owner, "analytics/sales?from=2026-11-02&to=2026-11-03"), &staff).await.expect(403, "");
    app.get(&at(&owner, "reports/daily?date=2026-11-03&format=csv"), &staff).await.expect(403, "");
}

#[tokio::test]
async fn bad_periods_and_groupings_name_their_field_and_empty_periods_are_well_formed() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    for (q, field) in [
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("from=2020-01-01&to=2026-01-01", "to"),
        ("from=2026-02-30&to=2026-03-01", "from"),
        ("from=yesterday&to=2026-03-01", "from"),
        ("to=2026-03-01", "from"),
        ("from=2026-03-01", "to"),
        ("from=2026-03-01&to=2026-03-02&group_by=month", "group_by"),
    ] {
        let r = app.get(&at(&owner, &format!("analytics/sales?{q}")), &owner.token).await;
        assert_eq!(r.expect(422, "validation_failed").body["error"]["details"]["field"], field, "{q}");
    }
    for (path, field) in [("labour", "group_by"), ("kitchen", "group_by")] {
        let r = app
            .get(&at(&owner, &format!("analytics/{path}?from=2026-03-01&to=2026-03-02&group_by=month")), &owner.token)
            .await;
        assert_eq!(r.expect(422, "validation_failed").body["error"]["details"]["field"], field, "{path}");
    }
    for path in ["summary", "items", "menu-engineering", "labour", "kitchen", "channels"] {
        let r = app.get(&at(&owner, &format!("analytics/{path}?from=2026-03-02&to=2026-03-01")), &owner.token).await;
        r.expect(422, "validation_failed");
    }
    // No orders at all: zeros, not errors.
    let r = app.get(&at(&owner, "analytics/sales?from=2026-03-01&to=2026-03-31&group_by=staff"), &owner.token).await;
    r.expect(200, "");
    assert_eq!((r.body["rows"].as_array().map(Vec::len), r.body["totals"]["orders"].as_i64()), (Some(0), Some(0)));
    assert_eq!(r.body["totals"]["average_ticket"], Value::Null);
    let me = app.get(&at(&owner, "analytics/menu-engineering?from=2026-03-01&to=2026-03-31"), &owner.token).await;
    me.expect(200, "");
    assert_eq!(me.body["items"], json!([]));
    let l = app.get(&at(&owner, "analytics/labour?from=2026-03-01&to=2026-03-31"), &owner.token).await;
    l.expect(200, "");
    assert_eq!(
        (l.body["rows"].as_array().map(Vec::len), l.body["totals"]["labour_percent"].clone()),
        (Some(31), Value::Null)
    );
    let k = app.get(&at(&owner, "analytics/kitchen?from=2026-03-01&to=2026-03-31&group_by=hour"), &owner.token).await;
    k.expect(200, "");
    assert_eq!(
        (k.body["rows"].as_array().map(Vec::len), k.body["totals"]["p90_seconds"].clone()),
        (Some(24), Value::Null)
    );
    let c = app.get(&at(&owner, "analytics/channels?from=2026-03-01&to=2026-03-31"), &owner.token).await;
    assert_eq!(c.expect(200, "").body["channels"], json!([]));
    let other = app.signup("bo@example.com", "Other").await;
    let theirs = format!("/v1/restaurants/{}/analytics/sales?from=2026-03-01&to=2026-03-02", other.rid);
    app.get(&theirs, &owner.token).await.expect(404, "");
}

#[tokio::test]
async fn labour_and_ticket_times_count_what_the_clock_and_the_kitchen_say() {
    use chrono::Duration;
    // Monday 2 November 2026, 10:00 in New York.
    let app = TestApp::builder().starting_at(ny(2026, 11, 2, 10, 0)).config(crate::support::long_tokens).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let (sam_id, sam) = app.add_member(&owner, "sam@example.com", "staff").await;
    let positions = json!({ "positions": [{ "position": "Server", "hourly_rate": 2_000 }] });
    app.put(&at(&owner, &format!("users/{sam_id}/positions")), &owner.token, positions).await.expect(200, "");
    // Scheduled 10:00 to 16:00; clocked 10:00 to 15:00 with an unpaid half hour at 13:00.
    let shift = json!({ "user_id": sam_id, "starts_at": ny(2026, 11, 2, 10, 0), "ends_at": ny(2026, 11, 2, 16, 0) });
    app.post(&at(&owner, "shifts"), &owner.token, shift).await.expect(201, "");
    app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(201, "");

    // Noon: two orders. The burger's grill ticket is bumped after 7 minutes, the fries'
    // after 12 (late: the display turns red at 10); the cola's bar ticket after 2.
    app.clock.advance(Duration::hours(2));
    let a = place(&app, &owner, "pos", json!([{ "item_id": m.burger, "quantity": 1, "modifiers": [m.single] }])).await;
    let b = place(
        &app,
        &owner,
        "pos",
        json!([{ "item_id": m.fries, "quantity": 1 }, { "item_id": m.cola, "quantity": 1 }]),
    )
    .await;
    let tickets = app.get(&at(&owner, "kds/tickets"), &owner.token).await;
    let id_of = |order: &Value, station: Uuid| {
        tickets.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["order_id"] == order["id"] && t["station_id"] == json!(station))
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (grill, fryer, bar) = (id_of(&a, m.grill), id_of(&b, m.fryer), id_of(&b, m.bar));
    let bump = |id: String| {
        let app = &app;
        let token = owner.token.clone();
        let rid = owner.rid;
        async move {
            app.post(&format!("/v1/restaurants/{rid}/kds/tickets/{id}/bump"), &token, json!({})).await.expect(200, "");
        }
    };
    app.clock.advance(Duration::minutes(2));
    bump(bar).await;
    app.clock.advance(Duration::minutes(5));
    bump(grill).await;
    app.clock.advance(Duration::minutes(5));
    bump(fryer).await;

    app.clock.advance(Duration::minutes(48)); // 13:00
    app.post(&at(&owner, "time-clock/break"), &sam, json!({ "paid": false })).await.expect(200, "");
    app.clock.advance(Duration::minutes(30));
    app.post(&at(&owner, "time-clock/break/end"), &sam, json!({})).await.expect(200, "");
    app.clock.advance(Duration::minutes(90)); // 15:00
    app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await.expect(200, "");
    caught_up(&app).await;

    let day = "from=2026-11-02&to=2026-11-02";
    let sales = app.get(&at(&owner, &format!("analytics/sales?{day}")), &owner.token).await;
    let net = sales.body["totals"]["net"].as_i64().unwrap();
    let food = app.get(&at(&owner, &format!("analytics/items?{day}")), &owner.token).await;
    let food: i64 = food.body["rows"].as_array().unwrap().iter().map(|r| r["food_cost"].as_i64().unwrap()).sum();
    let l = app.get(&at(&owner, &format!("analytics/labour?{day}")), &owner.token).await;
    l.expect(200, "");
    let t = &l.body["totals"];
    // 4.5 hours at $20: $90.
    assert_eq!(
        (t["hours"].as_f64(), t["scheduled_hours"].as_f64(), t["labour_cost"].as_i64()),
        (Some(4.5), Some(6.0), Some(9_000))
    );
    assert_eq!(t["net_sales"].as_i64(), Some(net));
    assert_eq!(t["labour_percent"].as_f64(), Some((9_000.0 * 1000.0 / net as f64).round() / 10.0));
    assert_eq!(t["sales_per_labour_hour"].as_i64(), Some((net as f64 / 4.5).round() as i64));
    assert_eq!((t["food_cost"].as_i64(), t["prime_cost"].as_i64()), (Some(food), Some(food + 9_000)));
    assert_eq!(t["overtime_hours"].as_f64(), Some(0.0));
    assert_eq!(l.body["rows"][0]["labour_cost"], 9_000);
    assert_eq!(
        (l.body["people"][0]["name"].as_str(), l.body["people"][0]["hours"].as_f64()),
        (Some("staff"), Some(4.5))
    );
    // By daypart: 10:00-11:00 is breakfast (an hour, $20), 11:00-15:00 lunch less the break.
    let l = app.get(&at(&owner, &format!("analytics/labour?{day}&group_by=daypart")), &owner.token).await;
    let part = |name: &str| l.body["rows"].as_array().unwrap().iter().find(|r| r["key"] == name).unwrap().clone();
    assert_eq!(
        (part("breakfast")["hours"].as_f64(), part("breakfast")["labour_cost"].as_i64()),
        (Some(1.0), Some(2_000))
    );
    assert_eq!((part("lunch")["hours"].as_f64(), part("lunch")["labour_cost"].as_i64()), (Some(3.5), Some(7_000)));
    assert_eq!(part("lunch")["net_sales"].as_i64(), Some(net));

    let k = app.get(&at(&owner, &format!("analytics/kitchen?{day}")), &owner.token).await;
    k.expect(200, "");
    assert_eq!((k.body["late_secs"].as_i64(), k.body["totals"]["tickets"].as_i64()), (Some(600), Some(3)));
    assert_eq!((k.body["totals"]["late"].as_i64(), k.body["totals"]["longest_seconds"].as_i64()), (Some(1), Some(720)));
    assert_eq!(k.body["totals"]["p50_seconds"], 435, "the middle ticket took 7 minutes: within the 15 seconds above");
    let station = |id: Uuid| k.body["rows"].as_array().unwrap().iter().find(|r| r["key"] == json!(id)).unwrap().clone();
    assert_eq!(
        (station(m.grill)["label"].as_str(), station(m.grill)["p90_seconds"].as_i64()),
        (Some("Grill"), Some(420))
    );
    assert_eq!((station(m.fryer)["late"].as_i64(), station(m.bar)["average_seconds"].as_i64()), (Some(1), Some(120)));
    let k = app.get(&at(&owner, &format!("analytics/kitchen?{day}&group_by=hour")), &owner.token).await;
    assert_eq!(k.body["rows"][12]["tickets"], 3, "opened at noon");
    // A recall reopens the grill ticket: the day is rolled up again without it.
    let recall = format!("kds/tickets/{}/recall", id_of(&a, m.grill));
    app.post(&at(&owner, &recall), &owner.token, json!({})).await.expect(200, "");
    caught_up(&app).await;
    let k = app.get(&at(&owner, &format!("analytics/kitchen?{day}")), &owner.token).await;
    assert_eq!(k.body["totals"]["tickets"], 2);

    // Staff may not read labour or the kitchen's figures.
    app.get(&at(&owner, &format!("analytics/labour?{day}")), &sam).await.expect(403, "");
    app.get(&at(&owner, &format!("analytics/kitchen?{day}")), &sam).await.expect(403, "");
}

/// What an order's figures are, worked out from its API view (not from the rollups'
/// code): kept total, tax, discount, refunds, tips.
fn own_figures(o: &Value) -> [i64; 8] {
    let payments = o["payments"].as_array().unwrap();
    let refunded: i64 = payments.iter().map(|p| p["refunded"].as_i64().unwrap()).sum();
    let tips: i64 = payments
        .iter()
        .filter(|p| ["paid", "refund_pending", "refunded", "refund_failed"].contains(&p["status"].as_str().unwrap()))
        .map(|p| p["tip"].as_i64().unwrap())
        .sum();
    let (total, tax, discount) =
        (o["total"].as_i64().unwrap(), o["tax"].as_i64().unwrap(), o["discount"].as_i64().unwrap());
    let net = total - refunded - tax;
    [1, net + discount + refunded, discount, refunded, net, tax, total - refunded, tips]
}

#[tokio::test]
async fn every_rollup_equals_a_recomputation_from_random_orders() {
    let app = TestApp::builder().starting_at(ny(2026, 6, 1, 9, 0)).spawn().await;
    let mut owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let path = format!("/v1/restaurants/{}", owner.rid);
    app.put(&path, &owner.token, json!({ "tax_rate_bps": 875 })).await.expect(200, "");
    let mut rng = rand::rngs::StdRng::seed_from_u64(18);
    let mut ids: Vec<String> = Vec::new();
    let channels = ["pos", "web", "phone", "walk_in"];
    for day in 0..4 {
        for _ in 0..rng.gen_range(4..9) {
            let minute = rng.gen_range(0..(15 * 60));
            app.clock.set(ny(2026, 6, 1 + day, 9, 0) + chrono::Duration::minutes(minute));
            owner.token = app.login("ana@example.com", crate::support::PASSWORD).await.str("/access_token");
            let mut items = Vec::new();
            for _ in 0..rng.gen_range(1..4) {
                items.push(match rng.gen_range(0..4) {
                    0 => json!({ "item_id": m.burger, "quantity": rng.gen_range(1..3), "modifiers": [if rng.gen_bool(0.5) { m.single } else { m.double }] }),
                    1 => json!({ "item_id": m.burger, "quantity": 1, "modifiers": [m.single, m.cheese, m.bacon] }),
                    2 => json!({ "item_id": m.fries, "quantity": rng.gen_range(1..4) }),
                    _ => json!({ "item_id": m.cola, "quantity": 1 }),
                });
            }
            let kind = if rng.gen_bool(0.5) { "takeout" } else { "dine_in" };
            let body = json!({ "channel": channels[rng.gen_range(0..channels.len())], "type": kind, "items": items });
            let o = app.post(&at(&owner, "orders"), &owner.token, body).await;
            o.expect(201, "");
            let id = o.str("/id");
            if rng.gen_bool(0.3) {
                let line = o.body["items"][0]["id"].as_str().unwrap().to_owned();
                let what = if rng.gen_bool(0.5) { "void" } else { "comp" };
                app.post(
                    &at(&owner, &format!("orders/{id}/items/{line}/{what}")),
                    &owner.token,
                    json!({ "reason": "test" }),
                )
                .await;
            }
            if rng.gen_bool(0.3) {
                app.post(
                    &at(&owner, &format!("orders/{id}/discount")),
                    &owner.token,
                    json!({ "percent": rng.gen_range(5..30), "reason": "test" }),
                )
                .await;
            }
            let now = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await.body.clone();
            let total = now["total"].as_i64().unwrap();
            if rng.gen_bool(0.15) {
                app.post(
                    &at(&owner, &format!("orders/{id}/status")),
                    &owner.token,
                    json!({ "status": "cancelled", "reason": "test" }),
                )
                .await
                .expect(200, "");
            } else if total > 0 && rng.gen_bool(0.8) {
                let pay = json!({ "method": if rng.gen_bool(0.5) { "cash" } else { "external" }, "amount": total, "tip": rng.gen_range(0..400) });
                let p = app.post(&at(&owner, &format!("orders/{id}/payments")), &owner.token, pay).await;
                p.expect(201, "");
                if rng.gen_bool(0.25) {
                    let refund = json!({ "amount": rng.gen_range(1..=total), "reason": "test" });
                    app.post(&at(&owner, &format!("payments/{}/refund", p.str("/id"))), &owner.token, refund)
                        .await
                        .expect(201, "");
                }
            }
            ids.push(id);
        }
        // A rebuild in the middle changes nothing.
        if day == 2 {
            caught_up(&app).await;
            rollup::rebuild(
                &app.state,
                None,
                chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 6, 3).unwrap(),
            )
            .await
            .unwrap();
        }
    }
    caught_up(&app).await;

    // The recomputation, from each order as the API shows it.
    let mut expect: BTreeMap<(String, String), [i64; 8]> = BTreeMap::new();
    let mut sold: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut cancelled = 0;
    // Per channel: counted orders and their total; cancelled ones and theirs.
    let mut by_channel: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for id in &ids {
        let o = app.get(&at(&owner, &format!("orders/{id}")), &owner.token).await.body.clone();
        let c = by_channel.entry(o["channel"].as_str().unwrap().to_owned()).or_default();
        if o["status"] == "cancelled" {
            cancelled += 1;
            c[2] += 1;
            c[3] += o["total"].as_i64().unwrap();
            continue;
        }
        c[0] += 1;
        c[1] += o["total"].as_i64().unwrap();
        let f = own_figures(&o);
        let created: DateTime<Utc> = o["created_at"].as_str().unwrap().parse().unwrap();
        let hour = created.with_timezone(&chrono_tz::America::New_York).hour().to_string();
        for key in [
            ("day".to_owned(), o["business_day"].as_str().unwrap().to_owned()),
            ("hour".to_owned(), hour),
            ("channel".to_owned(), o["channel"].as_str().unwrap().to_owned()),
            ("type".to_owned(), o["type"].as_str().unwrap().to_owned()),
        ] {
            let e = expect.entry(key).or_default();
            for i in 0..8 {
                e[i] += f[i];
            }
        }
        for l in o["items"].as_array().unwrap().iter().filter(|l| l["voided"] == false) {
            let e = sold.entry(l["name"].as_str().unwrap().to_owned()).or_default();
            e.0 += l["quantity"].as_i64().unwrap();
            e.1 += if l["comped"] == true { 0 } else { l["line_total"].as_i64().unwrap() };
        }
    }
    // The draw covers what the figures must get right.
    let whole: Vec<&[i64; 8]> = expect.iter().filter(|(k, _)| k.0 == "day").map(|(_, v)| v).collect();
    assert!(
        cancelled > 0
            && whole.iter().any(|f| f[2] > 0)
            && whole.iter().any(|f| f[3] > 0)
            && whole.iter().any(|f| f[7] > 0)
    );
    let fields = ["orders", "gross", "discounts", "refunds", "net", "tax", "total", "tips"];
    let as_array = |r: &Value| -> [i64; 8] { std::array::from_fn(|i| r[fields[i]].as_i64().unwrap()) };
    for group in ["day", "hour", "channel", "type"] {
        let r = app
            .get(&at(&owner, &format!("analytics/sales?from=2026-06-01&to=2026-06-04&group_by={group}")), &owner.token)
            .await;
        r.expect(200, "");
        for row in r.body["rows"].as_array().unwrap() {
            let key = row["key"].as_str().unwrap().to_owned();
            let want = expect.get(&(group.to_owned(), key.clone())).copied().unwrap_or_default();
            assert_eq!(as_array(row), want, "{group} {key}");
        }
        let listed: usize =
            r.body["rows"].as_array().unwrap().iter().filter(|r| r["orders"].as_i64() != Some(0)).count();
        assert_eq!(listed, expect.keys().filter(|k| k.0 == group).count(), "{group}");
    }
    let r = app.get(&at(&owner, "analytics/channels?from=2026-06-01&to=2026-06-04"), &owner.token).await;
    let got: BTreeMap<String, [i64; 4]> = r.body["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let f = ["orders", "total", "cancelled", "cancelled_total"].map(|k| c[k].as_i64().unwrap());
            (c["channel"].as_str().unwrap().to_owned(), f)
        })
        .collect();
    assert_eq!(got, by_channel, "channels");
    // Read from the days, from June's monthly sums, and from both at once: the same.
    for (from, to) in [("2026-06-01", "2026-06-04"), ("2026-06-01", "2026-06-30"), ("2026-05-31", "2026-07-02")] {
        let items = app.get(&at(&owner, &format!("analytics/items?from={from}&to={to}")), &owner.token).await;
        let got: BTreeMap<String, (i64, i64)> = items.body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let figures = (r["quantity"].as_i64().unwrap(), r["revenue"].as_i64().unwrap());
                (r["name"].as_str().unwrap().to_owned(), figures)
            })
            .collect();
        assert_eq!(got, sold, "{from} to {to}");
    }
}

#[tokio::test]
async fn a_manager_gets_the_daily_report_by_email_at_the_time_they_chose() {
    use crate::fakes::FakeSmtp;
    let smtp = FakeSmtp::start().await;
    let url = smtp.url.clone();
    let app = TestApp::builder()
        .starting_at(ny(2026, 11, 2, 12, 0))
        .config(move |c| {
            crate::support::long_tokens(c);
            c.smtp_url = Some(url);
            c.mail_from = "reports@brigade.test".into();
        })
        .spawn()
        .await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    place(&app, &owner, "pos", json!([{ "item_id": m.fries, "quantity": 2 }])).await;

    let path = at(&owner, "reports/daily-email");
    let none = app.get(&path, &owner.token).await;
    assert_eq!((none.body["send_at"].clone(), none.body["mail_relay"].clone()), (Value::Null, json!(true)));
    for bad in ["25:00", "7.30", "", "07:30:00"] {
        let r = app.put(&path, &owner.token, json!({ "send_at": bad })).await;
        assert_eq!(r.expect(422, "validation_failed").body["error"]["details"]["field"], "send_at", "{bad}");
    }
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    app.put(&path, &staff, json!({ "send_at": "07:30" })).await.expect(403, "");
    // Half past seven each morning: the first goes on Tuesday and reports Monday.
    let r = app.put(&path, &owner.token, json!({ "send_at": "07:30" })).await;
    r.expect(200, "");
    assert_eq!((r.str("/send_at"), r.str("/to")), ("07:30".to_owned(), "ana@example.com".to_owned()));
    assert_eq!(r.str("/next_day"), "2026-11-02");
    assert_eq!(r.body["next_at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), ny(2026, 11, 3, 7, 30));
    // Asked again, it is still queued once.
    app.put(&path, &owner.token, json!({ "send_at": "07:30" })).await.expect(200, "");

    // The relay says "later" to the first try: the day is given back and sent on the retry, once.
    smtp.state.lock().reject_next.push_back(451);
    app.clock.set(ny(2026, 11, 3, 7, 31));
    app.state.wake_workers();
    let first = format!("reports.daily_email:{}:{}:2026-11-02:07:30", owner.rid, owner.user_id);
    app.eventually("the first try is put back", || async {
        brigade_store::jobs::by_idempotency_key(&app.state.db, &first).await.unwrap().is_some_and(|j| {
            j.attempts == 1 && j.status == "queued" && j.last_error.as_deref().is_some_and(|e| e.contains("451"))
        })
    })
    .await;
    assert!(smtp.mails().is_empty());
    app.clock.set(ny(2026, 11, 3, 7, 35));
    app.state.wake_workers();
    app.eventually("the report is mailed", || async { !smtp.mails().is_empty() }).await;
    let mail = &smtp.mails()[0];
    assert_eq!(mail.to, vec!["ana@example.com".to_owned()]);
    assert!(mail.data.contains("Subject: Diner: daily report, Monday 2026-11-02"), "{}", mail.data);
    assert!(
        mail.data.contains("application/pdf") && mail.data.contains("daily-report-2026-11-02.pdf"),
        "{}",
        mail.data
    );
    assert!(mail.data.contains("Net sales"), "{}", mail.data);

    // Wednesday's comes too, queued by Tuesday's; then the time changes to nine and the
    // half-past-seven one sends nothing.
    app.clock.set(ny(2026, 11, 4, 7, 31));
    app.state.wake_workers();
    app.eventually("the second is mailed", || async { smtp.mails().len() == 2 }).await;
    assert!(smtp.mails()[1].data.contains("Tuesday 2026-11-03"));
    app.put(&path, &owner.token, json!({ "send_at": "09:00" })).await.expect(200, "");
    // The server is down at half past seven and at nine on Thursday: at 09:01 the jobs
    // run late. The old time's sends nothing; nine o'clock's chain still reaches
    // Wednesday's report, late rather than never.
    app.clock.set(ny(2026, 11, 5, 9, 1));
    app.state.wake_workers();
    let done = |key: String| {
        let app = &app;
        async move {
            brigade_store::jobs::by_idempotency_key(&app.state.db, &key)
                .await
                .unwrap()
                .is_some_and(|j| j.status == "succeeded")
        }
    };
    let old = format!("reports.daily_email:{}:{}:2026-11-04:07:30", owner.rid, owner.user_id);
    app.eventually("the old time's job runs", || done(old.clone())).await;
    app.eventually("nine o'clock's is mailed", || async { smtp.mails().len() == 3 }).await;
    assert!(smtp.mails()[2].data.contains("Wednesday 2026-11-04"));

    // Stopped: the next one sends nothing.
    app.delete(&path, &owner.token).await.expect(204, "");
    assert_eq!(app.get(&path, &owner.token).await.body["send_at"], Value::Null);
    app.clock.set(ny(2026, 11, 6, 9, 1));
    app.state.wake_workers();
    let next = format!("reports.daily_email:{}:{}:2026-11-05:09:00", owner.rid, owner.user_id);
    app.eventually("the stopped one's job runs", || done(next.clone())).await;
    assert_eq!(smtp.mails().len(), 3);

    // A server with no mail relay says so rather than taking the request.
    let bare = TestApp::spawn().await;
    let other = bare.signup("bo@example.com", "Other").await;
    let r = bare.put(&at(&other, "reports/daily-email"), &other.token, json!({ "send_at": "07:30" })).await;
    r.expect(409, "mail_unavailable");
}
