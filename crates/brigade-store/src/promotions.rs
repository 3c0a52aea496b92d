//! Promotions and their uses (see migration 0022). The rules are
//! `brigade_domain::promotion`'s; this module reads, writes and counts.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::menu::{Channel, Schedule};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PromotionRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub kind: String,
    pub value: i64,
    pub item_ids: Json<Vec<Uuid>>,
    pub category_ids: Json<Vec<Uuid>>,
    pub min_subtotal: Option<i64>,
    pub channels: Option<Json<Vec<Channel>>>,
    pub schedule: Json<Schedule>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub stackable: bool,
    pub active: bool,
    pub uses: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PromotionRow {
    /// Its rules, for `brigade_domain::promotion`.
    pub fn rule(&self) -> brigade_domain::promotion::Rule {
        brigade_domain::promotion::Rule {
            kind: brigade_domain::promotion::Kind::parse(&self.kind).unwrap_or(brigade_domain::promotion::Kind::Amount),
            value: self.value,
            item_ids: self.item_ids.0.clone(),
            category_ids: self.category_ids.0.clone(),
            min_subtotal: self.min_subtotal,
            channels: self.channels.as_ref().map(|c| c.0.clone()),
            schedule: self.schedule.0.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }
}

/// What a promotion is read with: its uses counted from `promotion_uses` (no counter on
/// the row, so an order does not update one hot row per promotion it uses).
const COLUMNS: &str = "id, restaurant_id, name, code, kind, value, item_ids, category_ids, min_subtotal, channels,
    schedule, starts_at, ends_at, max_uses, max_uses_per_customer, stackable, active,
    (SELECT COUNT(*) FROM promotion_uses u WHERE u.promotion_id = promotions.id) AS uses, created_at, updated_at";
/// What a promotion is written with.
const WRITTEN: &str = "id, restaurant_id, name, code, kind, value, item_ids, category_ids, min_subtotal, channels,
    schedule, starts_at, ends_at, max_uses, max_uses_per_customer, stackable, active, created_at, updated_at";

/// The restaurant's promotions (archived ones left out), codes first, then by name.
pub async fn list(db: &Db, rid: Uuid) -> Result<Vec<PromotionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM promotions WHERE restaurant_id = $1 AND archived_at IS NULL
         ORDER BY code IS NULL, code, name, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, PromotionRow>(&sql).bind(rid).fetch_all(x).await)
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<PromotionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM promotions WHERE restaurant_id = $1 AND id = $2 AND archived_at IS NULL");
    on_db!(db, rid, |x| sqlx::query_as::<_, PromotionRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// What an order placed now may use: the active promotion with `code` (if given) and
/// the active automatic ones, read in `tx` (their `uses` are not counted here: the
/// writer counts those with a limit under its lock).
pub async fn for_order(tx: &mut Tx, rid: Uuid, code: Option<&str>) -> Result<Vec<PromotionRow>> {
    let columns = WRITTEN.replace("active, created_at", "active, CAST(0 AS BIGINT) AS uses, created_at");
    let sql = format!(
        "SELECT {columns} FROM promotions WHERE restaurant_id = $1 AND archived_at IS NULL AND active
         AND (code IS NULL OR code = $2) ORDER BY id"
    );
    on_tx!(tx, |x| sqlx::query_as::<_, PromotionRow>(&sql).bind(rid).bind(code).fetch_all(x).await)
}

/// Whether an active or paused promotion of the restaurant has `code` (not archived).
pub async fn code_exists(tx: &mut Tx, rid: Uuid, code: &str) -> Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM promotions WHERE restaurant_id = $1 AND code = $2 AND archived_at IS NULL";
    let n: i64 = on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(rid).bind(code).fetch_one(x).await)?;
    Ok(n > 0)
}

