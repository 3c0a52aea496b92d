//! The services called directly, without HTTP, as the assistant, the phone agent, MCP
//! and jobs call them: an `Actor` is made only by resolving a principal against a
//! restaurant, each service checks its own permission, and a refused action changes
//! nothing. The REST tests cover the same rules through the routes.

use crate::support::{long_tokens, TestApp};
use brigade_domain::{ItemId, RestaurantId, TicketId};
use brigade_server::actor::Actor;
use brigade_server::auth::authenticate_access_token;
use brigade_server::error::{ApiError, ErrorCode};
use brigade_server::menu::{service as menu, AvailabilityInput};
use brigade_server::{inventory, kds, labour, orders};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

async fn actor(app: &TestApp, token: &str, rid: Uuid) -> Result<Actor, ApiError> {
    let (caller, _) = authenticate_access_token(&app.state, token).await?;
    Actor::resolve(&app.state, caller.0, RestaurantId(rid)).await
}

fn two_owners(c: &mut brigade_server::config::Config) {
    long_tokens(c);
    c.open_signup = true;
}

fn eighty_six(until: Option<&str>) -> AvailabilityInput {
    AvailabilityInput {
        available: false,
        reason: Some("sold out".into()),
        until: until.map(Into::into),
        channels: None,
    }
}

#[tokio::test]
async fn an_actor_exists_only_for_a_restaurant_its_principal_belongs_to() {
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let err = actor(&app, &b.token, a.rid).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND, "another restaurant is not found, as for a stranger");
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    assert_eq!(owner.rid(), a.rid);
    assert_eq!(owner.user_id().map(|u| u.0), Some(a.user_id));
}

#[tokio::test]
async fn services_check_permissions_and_refuse_bad_input_without_changing_anything() {
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let m = app.menu(&a).await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (_, cook) = app.add_member(&a, "cook@example.com", "kitchen").await;
    let cook = actor(&app, &cook, a.rid).await.unwrap();

    // Another restaurant's item is not found through this actor.
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    let err = menu::set_availability(&b_owner, state, ItemId(m.burger), &eighty_six(None)).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND);
    // A time that has passed is refused and the item stays on.
    let err = menu::set_availability(&owner, state, ItemId(m.burger), &eighty_six(Some("2001-01-01T00:00:00Z")))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Validation { ref field, .. } if field == "until"), "{err:?}");
    assert!(menu::item(&owner, state, ItemId(m.burger)).await.unwrap().availability.available);
    // An unknown id among many changes none of them.
    let ids = [ItemId(m.fries), ItemId(Uuid::now_v7())];
    let err = menu::set_availability_of_many(&owner, state, &ids, &eighty_six(None)).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(menu::item(&owner, state, ItemId(m.fries)).await.unwrap().availability.available);

    // The 86, and what guests see, at once (the cached public menu is dropped on commit).
    assert!(app.public_items(&m.slug, "web").await.contains(&"Fries".to_owned()));
    let v = menu::set_availability(&owner, state, ItemId(m.fries), &eighty_six(None)).await.unwrap();
    assert!(!v.availability.available);
    assert!(!app.public_items(&m.slug, "web").await.contains(&"Fries".to_owned()));

    // The kitchen may not change the menu, nor read labour costs; it may read stock and bump.
    let err = menu::delete_item(&cook, state, ItemId(m.burger)).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
    let err = labour::service::now(&cook, state).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::FORBIDDEN);
    assert!(inventory::service::low_stock(&cook, state).await.unwrap().is_empty());
    let err = kds::service::bump(&cook, state, TicketId(Uuid::now_v7())).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::NOT_FOUND);

    // The time clock is a person's own: out before in, a break's end before its start.
    let err = labour::service::clock_out(&cook, state).await.unwrap_err();
    assert!(matches!(err, ApiError::Conflict { code: ErrorCode::NotClockedIn, .. }), "{err:?}");
    labour::service::clock_in(&cook, state, Default::default()).await.unwrap();
    let err = labour::service::end_break(&cook, state).await.unwrap_err();
    assert!(matches!(err, ApiError::Conflict { code: ErrorCode::NotOnBreak, .. }), "{err:?}");
    assert!(labour::service::my_clock(&cook, state).await.unwrap().entry.is_some());

    // Bumping the order's last ticket makes it ready; a step back to received is 409.
    let placed = app.order(&a, &a.token, "pos", json!([{ "item_id": m.cola, "quantity": 1 }])).await;
    placed.expect(201, "");
    let id = brigade_domain::OrderId(placed.id("/id"));
    for t in kds::service::tickets(&cook, state, None, Default::default(), None).await.unwrap() {
        kds::service::bump(&cook, state, TicketId(t.id)).await.unwrap();
    }
    assert_eq!(
        orders::service::get(&owner, state, id).await.unwrap().status,
        brigade_domain::order::OrderStatus::Ready
    );
    let back =
        orders::StatusInput { status: brigade_domain::order::OrderStatus::Received, reason: None, approval: None };
    let err = orders::service::set_status(&owner, state, id, &back).await.unwrap_err();
    assert!(matches!(err, ApiError::Conflict { code: ErrorCode::InvalidTransition, .. }), "{err:?}");
    assert_eq!(
        orders::service::get(&owner, state, id).await.unwrap().status,
        brigade_domain::order::OrderStatus::Ready
    );
}

