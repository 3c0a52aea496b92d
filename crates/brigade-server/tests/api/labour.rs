//! The time clock: positions and rates, clocking in and out with breaks, no double
//! clock-in, forgotten clock-outs flagged, manager edits that keep the original,
//! approval, overtime across midnight and a DST change, live labour and payroll.

use crate::support::{long_tokens, Owner, TestApp};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use serde_json::json;
use uuid::Uuid;

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    New_York.with_ymd_and_hms(y, m, d, h, min, 0).earliest().unwrap().with_timezone(&Utc)
}

/// A server member with a position and rate; returns (user id, token).
async fn server_member(app: &TestApp, owner: &Owner, email: &str, rate: i64) -> (Uuid, String) {
    let (uid, token) = app.add_member(owner, email, "staff").await;
    let r = app
        .put(
            &at(owner, &format!("users/{uid}/positions")),
            &owner.token,
            json!({ "positions": [{ "position": "Server", "hourly_rate": rate }] }),
        )
        .await;
    r.expect(200, "");
    (uid, token)
}

#[tokio::test]
async fn staff_clock_in_and_out_with_breaks_and_never_twice() {
    let app = TestApp::builder().config(long_tokens).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (_, sam) = server_member(&app, &owner, "sam@example.com", 1800).await;
    let r = app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({ "position": "chef" })).await;
    r.expect(422, "validation_failed");
    let r = app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await;
    r.expect(201, "");
    assert_eq!((r.body["position"].as_str(), r.body["hourly_rate"].as_i64()), (Some("server"), Some(1800)));
    app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(409, "already_clocked_in");

    app.clock.advance(Duration::hours(3));
    app.post(&at(&owner, "time-clock/break"), &sam, json!({ "paid": false })).await.expect(200, "");
    app.post(&at(&owner, "time-clock/break"), &sam, json!({ "paid": false })).await.expect(409, "on_break");
    app.clock.advance(Duration::minutes(30));
    app.post(&at(&owner, "time-clock/break/end"), &sam, json!({})).await.expect(200, "");
    app.post(&at(&owner, "time-clock/break/end"), &sam, json!({})).await.expect(409, "not_on_break");
    app.clock.advance(Duration::hours(2));
    let me = app.get(&at(&owner, "time-clock/me"), &sam).await;
    assert_eq!(me.body["entry"]["worked_minutes"], 300);
    let out = app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await;
    out.expect(200, "");
    assert_eq!(out.body["worked_minutes"], 300, "5.5 h less an unpaid half hour");
    app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await.expect(409, "not_clocked_in");
    let me = app.get(&at(&owner, "time-clock/me"), &sam).await;
    assert!(me.body["entry"].is_null());

    // Two devices clocking in at once: exactly one wins.
    let clock_in = at(&owner, "time-clock/clock-in");
    let (a, b) = tokio::join!(app.post(&clock_in, &sam, json!({})), app.post(&clock_in, &sam, json!({})));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    // An API key cannot clock anyone in.
    let key = app
        .post(&at(&owner, "api-keys"), &owner.token, json!({ "name": "k", "permissions": ["restaurant:read"] }))
        .await;
    app.post(&at(&owner, "time-clock/clock-in"), &key.str("/key"), json!({})).await.expect(403, "user_only");
}

