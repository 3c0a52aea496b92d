//! Messages to guests, their opt-outs and the restaurant's templates (see migration 0023).

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    /// sms, email.
    pub channel: String,
    pub kind: String,
    pub to_masked: String,
    pub subject: Option<String>,
    pub body: String,
    /// queued, sent, failed, suppressed.
    pub status: String,
    pub attempts: i64,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, restaurant_id, customer_id, order_id, channel, kind, to_masked, subject, body, status,
    attempts, provider_id, error, created_at, updated_at, sent_at";

pub async fn insert(tx: &mut Tx, m: &MessageRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO messages ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(m.id)
        .bind(m.restaurant_id)
        .bind(m.customer_id)
        .bind(m.order_id)
        .bind(&m.channel)
        .bind(&m.kind)
        .bind(&m.to_masked)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.status)
        .bind(m.attempts)
        .bind(&m.provider_id)
        .bind(&m.error)
        .bind(stored_time(m.created_at))
        .bind(stored_time(m.updated_at))
        .bind(m.sent_at.map(stored_time))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// One message, read by the job that sends it (any restaurant).
pub async fn get_tx(tx: &mut Tx, id: Uuid) -> Result<Option<MessageRow>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE id = $1");
    on_tx!(tx, |x| sqlx::query_as::<_, MessageRow>(&sql).bind(id).fetch_optional(x).await)
}

/// Where a send left a message: its status, the provider's id, the error.
pub async fn set_outcome(
    tx: &mut Tx,
    id: Uuid,
    status: &str,
    provider_id: Option<&str>,
    error: Option<&str>,
    attempts: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    let sent = (status == "sent").then(|| stored_time(at));
    on_tx!(tx, |x| sqlx::query(
        "UPDATE messages SET status = $2, provider_id = COALESCE($3, provider_id), error = $4, attempts = $5,
         updated_at = $6, sent_at = COALESCE($7, sent_at) WHERE id = $1"
    )
    .bind(id)
    .bind(status)
    .bind(provider_id)
    .bind(error)
    .bind(attempts)
    .bind(stored_time(at))
    .bind(sent)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The restaurant's messages, newest first, before the cursor; only a guest's, or an
/// order's, when given.
pub async fn list(
    db: &Db,
    rid: Uuid,
    customer_id: Option<Uuid>,
    order_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE restaurant_id = $1 AND ($2 IS NULL OR customer_id = $2)
         AND ($3 IS NULL OR order_id = $3) AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, MessageRow>(&sql)
        .bind(rid)
        .bind(customer_id)
        .bind(order_id)
        .bind(before)
        .bind(limit)
        .fetch_all(x)
        .await)
}

/// A guest's messages in every restaurant of the group (for their export).
pub async fn of_customer(db: &Db, customer_id: Uuid) -> Result<Vec<MessageRow>> {
    let sql = format!("SELECT {COLUMNS} FROM messages WHERE customer_id = $1 ORDER BY id");
    on_db!(db, crate::System::Guests, |x| sqlx::query_as::<_, MessageRow>(&sql).bind(customer_id).fetch_all(x).await)
}

/// Forgets a guest's messages: what they said goes, the log keeps that something was sent.
pub async fn erase_customer(tx: &mut Tx, customer_id: Uuid) -> Result<u64> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE messages SET customer_id = NULL, body = '(erased)', subject = NULL, to_masked = '(erased)',
         status = CASE WHEN status = 'queued' THEN 'suppressed' ELSE status END WHERE customer_id = $1"
    )
    .bind(customer_id)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))
}

// ---------------------------------------------------------------- opt-outs

pub async fn opted_out(tx: &mut Tx, group_id: Uuid, phone_hash: &str) -> Result<bool> {
    let n: i64 = on_tx!(tx, |x| sqlx::query_scalar(
        "SELECT COUNT(*) FROM message_opt_outs WHERE group_id = $1 AND phone_hash = $2"
    )
    .bind(group_id)
    .bind(phone_hash)
    .fetch_one(x)
    .await)?;
    Ok(n > 0)
}

/// Records a STOP (`stop`) or lifts it (a START).
pub async fn set_opt_out(tx: &mut Tx, group_id: Uuid, phone_hash: &str, stop: bool, at: DateTime<Utc>) -> Result<()> {
    if stop {
        on_tx!(tx, |x| {
            sqlx::query(
            "INSERT INTO message_opt_outs (group_id, phone_hash, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(group_id)
        .bind(phone_hash)
        .bind(stored_time(at))
        .execute(x)
        .await
        .map(|r| r.rows_affected())
        })?;
    } else {
        on_tx!(tx, |x| sqlx::query("DELETE FROM message_opt_outs WHERE group_id = $1 AND phone_hash = $2")
            .bind(group_id)
            .bind(phone_hash)
            .execute(x)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub restaurant_id: Uuid,
    pub kind: String,
    pub sms: String,
    pub email_subject: String,
    pub email_body: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn templates(db: &Db, rid: Uuid) -> Result<Vec<TemplateRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, TemplateRow>(
        "SELECT restaurant_id, kind, sms, email_subject, email_body, updated_at FROM message_templates
         WHERE restaurant_id = $1"
    )
    .bind(rid)
    .fetch_all(x)
    .await)
}

pub async fn template_tx(tx: &mut Tx, rid: Uuid, kind: &str) -> Result<Option<TemplateRow>> {
    on_tx!(tx, |x| sqlx::query_as::<_, TemplateRow>(
        "SELECT restaurant_id, kind, sms, email_subject, email_body, updated_at FROM message_templates
         WHERE restaurant_id = $1 AND kind = $2"
    )
    .bind(rid)
    .bind(kind)
    .fetch_optional(x)
    .await)
}

pub async fn save_template(tx: &mut Tx, t: &TemplateRow) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "INSERT INTO message_templates (restaurant_id, kind, sms, email_subject, email_body, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (restaurant_id, kind) DO UPDATE SET sms = $3,
         email_subject = $4, email_body = $5, updated_at = $6"
    )
    .bind(t.restaurant_id)
    .bind(&t.kind)
    .bind(&t.sms)
    .bind(&t.email_subject)
    .bind(&t.email_body)
    .bind(stored_time(t.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn reset_template(tx: &mut Tx, rid: Uuid, kind: &str) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("DELETE FROM message_templates WHERE restaurant_id = $1 AND kind = $2")
        .bind(rid)
        .bind(kind)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
