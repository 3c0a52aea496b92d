//! `…/webhooks`: signed outgoing webhooks, the generic integration. A restaurant
//! subscribes any https address to event types (`order.new`, `order.*`, `*`); every
//! matching event is POSTed there as JSON, signed `Brigade-Signature: t=…,v1=…` (the
//! HMAC-SHA256 of `"{t}.{body}"` under the subscription's secret, Stripe's scheme, so a
//! receiver can reuse what it knows), with `Brigade-Event` and `Brigade-Delivery` (the
//! delivery's id: the same on every retry, for the receiver's idempotency).
//!
//! A dispatcher reads the event log behind one cursor and writes one delivery per event
//! and subscription (unique, so a second dispatcher or a restart adds nothing twice);
//! `events::record` stays a single insert. Senders claim due deliveries; a failure
//! (timeout, refused connection, non-2xx) is retried with backoff for 24 hours, then the
//! delivery is dead. Every attempt's status and answer is kept; any delivery can be sent
//! again by hand (replay).
//!
//! Addresses are checked when sent, not only when saved: a name that resolves to a
//! loopback, private or link-local address is refused (unless the server allows it), so a
//! subscription cannot reach the deployment's own network. The check is made again by
//! the sending client's own resolver ([`PublicOnly`]), on the very addresses it then
//! connects to, so a name that answers differently a moment later (DNS rebinding) gets
//! nowhere. Redirects are not followed.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Permission;
use brigade_domain::credentials::new_secret;
use brigade_domain::integration::timestamped_signature;
use brigade_store::events::{self, EventRow};
use brigade_store::webhooks::{self as store, Attempted, DeliveryRow, SubscriptionRow};
use brigade_store::System;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use std::net::IpAddr;
use std::time::Instant;
use tokio::sync::watch;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(get_subscription, update_subscription, delete_subscription))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay_delivery))
        .routes(routes!(ping))
}

/// How long a delivery is retried.
const RETRY_FOR: Duration = Duration::hours(24);
/// How long a sender holds a claimed delivery before another may take it.
const HOLD: Duration = Duration::seconds(60);
/// Events read per dispatcher pass, deliveries sent per sender pass.
const BATCH: i64 = 500;
const SENDS: i64 = 16;
/// How long a hole in the event ids is waited on (a transaction that took an id may not
/// have committed yet) before it is taken for one that rolled back.
pub(crate) const GAP_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// How much of a receiver's answer is kept.
const KEPT_ANSWER: usize = 500;