#[tokio::test]
async fn forgotten_clock_outs_are_flagged_and_managers_edit_keeping_the_original() {
    let app = TestApp::builder().config(long_tokens).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (_, sam) = server_member(&app, &owner, "sam@example.com", 1500).await;
    let r = app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await;
    let id = r.id("/id");
    let clock_in: DateTime<Utc> = r.str("/clock_in").parse().unwrap();
    app.clock.advance(Duration::hours(17));
    let list = app.get(&at(&owner, "time-entries"), &owner.token).await;
    assert_eq!(list.body["items"][0]["flagged"], true);
    let now = app.get(&at(&owner, "labour/now"), &owner.token).await;
    assert_eq!(now.body["on_the_clock"][0]["flagged"], true);

    let path = at(&owner, &format!("time-entries/{id}"));
    let out = clock_in + Duration::hours(8);
    // Staff cannot edit; bad edits change nothing.
    app.put(&path, &sam, json!({ "clock_in": clock_in, "clock_out": out, "reason": "x" }))
        .await
        .expect(403, "forbidden");
    for body in [
        json!({ "clock_in": clock_in, "clock_out": out, "reason": " " }),
        json!({ "clock_in": clock_in, "clock_out": clock_in - Duration::hours(1), "reason": "x" }),
        json!({ "clock_in": clock_in, "clock_out": out, "breaks": [{ "start": out, "end": out + Duration::hours(1), "paid": false }], "reason": "x" }),
        json!({ "clock_in": clock_in, "clock_out": clock_in + Duration::hours(30), "reason": "x" }),
    ] {
        app.put(&path, &owner.token, body).await.expect(422, "validation_failed");
    }
    app.post(&format!("{path}/approve"), &owner.token, json!({})).await.expect(409, "still_open");
    let brk =
        json!([{ "start": clock_in + Duration::hours(4), "end": clock_in + Duration::minutes(270), "paid": false }]);
    let r = app
        .put(
            &path,
            &owner.token,
            json!({ "clock_in": clock_in, "clock_out": out, "breaks": brk, "reason": "forgot to clock out" }),
        )
        .await;
    r.expect(200, "");
    assert_eq!(r.body["worked_minutes"], 450);
    assert_eq!(r.body["original"]["clock_out"], json!(null), "the entry as clocked is kept");
    assert_eq!(r.body["edit_reason"], "forgot to clock out");
    let audit = app.get(&at(&owner, "audit?type=staff.time_edited"), &owner.token).await;
    assert_eq!(audit.body["items"][0]["data"]["reason"], "forgot to clock out");
    let r = app.post(&format!("{path}/approve"), &owner.token, json!({})).await;
    r.expect(200, "");
    assert!(r.body["approved_at"].is_string());
    // A later edit takes the approval back and still keeps the first original.
    let r = app
        .put(
            &path,
            &owner.token,
            json!({ "clock_in": clock_in, "clock_out": out - Duration::hours(1), "reason": "left early" }),
        )
        .await;
    assert!(r.body["approved_at"].is_null());
    assert_eq!(r.body["original"]["clock_in"], json!(clock_in));
    // Sam is free to clock in again now.
    app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(201, "");
}

#[tokio::test]
async fn overtime_counts_across_midnight_and_a_dst_change_and_payroll_exports_it() {
    // The week of the autumn clock change in New York (Sunday 2026-11-01, 02:00 twice).
    let app = TestApp::builder().config(long_tokens).starting_at(ny(2026, 10, 26, 8, 0)).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "timezone": "America/New_York" }))
        .await
        .expect(200, "");
    let (sam_id, sam) = server_member(&app, &owner, "sam@example.com", 2000).await;
    let settings = json!({ "weekly_overtime_hours": 40, "daily_overtime_hours": 8, "daily_double_time_hours": 12, "week_starts": "Mon" });
    app.put(&at(&owner, "labour/settings"), &owner.token, settings).await.expect(200, "");
    let bad = json!({ "weekly_overtime_hours": 40, "daily_overtime_hours": 8, "daily_double_time_hours": 6, "week_starts": "Mon" });
    app.put(&at(&owner, "labour/settings"), &owner.token, bad).await.expect(422, "validation_failed");

    // Mon–Thu: 9 h a day (8 regular + 1 daily overtime each).
    for d in 26..=29 {
        app.clock.set(ny(2026, 10, d, 9, 0));
        app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(201, "");
        app.clock.set(ny(2026, 10, d, 18, 0));
        app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await.expect(200, "");
    }
    // Saturday 22:00 to Sunday 06:00 across midnight and the clock change: 9 real hours,
    // 2 on Saturday and 7 on Sunday.
    app.clock.set(ny(2026, 10, 31, 22, 0));
    app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(201, "");
    app.clock.set(ny(2026, 11, 1, 6, 0));
    let out = app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await;
    assert_eq!(out.body["worked_minutes"], 9 * 60);

    let from = ny(2026, 10, 26, 0, 0);
    let to = ny(2026, 11, 2, 0, 0);
    let q = format!("payroll?from={}&to={}", from.to_rfc3339(), to.to_rfc3339()).replace('+', "%2B");
    let p = app.get(&at(&owner, &q), &owner.token).await;
    p.expect(200, "");
    let line = &p.body["lines"][0];
    // Daily: 4 × (8 + 1 OT); Saturday 2 regular; Sunday 7 regular. Weekly: 32 + 2 + 7 = 41
    // regular hours, so the last hour is weekly overtime: 40 regular, 5 overtime.
    assert_eq!(
        (line["regular_hours"].as_f64(), line["overtime_hours"].as_f64(), line["double_time_hours"].as_f64()),
        (Some(40.0), Some(5.0), Some(0.0))
    );
    assert_eq!(line["pay"], 40 * 2000 + 5 * 3000);
    assert_eq!(line["unapproved_entries"], 5);
    assert_eq!(line["user_id"], sam_id.to_string());
    // CSV for the accountant.
    let r = app
        .client
        .get(app.url(&at(&owner, &format!("{q}&format=csv"))))
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("user_id,name,regular_hours"), "{csv}");
    assert!(csv.contains(",40.00,5.00,0.00,950.00,USD,5"), "{csv}");
    app.get(&at(&owner, &format!("{q}&format=xml")), &owner.token).await.expect(422, "validation_failed");
    app.get(&at(&owner, "payroll"), &sam).await.expect(403, "forbidden");
}

