//! Integrations and their sync jobs.
//!
//! An integration's jobs are pushed by one worker at a time, oldest first: a worker leases
//! the integration (not single jobs), so the platform sees changes in the order they were
//! made, and a worker that died gives the integration back when its lease runs out. Jobs
//! coalesce: while a job for a thing waits, more changes to that thing join it (a unique
//! index over waiting jobs), and the push reads the thing's state when it runs, so ten
//! toggles send the final state once.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntegrationRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub platform: String,
    pub name: String,
    pub store_id: String,
    pub config: Json<Value>,
    /// AES-256-GCM sealed JSON; only the server's secrets key opens it.
    pub credentials: Option<Vec<u8>>,
    pub credential_hints: Json<Value>,
    pub status: String,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub error_count: i32,
    pub drift: Option<Json<Value>>,
    pub drift_checked_at: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Webhooks refused so far (unsigned, forged, unreadable), and the last one's time.
    pub webhooks_refused: i64,
    pub last_refused_at: Option<DateTime<Utc>>,
}

/// The platforms Brigade pushes its menu and 86s to (Square's menu comes the other way;
/// Stripe takes payments).
const MENU_PLATFORMS: &str = "'ubereats', 'doordash', 'grubhub'";

const COLUMNS: &str = "id, restaurant_id, platform, name, store_id, config, credentials, credential_hints, status,
    last_sync_at, last_success_at, last_error, error_count, drift, drift_checked_at, paused_until, created_at, updated_at,
    webhooks_refused, last_refused_at";

/// Inserts an integration. False when another integration already serves that store of
/// that platform.
pub async fn insert(tx: &mut Tx, r: &IntegrationRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO integrations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
         $19, $20) ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |c| sqlx::query(&sql)
        .bind(r.id)
        .bind(r.restaurant_id)
        .bind(&r.platform)
        .bind(&r.name)
        .bind(&r.store_id)
        .bind(&r.config)
        .bind(&r.credentials)
        .bind(&r.credential_hints)
        .bind(&r.status)
        .bind(r.last_sync_at.map(stored_time))
        .bind(r.last_success_at.map(stored_time))
        .bind(&r.last_error)
        .bind(r.error_count)
        .bind(&r.drift)
        .bind(r.drift_checked_at.map(stored_time))
        .bind(r.paused_until.map(stored_time))
        .bind(stored_time(r.created_at))
        .bind(stored_time(r.updated_at))
        .bind(r.webhooks_refused)
        .bind(r.last_refused_at.map(stored_time))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Saves what a person may change: name, store, config, credentials, status. False when
/// the store is another integration's.
pub async fn update(tx: &mut Tx, r: &IntegrationRow) -> Result<bool> {
    let taken = on_tx!(tx, |c| {
        sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM integrations WHERE platform = $1 AND store_id = $2 AND id <> $3 AND deleted_at IS NULL"
    )
    .bind(&r.platform)
    .bind(&r.store_id)
    .bind(r.id)
    .fetch_one(c)
    .await
    })?;
    if taken > 0 {
        return Ok(false);
    }
    on_tx!(tx, |c| sqlx::query(
        "UPDATE integrations SET name = $3, store_id = $4, config = $5, credentials = $6, credential_hints = $7,
         status = $8, last_error = $9, error_count = $10, updated_at = $11
         WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(r.id)
    .bind(r.restaurant_id)
    .bind(&r.name)
    .bind(&r.store_id)
    .bind(&r.config)
    .bind(&r.credentials)
    .bind(&r.credential_hints)
    .bind(&r.status)
    .bind(&r.last_error)
    .bind(r.error_count)
    .bind(stored_time(r.updated_at))
    .execute(c)
    .await
    .map(drop))?;
    Ok(true)
}

/// Removes an integration; its waiting jobs are cancelled.
pub async fn delete(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE integrations SET deleted_at = $3, updated_at = $3 WHERE id = $2 AND restaurant_id = $1 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    on_tx!(tx, |c| sqlx::query(
        "UPDATE sync_jobs SET status = 'cancelled', completed_at = $2, updated_at = $2
         WHERE integration_id = $1 AND status IN ('pending', 'running')"
    )
    .bind(id)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(drop))?;
    Ok(n == 1)
}

