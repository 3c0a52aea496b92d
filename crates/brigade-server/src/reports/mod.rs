//! Reports to keep or send: a business day's (its sales beside the same weekday a week
//! before, channels, dayparts, staff, items, and the close-out's tenders, voids, comps
//! and refunds) and any period's, as CSV or PDF (drawn by `pdf` with pdf-writer); the
//! daily report by email at a member's chosen time (`email`).

pub mod email;
pub mod pdf;
pub mod service;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(daily)).routes(routes!(period)).routes(routes!(
        get_daily_email,
        put_daily_email,
        delete_daily_email
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DailyParams {
    /// The business day, YYYY-MM-DD (today's when left out).
    #[param(value_type = Option<NaiveDate>)]
    pub date: Option<String>,
    /// pdf (the default) or csv.
    #[param(value_type = Option<crate::schema::DocumentFormat>)]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodReportParams {
    /// First business day, YYYY-MM-DD.
    #[param(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last business day, included; not before `from`, at most 3 years after it.
    #[param(value_type = NaiveDate)]
    pub to: Option<String>,
    /// pdf (the default) or csv.
    #[param(value_type = Option<crate::schema::DocumentFormat>)]
    pub format: Option<String>,
}

enum Format {
    Pdf,
    Csv,
}

fn format_of(f: Option<&str>) -> ApiResult<Format> {
    match f {
        None | Some("pdf") => Ok(Format::Pdf),
        Some("csv") => Ok(Format::Csv),
        Some(other) => Err(ApiError::validation("format", format!("'{other}' is not pdf or csv"))),
    }
}

fn render(state: &AppState, report: &service::Report, format: Format) -> Response {
    let tz: chrono_tz::Tz = report.timezone.parse().unwrap_or(chrono_tz::UTC);
    let made = state.clock.now().with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let (body, kind, ext) = match format {
        Format::Pdf => (service::pdf(report, &made), "application/pdf", "pdf"),
        Format::Csv => (service::csv(report).into_bytes(), "text/csv; charset=utf-8", "csv"),
    };
    let name = format!("attachment; filename=\"{}\"", report.file_name(ext));
    ([(header::CONTENT_TYPE, kind.to_owned()), (header::CONTENT_DISPOSITION, name)], body).into_response()
}

/// A business day's report: sales beside the same weekday a week before, by hour,
/// channel, type, daypart and staff; items; cash against card, voids, comps, refunds.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/reports/daily", tag = "analytics",
    params(("rid" = Uuid, Path), DailyParams),
    responses((status = 200, description = "the report", content((String = "application/pdf"), (String = "text/csv"))),
              (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn daily(State(state): State<AppState>, actor: Actor, Query(p): Query<DailyParams>) -> ApiResult<Response> {
    let format = format_of(p.format.as_deref())?;
    let date: NaiveDate = match p.date.as_deref() {
        Some(d) => brigade_domain::analytics::parse_date("date", d)?,
        None => crate::restaurants::service::business_today(&state, actor.rid()).await?,
    };
    let report = service::daily(&actor, &state, date).await?;
    Ok(render(&state, &report, format))
}

/// A period's report: sales beside the period just before, by day, channel, type,
/// daypart and staff; items and their menu-engineering classes.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/reports/period", tag = "analytics",
    params(("rid" = Uuid, Path), PeriodReportParams),
    responses((status = 200, description = "the report", content((String = "application/pdf"), (String = "text/csv"))),
              (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn period(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodReportParams>,
) -> ApiResult<Response> {
    let format = format_of(p.format.as_deref())?;
    let period = crate::analytics::service::period(p.from.as_deref(), p.to.as_deref())?;
    let report = service::period(&actor, &state, period).await?;
    Ok(render(&state, &report, format))
}

/// The signed-in member's daily report email: the local time it goes, where, and when
/// the next one goes.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/reports/daily-email", tag = "analytics",
    params(("rid" = Uuid, Path)),
    responses((status = 200, body = email::DailyEmailView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn get_daily_email(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<email::DailyEmailView>> {
    Ok(axum::Json(email::get(&actor, &state).await?))
}

/// Sends the signed-in member the last business day's report (its figures in the text,
/// the PDF attached) every day at a local time. 409 `mail_unavailable` when the server
/// has no SMTP relay or the member no email address.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/reports/daily-email", tag = "analytics",
    params(("rid" = Uuid, Path)), request_body = email::DailyEmailInput,
    responses((status = 200, body = email::DailyEmailView), (status = 403), (status = 404), (status = 409),
              (status = 422)),
    security(("bearer" = [])))]
async fn put_daily_email(
    State(state): State<AppState>,
    actor: Actor,
    crate::extract::Json(input): crate::extract::Json<email::DailyEmailInput>,
) -> ApiResult<axum::Json<email::DailyEmailView>> {
    Ok(axum::Json(email::set(&actor, &state, input).await?))
}

/// Stops the signed-in member's daily report email.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/reports/daily-email", tag = "analytics",
    params(("rid" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
async fn delete_daily_email(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::http::StatusCode> {
    email::stop(&actor, &state).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