#[tokio::test]
async fn live_labour_shows_who_is_on_and_cost_against_sales_with_overtime_warnings() {
    let app = TestApp::builder().config(long_tokens).starting_at(ny(2026, 6, 1, 9, 0)).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.put(&format!("/v1/restaurants/{}", owner.rid), &owner.token, json!({ "timezone": "America/New_York" }))
        .await
        .expect(200, "");
    let m = app.menu(&owner).await;
    let (_, sam) = server_member(&app, &owner, "sam@example.com", 2000).await;
    let (_, sofia) = server_member(&app, &owner, "sofia@example.com", 1600).await;
    app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await.expect(201, "");
    app.post(&at(&owner, "time-clock/clock-in"), &sofia, json!({})).await.expect(201, "");
    app.clock.advance(Duration::hours(3));
    for _ in 0..4 {
        app.order(
            &owner,
            &owner.token,
            "walk_in",
            json!([{ "item_id": m.burger, "quantity": 5, "modifiers": [m.single] }]),
        )
        .await
        .expect(201, "");
    }
    let now = app.get(&at(&owner, "labour/now"), &owner.token).await;
    now.expect(200, "");
    assert_eq!(now.body["on_the_clock"].as_array().unwrap().len(), 2);
    // 3 h at 20.00 + 3 h at 16.00 = 108.00, against 4 × 5 × 12.00 = 240.00 of sales.
    assert_eq!(now.body["labour_cost"], 10_800);
    assert_eq!(now.body["sales"], 24_000);
    assert_eq!(now.body["labour_percent"], 45.0);
    app.get(&at(&owner, "labour/now"), &sam).await.expect(403, "forbidden");

    // Sofia stays on: at 38 hours of the week she is two hours from overtime.
    app.post(&at(&owner, "time-clock/clock-out"), &sam, json!({})).await.expect(200, "");
    app.clock.advance(Duration::hours(35));
    let now = app.get(&at(&owner, "labour/now"), &owner.token).await;
    let sofia_now = &now.body["on_the_clock"][0];
    assert_eq!((sofia_now["week_minutes"].as_i64(), sofia_now["overtime_soon"].as_bool()), (Some(38 * 60), Some(true)));
    app.clock.advance(Duration::hours(3));
    let now = app.get(&at(&owner, "labour/now"), &owner.token).await;
    assert_eq!(now.body["on_the_clock"][0]["in_overtime"], true);
}

