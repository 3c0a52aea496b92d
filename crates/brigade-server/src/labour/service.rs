//! The time clock's actions and reads, for every caller (the staff screen, the
//! assistant's "clock me in", tests): a person clocks themselves in and out and takes
//! breaks; managers see who is on the clock and what labour costs today.

use super::{
    entry_view, hours, names, period, rules_of, self_user, settings_view, worked_of, ClockInInput, EntryEdit,
    EntryView, LabourNow, LabourSettings, MyClock, OnTheClock, Payroll, PayrollLine, PeriodParams, PositionRate,
    Positions,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::restaurants::restaurant_tz;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::labour::{classify, pay, OvertimeRules, Worked};
use brigade_store::labour::{self as store, Break, EntryRow};
use brigade_store::labour::{Original, SettingsRow};
use brigade_store::{restaurants, users, Tx};
use chrono::Weekday;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::types::Json as DbJson;
use std::collections::BTreeMap;
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
    let days = crate::restaurants::business_days(&state.db, &r).await?;
    let day = days.day_of(now);
    let day_start = days.start(day);
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
        .filter(|s| s.status != brigade_domain::order::OrderStatus::Cancelled)
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

/// The restaurant's overtime rules and pay week.
pub async fn settings(actor: &Actor, state: &AppState) -> ApiResult<LabourSettings> {
    actor.require(Permission::RestaurantRead)?;
    Ok(settings_view(&store::settings(&state.db, actor.rid()).await?))
}

/// Sets the overtime rules and pay week (audited).
pub async fn update_settings(actor: &Actor, state: &AppState, input: LabourSettings) -> ApiResult<LabourSettings> {
    actor.require(Permission::RestaurantWrite)?;
    let minutes = |field: &'static str, h: f64, max: f64| -> ApiResult<i64> {
        // At least 0.01 h, so that the threshold is a whole minute or more once rounded.
        if !h.is_finite() || !(0.01..=max).contains(&h) {
            return Err(ApiError::validation(field, format!("from 0.01 to {max} hours")));
        }
        Ok((h * 60.0).round() as i64)
    };
    let s = SettingsRow {
        weekly_minutes: minutes("weekly_overtime_hours", input.weekly_overtime_hours, 168.0)?,
        daily_minutes: input.daily_overtime_hours.map(|h| minutes("daily_overtime_hours", h, 24.0)).transpose()?,
        double_minutes: input
            .daily_double_time_hours
            .map(|h| minutes("daily_double_time_hours", h, 24.0))
            .transpose()?,
        week_starts: input
            .week_starts
            .parse::<Weekday>()
            .map_err(|_| ApiError::validation("week_starts", "a day: Mon, Tue, Wed, Thu, Fri, Sat or Sun"))?
            .to_string(),
        min_rest_minutes: match input.min_rest_hours {
            Some(h) if !h.is_finite() || !(0.0..=24.0).contains(&h) => {
                return Err(ApiError::validation("min_rest_hours", "between 0 and 24 hours"))
            }
            Some(h) => (h * 60.0).round() as i64,
            None => store::settings(&state.db, actor.rid()).await?.min_rest_minutes,
        },
    };
    if let (Some(d), Some(x)) = (s.daily_minutes, s.double_minutes) {
        if x <= d {
            return Err(ApiError::validation("daily_double_time_hours", "must be more than the daily overtime hours"));
        }
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    store::put_settings(&mut tx, actor.rid(), &s).await?;
    let view = settings_view(&s);
    actor.record(&mut tx, "staff.settings_updated", "restaurant", actor.rid(), json!(view), now).await?;
    tx.commit().await?;
    Ok(view)
}

/// A member's positions here and the hourly rate of each (their own, or anyone's with `users:read`).
pub async fn positions(actor: &Actor, state: &AppState, user: Uuid) -> ApiResult<Positions> {
    if self_user(actor).ok() != Some(user) {
        actor.require(Permission::UsersRead)?;
    }
    users::member(&state.db, actor.rid(), user).await?.ok_or_else(|| ApiError::not_found("user"))?;
    let positions = store::positions(&state.db, actor.rid(), Some(user))
        .await?
        .into_iter()
        .map(|p| PositionRate { position: p.position, hourly_rate: p.hourly_rate })
        .collect();
    Ok(Positions { positions })
}

/// Replaces what a member works as here and at what rate (at most 20, audited).
pub async fn set_positions(actor: &Actor, state: &AppState, user: Uuid, input: Positions) -> ApiResult<Positions> {
    actor.require(Permission::UsersWrite)?;
    users::member(&state.db, actor.rid(), user).await?.ok_or_else(|| ApiError::not_found("user"))?;
    if input.positions.len() > 20 {
        return Err(ApiError::validation("positions", "at most 20 positions"));
    }
    let mut list: Vec<(String, i64)> = Vec::new();
    for (i, p) in input.positions.iter().enumerate() {
        let name = brigade_domain::credentials::parse_name("position", &p.position)
            .map_err(|e| ApiError::validation(format!("positions[{i}].position"), e.message))?
            .to_lowercase();
        if !(0..=1_000_000).contains(&p.hourly_rate) {
            return Err(ApiError::validation(format!("positions[{i}].hourly_rate"), "0 or more minor units an hour"));
        }
        if list.iter().any(|(n, _)| *n == name) {
            return Err(ApiError::validation(format!("positions[{i}].position"), "listed twice"));
        }
        list.push((name, p.hourly_rate));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    store::set_positions(&mut tx, actor.rid(), user, &list).await?;
    let positions: Vec<PositionRate> =
        list.into_iter().map(|(position, hourly_rate)| PositionRate { position, hourly_rate }).collect();
    actor.record(&mut tx, "staff.positions_updated", "user", user, json!({ "positions": positions }), now).await?;
    tx.commit().await?;
    Ok(Positions { positions })
}

/// Time entries in a period: everyone's with `users:read`, else the caller's own.
pub async fn entries(actor: &Actor, state: &AppState, p: &PeriodParams) -> ApiResult<Vec<EntryView>> {
    actor.require(Permission::RestaurantRead)?;
    let user = if actor.allows(Permission::UsersRead) { p.user_id } else { Some(self_user(actor)?) };
    let (from, to) = period(state, actor.rid(), p).await?;
    let now = state.clock.now();
    let names = names(state, actor.rid()).await?;
    let items = store::entries(&state.db, actor.rid(), user, from, to)
        .await?
        .into_iter()
        .map(|e| {
            let n = names.get(&e.user_id).cloned().unwrap_or_default();
            entry_view(e, n, now)
        })
        .collect();
    Ok(items)
}

/// A manager corrects an entry: the entry as clocked is kept, the edit audited with its
/// reason, and any approval taken back.
pub async fn edit_entry(actor: &Actor, state: &AppState, id: Uuid, input: EntryEdit) -> ApiResult<EntryView> {
    actor.require(Permission::UsersWrite)?;
    let reason = brigade_domain::caps::parse_reason("reason", Some(&input.reason))?
        .ok_or_else(|| ApiError::validation("reason", "say why the entry is changed"))?;
    let reason = reason.as_str();
    let now = state.clock.now();
    if input.clock_in > now || input.clock_out.is_some_and(|o| o > now) {
        return Err(ApiError::validation("clock_out", "cannot be in the future"));
    }
    if let Some(out) = input.clock_out {
        if out <= input.clock_in {
            return Err(ApiError::validation("clock_out", "must be after clock_in"));
        }
        if out - input.clock_in > Duration::hours(24) {
            return Err(ApiError::validation("clock_out", "one entry is at most 24 hours"));
        }
    }
    let end = input.clock_out.unwrap_or(now);
    let mut breaks = Vec::with_capacity(input.breaks.len());
    for (i, b) in input.breaks.iter().enumerate() {
        if b.end <= b.start || b.start < input.clock_in || b.end > end {
            return Err(ApiError::validation(
                format!("breaks[{i}]"),
                "a break starts before it ends, inside the entry",
            ));
        }
        breaks.push(Break { start: b.start, end: Some(b.end), paid: b.paid });
    }
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut e = store::entry_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("time entry"))?;
    if input.clock_out.is_none() && e.clock_out.is_some() {
        return Err(ApiError::validation("clock_out", "a closed entry stays closed"));
    }
    let before = json!({ "clock_in": e.clock_in, "clock_out": e.clock_out, "breaks": e.breaks.0 });
    if e.original.is_none() {
        e.original =
            Some(DbJson(Original { clock_in: e.clock_in, clock_out: e.clock_out, breaks: e.breaks.0.clone() }));
    }
    e.clock_in = input.clock_in;
    e.clock_out = input.clock_out;
    e.breaks = DbJson(breaks);
    e.edited_by = self_user(actor).ok();
    e.edit_reason = Some(reason.chars().take(300).collect());
    e.approved_by = None;
    e.approved_at = None;
    e.updated_at = now;
    store::update_entry(&mut tx, &e).await?;
    let payload = json!({ "user_id": e.user_id, "reason": e.edit_reason, "before": before,
        "after": { "clock_in": e.clock_in, "clock_out": e.clock_out, "breaks": e.breaks.0 } });
    actor.record(&mut tx, "staff.time_edited", "time_entry", e.id, payload, now).await?;
    tx.commit().await?;
    let name = names(state, actor.rid()).await?.remove(&e.user_id).unwrap_or_default();
    Ok(entry_view(e, name, now))
}

/// Approves a closed entry for payroll.
pub async fn approve_entry(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<EntryView> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut e = store::entry_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("time entry"))?;
    if e.clock_out.is_none() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::StillOpen,
            "clock the entry out (or correct it) before approving",
        ));
    }
    e.approved_by = self_user(actor).ok();
    e.approved_at = Some(now);
    e.updated_at = now;
    store::update_entry(&mut tx, &e).await?;
    record(&mut tx, actor, "staff.time_approved", &e, now).await?;
    tx.commit().await?;
    let name = names(state, actor.rid()).await?.remove(&e.user_id).unwrap_or_default();
    Ok(entry_view(e, name, now))
}

