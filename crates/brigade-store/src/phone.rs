//! The phone agent's calls and what was said in them (see migration 0026).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CallRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub integration_id: Uuid,
    pub call_sid: String,
    pub to_number: String,
    pub caller_sealed: Option<Vec<u8>>,
    pub caller_hash: Option<String>,
    pub caller_last4: Option<String>,
    pub customer_id: Option<Uuid>,
    /// in_progress, ended.
    pub status: String,
    /// ordered, handed_off, abandoned, question.
    pub outcome: Option<String>,
    pub order_id: Option<Uuid>,
    /// The dialog's state (`brigade_domain::language::call::Call`), JSON.
    pub state: String,
    pub turn: i64,
    pub last_twiml: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_seconds: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, restaurant_id, integration_id, call_sid, to_number, caller_sealed, caller_hash, caller_last4,
    customer_id, status, outcome, order_id, state, turn, last_twiml, started_at, ended_at, duration_seconds, updated_at";

/// Starts a call; false when its CallSid is known already (Twilio sent the first webhook
/// again).
pub async fn start(tx: &mut Tx, c: &CallRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO phone_calls ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19) ON CONFLICT (call_sid) DO NOTHING"
    );
    let n = on_tx!(tx, |x| sqlx::query(&sql)
        .bind(c.id)
        .bind(c.restaurant_id)
        .bind(c.integration_id)
        .bind(&c.call_sid)
        .bind(&c.to_number)
        .bind(&c.caller_sealed)
        .bind(&c.caller_hash)
        .bind(&c.caller_last4)
        .bind(c.customer_id)
        .bind(&c.status)
        .bind(&c.outcome)
        .bind(c.order_id)
        .bind(&c.state)
        .bind(c.turn)
        .bind(&c.last_twiml)
        .bind(stored_time(c.started_at))
        .bind(c.ended_at.map(stored_time))
        .bind(c.duration_seconds)
        .bind(stored_time(c.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A call by its CallSid, locked for the turn that changes it.
pub async fn by_sid_tx(tx: &mut Tx, call_sid: &str) -> Result<Option<CallRow>> {
    let sql = format!("SELECT {COLUMNS} FROM phone_calls WHERE call_sid = $1");
    on_tx!(tx, sqlite: sql.clone(), postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, CallRow>(&text)
        .bind(call_sid)
        .fetch_optional(x)
        .await)
}

/// A call by its CallSid, as it stands (not locked).
pub async fn by_sid(db: &Db, rid: Uuid, call_sid: &str) -> Result<Option<CallRow>> {
    let sql = format!("SELECT {COLUMNS} FROM phone_calls WHERE restaurant_id = $1 AND call_sid = $2");
    on_db!(db, rid, |x| sqlx::query_as::<_, CallRow>(&sql).bind(rid).bind(call_sid).fetch_optional(x).await)
}

/// Writes what a turn changed.
pub async fn save(tx: &mut Tx, c: &CallRow) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE phone_calls SET customer_id = $2, status = $3, outcome = $4, order_id = $5, state = $6, turn = $7,
         last_twiml = $8, ended_at = $9, duration_seconds = $10, updated_at = $11 WHERE id = $1"
    )
    .bind(c.id)
    .bind(c.customer_id)
    .bind(&c.status)
    .bind(&c.outcome)
    .bind(c.order_id)
    .bind(&c.state)
    .bind(c.turn)
    .bind(&c.last_twiml)
    .bind(c.ended_at.map(stored_time))
    .bind(c.duration_seconds)
    .bind(stored_time(c.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<CallRow>> {
    let sql = format!("SELECT {COLUMNS} FROM phone_calls WHERE restaurant_id = $1 AND id = $2");
    on_db!(db, rid, |x| sqlx::query_as::<_, CallRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// A restaurant's calls, newest first, before `before` (an id: ids grow with time). With
/// `live_since`, only the calls in progress heard from since then.
pub async fn list(
    db: &Db,
    rid: Uuid,
    before: Option<Uuid>,
    live_since: Option<DateTime<Utc>>,
    limit: i64,
) -> Result<Vec<CallRow>> {
    let live = if live_since.is_some() { " AND status = 'in_progress' AND updated_at >= $3" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM phone_calls WHERE restaurant_id = $1 AND ($2 IS NULL OR id < $2){live}
         ORDER BY id DESC LIMIT {limit}"
    );
    on_db!(db, rid, |x| {
        let q = sqlx::query_as::<_, CallRow>(&sql).bind(rid).bind(before);
        match live_since {
            Some(t) => q.bind(stored_time(t)).fetch_all(x).await,
            None => q.fetch_all(x).await,
        }
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TurnRow {
    pub id: Uuid,
    pub call_id: Uuid,
    pub restaurant_id: Uuid,
    pub seq: i64,
    /// caller, agent.
    pub speaker: String,
    pub text: String,
    pub confidence: Option<f64>,
    pub at: DateTime<Utc>,
}

pub async fn add_turns(tx: &mut Tx, turns: &[TurnRow]) -> Result<()> {
    for t in turns {
        on_tx!(tx, |x| sqlx::query(
            "INSERT INTO phone_turns (id, call_id, restaurant_id, seq, speaker, text, confidence, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(t.id)
        .bind(t.call_id)
        .bind(t.restaurant_id)
        .bind(t.seq)
        .bind(&t.speaker)
        .bind(&t.text)
        .bind(t.confidence)
        .bind(stored_time(t.at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// How many turns a call has (the next one's seq).
pub async fn turn_count(tx: &mut Tx, call_id: Uuid) -> Result<i64> {
    on_tx!(tx, |x| sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM phone_turns WHERE call_id = $1")
        .bind(call_id)
        .fetch_one(x)
        .await)
}

pub async fn turns(db: &Db, rid: Uuid, call_id: Uuid) -> Result<Vec<TurnRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, TurnRow>(
        "SELECT id, call_id, restaurant_id, seq, speaker, text, confidence, at FROM phone_turns
         WHERE restaurant_id = $1 AND call_id = $2 ORDER BY seq"
    )
    .bind(rid)
    .bind(call_id)
    .fetch_all(x)
    .await)
}
