//! The phone agent: callers order by voice on the restaurant's Twilio number. A line is
//! a Twilio integration (`store_id` the number, `config.forward_to` the restaurant's own
//! line for handoffs); its webhook URL is the number's "A call comes in" webhook, and
//! every request on it is signed (`X-Twilio-Signature`, checked in
//! `integrations::inbound`) before it reaches [`service::voice`]. Staff read the calls
//! (`…/phone/calls`), each with its transcript; the live calls panel follows the
//! `phone.*` events.

pub mod service;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Page, PageParams, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(calls)).routes(routes!(call)).routes(routes!(status, status_callback))
}

/// Where Twilio sends a line's calls and every turn of them: the integration's webhook
/// (`integrations::webhook_url`, which hands calls to this module; spelled here too, as
/// the phone sits below the integrations).
pub(crate) fn action_url(state: &AppState, row: &brigade_store::integrations::IntegrationRow) -> String {
    format!("{}/v1/hooks/twilio/{}", state.config.public_base_url.trim_end_matches('/'), row.id)
}

/// Where Twilio sends a restaurant's call status callbacks (the signature is over it).
pub(crate) fn status_url(state: &AppState, rid: Uuid) -> String {
    format!("{}/v1/restaurants/{rid}/phone/status", state.config.public_base_url.trim_end_matches('/'))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TurnView {
    /// `caller` or `agent`.
    pub speaker: String,
    pub text: String,
    /// The recogniser's confidence in what the caller said (0 to 1).
    pub confidence: Option<f64>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallView {
    pub id: Uuid,
    /// The caller's number: whole for roles that see guests' contacts, else masked.
    pub caller: Option<String>,
    /// The number they dialled.
    pub to: String,
    pub customer_id: Option<Uuid>,
    /// `in_progress`, `ended`.
    pub status: String,
    /// `ordered`, `handed_off`, `abandoned`, `question`; null while the call goes on.
    pub outcome: Option<String>,
    /// The order the call placed.
    pub order_id: Option<Uuid>,
    /// The order as understood so far ("2 Burritos with Chicken").
    pub understood: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    /// When the call last changed (a turn, its end).
    pub updated_at: DateTime<Utc>,
    /// Turn by turn (on the single call only).
    pub turns: Vec<TurnView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineStatus {
    pub integration_id: Uuid,
    pub number: String,
    /// Paste into Twilio as the number's voice webhook ("A call comes in").
    pub webhook_url: String,
    /// Paste into Twilio as the number's "Call status changes" callback: the length of
    /// each call, and the end of one the caller hung up.
    pub status_callback_url: String,
    pub forward_to: Option<String>,
    /// Credentials and a number to hand calls to are set.
    pub configured: bool,
    /// Twilio answered for the account just now.
    pub reachable: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneStatus {
    pub lines: Vec<LineStatus>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct CallFilter {
    /// `in_progress`: only the calls going on now (the live calls panel), heard from in
    /// the last ten minutes.
    pub status: Option<CallStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    InProgress,
}

/// The restaurant's calls, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/phone/calls", tag = "phone",
    params(("rid" = Uuid, Path), PageParams, CallFilter),
    responses((status = 200, body = inline(Page<CallView>)), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn calls(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PageParams>,
    Query(f): Query<CallFilter>,
) -> ApiResult<axum::Json<Page<CallView>>> {
    let limit = p.limit()?;
    let live = f.status == Some(CallStatus::InProgress);
    let rows = service::calls(&actor, &state, p.cursor_uuid()?, live, limit + 1).await?;
    Ok(axum::Json(Page::from_rows(rows, limit, |c| c.id.to_string(), |c| c)))
}

/// One call with its transcript.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/phone/calls/{id}", tag = "phone",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CallView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn call(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<CallView>> {
    Ok(axum::Json(service::call(&actor, &state, ids.1).await?))
}

/// Whether each phone line is configured and Twilio answers for it.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/phone/status", tag = "phone", params(("rid" = Uuid, Path)),
    responses((status = 200, body = PhoneStatus), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn status(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<PhoneStatus>> {
    Ok(axum::Json(service::status(&actor, &state).await?))
}

/// Twilio's call status callback (the number's "Call status changes"): form-encoded,
/// signed like every Twilio webhook with the auth token of the line called (`To`). A
/// call that ended is closed with its duration; one that ended mid-order is `abandoned`
/// and nothing is placed. 403 when unsigned or forged (logged).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/phone/status", tag = "phone", params(("rid" = Uuid, Path)),
    request_body(content = String, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204), (status = 403, description = "unsigned or forged"), (status = 404)))]
async fn status_callback(
    State(state): State<AppState>,
    Path(rid): Path<Uuid>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let params: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let to = params.iter().find(|(k, _)| k == "To").map(|(_, v)| v.as_str()).unwrap_or_default();
    let digits = |n: &str| n.chars().filter(char::is_ascii_digit).collect::<String>();
    let rows = brigade_store::integrations::list(&state.db, rid).await.map_err(ApiError::from)?;
    let row = rows.into_iter().find(|r| r.platform == "twilio" && digits(&r.store_id) == digits(to));
    let Some(row) = row else { return Err(ApiError::not_found("phone line")) };
    let signature = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(twilio) = crate::messages::twilio::Twilio::of(&state, &row) else {
        return Err(ApiError::forbidden("this line's Twilio credentials cannot be opened; enter them again"));
    };
    let token = twilio.credentials.auth_token;
    let mut url = status_url(&state, rid);
    if let Some(q) = query {
        url = format!("{url}?{q}");
    }
    if !brigade_domain::integration::verify_twilio(&token, &url, &params, signature) {
        tracing::warn!(integration_id = %row.id, "a phone status callback refused: the X-Twilio-Signature does not match");
        return Err(ApiError::forbidden("the X-Twilio-Signature does not match"));
    }
    service::ended(&state, &row, &params).await?;
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}
