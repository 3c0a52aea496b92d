//! Stripe, written against its published API (docs.stripe.com/api): card payments for QR
//! and web orders through Stripe Checkout, so no card data ever touches Brigade.
//!
//! - A guest asks to pay (`POST /v1/public/orders/{id}/checkout`): Brigade creates a
//!   Checkout Session (`POST /v1/checkout/sessions`, form-encoded, bearer secret key, an
//!   `Idempotency-Key` so a retried request makes one session) for the order's total and
//!   sends the guest to its `url`. Paying at the counter stays possible.
//! - Stripe's webhook (`Stripe-Signature: t=…,v1=…`, the HMAC-SHA256 of `"{t}.{body}"`
//!   under the endpoint's signing secret, five minutes' tolerance) reports
//!   `checkout.session.completed`: the order is marked paid. `checkout.session.expired`
//!   returns it to pay-at-counter; `charge.refunded` and `refund.failed` finish refunds.
//! - Cancelling a paid order refunds it (`POST /v1/refunds` for the payment intent) from
//!   a durable job, retried until Stripe answers.
//! - At the counter, a card is taken on a Stripe Terminal reader, server-driven: a job
//!   creates a `card_present` PaymentIntent for the amount and tip
//!   (`POST /v1/payment_intents`) and hands it to the reader
//!   (`POST /v1/terminal/readers/{id}/process_payment_intent`); `payment_intent.succeeded`
//!   marks it paid, `terminal.reader.action_failed` or `payment_intent.payment_failed`
//!   failed with Stripe's words. A cancel at the counter is
//!   `POST /v1/terminal/readers/{id}/cancel_action`. Where no reader is registered, the
//!   counter shows a Checkout link as a QR code for the balance.

use super::inbound::{claim, log_finish, ok, Done};
use super::platform::{call, Adapter, ItemState, MenuState, PlatformError, SeenItem, Throttle};
use crate::actor::Actor;
use crate::error::{error_body, ApiError, ApiResult};
use crate::extract::{Path, Query};
use crate::jobs::Job;
use crate::orders::TrackingParams;
use crate::payments::{record, start_refund, CancelOnReader, ChargeOnReader, RefundPayment};
use crate::tasks::{hand_to_managers, ByHand};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use brigade_domain::auth::Permission;
use brigade_domain::integration::{verify_timestamped, Platform};
use brigade_domain::money::Money;
use brigade_domain::order::OrderStatus;
use brigade_domain::payments::Method;
use brigade_store::integrations::{self as store, IntegrationRow};
use brigade_store::payments::{self as pay_store, PaymentRow};
use brigade_store::System;
use brigade_store::{orders as order_store, restaurants, Tx};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(checkout)).routes(routes!(card_readers)).routes(routes!(payment_link))
}

/// How far a webhook's timestamp may be from now (Stripe's own libraries use 300 s).
const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, Deserialize)]
pub struct Credentials {
    /// `sk_live_…` or `sk_test_…` (a restricted key with Checkout and Refunds will do).
    pub secret_key: String,
    /// The webhook endpoint's signing secret, `whsec_…`.
    pub webhook_secret: String,
}

pub struct Stripe {
    pub http: reqwest::Client,
    pub base_url: String,
    pub credentials: Credentials,
    pub throttle: Arc<Throttle>,
}

/// A Checkout Session as Brigade needs it.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    pub url: Option<String>,
    pub payment_intent: Option<String>,
}

impl Stripe {
    fn post(&self, path: &str, form: &[(String, String)], idempotency_key: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(&self.credentials.secret_key)
            .header("Idempotency-Key", idempotency_key)
            .form(form)
    }

    /// Creates a Checkout Session for one order's total.
    pub async fn create_session(
        &self,
        order: &order_store::OrderRow,
        amount: i64,
        currency: &str,
        success_url: &str,
        cancel_url: &str,
        idempotency_key: &str,
    ) -> Result<Session, PlatformError> {
        let s = |v: &str| v.to_owned();
        let form = vec![
            (s("mode"), s("payment")),
            (s("success_url"), s(success_url)),
            (s("cancel_url"), s(cancel_url)),
            (s("client_reference_id"), order.id.to_string()),
            (s("metadata[order_id]"), order.id.to_string()),
            (s("metadata[restaurant_id]"), order.restaurant_id.to_string()),
            (s("payment_intent_data[metadata][order_id]"), order.id.to_string()),
            (s("line_items[0][quantity]"), s("1")),
            (s("line_items[0][price_data][currency]"), currency.to_ascii_lowercase()),
            (s("line_items[0][price_data][unit_amount]"), amount.to_string()),
            (s("line_items[0][price_data][product_data][name]"), format!("Order #{}", order.number)),
        ];
        let body = call(&self.throttle, self.post("/v1/checkout/sessions", &form, idempotency_key)).await?;
        serde_json::from_value(body).map_err(|e| PlatformError::Rejected(format!("unexpected session: {e}")))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(&self.credentials.secret_key)
    }