pub async fn list(db: &Db, rid: Uuid) -> Result<Vec<IntegrationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM integrations WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(rid).fetch_all(c).await)
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<IntegrationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM integrations WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_db!(db, rid, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(rid).bind(id).fetch_optional(c).await)
}

pub async fn get_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<IntegrationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM integrations WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_tx!(tx, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(rid).bind(id).fetch_optional(c).await)
}

/// An integration by id alone, for the sync worker and for a platform's webhook, which
/// names the integration in its URL and proves itself with its signature afterwards.
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<IntegrationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM integrations WHERE id = $1 AND deleted_at IS NULL");
    on_db!(db, System::Inbound, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(id).fetch_optional(c).await)
}

/// The integrations of a restaurant that take availability and menu pushes (not paused
/// by a person), as (id, platform).
pub async fn syncing_tx(tx: &mut Tx, rid: Uuid) -> Result<Vec<(Uuid, String)>> {
    let sql = format!(
        "SELECT id, platform FROM integrations WHERE restaurant_id = $1 AND deleted_at IS NULL AND status <> 'paused'
         AND platform IN ({MENU_PLATFORMS}) ORDER BY created_at, id"
    );
    on_tx!(tx, |c| sqlx::query_as::<_, (Uuid, String)>(&sql).bind(rid).fetch_all(c).await)
}

/// Integrations of every restaurant whose drift is due to be checked.
pub async fn drift_due(db: &Db, before: DateTime<Utc>) -> Result<Vec<(Uuid, Uuid)>> {
    let sql = format!(
        "SELECT id, restaurant_id FROM integrations WHERE deleted_at IS NULL AND status <> 'paused'
         AND platform IN ({MENU_PLATFORMS}) AND (drift_checked_at IS NULL OR drift_checked_at <= $1) ORDER BY id"
    );
    on_db!(db, System::Housekeeping, |c| sqlx::query_as::<_, (Uuid, Uuid)>(&sql)
        .bind(stored_time(before))
        .fetch_all(c)
        .await)
}

/// Records a push that went through: the integration is active again unless a job of it
/// is dead.
pub async fn record_success(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin(System::Outbound).await?;
    record_success_tx(&mut tx, id, now).await?;
    tx.commit().await
}

/// Records a successful push in `tx`, the transaction that marks the job done, so nobody
/// sees the job succeeded while the integration still says it is degraded.
pub async fn record_success_tx(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    let sql = format!(
        "UPDATE integrations SET last_sync_at = $2, last_success_at = $2, last_error = NULL, updated_at = $2,
         status = CASE WHEN status = 'paused' THEN status
                       WHEN EXISTS (SELECT 1 FROM sync_jobs j WHERE j.integration_id = $1 AND {UNRESOLVED_DEAD}) THEN 'degraded'
                       ELSE 'active' END
         WHERE id = $1"
    );
    on_tx!(tx, |c| sqlx::query(&sql).bind(id).bind(stored_time(now)).execute(c).await.map(drop))
}

/// Records a failed push; `status` replaces the integration's unless a person paused it.
pub async fn record_failure(
    db: &Db,
    id: Uuid,
    error: &str,
    status: Option<&str>,
    paused_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin(System::Outbound).await?;
    record_failure_tx(&mut tx, id, error, status, paused_until, now).await?;
    tx.commit().await
}

/// [`record_failure`] in `tx`, with whatever else the failure changes.
pub async fn record_failure_tx(
    tx: &mut Tx,
    id: Uuid,
    error: &str,
    status: Option<&str>,
    paused_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE integrations SET last_sync_at = $2, last_error = $3, error_count = error_count + 1, updated_at = $2,
         status = CASE WHEN status = 'paused' OR $4 IS NULL THEN status ELSE $4 END,
         paused_until = COALESCE($5, paused_until)
         WHERE id = $1"
    )
    .bind(id)
    .bind(stored_time(now))
    .bind(error)
    .bind(status)
    .bind(paused_until.map(stored_time))
    .execute(c)
    .await
    .map(drop))
}

