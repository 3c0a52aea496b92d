//! Stored responses for `Idempotency-Key`: the first request with a key claims it; its
//! response is kept and replayed to any retry with the same key and body.

use crate::{on_db, on_tx, stored_time, Db, Result, System};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredResponse {
    pub request_hash: String,
    /// `None` while the first request is still running.
    pub status: Option<i32>,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Claims `(scope, key)` for a request. False when someone holds it already.
pub async fn claim(db: &Db, scope: &str, key: &str, request_hash: &str, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.begin(System::Idempotency).await?;
    let n = on_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (scope, key) DO NOTHING"
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

pub async fn get(db: &Db, scope: &str, key: &str) -> Result<Option<StoredResponse>> {
    on_db!(db, System::Idempotency, |c| sqlx::query_as::<_, StoredResponse>(
        "SELECT request_hash, status, body, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2"
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(c)
    .await)
}

pub async fn complete(db: &Db, scope: &str, key: &str, status: i32, body: &str) -> Result<()> {
    let mut tx = db.begin(System::Idempotency).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE idempotency_keys SET status = $3, body = $4 WHERE scope = $1 AND key = $2"
    )
    .bind(scope)
    .bind(key)
    .bind(status)
    .bind(body)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Lets go of a claim whose request failed on our side, so a retry runs again.
pub async fn release(db: &Db, scope: &str, key: &str) -> Result<()> {
    let mut tx = db.begin(System::Idempotency).await?;
    on_tx!(&mut tx, |c| sqlx::query("DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// Forgets responses older than `cutoff`.
pub async fn purge(tx: &mut crate::Tx, cutoff: DateTime<Utc>) -> Result<u64> {
    on_tx!(tx, |c| sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(stored_time(cutoff))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
}