#[tokio::test]
async fn a_timed_86_comes_back_by_the_system_actor_only_when_due_and_unchanged() {
    // The service is called by hand here: no worker runs the 86's own job meanwhile (it
    // did, now and then, once the clock passed `until`, and won the race).
    let app = TestApp::builder()
        .config(|c| {
            long_tokens(c);
            c.worker_concurrency = 0;
        })
        .spawn()
        .await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let m = app.menu(&a).await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let until = app.clock.now() + chrono::Duration::hours(1);
    let input = eighty_six(Some(&until.to_rfc3339()));
    menu::set_availability(&owner, state, ItemId(m.cola), &input).await.unwrap();
    let system = Actor::system(a.rid, "menu.restore_item");
    assert!(!menu::restore_when_due(&system, state, ItemId(m.cola), until).await.unwrap(), "not due yet");
    app.clock.advance(chrono::Duration::hours(2));
    let stale = until - chrono::Duration::minutes(5);
    assert!(!menu::restore_when_due(&system, state, ItemId(m.cola), stale).await.unwrap(), "another 86's job");
    assert!(menu::restore_when_due(&system, state, ItemId(m.cola), until).await.unwrap());
    assert!(menu::item(&owner, state, ItemId(m.cola)).await.unwrap().availability.available);
}

#[test]
fn each_domain_registers_its_own_jobs() {
    let jobs = brigade_server::standard_jobs();
    for kind in ["housekeeping", "menu.restore_item", "tasks.generate", "payment.refund"] {
        assert!(jobs.knows(kind), "{kind} is registered");
    }
}

