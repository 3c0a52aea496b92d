//! Orders, their lines, their status history, and the per-day number counter.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::menu::Channel;
use brigade_domain::order::{OrderStatus, OrderType};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub number: i64,
    pub business_day: NaiveDate,
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(rename = "type", try_from = "String")]
    pub kind: OrderType,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub table_id: Option<Uuid>,
    pub customer: Option<Json<Value>>,
    pub special_instructions: Option<String>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub estimated_ready_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub assigned_to: Option<Uuid>,
    pub tracking_key: String,
    pub idempotency_key: Option<String>,
    pub external_id: Option<String>,
    /// NULL, pending, paid, refund_pending, refunded, refund_failed (see `payments`).
    pub payment_status: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What the guest paid the platform the order came from, when it said.
    pub external_total: Option<i64>,
    /// What its payments cover, net of refunds (minor units, tips apart): kept in the
    /// transaction of every payment and refund, so the balance is `total - amount_paid`.
    pub amount_paid: i64,
    /// Added to what the lines price to: the parts of a check split evenly (negative on
    /// the part that keeps the lines, positive on the others; they sum to zero).
    pub adjust_subtotal: i64,
    pub adjust_tax: i64,
    /// The check this one was merged into (it is then cancelled, its lines moved).
    pub merged_into: Option<Uuid>,
    /// The check this one was split from.
    pub split_from: Option<Uuid>,
    /// The guest's customer profile (of the restaurant's group).
    pub customer_id: Option<Uuid>,
    /// The guest's loyalty points this order spent, and what they took off before tax.
    pub points_redeemed: i64,
    pub points_discount: i64,
    /// The reward those points bought, by its name then (none for the standing reward).
    pub points_reward: Option<String>,
    /// What the order's promotions took off (part of the discount), and which.
    pub promo_discount: i64,
    pub promotions: Option<Json<Vec<brigade_domain::promotion::Used>>>,
    #[sqlx(flatten)]
    pub discount: Discount,
}

/// A check's discount: a share (`bps`) or an amount (`fixed`) of what its lines come to,
/// and what it takes off now (`amount`), with why, who and the manager who approved.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Discount {
    #[sqlx(rename = "discount")]
    pub amount: i64,
    #[sqlx(rename = "discount_bps")]
    pub bps: Option<i64>,
    #[sqlx(rename = "discount_fixed")]
    pub fixed: Option<i64>,
    #[sqlx(rename = "discount_reason")]
    pub reason: Option<String>,
    #[sqlx(rename = "discount_by")]
    pub by: Option<String>,
    #[sqlx(rename = "discount_approved_by")]
    pub approved_by: Option<Uuid>,
}

impl Discount {
    pub fn is_set(&self) -> bool {
        self.bps.is_some() || self.fixed.is_some()
    }
}

macro_rules! order_columns {
    () => {
        "id, restaurant_id, number, business_day, channel, type, status, table_id, customer,
    special_instructions, subtotal, tax, total, estimated_ready_at, ready_at, completed_at, cancel_reason, assigned_to,
    tracking_key, idempotency_key, external_id, payment_status, created_by, created_at, updated_at, external_total,
    amount_paid, adjust_subtotal, adjust_tax, merged_into, split_from, customer_id, points_redeemed, points_discount,
    points_reward, promo_discount, promotions, discount"
    };
}
/// What an order is written with; the columns of a manager's discount start at their
/// defaults (what comes off at placement, points and promotions, is `discount`).
const ORDER_COLUMNS: &str = order_columns!();
/// What an order is read with.
pub(crate) const ORDER_SELECT: &str =
    concat!(order_columns!(), ", discount_bps, discount_fixed, discount_reason, discount_by, discount_approved_by");

/// One chosen modifier as stored on a line: names and prices as they were when ordered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineModifier {
    pub option_id: Uuid,
    pub group: String,
    pub name: String,
    pub price_delta: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub restaurant_id: Uuid,
    pub position: i64,
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    pub modifiers: Json<Vec<LineModifier>>,
    pub notes: Option<String>,
    pub station_id: Option<Uuid>,
    /// Why this line was taken although Brigade could not sell it then (an order from a
    /// platform the guest had already paid).
    pub flag: Option<String>,
    /// The guest's seat at the table.
    pub seat: Option<i64>,
    /// 1 for the lines the order was placed with, then one more per round added.
    pub round: i64,
    /// The kitchen ticket it was fired on (it stays there when a split moves the line).
    pub ticket_id: Option<Uuid>,
    /// A voided line stays for the record and no longer counts in the check's total.
    pub voided_at: Option<DateTime<Utc>>,
    pub void_reason: Option<String>,
    pub voided_by: Option<String>,
    pub void_approved_by: Option<Uuid>,
    #[sqlx(flatten)]
    pub comp: Comp,
}

