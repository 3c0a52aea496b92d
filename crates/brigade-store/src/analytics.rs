//! Analytics rollups: per restaurant and business day, sales by dimension, items sold,
//! ticket times and each channel's orders, with the days owed a recompute and the consumer's cursor in the event log. A day's rows
//! are only ever replaced whole, from its orders.

use crate::{on_db, on_tx, placeholders, values_list, Db, Result, System, Tx, MAX_BINDS};
use brigade_domain::analytics::TicketTimes;
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// How far the consumer has read the event log.
pub async fn cursor(tx: &mut Tx) -> Result<i64> {
    on_tx!(tx, |c| sqlx::query_scalar("SELECT last_event_id FROM analytics_cursor WHERE id = 1").fetch_one(c).await)
}

/// Moves the cursor from `from` to `to`; false when another consumer moved it first.
pub async fn advance(tx: &mut Tx, from: i64, to: i64) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE analytics_cursor SET last_event_id = $2 WHERE id = 1 AND last_event_id = $1"
    )
    .bind(from)
    .bind(to)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks the business days of these orders dirty.
pub async fn mark_orders(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    for chunk in ids.chunks(MAX_BINDS) {
        let sql = format!(
            "INSERT INTO rollup_dirty (restaurant_id, business_day, mark)
             SELECT DISTINCT restaurant_id, business_day, 0 FROM orders WHERE id IN ({})
             ON CONFLICT (restaurant_id, business_day) DO UPDATE SET mark = rollup_dirty.mark + 1",
            placeholders(chunk.len(), 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

/// Marks one restaurant's days dirty (a rebuild).
pub async fn mark_days(tx: &mut Tx, rid: Uuid, days: &[NaiveDate]) -> Result<()> {
    for chunk in days.chunks(MAX_BINDS / 2) {
        let sql = format!(
            "INSERT INTO rollup_dirty (restaurant_id, business_day) VALUES {}
             ON CONFLICT (restaurant_id, business_day) DO UPDATE SET mark = rollup_dirty.mark + 1",
            values_list(chunk.len(), 2, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q.bind(rid).bind(d);
            }
            q.execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Dirty {
    pub restaurant_id: Uuid,
    pub business_day: NaiveDate,
    pub mark: i64,
}

/// Days owed a recompute, oldest first.
pub async fn dirty(db: &Db, limit: i64) -> Result<Vec<Dirty>> {
    on_db!(db, System::Analytics, |c| sqlx::query_as::<_, Dirty>(
        "SELECT restaurant_id, business_day, mark FROM rollup_dirty ORDER BY business_day, restaurant_id LIMIT $1"
    )
    .bind(limit)
    .fetch_all(c)
    .await)
}

/// Clears a day's mark as it was read; false when it was marked again since (or another
/// consumer took it), so the day's new rows must not be written from this reading.
pub async fn take(tx: &mut Tx, d: &Dirty) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM rollup_dirty WHERE restaurant_id = $1 AND business_day = $2 AND mark = $3"
    )
    .bind(d.restaurant_id)
    .bind(d.business_day)
    .bind(d.mark)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// How many days are owed a recompute.
pub async fn dirty_count(db: &Db) -> Result<i64> {
    on_db!(db, System::Analytics, |c| sqlx::query_scalar("SELECT COUNT(*) FROM rollup_dirty").fetch_one(c).await)
}

/// One order of a day as the rollups count it (not cancelled).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderMoney {
    pub id: Uuid,
    pub channel: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub table_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub total: i64,
    pub tax: i64,
    pub discount: i64,
    /// Given back from its payments.
    pub refunded: i64,
    /// Tips on its payments that went through.
    pub tips: i64,
}

/// A restaurant's orders of a business day that count: not cancelled.
pub async fn day_orders(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<OrderMoney>> {
    const SQL: &str =
        "SELECT o.id, o.channel, o.type, o.table_id, o.created_by, o.created_at, o.total, o.tax, o.discount,
            CAST(COALESCE((SELECT SUM(p.refunded) FROM payments p WHERE p.order_id = o.id), 0) AS BIGINT) AS refunded,
            CAST(COALESCE((SELECT SUM(p.tip) FROM payments p WHERE p.order_id = o.id
                 AND p.status IN ('paid', 'refund_pending', 'refunded', 'refund_failed')), 0) AS BIGINT) AS tips
        FROM orders o WHERE o.restaurant_id = $1 AND o.business_day = $2 AND o.status <> 'cancelled'";
    on_db!(db, rid, |c| sqlx::query_as::<_, OrderMoney>(SQL).bind(rid).bind(day).fetch_all(c).await)
}

/// A line of a counted order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LineSold {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub line_total: i64,
    pub modifiers: Json<Value>,
    pub voided: bool,
    pub comped: bool,
}

/// The lines of a restaurant's orders of a business day that count.
pub async fn day_lines(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<LineSold>> {
    const SQL: &str = "SELECT l.item_id, l.name, l.quantity, l.line_total, l.modifiers,
            l.voided_at IS NOT NULL AS voided, l.comped_at IS NOT NULL AS comped
        FROM order_items l JOIN orders o ON o.id = l.order_id
        WHERE o.restaurant_id = $1 AND o.business_day = $2 AND o.status <> 'cancelled'";
    on_db!(db, rid, |c| sqlx::query_as::<_, LineSold>(SQL).bind(rid).bind(day).fetch_all(c).await)
}

/// Money of one rollup row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Money {
    pub orders: i64,
    pub gross: i64,
    pub discounts: i64,
    pub refunds: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    pub tips: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SalesRow {
    pub business_day: NaiveDate,
    pub dim: String,
    pub key: String,
    #[sqlx(flatten)]
    pub money: Money,
    /// The items' food cost, on the day's whole row (0 on the others).
    #[sqlx(default)]
    pub food_cost: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemRow {
    pub business_day: NaiveDate,
    /// item or option.
    pub kind: String,
    pub id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub revenue: i64,
    pub food_cost: i64,
}

/// Everything a day's rollups hold, computed from its orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayRows {
    pub sales: Vec<SalesRow>,
    pub items: Vec<ItemRow>,
    pub kitchen: Vec<KitchenRow>,
    pub channels: Vec<ChannelRow>,
}

/// Replaces a day's rows with these, in `tx` (whose caller took the day's mark).
pub async fn replace_day(tx: &mut Tx, rid: Uuid, day: NaiveDate, rows: &DayRows) -> Result<()> {
    let (sales, items) = (&rows.sales, &rows.items);
    // The month's sums lose the day's old rows here and gain its new ones below.
    let month = day.with_day(1).unwrap_or(day);
    month_delta(tx, rid, day, month, false).await?;
    for table in ["sales_rollup", "item_rollup", "kitchen_rollup", "channel_rollup"] {
        let sql = format!("DELETE FROM {table} WHERE restaurant_id = $1 AND business_day = $2");
        on_tx!(tx, |c| sqlx::query(&sql).bind(rid).bind(day).execute(c).await.map(drop))?;
    }
    const SALES_COLS: usize = 13;
    for chunk in sales.chunks(MAX_BINDS / SALES_COLS) {
        let sql = format!(
            "INSERT INTO sales_rollup (restaurant_id, business_day, dim, key, orders, gross, discounts, refunds, net,
             tax, total, tips, food_cost) VALUES {}",
            values_list(chunk.len(), SALES_COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                let m = &r.money;
                q = q
                    .bind(rid)
                    .bind(r.business_day)
                    .bind(&r.dim)
                    .bind(&r.key)
                    .bind(m.orders)
                    .bind(m.gross)
                    .bind(m.discounts)
                    .bind(m.refunds)
                    .bind(m.net)
                    .bind(m.tax)
                    .bind(m.total)
                    .bind(m.tips)
                    .bind(r.food_cost);
            }
            q.execute(c).await.map(drop)
        })?;
    }
    const ITEM_COLS: usize = 8;
    for chunk in items.chunks(MAX_BINDS / ITEM_COLS) {
        let sql = format!(
            "INSERT INTO item_rollup (restaurant_id, business_day, kind, id, name, quantity, revenue, food_cost)
             VALUES {}",
            values_list(chunk.len(), ITEM_COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(rid)
                    .bind(r.business_day)
                    .bind(&r.kind)
                    .bind(r.id)
                    .bind(&r.name)
                    .bind(r.quantity)
                    .bind(r.revenue)
                    .bind(r.food_cost);
            }
            q.execute(c).await.map(drop)
        })?;
    }
    const KITCHEN_COLS: usize = 8;
    for chunk in rows.kitchen.chunks(MAX_BINDS / KITCHEN_COLS) {
        let sql = format!(
            "INSERT INTO kitchen_rollup (restaurant_id, business_day, dim, key, tickets, seconds, longest, buckets)
             VALUES {}",
            values_list(chunk.len(), KITCHEN_COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(rid)
                    .bind(r.business_day)
                    .bind(&r.dim)
                    .bind(&r.key)
                    .bind(r.times.tickets)
                    .bind(r.times.seconds)
                    .bind(r.times.longest)
                    .bind(Json(&r.times.buckets));
            }
            q.execute(c).await.map(drop)
        })?;
    }
    const CHANNEL_COLS: usize = 11;
    for chunk in rows.channels.chunks(MAX_BINDS / CHANNEL_COLS) {
        let sql = format!(
            "INSERT INTO channel_rollup (restaurant_id, business_day, channel, orders, total, matched, matched_total,
             external_total, cancelled, cancelled_total, reasons) VALUES {}",
            values_list(chunk.len(), CHANNEL_COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for r in chunk {
                q = q
                    .bind(rid)
                    .bind(r.business_day)
                    .bind(&r.channel)
                    .bind(r.orders)
                    .bind(r.total)
                    .bind(r.matched)
                    .bind(r.matched_total)
                    .bind(r.external_total)
                    .bind(r.cancelled)
                    .bind(r.cancelled_total)
                    .bind(Json(&r.reasons));
            }
            q.execute(c).await.map(drop)
        })?;
    }
    month_delta(tx, rid, day, month, true).await?;
    const EMPTY: &str = "DELETE FROM item_rollup_month WHERE restaurant_id = $1 AND month = $2
        AND quantity = 0 AND revenue = 0 AND food_cost = 0";
    on_tx!(tx, |c| sqlx::query(EMPTY).bind(rid).bind(month).execute(c).await.map(drop))
}

/// Adds a day's item rows to its month's sums, or takes them away.
async fn month_delta(tx: &mut Tx, rid: Uuid, day: NaiveDate, month: NaiveDate, add: bool) -> Result<()> {
    let (sign, name) = if add { ("", "excluded.name") } else { ("-", "item_rollup_month.name") };
    let sql = format!(
        "INSERT INTO item_rollup_month (restaurant_id, month, kind, id, name, quantity, revenue, food_cost)
         SELECT restaurant_id, $3, kind, id, name, {sign}quantity, {sign}revenue, {sign}food_cost FROM item_rollup
         WHERE restaurant_id = $1 AND business_day = $2
         ON CONFLICT (restaurant_id, month, kind, id) DO UPDATE SET name = {name},
             quantity = item_rollup_month.quantity + excluded.quantity,
             revenue = item_rollup_month.revenue + excluded.revenue,
             food_cost = item_rollup_month.food_cost + excluded.food_cost"
    );
    on_tx!(tx, |c| sqlx::query(&sql).bind(rid).bind(day).bind(month).execute(c).await.map(drop))
}

const MONEY_SUMS: &str = "CAST(SUM(orders) AS BIGINT) AS orders, CAST(SUM(gross) AS BIGINT) AS gross,
    CAST(SUM(discounts) AS BIGINT) AS discounts, CAST(SUM(refunds) AS BIGINT) AS refunds,
    CAST(SUM(net) AS BIGINT) AS net, CAST(SUM(tax) AS BIGINT) AS tax, CAST(SUM(total) AS BIGINT) AS total,
    CAST(SUM(tips) AS BIGINT) AS tips";

/// A restaurant's day rows (dimension `day`) from `from` to `to`, by day.
pub async fn days(db: &Db, rid: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<SalesRow>> {
    const SQL: &str = "SELECT business_day, dim, key, orders, gross, discounts, refunds, net, tax, total, tips,
        food_cost FROM sales_rollup WHERE restaurant_id = $1 AND dim = 'day' AND business_day >= $2 AND business_day <= $3
        ORDER BY business_day";
    on_db!(db, rid, |c| sqlx::query_as::<_, SalesRow>(SQL).bind(rid).bind(from).bind(to).fetch_all(c).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyMoney {
    pub key: String,
    #[sqlx(flatten)]
    pub money: Money,
}

/// A restaurant's sales from `from` to `to` summed by the keys of dimension `dim`.
pub async fn by_key(db: &Db, rid: Uuid, dim: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<KeyMoney>> {
    let sql = format!(
        "SELECT key, {MONEY_SUMS} FROM sales_rollup
         WHERE restaurant_id = $1 AND dim = $2 AND business_day >= $3 AND business_day <= $4 GROUP BY key ORDER BY key"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, KeyMoney>(&sql).bind(rid).bind(dim).bind(from).bind(to).fetch_all(c).await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemSum {
    /// `item` or `option`.
    pub kind: String,
    pub id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub revenue: i64,
    pub food_cost: i64,
}

/// A restaurant's items and options sold from `from` to `to`: the whole calendar months
/// inside the period from the monthly sums, the days before and after them from the days.
pub async fn items(db: &Db, rid: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<ItemSum>> {
    const SQL: &str = "SELECT kind, id, MAX(name) AS name, CAST(SUM(quantity) AS BIGINT) AS quantity,
            CAST(SUM(revenue) AS BIGINT) AS revenue, CAST(SUM(food_cost) AS BIGINT) AS food_cost
        FROM (SELECT kind, id, name, quantity, revenue, food_cost FROM item_rollup_month
                WHERE restaurant_id = $1 AND month >= $2 AND month < $3
              UNION ALL
              SELECT kind, id, name, quantity, revenue, food_cost FROM item_rollup
                WHERE restaurant_id = $1 AND business_day >= $4 AND business_day <= $5
              UNION ALL
              SELECT kind, id, name, quantity, revenue, food_cost FROM item_rollup
                WHERE restaurant_id = $1 AND business_day >= $6 AND business_day <= $7) AS r
        GROUP BY kind, id";
    let s = month_split(from, to);
    on_db!(db, rid, |c| sqlx::query_as::<_, ItemSum>(SQL)
        .bind(rid)
        .bind(s.months.0)
        .bind(s.months.1)
        .bind(s.head.0)
        .bind(s.head.1)
        .bind(s.tail.0)
        .bind(s.tail.1)
        .fetch_all(c)
        .await)
}

/// A period cut into whole calendar months (`months`, first days, the end excluded) and
/// the days before (`head`) and after (`tail`) them, each inclusive; an empty part has
/// its start after its end.
#[derive(Debug, PartialEq, Eq)]
struct MonthSplit {
    months: (NaiveDate, NaiveDate),
    head: (NaiveDate, NaiveDate),
    tail: (NaiveDate, NaiveDate),
}

fn month_split(from: NaiveDate, to: NaiveDate) -> MonthSplit {
    let first_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let next_month = |d: NaiveDate| first_of(first_of(d) + chrono::Days::new(31));
    let start = if from.day() == 1 { from } else { next_month(from) };
    let after = to.succ_opt().unwrap_or(to);
    let end = if after.day() == 1 { after } else { first_of(to) };
    if start >= end {
        return MonthSplit { months: (end, end), head: (from, to), tail: (after, to) };
    }
    MonthSplit { months: (start, end), head: (from, start.pred_opt().unwrap_or(start)), tail: (end, to) }
}

/// A day's bumped tickets: whole (dim `day`), at one station (dim `station`, its id or
/// `''` for none) or opened in one local hour (dim `hour`, `0`–`23`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitchenRow {
    pub business_day: NaiveDate,
    pub dim: String,
    pub key: String,
    pub times: TicketTimes,
}

#[derive(sqlx::FromRow)]
struct KitchenDb {
    business_day: NaiveDate,
    dim: String,
    key: String,
    tickets: i64,
    seconds: i64,
    longest: i64,
    buckets: Json<Vec<(i64, i64)>>,
}

impl From<KitchenDb> for KitchenRow {
    fn from(r: KitchenDb) -> KitchenRow {
        KitchenRow {
            business_day: r.business_day,
            dim: r.dim,
            key: r.key,
            times: TicketTimes { buckets: r.buckets.0, tickets: r.tickets, seconds: r.seconds, longest: r.longest },
        }
    }
}

/// A day's orders of one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ChannelRow {
    pub business_day: NaiveDate,
    pub channel: String,
    /// Counted (not cancelled) orders and what they came to.
    pub orders: i64,
    pub total: i64,
    /// Counted orders that carry the platform's own total: how many, our total on them
    /// and theirs.
    pub matched: i64,
    pub matched_total: i64,
    pub external_total: i64,
    pub cancelled: i64,
    pub cancelled_total: i64,
    /// Cancelled orders per reason ("" where none was given).
    pub reasons: Json<BTreeMap<String, i64>>,
}

/// A bumped ticket of a counted order of the day.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketTime {
    pub station_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub bumped_at: DateTime<Utc>,
}

/// The bumped tickets of a restaurant's counted orders of a business day.
pub async fn day_tickets(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<TicketTime>> {
    const SQL: &str = "SELECT t.station_id, t.created_at, t.bumped_at
        FROM kds_tickets t JOIN orders o ON o.id = t.order_id
        WHERE o.restaurant_id = $1 AND o.business_day = $2 AND o.status <> 'cancelled' AND t.bumped_at IS NOT NULL";
    on_db!(db, rid, |c| sqlx::query_as::<_, TicketTime>(SQL).bind(rid).bind(day).fetch_all(c).await)
}

/// Every order of a day as its channel counts it, cancelled ones included.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChannelOrder {
    pub channel: String,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
    pub total: i64,
    pub external_total: Option<i64>,
}

pub async fn day_channel_orders(db: &Db, rid: Uuid, day: NaiveDate) -> Result<Vec<ChannelOrder>> {
    const SQL: &str = "SELECT channel, status = 'cancelled' AS cancelled, cancel_reason, total, external_total
        FROM orders WHERE restaurant_id = $1 AND business_day = $2";
    on_db!(db, rid, |c| sqlx::query_as::<_, ChannelOrder>(SQL).bind(rid).bind(day).fetch_all(c).await)
}

/// A restaurant's kitchen rows of one dimension (`day`, `station`, `hour`; all when
/// `None`) from `from` to `to`.
pub async fn kitchen(db: &Db, rid: Uuid, dim: Option<&str>, from: NaiveDate, to: NaiveDate) -> Result<Vec<KitchenRow>> {
    // The dimension leads the key after the restaurant, so one is a range scan.
    let (sql, dims): (&str, Vec<&str>) = match dim {
        Some(d) => ("dim = $2", vec![d]),
        None => ("dim IN ($2, $5, $6)", vec!["day", "station", "hour"]),
    };
    let sql = format!(
        "SELECT business_day, dim, key, tickets, seconds, longest, buckets FROM kitchen_rollup
         WHERE restaurant_id = $1 AND {sql} AND business_day >= $3 AND business_day <= $4 ORDER BY dim, business_day, key"
    );
    let rows = on_db!(db, rid, |c| {
        let mut q = sqlx::query_as::<_, KitchenDb>(&sql).bind(rid).bind(dims[0]).bind(from).bind(to);
        for d in &dims[1..] {
            q = q.bind(*d);
        }
        q.fetch_all(c).await
    })?;
    Ok(rows.into_iter().map(KitchenRow::from).collect())
}

/// A restaurant's channel rows from `from` to `to`.
pub async fn channels(db: &Db, rid: Uuid, from: NaiveDate, to: NaiveDate) -> Result<Vec<ChannelRow>> {
    const SQL: &str = "SELECT business_day, channel, orders, total, matched, matched_total, external_total, cancelled,
        cancelled_total, reasons FROM channel_rollup
        WHERE restaurant_id = $1 AND business_day >= $2 AND business_day <= $3 ORDER BY business_day, channel";
    on_db!(db, rid, |c| sqlx::query_as::<_, ChannelRow>(SQL).bind(rid).bind(from).bind(to).fetch_all(c).await)
}

/// Platform orders Brigade refused (`denied`) between two instants: platform and reason.
pub async fn denied(
    db: &Db,
    rid: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, Option<String>)>> {
    const SQL: &str = "SELECT platform, reason FROM inbound_webhooks
        WHERE restaurant_id = $1 AND outcome = 'denied' AND received_at >= $2 AND received_at < $3";
    on_db!(db, rid, |c| sqlx::query_as::<_, (String, Option<String>)>(SQL)
        .bind(rid)
        .bind(crate::stored_time(from))
        .bind(crate::stored_time(to))
        .fetch_all(c)
        .await)
}

/// Every row of a restaurant's days from `from` to `to` (the check against a recompute).
pub async fn day_rows(db: &Db, rid: Uuid, from: NaiveDate, to: NaiveDate) -> Result<DayRows> {
    const SALES: &str = "SELECT business_day, dim, key, orders, gross, discounts, refunds, net, tax, total, tips,
        food_cost FROM sales_rollup WHERE restaurant_id = $1 AND business_day >= $2 AND business_day <= $3
        ORDER BY business_day, dim, key";
    const ITEMS: &str = "SELECT business_day, kind, id, name, quantity, revenue, food_cost
        FROM item_rollup WHERE restaurant_id = $1 AND business_day >= $2 AND business_day <= $3
        ORDER BY business_day, kind, id";
    let sales =
        on_db!(db, rid, |c| sqlx::query_as::<_, SalesRow>(SALES).bind(rid).bind(from).bind(to).fetch_all(c).await)?;
    let items =
        on_db!(db, rid, |c| sqlx::query_as::<_, ItemRow>(ITEMS).bind(rid).bind(from).bind(to).fetch_all(c).await)?;
    let kitchen = kitchen(db, rid, None, from, to).await?;
    let channels = channels(db, rid, from, to).await?;
    Ok(DayRows { sales, items, kitchen, channels })
}

/// The business days with orders of one restaurant, or of all, from `from` to `to`.
pub async fn order_days(db: &Db, rid: Option<Uuid>, from: NaiveDate, to: NaiveDate) -> Result<Vec<(Uuid, NaiveDate)>> {
    const SQL: &str = "SELECT DISTINCT restaurant_id, business_day FROM orders
        WHERE ($1 IS NULL OR restaurant_id = $1) AND business_day >= $2 AND business_day <= $3";
    on_db!(db, System::Analytics, |c| sqlx::query_as::<_, (Uuid, NaiveDate)>(SQL)
        .bind(rid)
        .bind(from)
        .bind(to)
        .fetch_all(c)
        .await)
}

/// A restaurant's own dayparts, when it has set them.
pub async fn dayparts(db: &Db, rid: Uuid) -> Result<Option<Vec<brigade_domain::analytics::Daypart>>> {
    let row: Option<(Json<Vec<brigade_domain::analytics::Daypart>>,)> =
        on_db!(db, rid, |c| sqlx::query_as("SELECT dayparts FROM analytics_settings WHERE restaurant_id = $1")
            .bind(rid)
            .fetch_optional(c)
            .await)?;
    Ok(row.map(|(d,)| d.0))
}

pub async fn set_dayparts(
    tx: &mut Tx,
    rid: Uuid,
    parts: &[brigade_domain::analytics::Daypart],
    now: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO analytics_settings (restaurant_id, dayparts, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (restaurant_id) DO UPDATE SET dayparts = $2, updated_at = $3"
    )
    .bind(rid)
    .bind(Json(parts))
    .bind(crate::stored_time(now))
    .execute(c)
    .await
    .map(drop))
}

/// A member's daily report email: the local time they want it.
pub async fn report_email(db: &Db, rid: Uuid, user: Uuid) -> Result<Option<NaiveTime>> {
    on_db!(db, rid, |c| sqlx::query_scalar(
        "SELECT send_at FROM report_emails WHERE restaurant_id = $1 AND user_id = $2"
    )
    .bind(rid)
    .bind(user)
    .fetch_optional(c)
    .await)
}

pub async fn set_report_email(
    tx: &mut Tx,
    rid: Uuid,
    user: Uuid,
    send_at: NaiveTime,
    now: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO report_emails (restaurant_id, user_id, send_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (restaurant_id, user_id) DO UPDATE SET send_at = $3, updated_at = $4"
    )
    .bind(rid)
    .bind(user)
    .bind(send_at)
    .bind(crate::stored_time(now))
    .execute(c)
    .await
    .map(drop)
    })
}

/// Stops a member's daily report email; false when they had none.
pub async fn delete_report_email(tx: &mut Tx, rid: Uuid, user: Uuid) -> Result<bool> {
    on_tx!(tx, |c| sqlx::query("DELETE FROM report_emails WHERE restaurant_id = $1 AND user_id = $2")
        .bind(rid)
        .bind(user)
        .execute(c)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Takes a business day's sending for a member: false when that day (or a later one) was
/// sent already, so two sendings of one day cannot both go.
pub async fn take_report_day(tx: &mut Tx, rid: Uuid, user: Uuid, day: NaiveDate) -> Result<Option<Option<NaiveDate>>> {
    let before: Option<Option<NaiveDate>> = on_tx!(tx, |c| sqlx::query_scalar(
        "SELECT last_day FROM report_emails WHERE restaurant_id = $1 AND user_id = $2"
    )
    .bind(rid)
    .bind(user)
    .fetch_optional(c)
    .await)?;
    let Some(before) = before else { return Ok(None) };
    if before.is_some_and(|b| b >= day) {
        return Ok(None);
    }
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE report_emails SET last_day = $3 WHERE restaurant_id = $1 AND user_id = $2
         AND (last_day IS NULL OR last_day < $3)"
    )
    .bind(rid)
    .bind(user)
    .bind(day)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok((n == 1).then_some(before))
}

/// Gives a day's sending back (the relay failed for now), unless another took it since.
pub async fn give_back_report_day(
    tx: &mut Tx,
    rid: Uuid,
    user: Uuid,
    day: NaiveDate,
    before: Option<NaiveDate>,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE report_emails SET last_day = $4 WHERE restaurant_id = $1 AND user_id = $2 AND last_day = $3"
    )
    .bind(rid)
    .bind(user)
    .bind(day)
    .bind(before)
    .execute(c)
    .await
    .map(drop))
}

