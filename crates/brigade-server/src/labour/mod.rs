//! Staff and the time clock: positions and hourly rates, clocking in and out (with paid
//! and unpaid breaks), manager edits that keep the original and approval, overtime by
//! the restaurant's rules in its time zone, live labour against sales, and payroll.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, Path, Query};
use crate::restaurants::restaurant_tz;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use brigade_domain::labour::{OvertimeRules, Split, Worked};
use brigade_domain::money::Money;
use brigade_store::labour::{self as store, EntryRow, SettingsRow};
use brigade_store::{restaurants, users};
use chrono::{DateTime, Duration, Utc, Weekday};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// An entry open longer than this was probably never clocked out: a manager should look.
const FORGOTTEN_AFTER_HOURS: i64 = 16;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(get_positions, put_positions))
        .routes(routes!(clock_in))
        .routes(routes!(clock_out))
        .routes(routes!(start_break))
        .routes(routes!(end_break))
        .routes(routes!(my_clock))
        .routes(routes!(list_entries))
        .routes(routes!(edit_entry))
        .routes(routes!(approve_entry))
        .routes(routes!(labour_now))
        .routes(routes!(payroll))
}

fn self_user(actor: &Actor) -> ApiResult<Uuid> {
    actor.user_id().map(|u| u.0).ok_or_else(|| ApiError::Forbidden {
        code: crate::error::ErrorCode::UserOnly,
        message: "people clock in and out themselves; an API key cannot".into(),
    })
}

// ---------------------------------------------------------------- settings

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LabourSettings {
    /// Regular hours a week before overtime (default 40).
    #[schema(minimum = 0.01, maximum = 168.0)]
    pub weekly_overtime_hours: f64,
    /// Regular hours a day before overtime, where the law says so (e.g. 8); null for none.
    #[schema(minimum = 0.01, maximum = 24.0)]
    pub daily_overtime_hours: Option<f64>,
    /// Hours a day after which time is double (e.g. 12); null for none.
    #[schema(minimum = 0.01, maximum = 24.0)]
    pub daily_double_time_hours: Option<f64>,
    /// The first day of the pay week: Mon … Sun.
    #[schema(value_type = schema::WeekStart)]
    pub week_starts: String,
    /// The schedule flags less rest than this between two shifts (default 8).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 24.0)]
    pub min_rest_hours: Option<f64>,
}

pub(crate) fn rules_of(s: &SettingsRow) -> OvertimeRules {
    OvertimeRules {
        weekly: s.weekly_minutes,
        daily: s.daily_minutes,
        daily_double: s.double_minutes,
        week_starts: s.week_starts.parse().unwrap_or(Weekday::Mon),
    }
}

