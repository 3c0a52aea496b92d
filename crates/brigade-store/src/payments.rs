//! Card payments taken through a provider's hosted checkout (Stripe Checkout). Brigade
//! keeps the provider's ids and the state; card data never reaches it.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub order_id: Uuid,
    pub integration_id: Uuid,
    pub provider: String,
    pub session_id: String,
    pub payment_intent: Option<String>,
    pub checkout_url: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// open, paid, expired, refund_pending, refunded, refund_failed.
    pub status: String,
    pub refund_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, restaurant_id, order_id, integration_id, provider, session_id, payment_intent, checkout_url,
    amount, currency, status, refund_id, last_error, created_at, updated_at";

pub async fn insert(tx: &mut Tx, p: &PaymentRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO payments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(p.id)
        .bind(p.restaurant_id)
        .bind(p.order_id)
        .bind(p.integration_id)
        .bind(&p.provider)
        .bind(&p.session_id)
        .bind(&p.payment_intent)
        .bind(&p.checkout_url)
        .bind(p.amount)
        .bind(&p.currency)
        .bind(&p.status)
        .bind(&p.refund_id)
        .bind(&p.last_error)
        .bind(stored_time(p.created_at))
        .bind(stored_time(p.updated_at))
        .execute(c)
        .await
        .map(drop))
}

/// An order's payments, newest first.
pub async fn of_order(db: &Db, rid: Uuid, order_id: Uuid) -> Result<Vec<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC");
    on_db!(db, rid, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_all(c).await)
}

/// The paid payment of an order, read in `tx` (whose caller holds the order row).
pub async fn paid_of_order_tx(tx: &mut Tx, order_id: Uuid) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 AND status = 'paid' ORDER BY id LIMIT 1");
    on_tx!(tx, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_optional(c).await)
}

pub async fn by_session_tx(tx: &mut Tx, provider: &str, session_id: &str) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE provider = $1 AND session_id = $2");
    on_tx!(tx, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(provider).bind(session_id).fetch_optional(c).await)
}

pub async fn by_intent_tx(tx: &mut Tx, provider: &str, payment_intent: &str) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE provider = $1 AND payment_intent = $2");
    on_tx!(tx, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(provider).bind(payment_intent).fetch_optional(c).await)
}

pub async fn by_id(db: &Db, scope: impl Into<crate::Scope>, id: Uuid) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE id = $1");
    on_db!(db, scope, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(id).fetch_optional(c).await)
}

/// Moves a payment on; returns false when it was not in `from` (someone else moved it).
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    tx: &mut Tx,
    id: Uuid,
    from: &[&str],
    to: &str,
    payment_intent: Option<&str>,
    refund_id: Option<&str>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let list = from.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "UPDATE payments SET status = $2, payment_intent = COALESCE($3, payment_intent), refund_id = COALESCE($4, refund_id),
         last_error = $5, updated_at = $6 WHERE id = $1 AND status IN ({list})"
    );
    let n = on_tx!(tx, |c| sqlx::query(&sql)
        .bind(id)
        .bind(to)
        .bind(payment_intent)
        .bind(refund_id)
        .bind(error)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