/// A line given on the house: served and taken from stock, at no charge.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Comp {
    #[sqlx(rename = "comped_at")]
    pub at: Option<DateTime<Utc>>,
    #[sqlx(rename = "comp_reason")]
    pub reason: Option<String>,
    #[sqlx(rename = "comped_by")]
    pub by: Option<String>,
    #[sqlx(rename = "comp_approved_by")]
    pub approved_by: Option<Uuid>,
}

impl LineRow {
    pub fn is_voided(&self) -> bool {
        self.voided_at.is_some()
    }

    /// What it charges: nothing once voided or comped.
    pub fn charged(&self) -> i64 {
        if self.is_voided() || self.comp.at.is_some() {
            0
        } else {
            self.line_total
        }
    }
}

macro_rules! line_columns {
    () => {
        "id, order_id, restaurant_id, position, item_id, name, quantity, unit_price, line_total,
    modifiers, notes, station_id, flag, seat, round, ticket_id, voided_at, void_reason, voided_by, void_approved_by"
    };
}
const LINE_COLUMNS: &str = line_columns!();
const LINE_SELECT: &str = concat!(line_columns!(), ", comped_at, comp_reason, comped_by, comp_approved_by");

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Reserves the next `count` order numbers of a restaurant's business day (1, 2, 3, …)
/// and returns the last; the first is `last - count + 1`. The counter row stays locked
/// until the transaction ends, so concurrent orders get distinct numbers.
pub async fn reserve_numbers(tx: &mut Tx, rid: Uuid, day: NaiveDate, count: i64) -> Result<i64> {
    on_tx!(tx, |x| sqlx::query_scalar(
        "INSERT INTO order_counters (restaurant_id, business_day, last_number) VALUES ($1, $2, $3)
         ON CONFLICT (restaurant_id, business_day) DO UPDATE SET last_number = order_counters.last_number + $3
         RETURNING last_number"
    )
    .bind(rid)
    .bind(day)
    .bind(count)
    .fetch_one(x)
    .await)
}

