//! Schedules: planned shifts per person and position, a week at a time in the
//! restaurant's time zone, with conflicts flagged (double-booked, short rest) and the
//! week's projected labour cost; a week copies to another keeping local times, so a
//! 17:00 shift stays at 17:00 across a DST change.

pub mod service;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::restaurants::restaurant_tz;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::labour::{conflicts, local_midnight, Planned};
use brigade_store::labour::{self as store, ShiftRow};
use brigade_store::{restaurants, users, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

const MAX_SHIFT_HOURS: i64 = 16;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(week))
        .routes(routes!(my_shifts))
        .routes(routes!(create_shift))
        .routes(routes!(update_shift, delete_shift))
        .routes(routes!(copy_week))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub position: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub notes: Option<String>,
    /// What is wrong with it: double-booked, short rest. Warnings, not refusals.
    pub conflicts: Vec<String>,
    /// Hours × the rate of its position, in minor units.
    pub projected_cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekView {
    /// The week's first local day.
    pub week_start: NaiveDate,
    pub shifts: Vec<ShiftView>,
    pub projected_hours: f64,
    /// Minor units.
    pub projected_cost: i64,
    pub conflicts: usize,
}

struct Place {
    tz: Tz,
    week_starts: Weekday,
    min_rest: Duration,
}

async fn place(state: &AppState, rid: Uuid) -> ApiResult<Place> {
    let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let s = store::settings(&state.db, rid).await?;
    Ok(Place {
        tz: restaurant_tz(&r)?,
        week_starts: s.week_starts.parse().unwrap_or(Weekday::Mon),
        min_rest: Duration::minutes(s.min_rest_minutes),
    })
}