// ---------------------------------------------------------------- subscriptions

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub url: String,
    pub description: Option<String>,
    /// Event types sent: exact (`order.new`), a family (`order.*`) or everything (`*`).
    pub event_types: Vec<String>,
    /// `active` or `paused`.
    pub status: String,
    /// The end of the signing secret, to tell secrets apart.
    pub secret_hint: String,
    /// The signing secret: only in the answer that made (or rotated) it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(r: SubscriptionRow, secret: Option<String>) -> SubscriptionView {
    SubscriptionView {
        id: r.id,
        url: r.url,
        description: r.description,
        event_types: r.event_types.0,
        status: r.status,
        secret_hint: r.secret_hint,
        secret,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NewSubscription {
    /// Where to POST: an http(s) address on the public internet.
    #[schema(value_type = schema::WebhookUrl)]
    pub url: String,
    #[schema(value_type = Vec<schema::EventTypePattern>, min_items = 1, max_items = 50)]
    pub event_types: Vec<String>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
}

fn parse_url(s: &str) -> ApiResult<String> {
    let s = s.trim();
    let u = reqwest::Url::parse(s).map_err(|_| ApiError::validation("url", "not an address"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(ApiError::validation("url", "an http or https address with a host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(ApiError::validation("url", "no user or password in the address; the signature is the proof"));
    }
    if s.len() > 2000 {
        return Err(ApiError::validation("url", "at most 2000 characters"));
    }
    Ok(u.to_string())
}

fn parse_types(types: &[String]) -> ApiResult<Vec<String>> {
    if types.is_empty() || types.len() > 50 {
        return Err(ApiError::validation("event_types", "from 1 to 50 event types"));
    }
    let mut out = Vec::with_capacity(types.len());
    for t in types {
        let t = t.trim();
        let ok = t == "*"
            || (!t.is_empty()
                && t.len() <= 100
                && t.split('.').all(|p| !p.is_empty())
                && t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.' || c == '*')
                && t.find('*').is_none_or(|i| i == t.len() - 1 && t.ends_with(".*")));
        if !ok {
            return Err(ApiError::validation(
                "event_types",
                format!("'{t}': an event type (order.new), a family (order.*) or *"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// Whether a subscription's types take an event type.
pub fn matches(types: &[String], kind: &str) -> bool {
    types.iter().any(|t| t == "*" || t == kind || t.strip_suffix('*').is_some_and(|prefix| kind.starts_with(prefix)))
}

fn parse_description(d: Option<&str>) -> ApiResult<Option<String>> {
    match d.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) if d.chars().count() > 200 => Err(ApiError::validation("description", "at most 200 characters")),
        other => Ok(other.map(str::to_owned)),
    }
}

/// A new signing secret, sealed for storage, and its hint.
fn make_secret(state: &AppState, id: Uuid) -> (String, Vec<u8>, String) {
    let secret = new_secret("bwhsec_");
    let hint = format!("…{}", &secret[secret.len() - 4..]);
    (secret.clone(), state.secrets.seal(id, secret.as_bytes()), hint)
}

/// Subscribes an address to event types. The answer holds the signing secret, shown
/// this once. Only events after this moment are sent.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/webhooks", tag = "webhooks", params(("rid" = Uuid, Path)),
    request_body = NewSubscription,
    responses((status = 201, body = SubscriptionView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn create_subscription(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<NewSubscription>,
) -> ApiResult<(StatusCode, axum::Json<SubscriptionView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::subscribe(&actor, &state, body).await?)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/webhooks", tag = "webhooks", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Vec<SubscriptionView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_subscriptions(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<axum::Json<Vec<SubscriptionView>>> {
    Ok(axum::Json(service::subscriptions(&actor, &state).await?))
}

async fn subscription(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<SubscriptionRow> {
    store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("webhook subscription"))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/webhooks/{id}", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = SubscriptionView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_subscription(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<SubscriptionView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SubscriptionChange {
    #[schema(value_type = Option<schema::WebhookUrl>)]
    pub url: Option<String>,
    #[schema(value_type = Option<Vec<schema::EventTypePattern>>, min_items = 1, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// `paused` stops sending (events meanwhile are still recorded and sent on resume);
    /// `active` resumes.
    #[schema(value_type = Option<schema::PauseOrResume>)]
    pub status: Option<String>,
    /// A new signing secret, shown in this answer; the old one stops at once.
    #[serde(default)]
    pub rotate_secret: bool,
}

#[utoipa::path(patch, path = "/v1/restaurants/{rid}/webhooks/{id}", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = SubscriptionChange,
    responses((status = 200, body = SubscriptionView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn update_subscription(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<SubscriptionChange>,
) -> ApiResult<axum::Json<SubscriptionView>> {
    Ok(axum::Json(service::update(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/webhooks/{id}", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_subscription(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::unsubscribe(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- deliveries

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub event_id: i64,
    pub event_type: String,
    /// `pending` (waiting or between retries), `sending`, `succeeded`, `dead` (24 hours of
    /// failures).
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub give_up_at: DateTime<Utc>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    /// The start of the receiver's last answer.
    pub last_response: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        next_attempt_at: (d.status == "pending" || d.status == "sending").then_some(d.next_attempt_at),
        status: d.status,
        attempts: d.attempts,
        give_up_at: d.give_up_at,
        last_status: d.last_status,
        last_error: d.last_error,
        last_response: d.last_response,
        delivered_at: d.delivered_at,
        payload: d.payload.0,
        created_at: d.created_at,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeliveryParams {
    /// pending, sending, succeeded or dead.
    #[param(value_type = Option<schema::DeliveryStatus>)]
    pub status: Option<String>,
    /// Newest first, at most this many (default 50, at most 200).
    pub limit: Option<i64>,
}

/// The delivery log of a subscription, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/webhooks/{id}/deliveries", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), DeliveryParams),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_deliveries(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Query(p): Query<DeliveryParams>,
) -> ApiResult<axum::Json<Vec<DeliveryView>>> {
    Ok(axum::Json(service::deliveries(&actor, &state, ids.1, p).await?))
}

/// Sends a delivery again now (and retries it for another 24 hours), whatever became of
/// it: for a receiver that lost or mishandled it.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/webhooks/{id}/deliveries/{delivery_id}/replay", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn replay_delivery(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid, Uuid)>,
) -> ApiResult<(StatusCode, axum::Json<DeliveryView>)> {
    Ok((StatusCode::ACCEPTED, axum::Json(service::replay(&actor, &state, ids.1, ids.2).await?)))
}

/// Sends a `webhook.ping` to this subscription alone (whatever its event types), to try
/// the receiver; it appears in the delivery log like any delivery.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/webhooks/{id}/ping", tag = "webhooks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 202, body = DeliveryView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn ping(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, axum::Json<DeliveryView>)> {
    Ok((StatusCode::ACCEPTED, axum::Json(service::ping(&actor, &state, ids.1).await?)))
}

// ---------------------------------------------------------------- dispatching

/// The body a receiver gets.
fn body(id: Uuid, event_id: i64, kind: &str, at: DateTime<Utc>, rid: Uuid, data: Value) -> Value {
    json!({ "id": id, "event_id": event_id, "type": kind, "created_at": at, "restaurant_id": rid, "data": data })
}

fn new_delivery(
    id: Uuid,
    sub: &SubscriptionRow,
    event_id: i64,
    kind: &str,
    payload: Value,
    now: DateTime<Utc>,
) -> DeliveryRow {
    DeliveryRow {
        id,
        restaurant_id: sub.restaurant_id,
        subscription_id: sub.id,
        event_id,
        event_type: kind.to_owned(),
        payload: DbJson(payload),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        give_up_at: now + RETRY_FOR,
        last_status: None,
        last_error: None,
        last_response: None,
        delivered_at: None,
        created_at: now,
        updated_at: now,
    }
}

/// The events after `last` that may be taken now: ids without holes, or past a hole that
/// has stood for `GAP_WAIT` (its transaction rolled back).
pub(crate) fn takeable(events: &[EventRow], last: i64, gap: &mut Option<(i64, Instant)>) -> usize {
    let mut expected = last + 1;
    for (i, e) in events.iter().enumerate() {
        if e.id != expected {
            match gap {
                Some((at, since)) if *at == expected && since.elapsed() >= GAP_WAIT => {}
                Some((at, _)) if *at == expected => return i,
                _ => {
                    *gap = Some((expected, Instant::now()));
                    return i;
                }
            }
        }
        expected = e.id + 1;
    }
    events.len()
}

/// One dispatcher pass: fans the next events out to deliveries. True when it read a full
/// batch (more may be waiting).
///
/// It reads on a snapshot and takes the write lock only when there is something to write:
/// the deliveries and the cursor move commit together, and only if no other dispatcher
/// moved the cursor in between.
async fn fan_out(state: &AppState, gap: &mut Option<(i64, Instant)>) -> anyhow::Result<bool> {
    let mut read = state.db.begin_read(System::Outbound).await?;
    let last = store::cursor(&mut read).await?;
    let events = events::after_tx(&mut read, last, BATCH).await?;
    if events.is_empty() {
        return Ok(false);
    }
    let n = takeable(&events, last, gap);
    if n == 0 {
        return Ok(false);
    }
    let events = &events[..n];
    let subs = store::live_all(&mut read).await?;
    drop(read);
    let now = state.clock.now();
    let mut out = Vec::new();
    for e in events {
        let Some(rid) = e.restaurant_id else { continue };
        for s in subs.iter().filter(|s| s.restaurant_id == rid && e.id > s.after_event) {
            if matches(&s.event_types.0, &e.kind) {
                let id = Uuid::now_v7();
                let payload = body(id, e.id, &e.kind, e.at, rid, e.payload.0.clone());
                out.push(new_delivery(id, s, e.id, &e.kind, payload, now));
            }
        }
    }
    let mut tx = state.db.begin(System::Outbound).await?;
    store::insert_deliveries(&mut tx, &out).await?;
    let to = events[n - 1].id;
    if store::advance(&mut tx, last, to).await? {
        tx.commit().await?;
        *gap = None;
    }
    Ok(n as i64 == BATCH)
}

/// Whether an address may be sent to: public unicast only.
fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| !public(IpAddr::V4(v4))))
        }
    }
}

/// The webhook client's resolver: a name resolves only if every address it has is
/// public, and the client connects to exactly the addresses checked here.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !public(a.ip())) {
                return Err(format!("{host} resolves to {}, which is not a public address", bad.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Refuses an address that resolves to anything but public addresses (and an address
/// that is itself private: the client's resolver never sees IP literals).
async fn check_target(state: &AppState, url: &str) -> Result<(), String> {
    if state.config.webhooks_allow_private {
        return Ok(());
    }
    let u = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    let host = u.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
    let port = u.port_or_known_default().unwrap_or(443);
    let addrs =
        tokio::net::lookup_host((host.as_str(), port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?;
    for a in addrs {
        if !public(a.ip()) {
            return Err(format!("{host} resolves to {}, which is not a public address", a.ip()));
        }
    }
    Ok(())
}

/// Sends one delivery and records what came of it.
async fn send(state: AppState, d: DeliveryRow) {
    let now = state.clock.now();
    let attempt = d.attempts + 1;
    let claimed = async {
        let mut tx = state.db.begin(d.restaurant_id).await?;
        let ok = store::claim(&mut tx, d.id, d.attempts, now + HOLD).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(ok)
    }
    .await;
    if !matches!(claimed, Ok(true)) {
        return;
    }
    let result = deliver(&state, &d).await;
    let now = state.clock.now();
    let (status, code, error, answer) = match &result {
        Ok((code, answer)) if (200..300).contains(code) => ("succeeded", Some(*code), None, answer.clone()),
        Ok((code, answer)) => ("pending", Some(*code), Some(format!("answered {code}")), answer.clone()),
        Err(e) => ("pending", None, Some(e.clone()), None),
    };
    let retry_at = now + crate::jobs::backoff(attempt, Duration::seconds(10), Duration::hours(1));
    let (status, next) = match status {
        "pending" if retry_at >= d.give_up_at => ("dead", now),
        "pending" => ("pending", retry_at),
        s => (s, now),
    };
    let a = Attempted {
        status,
        next_attempt_at: next,
        last_status: code.map(i32::from),
        last_error: error.as_deref(),
        last_response: answer.as_deref(),
        delivered_at: (status == "succeeded").then_some(now),
    };
    let recorded = async {
        let mut tx = state.db.begin(d.restaurant_id).await?;
        store::attempted(&mut tx, d.id, attempt, &a, now).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    match (&recorded, status) {
        (Err(e), _) => tracing::warn!(delivery = %d.id, error = %e, "recording a webhook delivery failed"),
        (_, "dead") => {
            tracing::warn!(delivery = %d.id, url_event = %d.event_type, "webhook delivery dead after 24 hours")
        }
        _ => {}
    }
}

/// POSTs a delivery. `Ok` is the receiver's status and the start of its answer.
async fn deliver(state: &AppState, d: &DeliveryRow) -> Result<(u16, Option<String>), String> {
    let sub = store::by_id(&state.db, d.subscription_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the subscription is gone")?;
    check_target(state, &sub.url).await?;
    let secret = state
        .secrets
        .open(sub.id, &sub.secret)
        .map_err(|_| "the signing secret cannot be opened with this server's key".to_owned())?;
    let secret = String::from_utf8_lossy(&secret).into_owned();
    let body = serde_json::to_vec(&d.payload.0).map_err(|e| e.to_string())?;
    let signature = timestamped_signature(&secret, state.clock.now().timestamp(), &body);
    let res = state
        .integrations
        .webhook_http
        .post(&sub.url)
        .header("content-type", "application/json")
        .header("brigade-signature", signature)
        .header("brigade-event", &d.event_type)
        .header("brigade-delivery", d.id.to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                "no answer in time".to_owned()
            } else {
                // reqwest keeps what went wrong (a refused address, say) in the causes.
                format!("could not send: {:#}", anyhow::Error::new(e))
            }
        })?;
    let code = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    let answer = (!text.is_empty()).then(|| text.chars().take(KEPT_ANSWER).collect());
    Ok((code, answer))
}

/// Fans events out and sends due deliveries until `shutdown`.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let poll = std::time::Duration::from_millis(state.config.worker_poll_ms.max(10));
    let mut gap = None;
    let mut sending = tokio::task::JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        while sending.try_join_next().is_some() {}
        let more = match fan_out(&state, &mut gap).await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(error = %e, "fanning events out to webhooks failed");
                false
            }
        };
        if sending.len() < SENDS as usize {
            match store::due(&state.db, state.clock.now(), SENDS - sending.len() as i64).await {
                Ok(due) => {
                    for d in due {
                        sending.spawn(send(state.clone(), d));
                    }
                }
                Err(e) => tracing::warn!(error = %e, "finding webhook deliveries failed"),
            }
        }
        if more {
            continue;
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = state.inner.job_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
    while sending.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_match_exactly_by_family_or_all() {
        let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(matches(&t(&["order.new"]), "order.new"));
        assert!(!matches(&t(&["order.new"]), "order.status_changed"));
        assert!(matches(&t(&["order.*"]), "order.status_changed"));
        assert!(!matches(&t(&["order.*"]), "orders.x"));
        assert!(matches(&t(&["*"]), "menu.item_86d"));
        assert!(parse_types(&t(&["order.*", "menu.item_86d", "*"])).is_ok());
        for bad in ["", "order.", "*.new", "Order.New", "order.*.x", "or der"] {
            assert!(parse_types(&t(&[bad])).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_webhook_resolver_refuses_names_of_private_addresses() {
        use reqwest::dns::Resolve;
        let err = PublicOnly.resolve("localhost".parse().unwrap()).await.err().expect("localhost is refused");
        assert!(err.to_string().contains("not a public address"), "{err}");
        // Through a client, as deliveries are sent: the request never leaves.
        let client = reqwest::Client::builder().dns_resolver(std::sync::Arc::new(PublicOnly)).build().unwrap();
        let e = client.get("http://localhost:9/hook").send().await.expect_err("refused");
        let e = format!("{:#}", anyhow::Error::new(e));
        assert!(e.contains("not a public address"), "{e}");
    }

    #[test]
    fn only_public_addresses_are_sent_to() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(!public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_hole_in_event_ids_is_waited_on_then_passed() {
        let ev = |id| EventRow {
            id,
            restaurant_id: None,
            kind: "x".into(),
            entity: "x".into(),
            entity_id: None,
            actor: "system".into(),
            payload: DbJson(Value::Null),
            at: Utc::now(),
        };
        let mut gap = None;
        assert_eq!(takeable(&[ev(1), ev(2), ev(4)], 0, &mut gap), 2);
        assert_eq!(takeable(&[ev(4)], 2, &mut gap), 0);
        assert!(gap.is_some());
        gap = Some((3, Instant::now() - GAP_WAIT));
        assert_eq!(takeable(&[ev(4), ev(5)], 2, &mut gap), 2);
    }
}