/// Regular, overtime and double-time hours and pay per person for a period.
pub async fn payroll(actor: &Actor, state: &AppState, p: &PeriodParams) -> ApiResult<Payroll> {
    actor.require(Permission::UsersWrite)?;
    let rid = actor.rid();
    let (from, to) = period(state, rid, p).await?;
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = restaurant_tz(&r)?;
    let rules = rules_of(&store::settings(&state.db, rid).await?);
    let now = state.clock.now();
    let names = names(state, rid).await?;
    let mut by_user: BTreeMap<Uuid, Vec<EntryRow>> = BTreeMap::new();
    for e in store::entries(&state.db, rid, p.user_id, from, to).await? {
        by_user.entry(e.user_id).or_default().push(e);
    }
    let mut lines = Vec::new();
    let mut total_pay = 0;
    for (user, entries) in by_user {
        let worked: Vec<Worked> = entries
            .iter()
            .map(|e| {
                let mut w = worked_of(e, now.min(to));
                w.start = w.start.max(from);
                w.end = w.end.min(to);
                w
            })
            .collect();
        let (split, _) = classify(&worked, tz, &rules);
        // Each entry is paid at its own rate: split the total by each entry's share.
        let rate_minutes: i64 =
            entries.iter().zip(&worked).map(|(e, w)| e.hourly_rate * ((w.end - w.start).num_minutes().max(0))).sum();
        let minutes: i64 = worked.iter().map(|w| (w.end - w.start).num_minutes().max(0)).sum();
        let rate = if minutes > 0 {
            brigade_domain::money::div_half_up(rate_minutes.into(), minutes.into()) as i64
        } else {
            0
        };
        let amount = pay(&split, rate);
        total_pay += amount;
        lines.push(PayrollLine {
            user_id: user,
            name: names.get(&user).cloned().unwrap_or_default(),
            regular_hours: hours(&split, |s| s.regular),
            overtime_hours: hours(&split, |s| s.overtime),
            double_time_hours: hours(&split, |s| s.double),
            pay: amount,
            unapproved_entries: entries.iter().filter(|e| e.approved_at.is_none()).count() as i64,
        });
    }
    let report = Payroll { from, to, currency: r.currency.clone(), lines, total_pay };
    Ok(report)
}
