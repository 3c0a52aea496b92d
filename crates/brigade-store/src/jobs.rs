//! The durable job queue.
//!
//! A job is enqueued inside the transaction of the change that causes it, so it exists
//! exactly when the change committed. Workers claim due jobs with a lease; a job whose
//! worker died is claimed again once its lease runs out. Completion and failure are fenced
//! by the attempt number, so a worker that lost its lease cannot overwrite the result of
//! the worker that took over. On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so many
//! nodes share one queue without ever claiming the same job; SQLite has a single writer,
//! which makes its claim atomic as it is.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRow {
    pub id: Uuid,
    pub kind: String,
    pub payload: Json<Value>,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub idempotency_key: Option<String>,
    pub restaurant_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, locked_until, locked_by, last_error,
    idempotency_key, restaurant_id, created_at, updated_at, finished_at";

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: Value,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub idempotency_key: Option<&'a str>,
    pub restaurant_id: Option<Uuid>,
    pub now: DateTime<Utc>,
}

/// Enqueues a job in `tx`. With an idempotency key that is already queued (or done), no
/// second job is made and the existing job's id is returned.
pub async fn enqueue(tx: &mut Tx, j: NewJob<'_>) -> Result<Uuid> {
    const SQL: &str = "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, idempotency_key,
        restaurant_id, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $8, $8)
        ON CONFLICT (idempotency_key) DO NOTHING";
    let id = Uuid::now_v7();
    let done = on_tx!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(j.kind)
        .bind(Json(&j.payload))
        .bind(j.max_attempts)
        .bind(stored_time(j.run_at))
        .bind(j.idempotency_key)
        .bind(j.restaurant_id)
        .bind(stored_time(j.now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 1 {
        return Ok(id);
    }
    on_tx!(tx, |c| sqlx::query_scalar("SELECT id FROM jobs WHERE idempotency_key = $1")
        .bind(j.idempotency_key)
        .fetch_one(c)
        .await)
}

/// Claims up to `limit` due jobs for `worker`, leasing them until `lease_until`: queued
/// jobs whose time has come, and running jobs whose lease ran out (their worker died).
pub async fn claim(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<JobRow>> {
    const DUE: &str = "(status = 'queued' AND run_at <= $1) OR (status = 'running' AND locked_until <= $1)";
    let (now, lease_until) = (stored_time(now), stored_time(lease_until));
    let mut tx = db.begin(System::Jobs).await?;
    // Several PostgreSQL nodes skip each other's locked rows; SQLite's single writer
    // already makes this statement atomic.
    let sql = |lock: &str| {
        format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $2, locked_by = $3,
             updated_at = $1 WHERE id IN (SELECT id FROM jobs WHERE {DUE} ORDER BY run_at LIMIT $4 {lock})
             RETURNING {COLUMNS}"
        )
    };
    let rows = on_tx!(&mut tx, sqlite: sql(""), postgres: sql("FOR UPDATE SKIP LOCKED"), |c, sql| sqlx::query_as::<_, JobRow>(&sql)
        .bind(now)
        .bind(lease_until)
        .bind(worker)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    tx.commit().await?;
    Ok(rows)
}

/// Marks a claimed job done. False when the claim was lost (lease expired and another
/// worker took the job over).
pub async fn succeed(db: &Db, id: Uuid, attempt: i32, now: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.begin(System::Jobs).await?;
    let done = on_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE jobs SET status = 'succeeded', finished_at = $3, updated_at = $3, locked_until = NULL, last_error = NULL
         WHERE id = $1 AND attempts = $2 AND status = 'running'"
    )
    .bind(id)
    .bind(attempt)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(done == 1)
}

/// Records a failed attempt: back to the queue at `retry_at`, or dead when it is `None`.
pub async fn fail(
    db: &Db,
    id: Uuid,
    attempt: i32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut tx = db.begin(System::Jobs).await?;
    let done = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE jobs SET status = CASE WHEN $4 IS NULL THEN 'dead' ELSE 'queued' END,
            run_at = COALESCE($4, run_at), last_error = $3, locked_until = NULL, updated_at = $5,
            finished_at = CASE WHEN $4 IS NULL THEN $5 ELSE NULL END
         WHERE id = $1 AND attempts = $2 AND status = 'running'"
    )
    .bind(id)
    .bind(attempt)
    .bind(error)
    .bind(retry_at.map(stored_time))
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(done == 1)
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
    on_db!(db, System::Jobs, |c| sqlx::query_as::<_, JobRow>(&sql).bind(id).fetch_optional(c).await)
}

/// How many jobs are in each state, for `/metrics` and `/health`.
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>> {
    on_db!(db, System::Jobs, |c| sqlx::query_as::<_, (String, i64)>(
        "SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status"
    )
    .fetch_all(c)
    .await)
}

pub async fn by_idempotency_key(db: &Db, key: &str) -> Result<Option<JobRow>> {
    let sql = format!("SELECT {COLUMNS} FROM jobs WHERE idempotency_key = $1");
    on_db!(db, System::Jobs, |c| sqlx::query_as::<_, JobRow>(&sql).bind(key).fetch_optional(c).await)
}