#[tokio::test]
async fn tables_are_a_service_too() {
    use brigade_server::tables::{service as tables, TableInput, TableStatus};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (_, staff) = app.add_member(&a, "staff@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let input = |name: &str, status: Option<TableStatus>| TableInput { name: name.into(), capacity: Some(4), status };

    let t1 = tables::create(&owner, state, input("T1", None)).await.unwrap();
    assert_eq!((t1.status.as_str(), t1.capacity), ("available", 4));
    let dup = tables::create(&owner, state, input("T1", None)).await.unwrap_err();
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let refused = tables::create(&staff, state, input("T2", None)).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(tables::list(&staff, state).await.unwrap().len(), 1, "staff may read, and nothing was added");

    let id = brigade_domain::TableId(t1.id);
    let moved = tables::update(&owner, state, id, input("Patio 1", Some(TableStatus::OutOfService))).await.unwrap();
    assert_eq!((moved.name.as_str(), moved.status.as_str()), ("Patio 1", "out_of_service"));
    let rotated = tables::rotate_qr(&owner, state, id).await.unwrap();
    assert_eq!(rotated.qr_version, 2);
    assert_ne!(rotated.qr_url, t1.qr_url);

    // Another restaurant's owner finds nothing by this id, and changes nothing.
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    assert_eq!(tables::get(&b_owner, state, id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    assert_eq!(tables::delete(&b_owner, state, id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    tables::delete(&owner, state, id).await.unwrap();
    assert!(tables::list(&owner, state).await.unwrap().is_empty());
}

#[tokio::test]
async fn tasks_are_a_service_and_a_refused_step_changes_nothing() {
    use brigade_server::tasks::{service as tasks, TaskParams, TemplateInput};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (_, staff) = app.add_member(&a, "staff@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let template = || TemplateInput {
        name: "Close the bar".into(),
        description: None,
        checklist: Some("closing".into()),
        frequency: "daily".into(),
        days: vec![],
        due_time: chrono::NaiveTime::from_hms_opt(23, 0, 0).unwrap(),
        role: None,
        steps: vec!["Wipe the taps".into(), "Count the till".into()],
        is_active: None,
    };
    let refused = tasks::create_template(&staff, state, template()).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    tasks::create_template(&owner, state, template()).await.unwrap();

    let today = tasks::day(&staff, state, TaskParams::default()).await.unwrap();
    assert_eq!(today.len(), 1, "today's task is made from the template when the day is read");
    let id = today[0].id;
    let early = tasks::complete(&staff, state, id, None).await.unwrap_err();
    assert!(matches!(early, ApiError::Conflict { code: ErrorCode::StepsOpen, .. }), "{early:?}");
    let started = tasks::start(&staff, state, id).await.unwrap();
    assert_eq!(started.status, brigade_domain::tasks::TaskStatus::InProgress);
    assert_eq!(started.assigned_to, staff.user_id().map(|u| u.0), "starting an unassigned task takes it");
    let bad_step = tasks::tick_step(&staff, state, id, 7, true).await.unwrap_err();
    assert_eq!(bad_step.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for i in 0..2 {
        tasks::tick_step(&staff, state, id, i, true).await.unwrap();
    }
    let done = tasks::complete(&staff, state, id, Some("  all clean ".into())).await.unwrap();
    assert_eq!((done.status.as_str(), done.notes.as_deref()), ("completed", Some("all clean")));
    let again = tasks::start(&staff, state, id).await.unwrap_err();
    assert!(matches!(again, ApiError::Conflict { code: ErrorCode::TaskCompleted, .. }), "{again:?}");

    // Another restaurant's owner cannot reach the task, nor give it to a stranger.
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    assert_eq!(tasks::start(&b_owner, state, id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    let stranger = tasks::assign(&owner, state, id, Some(b.user_id)).await.unwrap_err();
    assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let report = tasks::report(&owner, state, None, None).await.unwrap();
    assert_eq!(report.by_template[0].completed, 1);
    assert_eq!(tasks::report(&staff, state, None, None).await.unwrap_err().status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn api_keys_and_the_audit_log_are_services_too() {
    use brigade_server::api_keys::{service as keys, NewApiKey};
    use brigade_server::audit::{service as audit, AuditParams};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (_, staff) = app.add_member(&a, "staff@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let new = |permissions: &[&str]| NewApiKey {
        name: "POS".into(),
        permissions: permissions.iter().map(|p| p.to_string()).collect(),
        expires_at: None,
    };
    let made = keys::create(&owner, state, new(&["menu:read", "orders:write"])).await.unwrap();
    assert!(made.key.starts_with("bk_") && made.key.starts_with(&made.view.prefix));
    let unknown = keys::create(&owner, state, new(&["menu:everything"])).await.unwrap_err();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = keys::create(&staff, state, new(&["menu:read"])).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "staff do not manage keys");
    let id = brigade_domain::ApiKeyId(made.view.id);
    keys::revoke(&owner, state, id).await.unwrap();
    assert!(keys::get(&owner, state, id).await.unwrap().revoked_at.is_some());
    assert_eq!(keys::revoke(&owner, state, id).await.unwrap_err().status(), StatusCode::NOT_FOUND);

    let params = AuditParams { kind: Some("api_key.".into()), ..Default::default() };
    let log = audit::events(&owner, state, params).await.unwrap();
    let kinds: Vec<&str> = log.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["api_key.revoked", "api_key.created"], "one created, one revoked, nothing for the refused");
}

/// Changes to different settings at the same moment all stay: each reads the restaurant
/// locked in the transaction that writes it, so none writes back what another changed.
#[tokio::test]
async fn restaurant_settings_changed_at_once_all_stay() {
    use brigade_server::restaurants::{service as restaurants, RestaurantChange};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let changes = [
        RestaurantChange { name: Some("Ana's Kitchen".into()), ..Default::default() },
        RestaurantChange { address: Some(Some("1 Main St".into())), ..Default::default() },
        RestaurantChange { phone: Some(Some("+15550100200".into())), ..Default::default() },
        RestaurantChange { tax_rate_bps: Some(825), ..Default::default() },
        RestaurantChange { kds_late_secs: Some(900), ..Default::default() },
        RestaurantChange { currency: Some("EUR".into()), ..Default::default() },
    ];
    let results =
        futures_util::future::join_all(changes.into_iter().map(|c| restaurants::update(&owner, state, c))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let r = restaurants::get(&owner, state).await.unwrap();
    assert_eq!(r.name, "Ana's Kitchen");
    assert_eq!(r.address.as_deref(), Some("1 Main St"));
    assert_eq!(r.phone.as_deref(), Some("+15550100200"));
    assert_eq!((r.tax_rate_bps, r.kds_late_secs, r.currency.as_str()), (825, 900, "EUR"));

    let (_, staff) = app.add_member(&a, "staff@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let refused =
        restaurants::update(&staff, state, RestaurantChange { name: Some("Mine".into()), ..Default::default() });
    assert_eq!(refused.await.unwrap_err().status(), StatusCode::FORBIDDEN);
    assert_eq!(restaurants::get(&staff, state).await.unwrap().name, "Ana's Kitchen");
}

#[tokio::test]
async fn the_schedule_is_a_service_and_refuses_without_changing_anything() {
    use brigade_server::schedules::{service as schedule, CopyWeek, ShiftInput, WeekParams};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (sam, staff) = app.add_member(&a, "sam@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let start = app.clock.now() + chrono::Duration::days(1);
    let shift = |user_id: Uuid| ShiftInput {
        user_id,
        position: None,
        starts_at: start,
        ends_at: start + chrono::Duration::hours(6),
        notes: Some("lunch".into()),
    };
    assert_eq!(schedule::create_shift(&staff, state, shift(sam)).await.unwrap_err().status(), StatusCode::FORBIDDEN);
    let stranger = schedule::create_shift(&owner, state, shift(b.user_id)).await.unwrap_err();
    assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY, "Bo is not a member here");
    let week = schedule::create_shift(&owner, state, shift(sam)).await.unwrap();
    assert_eq!(week.shifts.len(), 1);
    // The week is the restaurant's (New York's), not UTC's: a shift early on a UTC Monday is a New York Sunday.
    let day = week.week_start;
    let seen = schedule::week(&staff, state, WeekParams { week: Some(day) }).await.unwrap();
    assert_eq!(seen.shifts.len(), 1, "staff read the schedule");

    let same = CopyWeek { from_week: day, to_week: day, replace: false };
    assert_eq!(schedule::copy_week(&owner, state, same).await.unwrap_err().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let next = day + chrono::Duration::days(7);
    schedule::copy_week(&owner, state, CopyWeek { from_week: day, to_week: next, replace: false }).await.unwrap();
    let again = schedule::copy_week(&owner, state, CopyWeek { from_week: day, to_week: next, replace: false }).await;
    assert!(matches!(again, Err(ApiError::Conflict { code: ErrorCode::WeekNotEmpty, .. })), "{again:?}");
    let copied = schedule::week(&owner, state, WeekParams { week: Some(next) }).await.unwrap();
    assert_eq!(copied.shifts.len(), 1, "the refused copy added nothing");

    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    let id = week.shifts[0].id;
    assert_eq!(schedule::delete_shift(&b_owner, state, id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    schedule::delete_shift(&owner, state, id).await.unwrap();
}

#[tokio::test]
async fn labour_settings_positions_entries_and_payroll_are_services() {
    use brigade_server::labour::{service as labour, ClockInInput, EntryEdit, LabourSettings, PeriodParams};
    use brigade_server::labour::{PositionRate, Positions};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (sam, staff) = app.add_member(&a, "sam@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();

    let rules = |weekly: f64| LabourSettings {
        weekly_overtime_hours: weekly,
        daily_overtime_hours: None,
        daily_double_time_hours: None,
        week_starts: "Mon".into(),
        min_rest_hours: None,
    };
    assert_eq!(labour::update_settings(&staff, state, rules(38.0)).await.unwrap_err().status(), StatusCode::FORBIDDEN);
    let refused = labour::update_settings(&owner, state, rules(0.0)).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(labour::settings(&owner, state).await.unwrap().weekly_overtime_hours, 40.0, "unchanged");
    labour::update_settings(&owner, state, rules(38.0)).await.unwrap();

    let server = Positions { positions: vec![PositionRate { position: "Server".into(), hourly_rate: 1800 }] };
    let denied = labour::set_positions(&staff, state, sam, Positions { positions: server.positions.clone() }).await;
    assert_eq!(denied.unwrap_err().status(), StatusCode::FORBIDDEN, "staff do not set their own rate");
    labour::set_positions(&owner, state, sam, server).await.unwrap();
    let mine = labour::positions(&staff, state, sam).await.unwrap();
    assert_eq!(mine.positions[0].position, "server");
    assert_eq!(mine.positions[0].hourly_rate, 1800);

    let shift_start = app.clock.now();
    labour::clock_in(&staff, state, ClockInInput::default()).await.unwrap();
    app.clock.advance(chrono::Duration::hours(5));
    let entry = labour::clock_out(&staff, state).await.unwrap();
    let edit = |reason: &str| EntryEdit {
        clock_in: shift_start,
        clock_out: Some(shift_start + chrono::Duration::hours(4)),
        breaks: vec![],
        reason: reason.into(),
    };
    let blank = labour::edit_entry(&owner, state, entry.id, edit("  ")).await.unwrap_err();
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        labour::edit_entry(&staff, state, entry.id, edit("typo")).await.unwrap_err().status(),
        StatusCode::FORBIDDEN
    );
    let period = PeriodParams { from: Some(shift_start), to: Some(app.clock.now()), user_id: None, format: None };
    let seen = labour::entries(&staff, state, &period).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].worked_minutes, 300, "the refused edits changed nothing");
    labour::edit_entry(&owner, state, entry.id, edit("left early")).await.unwrap();
    labour::approve_entry(&owner, state, entry.id).await.unwrap();

    assert_eq!(labour::payroll(&staff, state, &period).await.unwrap_err().status(), StatusCode::FORBIDDEN);
    let payroll = labour::payroll(&owner, state, &period).await.unwrap();
    assert_eq!(payroll.lines.len(), 1);
    assert_eq!(payroll.lines[0].regular_hours, 4.0);
    assert_eq!(payroll.total_pay, 4 * 1800);
    assert_eq!(payroll.lines[0].unapproved_entries, 0);
}

#[tokio::test]
async fn stock_categories_items_counts_and_reports_are_services() {
    use brigade_server::inventory::{service as stock, CountLine, CountSheet, StockCategoryInput, StockItemInput};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    let (_, cook) = app.add_member(&a, "cook@example.com", "kitchen").await;
    let cook = actor(&app, &cook, a.rid).await.unwrap();

    let dry = || StockCategoryInput { name: "Dry goods".into(), description: None };
    assert_eq!(stock::create_category(&cook, state, dry()).await.unwrap_err().status(), StatusCode::FORBIDDEN);
    let category = stock::create_category(&owner, state, dry()).await.unwrap();
    assert_eq!(stock::categories(&owner, state).await.unwrap().len(), 1);
    let hidden = stock::update_category(&b_owner, state, category.id, dry()).await.unwrap_err();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND, "another restaurant's category");

    let flour = StockItemInput {
        name: "Flour".into(),
        category_id: Some(category.id),
        sku: None,
        unit: "g".into(),
        par_level: Some(5000.0),
        reorder_point: Some(2000.0),
        max_level: None,
        levels_unit: None,
        purchase_units: vec![],
        supplier: None,
        unit_cost: Some(0.2),
    };
    let flour = stock::create_item(&owner, state, flour).await.unwrap();
    let count = |item_id: Uuid, quantity: f64| CountSheet {
        counts: vec![CountLine { item_id, quantity, unit: None }],
        notes: None,
    };
    let stranger = stock::record_count(&owner, state, count(Uuid::now_v7(), 1.0)).await.unwrap_err();
    assert_eq!(stranger.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let negative = stock::record_count(&owner, state, count(flour.id, -1.0)).await.unwrap_err();
    assert_eq!(negative.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stock::reorder(&owner, state).await.unwrap().len(), 1, "nothing on hand: below the reorder point");
    let counted = stock::record_count(&owner, state, count(flour.id, 6000.0)).await.unwrap();
    assert_eq!(counted.items[0].on_hand, 6000.0);
    assert!(stock::reorder(&owner, state).await.unwrap().is_empty());
    let ledger = stock::movements(&owner, state, Default::default()).await.unwrap();
    assert_eq!(ledger.items.len(), 1, "the refused counts wrote nothing");
    assert_eq!(stock::delete_item(&cook, state, flour.id).await.unwrap_err().status(), StatusCode::FORBIDDEN);
    stock::delete_item(&owner, state, flour.id).await.unwrap();
}

#[tokio::test]
async fn people_are_a_service_and_the_last_owner_stays() {
    use brigade_server::people::{service as people, NewUser, UserChange};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let (_, manager) = app.add_member(&a, "max@example.com", "manager").await;
    let manager = actor(&app, &manager, a.rid).await.unwrap();
    let cook = |role: &str| NewUser {
        name: Some("Kit".into()),
        role: role.into(),
        email: None,
        password: None,
        phone: Some("+1 555 010 2000".into()),
        pin: Some("4821".into()),
    };
    let above = people::add(&manager, state, cook("owner")).await.unwrap_err();
    assert_eq!(above.status(), StatusCode::FORBIDDEN, "a manager does not make owners");
    let no_way_in = NewUser { phone: None, pin: None, ..cook("kitchen") };
    assert_eq!(people::add(&owner, state, no_way_in).await.unwrap_err().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let kit = people::add(&manager, state, cook("kitchen")).await.unwrap();
    let taken = people::add(&owner, state, cook("staff")).await.unwrap_err();
    assert_eq!(taken.status(), StatusCode::CONFLICT, "one phone signs in one member here");
    let before = people::members(&owner, state, Default::default()).await.unwrap().items.len();

    let demote = UserChange {
        name: None,
        role: Some("manager".into()),
        is_active: None,
        password: None,
        phone: None,
        pin: None,
    };
    let last = people::update(&owner, state, a.user_id, demote).await.unwrap_err();
    assert!(matches!(last, ApiError::Conflict { code: ErrorCode::LastOwner, .. }), "{last:?}");
    let last = people::remove(&owner, state, a.user_id).await.unwrap_err();
    assert!(matches!(last, ApiError::Conflict { code: ErrorCode::LastOwner, .. }), "{last:?}");
    assert_eq!(people::members(&owner, state, Default::default()).await.unwrap().items.len(), before);
    people::remove(&manager, state, kit.id).await.unwrap();
    assert_eq!(people::member(&owner, state, kit.id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn webhook_subscriptions_are_a_service() {
    use brigade_server::webhooks::{service as webhooks, NewSubscription, SubscriptionChange};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    let (_, staff) = app.add_member(&a, "sam@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let to = |url: &str| NewSubscription { url: url.into(), event_types: vec!["order.*".into()], description: None };
    let refused = webhooks::subscribe(&staff, state, to("https://hooks.example.com/brigade")).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused = webhooks::subscribe(&owner, state, to("ftp://hooks.example.com")).await.unwrap_err();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(webhooks::subscriptions(&owner, state).await.unwrap().is_empty(), "refusals made nothing");
    let sub = webhooks::subscribe(&owner, state, to("https://hooks.example.com/brigade")).await.unwrap();
    assert!(sub.secret.is_some(), "the secret is shown when it is made");
    assert!(webhooks::get(&owner, state, sub.id).await.unwrap().secret.is_none(), "and never again");
    assert_eq!(webhooks::get(&b_owner, state, sub.id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
    let pause = SubscriptionChange {
        url: None,
        event_types: None,
        description: None,
        status: Some("paused".into()),
        rotate_secret: false,
    };
    assert_eq!(webhooks::update(&owner, state, sub.id, pause).await.unwrap().status, "paused");
    webhooks::unsubscribe(&owner, state, sub.id).await.unwrap();
    assert_eq!(webhooks::ping(&owner, state, sub.id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn integrations_and_their_sync_are_services() {
    use brigade_server::integrations::sync::{service as sync, ManualSync};
    use brigade_server::integrations::{service as integrations, IntegrationChange, NewIntegration};
    let app = TestApp::builder().config(two_owners).spawn().await;
    let a = app.signup("ana@example.com", "Ana's").await;
    let b = app.signup("bo@example.com", "Bo's").await;
    let state = &app.state;
    let owner = actor(&app, &a.token, a.rid).await.unwrap();
    let b_owner = actor(&app, &b.token, b.rid).await.unwrap();
    let (_, staff) = app.add_member(&a, "sam@example.com", "staff").await;
    let staff = actor(&app, &staff, a.rid).await.unwrap();
    let uber = |credentials: serde_json::Value| NewIntegration {
        platform: "ubereats".into(),
        store_id: "store-1".into(),
        name: None,
        credentials: serde_json::from_value(credentials).unwrap(),
        config: Default::default(),
    };
    let full = json!({ "client_id": "uber-client-1234", "client_secret": "s3cret" });
    assert_eq!(
        integrations::connect(&staff, state, uber(full.clone())).await.unwrap_err().status(),
        StatusCode::FORBIDDEN
    );
    let half = integrations::connect(&owner, state, uber(json!({ "client_id": "a" }))).await.unwrap_err();
    assert_eq!(half.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(integrations::integrations(&owner, state).await.unwrap().is_empty(), "the refusals connected nothing");
    let connected = integrations::connect(&owner, state, uber(full)).await.unwrap();
    assert_eq!(connected.credentials, json!({ "client_id": "…1234", "client_secret": "set" }));
    assert_eq!(integrations::get(&b_owner, state, connected.id).await.unwrap_err().status(), StatusCode::NOT_FOUND);

    let pause = IntegrationChange {
        name: None,
        store_id: None,
        credentials: None,
        config: None,
        status: Some("paused".into()),
    };
    assert_eq!(integrations::update(&owner, state, connected.id, pause).await.unwrap().status, "paused");
    let push = sync::push_menu(&owner, state, ManualSync { integration_id: Some(connected.id) }).await.unwrap_err();
    assert!(matches!(push, ApiError::Conflict { code: ErrorCode::IntegrationPaused, .. }), "{push:?}");
    let health = sync::status(&owner, state).await.unwrap();
    assert_eq!(health.integrations.len(), 1);
    integrations::disconnect(&owner, state, connected.id).await.unwrap();
    assert_eq!(integrations::get(&owner, state, connected.id).await.unwrap_err().status(), StatusCode::NOT_FOUND);
}
