//! The event log: the audit trail, the realtime feed and the trigger for integrations.
//!
//! Every state change calls `record` inside the transaction that makes the change, so an
//! event exists exactly when its change committed. Ids are monotonic; readers page by id.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

/// Who made a change: a signed-in user, an API key, or Brigade itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActedBy {
    User(Uuid),
    ApiKey(Uuid),
    /// A guest ordering from a table or the web, not signed in.
    Guest,
    System,
}

impl ActedBy {
    pub fn encode(self) -> String {
        match self {
            ActedBy::User(id) => format!("user:{id}"),
            ActedBy::ApiKey(id) => format!("api_key:{id}"),
            ActedBy::Guest => "guest".to_owned(),
            ActedBy::System => "system".to_owned(),
        }
    }
}

pub struct NewEvent<'a> {
    pub restaurant_id: Option<Uuid>,
    pub kind: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<Uuid>,
    pub actor: ActedBy,
    pub payload: Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub restaurant_id: Option<Uuid>,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub actor: String,
    pub payload: Json<Value>,
    pub at: DateTime<Utc>,
}

/// The PostgreSQL channel a commit that wrote events notifies, waking every node's feed.
pub const NOTIFY_CHANNEL: &str = "brigade_events";

/// Writes one event in `tx` and returns its id (the realtime offset). On PostgreSQL the
/// transaction also notifies `brigade_events`, delivered when (and only if) it commits.
pub async fn record(tx: &mut Tx, e: NewEvent<'_>) -> Result<i64> {
    const SQL: &str = "INSERT INTO events (restaurant_id, type, entity, entity_id, actor, payload, at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    tx.notify(NOTIFY_CHANNEL).await?;
    on_tx!(tx, |c| sqlx::query_scalar(SQL)
        .bind(e.restaurant_id)
        .bind(e.kind)
        .bind(e.entity)
        .bind(e.entity_id)
        .bind(e.actor.encode())
        .bind(Json(&e.payload))
        .bind(stored_time(e.at))
        .fetch_one(c)
        .await)
}

/// Writes several events in `tx`, in the order given (their ids follow it).
pub async fn record_many(tx: &mut Tx, events: &[NewEvent<'_>]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    tx.notify(NOTIFY_CHANNEL).await?;
    const COLS: usize = 7;
    for chunk in events.chunks(crate::MAX_BINDS / COLS) {
        let sql = format!(
            "INSERT INTO events (restaurant_id, type, entity, entity_id, actor, payload, at) VALUES {}",
            crate::values_list(chunk.len(), COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.restaurant_id)
                    .bind(e.kind)
                    .bind(e.entity)
                    .bind(e.entity_id)
                    .bind(e.actor.encode())
                    .bind(Json(&e.payload))
                    .bind(stored_time(e.at));
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub struct AuditQuery<'a> {
    pub restaurant_id: Uuid,
    /// Exact type (`user.created`) or a prefix ending in `.` (`user.`).
    pub kind: Option<&'a str>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Newest first: only events with an id below this.
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A restaurant's audit trail, newest first: its own events, and the sign-in failures of
/// its members (those are recorded against the user, not a restaurant).
pub async fn audit(db: &Db, q: &AuditQuery<'_>) -> Result<Vec<EventRow>> {
    const SQL: &str = "SELECT id, restaurant_id, type, entity, entity_id, actor, payload, at FROM events
        WHERE (restaurant_id = $1
               OR (restaurant_id IS NULL AND entity = 'user'
                   AND entity_id IN (SELECT user_id FROM memberships WHERE restaurant_id = $1)))
          AND ($2 IS NULL OR type = $2 OR (substr($2, length($2), 1) = '.' AND substr(type, 1, length($2)) = $2))
          AND ($3 IS NULL OR at >= $3)
          AND ($4 IS NULL OR at < $4)
          AND ($5 IS NULL OR id < $5)
        ORDER BY id DESC LIMIT $6";
    on_db!(db, q.restaurant_id, |c| sqlx::query_as::<_, EventRow>(SQL)
        .bind(q.restaurant_id)
        .bind(q.kind)
        .bind(q.since.map(stored_time))
        .bind(q.until.map(stored_time))
        .bind(q.before_id)
        .bind(q.limit)
        .fetch_all(c)
        .await)
}

/// Every event after `offset`, oldest first, across restaurants (the realtime tailer).
pub async fn after(db: &Db, offset: i64, limit: i64) -> Result<Vec<EventRow>> {
    const SQL: &str = "SELECT id, restaurant_id, type, entity, entity_id, actor, payload, at FROM events
        WHERE id > $1 ORDER BY id LIMIT $2";
    on_db!(db, System::Realtime, |c| sqlx::query_as::<_, EventRow>(SQL).bind(offset).bind(limit).fetch_all(c).await)
}

/// One restaurant's events with `from < id <= to`, oldest first (catch-up on subscribe).
pub async fn between(db: &Db, restaurant_id: Uuid, from: i64, to: i64, limit: i64) -> Result<Vec<EventRow>> {
    const SQL: &str = "SELECT id, restaurant_id, type, entity, entity_id, actor, payload, at FROM events
        WHERE restaurant_id = $1 AND id > $2 AND id <= $3 ORDER BY id LIMIT $4";
    on_db!(db, restaurant_id, |c| sqlx::query_as::<_, EventRow>(SQL)
        .bind(restaurant_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// The newest event's id (0 when there is none).
pub async fn max_id(db: &Db) -> Result<i64> {
    let id: Option<i64> =
        on_db!(db, System::Realtime, |c| sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(c).await)?;
    Ok(id.unwrap_or(0))
}

/// Every event after `offset`, oldest first, read in `tx`.
pub async fn after_tx(tx: &mut Tx, offset: i64, limit: i64) -> Result<Vec<EventRow>> {
    const SQL: &str = "SELECT id, restaurant_id, type, entity, entity_id, actor, payload, at FROM events
        WHERE id > $1 ORDER BY id LIMIT $2";
    on_tx!(tx, |c| sqlx::query_as::<_, EventRow>(SQL).bind(offset).bind(limit).fetch_all(c).await)
}

/// The newest event's id (0 when there is none), read in `tx`.
pub async fn max_id_tx(tx: &mut Tx) -> Result<i64> {
    let id: Option<i64> = on_tx!(tx, |c| sqlx::query_scalar("SELECT MAX(id) FROM events").fetch_one(c).await)?;
    Ok(id.unwrap_or(0))
}