/// The week's shifts with their conflicts (checked against the days around it too).
async fn week_view(state: &AppState, tx: &mut Tx, rid: Uuid, p: &Place, start: NaiveDate) -> ApiResult<WeekView> {
    let from = local_midnight(p.tz, start);
    let to = local_midnight(p.tz, start + Duration::days(7));
    let around = store::shifts_tx(tx, rid, from - Duration::days(1), to + Duration::days(1)).await?;
    let planned: Vec<Planned> =
        around.iter().map(|s| Planned { id: s.id, person: s.user_id, start: s.starts_at, end: s.ends_at }).collect();
    let mut problems = conflicts(&planned, p.min_rest);
    let names: HashMap<Uuid, String> =
        users::members(&state.db, rid, None, 10_000).await?.into_iter().map(|m| (m.user_id, m.name)).collect();
    let rates: HashMap<(Uuid, String), i64> = store::positions(&state.db, rid, None)
        .await?
        .into_iter()
        .map(|p| ((p.user_id, p.position), p.hourly_rate))
        .collect();
    let first_rate: HashMap<Uuid, i64> = {
        let mut m = HashMap::new();
        for ((u, _), r) in &rates {
            m.entry(*u).or_insert(*r);
        }
        m
    };
    let mut shifts = Vec::new();
    let (mut minutes, mut cost) = (0i64, 0i64);
    for s in around.into_iter().filter(|s| s.starts_at >= from && s.starts_at < to) {
        let rate = s
            .position
            .as_ref()
            .and_then(|pos| rates.get(&(s.user_id, pos.clone())))
            .or_else(|| first_rate.get(&s.user_id))
            .copied()
            .unwrap_or(0);
        let m = (s.ends_at - s.starts_at).num_minutes();
        let c = brigade_domain::money::div_half_up(i128::from(m.max(0)) * i128::from(rate), 60);
        minutes += m;
        cost += c as i64;
        shifts.push(ShiftView {
            id: s.id,
            user_id: s.user_id,
            name: names.get(&s.user_id).cloned().unwrap_or_default(),
            position: s.position,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            notes: s.notes,
            conflicts: problems.remove(&s.id).unwrap_or_default(),
            projected_cost: c as i64,
        });
    }
    let n = shifts.iter().filter(|s| !s.conflicts.is_empty()).count();
    Ok(WeekView {
        week_start: start,
        shifts,
        projected_hours: (minutes as f64 / 60.0 * 100.0).round() / 100.0,
        projected_cost: cost,
        conflicts: n,
    })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WeekParams {
    /// Any day of the week wanted (local date); default this week.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_date")]
    pub week: Option<NaiveDate>,
}

/// One of the signed-in person's own shifts (no costs: anyone on the staff sees their own).
#[derive(Debug, Serialize, ToSchema)]
pub struct MyShift {
    pub id: Uuid,
    pub position: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyShifts {
    /// From now, soonest first, for the next two weeks.
    pub items: Vec<MyShift>,
}

/// The signed-in person's own shifts from now for the next two weeks: what the staff
/// device shows after a PIN. 403 `user_only` for an API key (it works no shifts).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/schedule/mine", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = MyShifts), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn my_shifts(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<MyShifts>> {
    Ok(axum::Json(service::my_shifts(&actor, &state).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/schedule", tag = "staff", params(("rid" = Uuid, Path), WeekParams),
    responses((status = 200, body = WeekView), (status = 404)), security(("bearer" = [])))]
async fn week(
    State(state): State<AppState>,
    actor: Actor,
    Query(q): Query<WeekParams>,
) -> ApiResult<axum::Json<WeekView>> {
    Ok(axum::Json(service::week(&actor, &state, q).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShiftInput {
    pub user_id: Uuid,
    /// One of the person's positions; default none.
    pub position: Option<String>,
    #[serde(deserialize_with = "brigade_domain::when::instant")]
    pub starts_at: DateTime<Utc>,
    #[serde(deserialize_with = "brigade_domain::when::instant")]
    pub ends_at: DateTime<Utc>,
    pub notes: Option<String>,
}

async fn check_shift(state: &AppState, rid: Uuid, s: &mut ShiftRow, input: ShiftInput) -> ApiResult<()> {
    if users::member(&state.db, rid, input.user_id).await?.is_none() {
        return Err(ApiError::validation("user_id", "not a member of this restaurant"));
    }
    if input.ends_at <= input.starts_at {
        return Err(ApiError::validation("ends_at", "a shift ends after it starts"));
    }
    if input.ends_at - input.starts_at > Duration::hours(MAX_SHIFT_HOURS) {
        return Err(ApiError::validation("ends_at", format!("a shift is at most {MAX_SHIFT_HOURS} hours")));
    }
    let position = input.position.map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty());
    if let Some(pos) = &position {
        let theirs = store::positions(&state.db, rid, Some(input.user_id)).await?;
        if !theirs.iter().any(|p| &p.position == pos) {
            return Err(ApiError::validation("position", "not one of this person's positions"));
        }
    }
    s.user_id = input.user_id;
    s.position = position;
    s.starts_at = input.starts_at;
    s.ends_at = input.ends_at;
    s.notes = input.notes.map(|n| n.trim().chars().take(300).collect::<String>()).filter(|n| !n.is_empty());
    Ok(())
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/shifts", tag = "staff", params(("rid" = Uuid, Path)),
    request_body = ShiftInput,
    responses((status = 201, body = WeekView, description = "the shift's week"), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn create_shift(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<ShiftInput>,
) -> ApiResult<(StatusCode, axum::Json<WeekView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_shift(&actor, &state, body).await?)))
}

fn shift_payload(s: &ShiftRow) -> serde_json::Value {
    json!({ "user_id": s.user_id, "position": s.position, "starts_at": s.starts_at, "ends_at": s.ends_at })
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/shifts/{id}", tag = "staff", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body = ShiftInput,
    responses((status = 200, body = WeekView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_shift(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<ShiftInput>,
) -> ApiResult<axum::Json<WeekView>> {
    Ok(axum::Json(service::update_shift(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/shifts/{id}", tag = "staff", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_shift(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_shift(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CopyWeek {
    /// Any day of the week to copy (local date).
    #[serde(deserialize_with = "brigade_domain::when::date")]
    pub from_week: NaiveDate,
    /// Any day of the week to fill.
    #[serde(deserialize_with = "brigade_domain::when::date")]
    pub to_week: NaiveDate,
    /// Replace what the target week has; otherwise a week with shifts is 409.
    #[serde(default)]
    pub replace: bool,
}

/// Copies a week's shifts to another week at the same local times.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/schedule/copy", tag = "staff", params(("rid" = Uuid, Path)),
    request_body = CopyWeek,
    responses((status = 201, body = WeekView, description = "the filled week"), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn copy_week(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CopyWeek>,
) -> ApiResult<(StatusCode, axum::Json<WeekView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::copy_week(&actor, &state, body).await?)))
}