/// Every daily report email of every restaurant, for the hourly check that each has its
/// next sending queued.
pub async fn all_report_emails(db: &Db) -> Result<Vec<(Uuid, Uuid, NaiveTime)>> {
    on_db!(db, System::Housekeeping, |c| sqlx::query_as("SELECT restaurant_id, user_id, send_at FROM report_emails")
        .fetch_all(c)
        .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_split_into_whole_months_and_the_days_around_them() {
        let split = month_split(d("2026-01-15"), d("2026-04-10"));
        assert_eq!(split.months, (d("2026-02-01"), d("2026-04-01")));
        assert_eq!(split.head, (d("2026-01-15"), d("2026-01-31")));
        assert_eq!(split.tail, (d("2026-04-01"), d("2026-04-10")));
        // Exactly whole months: no days around them.
        let split = month_split(d("2026-02-01"), d("2026-02-28"));
        assert_eq!(split.months, (d("2026-02-01"), d("2026-03-01")));
        assert!(split.head.0 > split.head.1 && split.tail.0 > split.tail.1);
        // Inside one month, or across two without a whole one: days only.
        for (from, to) in [("2026-03-02", "2026-03-30"), ("2026-03-20", "2026-04-10"), ("2026-12-31", "2027-01-01")] {
            let split = month_split(d(from), d(to));
            assert!(split.months.0 >= split.months.1);
            assert_eq!(split.head, (d(from), d(to)));
            assert!(split.tail.0 > split.tail.1);
        }
        // A year ending on the 6th of December.
        let split = month_split(d("2025-12-07"), d("2026-12-06"));
        assert_eq!(split.months, (d("2026-01-01"), d("2026-12-01")));
        assert_eq!(split.head, (d("2025-12-07"), d("2025-12-31")));
        assert_eq!(split.tail, (d("2026-12-01"), d("2026-12-06")));
    }
}
