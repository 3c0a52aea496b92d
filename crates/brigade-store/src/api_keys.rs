//! API keys: random secrets shown once, stored as SHA-256, scoped to one restaurant and a
//! list of permissions.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub permissions: Json<Vec<String>>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the key stops working by itself; `None` for a key that lasts until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, restaurant_id, name, prefix, permissions, created_by, created_at, last_used_at, revoked_at, expires_at";

pub async fn insert(tx: &mut Tx, k: &ApiKeyRow, key_hash: &str) -> Result<()> {
    const SQL: &str =
        "INSERT INTO api_keys (id, restaurant_id, name, prefix, key_hash, permissions, created_by, created_at,
        expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(k.id)
        .bind(k.restaurant_id)
        .bind(&k.name)
        .bind(&k.prefix)
        .bind(key_hash)
        .bind(&k.permissions)
        .bind(k.created_by)
        .bind(stored_time(k.created_at))
        .bind(k.expires_at.map(stored_time))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn by_hash(db: &Db, key_hash: &str) -> Result<Option<ApiKeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1");
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, ApiKeyRow>(&sql).bind(key_hash).fetch_optional(c).await)
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<ApiKeyRow>> {
    let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE restaurant_id = $1 AND id = $2");
    on_db!(db, rid, |c| sqlx::query_as::<_, ApiKeyRow>(&sql).bind(rid).bind(id).fetch_optional(c).await)
}

pub async fn list(db: &Db, rid: Uuid, after: Option<Uuid>, limit: i64) -> Result<Vec<ApiKeyRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE restaurant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, ApiKeyRow>(&sql).bind(rid).bind(after).bind(limit).fetch_all(c).await)
}

pub async fn revoke(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let done = on_tx!(tx, |c| sqlx::query(
        "UPDATE api_keys SET revoked_at = $3 WHERE restaurant_id = $1 AND id = $2 AND revoked_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records use, at most once a minute per key so a busy integration does not turn every
/// read into a write.
pub async fn touch(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin(System::Authenticate).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)"
    )
    .bind(id)
    .bind(stored_time(now))
    .bind(stored_time(now - chrono::Duration::seconds(60)))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}
