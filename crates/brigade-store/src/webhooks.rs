//! Outgoing webhooks: a restaurant's subscriptions to event types, and one delivery per
//! event and subscription. A dispatcher reads the event log behind a cursor (so
//! `events::record` stays one insert) and fans events out to deliveries; senders claim
//! due deliveries one at a time.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Json<Vec<String>>,
    /// Sealed signing secret.
    pub secret: Vec<u8>,
    pub secret_hint: String,
    /// active, paused.
    pub status: String,
    pub after_event: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SUB_COLUMNS: &str =
    "id, restaurant_id, url, description, event_types, secret, secret_hint, status, after_event, created_at, updated_at";

pub async fn insert(tx: &mut Tx, s: &SubscriptionRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO webhook_subscriptions ({SUB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(s.id)
        .bind(s.restaurant_id)
        .bind(&s.url)
        .bind(&s.description)
        .bind(&s.event_types)
        .bind(&s.secret)
        .bind(&s.secret_hint)
        .bind(&s.status)
        .bind(s.after_event)
        .bind(stored_time(s.created_at))
        .bind(stored_time(s.updated_at))
        .execute(c)
        .await
        .map(drop))
}

pub async fn update(tx: &mut Tx, s: &SubscriptionRow) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE webhook_subscriptions SET url = $3, description = $4, event_types = $5, secret = $6, secret_hint = $7,
         status = $8, updated_at = $9 WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(s.id)
    .bind(s.restaurant_id)
    .bind(&s.url)
    .bind(&s.description)
    .bind(&s.event_types)
    .bind(&s.secret)
    .bind(&s.secret_hint)
    .bind(&s.status)
    .bind(stored_time(s.updated_at))
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Removes a subscription; its waiting deliveries are not sent.
pub async fn delete(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| {
        sqlx::query(
        "UPDATE webhook_subscriptions SET deleted_at = $3, status = 'paused' WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(id)
    .bind(rid)
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<SubscriptionRow>> {
    let sql = format!(
        "SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, SubscriptionRow>(&sql).bind(id).bind(rid).fetch_optional(c).await)
}

pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<SubscriptionRow>> {
    let sql = format!("SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE id = $1");
    on_db!(db, System::Outbound, |c| sqlx::query_as::<_, SubscriptionRow>(&sql).bind(id).fetch_optional(c).await)
}

pub async fn list(db: &Db, rid: Uuid) -> Result<Vec<SubscriptionRow>> {
    let sql = format!(
        "SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY created_at, id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, SubscriptionRow>(&sql).bind(rid).fetch_all(c).await)
}

/// Every subscription not deleted, across restaurants (the dispatcher's view): a paused
/// one still gets its deliveries written, to be sent when it is resumed.
pub async fn live_all(tx: &mut Tx) -> Result<Vec<SubscriptionRow>> {
    let sql = format!("SELECT {SUB_COLUMNS} FROM webhook_subscriptions WHERE deleted_at IS NULL ORDER BY id");
    on_tx!(tx, |c| sqlx::query_as::<_, SubscriptionRow>(&sql).fetch_all(c).await)
}

/// How far the dispatcher has read the event log.
pub async fn cursor(tx: &mut Tx) -> Result<i64> {
    on_tx!(tx, |c| sqlx::query_scalar("SELECT last_event_id FROM webhook_cursor WHERE id = 1").fetch_one(c).await)
}

/// Moves the cursor from `from` to `to`; false when another dispatcher moved it first.
pub async fn advance(tx: &mut Tx, from: i64, to: i64) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE webhook_cursor SET last_event_id = $2 WHERE id = 1 AND last_event_id = $1"
    )
    .bind(from)
    .bind(to)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub subscription_id: Uuid,
    pub event_id: i64,
    pub event_type: String,
    pub payload: Json<Value>,
    /// pending, sending (claimed by a sender until `next_attempt_at`), succeeded, dead.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub give_up_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub last_response: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const DELIVERY_COLUMNS: &str = "id, restaurant_id, subscription_id, event_id, event_type, payload, status, attempts,
    next_attempt_at, give_up_at, last_status, last_error, last_response, delivered_at, created_at, updated_at";

/// Inserts deliveries; one that exists (same subscription and event) is left as it is.
pub async fn insert_deliveries(tx: &mut Tx, rows: &[DeliveryRow]) -> Result<()> {
    const COLS: usize = 16;
    for chunk in rows.chunks(crate::MAX_BINDS / COLS) {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES {} ON CONFLICT DO NOTHING",
            crate::values_list(chunk.len(), COLS, 1)
        );
        on_tx!(tx, |c| {
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q
                    .bind(d.id)
                    .bind(d.restaurant_id)
                    .bind(d.subscription_id)
                    .bind(d.event_id)
                    .bind(&d.event_type)
                    .bind(&d.payload)
                    .bind(&d.status)
                    .bind(d.attempts)
                    .bind(stored_time(d.next_attempt_at))
                    .bind(stored_time(d.give_up_at))
                    .bind(d.last_status)
                    .bind(&d.last_error)
                    .bind(&d.last_response)
                    .bind(d.delivered_at.map(stored_time))
                    .bind(stored_time(d.created_at))
                    .bind(stored_time(d.updated_at));
            }
            q.execute(c).await.map(drop)
        })?;
    }
    Ok(())
}

/// Deliveries due at `now` to active subscriptions, oldest first (those of a paused one
/// wait; those of a deleted one are never sent).
pub async fn due(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
         AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE status = 'active' AND deleted_at IS NULL)
         ORDER BY next_attempt_at, event_id LIMIT $2"
    );
    on_db!(db, System::Outbound, |c| sqlx::query_as::<_, DeliveryRow>(&sql)
        .bind(stored_time(now))
        .bind(limit)
        .fetch_all(c)
        .await)
}

/// Claims a delivery for one attempt: counts it and holds it until `hold_until` (when a
/// sender that died lets it go). False when another sender claimed it first.
pub async fn claim(tx: &mut Tx, id: Uuid, attempts: i32, hold_until: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $3, status = 'sending'
         WHERE id = $1 AND attempts = $2 AND status IN ('pending', 'sending')"
    )
    .bind(id)
    .bind(attempts)
    .bind(stored_time(hold_until))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// What one attempt came to.
pub struct Attempted<'a> {
    pub status: &'a str,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status: Option<i32>,
    pub last_error: Option<&'a str>,
    pub last_response: Option<&'a str>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Records an attempt, fenced by its attempt number.
pub async fn attempted(tx: &mut Tx, id: Uuid, attempt: i32, a: &Attempted<'_>, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE webhook_deliveries SET status = $3, next_attempt_at = $4, last_status = $5, last_error = $6,
         last_response = $7, delivered_at = COALESCE($8, delivered_at), updated_at = $9
         WHERE id = $1 AND attempts = $2 AND status = 'sending'"
    )
    .bind(id)
    .bind(attempt)
    .bind(a.status)
    .bind(stored_time(a.next_attempt_at))
    .bind(a.last_status)
    .bind(a.last_error)
    .bind(a.last_response)
    .bind(a.delivered_at.map(stored_time))
    .bind(stored_time(now))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Sends a delivery again, whatever became of it, for another 24 hours of retries.
pub async fn replay(tx: &mut Tx, rid: Uuid, id: Uuid, give_up_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |c| sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, give_up_at = $4, updated_at = $3
         WHERE id = $1 AND restaurant_id = $2"
    )
    .bind(id)
    .bind(rid)
    .bind(stored_time(now))
    .bind(stored_time(give_up_at))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delivery(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<DeliveryRow>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND restaurant_id = $2");
    on_db!(db, rid, |c| sqlx::query_as::<_, DeliveryRow>(&sql).bind(id).bind(rid).fetch_optional(c).await)
}

/// A subscription's deliveries, newest first; `status` filters.
pub async fn deliveries(
    db: &Db,
    rid: Uuid,
    subscription_id: Uuid,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE restaurant_id = $1 AND subscription_id = $2
         AND ($3 IS NULL OR status = $3) ORDER BY created_at DESC, event_id DESC LIMIT $4"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, DeliveryRow>(&sql)
        .bind(rid)
        .bind(subscription_id)
        .bind(status)
        .bind(limit)
        .fetch_all(c)
        .await)
}
