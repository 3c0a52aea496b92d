//! Messages to guests: texts through the restaurant's Twilio number (an integration,
//! `{"platform": "twilio", "store_id": "+1…"}`), email through the server's SMTP relay
//! (`--smtp-url`, `--mail-from`). An order that asked for updates hears when it is ready
//! and gets its receipt; a refused platform order is told; staff write to a guest
//! (marketing only to those who agreed). Each message is a row of the delivery log and a
//! job that sends it with retries; a number that replied STOP is never texted again.

pub mod mail;
pub mod service;
pub mod twilio;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.register::<service::SendMessage>();
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, send))
        .routes(routes!(templates))
        .routes(routes!(set_template, reset_template))
}

/// One message of the delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    /// `sms` or `email`.
    pub channel: String,
    /// `order_ready`, `receipt`, `order_refused`, `marketing`, `direct`.
    pub kind: String,
    /// The number or address, masked.
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    /// `queued` (waiting, or retrying after `error`), `sent`, `failed`, `suppressed` (not
    /// sent: the number replied STOP, consent was withdrawn, the guest was erased).
    pub status: String,
    pub attempts: i64,
    pub error: Option<String>,
    /// Twilio's message SID, or the mail relay's answer.
    pub provider_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message staff write to one guest.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageInput {
    pub customer_id: Uuid,
    /// `direct` (about their visit: any guest) or `marketing` (only a guest who agreed;
    /// owners and managers).
    #[schema(example = "direct")]
    pub kind: String,
    /// `sms` or `email`; left out: whichever reaches them (a text first).
    pub channel: Option<String>,
    /// For an email.
    #[schema(max_length = 200)]
    pub subject: Option<String>,
    #[schema(min_length = 1, max_length = 1600)]
    pub body: String,
}

/// A restaurant's words for one kind of message. `{restaurant}`, `{name}`, `{number}`,
/// `{total}`, `{link}`, `{platform}` and `{data_link}` are filled in (`{lines}` too, in
/// a receipt's email).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageTemplate {
    /// `order_ready`, `receipt` or `order_refused`.
    pub kind: String,
    pub sms: String,
    pub email_subject: String,
    pub email_body: String,
    /// The restaurant's own words (false: Brigade's).
    pub custom: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageTemplateInput {
    #[schema(min_length = 1, max_length = 640)]
    pub sms: String,
    #[schema(min_length = 1, max_length = 200)]
    pub email_subject: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub email_body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageTemplateList {
    pub items: Vec<MessageTemplate>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LogParams {
    /// Only this guest's messages.
    pub customer_id: Option<Uuid>,
    /// Only this order's.
    pub order_id: Option<Uuid>,
    /// How many (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<Uuid>)]
    pub cursor: Option<String>,
}

/// The delivery log, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/messages", tag = "customers",
    params(("rid" = Uuid, Path), LogParams),
    responses((status = 200, body = Page<MessageView>), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<LogParams>,
) -> ApiResult<axum::Json<Page<MessageView>>> {
    let page = PageParams { limit: p.limit, cursor: p.cursor };
    let limit = page.limit()?;
    let items = service::list(&actor, &state, p.customer_id, p.order_id, page.cursor_uuid()?, limit).await?;
    let next_cursor = (items.len() as i64 == limit).then(|| items.last().map(|m| m.id.to_string())).flatten();
    Ok(axum::Json(Page { items, next_cursor }))
}

/// Writes to a guest; the message is queued and sent by a job (see its `status`).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/messages", tag = "customers", params(("rid" = Uuid, Path)),
    request_body = MessageInput,
    responses((status = 202, body = MessageView), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn send(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<MessageInput>,
) -> ApiResult<(StatusCode, axum::Json<MessageView>)> {
    Ok((StatusCode::ACCEPTED, axum::Json(service::send(&actor, &state, body).await?)))
}

/// The restaurant's message templates (its own, or Brigade's).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/messages/templates", tag = "customers", params(("rid" = Uuid, Path)),
    responses((status = 200, body = MessageTemplateList), (status = 403)), security(("bearer" = [])))]
async fn templates(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<MessageTemplateList>> {
    Ok(axum::Json(MessageTemplateList { items: service::templates(&actor, &state).await? }))
}

/// Sets the restaurant's words for a kind of message.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/messages/templates/{kind}", tag = "customers",
    params(("rid" = Uuid, Path), ("kind" = String, Path, description = "order_ready, receipt or order_refused")),
    request_body = MessageTemplateInput,
    responses((status = 200, body = MessageTemplate), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn set_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, String)>,
    Json(body): Json<MessageTemplateInput>,
) -> ApiResult<axum::Json<MessageTemplate>> {
    Ok(axum::Json(service::set_template(&actor, &state, &ids.1, Some(body)).await?))
}

/// Goes back to Brigade's words for a kind of message.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/messages/templates/{kind}", tag = "customers",
    params(("rid" = Uuid, Path), ("kind" = String, Path)),
    responses((status = 200, body = MessageTemplate), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn reset_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, String)>,
) -> ApiResult<axum::Json<MessageTemplate>> {
    Ok(axum::Json(service::set_template(&actor, &state, &ids.1, None).await?))
}
