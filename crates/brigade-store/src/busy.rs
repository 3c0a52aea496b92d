//! Busy mode: one row per restaurant while it is on (see migration 0017).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::menu::Channel;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BusyRow {
    pub restaurant_id: Uuid,
    pub extra_minutes: i64,
    pub until: DateTime<Utc>,
    pub paused_channels: Json<Vec<Channel>>,
    pub reason: Option<String>,
    pub set_by: String,
    pub updated_at: DateTime<Utc>,
}

impl BusyRow {
    /// Whether it is still on at `now` (it ends by itself at `until`).
    pub fn on_at(&self, now: DateTime<Utc>) -> bool {
        now < self.until
    }
}

const COLUMNS: &str = "restaurant_id, extra_minutes, until, paused_channels, reason, set_by, updated_at";

pub async fn get(db: &Db, rid: Uuid) -> Result<Option<BusyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM busy_modes WHERE restaurant_id = $1");
    on_db!(db, rid, |x| sqlx::query_as::<_, BusyRow>(&sql).bind(rid).fetch_optional(x).await)
}

pub async fn get_tx(tx: &mut Tx, rid: Uuid) -> Result<Option<BusyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM busy_modes WHERE restaurant_id = $1");
    on_tx!(tx, |x| sqlx::query_as::<_, BusyRow>(&sql).bind(rid).fetch_optional(x).await)
}

/// Turns busy mode on, or changes it.
pub async fn put(tx: &mut Tx, b: &BusyRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO busy_modes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (restaurant_id) DO UPDATE SET extra_minutes = $2, until = $3, paused_channels = $4,
             reason = $5, set_by = $6, updated_at = $7"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(b.restaurant_id)
        .bind(b.extra_minutes)
        .bind(stored_time(b.until))
        .bind(&b.paused_channels)
        .bind(&b.reason)
        .bind(&b.set_by)
        .bind(stored_time(b.updated_at))
        .execute(x)
        .await
        .map(drop))
}

/// Ends busy mode. Returns whether it was on (in the table at all).
pub async fn end(tx: &mut Tx, rid: Uuid) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query("DELETE FROM busy_modes WHERE restaurant_id = $1")
        .bind(rid)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}
