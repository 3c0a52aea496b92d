//! Tasks and checklists: templates, each day's tasks made exactly once (also with two
//! nodes at once), steps, completion, overdue, completion rates, tenancy.

use crate::support::{long_tokens, Owner, TestApp};
use chrono::{Duration, TimeZone, Utc};
use chrono_tz::America::New_York;
use serde_json::json;

fn at(owner: &Owner, path: &str) -> String {
    format!("/v1/restaurants/{}/{path}", owner.rid)
}

/// Wednesday 2026-06-03, 08:00 in New York.
fn wednesday_morning() -> chrono::DateTime<Utc> {
    New_York.with_ymd_and_hms(2026, 6, 3, 8, 0, 0).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn templates_make_each_days_tasks_once_even_on_two_nodes() {
    let a = TestApp::builder().config(long_tokens).starting_at(wednesday_morning()).spawn().await;
    let owner = a.signup("ana@example.com", "Diner").await;
    let path = at(&owner, "task-templates");
    for (body, field) in [
        (json!({ "name": "Open", "frequency": "hourly", "due_time": "10:00:00" }), "frequency"),
        (json!({ "name": "Open", "frequency": "weekly", "days": ["Someday"], "due_time": "10:00:00" }), "days"),
        (json!({ "name": "Open", "frequency": "daily", "due_time": "10:00:00", "role": "chef" }), "role"),
        (json!({ "name": "Open", "frequency": "daily", "due_time": "10:00:00", "checklist": "lunch" }), "checklist"),
        (json!({ "name": "Open", "frequency": "daily", "due_time": "10:00:00", "steps": [" "] }), "steps[0]"),
    ] {
        let r = a.post(&path, &owner.token, body).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field);
    }
    let opening = json!({ "name": "Open the kitchen", "checklist": "opening", "frequency": "daily", "due_time": "10:30:00",
        "role": "kitchen", "steps": ["Fryers on", "Check fridge temperatures", "Set the line"] });
    a.post(&path, &owner.token, opening).await.expect(201, "");
    a.post(
        &path,
        &owner.token,
        json!({ "name": "Deep clean hood", "frequency": "weekly", "days": ["Mon"], "due_time": "15:00:00" }),
    )
    .await
    .expect(201, "");
    a.post(
        &path,
        &owner.token,
        json!({ "name": "Inventory count", "frequency": "monthly", "days": [3], "due_time": "23:00:00" }),
    )
    .await
    .expect(201, "");

    // A second node on the same database; both list today's tasks at once, many times.
    let b = TestApp::builder().config(long_tokens).same_database_as(&a).spawn().await;
    let tasks = at(&owner, "tasks");
    let mut calls = Vec::new();
    for i in 0..6 {
        let app = if i % 2 == 0 { &a } else { &b };
        calls.push(app.get(&tasks, &owner.token));
    }
    for r in futures_util::future::join_all(calls).await {
        r.expect(200, "");
    }
    let r = a.get(&tasks, &owner.token).await;
    let names: Vec<&str> = r.body["items"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Open the kitchen", "Inventory count"], "Wednesday the 3rd: daily and monthly, not Monday's");
    let first = &r.body["items"][0];
    assert_eq!(first["due_at"], json!(New_York.with_ymd_and_hms(2026, 6, 3, 10, 30, 0).unwrap().with_timezone(&Utc)));
    assert_eq!(first["steps"].as_array().unwrap().len(), 3);
    // The hourly job makes nothing more.
    let made = brigade_server::tasks::generate(&a.state, owner.rid, "2026-06-03".parse().unwrap()).await.unwrap();
    assert_eq!(made, 0);
    // Only the kitchen's for a cook's "mine".
    let (_, cook) = a.add_member(&owner, "kim@example.com", "kitchen").await;
    let mine = a.get(&format!("{tasks}?for_me=true"), &cook).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 2, "the kitchen's and anyone's");
    let (_, server) = a.add_member(&owner, "sam@example.com", "staff").await;
    let theirs = a.get(&format!("{tasks}?for_me=true"), &server).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tasks_are_ticked_completed_with_notes_and_late_ones_are_overdue() {
    let app = TestApp::builder().config(long_tokens).starting_at(wednesday_morning()).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (cook_id, cook) = app.add_member(&owner, "kim@example.com", "kitchen").await;
    let (_, staff) = app.add_member(&owner, "sam@example.com", "staff").await;
    app.post(
        &at(&owner, "task-templates"),
        &staff,
        json!({ "name": "x", "frequency": "daily", "due_time": "10:00:00" }),
    )
    .await
    .expect(403, "forbidden");
    let opening = json!({ "name": "Open the kitchen", "checklist": "opening", "frequency": "daily", "due_time": "10:30:00",
        "role": "kitchen", "steps": ["Fryers on", "Fridge temperatures"] });
    app.post(&at(&owner, "task-templates"), &owner.token, opening).await.expect(201, "");
    app.post(
        &at(&owner, "task-templates"),
        &owner.token,
        json!({ "name": "Close", "checklist": "closing", "frequency": "daily", "due_time": "23:00:00" }),
    )
    .await
    .expect(201, "");
    let list = app.get(&at(&owner, "tasks"), &cook).await;
    let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
    let close = list.body["items"][1]["id"].as_str().unwrap().to_owned();
    assert_eq!(list.body["items"][0]["overdue"], false);

    let task = |p: &str| at(&owner, &format!("tasks/{id}/{p}"));
    app.post(&task("assign"), &owner.token, json!({ "user_id": uuid::Uuid::now_v7() }))
        .await
        .expect(422, "validation_failed");
    app.post(&task("assign"), &owner.token, json!({ "user_id": cook_id })).await.expect(200, "");
    app.post(&task("start"), &cook, json!({})).await.expect(200, "");
    app.post(&task("steps/0"), &cook, json!({ "done": true })).await.expect(200, "");
    app.post(&task("steps/7"), &cook, json!({ "done": true })).await.expect(422, "validation_failed");
    let r = app.post(&task("complete"), &cook, json!({ "notes": "all good" })).await;
    r.expect(409, "steps_open");
    // 10:45: late.
    app.clock.advance(Duration::minutes(165));
    let list = app.get(&at(&owner, "tasks"), &cook).await;
    assert_eq!(list.body["items"][0]["overdue"], true);
    app.post(&task("steps/1"), &cook, json!({ "done": true })).await.expect(200, "");
    let r = app.post(&task("complete"), &cook, json!({ "notes": "fridge 2 at 5°C" })).await;
    r.expect(200, "");
    assert_eq!((r.body["status"].as_str(), r.body["notes"].as_str()), (Some("completed"), Some("fridge 2 at 5°C")));
    assert_eq!(r.body["overdue"], false);
    assert_eq!(r.body["steps"][1]["done_by"], cook_id.to_string());
    app.post(&task("complete"), &cook, json!({})).await.expect(409, "task_completed");
    let audit = app.get(&at(&owner, "audit?type=task.completed"), &owner.token).await;
    assert_eq!(audit.body["items"][0]["data"]["late"], true);

    // The closing task is never done: completion rates show it.
    let _ = close;
    let report = app.get(&at(&owner, "tasks/report"), &owner.token).await;
    report.expect(200, "");
    let kim = report.body["by_person"].as_array().unwrap().iter().find(|p| p["name"] == "kitchen").unwrap().clone();
    assert_eq!(
        (kim["tasks"].as_i64(), kim["completed"].as_i64(), kim["completed_on_time"].as_i64()),
        (Some(1), Some(1), Some(0))
    );
    let templates = report.body["by_template"].as_array().unwrap();
    let close_rate = templates.iter().find(|t| t["name"] == "Close").unwrap();
    assert_eq!(close_rate["completion_rate"], 0.0);
    app.get(&at(&owner, "tasks/report"), &staff).await.expect(403, "forbidden");
}

#[tokio::test]
async fn task_routes_keep_to_their_restaurant() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let other = app.signup("bob@example.com", "Elsewhere").await;
    let t = app
        .post(
            &at(&owner, "task-templates"),
            &owner.token,
            json!({ "name": "Open", "frequency": "daily", "due_time": "23:59:00", "steps": ["a"] }),
        )
        .await;
    let template = t.id("/id");
    let list = app.get(&at(&owner, "tasks"), &owner.token).await;
    let id = list.body["items"][0]["id"].as_str().unwrap().to_owned();
    app.get(&at(&owner, "tasks"), &other.token).await.expect(404, "not_found");
    app.post(&at(&other, &format!("tasks/{id}/start")), &other.token, json!({})).await.expect(404, "not_found");
    app.post(&at(&other, &format!("tasks/{id}/steps/0")), &other.token, json!({ "done": true }))
        .await
        .expect(404, "not_found");
    app.delete(&at(&other, &format!("task-templates/{template}")), &other.token).await.expect(404, "not_found");
    let theirs = app.get(&at(&other, "tasks"), &other.token).await;
    assert_eq!(theirs.body["items"].as_array().unwrap().len(), 0);
}