#[tokio::test]
async fn labour_routes_keep_to_their_restaurant() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let other = app.signup("bob@example.com", "Elsewhere").await;
    let (sam_id, sam) = server_member(&app, &owner, "sam@example.com", 1500).await;
    let r = app.post(&at(&owner, "time-clock/clock-in"), &sam, json!({})).await;
    let id = r.id("/id");
    // Another restaurant's owner reaches none of it, by either restaurant's path.
    app.get(&at(&owner, "time-entries"), &other.token).await.expect(404, "not_found");
    app.get(&at(&other, &format!("users/{sam_id}/positions")), &other.token).await.expect(404, "not_found");
    let edit = json!({ "clock_in": Utc::now() - Duration::hours(1), "reason": "x" });
    app.put(&at(&other, &format!("time-entries/{id}")), &other.token, edit).await.expect(404, "not_found");
    app.post(&at(&other, &format!("time-entries/{id}/approve")), &other.token, json!({}))
        .await
        .expect(404, "not_found");
    let start = Utc::now() + Duration::days(1);
    let body = json!({ "user_id": sam_id, "starts_at": start, "ends_at": start + Duration::hours(4) });
    let w = app.post(&at(&owner, "shifts"), &owner.token, body.clone()).await;
    w.expect(201, "");
    let shift = w.body["shifts"][0]["id"].as_str().unwrap().to_owned();
    app.get(&at(&owner, "schedule"), &other.token).await.expect(404, "not_found");
    app.put(&at(&other, &format!("shifts/{shift}")), &other.token, body.clone()).await.expect(404, "not_found");
    let theirs = json!({ "user_id": other.user_id, "starts_at": start, "ends_at": start + Duration::hours(4) });
    app.put(&at(&other, &format!("shifts/{shift}")), &other.token, theirs).await.expect(404, "not_found");
    app.delete(&at(&other, &format!("shifts/{shift}")), &other.token).await.expect(404, "not_found");
    app.post(&at(&other, "shifts"), &other.token, body).await.expect(422, "validation_failed");
    // Staff see their own entries only.
    let mine = app.get(&at(&owner, "time-entries"), &sam).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
    app.put(&at(&owner, &format!("users/{sam_id}/positions")), &sam, json!({ "positions": [] }))
        .await
        .expect(403, "forbidden");
}

