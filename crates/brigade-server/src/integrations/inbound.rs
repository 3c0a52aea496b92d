//! Webhooks from platforms: `POST /v1/hooks/{platform}/{integration_id}`.
//!
//! Each integration has its own address, given to the platform when it is connected. A
//! webhook is logged (`inbound_webhooks`) whatever becomes of it, then:
//! - its signature is checked against the raw body with the integration's secret; an
//!   unsigned or forged one is refused (401) and nothing else is read from it;
//! - its event id is claimed once (a unique index over events acted on): a copy of an
//!   event already taken is logged as `replayed` and answered 200 without doing anything,
//!   so a platform retrying after a lost answer stops, and a replay changes nothing;
//! - a new order is read from the platform when the webhook only names it, mapped onto
//!   the menu by the external ids we gave the items (Brigade's item ids), and placed
//!   through the one order path with the idempotency key `{platform}:{order id}`, so the
//!   same order is never taken twice however it arrives. The options chosen map back
//!   the same way (Brigade's option ids) and are priced as Brigade prices them; options
//!   that do not map, or that no longer fit the item's groups, reach the kitchen as
//!   words on the line instead of refusing a paid order. An item Brigade has 86'd is
//!   still taken (the guest paid), its line flagged for the kitchen. Then the order is
//!   accepted back on the platform; an order Brigade cannot map is denied back, saying
//!   why;
//! - a platform that cannot be reached while taking an order gets a 503 and sends the
//!   webhook again; what was done before (the order placed) is not done twice.

use super::platform::{Adapter, PlatformError, PlatformOrder, Refusal, WebhookKind};
use super::{adapter, stripe};
use crate::actor::Actor;
use crate::error::{error_body, ApiError, ApiResult};
use crate::extract::{Path, Query};
use crate::orders::service::transition;
use crate::orders::{place_order, CustomerInput, LineInput, OrderInput, Placer};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use brigade_domain::integration::Platform;
use brigade_domain::order::OrderStatus;
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::integrations::{self as store, InboundRow, IntegrationRow};
use brigade_store::orders as order_store;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive)).routes(routes!(list_inbound))
}

/// How much of a webhook's body is kept in the log.
const KEPT_BODY: usize = 4000;
/// A webhook left `processing` this long was abandoned by a process that stopped.
const ABANDONED_AFTER: i64 = 5;

#[derive(Serialize, ToSchema)]
pub struct HookAnswer {
    /// processed, duplicate, denied, ignored, replayed.
    pub outcome: String,
    pub order_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// What became of one webhook.
pub(crate) struct Done {
    pub outcome: &'static str,
    pub reason: Option<String>,
    pub external_order_id: Option<String>,
    pub order_id: Option<Uuid>,
}

impl Done {
    pub(crate) fn new(outcome: &'static str) -> Done {
        Done { outcome, reason: None, external_order_id: None, order_id: None }
    }
}

/// Why a webhook could not be finished now: the platform should send it again.
pub(crate) struct Retry {
    pub status: StatusCode,
    pub reason: String,
    pub external_order_id: Option<String>,
    pub order_id: Option<Uuid>,
}

impl Retry {
    fn platform(e: PlatformError, what: &str, external: &str, order_id: Option<Uuid>) -> Retry {
        Retry {
            status: StatusCode::SERVICE_UNAVAILABLE,
            reason: format!("{what}: {e}"),
            external_order_id: Some(external.to_owned()),
            order_id,
        }
    }

    fn ours(e: ApiError, external: Option<&str>) -> Retry {
        Retry {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            reason: format!("Brigade could not finish: {e}"),
            external_order_id: external.map(str::to_owned),
            order_id: None,
        }
    }
}

fn kept(body: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(body);
    Some(s.chars().take(KEPT_BODY).collect())
}

fn answer(status: StatusCode, code: crate::error::ErrorCode, message: &str) -> Response {
    (status, axum::Json(error_body(code, message, json!({})))).into_response()
}

/// Receives a platform's webhook (no bearer token: the signature is the proof). Answers
/// 200 once the event is handled (or was handled before), 401 when the signature is
/// missing or wrong, 404 for an address that names no integration, 503/500 when the
/// platform should send it again.
#[utoipa::path(post, path = "/v1/hooks/{platform}/{id}", tag = "integrations",
    params(("platform" = String, Path, description = "ubereats, doordash, grubhub, square or stripe"),
           ("id" = Uuid, Path, description = "the integration")),
    request_body(content = Object, description = "the platform's webhook, as it sends it"),
    responses((status = 200, body = HookAnswer), (status = 400, description = "a body that cannot be read"),
              (status = 401, description = "unsigned, forged or stale: refused and logged"), (status = 404),
              (status = 500), (status = 503, description = "the platform could not be reached; send it again")))]
