//! Tasks and checklists for every caller (the tasks screen through REST, the assistant's
//! "what's left to close?", tests): the templates, a day's tasks, and a task assigned,
//! started, ticked step by step and completed.

use super::{
    generate, task_view, template_view, NewTask, Rate, TaskParams, TaskReport, TaskView, TemplateInput, TemplateView,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::tasks::TaskStatus;
use brigade_store::tasks::{self as store, TaskRow, TemplateRow};
use brigade_store::{restaurants, users};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The task templates, by name.
pub async fn templates(actor: &Actor, state: &AppState) -> ApiResult<Vec<TemplateView>> {
    actor.require(Permission::RestaurantRead)?;
    Ok(store::templates(&state.db, actor.rid()).await?.into_iter().map(template_view).collect())
}

/// Adds a recurring task (daily, weekly on some days, monthly) with its due time and steps.
pub async fn create_template(actor: &Actor, state: &AppState, input: TemplateInput) -> ApiResult<TemplateView> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut t = TemplateRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        name: String::new(),
        description: None,
        checklist: None,
        frequency: String::new(),
        days: DbJson(Vec::new()),
        due_time: String::new(),
        role: None,
        steps: DbJson(Vec::new()),
        is_active: true,
        created_at: now,
        updated_at: now,
    };
    input.apply(&mut t)?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_template(&mut tx, &t).await?;
    actor.record(&mut tx, "task.template_created", "task_template", t.id, json!({ "name": t.name }), now).await?;
    tx.commit().await?;
    Ok(template_view(t))
}

pub async fn update_template(
    actor: &Actor,
    state: &AppState,
    id: Uuid,
    input: TemplateInput,
) -> ApiResult<TemplateView> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut t =
        store::template_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("task template"))?;
    input.apply(&mut t)?;
    t.updated_at = now;
    store::update_template(&mut tx, &t).await?;
    actor.record(&mut tx, "task.template_updated", "task_template", t.id, json!({ "name": t.name }), now).await?;
    tx.commit().await?;
    Ok(template_view(t))
}

