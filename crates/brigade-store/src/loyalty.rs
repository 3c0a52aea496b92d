//! Loyalty programs and the points ledger, per restaurant group (see migration 0021).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProgramRow {
    pub group_id: Uuid,
    pub enabled: bool,
    pub points_per_unit: i64,
    pub reward_points: i64,
    pub reward_value: i64,
    pub rewards: Json<Vec<brigade_domain::customer::Reward>>,
    pub updated_at: DateTime<Utc>,
}

const PROGRAM: &str = "group_id, enabled, points_per_unit, reward_points, reward_value, rewards, updated_at";

pub async fn program(db: &Db, rid: Uuid, group_id: Uuid) -> Result<Option<ProgramRow>> {
    let sql = format!("SELECT {PROGRAM} FROM loyalty_programs WHERE group_id = $1");
    on_db!(db, rid, |x| sqlx::query_as::<_, ProgramRow>(&sql).bind(group_id).fetch_optional(x).await)
}

pub async fn program_tx(tx: &mut Tx, group_id: Uuid) -> Result<Option<ProgramRow>> {
    let sql = format!("SELECT {PROGRAM} FROM loyalty_programs WHERE group_id = $1");
    on_tx!(tx, |x| sqlx::query_as::<_, ProgramRow>(&sql).bind(group_id).fetch_optional(x).await)
}

pub async fn save_program(tx: &mut Tx, p: &ProgramRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO loyalty_programs ({PROGRAM}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (group_id) DO UPDATE SET enabled = $2, points_per_unit = $3, reward_points = $4,
         reward_value = $5, rewards = $6, updated_at = $7"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(p.group_id)
        .bind(p.enabled)
        .bind(p.points_per_unit)
        .bind(p.reward_points)
        .bind(p.reward_value)
        .bind(&p.rewards)
        .bind(stored_time(p.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub group_id: Uuid,
    pub customer_id: Uuid,
    pub restaurant_id: Uuid,
    pub order_id: Option<Uuid>,
    pub delta: i64,
    /// earned, taken_back, redeemed, returned, adjusted.
    pub reason: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

const ENTRY: &str = "id, group_id, customer_id, restaurant_id, order_id, delta, reason, note, created_at";

pub async fn add(tx: &mut Tx, e: &EntryRow) -> Result<()> {
    let sql = format!("INSERT INTO loyalty_ledger ({ENTRY}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(e.id)
        .bind(e.group_id)
        .bind(e.customer_id)
        .bind(e.restaurant_id)
        .bind(e.order_id)
        .bind(e.delta)
        .bind(&e.reason)
        .bind(&e.note)
        .bind(stored_time(e.created_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A guest's balance: the sum of their ledger.
pub async fn balance_tx(tx: &mut Tx, customer_id: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM loyalty_ledger WHERE customer_id = $1";
    on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(customer_id).fetch_one(x).await)
}

/// Balances of several guests (those with no row are 0), read across the group.
pub async fn balances(db: &Db, ids: &[Uuid]) -> Result<Vec<(Uuid, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT customer_id, CAST(SUM(delta) AS BIGINT) FROM loyalty_ledger WHERE customer_id IN ({}) GROUP BY customer_id",
        crate::placeholders(ids.len(), 1)
    );
    on_db!(db, crate::System::Guests, |x| {
        let mut q = sqlx::query_as::<_, (Uuid, i64)>(&sql);
        for id in ids {
            q = q.bind(id);
        }
        q.fetch_all(x).await
    })
}

/// A guest's ledger, newest first.
pub async fn entries(db: &Db, customer_id: Uuid, limit: i64) -> Result<Vec<EntryRow>> {
    let sql =
        format!("SELECT {ENTRY} FROM loyalty_ledger WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    on_db!(db, crate::System::Guests, |x| sqlx::query_as::<_, EntryRow>(&sql)
        .bind(customer_id)
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// What an order has moved so far: (earned net of taken back, redeemed net of returned).
pub async fn order_net(tx: &mut Tx, order_id: Uuid) -> Result<(i64, i64)> {
    const SQL: &str = "SELECT
        CAST(COALESCE(SUM(CASE WHEN reason IN ('earned', 'taken_back') THEN delta ELSE 0 END), 0) AS BIGINT),
        CAST(COALESCE(SUM(CASE WHEN reason IN ('redeemed', 'returned') THEN delta ELSE 0 END), 0) AS BIGINT)
        FROM loyalty_ledger WHERE order_id = $1";
    on_tx!(tx, |x| sqlx::query_as::<_, (i64, i64)>(SQL).bind(order_id).fetch_one(x).await)
}

/// What an order's payments have given back.
pub async fn refunded_of(tx: &mut Tx, order_id: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT CAST(COALESCE(SUM(refunded), 0) AS BIGINT) FROM payments WHERE order_id = $1";
    on_tx!(tx, |x| sqlx::query_scalar(SQL).bind(order_id).fetch_one(x).await)
}

/// How long a group keeps guests who stopped ordering (months), kept on the group's
/// program row; none: until erased.
pub async fn retention(db: &Db, rid: Uuid, group_id: Uuid) -> Result<Option<i64>> {
    let months: Option<Option<i64>> =
        on_db!(db, rid, |x| sqlx::query_scalar("SELECT retention_months FROM loyalty_programs WHERE group_id = $1")
            .bind(group_id)
            .fetch_optional(x)
            .await)?;
    Ok(months.flatten())
}

pub async fn set_retention(tx: &mut Tx, group_id: Uuid, months: Option<i64>, at: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "INSERT INTO loyalty_programs (group_id, updated_at, retention_months) VALUES ($1, $2, $3)
         ON CONFLICT (group_id) DO UPDATE SET retention_months = $3, updated_at = $2"
    )
    .bind(group_id)
    .bind(stored_time(at))
    .bind(months)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every group that set a retention, with its months.
pub async fn retentions(db: &Db) -> Result<Vec<(Uuid, i64)>> {
    on_db!(db, crate::System::Guests, |x| sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT group_id, retention_months FROM loyalty_programs WHERE retention_months IS NOT NULL"
    )
    .fetch_all(x)
    .await)
}
