//! Payments of a check: cash and card-machine payments taken at the counter, and card
//! payments through a provider (Stripe Checkout), of which Brigade keeps the provider's
//! ids and the state (card data never reaches it). And the refunds made from them.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub order_id: Uuid,
    /// The processor's integration, for a card taken through one.
    pub integration_id: Option<Uuid>,
    pub provider: Option<String>,
    pub session_id: Option<String>,
    pub payment_intent: Option<String>,
    pub checkout_url: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// open, paid, expired, failed, canceled, refund_pending, refunded, refund_failed.
    pub status: String,
    pub refund_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// cash, card or external (see `brigade_domain::payments::Method`).
    pub method: String,
    pub tip: i64,
    pub tendered: Option<i64>,
    pub change_given: i64,
    /// How much of `amount` has been given back.
    pub refunded: i64,
    /// Who took it (an encoded actor); none for a guest's own checkout.
    pub taken_by: Option<String>,
    pub drawer_id: Option<Uuid>,
    pub business_day: Option<NaiveDate>,
    /// The card reader (Stripe Terminal) a card payment at the counter is taken on.
    pub reader_id: Option<String>,
}

const COLUMNS: &str = "id, restaurant_id, order_id, integration_id, provider, session_id, payment_intent, checkout_url,
    amount, currency, status, refund_id, last_error, created_at, updated_at, method, tip, tendered, change_given,
    refunded, taken_by, drawer_id, business_day, reader_id";

pub async fn insert(tx: &mut Tx, p: &PaymentRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO payments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19, $20, $21, $22, $23, $24)"
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
        .bind(&p.method)
        .bind(p.tip)
        .bind(p.tendered)
        .bind(p.change_given)
        .bind(p.refunded)
        .bind(&p.taken_by)
        .bind(p.drawer_id)
        .bind(p.business_day)
        .bind(&p.reader_id)
        .execute(c)
        .await
        .map(drop))
}

/// An order's payments, newest first.
pub async fn of_order(db: &Db, rid: Uuid, order_id: Uuid) -> Result<Vec<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at DESC, id DESC");
    on_db!(db, rid, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_all(c).await)
}

/// The paid card payment of an order taken through a processor (a guest's checkout),
/// read in `tx` (whose caller holds the order row). Money taken at the counter is given
/// back at the counter, not by the processor.
pub async fn paid_of_order_tx(tx: &mut Tx, order_id: Uuid) -> Result<Option<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payments WHERE order_id = $1 AND status = 'paid' AND provider IS NOT NULL ORDER BY id LIMIT 1"
    );
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

/// The payments of several orders of one restaurant, oldest first.
pub async fn of_orders(db: &Db, rid: Uuid, order_ids: &[Uuid]) -> Result<Vec<PaymentRow>> {
    if order_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for chunk in order_ids.chunks(crate::MAX_BINDS - 1) {
        let list = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {COLUMNS} FROM payments WHERE restaurant_id = $1 AND order_id IN ({list}) ORDER BY created_at, id"
        );
        out.extend(on_db!(db, rid, |c| {
            let mut q = sqlx::query_as::<_, PaymentRow>(&sql).bind(rid);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?);
    }
    Ok(out)
}

/// An order's payments read in `tx`, oldest first.
pub async fn of_order_tx(tx: &mut Tx, order_id: Uuid) -> Result<Vec<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE order_id = $1 ORDER BY created_at, id");
    on_tx!(tx, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(order_id).fetch_all(c).await)
}

/// One payment of a restaurant, read in `tx` (whose caller holds its order's row).
pub async fn get_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<PaymentRow>> {
    let sql = format!("SELECT {COLUMNS} FROM payments WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(rid).bind(id).fetch_optional(c).await)
}

/// Records that `amount` more of a payment has gone back; false if that would be more
/// than the payment (someone refunded it meanwhile).
pub async fn add_refunded(tx: &mut Tx, id: Uuid, amount: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE payments SET refunded = refunded + $2, updated_at = $3 WHERE id = $1 AND refunded + $2 <= amount"
    )
    .bind(id)
    .bind(amount)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Money given back from a payment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub reason: String,
    /// done, pending (asked of the processor) or failed.
    pub status: String,
    pub refunded_by: String,
    pub approved_by: Option<Uuid>,
    pub business_day: NaiveDate,
    pub created_at: DateTime<Utc>,
}

const REFUND_COLUMNS: &str =
    "id, restaurant_id, payment_id, order_id, amount, reason, status, refunded_by, approved_by, business_day, created_at";

pub async fn insert_refund(tx: &mut Tx, r: &RefundRow) -> Result<()> {
    let sql = format!("INSERT INTO refunds ({REFUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(r.id)
        .bind(r.restaurant_id)
        .bind(r.payment_id)
        .bind(r.order_id)
        .bind(r.amount)
        .bind(&r.reason)
        .bind(&r.status)
        .bind(&r.refunded_by)
        .bind(r.approved_by)
        .bind(r.business_day)
        .bind(stored_time(r.created_at))
        .execute(c)
        .await
        .map(drop))
}

/// The refunds made from one restaurant's payments on a business day, oldest first.
pub async fn refunds_of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<RefundRow>> {
    let sql = format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE restaurant_id = $1 AND business_day = $2 ORDER BY created_at, id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, RefundRow>(&sql).bind(rid).bind(day).fetch_all(c).await)
}