fn settings_view(s: &SettingsRow) -> LabourSettings {
    LabourSettings {
        weekly_overtime_hours: s.weekly_minutes as f64 / 60.0,
        daily_overtime_hours: s.daily_minutes.map(|m| m as f64 / 60.0),
        daily_double_time_hours: s.double_minutes.map(|m| m as f64 / 60.0),
        week_starts: s.week_starts.clone(),
        min_rest_hours: Some(s.min_rest_minutes as f64 / 60.0),
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/labour/settings", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = LabourSettings), (status = 404)), security(("bearer" = [])))]
async fn get_settings(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<LabourSettings>> {
    Ok(axum::Json(service::settings(&actor, &state).await?))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/labour/settings", tag = "staff", params(("rid" = Uuid, Path)),
    request_body = LabourSettings,
    responses((status = 200, body = LabourSettings), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn put_settings(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<LabourSettings>,
) -> ApiResult<axum::Json<LabourSettings>> {
    Ok(axum::Json(service::update_settings(&actor, &state, body).await?))
}

// ---------------------------------------------------------------- positions

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
pub struct PositionRate {
    /// e.g. server, line cook, host
    #[schema(value_type = schema::Name)]
    pub position: String,
    /// Per hour, in minor units.
    #[schema(minimum = 0)]
    pub hourly_rate: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Positions {
    pub positions: Vec<PositionRate>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/users/{uid}/positions", tag = "staff",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)),
    responses((status = 200, body = Positions), (status = 404)), security(("bearer" = [])))]
async fn get_positions(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<Positions>> {
    Ok(axum::Json(service::positions(&actor, &state, ids.1).await?))
}

/// What a member works as here, and the hourly rate of each.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/users/{uid}/positions", tag = "staff",
    params(("rid" = Uuid, Path), ("uid" = Uuid, Path)), request_body = Positions,
    responses((status = 200, body = Positions), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn put_positions(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<Positions>,
) -> ApiResult<axum::Json<Positions>> {
    Ok(axum::Json(service::set_positions(&actor, &state, ids.1, body).await?))
}

// ---------------------------------------------------------------- the clock

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakView {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub paid: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub position: Option<String>,
    pub hourly_rate: i64,
    pub clock_in: DateTime<Utc>,
    pub clock_out: Option<DateTime<Utc>>,
    pub breaks: Vec<BreakView>,
    /// Paid minutes so far (open entries count until now).
    pub worked_minutes: i64,
    /// Open far too long: the clock-out was probably forgotten.
    pub flagged: bool,
    /// The entry as clocked, when a manager has edited it.
    #[schema(value_type = Option<Object>)]
    pub original: Option<serde_json::Value>,
    pub edit_reason: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
}

pub(crate) fn worked_of(e: &EntryRow, now: DateTime<Utc>) -> Worked {
    worked_between(e.clock_in, e.clock_out, &e.breaks.0, now)
}

/// Time from clock-in to clock-out (or `now` while open), unpaid breaks out.
pub(crate) fn worked_between(
    clock_in: DateTime<Utc>,
    clock_out: Option<DateTime<Utc>>,
    breaks: &[brigade_store::labour::Break],
    now: DateTime<Utc>,
) -> Worked {
    let end = clock_out.unwrap_or(now);
    Worked {
        start: clock_in,
        end,
        unpaid: breaks.iter().filter(|b| !b.paid).map(|b| (b.start, b.end.unwrap_or(end))).collect(),
    }
}

pub(crate) fn entry_view(e: EntryRow, name: String, now: DateTime<Utc>) -> EntryView {
    let w = worked_of(&e, now);
    let mut secs = (w.end - w.start).num_seconds();
    for (a, b) in &w.unpaid {
        secs -= (*b - *a).num_seconds().max(0);
    }
    EntryView {
        id: e.id,
        user_id: e.user_id,
        name,
        position: e.position,
        hourly_rate: e.hourly_rate,
        clock_in: e.clock_in,
        clock_out: e.clock_out,
        breaks: e.breaks.0.iter().map(|b| BreakView { start: b.start, end: b.end, paid: b.paid }).collect(),
        worked_minutes: secs.max(0) / 60,
        flagged: e.clock_out.is_none() && now - e.clock_in > Duration::hours(FORGOTTEN_AFTER_HOURS),
        original: e.original.map(|o| json!(o.0)),
        edit_reason: e.edit_reason,
        approved_by: e.approved_by,
        approved_at: e.approved_at,
    }
}

pub(crate) async fn names(state: &AppState, rid: Uuid) -> ApiResult<HashMap<Uuid, String>> {
    Ok(users::members(&state.db, rid, None, 10_000).await?.into_iter().map(|m| (m.user_id, m.name)).collect())
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ClockInInput {
    /// One of the person's positions here; default their only (or first) one.
    pub position: Option<String>,
}

/// Clocks the signed-in person in. Already clocked in is 409.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/time-clock/clock-in", tag = "staff", params(("rid" = Uuid, Path)),
    request_body(content = Option<ClockInInput>, description = "optional"),
    responses((status = 201, body = EntryView), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn clock_in(
    State(state): State<AppState>,
    actor: Actor,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, axum::Json<EntryView>)> {
    let body: ClockInInput = crate::extract::parse_optional_json(&body)?;
    Ok((StatusCode::CREATED, axum::Json(service::clock_in(&actor, &state, body).await?)))
}

/// Clocks the signed-in person out (ending a break still open).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/time-clock/clock-out", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = EntryView), (status = 409)), security(("bearer" = [])))]
async fn clock_out(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<EntryView>> {
    Ok(axum::Json(service::clock_out(&actor, &state).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct BreakInput {
    /// Paid breaks count as worked time; unpaid ones do not.
    pub paid: bool,
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/time-clock/break", tag = "staff", params(("rid" = Uuid, Path)),
    request_body = BreakInput, responses((status = 200, body = EntryView), (status = 409)), security(("bearer" = [])))]
async fn start_break(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<BreakInput>,
) -> ApiResult<axum::Json<EntryView>> {
    Ok(axum::Json(service::start_break(&actor, &state, body.paid).await?))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/time-clock/break/end", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = EntryView), (status = 409)), security(("bearer" = [])))]
async fn end_break(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<EntryView>> {
    Ok(axum::Json(service::end_break(&actor, &state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MyClock {
    /// The open entry, if clocked in.
    pub entry: Option<EntryView>,
    pub positions: Vec<PositionRate>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/time-clock/me", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = MyClock), (status = 404)), security(("bearer" = [])))]
async fn my_clock(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<MyClock>> {
    Ok(axum::Json(service::my_clock(&actor, &state).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodParams {
    /// Start (inclusive); default the start of this pay week.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub to: Option<DateTime<Utc>>,
    pub user_id: Option<Uuid>,
    /// payroll: `json` (default) or `csv`.
    #[param(value_type = Option<schema::ReportFormat>)]
    pub format: Option<String>,
}

async fn period(state: &AppState, rid: Uuid, p: &PeriodParams) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let now = state.clock.now();
    let to = p.to.unwrap_or(now + Duration::microseconds(1));
    let from = match p.from {
        Some(f) => f,
        None => {
            let r = restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
            let tz = restaurant_tz(&r)?;
            let s = store::settings(&state.db, rid).await?;
            let week = brigade_domain::labour::week_of(now.with_timezone(&tz).date_naive(), rules_of(&s).week_starts);
            brigade_domain::labour::local_midnight(tz, week)
        }
    };
    if from >= to || to - from > Duration::days(93) {
        return Err(ApiError::validation("from", "a period of up to 93 days, from before to"));
    }
    Ok((from, to))
}

/// Time entries in a period (managers see everyone; others only themselves).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/time-entries", tag = "staff", params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = Page<EntryView>), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_entries(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<Page<EntryView>>> {
    Ok(axum::Json(Page { items: service::entries(&actor, &state, &p).await?, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
pub struct EntryEdit {
    #[serde(deserialize_with = "brigade_domain::when::instant")]
    pub clock_in: DateTime<Utc>,
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub clock_out: Option<DateTime<Utc>>,
    #[serde(default)]
    pub breaks: Vec<BreakEdit>,
    /// Why: kept with the entry and in the audit log.
    #[schema(value_type = schema::Reason, max_length = 500)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct BreakEdit {
    #[serde(deserialize_with = "brigade_domain::when::instant")]
    pub start: DateTime<Utc>,
    #[serde(deserialize_with = "brigade_domain::when::instant")]
    pub end: DateTime<Utc>,
    pub paid: bool,
}

/// A manager corrects an entry (a forgotten clock-out, a wrong break). The entry as
/// clocked is kept; the edit is audited and takes back any approval.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/time-entries/{id}", tag = "staff",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = EntryEdit,
    responses((status = 200, body = EntryView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn edit_entry(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<EntryEdit>,
) -> ApiResult<axum::Json<EntryView>> {
    Ok(axum::Json(service::edit_entry(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/time-entries/{id}/approve", tag = "staff",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = EntryView), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn approve_entry(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<EntryView>> {
    Ok(axum::Json(service::approve_entry(&actor, &state, ids.1).await?))
}

// ---------------------------------------------------------------- live labour and payroll

#[derive(Debug, Serialize, ToSchema)]
pub struct OnTheClock {
    pub user_id: Uuid,
    pub name: String,
    pub position: Option<String>,
    pub since: DateTime<Utc>,
    pub on_break: bool,
    pub worked_minutes: i64,
    /// Pay for today's time so far, in minor units.
    pub cost_so_far: i64,
    /// Minutes this pay week including this shift so far.
    pub week_minutes: i64,
    /// The weekly threshold falls within the next two hours of this shift.
    pub overtime_soon: bool,
    pub in_overtime: bool,
    pub flagged: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabourNow {
    pub business_day: chrono::NaiveDate,
    pub on_the_clock: Vec<OnTheClock>,
    /// Pay for everyone's time today so far (open and closed entries), minor units.
    pub labour_cost: i64,
    /// Sales today so far (not cancelled), minor units.
    pub sales: i64,
    /// Labour cost over sales, percent; null before the first sale.
    pub labour_percent: Option<f64>,
}

/// Who is on the clock, labour cost today against sales, and who is near overtime.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/labour/now", tag = "staff", params(("rid" = Uuid, Path)),
    responses((status = 200, body = LabourNow), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn labour_now(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<LabourNow>> {
    Ok(axum::Json(service::now(&actor, &state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PayrollLine {
    pub user_id: Uuid,
    pub name: String,
    pub regular_hours: f64,
    pub overtime_hours: f64,
    pub double_time_hours: f64,
    /// Minor units.
    pub pay: i64,
    /// Entries still open, or not approved, in the period.
    pub unapproved_entries: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Payroll {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub currency: String,
    pub lines: Vec<PayrollLine>,
    pub total_pay: i64,
}

/// Regular, overtime and double-time hours and pay per person for a period (whole pay
/// weeks give the right weekly overtime), as JSON or CSV (`format=csv`).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/payroll", tag = "staff", params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, description = "the payroll; CSV with `format=csv`",
               content((Payroll = "application/json"), (String = "text/csv"))),
              (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn payroll(State(state): State<AppState>, actor: Actor, Query(p): Query<PeriodParams>) -> ApiResult<Response> {
    let report = service::payroll(&actor, &state, &p).await?;
    if p.format.as_deref().is_some_and(|f| !matches!(f, "json" | "csv")) {
        return Err(ApiError::validation("format", "json or csv"));
    }
    if p.format.as_deref() == Some("csv") {
        let mut csv = String::from(
            "user_id,name,regular_hours,overtime_hours,double_time_hours,pay,currency,unapproved_entries\n",
        );
        for l in &report.lines {
            csv += &format!(
                "{},{},{:.2},{:.2},{:.2},{},{},{}\n",
                l.user_id,
                crate::extract::csv_field(&l.name),
                l.regular_hours,
                l.overtime_hours,
                l.double_time_hours,
                Money(l.pay),
                report.currency,
                l.unapproved_entries
            );
        }
        let mut res = csv.into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        res.headers_mut()
            .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"payroll.csv\""));
        return Ok(res);
    }
    Ok(axum::Json(report).into_response())
}

fn hours(s: &Split, f: impl Fn(&Split) -> i64) -> f64 {
    (f(s) as f64 / 60.0 * 100.0).round() / 100.0
}
