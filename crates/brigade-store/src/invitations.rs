//! Invitations: how a person joins a restaurant by email. A membership of an account that
//! already exists is only ever made when that account accepts, signed in as itself; a new
//! account is made when the person accepts and chooses their own password. Only the
//! token's hash is kept.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub phone: Option<String>,
    pub pin_hash: Option<String>,
    pub invited_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl InvitationRow {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.accepted_at.is_none() && self.revoked_at.is_none() && self.expires_at > now
    }
}

const COLUMNS: &str = "id, restaurant_id, email, name, role, phone, pin_hash, invited_by, created_at, expires_at,
    accepted_at, revoked_at";

/// Stores an invitation, first closing any open one for the same email here (inviting
/// again replaces the earlier link).
pub async fn insert(tx: &mut Tx, i: &InvitationRow, token_hash: &str) -> Result<()> {
    const CLOSE: &str = "UPDATE invitations SET revoked_at = $3
        WHERE restaurant_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
    on_tx!(tx, |c| sqlx::query(CLOSE)
        .bind(i.restaurant_id)
        .bind(&i.email)
        .bind(stored_time(i.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    const SQL: &str = "INSERT INTO invitations (id, restaurant_id, email, name, role, phone, pin_hash, token_hash,
        invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(i.id)
        .bind(i.restaurant_id)
        .bind(&i.email)
        .bind(&i.name)
        .bind(&i.role)
        .bind(&i.phone)
        .bind(&i.pin_hash)
        .bind(token_hash)
        .bind(&i.invited_by)
        .bind(stored_time(i.created_at))
        .bind(stored_time(i.expires_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn by_token_hash(db: &Db, token_hash: &str) -> Result<Option<InvitationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = $1");
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, InvitationRow>(&sql)
        .bind(token_hash)
        .fetch_optional(c)
        .await)
}

/// Open invitations of a restaurant, newest first.
pub async fn open(db: &Db, rid: Uuid, now: DateTime<Utc>) -> Result<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE restaurant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
        AND expires_at > $2 ORDER BY id DESC LIMIT 500"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, InvitationRow>(&sql).bind(rid).bind(stored_time(now)).fetch_all(c).await)
}

/// Marks an open invitation accepted by `user_id`. False when it was no longer open: of
/// two acceptances racing with one link, exactly one wins.
pub async fn accept(tx: &mut Tx, id: Uuid, user_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    const SQL: &str = "UPDATE invitations SET accepted_at = $2, accepted_by = $3
        WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2";
    let done = on_tx!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(stored_time(now))
        .bind(user_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn revoke(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    const SQL: &str = "UPDATE invitations SET revoked_at = $3
        WHERE restaurant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
    let done = on_tx!(tx, |c| sqlx::query(SQL)
        .bind(rid)
        .bind(id)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}