/// One restaurant's payments taken on a business day, oldest first.
pub async fn of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<PaymentRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM payments WHERE restaurant_id = $1 AND business_day = $2 ORDER BY created_at, id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, PaymentRow>(&sql).bind(rid).bind(day).fetch_all(c).await)
}

// ---------------------------------------------------------------- cash drawers

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DrawerRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub float_amount: i64,
    pub business_day: NaiveDate,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub expected: Option<i64>,
    pub counted: Option<i64>,
}

const DRAWER_COLUMNS: &str =
    "id, restaurant_id, name, float_amount, business_day, opened_by, opened_at, closed_by, closed_at, expected, counted";

/// Opens a drawer; false when an open drawer of this restaurant has that name.
pub async fn open_drawer(tx: &mut Tx, d: &DrawerRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO cash_drawers ({DRAWER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, NULL)
         ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |c| sqlx::query(&sql)
        .bind(d.id)
        .bind(d.restaurant_id)
        .bind(&d.name)
        .bind(d.float_amount)
        .bind(d.business_day)
        .bind(&d.opened_by)
        .bind(stored_time(d.opened_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A drawer of a restaurant, read in `tx`; on PostgreSQL locked until it ends.
pub async fn drawer_for_update(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<DrawerRow>> {
    let sql = format!("SELECT {DRAWER_COLUMNS} FROM cash_drawers WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |c, text| sqlx::query_as::<_, DrawerRow>(&text)
        .bind(rid)
        .bind(id)
        .fetch_optional(c)
        .await)
}

/// A restaurant's open drawers, oldest first, read in `tx`.
pub async fn open_drawers_tx(tx: &mut Tx, rid: Uuid) -> Result<Vec<DrawerRow>> {
    let sql = format!(
        "SELECT {DRAWER_COLUMNS} FROM cash_drawers WHERE restaurant_id = $1 AND closed_at IS NULL ORDER BY opened_at, id"
    );
    on_tx!(tx, |c| sqlx::query_as::<_, DrawerRow>(&sql).bind(rid).fetch_all(c).await)
}

/// A restaurant's drawers: the open ones and those opened on `day`, oldest first.
pub async fn drawers(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<DrawerRow>> {
    let sql = format!(
        "SELECT {DRAWER_COLUMNS} FROM cash_drawers WHERE restaurant_id = $1 AND (closed_at IS NULL OR business_day = $2)
         ORDER BY opened_at, id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, DrawerRow>(&sql).bind(rid).bind(day).fetch_all(c).await)
}

pub async fn close_drawer(
    tx: &mut Tx,
    id: Uuid,
    by: &str,
    expected: i64,
    counted: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE cash_drawers SET closed_by = $2, closed_at = $3, expected = $4, counted = $5
         WHERE id = $1 AND closed_at IS NULL"
    )
    .bind(id)
    .bind(by)
    .bind(stored_time(now))
    .bind(expected)
    .bind(counted)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Paid in or paid out of a drawer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DrawerMovementRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub drawer_id: Uuid,
    /// paid_in or paid_out.
    pub kind: String,
    pub amount: i64,
    pub reason: String,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_drawer_movement(tx: &mut Tx, m: &DrawerMovementRow) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO drawer_movements (id, restaurant_id, drawer_id, kind, amount, reason, actor, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(m.id)
    .bind(m.restaurant_id)
    .bind(m.drawer_id)
    .bind(&m.kind)
    .bind(m.amount)
    .bind(&m.reason)
    .bind(&m.actor)
    .bind(stored_time(m.created_at))
    .execute(c)
    .await
    .map(drop))
}

/// The cash a drawer should hold: its float, the cash its payments took (amount and tip;
/// the change went back out), less cash refunded from them, plus paid in, less paid out.
pub async fn drawer_expected(tx: &mut Tx, d: &DrawerRow) -> Result<i64> {
    let (taken, refunded, moved): (Option<i64>, Option<i64>, Option<i64>) = on_tx!(tx, |c| sqlx::query_as(
        "SELECT
           (SELECT CAST(SUM(amount + tip) AS BIGINT) FROM payments WHERE drawer_id = $1 AND method = 'cash'),
           (SELECT CAST(SUM(r.amount) AS BIGINT) FROM refunds r JOIN payments p ON p.id = r.payment_id
              WHERE p.drawer_id = $1 AND p.method = 'cash'),
           (SELECT CAST(SUM(CASE WHEN kind = 'paid_in' THEN amount ELSE -amount END) AS BIGINT) FROM drawer_movements
              WHERE drawer_id = $1)"
    )
    .bind(d.id)
    .fetch_one(c)
    .await)?;
    Ok(d.float_amount + taken.unwrap_or(0) - refunded.unwrap_or(0) + moved.unwrap_or(0))
}

/// Marks a payment's refunds that waited on the processor done or failed.
pub async fn finish_refunds(tx: &mut Tx, payment_id: Uuid, status: &str) -> Result<()> {
    on_tx!(tx, |c| sqlx::query("UPDATE refunds SET status = $2 WHERE payment_id = $1 AND status = 'pending'")
        .bind(payment_id)
        .bind(status)
        .execute(c)
        .await
        .map(drop))
}
