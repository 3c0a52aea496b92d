//! The assistant's sessions (see migration 0018).

use crate::{on_tx, stored_time, Result, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub actor: String,
    pub pending: Option<Json<Value>>,
    pub turns: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, restaurant_id, actor, pending, turns, created_at, updated_at";

/// A session of this restaurant.
pub async fn get(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<SessionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM assistant_sessions WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, |x| sqlx::query_as::<_, SessionRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// Takes a session's turn `turns` (clearing what it waited on), unless another turn took
/// it first. Returns whether this one did.
pub async fn take_pending(tx: &mut Tx, rid: Uuid, id: Uuid, turns: i64, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE assistant_sessions SET pending = NULL, turns = turns + 1, updated_at = $4
         WHERE restaurant_id = $1 AND id = $2 AND turns = $3"
    )
    .bind(rid)
    .bind(id)
    .bind(turns)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn save(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO assistant_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET pending = $4, turns = $5, updated_at = $7"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(s.id)
        .bind(s.restaurant_id)
        .bind(&s.actor)
        .bind(&s.pending)
        .bind(s.turns)
        .bind(stored_time(s.created_at))
        .bind(stored_time(s.updated_at))
        .execute(x)
        .await
        .map(drop))
}

/// Forgets sessions idle since `before` (housekeeping).
pub async fn forget_idle(tx: &mut Tx, before: DateTime<Utc>) -> Result<u64> {
    on_tx!(tx, |x| sqlx::query("DELETE FROM assistant_sessions WHERE updated_at < $1")
        .bind(stored_time(before))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))
}