/// Inserts orders, as many per statement as the bind limit allows.
pub async fn insert_many(tx: &mut Tx, orders: &[OrderRow]) -> Result<()> {
    const COLS: usize = 38;
    for chunk in orders.chunks(crate::MAX_BINDS / COLS) {
        let sql = format!("INSERT INTO orders ({ORDER_COLUMNS}) VALUES {}", crate::values_list(chunk.len(), COLS, 1));
        on_tx!(tx, |x| {
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q
                    .bind(o.id)
                    .bind(o.restaurant_id)
                    .bind(o.number)
                    .bind(o.business_day)
                    .bind(o.channel.as_str())
                    .bind(o.kind.as_str())
                    .bind(o.status.as_str())
                    .bind(o.table_id)
                    .bind(&o.customer)
                    .bind(&o.special_instructions)
                    .bind(o.subtotal)
                    .bind(o.tax)
                    .bind(o.total)
                    .bind(stored_time(o.estimated_ready_at))
                    .bind(o.ready_at.map(stored_time))
                    .bind(o.completed_at.map(stored_time))
                    .bind(&o.cancel_reason)
                    .bind(o.assigned_to)
                    .bind(&o.tracking_key)
                    .bind(&o.idempotency_key)
                    .bind(&o.external_id)
                    .bind(&o.payment_status)
                    .bind(&o.created_by)
                    .bind(stored_time(o.created_at))
                    .bind(stored_time(o.updated_at))
                    .bind(o.external_total)
                    .bind(o.amount_paid)
                    .bind(o.adjust_subtotal)
                    .bind(o.adjust_tax)
                    .bind(o.merged_into)
                    .bind(o.split_from)
                    .bind(o.customer_id)
                    .bind(o.points_redeemed)
                    .bind(o.points_discount)
                    .bind(&o.points_reward)
                    .bind(o.promo_discount)
                    .bind(&o.promotions)
                    .bind(o.discount.amount);
            }
            q.execute(x).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn insert(tx: &mut Tx, o: &OrderRow) -> Result<()> {
    insert_many(tx, std::slice::from_ref(o)).await
}

/// Inserts order lines, as many per statement as the bind limit allows.
pub async fn insert_lines(tx: &mut Tx, lines: &[LineRow]) -> Result<()> {
    const COLS: usize = 20;
    for chunk in lines.chunks(crate::MAX_BINDS / COLS) {
        let sql =
            format!("INSERT INTO order_items ({LINE_COLUMNS}) VALUES {}", crate::values_list(chunk.len(), COLS, 1));
        on_tx!(tx, |x| {
            let mut q = sqlx::query(&sql);
            for l in chunk {
                q = q
                    .bind(l.id)
                    .bind(l.order_id)
                    .bind(l.restaurant_id)
                    .bind(l.position)
                    .bind(l.item_id)
                    .bind(&l.name)
                    .bind(l.quantity)
                    .bind(l.unit_price)
                    .bind(l.line_total)
                    .bind(&l.modifiers)
                    .bind(&l.notes)
                    .bind(l.station_id)
                    .bind(&l.flag)
                    .bind(l.seat)
                    .bind(l.round)
                    .bind(l.ticket_id)
                    .bind(l.voided_at.map(stored_time))
                    .bind(&l.void_reason)
                    .bind(&l.voided_by)
                    .bind(l.void_approved_by);
            }
            q.execute(x).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// One step of an order's status history.
pub struct HistoryEntry<'a> {
    pub restaurant_id: Uuid,
    pub order_id: Uuid,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub actor: &'a str,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn insert_history(tx: &mut Tx, h: &HistoryEntry<'_>) -> Result<()> {
    insert_history_many(tx, std::slice::from_ref(h)).await
}

pub async fn insert_history_many(tx: &mut Tx, entries: &[HistoryEntry<'_>]) -> Result<()> {
    const COLS: usize = 8;
    for chunk in entries.chunks(crate::MAX_BINDS / COLS) {
        let sql = format!(
            "INSERT INTO order_status_history (id, order_id, restaurant_id, from_status, to_status, actor, reason, at) VALUES {}",
            crate::values_list(chunk.len(), COLS, 1)
        );
        on_tx!(tx, |x| {
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q
                    .bind(Uuid::now_v7())
                    .bind(h.order_id)
                    .bind(h.restaurant_id)
                    .bind(h.from)
                    .bind(h.to)
                    .bind(h.actor)
                    .bind(h.reason)
                    .bind(stored_time(h.at));
            }
            q.execute(x).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND id = $2");
    on_db!(db, rid, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// An order by id alone, for a guest following it with its tracking key (`System::Public`)
/// or a job that knows only the order.
pub async fn by_id(db: &Db, scope: impl Into<crate::Scope>, id: Uuid) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_SELECT} FROM orders WHERE id = $1");
    on_db!(db, scope, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(id).fetch_optional(x).await)
}

/// Reads an order inside a transaction; on PostgreSQL the row is locked for the change.
pub async fn get_for_update(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, OrderRow>(&text).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn by_idempotency_key(tx: &mut Tx, rid: Uuid, key: &str) -> Result<Option<OrderRow>> {
    let sql = format!("SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND idempotency_key = $2");
    on_tx!(tx, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(rid).bind(key).fetch_optional(x).await)
}

/// The lines of one restaurant's orders, each order's in their position, in one snapshot.
pub async fn lines(db: &Db, rid: Uuid, order_ids: &[Uuid]) -> Result<Vec<LineRow>> {
    let mut tx = db.begin_read(rid).await?;
    let mut out = Vec::new();
    for id in order_ids {
        out.extend(lines_tx(&mut tx, *id).await?);
    }
    Ok(out)
}

/// One order's lines, in the caller's transaction.
pub async fn lines_tx(tx: &mut Tx, order_id: Uuid) -> Result<Vec<LineRow>> {
    let sql = format!("SELECT {LINE_SELECT} FROM order_items WHERE order_id = $1 ORDER BY round, position, id");
    on_tx!(tx, |x| sqlx::query_as::<_, LineRow>(&sql).bind(order_id).fetch_all(x).await)
}

/// A restaurant's orders of a business day, by number.
pub async fn of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<OrderRow>> {
    let sql =
        format!("SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND business_day = $2 ORDER BY number");
    on_db!(db, rid, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(rid).bind(day).fetch_all(x).await)
}

/// The cancellations of a business day's orders: who cancelled each, why and when.
pub async fn cancellations_of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<HistoryRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, HistoryRow>(
        "SELECT h.id, h.order_id, h.from_status, h.to_status, h.actor, h.reason, h.at FROM order_status_history h
         JOIN orders o ON o.id = h.order_id
         WHERE o.restaurant_id = $1 AND o.business_day = $2 AND h.to_status = 'cancelled' ORDER BY h.at, h.id"
    )
    .bind(rid)
    .bind(day)
    .fetch_all(x)
    .await)
}

pub async fn history(db: &Db, rid: Uuid, order_id: Uuid) -> Result<Vec<HistoryRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, HistoryRow>(
        "SELECT id, order_id, from_status, to_status, actor, reason, at FROM order_status_history
         WHERE restaurant_id = $1 AND order_id = $2 ORDER BY at, id"
    )
    .bind(rid)
    .bind(order_id)
    .fetch_all(x)
    .await)
}

pub struct OrderFilter<'a> {
    pub status: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub since: Option<DateTime<Utc>>,
    pub day: Option<NaiveDate>,
    pub table_id: Option<Uuid>,
    pub number: Option<i64>,
    /// A LIKE pattern (lower case, `\` escapes) for the guest's name or phone.
    pub guest: Option<&'a str>,
    /// The orders of one customer (of any restaurant's group: the restaurant filter
    /// still holds).
    pub customer_id: Option<Uuid>,
    /// Newest first: only orders with an id below this.
    pub before: Option<Uuid>,
    pub open_only: bool,
    pub limit: i64,
}

pub async fn list(db: &Db, rid: Uuid, f: &OrderFilter<'_>) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND ($2 IS NULL OR status = $2)
         AND ($3 IS NULL OR channel = $3) AND ($4 IS NULL OR created_at >= $4) AND ($5 IS NULL OR id < $5)
         AND (NOT $6 OR status IN ('received', 'accepted', 'preparing', 'ready'))
         AND ($8 IS NULL OR business_day = $8) AND ($9 IS NULL OR table_id = $9) AND ($10 IS NULL OR number = $10)
         AND ($11 IS NULL OR LOWER(customer->>'name') LIKE $11 ESCAPE '\\' OR customer->>'phone' LIKE $11 ESCAPE '\\')
         AND ($12 IS NULL OR customer_id = $12)
         ORDER BY id DESC LIMIT $7"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, OrderRow>(&sql)
        .bind(rid)
        .bind(f.status)
        .bind(f.channel)
        .bind(f.since.map(stored_time))
        .bind(f.before)
        .bind(f.open_only)
        .bind(f.limit)
        .bind(f.day)
        .bind(f.table_id)
        .bind(f.number)
        .bind(f.guest)
        .bind(f.customer_id)
        .fetch_all(x)
        .await)
}

/// How many orders are open now, whatever business day they were placed on.
pub async fn count_open(db: &Db, rid: Uuid) -> Result<i64> {
    on_db!(db, rid, |x| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders WHERE restaurant_id = $1 AND status IN ('received', 'accepted', 'preparing', 'ready')"
    )
    .bind(rid)
    .fetch_one(x)
    .await
    })
}

/// The open orders, oldest first: what the kitchen and the pass work through.
pub async fn queue(db: &Db, rid: Uuid, limit: i64) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1
         AND status IN ('received', 'accepted', 'preparing', 'ready') ORDER BY created_at, id LIMIT $2"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(rid).bind(limit).fetch_all(x).await)
}

/// How many orders the kitchen has in hand (for ready-time estimates), counted up to
/// `cap`: past that the estimate no longer changes, and the count stays cheap.
pub async fn open_count(tx: &mut Tx, rid: Uuid, cap: i64) -> Result<i64> {
    on_tx!(tx, |x| sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM orders WHERE restaurant_id = $1
         AND status IN ('received', 'accepted', 'preparing') LIMIT $2) AS open_orders"
    )
    .bind(rid)
    .bind(cap)
    .fetch_one(x)
    .await)
}