/// Holds back every push to an integration until `until` (the platform asked us to wait).
pub async fn pause_until(db: &Db, id: Uuid, until: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin(System::Outbound).await?;
    on_tx!(&mut tx, |c| sqlx::query("UPDATE integrations SET paused_until = $2 WHERE id = $1")
        .bind(id)
        .bind(stored_time(until))
        .execute(c)
        .await
        .map(drop))?;
    tx.commit().await
}

pub async fn record_drift(db: &Db, id: Uuid, drift: &Value, now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin(System::Outbound).await?;
    on_tx!(&mut tx, |c| sqlx::query("UPDATE integrations SET drift = $2, drift_checked_at = $3 WHERE id = $1")
        .bind(id)
        .bind(Json(drift))
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(drop))?;
    tx.commit().await
}

/// Leases up to `limit` integrations whose oldest waiting job is due, for `worker` until
/// `lease_until`. A job left `running` by a worker whose lease ran out counts as waiting.
pub async fn lease(
    db: &Db,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
    busy: &[Uuid],
) -> Result<Vec<Uuid>> {
    let (now, lease_until) = (stored_time(now), stored_time(lease_until));
    // Integrations this process is still draining are not taken again, even when their
    // lease ran out: their drain finds that out at its next renewal.
    let not_busy = if busy.is_empty() {
        String::new()
    } else {
        format!("AND i.id NOT IN ({})", crate::placeholders(busy.len(), 5))
    };
    let sql = |lock: &str| {
        format!(
            "UPDATE integrations SET lease_until = $2, leased_by = $3 WHERE id IN (
            SELECT i.id FROM integrations i
            WHERE i.deleted_at IS NULL AND i.status <> 'paused' AND (i.lease_until IS NULL OR i.lease_until <= $1)
              AND (i.paused_until IS NULL OR i.paused_until <= $1) {not_busy}
              AND EXISTS (SELECT 1 FROM sync_jobs j WHERE j.integration_id = i.id AND j.status IN ('pending', 'running')
                          AND j.run_at <= $1
                          AND NOT EXISTS (SELECT 1 FROM sync_jobs e WHERE e.integration_id = i.id
                                          AND e.status IN ('pending', 'running') AND e.id < j.id))
            ORDER BY i.id LIMIT $4 {lock})
         RETURNING id"
        )
    };
    let mut tx = db.begin(System::Outbound).await?;
    let ids = on_tx!(&mut tx, sqlite: sql(""), postgres: sql("FOR UPDATE SKIP LOCKED"), |c, sql| {
        let mut q = sqlx::query_scalar::<_, Uuid>(&sql).bind(now).bind(lease_until).bind(worker).bind(limit);
        for id in busy {
            q = q.bind(*id);
        }
        q.fetch_all(c).await
    })?;
    tx.commit().await?;
    Ok(ids)
}

/// Extends `worker`'s lease; false when it was lost.
pub async fn renew(db: &Db, id: Uuid, worker: &str, lease_until: DateTime<Utc>) -> Result<bool> {
    let mut tx = db.begin(System::Outbound).await?;
    let n =
        on_tx!(&mut tx, |c| sqlx::query("UPDATE integrations SET lease_until = $3 WHERE id = $1 AND leased_by = $2")
            .bind(id)
            .bind(worker)
            .bind(stored_time(lease_until))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n == 1)
}

pub async fn release(db: &Db, id: Uuid, worker: &str) -> Result<()> {
    let mut tx = db.begin(System::Outbound).await?;
    on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE integrations SET lease_until = NULL, leased_by = NULL WHERE id = $1 AND leased_by = $2"
    )
    .bind(id)
    .bind(worker)
    .execute(c)
    .await
    .map(drop))?;
    tx.commit().await
}