async fn receive(
    State(state): State<AppState>,
    Path((platform, id)): Path<(String, Uuid)>,
    axum::Extension(crate::ops::ClientIp(ip)): axum::Extension<crate::ops::ClientIp>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let row = store::by_id(&state.db, id).await?.filter(|r| r.platform == platform);
    let Some(row) = row else { return Err(ApiError::not_found("integration")) };
    let kind = Platform::parse("platform", &row.platform)?;
    let now = state.clock.now();
    let log = |outcome: &str, reason: Option<String>| entry(&row, outcome, reason, &body, now);
    if kind == Platform::Stripe {
        return stripe::receive(&state, &row, ip, &headers, &body, now).await;
    }
    if kind == Platform::Twilio {
        return twilio(&state, &row, ip, query.as_deref(), &headers, &body, now).await;
    }
    let adapter = adapter(&state, &row).map_err(ApiError::from)?;
    if let Err(refusal) = adapter.verify_webhook(&headers, &body, now.timestamp()) {
        let reason = refusal.to_string();
        tracing::warn!(integration_id = %row.id, platform = %row.platform, %reason, "webhook refused");
        log_refusal(&state, log("refused", Some(reason.clone())), ip).await?;
        let status = if refusal == Refusal::Unsupported { StatusCode::NOT_FOUND } else { StatusCode::UNAUTHORIZED };
        return Ok(answer(status, crate::error::ErrorCode::SignatureInvalid, &format!("webhook refused: {reason}")));
    }
    let hook = match adapter.parse_webhook(&crate::extract::scrubbed_json(&body)) {
        Ok(h) => h,
        Err(e) => {
            log_refusal(&state, log("refused", Some(e.clone())), ip).await?;
            return Ok(answer(
                StatusCode::BAD_REQUEST,
                crate::error::ErrorCode::BadRequest,
                &format!("the webhook could not be read: {e}"),
            ));
        }
    };
    let mut entry = log("processing", None);
    entry.event_id = Some(hook.event_id.clone());
    entry.event_type = Some(hook.event_type.clone());
    entry.completed_at = None;
    if let WebhookKind::OrderPlaced { order_id, .. }
    | WebhookKind::OrderCancelled { order_id, .. }
    | WebhookKind::Paid { order_id } = &hook.kind
    {
        entry.external_order_id = Some(order_id.clone());
    }
    if !claim(&state, &entry, now).await? {
        tracing::info!(integration_id = %row.id, event_id = %hook.event_id, "webhook replayed; ignored");
        return replayed(&state, &entry, now).await;
    }
    let result = match hook.kind {
        WebhookKind::OrderPlaced { order_id, order } => {
            take_order(&state, &row, kind, adapter.as_ref(), &order_id, order.map(|o| *o)).await
        }
        WebhookKind::OrderCancelled { order_id, reason } => {
            cancel_order(&state, &row, kind, &order_id, reason.as_deref()).await
        }
        WebhookKind::Paid { order_id } => mark_paid(&state, &row, kind, &order_id).await,
        WebhookKind::Other => Ok(Done::new("ignored")),
    };
    let finished = state.clock.now();
    match result {
        Ok(done) => {
            log_finish(
                &state,
                row.restaurant_id,
                entry.id,
                done.outcome,
                done.reason.as_deref(),
                done.external_order_id.as_deref(),
                done.order_id,
                finished,
            )
            .await?;
            Ok(ok(&done))
        }
        Err(retry) => {
            tracing::warn!(integration_id = %row.id, event_id = %hook.event_id, reason = %retry.reason, "webhook failed; the platform will send it again");
            log_finish(
                &state,
                row.restaurant_id,
                entry.id,
                "failed",
                Some(&retry.reason),
                retry.external_order_id.as_deref(),
                retry.order_id,
                finished,
            )
            .await?;
            Ok(answer(retry.status, crate::error::ErrorCode::TryAgain, &retry.reason))
        }
    }
}