pub struct StatusChange<'a> {
    pub to: &'a str,
    pub cancel_reason: Option<&'a str>,
    pub ready_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

pub async fn set_status(tx: &mut Tx, id: Uuid, from: &str, c: &StatusChange<'_>) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE orders SET status = $3, cancel_reason = COALESCE($4, cancel_reason), ready_at = COALESCE($5, ready_at),
         completed_at = COALESCE($6, completed_at), updated_at = $7 WHERE id = $1 AND status = $2"
    )
    .bind(id)
    .bind(from)
    .bind(c.to)
    .bind(c.cancel_reason)
    .bind(c.ready_at.map(stored_time))
    .bind(c.completed_at.map(stored_time))
    .bind(stored_time(c.at))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Opens a completed check again: it is served (ready) and owes what it owes.
pub async fn reopen(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE orders SET status = 'ready', completed_at = NULL, updated_at = $2 WHERE id = $1 AND status = 'completed'"
    )
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn assign(tx: &mut Tx, rid: Uuid, id: Uuid, user: Option<Uuid>, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE orders SET assigned_to = $3, updated_at = $4 WHERE restaurant_id = $1 AND id = $2"
    )
    .bind(rid)
    .bind(id)
    .bind(user)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What the day's stats are computed from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatRow {
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub total: i64,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
}