/// A dead job (alias `j`) stays a problem until a later push of the same thing, or of the
/// whole menu, went through.
const UNRESOLVED_DEAD: &str = "j.status = 'dead' AND j.kind <> 'drift' AND NOT EXISTS (SELECT 1 FROM sync_jobs s
    WHERE s.integration_id = j.integration_id AND s.status = 'succeeded' AND s.id > j.id
      AND (s.coalesce_key = j.coalesce_key OR s.kind = 'menu'))";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncJobRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub integration_id: Uuid,
    pub kind: String,
    pub entity_id: Option<Uuid>,
    pub coalesce_key: String,
    pub status: String,
    /// How many changes this job carries (coalesced into it while it waited).
    pub changes: i32,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub first_change_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub sent: Option<Json<Value>>,
    pub result: Option<Json<Value>>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const JOB_COLUMNS: &str = "id, restaurant_id, integration_id, kind, entity_id, coalesce_key, status, changes, attempts,
    max_attempts, run_at, first_change_at, started_at, completed_at, last_error, sent, result, reason, created_at, updated_at";

pub struct NewSyncJob<'a> {
    pub restaurant_id: Uuid,
    pub integration_id: Uuid,
    pub kind: &'a str,
    pub entity_id: Option<Uuid>,
    pub coalesce_key: &'a str,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub reason: &'a str,
    pub now: DateTime<Utc>,
}

/// Serialises, until `tx` ends, everything that makes a job for one thing of one
/// integration pending: a new change (`enqueue`) and a failed attempt going back in line
/// (`finish` with `Retry`). Without it, on PostgreSQL, a retry that looked for a waiting
/// twin before another transaction's enqueue committed would then collide with it on
/// `sync_jobs_coalesce`. SQLite has one writer, so nothing races there.
async fn lock_coalesce_key(tx: &mut Tx, integration_id: Uuid, coalesce_key: &str) -> Result<()> {
    if let crate::TxInner::Postgres(t) = &mut tx.inner {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("sync:{integration_id}:{coalesce_key}"))
            .execute(&mut **t)
            .await?;
    }
    Ok(())
}

/// Enqueues a sync job in `tx`, or joins the waiting job for the same thing (one
/// statement, an upsert on `sync_jobs_coalesce`). Returns the job's id and whether it is
/// new.
pub async fn enqueue(tx: &mut Tx, j: NewSyncJob<'_>) -> Result<(Uuid, bool)> {
    lock_coalesce_key(tx, j.integration_id, j.coalesce_key).await?;
    let id = Uuid::now_v7();
    let (id_back, changes) = on_tx!(tx, |c| {
        sqlx::query_as::<_, (Uuid, i32)>(
        "INSERT INTO sync_jobs (id, restaurant_id, integration_id, kind, entity_id, coalesce_key, status, changes, attempts,
            max_attempts, run_at, first_change_at, reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1, 0, $7, $8, $9, $10, $9, $9)
         ON CONFLICT (integration_id, coalesce_key) WHERE status = 'pending'
         DO UPDATE SET changes = sync_jobs.changes + 1, updated_at = excluded.updated_at
         RETURNING id, changes"
    )
    .bind(id)
    .bind(j.restaurant_id)
    .bind(j.integration_id)
    .bind(j.kind)
    .bind(j.entity_id)
    .bind(j.coalesce_key)
    .bind(j.max_attempts)
    .bind(stored_time(j.run_at))
    .bind(stored_time(j.now))
    .bind(j.reason)
    .fetch_one(c)
    .await
    })?;
    Ok((id_back, id_back == id && changes == 1))
}

/// The integration's oldest jobs, up to `n`, as far as they are due (the first not due
/// ends the list: later ones wait behind it).
pub async fn heads(db: &Db, integration_id: Uuid, now: DateTime<Utc>, n: i64) -> Result<Vec<SyncJobRow>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM sync_jobs WHERE integration_id = $1 AND status IN ('pending', 'running')
         ORDER BY id LIMIT $2"
    );
    let jobs = on_db!(db, System::Outbound, |c| sqlx::query_as::<_, SyncJobRow>(&sql)
        .bind(integration_id)
        .bind(n)
        .fetch_all(c)
        .await)?;
    Ok(jobs.into_iter().take_while(|j| j.run_at <= now).collect())
}

/// When the next waiting job falls due (for the worker to sleep until then).
pub async fn next_due(db: &Db) -> Result<Option<DateTime<Utc>>> {
    on_db!(db, System::Outbound, |c| sqlx::query_scalar::<_, DateTime<Utc>>(
        "SELECT run_at FROM sync_jobs WHERE status = 'pending' ORDER BY run_at LIMIT 1"
    )
    .fetch_optional(c)
    .await)
}