/// Stops a template recurring. The tasks it made stay.
pub async fn delete_template(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_template(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("task template"));
    }
    actor.record(&mut tx, "task.template_deleted", "task_template", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// A business day's tasks (today's made first from the templates), of one role or the
/// caller's own (`for_me`: assigned to them, or unassigned for their role).
pub async fn day(actor: &Actor, state: &AppState, q: TaskParams) -> ApiResult<Vec<TaskView>> {
    actor.require(Permission::RestaurantRead)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let today = crate::restaurants::business_days(&state.db, &r).await?.day_of(now);
    let day = q.day.unwrap_or(today);
    if day == today {
        generate(state, rid, day).await?;
    }
    let me = actor.user_id().map(|u| u.0);
    let role =
        q.role.or_else(|| if q.for_me == Some(true) { actor.role().map(|r| r.as_str().to_owned()) } else { None });
    Ok(store::tasks(&state.db, rid, day, day)
        .await?
        .into_iter()
        .filter(|t| role.as_deref().is_none_or(|r| t.role.as_deref().is_none_or(|tr| tr == r)))
        .filter(|t| q.for_me != Some(true) || t.assigned_to.is_none() || t.assigned_to == me)
        .map(|t| task_view(t, now))
        .collect())
}

/// Adds a one-off task: anyone may make one for themselves or their team; giving it to
/// someone else takes a manager (as assigning does). Due by the end of today's business
/// day unless it says otherwise.
pub async fn create(actor: &Actor, state: &AppState, input: NewTask) -> ApiResult<TaskView> {
    actor.require(Permission::RestaurantRead)?;
    let rid = actor.rid();
    let me = actor.user_id().map(|u| u.0);
    let now = state.clock.now();
    let name = brigade_domain::credentials::parse_name("title", &input.title)?;
    let notes = caps::bounded_text("notes", input.notes.as_deref(), 1000)?;
    if let Some(r) = &input.role {
        r.parse::<brigade_domain::auth::Role>()?;
    }
    if let Some(u) = input.assignee_id {
        if Some(u) != me {
            actor.require(Permission::UsersWrite)?;
        }
        if users::member(&state.db, rid, u).await?.is_none() {
            return Err(ApiError::validation("assignee_id", "not a member of this restaurant"));
        }
    }
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let days = crate::restaurants::business_days(&state.db, &r).await?;
    let due_at = match input.due_at {
        Some(t) if t <= now => return Err(ApiError::validation("due_at", "that time has passed")),
        Some(t) if !brigade_domain::when::instant_ok(t) => {
            return Err(ApiError::validation("due_at", "a time before the year 2200"))
        }
        Some(t) => t,
        None => days.end_of_day(now),
    };
    let t = TaskRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        template_id: None,
        business_day: days.day_of(due_at - Duration::seconds(1)).max(days.day_of(now)),
        name,
        description: notes,
        checklist: None,
        role: input.role,
        steps: DbJson(Vec::new()),
        due_at,
        status: TaskStatus::Pending,
        assigned_to: input.assignee_id,
        started_at: None,
        completed_at: None,
        completed_by: None,
        notes: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin(rid).await?;
    store::insert_task(&mut tx, &t).await?;
    let payload = json!({ "name": t.name, "due_at": t.due_at, "role": t.role, "assigned_to": t.assigned_to });
    actor.record(&mut tx, "task.created", "task", t.id, payload.clone(), now).await?;
    if t.assigned_to.is_some() {
        actor.record(&mut tx, "task.assigned", "task", t.id, payload, now).await?;
    }
    tx.commit().await?;
    Ok(task_view(t, now))
}

/// Gives a task to a member, or takes it back (`None`).
pub async fn assign(actor: &Actor, state: &AppState, id: Uuid, user: Option<Uuid>) -> ApiResult<TaskView> {
    actor.require(Permission::UsersWrite)?;
    if let Some(u) = user {
        if users::member(&state.db, actor.rid(), u).await?.is_none() {
            return Err(ApiError::validation("user_id", "not a member of this restaurant"));
        }
    }
    change(state, actor, id, "task.assigned", |t, _, _| {
        t.assigned_to = user;
        Ok(json!({}))
    })
    .await
}

/// Starts a task; it becomes the caller's if nobody had it.
pub async fn start(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<TaskView> {
    change(state, actor, id, "task.started", |t, me, now| {
        not_done(t)?;
        t.status = TaskStatus::InProgress;
        t.started_at.get_or_insert(now);
        if t.assigned_to.is_none() {
            t.assigned_to = me;
        }
        Ok(json!({}))
    })
    .await
}

/// Ticks (or unticks) step `index` of a task.
pub async fn tick_step(actor: &Actor, state: &AppState, id: Uuid, index: usize, done: bool) -> ApiResult<TaskView> {
    change(state, actor, id, "task.step_ticked", |t, me, now| {
        not_done(t)?;
        let step = t.steps.0.get_mut(index).ok_or_else(|| ApiError::validation("index", "no such step"))?;
        step.done = done;
        step.done_by = done.then_some(me).flatten();
        step.done_at = done.then_some(now);
        if t.status == TaskStatus::Pending {
            t.status = TaskStatus::InProgress;
            t.started_at.get_or_insert(now);
        }
        Ok(json!({ "step": index, "done": done }))
    })
    .await
}

/// Completes a task, with notes; every step must be ticked first (409 otherwise).
pub async fn complete(actor: &Actor, state: &AppState, id: Uuid, notes: Option<String>) -> ApiResult<TaskView> {
    change(state, actor, id, "task.completed", |t, me, now| {
        not_done(t)?;
        let open = t.steps.0.iter().filter(|s| !s.done).count();
        if open > 0 {
            return Err(ApiError::conflict(ErrorCode::StepsOpen, format!("{open} step(s) are not ticked yet")));
        }
        t.status = TaskStatus::Completed;
        t.started_at.get_or_insert(now);
        t.completed_at = Some(now);
        t.completed_by = me;
        t.notes = notes.map(|n| n.trim().chars().take(1000).collect::<String>()).filter(|n| !n.is_empty());
        Ok(json!({ "late": t.due_at < now }))
    })
    .await
}

/// Completion rates per person (assigned or completed by them) and per template, over
/// business days `from` to `to` (default: the week up to today; at most a year).
pub async fn report(
    actor: &Actor,
    state: &AppState,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> ApiResult<TaskReport> {
    actor.require(Permission::UsersRead)?;
    let rid = actor.rid();
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let today = crate::restaurants::business_days(&state.db, &r).await?.day_of(state.clock.now());
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(7));
    if from > to || (to - from).num_days() > 366 {
        return Err(ApiError::validation("from", "a period of up to a year, from before to"));
    }
    let names: BTreeMap<Uuid, String> =
        users::members(&state.db, rid, None, 10_000).await?.into_iter().map(|m| (m.user_id, m.name)).collect();
    let mut people: BTreeMap<Option<Uuid>, (String, i64, i64, i64)> = BTreeMap::new();
    let mut templates: BTreeMap<Option<Uuid>, (String, i64, i64, i64)> = BTreeMap::new();
    for t in store::tasks(&state.db, rid, from, to).await? {
        let done = t.status == TaskStatus::Completed;
        let on_time = done && t.completed_at.is_some_and(|c| c <= t.due_at);
        let who = t.completed_by.or(t.assigned_to);
        for (map, key, name) in [
            (&mut people, who, who.and_then(|w| names.get(&w).cloned()).unwrap_or_else(|| "unassigned".into())),
            (&mut templates, t.template_id, t.name.clone()),
        ] {
            let e = map.entry(key).or_insert((name, 0, 0, 0));
            e.1 += 1;
            e.2 += i64::from(done);
            e.3 += i64::from(on_time);
        }
    }
    let rates = |m: BTreeMap<Option<Uuid>, (String, i64, i64, i64)>| -> Vec<Rate> {
        m.into_iter()
            .map(|(id, (name, n, c, ot))| Rate {
                id,
                name,
                tasks: n,
                completed: c,
                completed_on_time: ot,
                completion_rate: brigade_domain::money::percent(c, n).unwrap_or(0.0),
            })
            .collect()
    };
    Ok(TaskReport { from, to, by_person: rates(people), by_template: rates(templates) })
}

fn not_done(t: &TaskRow) -> ApiResult<()> {
    if t.status == TaskStatus::Completed {
        return Err(ApiError::conflict(ErrorCode::TaskCompleted, "this task is done already"));
    }
    Ok(())
}

/// Loads a task for a change by the caller, applies `f`, saves it and records `kind`.
async fn change(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    kind: &str,
    f: impl FnOnce(&mut TaskRow, Option<Uuid>, DateTime<Utc>) -> ApiResult<Value>,
) -> ApiResult<TaskView> {
    actor.require(Permission::RestaurantRead)?;
    let me = actor.user_id().map(|u| u.0);
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut t = store::task_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("task"))?;
    let payload = f(&mut t, me, now)?;
    t.updated_at = now;
    store::update_task(&mut tx, &t).await?;
    let mut p = json!({ "name": t.name, "status": t.status, "assigned_to": t.assigned_to });
    if let (Some(obj), Value::Object(extra)) = (p.as_object_mut(), payload) {
        obj.extend(extra);
    }
    actor.record(&mut tx, kind, "task", t.id, p, now).await?;
    tx.commit().await?;
    Ok(task_view(t, now))
}
