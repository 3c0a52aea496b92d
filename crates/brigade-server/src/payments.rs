//! Payments of an order: what is owed when a paid order is cancelled, and the events a
//! payment's life writes. The card processor that carries them out (Stripe, in
//! `integrations::stripe`) sits above: orders call this module, never the integration.

use crate::error::ApiResult;
use crate::jobs::{self, EnqueueOptions};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::orders as order_store;
use brigade_store::payments::{self as pay_store, PaymentRow};
use brigade_store::Tx;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// One payment of a check, as the counter and the order view show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub order_id: Uuid,
    #[schema(value_type = crate::schema::PaymentMethod)]
    pub method: String,
    /// What it paid of the check (minor units), tip apart.
    pub amount: i64,
    pub tip: i64,
    /// Cash handed over, when it was cash.
    pub tendered: Option<i64>,
    /// Cash handed back.
    pub change: i64,
    /// How much of `amount` has been refunded.
    pub refunded: i64,
    /// `paid` for money taken; a card checkout is `open` until the guest pays, then
    /// `paid`, `expired`, `refund_pending`, `refunded` or `refund_failed`; a card on a
    /// reader is `open` until it is `paid`, `failed` or `canceled`.
    pub status: String,
    /// Why it failed, in words for the counter ("Your card was declined.").
    pub error: Option<String>,
    /// The card reader it was taken on.
    pub reader_id: Option<String>,
    pub drawer_id: Option<Uuid>,
    pub business_day: Option<chrono::NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl From<PaymentRow> for PaymentView {
    fn from(p: PaymentRow) -> Self {
        PaymentView {
            id: p.id,
            order_id: p.order_id,
            method: p.method,
            amount: p.amount,
            tip: p.tip,
            tendered: p.tendered,
            change: p.change_given,
            refunded: p.refunded,
            status: p.status,
            error: p.last_error,
            reader_id: p.reader_id,
            drawer_id: p.drawer_id,
            business_day: p.business_day,
            created_at: p.created_at,
        }
    }
}

/// Whether a payment's money counts toward its check: taken, or taken and (partly) being
/// given back. An open or expired checkout has taken nothing.
pub fn counts(p: &PaymentRow) -> bool {
    matches!(p.status.as_str(), "paid" | "refund_pending" | "refunded" | "refund_failed")
}

/// Refunds a cancelled order's card payment, if it has one: marks it refund_pending and
/// enqueues the refund in `tx`, so it happens exactly when the cancellation commits.
pub async fn refund_if_paid(tx: &mut Tx, order: &order_store::OrderRow, now: DateTime<Utc>) -> ApiResult<()> {
    if order.payment_status.as_deref() != Some("paid") {
        return Ok(());
    }
    let Some(payment) = pay_store::paid_of_order_tx(tx, order.id).await? else { return Ok(()) };
    start_refund(tx, order, &payment, now).await
}

pub(crate) async fn start_refund(
    tx: &mut Tx,
    order: &order_store::OrderRow,
    payment: &PaymentRow,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    pay_store::set_status(tx, payment.id, &["paid"], "refund_pending", None, None, None, now).await?;
    order_store::set_payment_status(tx, order.id, Some("refund_pending"), now).await?;
    let key = format!("refund:{}", payment.id);
    let opts = EnqueueOptions { run_at: now, idempotency_key: Some(&key), restaurant_id: Some(order.restaurant_id) };
    jobs::enqueue(tx, &RefundPayment { payment_id: payment.id }, opts, now).await?;
    record(tx, order, "order.refund_pending", json!({ "provider": payment.provider }), now).await
}

/// Asks Stripe to refund a payment. Stripe's idempotency key makes a retried job one
/// refund; the refund's end arrives as `charge.refunded` (or `refund.failed`).
#[derive(Debug, Serialize, Deserialize)]
pub struct RefundPayment {
    pub payment_id: Uuid,
}

/// Asks a card reader to take a payment that is waiting on it: the job creates the
/// payment intent and hands it to the reader; the outcome arrives by Stripe's webhook.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChargeOnReader {
    pub payment_id: Uuid,
}

/// Tells a card reader to stop asking for a payment that was cancelled at the counter.
#[derive(Debug, Serialize, Deserialize)]
pub struct CancelOnReader {
    pub payment_id: Uuid,
}

/// Records a payment event of `order` (its number and amount, and `extra`).
pub(crate) async fn record(
    tx: &mut Tx,
    order: &order_store::OrderRow,
    kind: &'static str,
    extra: Value,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mut payload = json!({ "order_id": order.id, "number": order.number, "amount": order.total });
    if let (Some(p), Value::Object(e)) = (payload.as_object_mut(), extra) {
        p.extend(e);
    }
    events::record(
        tx,
        NewEvent {
            restaurant_id: Some(order.restaurant_id),
            kind,
            entity: "order",
            entity_id: Some(order.id),
            actor: ActedBy::System,
            payload,
            at: now,
        },
    )
    .await?;
    Ok(())
}