/// Marks a job running (the attempt starts). Returns the attempt's number, which fences
/// its outcome (`finish`); `None` when the job is no longer waiting.
pub async fn start(db: &Db, id: Uuid, now: DateTime<Utc>) -> Result<Option<i32>> {
    let mut tx = db.begin(System::Outbound).await?;
    let attempt = on_tx!(&mut tx, |c| sqlx::query_scalar::<_, i32>(
        "UPDATE sync_jobs SET status = 'running', attempts = attempts + 1, started_at = $2, updated_at = $2
         WHERE id = $1 AND status IN ('pending', 'running') RETURNING attempts"
    )
    .bind(id)
    .bind(stored_time(now))
    .fetch_optional(c)
    .await)?;
    tx.commit().await?;
    Ok(attempt)
}

pub enum Outcome<'a> {
    Succeeded {
        sent: &'a Value,
        result: &'a Value,
    },
    /// Back in the queue at `run_at`; `counts` false when the attempt should not be spent
    /// (the platform only asked us to slow down).
    Retry {
        error: &'a str,
        run_at: DateTime<Utc>,
        counts: bool,
    },
    Dead {
        error: &'a str,
        sent: Option<&'a Value>,
    },
}

/// Records how attempt number `attempt` of a running job ended, in `tx` (the caller adds
/// what goes with it: an event, a task). False when the attempt no longer owns the job (a
/// worker that took over after the lease ran out started another); nothing is changed.
pub async fn finish(tx: &mut Tx, id: Uuid, attempt: i32, outcome: Outcome<'_>, now: DateTime<Utc>) -> Result<bool> {
    let now = stored_time(now);
    let owned = on_tx!(tx, |c| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM sync_jobs WHERE id = $1 AND status = 'running' AND attempts = $2"
    )
    .bind(id)
    .bind(attempt)
    .fetch_one(c)
    .await)?;
    if owned == 0 {
        return Ok(false);
    }
    match outcome {
        Outcome::Succeeded { sent, result } => {
            on_tx!(tx, |c| {
                sqlx::query(
            "UPDATE sync_jobs SET status = 'succeeded', sent = $2, result = $3, last_error = NULL, completed_at = $4,
             updated_at = $4 WHERE id = $1 AND status = 'running'"
        )
        .bind(id)
        .bind(Json(sent))
        .bind(Json(result))
        .bind(now)
        .execute(c)
        .await
        .map(|_| true)
            })
        }
        Outcome::Retry { error, run_at, counts } => {
            // A change made while this attempt ran waits in a newer job for the same thing;
            // fold it into this one, which keeps its place in the queue.
            let (integration_id, key): (Uuid, String) =
                on_tx!(tx, |c| sqlx::query_as("SELECT integration_id, coalesce_key FROM sync_jobs WHERE id = $1")
                    .bind(id)
                    .fetch_one(c)
                    .await)?;
            lock_coalesce_key(tx, integration_id, &key).await?;
            let merged = on_tx!(tx, |c| sqlx::query_scalar::<_, i32>(
                "UPDATE sync_jobs SET status = 'cancelled', last_error = 'joined the older job for the same thing',
                 completed_at = $2, updated_at = $2
                 WHERE status = 'pending' AND id <> $1 AND (integration_id, coalesce_key) =
                    (SELECT integration_id, coalesce_key FROM sync_jobs WHERE id = $1)
                 RETURNING changes"
            )
            .bind(id)
            .bind(now)
            .fetch_optional(c)
            .await)?
            .unwrap_or(0);
            on_tx!(tx, |c| sqlx::query(
                "UPDATE sync_jobs SET status = 'pending', last_error = $2, run_at = $3, updated_at = $4,
             attempts = CASE WHEN $5 THEN attempts ELSE attempts - 1 END, changes = changes + $6
             WHERE id = $1 AND status = 'running'"
            )
            .bind(id)
            .bind(error)
            .bind(stored_time(run_at))
            .bind(now)
            .bind(counts)
            .bind(merged)
            .execute(c)
            .await
            .map(|_| true))
        }
        Outcome::Dead { error, sent } => on_tx!(tx, |c| sqlx::query(
            "UPDATE sync_jobs SET status = 'dead', last_error = $2, sent = $3, completed_at = $4, updated_at = $4
             WHERE id = $1 AND status = 'running'"
        )
        .bind(id)
        .bind(error)
        .bind(sent.map(Json))
        .bind(now)
        .execute(c)
        .await
        .map(|_| true)),
    }
}