pub async fn day_stats(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<StatRow>> {
    on_db!(db, rid, |x| {
        sqlx::query_as::<_, StatRow>(
        "SELECT channel, status, total, created_at, ready_at FROM orders WHERE restaurant_id = $1 AND business_day = $2"
    )
    .bind(rid)
    .bind(day)
    .fetch_all(x)
    .await
    })
}

/// Adds `delta` (negative for a refund) to what an order's payments cover.
pub async fn add_paid(tx: &mut Tx, id: Uuid, delta: i64, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE orders SET amount_paid = amount_paid + $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(delta)
        .bind(stored_time(now))
        .execute(x)
        .await
        .map(drop))
}

/// Sets how an order is paid (see `OrderRow::payment_status`).
pub async fn set_payment_status(tx: &mut Tx, id: Uuid, status: Option<&str>, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE orders SET payment_status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(stored_time(now))
        .execute(x)
        .await
        .map(drop))
}

/// The lines fired on these kitchen tickets, wherever a split has moved them since.
pub async fn lines_of_tickets(db: &Db, rid: Uuid, ticket_ids: &[Uuid]) -> Result<Vec<LineRow>> {
    let mut out = Vec::new();
    for chunk in ticket_ids.chunks(crate::MAX_BINDS - 1) {
        let sql = format!(
            "SELECT {LINE_SELECT} FROM order_items WHERE restaurant_id = $1 AND ticket_id IN ({})
             ORDER BY round, position, id",
            crate::placeholders(chunk.len(), 2)
        );
        out.extend(on_db!(db, rid, |x| {
            let mut q = sqlx::query_as::<_, LineRow>(&sql).bind(rid);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(x).await
        })?);
    }
    Ok(out)
}

/// Voids a line: it stays on the check, out of its total. False when it already was.
pub async fn void_line(
    tx: &mut Tx,
    id: Uuid,
    reason: &str,
    by: &str,
    approved_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE order_items SET voided_at = $2, void_reason = $3, voided_by = $4, void_approved_by = $5
         WHERE id = $1 AND voided_at IS NULL"
    )
    .bind(id)
    .bind(stored_time(now))
    .bind(reason)
    .bind(by)
    .bind(approved_by)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Changes a line's notes and seat (what the kitchen reads on its ticket).
pub async fn set_line_details(tx: &mut Tx, id: Uuid, notes: Option<&str>, seat: Option<i64>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE order_items SET notes = $2, seat = $3 WHERE id = $1")
        .bind(id)
        .bind(notes)
        .bind(seat)
        .execute(x)
        .await
        .map(drop))
}

/// Comps a line; false when it is voided or comped already.
pub async fn comp_line(
    tx: &mut Tx,
    id: Uuid,
    reason: &str,
    by: &str,
    approved_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE order_items SET comped_at = $2, comp_reason = $3, comped_by = $4, comp_approved_by = $5
         WHERE id = $1 AND voided_at IS NULL AND comped_at IS NULL"
    )
    .bind(id)
    .bind(stored_time(now))
    .bind(reason)
    .bind(by)
    .bind(approved_by)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Sets (or, with all none, takes off) a check's discount; `amount` is set by repricing.