    /// The Terminal readers registered to the account.
    pub async fn readers(&self) -> Result<Vec<Value>, PlatformError> {
        let body = call(&self.throttle, self.get("/v1/terminal/readers?limit=100")).await?;
        Ok(body.get("data").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    /// A PaymentIntent for a card presented on a reader: amount and tip together.
    pub async fn create_card_present_intent(
        &self,
        p: &PaymentRow,
        idempotency_key: &str,
    ) -> Result<String, PlatformError> {
        let s = |v: &str| v.to_owned();
        let form = vec![
            (s("amount"), (p.amount + p.tip).to_string()),
            (s("currency"), p.currency.to_ascii_lowercase()),
            (s("payment_method_types[]"), s("card_present")),
            (s("capture_method"), s("automatic")),
            (s("metadata[order_id]"), p.order_id.to_string()),
            (s("metadata[payment_id]"), p.id.to_string()),
            (s("metadata[restaurant_id]"), p.restaurant_id.to_string()),
        ];
        let body = call(&self.throttle, self.post("/v1/payment_intents", &form, idempotency_key)).await?;
        body.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| PlatformError::Rejected("Stripe gave no payment intent id".into()))
    }

    /// Hands a PaymentIntent to a reader, which then asks for the card.
    pub async fn process_on_reader(&self, reader: &str, intent: &str, key: &str) -> Result<(), PlatformError> {
        let form = vec![("payment_intent".to_owned(), intent.to_owned())];
        let path = format!("/v1/terminal/readers/{}/process_payment_intent", urlencoding(reader));
        call(&self.throttle, self.post(&path, &form, key)).await.map(drop)
    }

    /// Stops whatever the reader is asking for.
    pub async fn cancel_reader_action(&self, reader: &str, key: &str) -> Result<(), PlatformError> {
        let path = format!("/v1/terminal/readers/{}/cancel_action", urlencoding(reader));
        call(&self.throttle, self.post(&path, &[], key)).await.map(drop)
    }

    /// Cancels a PaymentIntent that was not paid.
    pub async fn cancel_intent(&self, intent: &str, key: &str) -> Result<(), PlatformError> {
        let path = format!("/v1/payment_intents/{}/cancel", urlencoding(intent));
        call(&self.throttle, self.post(&path, &[], key)).await.map(drop)
    }

    /// Refunds a payment in full; returns the refund's id and status.
    pub async fn refund(&self, payment_intent: &str, idempotency_key: &str) -> Result<(String, String), PlatformError> {
        let form = vec![("payment_intent".to_owned(), payment_intent.to_owned())];
        let body = call(&self.throttle, self.post("/v1/refunds", &form, idempotency_key)).await?;
        let id = body.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
        let status = body.get("status").and_then(Value::as_str).unwrap_or("pending").to_owned();
        Ok((id, status))
    }
}

/// A path segment as Stripe's ids are made (letters, digits, `_`); anything else is
/// percent-encoded, so an id can never reach another path.
fn urlencoding(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Stripe's own words from an error it answered (`{"error": {"message": …}}`), for the
/// counter: "Reader is currently offline", "Your card was declined."
fn stripe_words(e: &PlatformError) -> String {
    let text = match e {
        PlatformError::Rejected(t) | PlatformError::Unauthorized(t) | PlatformError::Unavailable(t) => t.as_str(),
        other => return other.to_string(),
    };
    text.find('{')
        .and_then(|i| serde_json::from_str::<Value>(&text[i..]).ok())
        .and_then(|v| v.pointer("/error/message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| e.to_string())
}

impl Adapter for Stripe {
    fn kind(&self) -> Platform {
        Platform::Stripe
    }

    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>> {
        Box::pin(async move {
            let url = format!("{}/v1/balance", self.base_url.trim_end_matches('/'));
            let b = call(&self.throttle, self.http.get(url).bearer_auth(&self.credentials.secret_key)).await?;
            let mode = if b.get("livemode").and_then(Value::as_bool).unwrap_or(false) { "live" } else { "test" };
            Ok(format!("Stripe answered; the key is a {mode}-mode key"))
        })
    }

    fn push_item<'a>(&'a self, _item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        super::platform::no_menu("Stripe takes payments, not menus")
    }

    fn push_menu<'a>(&'a self, _menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>> {
        super::platform::no_menu("Stripe takes payments, not menus")
    }

    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>> {
        super::platform::no_menu("Stripe takes payments, not menus")
    }
}

fn stripe_of(state: &AppState, row: &IntegrationRow) -> ApiResult<Stripe> {
    let sealed = row.credentials.as_deref().ok_or(super::Unusable::NoCredentials)?;
    let plain = state.secrets.open(row.id, sealed).map_err(|_| super::Unusable::Unreadable)?;
    let credentials: Credentials =
        serde_json::from_slice(&plain).map_err(|_| super::Unusable::Malformed(Platform::Stripe.title()))?;
    Ok(Stripe {
        http: state.integrations.http.clone(),
        base_url: state.config.stripe_base_url.clone(),
        credentials,
        throttle: state.integrations.throttle(row.id, super::DEFAULT_RATE),
    })
}

pub fn adapter(state: &AppState, row: &IntegrationRow) -> Result<Box<dyn Adapter>, super::Unusable> {
    stripe_of(state, row).map(|s| Box::new(s) as Box<dyn Adapter>).map_err(|_| super::Unusable::Unreadable)
}

// ---------------------------------------------------------------- checkout

#[derive(Deserialize, ToSchema, Default)]
pub struct CheckoutInput {
    /// Where Stripe sends the guest after paying: a page of this Brigade (the order's
    /// tracking page, say); default its home page.
    pub success_url: Option<String>,
    /// Where Stripe sends the guest who gives up (default: `success_url`).
    pub cancel_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CheckoutView {
    /// Send the guest here (Stripe's hosted page).
    pub url: String,
    pub session_id: String,
    pub amount: i64,
    pub currency: String,
}

fn checkout_refused(code: crate::error::ErrorCode, message: &str) -> ApiError {
    ApiError::conflict(code, message)
}

/// Where Stripe may send the guest back to: a page of this Brigade (no open redirect).
fn guest_url(state: &AppState, field: &'static str, given: Option<&str>) -> ApiResult<String> {
    let base = state.config.public_base_url.trim_end_matches('/');
    match given.map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if u.len() <= 2000 && (u == base || u.starts_with(&format!("{base}/"))) => Ok(u.to_owned()),
        Some(_) => Err(ApiError::validation(field, format!("an address on this Brigade ({base}/…)"))),
        None => Ok(format!("{base}/")),
    }
}

/// A guest pays an order by card with Stripe Checkout: answers the address of Stripe's
/// payment page. 409 `payments_unavailable` when the restaurant takes no card payments,
/// `already_paid`, or `order_closed` for a cancelled or completed order. Paying at the
/// counter stays possible either way.
#[utoipa::path(post, path = "/v1/public/orders/{id}/checkout", tag = "public",
    params(("id" = Uuid, Path), TrackingParams), request_body(content = Option<CheckoutInput>, description = "optional"),
    responses((status = 201, body = CheckoutView), (status = 404), (status = 409), (status = 422),
              (status = 503, description = "Stripe could not be reached; try again")))]
async fn checkout(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(p): Query<TrackingParams>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    // The body is optional; one that is there is read before anything else is done.
    let body: CheckoutInput = crate::extract::parse_optional_json(&body)?;
    let order = order_store::by_id(&state.db, System::Public, id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if !brigade_domain::credentials::constant_time_eq(order.tracking_key.as_bytes(), p.key.as_bytes()) {
        return Err(ApiError::not_found("order"));
    }
    let status = order.status;
    if status.is_final() {
        return Err(checkout_refused(crate::error::ErrorCode::OrderClosed, "this order is closed; nothing to pay"));
    }
    if order.payment_status.as_deref() == Some("paid") {
        return Err(checkout_refused(crate::error::ErrorCode::AlreadyPaid, "this order is paid"));
    }
    let row = store::active_of(&state.db, order.restaurant_id, Platform::Stripe.as_str()).await?.ok_or_else(|| {
        checkout_refused(
            crate::error::ErrorCode::PaymentsUnavailable,
            "this restaurant takes no card payments here; pay at the counter",
        )
    })?;
    let stripe = stripe_of(&state, &row)?;
    let currency = restaurants::get(&state.db, order.restaurant_id).await?.map(|r| r.currency).unwrap_or_default();
    let success = guest_url(&state, "success_url", body.success_url.as_deref())?;
    let cancel = guest_url(&state, "cancel_url", body.cancel_url.as_deref().or(body.success_url.as_deref()))?;
    // An open checkout of this order for this total is the answer again: one session per
    // order, however often the guest taps. A new one is made once that one expired.
    let payments = pay_store::of_order(&state.db, order.restaurant_id, order.id).await?;
    if let Some(open) = payments.iter().find(|p| p.status == "open" && p.amount == order.total) {
        if let Some(url) = &open.checkout_url {
            let view = CheckoutView {
                url: url.clone(),
                session_id: open.session_id.clone().unwrap_or_default(),
                amount: open.amount,
                currency: open.currency.clone(),
            };
            return Ok((StatusCode::CREATED, axum::Json(view)).into_response());
        }
    }
    let key = format!("checkout:{}:{}", order.id, payments.len());
    let session = match stripe.create_session(&order, order.total, &currency, &success, &cancel, &key).await {
        Ok(s) => s,
        Err(e) => {
            let status = match e {
                PlatformError::Rejected(_) | PlatformError::Unauthorized(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            let body = error_body(crate::error::ErrorCode::PaymentProvider, &format!("Stripe: {e}"), json!({}));
            return Ok((status, axum::Json(body)).into_response());
        }
    };
    let url = session.url.clone().ok_or_else(|| ApiError::internal("Stripe gave no checkout address"))?;
    let now = state.clock.now();
    let mut tx = state.db.begin(order.restaurant_id).await?;
    if keep_session(&mut tx, &order, &row, &session, &url, order.total, &currency, None, now).await? {
        order_store::set_payment_status(&mut tx, order.id, Some("pending"), now).await?;
        record(&mut tx, &order, "order.payment_pending", json!({ "session_id": session.id }), now).await?;
    }
    tx.commit().await?;
    let view = CheckoutView { url, session_id: session.id, amount: order.total, currency };
    Ok((StatusCode::CREATED, axum::Json(view)).into_response())
}

/// Keeps a Checkout Session as an open card payment of `order` for `amount`, once per
/// session (a retried request that got the same session back adds nothing). True when
/// it was new.
#[allow(clippy::too_many_arguments)]
async fn keep_session(
    tx: &mut Tx,
    order: &order_store::OrderRow,
    row: &IntegrationRow,
    session: &Session,
    url: &str,
    amount: i64,
    currency: &str,
    taken_by: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    if pay_store::by_session_tx(tx, "stripe", &session.id).await?.is_some() {
        return Ok(false);
    }
    let payment = PaymentRow {
        id: Uuid::now_v7(),
        restaurant_id: order.restaurant_id,
        order_id: order.id,
        integration_id: Some(row.id),
        provider: Some("stripe".into()),
        session_id: Some(session.id.clone()),
        payment_intent: session.payment_intent.clone(),
        checkout_url: Some(url.to_owned()),
        amount,
        currency: currency.to_owned(),
        status: "open".into(),
        refund_id: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        method: Method::Card.as_str().into(),
        tip: 0,
        tendered: None,
        change_given: 0,
        refunded: 0,
        taken_by,
        drawer_id: None,
        business_day: Some(order.business_day),
        reader_id: None,
    };
    pay_store::insert(tx, &payment).await?;
    Ok(true)
}

// ---------------------------------------------------------------- the counter

/// A Stripe Terminal reader the counter can take a card on.
#[derive(Serialize, ToSchema)]
pub struct ReaderView {
    /// `tmr_…`: what a card payment names as `reader_id`.
    pub id: String,
    pub label: Option<String>,
    /// `online` or `offline`, as Stripe last saw it.
    pub status: Option<String>,
    pub device_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReaderList {
    pub items: Vec<ReaderView>,
}

fn provider_error(e: &PlatformError) -> ApiError {
    ApiError::Upstream {
        code: crate::error::ErrorCode::PaymentProvider,
        message: format!("Stripe: {}", stripe_words(e)),
    }
}

async fn stripe_here(state: &AppState, rid: Uuid) -> ApiResult<(IntegrationRow, Stripe)> {
    let row = store::active_of(&state.db, rid, Platform::Stripe.as_str()).await?.ok_or_else(|| {
        ApiError::conflict(
            crate::error::ErrorCode::PaymentsUnavailable,
            "Stripe is not connected here: connect it under Integrations to take cards on a reader",
        )
    })?;
    let stripe = stripe_of(state, &row)?;
    Ok((row, stripe))
}

/// The card readers registered to the restaurant's Stripe account (Stripe Terminal),
/// for the counter to take a card on. 409 `payments_unavailable` without Stripe.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/card-readers", tag = "checks", params(("rid" = Uuid, Path)),
    responses((status = 200, body = ReaderList), (status = 403), (status = 404), (status = 409),
              (status = 502, description = "Stripe refused or could not be reached")),
    security(("bearer" = [])))]
async fn card_readers(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<ReaderList>> {
    actor.require(Permission::PaymentsTake)?;
    let (_, stripe) = stripe_here(&state, actor.rid()).await?;
    let readers = stripe.readers().await.map_err(|e| provider_error(&e))?;
    let text = |r: &Value, k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let items = readers
        .iter()
        .filter_map(|r| {
            Some(ReaderView {
                id: text(r, "id")?,
                label: text(r, "label"),
                status: text(r, "status"),
                device_type: text(r, "device_type"),
            })
        })
        .collect();
    Ok(axum::Json(ReaderList { items }))
}

#[derive(Serialize, ToSchema)]
pub struct PaymentLinkView {
    /// Stripe Checkout's page for what is left to pay.
    pub url: String,
    pub session_id: String,
    pub amount: i64,
    pub currency: String,
    /// The link as a QR code (SVG) for the guest to scan at the counter.
    pub qr_svg: String,
}

/// Where no card reader is registered, the counter shows the guest a Stripe Checkout
/// link for what is left to pay, as a QR code; the check is paid when Stripe says so.
/// One open link per check and balance, however often it is asked for.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/payment-link", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 201, body = PaymentLinkView), (status = 403), (status = 404),
              (status = 409, description = "nothing is left to pay, the order is closed, or no Stripe"),
              (status = 502, description = "Stripe refused or could not be reached")),
    security(("bearer" = [])))]
async fn payment_link(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<(StatusCode, axum::Json<PaymentLinkView>)> {
    actor.require(Permission::PaymentsTake)?;
    let rid = actor.rid();
    let order = order_store::get(&state.db, rid, ids.1).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if order.status == OrderStatus::Cancelled {
        return Err(checkout_refused(crate::error::ErrorCode::OrderClosed, "this order is cancelled; nothing to pay"));
    }
    let balance = crate::orders::balance_of(&order);
    if balance <= 0 {
        return Err(checkout_refused(
            crate::error::ErrorCode::AlreadyPaid,
            "this check is paid; nothing is left to pay",
        ));
    }
    let (row, stripe) = stripe_here(&state, rid).await?;
    let currency = restaurants::get(&state.db, rid).await?.map(|r| r.currency).unwrap_or_default();
    let payments = pay_store::of_order(&state.db, rid, order.id).await?;
    let open = payments.iter().find(|p| p.status == "open" && p.reader_id.is_none() && p.amount == balance);
    let (url, session_id) = match open.and_then(|p| p.checkout_url.clone().zip(p.session_id.clone())) {
        Some(found) => found,
        None => {
            let back = format!("{}/", state.config.public_base_url.trim_end_matches('/'));
            let key = format!("link:{}:{}:{balance}", order.id, payments.len());
            let session = stripe
                .create_session(&order, balance, &currency, &back, &back, &key)
                .await
                .map_err(|e| provider_error(&e))?;
            let url = session.url.clone().ok_or_else(|| ApiError::internal("Stripe gave no checkout address"))?;
            let now = state.clock.now();
            let mut tx = state.db.begin(rid).await?;
            let taken_by = Some(actor.acted_by().encode());
            if keep_session(&mut tx, &order, &row, &session, &url, balance, &currency, taken_by, now).await? {
                let payload = json!({ "session_id": session.id, "link": true });
                record(&mut tx, &order, "order.payment_pending", payload, now).await?;
            }
            tx.commit().await?;
            (url, session.id)
        }
    };
    let qr_svg = crate::tables::qr_svg_markup(&url)?;
    let view = PaymentLinkView { url, session_id, amount: balance, currency, qr_svg };
    Ok((StatusCode::CREATED, axum::Json(view)))
}

// ---------------------------------------------------------------- webhooks

/// Handles Stripe's webhook for a Stripe integration (called by `inbound::receive`).
pub async fn receive(
    state: &AppState,
    row: &IntegrationRow,
    ip: std::net::IpAddr,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> ApiResult<Response> {
    let stripe = stripe_of(state, row)?;
    let mut entry = super::inbound::entry(row, "refused", None, body, now);
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let verified = match header {
        None => Err("unsigned: no Stripe-Signature header".to_owned()),
        Some(h) => verify_timestamped(&stripe.credentials.webhook_secret, h, body, now.timestamp(), TOLERANCE_SECS)
            .map_err(|e| e.to_string()),
    };
    if let Err(reason) = verified {
        tracing::warn!(integration_id = %row.id, %reason, "Stripe webhook refused");
        entry.reason = Some(reason.clone());
        super::inbound::log_refusal(state, entry, ip).await?;
        let body =
            error_body(crate::error::ErrorCode::SignatureInvalid, &format!("webhook refused: {reason}"), json!({}));
        return Ok((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response());
    }
    let event: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            entry.reason = Some(format!("not JSON: {e}"));
            super::inbound::log_refusal(state, entry, ip).await?;
            return Err(ApiError::BadRequest {
                code: crate::error::ErrorCode::BadRequest,
                message: "the body is not JSON".into(),
            });
        }
    };
    let text = |p: &str| event.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let (Some(event_id), Some(kind)) = (text("/id"), text("/type")) else {
        entry.reason = Some("no id or type".into());
        super::inbound::log_refusal(state, entry, ip).await?;
        return Err(ApiError::BadRequest {
            code: crate::error::ErrorCode::BadRequest,
            message: "an event has an id and a type".into(),
        });
    };
    entry.event_id = Some(event_id.clone());
    entry.event_type = Some(kind.clone());
    entry.outcome = "processing".into();
    entry.completed_at = None;
    if !claim(state, &entry, now).await? {
        return super::inbound::replayed(state, &entry, now).await;
    }
    let object = event.pointer("/data/object").cloned().unwrap_or(Value::Null);
    let done = apply(state, row, &kind, &object, now).await;
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            log_finish(state, row.restaurant_id, entry.id, "failed", Some(&e.to_string()), None, None, now).await?;
            return Err(e);
        }
    };
    log_finish(state, row.restaurant_id, entry.id, done.outcome, done.reason.as_deref(), None, done.order_id, now)
        .await?;
    Ok(ok(&done))
}