/// Writes a promotion, new or changed.
pub async fn save(tx: &mut Tx, p: &PromotionRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO promotions ({WRITTEN}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19)
         ON CONFLICT (id) DO UPDATE SET name = $3, code = $4, kind = $5, value = $6, item_ids = $7, category_ids = $8,
         min_subtotal = $9, channels = $10, schedule = $11, starts_at = $12, ends_at = $13, max_uses = $14,
         max_uses_per_customer = $15, stackable = $16, active = $17, updated_at = $19"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(p.id)
        .bind(p.restaurant_id)
        .bind(&p.name)
        .bind(&p.code)
        .bind(&p.kind)
        .bind(p.value)
        .bind(&p.item_ids)
        .bind(&p.category_ids)
        .bind(p.min_subtotal)
        .bind(&p.channels)
        .bind(&p.schedule)
        .bind(p.starts_at.map(stored_time))
        .bind(p.ends_at.map(stored_time))
        .bind(p.max_uses)
        .bind(p.max_uses_per_customer)
        .bind(p.stackable)
        .bind(p.active)
        .bind(stored_time(p.created_at))
        .bind(stored_time(p.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Archives a promotion: no order uses it again; the orders that did still name it.
pub async fn archive(tx: &mut Tx, rid: Uuid, id: Uuid, at: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE promotions SET archived_at = $3, updated_at = $3 WHERE restaurant_id = $1 AND id = $2
         AND archived_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// Under the order writer: the promotion's uses so far, its row locked first on
/// PostgreSQL so that orders racing for the last use are counted one after the other.
pub async fn lock_uses(tx: &mut Tx, id: Uuid) -> Result<i64> {
    const LOCK: &str = "SELECT id FROM promotions WHERE id = $1";
    on_tx!(tx, sqlite: LOCK.to_owned(), postgres: format!("{LOCK} FOR UPDATE"), |x, text| sqlx::query_scalar::<_, Uuid>(&text)
        .bind(id)
        .fetch_optional(x)
        .await)?;
    const COUNT: &str = "SELECT COUNT(*) FROM promotion_uses WHERE promotion_id = $1";
    on_tx!(tx, |x| sqlx::query_scalar(COUNT).bind(id).fetch_one(x).await)
}

/// How many of the guest's orders used the promotion (cancelled ones not counted).
pub async fn uses_by(tx: &mut Tx, id: Uuid, customer_id: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM promotion_uses WHERE promotion_id = $1 AND customer_id = $2";
    on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(id).bind(customer_id).fetch_one(x).await)
}

/// One order's use of one promotion.
pub struct Use {
    pub promotion_id: Uuid,
    pub order_id: Uuid,
    pub restaurant_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub amount: i64,
}

/// Counts orders' uses of promotions, as many rows per statement as the bind limit allows.
pub async fn record_uses(tx: &mut Tx, uses: &[Use], at: DateTime<Utc>) -> Result<()> {
    const COLS: usize = 6;
    for chunk in uses.chunks(crate::MAX_BINDS / COLS) {
        let sql = format!(
            "INSERT INTO promotion_uses (promotion_id, order_id, restaurant_id, customer_id, amount, created_at) VALUES {}",
            crate::values_list(chunk.len(), COLS, 1)
        );
        on_tx!(tx, |x| {
            let mut q = sqlx::query(&sql);
            for u in chunk {
                q = q
                    .bind(u.promotion_id)
                    .bind(u.order_id)
                    .bind(u.restaurant_id)
                    .bind(u.customer_id)
                    .bind(u.amount)
                    .bind(stored_time(at));
            }
            q.execute(x).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

/// Gives back a cancelled order's uses: a code with one use left can be used again.
pub async fn release(tx: &mut Tx, order_id: Uuid) -> Result<u64> {
    on_tx!(tx, |x| sqlx::query("DELETE FROM promotion_uses WHERE order_id = $1")
        .bind(order_id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))
}

/// Moves a merged-away guest's uses to the profile they were merged into.
pub async fn move_customer(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<u64> {
    on_tx!(tx, |x| sqlx::query("UPDATE promotion_uses SET customer_id = $2 WHERE customer_id = $1")
        .bind(from)
        .bind(to)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))
}