pub async fn set_discount(tx: &mut Tx, id: Uuid, d: &Discount) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE orders SET discount_bps = $2, discount_fixed = $3, discount_reason = $4, discount_by = $5,
         discount_approved_by = $6 WHERE id = $1"
    )
    .bind(id)
    .bind(d.bps)
    .bind(d.fixed)
    .bind(&d.reason)
    .bind(&d.by)
    .bind(d.approved_by)
    .execute(x)
    .await
    .map(drop))
}

/// The lines comped on a business day's orders, for the close-out, in the order comped.
pub async fn comps_of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_SELECT} FROM order_items WHERE comped_at IS NOT NULL
         AND order_id IN (SELECT id FROM orders WHERE restaurant_id = $1 AND business_day = $2)
         ORDER BY comped_at, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, LineRow>(&sql).bind(rid).bind(day).fetch_all(x).await)
}

/// Moves lines to another order (a split); their tickets stay.
pub async fn move_lines(tx: &mut Tx, line_ids: &[Uuid], to: Uuid) -> Result<()> {
    for id in line_ids {
        on_tx!(tx, |x| sqlx::query("UPDATE order_items SET order_id = $2 WHERE id = $1")
            .bind(*id)
            .bind(to)
            .execute(x)
            .await
            .map(drop))?;
    }
    Ok(())
}

/// Moves every line and kitchen ticket of one order to another (a merge).
pub async fn move_all(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE order_items SET order_id = $2 WHERE order_id = $1")
        .bind(from)
        .bind(to)
        .execute(x)
        .await
        .map(drop))?;
    on_tx!(tx, |x| sqlx::query("UPDATE kds_tickets SET order_id = $2 WHERE order_id = $1")
        .bind(from)
        .bind(to)
        .execute(x)
        .await
        .map(drop))
}

/// An order's totals after its lines changed.
pub struct Totals {
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub adjust_subtotal: i64,
    pub adjust_tax: i64,
    /// What the check's discount takes off.
    pub discount: i64,
}

pub async fn set_totals(tx: &mut Tx, id: Uuid, t: &Totals, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE orders SET subtotal = $2, tax = $3, total = $4, adjust_subtotal = $5, adjust_tax = $6, updated_at = $7,
         discount = $8 WHERE id = $1"
    )
    .bind(id)
    .bind(t.subtotal)
    .bind(t.tax)
    .bind(t.total)
    .bind(t.adjust_subtotal)
    .bind(t.adjust_tax)
    .bind(stored_time(now))
    .bind(t.discount)
    .execute(x)
    .await
    .map(drop))
}

/// Seats an order at a table (or none).
pub async fn set_table(tx: &mut Tx, id: Uuid, table_id: Option<Uuid>, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("UPDATE orders SET table_id = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(table_id)
        .bind(stored_time(now))
        .execute(x)
        .await
        .map(drop))
}

/// Marks an order merged into another: cancelled, with the reason and where it went.
pub async fn set_merged(tx: &mut Tx, id: Uuid, into: Uuid, reason: &str, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE orders SET status = 'cancelled', cancel_reason = $3, merged_into = $2, subtotal = 0, tax = 0,
         total = 0, adjust_subtotal = 0, adjust_tax = 0, updated_at = $4 WHERE id = $1"
    )
    .bind(id)
    .bind(into)
    .bind(reason)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(drop))
}

/// The checks at tables that are not closed: open in the kitchen, or not yet paid and of
/// `day` (a check left unpaid on another day no longer holds its table). Oldest first.
pub async fn open_at_tables(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {ORDER_SELECT} FROM orders WHERE restaurant_id = $1 AND table_id IS NOT NULL
         AND (status IN ('received', 'accepted', 'preparing', 'ready')
              OR (status = 'completed' AND business_day = $2 AND amount_paid < total))
         ORDER BY created_at, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, OrderRow>(&sql).bind(rid).bind(day).fetch_all(x).await)
}

/// The lines voided on a business day's orders, for the close-out, in the order voided.
pub async fn voids_of_day(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<LineRow>> {
    let sql = format!(
        "SELECT {LINE_SELECT} FROM order_items WHERE voided_at IS NOT NULL
         AND order_id IN (SELECT id FROM orders WHERE restaurant_id = $1 AND business_day = $2)
         ORDER BY voided_at, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, LineRow>(&sql).bind(rid).bind(day).fetch_all(x).await)
}