/// Acts on one verified Stripe event.
async fn apply(
    state: &AppState,
    row: &IntegrationRow,
    kind: &str,
    object: &Value,
    now: DateTime<Utc>,
) -> ApiResult<Done> {
    if let Some(outcome) = ReaderOutcome::of(kind, object) {
        return apply_reader(state, row, outcome, now).await;
    }
    let text = |p: &str| object.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let mut tx = state.db.begin(row.restaurant_id).await?;
    let payment = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" | "checkout.session.expired" => {
            match text("/id") {
                Some(s) => pay_store::by_session_tx(&mut tx, "stripe", &s).await?,
                None => None,
            }
        }
        "charge.refunded" | "refund.failed" | "refund.updated" => match text("/payment_intent") {
            Some(pi) => pay_store::by_intent_tx(&mut tx, "stripe", &pi).await?,
            None => None,
        },
        _ => return Ok(Done::new("ignored")),
    };
    let Some(payment) = payment.filter(|p| p.restaurant_id == row.restaurant_id) else {
        return Ok(Done { reason: Some("no payment of this restaurant matches".into()), ..Done::new("ignored") });
    };
    let order = order_store::get_for_update(&mut tx, row.restaurant_id, payment.order_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let mut done = Done { order_id: Some(order.id), ..Done::new("processed") };
    let (from, to, order_status, event): (&[&str], &str, Option<&str>, &'static str) = match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            if text("/payment_status").as_deref() != Some("paid") {
                done.outcome = "ignored";
                done.reason = Some("the session is complete but not paid yet".into());
                return Ok(done);
            }
            (&["open", "expired"], "paid", Some("paid"), "order.paid")
        }
        "checkout.session.expired" => (&["open"], "expired", None, "order.payment_expired"),
        "charge.refunded" => {
            (&["paid", "refund_pending", "refund_failed"], "refunded", Some("refunded"), "order.refunded")
        }
        "refund.failed" => (&["refund_pending"], "refund_failed", Some("refund_failed"), "order.refund_failed"),
        _ => {
            // refund.updated: only a failure is news; success arrives as charge.refunded.
            if text("/status").as_deref() != Some("failed") {
                done.outcome = "ignored";
                return Ok(done);
            }
            (&["refund_pending"], "refund_failed", Some("refund_failed"), "order.refund_failed")
        }
    };
    let intent = text("/payment_intent");
    if !pay_store::set_status(&mut tx, payment.id, from, to, intent.as_deref(), None, None, now).await? {
        done.outcome = "ignored";
        done.reason = Some(format!("the payment is already {}", payment.status));
        return Ok(done);
    }
    // An expired checkout leaves the order to be paid at the counter, unless another
    // checkout of it was paid meanwhile.
    let order_status = match (to, order.payment_status.as_deref()) {
        ("expired", Some("paid")) => Some("paid"),
        _ => order_status,
    };
    order_store::set_payment_status(&mut tx, order.id, order_status, now).await?;
    paid_changed(&mut tx, &payment, to, now).await?;
    record(&mut tx, &order, event, json!({ "session_id": payment.session_id, "provider": "stripe" }), now).await?;
    if to == "refund_failed" {
        let why = text("/failure_reason").unwrap_or_else(|| "Stripe could not refund the card".into());
        refund_by_hand(&mut tx, &order, &payment, &why, now).await?;
    }
    // A paid order cancelled before the payment landed is refunded now.
    if to == "paid" && order.status == OrderStatus::Cancelled {
        start_refund(&mut tx, &order, &payment, now).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    done.reason = Some(format!("payment {to}"));
    Ok(done)
}

