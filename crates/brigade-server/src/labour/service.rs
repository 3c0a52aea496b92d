//! The time clock's actions and reads, for every caller (the staff screen, the
//! assistant's "clock me in", tests): a person clocks themselves in and out and takes
//! breaks; managers see who is on the clock and what labour costs today.

use super::{
    entry_view, names, rules_of, worked_of, ClockInInput, EntryView, LabourNow, MyClock, OnTheClock, PositionRate,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::restaurants::restaurant_tz;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::labour::{classify, pay, OvertimeRules, Worked};
use brigade_domain::menu::business_day;
use brigade_store::labour::{self as store, Break, EntryRow};
use brigade_store::{restaurants, users, Tx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::types::Json as DbJson;
use std::collections::HashMap;
use uuid::Uuid;

/// The person acting, who clocks only themselves: an API key cannot.
fn person(actor: &Actor) -> ApiResult<Uuid> {
    actor.require(Permission::RestaurantRead)?;
    actor.user_id().map(|u| u.0).ok_or_else(|| ApiError::Forbidden {
        code: crate::error::ErrorCode::UserOnly,
        message: "people clock in and out themselves; an API key cannot".into(),
    })
}

pub(crate) async fn record(tx: &mut Tx, actor: &Actor, kind: &str, e: &EntryRow, now: DateTime<Utc>) -> ApiResult<()> {
    let payload = json!({ "user_id": e.user_id, "entry_id": e.id, "position": e.position, "clock_in": e.clock_in, "clock_out": e.clock_out });
    actor.record(tx, kind, "time_entry", e.id, payload, now).await
}

fn list_positions(p: &[store::PositionRow]) -> String {
    if p.is_empty() {
        "none set".into()
    } else {
        p.iter().map(|x| x.position.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Clocks the person acting in, in `position` (one of theirs here; default their only or
/// first one). Already clocked in is 409 `already_clocked_in`.
pub async fn clock_in(actor: &Actor, state: &AppState, input: ClockInInput) -> ApiResult<EntryView> {
    let user = person(actor)?;
    let mine = store::positions(&state.db, actor.rid(), Some(user)).await?;
    let chosen = match input.position.as_deref().map(|p| p.trim().to_lowercase()) {
        Some(p) => Some(mine.iter().find(|x| x.position == p).ok_or_else(|| {
            ApiError::validation("position", format!("not one of your positions here ({})", list_positions(&mine)))
        })?),
        None => mine.first(),
    };
    let now = state.clock.now();
    let e = EntryRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        user_id: user,
        position: chosen.map(|p| p.position.clone()),
        hourly_rate: chosen.map(|p| p.hourly_rate).unwrap_or(0),
        clock_in: now,
        clock_out: None,
        breaks: DbJson(Vec::new()),
        original: None,
        edited_by: None,
        edit_reason: None,
        approved_by: None,
        approved_at: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::insert_entry(&mut tx, &e).await? {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::AlreadyClockedIn,
            "you are clocked in already; clock out first",
        ));
    }
    record(&mut tx, actor, "staff.clock_in", &e, now).await?;
    state.commit(tx, After::NOTHING).await?;
    let name = users::member(&state.db, actor.rid(), user).await?.map(|m| m.name).unwrap_or_default();
    Ok(entry_view(e, name, now))
}

/// Applies `f` to the person acting's open entry; not clocked in is 409 `not_clocked_in`.
async fn with_open_entry(
    actor: &Actor,
    state: &AppState,
    kind: &str,
    f: impl FnOnce(&mut EntryRow, DateTime<Utc>) -> ApiResult<()>,
) -> ApiResult<EntryView> {
    let user = person(actor)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut e = store::open_entry(&mut tx, actor.rid(), user)
        .await?
        .ok_or_else(|| ApiError::conflict(crate::error::ErrorCode::NotClockedIn, "you are not clocked in"))?;
    f(&mut e, now)?;
    e.updated_at = now;
    store::update_entry(&mut tx, &e).await?;
    record(&mut tx, actor, kind, &e, now).await?;
    state.commit(tx, After::NOTHING).await?;
    let name = users::member(&state.db, actor.rid(), user).await?.map(|m| m.name).unwrap_or_default();
    Ok(entry_view(e, name, now))
}

/// Clocks the person acting out (ending a break still open).
pub async fn clock_out(actor: &Actor, state: &AppState) -> ApiResult<EntryView> {
    with_open_entry(actor, state, "staff.clock_out", |e, now| {
        for b in e.breaks.0.iter_mut().filter(|b| b.end.is_none()) {
            b.end = Some(now);
        }
        e.clock_out = Some(now);
        Ok(())
    })
    .await
}

/// Starts a break for the person acting; paid breaks count as worked time. On a break
/// already is 409 `on_break`.
pub async fn start_break(actor: &Actor, state: &AppState, paid: bool) -> ApiResult<EntryView> {
    with_open_entry(actor, state, "staff.break_started", |e, now| {
        if e.breaks.0.iter().any(|b| b.end.is_none()) {
            return Err(ApiError::conflict(crate::error::ErrorCode::OnBreak, "you are on a break already"));
        }
        e.breaks.0.push(Break { start: now, end: None, paid });
        Ok(())
    })
    .await
}

/// Ends the open break of the person acting; 409 `not_on_break` when none is open.
pub async fn end_break(actor: &Actor, state: &AppState) -> ApiResult<EntryView> {
    with_open_entry(actor, state, "staff.break_ended", |e, now| {
        let b = e
            .breaks
            .0
            .iter_mut()
            .find(|b| b.end.is_none())
            .ok_or_else(|| ApiError::conflict(crate::error::ErrorCode::NotOnBreak, "you are not on a break"))?;
        b.end = Some(now);
        Ok(())
    })
    .await
}

/// The person acting's open entry (if clocked in) and their positions here.
pub async fn my_clock(actor: &Actor, state: &AppState) -> ApiResult<MyClock> {
    let user = person(actor)?;
    let now = state.clock.now();
    let mut tx = state.db.begin_read(actor.rid()).await?;
    let open = store::open_entry(&mut tx, actor.rid(), user).await?;
    drop(tx);
    let name = users::member(&state.db, actor.rid(), user).await?.map(|m| m.name).unwrap_or_default();
    let positions = store::positions(&state.db, actor.rid(), Some(user))
        .await?
        .into_iter()
        .map(|p| PositionRate { position: p.position, hourly_rate: p.hourly_rate })
        .collect();
    Ok(MyClock { entry: open.map(|e| entry_view(e, name, now)), positions })
}

/// Who is on the clock now (on a break, heading into overtime), and what labour has cost
/// today against today's sales: `users:read`.
pub async fn now(actor: &Actor, state: &AppState) -> ApiResult<LabourNow> {
    actor.require(Permission::UsersRead)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = restaurant_tz(&r)?;
    let rules = rules_of(&store::settings(&state.db, rid).await?);
    let day = business_day(now, tz, r.day_starts_at);
    let day_start = brigade_domain::menu::local_to_utc(tz, day.and_time(r.day_starts_at));
    let week = brigade_domain::labour::week_of(now.with_timezone(&tz).date_naive(), rules.week_starts);
    let week_start = brigade_domain::labour::local_midnight(tz, week);
    let names = names(state, rid).await?;
    let entries =
        store::entries(&state.db, rid, None, week_start.min(day_start), now + Duration::microseconds(1)).await?;
    // Pay so far today, per entry, cut to the business day.
    let mut labour_cost = 0;
    let mut by_user: HashMap<Uuid, Vec<Worked>> = HashMap::new();
    for e in &entries {
        let mut w = worked_of(e, now);
        by_user.entry(e.user_id).or_default().push(w.clone());
        w.start = w.start.max(day_start);
        if w.end > w.start {
            let (split, _) = classify(&[w], tz, &OvertimeRules { weekly: i64::MAX, ..rules });
            labour_cost += pay(&split, e.hourly_rate);
        }
    }
    let mut on = Vec::new();
    for e in entries.iter().filter(|e| e.clock_out.is_none()) {
        let mine = by_user.get(&e.user_id).cloned().unwrap_or_default();
        let in_week: Vec<Worked> = mine
            .iter()
            .filter(|w| w.end > week_start)
            .map(|w| Worked { start: w.start.max(week_start), ..w.clone() })
            .collect();
        let (week_split, _) = classify(&in_week, tz, &rules);
        let week_minutes = week_split.total();
        let view = entry_view(e.clone(), String::new(), now);
        let mut today = worked_of(e, now);
        today.start = today.start.max(day_start);
        let cost = pay(&classify(&[today], tz, &OvertimeRules { weekly: i64::MAX, ..rules }).0, e.hourly_rate);
        on.push(OnTheClock {
            user_id: e.user_id,
            name: names.get(&e.user_id).cloned().unwrap_or_default(),
            position: e.position.clone(),
            since: e.clock_in,
            on_break: e.breaks.0.iter().any(|b| b.end.is_none()),
            worked_minutes: view.worked_minutes,
            cost_so_far: cost,
            week_minutes,
            overtime_soon: week_split.overtime == 0 && week_minutes + 120 >= rules.weekly,
            in_overtime: week_split.overtime > 0 || week_split.double > 0,
            flagged: view.flagged,
        });
    }
    let sales: i64 = brigade_store::orders::day_stats(&state.db, rid, day)
        .await?
        .iter()
        .filter(|s| s.status != "cancelled")
        .map(|s| s.total)
        .sum();
    Ok(LabourNow {
        business_day: day,
        on_the_clock: on,
        labour_cost,
        sales,
        labour_percent: brigade_domain::money::percent(labour_cost, sales),
    })
}