/// Claims an event for acting on; false when it was (or is being) acted on already. An
/// event left `processing` by a process that stopped is given up and claimed anew.
pub(crate) async fn claim(state: &AppState, entry: &InboundRow, now: DateTime<Utc>) -> ApiResult<bool> {
    if log_insert(state, entry).await? {
        return Ok(true);
    }
    let event = entry.event_id.as_deref().unwrap_or_default();
    let mut tx = state.db.begin(entry.restaurant_id).await?;
    let abandoned =
        store::abandon_inbound(&mut tx, entry.integration_id, event, now - Duration::minutes(ABANDONED_AFTER)).await?;
    tx.commit().await?;
    if abandoned {
        return log_insert(state, entry).await;
    }
    Ok(false)
}

/// Logs a webhook in its own transaction; false when its event was claimed before.
/// Refused webhooks' log entries kept per integration (the count goes on), and how much
/// of a refused body each keeps.
const KEPT_REFUSALS: i64 = 20;
const KEPT_REFUSED_BODY: usize = 512;

/// Logs a refused webhook: counted on its integration, the entry kept among the last few,
/// and no more than a source's share (`Limits::refusal_to_log`) written at all.
pub(crate) async fn log_refusal(state: &AppState, mut entry: InboundRow, ip: std::net::IpAddr) -> ApiResult<()> {
    let Some(n) = state.limits.refusal_to_log(entry.integration_id, ip, entry.received_at) else {
        return Ok(());
    };
    entry.outcome = "refused".into();
    entry.payload = entry.payload.map(|p| p.chars().take(KEPT_REFUSED_BODY).collect());
    let mut tx = state.db.begin(entry.restaurant_id).await?;
    store::insert_inbound(&mut tx, &entry).await?;
    store::count_refused(&mut tx, entry.integration_id, n, KEPT_REFUSALS, entry.received_at).await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn log_insert(state: &AppState, entry: &InboundRow) -> ApiResult<bool> {
    let mut tx = state.db.begin(entry.restaurant_id).await?;
    let inserted = store::insert_inbound(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Records how a logged webhook ended.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn log_finish(
    state: &AppState,
    rid: Uuid,
    id: Uuid,
    outcome: &str,
    reason: Option<&str>,
    external_order_id: Option<&str>,
    order_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut tx = state.db.begin(rid).await?;
    store::finish_inbound(&mut tx, id, outcome, reason, external_order_id, order_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A log entry for a webhook received at `now`, its body kept in part.
pub(crate) fn entry(
    row: &IntegrationRow,
    outcome: &str,
    reason: Option<String>,
    body: &[u8],
    now: DateTime<Utc>,
) -> InboundRow {
    InboundRow {
        id: Uuid::now_v7(),
        restaurant_id: row.restaurant_id,
        integration_id: row.id,
        platform: row.platform.clone(),
        event_id: None,
        event_type: None,
        external_order_id: None,
        order_id: None,
        outcome: outcome.to_owned(),
        reason,
        payload: kept(body),
        received_at: now,
        completed_at: Some(now),
    }
}

/// Logs a copy of an event already acted on, and answers it: 200, nothing done.
pub(crate) async fn replayed(state: &AppState, claimed: &InboundRow, now: DateTime<Utc>) -> ApiResult<Response> {
    let reason = "this event was received before; nothing was done again".to_owned();
    let replay = InboundRow {
        id: Uuid::now_v7(),
        outcome: "replayed".into(),
        reason: Some(reason.clone()),
        completed_at: Some(now),
        ..claimed.clone()
    };
    log_insert(state, &replay).await?;
    Ok(ok(&Done { reason: Some(reason), ..Done::new("replayed") }))
}

pub(crate) fn ok(done: &Done) -> Response {
    let body = HookAnswer { outcome: done.outcome.to_owned(), order_id: done.order_id, reason: done.reason.clone() };
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// The idempotency key of a platform's order: the same order is one Brigade order.
fn order_key(platform: Platform, external: &str) -> String {
    format!("{}:{}", platform.as_str(), external)
}

/// Maps a platform's order onto Brigade's menu. `Err` says why it cannot be taken.
/// With `options`, the options chosen that carry Brigade's option ids become the line's
/// modifiers; the others (all of them without `options`) are written into its notes.
fn order_input(platform: Platform, o: &PlatformOrder, options: bool) -> Result<OrderInput, String> {
    let channel = platform.channel().ok_or("this platform does not send orders")?;
    if o.lines.is_empty() {
        return Err("the order has no items".into());
    }
    let mut items = Vec::with_capacity(o.lines.len());
    for l in &o.lines {
        let id = l
            .external_id
            .as_deref()
            .and_then(|e| Uuid::parse_str(e).ok())
            .ok_or_else(|| format!("'{}' is not an item of Brigade's menu", l.title))?;
        let mut modifiers = Vec::new();
        let mut words = Vec::new();
        for c in &l.options {
            match c.external_id.as_deref().and_then(|e| Uuid::parse_str(e).ok()).filter(|_| options) {
                // More of one option than any group allows is refused by the order path,
                // which then takes the line with its options in words.
                Some(option) => modifiers.extend(std::iter::repeat_n(option, c.quantity.clamp(1, 20) as usize)),
                None if c.quantity > 1 => words.push(format!("{}× {}", c.quantity, c.title)),
                None => words.push(c.title.clone()),
            }
        }
        words.extend(l.notes.clone());
        items.push(LineInput {
            item_id: id,
            quantity: l.quantity,
            modifiers,
            notes: (!words.is_empty()).then(|| words.join("; ").chars().take(500).collect()),
            seat: None,
        });
    }
    let display = o.display_id.as_deref().map(|d| format!("{} {d}", platform.title()));
    let special = [display, o.special_instructions.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · ");
    // A platform's phone number may be masked or carry an extension; it is kept only
    // when it reads as a number, since an order must not be lost to its format.
    // A number the restaurant cannot read is dropped, not refused: the guest has paid.
    let phone = o.customer_phone.clone();
    Ok(OrderInput {
        channel,
        kind: o.kind,
        table_id: None,
        customer: Some(CustomerInput { name: o.customer_name.clone(), phone, ..Default::default() }),
        items,
        special_instructions: (!special.is_empty()).then(|| special.chars().take(1000).collect()),
        external_id: Some(o.id.clone()),
        external_total: o.total,
        redeem_points: None,
        reward_id: None,
        promo_code: None,
        points_proof: None,
    })
}

/// Takes a new order from a platform: read, map, place, accept (or deny).
async fn take_order(
    state: &AppState,
    row: &IntegrationRow,
    platform: Platform,
    adapter: &dyn Adapter,
    external: &str,
    given: Option<PlatformOrder>,
) -> Result<Done, Retry> {
    let done = |outcome, reason: Option<String>, order_id| Done {
        outcome,
        reason,
        external_order_id: Some(external.to_owned()),
        order_id,
    };
    if let Some(existing) =
        store::taken_order(&state.db, row.id, external).await.map_err(|e| Retry::ours(e.into(), Some(external)))?
    {
        return Ok(done("duplicate", Some("this order was taken before".into()), Some(existing)));
    }
    let order = match given {
        Some(o) => o,
        None => match adapter.order(external).await {
            Ok(o) => o,
            Err(e) => return Err(Retry::platform(e, "reading the order", external, None)),
        },
    };
    let (input, in_words) = match (order_input(platform, &order, true), order_input(platform, &order, false)) {
        (Ok(i), Ok(w)) => (i, w),
        (Err(why), _) | (_, Err(why)) => return deny(state, row, adapter, &order, why).await,
    };
    let placer =
        || Placer { actor: ActedBy::System, idempotency_key: Some(order_key(platform, external)), prepaid: true };
    let mut placed = place_order(state, row.restaurant_id, input, placer()).await;
    // Options that no longer fit the item (the menu changed since the platform had it)
    // must not refuse an order the guest paid for: take it with the options in words.
    if matches!(&placed, Err(ApiError::Validation { field, .. }) if field.ends_with(".modifiers")) {
        placed = place_order(state, row.restaurant_id, in_words, placer()).await;
    }
    let view = match placed {
        Ok(v) => v,
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. } | ApiError::BadRequest { .. })) => {
            return deny(state, row, adapter, &order, e.to_string()).await;
        }
        Err(e) => return Err(Retry::ours(e, Some(external))),
    };
    state.wake_workers();
    if let Err(e) = adapter.accept_order(external).await {
        // The order is on the kitchen display; the platform sends the webhook again and
        // the accept is tried again then (the order is not placed twice).
        return Err(Retry::platform(e, "accepting the order on the platform", external, Some(view.id)));
    }
    let flagged = view.items.iter().filter(|l| l.flag.is_some()).count();
    let reason = (flagged > 0).then(|| format!("{flagged} line(s) taken although unavailable; see the ticket"));
    Ok(done("processed", reason, Some(view.id)))
}

/// A Twilio webhook on the restaurant's number, form-encoded and signed with
/// `X-Twilio-Signature` over the URL it was sent to (query included) and the form:
/// - a call ("A call comes in", and each turn's `Gather` action, `?turn=N`): the phone
///   agent answers with TwiML (`crate::phone`);
/// - a text a guest sent ("A message comes in"): STOP and its kin stop texts to them,
///   START lifts it; answered with empty TwiML, so Twilio sends no reply of ours (its
///   own opt-out reply goes as usual).
///
/// Unsigned or forged: 401 (403 for a call, as Twilio's voice expects), logged, nothing
/// done.
async fn twilio(
    state: &AppState,
    row: &IntegrationRow,
    ip: std::net::IpAddr,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Response> {
    // Twilio's form holds the guest's number (`From`) in the clear: the log keeps which
    // call or text it was, never the form.
    let log = |outcome: &str, reason: Option<String>| {
        let kept: Vec<(String, String)> = form_urlencoded::parse(body)
            .into_owned()
            .filter(|(k, _)| matches!(k.as_str(), "CallSid" | "MessageSid" | "AccountSid" | "CallStatus"))
            .collect();
        let kept = form_urlencoded::Serializer::new(String::new()).extend_pairs(&kept).finish();
        entry(row, outcome, reason, kept.as_bytes(), now)
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let signature = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let token = super::twilio::credentials(state, row).map(|c| c.auth_token).map_err(ApiError::from)?;
    let url = match query {
        Some(q) => format!("{}?{q}", super::webhook_url(state, row)),
        None => super::webhook_url(state, row),
    };
    let call = crate::phone::service::is_call(&params);
    if !brigade_domain::integration::verify_twilio(&token, &url, &params, signature) {
        let reason = "the X-Twilio-Signature does not match".to_owned();
        tracing::warn!(integration_id = %row.id, %reason, "webhook refused");
        log_refusal(state, log("refused", Some(reason.clone())), ip).await?;
        let status = if call { StatusCode::FORBIDDEN } else { StatusCode::UNAUTHORIZED };
        return Ok(answer(status, crate::error::ErrorCode::SignatureInvalid, &format!("webhook refused: {reason}")));
    }
    let field = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let twiml = if call {
        let turn = query.and_then(|q| {
            form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "turn").and_then(|(_, v)| v.parse::<i64>().ok())
        });
        crate::phone::service::voice(state, row, &params, turn).await?
    } else {
        crate::messages::service::reply(state, row.restaurant_id, field("From"), field("Body")).await?;
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".to_owned()
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "application/xml")], twiml).into_response())
}

/// Refuses an order back to the platform and records why, for the manager to see.
async fn deny(
    state: &AppState,
    row: &IntegrationRow,
    adapter: &dyn Adapter,
    order: &PlatformOrder,
    why: String,
) -> Result<Done, Retry> {
    let external = order.id.as_str();
    if let Err(e) = adapter.deny_order(external, &why).await {
        return Err(Retry::platform(e, "denying the order on the platform", external, None));
    }
    let now = state.clock.now();
    let recorded = async {
        let mut tx = state.db.begin(row.restaurant_id).await?;
        events::record(
            &mut tx,
            NewEvent {
                restaurant_id: Some(row.restaurant_id),
                kind: "integration.order_denied",
                entity: "integration",
                entity_id: Some(row.id),
                actor: ActedBy::System,
                payload: json!({ "platform": row.platform, "external_order_id": external, "reason": why }),
                at: now,
            },
        )
        .await?;
        // The guest hears it from the restaurant too, when it can text them.
        if let (Ok(platform), Some(phone)) = (Platform::parse("platform", &row.platform), &order.customer_phone) {
            let guest =
                CustomerInput { name: order.customer_name.clone(), phone: Some(phone.clone()), ..Default::default() };
            let number = order.display_id.as_deref().unwrap_or(external);
            crate::messages::service::platform_refused(
                &mut tx,
                state,
                row.restaurant_id,
                platform,
                &guest,
                number,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        state.wake_workers();
        Ok::<_, ApiError>(())
    }
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "recording a denied order failed");
    }
    Ok(Done { outcome: "denied", reason: Some(why), external_order_id: Some(external.to_owned()), order_id: None })
}

/// The platform cancelled an order: cancel it here too, unless it is already done.
async fn cancel_order(
    state: &AppState,
    row: &IntegrationRow,
    platform: Platform,
    external: &str,
    reason: Option<&str>,
) -> Result<Done, Retry> {
    let now = state.clock.now();
    let result = async {
        let mut tx = state.db.begin(row.restaurant_id).await?;
        let key = order_key(platform, external);
        let Some(order) = order_store::by_idempotency_key(&mut tx, row.restaurant_id, &key).await? else {
            return Ok(Done { reason: Some("no such order here".into()), ..Done::new("ignored") });
        };
        let status = order.status;
        if status.is_final() {
            return Ok(Done {
                reason: Some(format!("the order is already {}", order.status)),
                order_id: Some(order.id),
                ..Done::new("ignored")
            });
        }
        let why = format!("cancelled on {}{}", platform.title(), reason.map(|r| format!(": {r}")).unwrap_or_default());
        let id = order.id;
        let actor = Actor::platform(row.restaurant_id, row.id);
        let (_, after) =
            transition(state, &mut tx, order, OrderStatus::Cancelled, Some(&why), actor.acted_by(), now).await?;
        state.commit(tx, after).await?;
        Ok::<_, ApiError>(Done { reason: Some(why), order_id: Some(id), ..Done::new("processed") })
    }
    .await;
    result
        .map(|d| Done { external_order_id: Some(external.to_owned()), ..d })
        .map_err(|e| Retry::ours(e, Some(external)))
}

/// The platform took payment for an order that came from it: the order is paid.
async fn mark_paid(state: &AppState, row: &IntegrationRow, platform: Platform, external: &str) -> Result<Done, Retry> {
    let now = state.clock.now();
    let result = async {
        let mut tx = state.db.begin(row.restaurant_id).await?;
        let key = order_key(platform, external);
        let Some(order) = order_store::by_idempotency_key(&mut tx, row.restaurant_id, &key).await? else {
            return Ok(Done { reason: Some("no such order here".into()), ..Done::new("ignored") });
        };
        if order.payment_status.as_deref() == Some("paid") {
            return Ok(Done { reason: Some("already paid".into()), order_id: Some(order.id), ..Done::new("ignored") });
        }
        order_store::set_payment_status(&mut tx, order.id, Some("paid"), now).await?;
        events::record(
            &mut tx,
            NewEvent {
                restaurant_id: Some(row.restaurant_id),
                kind: "order.paid",
                entity: "order",
                entity_id: Some(order.id),
                actor: ActedBy::System,
                payload: json!({ "order_id": order.id, "number": order.number, "amount": order.total, "provider": platform.as_str() }),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
        Ok::<_, ApiError>(Done { reason: Some(format!("paid on {}", platform.title())), order_id: Some(order.id), ..Done::new("processed") })
    }
    .await;
    result
        .map(|d| Done { external_order_id: Some(external.to_owned()), ..d })
        .map_err(|e| Retry::ours(e, Some(external)))
}

// ---------------------------------------------------------------- the log

#[derive(Serialize, ToSchema)]
pub struct InboundView {
    pub id: Uuid,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub external_order_id: Option<String>,
    pub order_id: Option<Uuid>,
    /// processing, processed, duplicate, denied, ignored, replayed, refused, failed.
    pub outcome: String,
    pub reason: Option<String>,
    /// The start of the body as received.
    pub payload: Option<String>,
    pub received_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InboundParams {
    /// At most this many, newest first (default 50, at most 200).
    pub limit: Option<i64>,
}

/// What a platform sent this integration, newest first, refused ones included.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/integrations/{id}/webhooks", tag = "integrations",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), InboundParams),
    responses((status = 200, body = Vec<InboundView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_inbound(
    State(state): State<AppState>,
    actor: crate::actor::Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Query(p): Query<InboundParams>,
) -> ApiResult<axum::Json<Vec<InboundView>>> {
    Ok(axum::Json(received(&actor, &state, ids.1, p.limit).await?))
}

/// What a platform sent an integration, newest first, refused ones included (at most
/// `limit`, 1 to 200, default 50).
pub async fn received(
    actor: &crate::actor::Actor,
    state: &AppState,
    id: Uuid,
    limit: Option<i64>,
) -> ApiResult<Vec<InboundView>> {
    actor.require(brigade_domain::auth::Permission::IntegrationsRead)?;
    if store::get(&state.db, actor.rid(), id).await?.is_none() {
        return Err(ApiError::not_found("integration"));
    }
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let rows = store::inbound(&state.db, actor.rid(), id, limit).await?;
    Ok(rows
        .into_iter()
        .map(|r| InboundView {
            id: r.id,
            event_id: r.event_id,
            event_type: r.event_type,
            external_order_id: r.external_order_id,
            order_id: r.order_id,
            outcome: r.outcome,
            reason: r.reason,
            payload: r.payload,
            received_at: r.received_at,
            completed_at: r.completed_at,
        })
        .collect())
}