// ---------------------------------------------------------------- card readers

/// What a Stripe event says of a card presented on a reader.
struct ReaderOutcome {
    intent: String,
    to: &'static str,
    error: Option<String>,
}

impl ReaderOutcome {
    fn of(kind: &str, object: &Value) -> Option<ReaderOutcome> {
        let text = |p: &str| object.pointer(p).and_then(Value::as_str).map(str::to_owned);
        let (intent, to, error) = match kind {
            "payment_intent.succeeded" => (text("/id")?, "paid", None),
            "payment_intent.payment_failed" => (text("/id")?, "failed", text("/last_payment_error/message")),
            "payment_intent.canceled" => (text("/id")?, "canceled", None),
            "terminal.reader.action_failed" => (
                text("/action/process_payment_intent/payment_intent")?,
                "failed",
                text("/action/failure_message").or_else(|| text("/action/failure_code")),
            ),
            _ => return None,
        };
        Some(ReaderOutcome { intent, to, error })
    }
}

/// A card payment on a reader moves to what Stripe reports. Money taken always counts,
/// even for a payment cancelled at the counter meanwhile; each move is made once.
async fn apply_reader(state: &AppState, row: &IntegrationRow, o: ReaderOutcome, now: DateTime<Utc>) -> ApiResult<Done> {
    let mut tx = state.db.begin(row.restaurant_id).await?;
    let payment = pay_store::by_intent_tx(&mut tx, "stripe", &o.intent)
        .await?
        .filter(|p| p.restaurant_id == row.restaurant_id && p.reader_id.is_some());
    let Some(payment) = payment else {
        return Ok(Done { reason: Some("no card payment on a reader matches".into()), ..Done::new("ignored") });
    };
    let order = order_store::get_for_update(&mut tx, row.restaurant_id, payment.order_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let from: &[&str] = if o.to == "paid" { &["open", "failed", "canceled"] } else { &["open"] };
    let mut done = Done { order_id: Some(order.id), ..Done::new("processed") };
    let error = o.error.as_deref().or((o.to == "failed").then_some("the card was not taken"));
    if !pay_store::set_status(&mut tx, payment.id, from, o.to, None, None, error, now).await? {
        done.outcome = "ignored";
        done.reason = Some(format!("the payment is already {}", payment.status));
        return Ok(done);
    }
    let extra = json!({ "payment_id": payment.id, "method": "card", "tip": payment.tip, "error": error });
    if o.to == "paid" {
        paid_changed(&mut tx, &payment, "paid", now).await?;
        if crate::orders::balance_of(&order) - payment.amount <= 0 {
            order_store::set_payment_status(&mut tx, order.id, Some("paid"), now).await?;
        }
        record(&mut tx, &order, "order.payment_taken", extra, now).await?;
    } else {
        record(&mut tx, &order, "order.payment_failed", extra, now).await?;
    }
    tx.commit().await?;
    done.reason = Some(format!("card payment {}", o.to));
    Ok(done)
}

/// Marks a card payment on a reader failed, with Stripe's words for the counter.
async fn reader_failed(state: &AppState, payment: &PaymentRow, why: &str) -> anyhow::Result<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin(payment.restaurant_id).await?;
    let Some(order) = order_store::get_for_update(&mut tx, payment.restaurant_id, payment.order_id).await? else {
        return Ok(());
    };
    if pay_store::set_status(&mut tx, payment.id, &["open"], "failed", None, None, Some(why), now).await? {
        let extra = json!({ "payment_id": payment.id, "method": "card", "error": why });
        record(&mut tx, &order, "order.payment_failed", extra, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    tx.commit().await?;
    Ok(())
}

fn refused(e: &PlatformError) -> bool {
    matches!(e, PlatformError::Rejected(_) | PlatformError::Unauthorized(_))
}

impl Job for ChargeOnReader {
    const KIND: &'static str = "payment.reader_charge";
    const MAX_ATTEMPTS: i32 = 6;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let Some(payment) = pay_store::by_id(&state.db, System::Jobs, self.payment_id).await? else { return Ok(()) };
        let (Some(reader), Some(integration)) = (payment.reader_id.clone(), payment.integration_id) else {
            return Ok(());
        };
        if payment.status != "open" {
            return Ok(());
        }
        let Some(row) = store::by_id(&state.db, integration).await? else {
            return reader_failed(&state, &payment, "the Stripe integration was removed").await;
        };
        let stripe = match stripe_of(&state, &row) {
            Ok(s) => s,
            Err(e) => return reader_failed(&state, &payment, &e.to_string()).await,
        };
        let intent = match payment.payment_intent.clone() {
            Some(pi) => pi,
            None => match stripe.create_card_present_intent(&payment, &format!("reader:{}:intent", payment.id)).await {
                Ok(pi) => {
                    // Kept before the reader is asked, so the webhook finds the payment.
                    let mut tx = state.db.begin(payment.restaurant_id).await?;
                    let now = state.clock.now();
                    pay_store::set_status(&mut tx, payment.id, &["open"], "open", Some(&pi), None, None, now).await?;
                    tx.commit().await?;
                    pi
                }
                Err(e) if refused(&e) => return reader_failed(&state, &payment, &stripe_words(&e)).await,
                Err(e) => return Err(anyhow::anyhow!("{e}")),
            },
        };
        match stripe.process_on_reader(&reader, &intent, &format!("reader:{}:process", payment.id)).await {
            Ok(()) => Ok(()),
            Err(e) if refused(&e) => {
                // Nothing was taken; the intent is dropped so it can never be.
                if let Err(c) = stripe.cancel_intent(&intent, &format!("reader:{}:drop", payment.id)).await {
                    tracing::warn!(payment_id = %payment.id, error = %c, "could not cancel an unused payment intent");
                }
                reader_failed(&state, &payment, &stripe_words(&e)).await
            }
            Err(e) => Err(anyhow::anyhow!("{e}")),
        }
    }
}

impl Job for CancelOnReader {
    const KIND: &'static str = "payment.reader_cancel";
    const MAX_ATTEMPTS: i32 = 6;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let Some(payment) = pay_store::by_id(&state.db, System::Jobs, self.payment_id).await? else { return Ok(()) };
        let (Some(reader), Some(integration)) = (payment.reader_id.clone(), payment.integration_id) else {
            return Ok(());
        };
        let Some(row) = store::by_id(&state.db, integration).await? else { return Ok(()) };
        let stripe = stripe_of(&state, &row).map_err(|e| anyhow::anyhow!("{e}"))?;
        // Either may already be over (the card was tapped, the reader went idle): a
        // refusal means there is nothing left to stop.
        for done in [
            stripe.cancel_reader_action(&reader, &format!("reader:{}:cancel", payment.id)).await,
            match &payment.payment_intent {
                Some(pi) => stripe.cancel_intent(pi, &format!("reader:{}:cancel-intent", payment.id)).await,
                None => Ok(()),
            },
        ] {
            match done {
                Err(e) if !refused(&e) => return Err(anyhow::anyhow!("{e}")),
                _ => {}
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- refunds

impl Job for RefundPayment {
    const KIND: &'static str = "payment.refund";
    const MAX_ATTEMPTS: i32 = 12;

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let payment = pay_store::by_id(&state.db, System::Jobs, self.payment_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no payment"))?;
        if payment.status != "refund_pending" {
            return Ok(());
        }
        let intent =
            payment.payment_intent.clone().ok_or_else(|| anyhow::anyhow!("the payment has no payment intent"))?;
        let integration = payment.integration_id.ok_or_else(|| anyhow::anyhow!("the payment names no integration"))?;
        let row = store::by_id(&state.db, integration)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the Stripe integration was removed"))?;
        let stripe = stripe_of(&state, &row).map_err(|e| anyhow::anyhow!("{e}"))?;
        let now = state.clock.now();
        let (to, refund_id, why) = match stripe.refund(&intent, &format!("refund:{}", payment.id)).await {
            Ok((id, status)) => match status.as_str() {
                "succeeded" => ("refunded", Some(id), None),
                "failed" | "canceled" => {
                    ("refund_failed", Some(id), Some(format!("Stripe marked the refund {status}")))
                }
                _ => ("refund_pending", Some(id), None),
            },
            Err(PlatformError::Rejected(why)) => ("refund_failed", None, Some(why)),
            Err(e) => return Err(anyhow::anyhow!("{e}")),
        };
        let mut tx = state.db.begin(payment.restaurant_id).await?;
        let (refund_id, why) = (refund_id.as_deref(), why.as_deref());
        // The order is locked before its payment, as Stripe's webhook does: the other
        // way round, a webhook arriving now deadlocks with this job on PostgreSQL.
        let Some(order) = order_store::get_for_update(&mut tx, payment.restaurant_id, payment.order_id).await? else {
            return Ok(());
        };
        // Stripe's webhook may have told us the end first; then it stands.
        if !pay_store::set_status(&mut tx, payment.id, &["refund_pending"], to, None, refund_id, why, now).await? {
            return Ok(());
        }
        order_store::set_payment_status(&mut tx, payment.order_id, Some(to), now).await?;
        paid_changed(&mut tx, &payment, to, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        if to != "refund_pending" {
            let kind = if to == "refunded" { "order.refunded" } else { "order.refund_failed" };
            let extra = json!({ "refund_id": refund_id, "error": why });
            record(&mut tx, &order, kind, extra, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(why) = why {
                refund_by_hand(&mut tx, &order, &payment, why, now).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// What a checkout payment's move to `to` does to what its order's payments cover: paid
/// adds its amount, refunded takes back what had not been refunded yet. Each move is made
/// once (its status guard), so each is counted once.
async fn paid_changed(tx: &mut Tx, payment: &PaymentRow, to: &str, now: DateTime<Utc>) -> ApiResult<()> {
    match to {
        "paid" => order_store::add_paid(tx, payment.order_id, payment.amount, now).await?,
        "refunded" => {
            let rest = payment.amount - payment.refunded;
            if pay_store::add_refunded(tx, payment.id, rest, now).await? {
                order_store::add_paid(tx, payment.order_id, -rest, now).await?;
                // Points earned on what was given back are taken back.
                if let Some(order) = order_store::get_for_update(tx, payment.restaurant_id, payment.order_id).await? {
                    crate::customers::service::settle_points(tx, &order, now).await?;
                }
            }
            // The refund asked for at the counter is made.
            pay_store::finish_refunds(tx, payment.id, "done").await?;
        }
        "refund_failed" => pay_store::finish_refunds(tx, payment.id, "failed").await?,
        _ => {}
    }
    Ok(())
}

/// A refund Stripe would not make: the managers get a task to refund the guest by hand.
async fn refund_by_hand(
    tx: &mut Tx,
    order: &order_store::OrderRow,
    payment: &PaymentRow,
    why: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let amount = format!("{} {}", Money(payment.amount), payment.currency.to_uppercase());
    let number = order.number;
    let task = ByHand {
        name: format!("Refund order #{number} ({amount}) by hand"),
        description: format!(
            "Stripe could not refund the card payment of cancelled order #{number} ({why}). Refund the guest another way."
        ),
        steps: vec![
            format!(
                "Find payment {} in the Stripe dashboard",
                payment.payment_intent.as_deref().or(payment.session_id.as_deref()).unwrap_or("(no id)")
            ),
            format!("Refund {amount} to the guest: in Stripe, or in cash if the card cannot take it"),
            "Note here how it was refunded".to_owned(),
        ],
    };
    hand_to_managers(tx, order.restaurant_id, task, now).await.map(drop)
}