#[tokio::test]
async fn schedules_flag_conflicts_project_cost_and_copy_across_dst_at_local_times() {
    let app = TestApp::builder().config(long_tokens).starting_at(ny(2026, 10, 26, 8, 0)).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (sam, sam_token) = server_member(&app, &owner, "sam@example.com", 2000).await;
    let (sofia, _) = server_member(&app, &owner, "sofia@example.com", 1600).await;
    let shift = |user: Uuid, a: DateTime<Utc>, b: DateTime<Utc>| json!({ "user_id": user, "position": "server", "starts_at": a, "ends_at": b });
    // Bad shifts change nothing.
    for (body, field) in [
        (shift(sam, ny(2026, 10, 27, 17, 0), ny(2026, 10, 27, 9, 0)), "ends_at"),
        (shift(sam, ny(2026, 10, 27, 1, 0), ny(2026, 10, 27, 23, 0)), "ends_at"),
        (
            json!({ "user_id": Uuid::now_v7(), "starts_at": ny(2026, 10, 27, 9, 0), "ends_at": ny(2026, 10, 27, 17, 0) }),
            "user_id",
        ),
        (
            json!({ "user_id": sam, "position": "chef", "starts_at": ny(2026, 10, 27, 9, 0), "ends_at": ny(2026, 10, 27, 17, 0) }),
            "position",
        ),
    ] {
        let r = app.post(&at(&owner, "shifts"), &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    // Sam: Tue 09–17 and 16–23 (double-booked), then Wed 04:00 (5 h rest: too little).
    app.post(&at(&owner, "shifts"), &owner.token, shift(sam, ny(2026, 10, 27, 9, 0), ny(2026, 10, 27, 17, 0)))
        .await
        .expect(201, "");
    app.post(&at(&owner, "shifts"), &owner.token, shift(sam, ny(2026, 10, 27, 16, 0), ny(2026, 10, 27, 23, 0)))
        .await
        .expect(201, "");
    app.post(&at(&owner, "shifts"), &owner.token, shift(sam, ny(2026, 10, 28, 4, 0), ny(2026, 10, 28, 8, 0)))
        .await
        .expect(201, "");
    // Sofia closes Saturday night at 17:00–23:00; the clocks go back that night.
    let w = app
        .post(&at(&owner, "shifts"), &owner.token, shift(sofia, ny(2026, 10, 31, 17, 0), ny(2026, 10, 31, 23, 0)))
        .await;
    w.expect(201, "");
    assert_eq!(w.body["week_start"], "2026-10-26");
    assert_eq!(w.body["conflicts"], 3);
    let shifts = w.body["shifts"].as_array().unwrap();
    assert!(shifts[0]["conflicts"][0].as_str().unwrap().starts_with("double-booked"));
    assert!(shifts[2]["conflicts"][0].as_str().unwrap().starts_with("short rest"));
    assert!(shifts[3]["conflicts"].as_array().unwrap().is_empty());
    // 8 + 7 + 4 h at 20.00 and 6 h at 16.00.
    assert_eq!(
        (w.body["projected_hours"].as_f64(), w.body["projected_cost"].as_i64()),
        (Some(25.0), Some(19 * 2000 + 6 * 1600))
    );

    // Each sees their own shifts from now (no costs), and only their own.
    let mine = app.get(&at(&owner, "schedule/mine"), &sam_token).await;
    mine.expect(200, "");
    let items = mine.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", mine.body);
    assert!(items.iter().all(|s| s.get("projected_cost").is_none()));
    let key = app
        .post(&at(&owner, "api-keys"), &owner.token, json!({ "name": "k", "permissions": ["restaurant:read"] }))
        .await;
    app.get(&at(&owner, "schedule/mine"), &key.str("/key")).await.expect(403, "user_only");

    // Copy to the next week: same local times, though New York is now on standard time.
    let copy = json!({ "from_week": "2026-10-28", "to_week": "2026-11-02" });
    let r = app.post(&at(&owner, "schedule/copy"), &owner.token, copy.clone()).await;
    r.expect(201, "");
    assert_eq!(r.body["week_start"], "2026-11-02");
    let sofia_next =
        r.body["shifts"].as_array().unwrap().iter().find(|s| s["user_id"] == sofia.to_string()).unwrap().clone();
    assert_eq!(sofia_next["starts_at"], json!(ny(2026, 11, 7, 17, 0)), "17:00 local, an hour later in UTC");
    app.post(&at(&owner, "schedule/copy"), &owner.token, copy).await.expect(409, "week_not_empty");
    let r = app
        .post(
            &at(&owner, "schedule/copy"),
            &owner.token,
            json!({ "from_week": "2026-10-26", "to_week": "2026-11-04", "replace": true }),
        )
        .await;
    assert_eq!(r.body["shifts"].as_array().unwrap().len(), 4, "replaced, not added to");
    let empty = json!({ "from_week": "2026-12-07", "to_week": "2026-12-14" });
    app.post(&at(&owner, "schedule/copy"), &owner.token, empty).await.expect(422, "validation_failed");

    // Fix the double-booking by moving a shift; delete the too-early one.
    let id = shifts[1]["id"].as_str().unwrap();
    let r = app
        .put(
            &at(&owner, &format!("shifts/{id}")),
            &owner.token,
            shift(sam, ny(2026, 10, 29, 16, 0), ny(2026, 10, 29, 23, 0)),
        )
        .await;
    r.expect(200, "");
    let early = shifts[2]["id"].as_str().unwrap();
    app.delete(&at(&owner, &format!("shifts/{early}")), &owner.token).await.expect(204, "");
    let wk = app.get(&at(&owner, "schedule?week=2026-10-29"), &owner.token).await;
    assert_eq!(wk.body["conflicts"], 0);
    // Others cannot see or change it.
    let (_, staff) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    app.get(&at(&owner, "schedule"), &staff).await.expect(200, "");
    app.delete(&at(&owner, &format!("shifts/{id}")), &staff).await.expect(403, "forbidden");
}
