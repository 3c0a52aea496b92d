//! The schedule for every caller (the schedule grid through REST, the assistant's "who's on
//! tonight?"): a week of shifts, a shift planned, moved or removed, a week copied.

use super::{check_shift, place, shift_payload, week_view, CopyWeek, ShiftInput, WeekParams, WeekView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::labour::{local_midnight, week_of};
use brigade_store::labour::{self as store, ShiftRow};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

/// The person's own shifts from now for the next two weeks, soonest first.
pub async fn my_shifts(actor: &Actor, state: &AppState) -> ApiResult<super::MyShifts> {
    actor.require(Permission::RestaurantRead)?;
    let me = actor.person()?;
    let now = state.clock.now();
    let mut tx = state.db.begin_read(actor.rid()).await?;
    let rows = store::shifts_tx(&mut tx, actor.rid(), now, now + Duration::days(14)).await?;
    let items = rows
        .into_iter()
        .filter(|s| s.user_id == me.0 && s.ends_at > now)
        .map(|s| super::MyShift {
            id: s.id,
            position: s.position,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            notes: s.notes,
        })
        .collect();
    Ok(super::MyShifts { items })
}

/// A week of shifts (the week holding `q.week`, default this one), with each person's
/// hours, cost and double-bookings.
pub async fn week(actor: &Actor, state: &AppState, q: WeekParams) -> ApiResult<WeekView> {
    actor.require(Permission::RestaurantRead)?;
    let p = place(state, actor.rid()).await?;
    let day = q.week.unwrap_or_else(|| state.clock.now().with_timezone(&p.tz).date_naive());
    let mut tx = state.db.begin_read(actor.rid()).await?;
    week_view(state, &mut tx, actor.rid(), &p, week_of(day, p.week_starts)).await
}

/// Plans a shift for a member (in one of their positions); returns the shift's week.
pub async fn create_shift(actor: &Actor, state: &AppState, input: ShiftInput) -> ApiResult<WeekView> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut s = ShiftRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        user_id: input.user_id,
        position: None,
        starts_at: now,
        ends_at: now,
        notes: None,
        created_at: now,
        updated_at: now,
    };
    check_shift(state, actor.rid(), &mut s, input).await?;
    let p = place(state, actor.rid()).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_shift(&mut tx, &s).await?;
    actor.record(&mut tx, "staff.shift_created", "shift", s.id, shift_payload(&s), now).await?;
    let view = week_view(state, &mut tx, actor.rid(), &p, week_of_shift(&p, &s)).await?;
    tx.commit().await?;
    Ok(view)
}

/// The pay week a shift starts in, in the restaurant's zone.
fn week_of_shift(p: &super::Place, s: &ShiftRow) -> chrono::NaiveDate {
    week_of(s.starts_at.with_timezone(&p.tz).date_naive(), p.week_starts)
}

/// Moves or changes a shift; returns its week.
pub async fn update_shift(actor: &Actor, state: &AppState, id: Uuid, input: ShiftInput) -> ApiResult<WeekView> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let p = place(state, actor.rid()).await?;
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut s = store::shift_tx(&mut tx, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("shift"))?;
    check_shift(state, actor.rid(), &mut s, input).await?;
    s.updated_at = now;
    store::update_shift(&mut tx, &s).await?;
    actor.record(&mut tx, "staff.shift_updated", "shift", s.id, shift_payload(&s), now).await?;
    let view = week_view(state, &mut tx, actor.rid(), &p, week_of_shift(&p, &s)).await?;
    tx.commit().await?;
    Ok(view)
}

/// Removes a shift.
pub async fn delete_shift(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::UsersWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_shift(&mut tx, actor.rid(), id).await? {
        return Err(ApiError::not_found("shift"));
    }
    actor.record(&mut tx, "staff.shift_deleted", "shift", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Copies a week's shifts to another week at the same local times (409 `week_not_empty`
/// when it has shifts, unless `replace`); returns the filled week.
pub async fn copy_week(actor: &Actor, state: &AppState, input: CopyWeek) -> ApiResult<WeekView> {
    actor.require(Permission::UsersWrite)?;
    let rid = actor.rid();
    let p = place(state, rid).await?;
    let (src, dst) = (week_of(input.from_week, p.week_starts), week_of(input.to_week, p.week_starts));
    if src == dst {
        return Err(ApiError::validation("to_week", "copy to another week"));
    }
    let now = state.clock.now();
    let range = |start: NaiveDate| (local_midnight(p.tz, start), local_midnight(p.tz, start + Duration::days(7)));
    let mut tx = state.db.begin(rid).await?;
    let (sf, st) = range(src);
    let source: Vec<ShiftRow> =
        store::shifts_tx(&mut tx, rid, sf, st).await?.into_iter().filter(|s| s.starts_at >= sf).collect();
    if source.is_empty() {
        return Err(ApiError::validation("from_week", "that week has no shifts"));
    }
    let (df, dt) = range(dst);
    let existing: Vec<ShiftRow> =
        store::shifts_tx(&mut tx, rid, df, dt).await?.into_iter().filter(|s| s.starts_at >= df).collect();
    if !existing.is_empty() {
        if !input.replace {
            return Err(ApiError::conflict(
                crate::error::ErrorCode::WeekNotEmpty,
                "that week has shifts already; send replace: true to overwrite",
            ));
        }
        for s in &existing {
            store::delete_shift(&mut tx, rid, s.id).await?;
        }
    }
    let days = (dst - src).num_days();
    for s in &source {
        // Same local wall-clock times, days later (DST moves the UTC instants, not the shift).
        let move_local = |t: DateTime<Utc>| -> DateTime<Utc> {
            let local = t.with_timezone(&p.tz).naive_local() + Duration::days(days);
            brigade_domain::menu::local_to_utc(p.tz, local)
        };
        let copy = ShiftRow {
            id: Uuid::now_v7(),
            starts_at: move_local(s.starts_at),
            ends_at: move_local(s.ends_at),
            created_at: now,
            updated_at: now,
            ..s.clone()
        };
        store::insert_shift(&mut tx, &copy).await?;
    }
    let payload = json!({ "from_week": src, "to_week": dst, "shifts": source.len(), "replaced": existing.len() });
    actor.record(&mut tx, "staff.schedule_copied", "restaurant", rid, payload, now).await?;
    let view = week_view(state, &mut tx, rid, &p, dst).await?;
    tx.commit().await?;
    Ok(view)
}