pub async fn job(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<SyncJobRow>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM sync_jobs WHERE restaurant_id = $1 AND id = $2");
    on_db!(db, rid, |c| sqlx::query_as::<_, SyncJobRow>(&sql).bind(rid).bind(id).fetch_optional(c).await)
}

/// The restaurant a sync job belongs to, for those who ask to follow it.
pub async fn job_restaurant(db: &Db, id: Uuid) -> Result<Option<Uuid>> {
    on_db!(db, System::Outbound, |c| sqlx::query_scalar::<_, Uuid>("SELECT restaurant_id FROM sync_jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(c)
        .await)
}

pub struct JobFilter {
    pub integration_id: Option<Uuid>,
    pub status: Option<String>,
    /// Newest first: jobs older than this id.
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// A restaurant's sync jobs, newest first.
pub async fn jobs(db: &Db, rid: Uuid, f: &JobFilter) -> Result<Vec<SyncJobRow>> {
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM sync_jobs WHERE restaurant_id = $1
         AND ($2 IS NULL OR integration_id = $2) AND ($3 IS NULL OR status = $3) AND ($4 IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, SyncJobRow>(&sql)
        .bind(rid)
        .bind(f.integration_id)
        .bind(&f.status)
        .bind(f.before)
        .bind(f.limit)
        .fetch_all(c)
        .await)
}

/// Per integration of a restaurant: jobs waiting, jobs dead (not yet resolved by a later
/// success for the same thing), and when the oldest waiting change was made.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Health {
    pub integration_id: Uuid,
    pub pending: i64,
    pub dead: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
}

pub async fn health(db: &Db, rid: Uuid) -> Result<Vec<Health>> {
    let sql = format!(
        "SELECT i.id AS integration_id,
            (SELECT COUNT(*) FROM sync_jobs j WHERE j.integration_id = i.id AND j.status IN ('pending', 'running')) AS pending,
            (SELECT COUNT(*) FROM sync_jobs j WHERE j.integration_id = i.id AND {UNRESOLVED_DEAD}) AS dead,
            (SELECT MIN(j.first_change_at) FROM sync_jobs j WHERE j.integration_id = i.id AND j.status IN ('pending', 'running'))
                AS oldest_pending
         FROM integrations i WHERE i.restaurant_id = $1 AND i.deleted_at IS NULL ORDER BY i.created_at, i.id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, Health>(&sql).bind(rid).fetch_all(c).await)
}

// ---------------------------------------------------------------- inbound webhooks

/// One webhook a platform sent, and what came of it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub integration_id: Uuid,
    pub platform: String,
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub external_order_id: Option<String>,
    pub order_id: Option<Uuid>,
    pub outcome: String,
    pub reason: Option<String>,
    pub payload: Option<String>,
    pub received_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

const INBOUND_COLUMNS: &str = "id, restaurant_id, integration_id, platform, event_id, event_type, external_order_id,
    order_id, outcome, reason, payload, received_at, completed_at";

/// Logs a webhook. False when the row claims an event already acted on (outcome
/// `processing` and the like, see the unique index): the caller logs it as replayed.
/// Counts `n` refused webhooks of an integration, and keeps only the newest `keep` of
/// their log entries.
pub async fn count_refused(tx: &mut Tx, integration_id: Uuid, n: i64, keep: i64, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE integrations SET webhooks_refused = webhooks_refused + $2, last_refused_at = $3 WHERE id = $1"
    )
    .bind(integration_id)
    .bind(n)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    const PRUNE: &str = "DELETE FROM inbound_webhooks WHERE integration_id = $1 AND outcome = 'refused' AND id NOT IN
        (SELECT id FROM inbound_webhooks WHERE integration_id = $1 AND outcome = 'refused' ORDER BY id DESC LIMIT $2)";
    on_tx!(tx, |c| sqlx::query(PRUNE).bind(integration_id).bind(keep).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn insert_inbound(tx: &mut Tx, r: &InboundRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO inbound_webhooks ({INBOUND_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |c| sqlx::query(&sql)
        .bind(r.id)
        .bind(r.restaurant_id)
        .bind(r.integration_id)
        .bind(&r.platform)
        .bind(&r.event_id)
        .bind(&r.event_type)
        .bind(&r.external_order_id)
        .bind(r.order_id)
        .bind(&r.outcome)
        .bind(&r.reason)
        .bind(&r.payload)
        .bind(stored_time(r.received_at))
        .bind(r.completed_at.map(stored_time))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// How a webhook being processed ended.
pub async fn finish_inbound(
    tx: &mut Tx,
    id: Uuid,
    outcome: &str,
    reason: Option<&str>,
    external_order_id: Option<&str>,
    order_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE inbound_webhooks SET outcome = $2, reason = $3, external_order_id = COALESCE($4, external_order_id),
         order_id = COALESCE($5, order_id), completed_at = $6 WHERE id = $1"
    )
    .bind(id)
    .bind(outcome)
    .bind(reason)
    .bind(external_order_id)
    .bind(order_id)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(drop))
}

/// Gives up on a webhook left `processing` before `before` (its process died): the
/// platform's next copy of it is then acted on. True when one was given up.
pub async fn abandon_inbound(tx: &mut Tx, integration_id: Uuid, event_id: &str, before: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE inbound_webhooks SET outcome = 'failed', reason = 'abandoned: the server stopped while taking it'
         WHERE integration_id = $1 AND event_id = $2 AND outcome = 'processing' AND received_at < $3"
    )
    .bind(integration_id)
    .bind(event_id)
    .bind(stored_time(before))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// The Brigade order already taken (and answered to the platform) for a platform's
/// order, if any.
pub async fn taken_order(db: &Db, integration_id: Uuid, external_order_id: &str) -> Result<Option<Uuid>> {
    on_db!(db, System::Inbound, |c| sqlx::query_scalar(
        "SELECT order_id FROM inbound_webhooks WHERE integration_id = $1 AND external_order_id = $2
         AND outcome IN ('processed', 'duplicate') AND order_id IS NOT NULL ORDER BY id LIMIT 1"
    )
    .bind(integration_id)
    .bind(external_order_id)
    .fetch_optional(c)
    .await)
}

/// A restaurant's webhook log for one integration, newest first.
pub async fn inbound(db: &Db, rid: Uuid, integration_id: Uuid, limit: i64) -> Result<Vec<InboundRow>> {
    let sql = format!(
        "SELECT {INBOUND_COLUMNS} FROM inbound_webhooks WHERE restaurant_id = $1 AND integration_id = $2
         ORDER BY received_at DESC, id DESC LIMIT $3"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, InboundRow>(&sql)
        .bind(rid)
        .bind(integration_id)
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// A restaurant's connected integration of one platform that is not paused, if any.
pub async fn active_of(db: &Db, rid: Uuid, platform: &str) -> Result<Option<IntegrationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM integrations WHERE restaurant_id = $1 AND platform = $2 AND deleted_at IS NULL
         AND status <> 'paused' ORDER BY created_at LIMIT 1"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(rid).bind(platform).fetch_optional(c).await)
}

pub async fn active_of_tx(tx: &mut Tx, rid: Uuid, platform: &str) -> Result<Option<IntegrationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM integrations WHERE restaurant_id = $1 AND platform = $2 AND deleted_at IS NULL
         AND status <> 'paused' ORDER BY created_at LIMIT 1"
    );
    on_tx!(tx, |c| sqlx::query_as::<_, IntegrationRow>(&sql).bind(rid).bind(platform).fetch_optional(c).await)
}

/// How many changes wait to be pushed to an integration (drift checks aside).
pub async fn waiting_changes(db: &Db, integration_id: Uuid) -> Result<i64> {
    on_db!(db, System::Outbound, |c| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM sync_jobs WHERE integration_id = $1 AND status IN ('pending', 'running') AND kind <> 'drift'"
    )
    .bind(integration_id)
    .fetch_one(c)
    .await
    })
}
