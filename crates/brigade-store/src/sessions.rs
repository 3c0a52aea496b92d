//! Sign-in sessions and their rotating refresh tokens.
//!
//! A session is one sign-in on one device; its refresh tokens form a family. Each refresh
//! spends the presented token and issues the next; presenting a spent token means it was
//! copied, so the whole session is revoked. Access tokens name their session, so a revoked
//! session also stops its access tokens at once.

use crate::{on_db, on_tx, stored_time, Result, System, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub restaurant_id: Option<Uuid>,
    pub kind: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What a refresh token lookup finds: the token's own state and its session's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
    pub session_revoked_at: Option<DateTime<Utc>>,
    pub session_expires_at: DateTime<Utc>,
    /// The restaurant a PIN session is confined to.
    pub session_restaurant_id: Option<Uuid>,
}

/// The state an access token is checked against on every request.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Liveness {
    pub token_version: i64,
    pub is_active: bool,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The one restaurant a PIN session reaches; `None` for a person's own sign-in.
    pub restaurant_id: Option<Uuid>,
}

pub async fn create(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    const SQL: &str = "INSERT INTO sessions (id, user_id, restaurant_id, kind, expires_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.restaurant_id)
        .bind(&s.kind)
        .bind(stored_time(s.expires_at))
        .bind(stored_time(s.created_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn add_refresh_token(
    tx: &mut Tx,
    session_id: Uuid,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    const SQL: &str = "INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at, created_at)
        VALUES ($1, $2, $3, $4, $5)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(Uuid::now_v7())
        .bind(session_id)
        .bind(token_hash)
        .bind(stored_time(expires_at))
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

const FIND_REFRESH: &str = "SELECT t.id, t.session_id, s.user_id, t.expires_at, t.spent_at,
    s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at, s.restaurant_id AS session_restaurant_id
    FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1";

pub async fn find_refresh(tx: &mut Tx, token_hash: &str) -> Result<Option<RefreshRow>> {
    on_tx!(tx, |c| sqlx::query_as::<_, RefreshRow>(FIND_REFRESH).bind(token_hash).fetch_optional(c).await)
}

/// The same lookup outside a transaction, for the web's session cookie, which holds a
/// refresh token that is presented on every page but never spent.
pub async fn refresh_by_hash(db: &crate::Db, token_hash: &str) -> Result<Option<RefreshRow>> {
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, RefreshRow>(FIND_REFRESH)
        .bind(token_hash)
        .fetch_optional(c)
        .await)
}

/// Marks a refresh token spent. Returns false when it was already spent: of two requests
/// racing with one token, exactly one wins.
pub async fn spend_refresh(tx: &mut Tx, token_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let done =
        on_tx!(tx, |c| sqlx::query("UPDATE refresh_tokens SET spent_at = $2 WHERE id = $1 AND spent_at IS NULL")
            .bind(token_id)
            .bind(stored_time(now))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn revoke(tx: &mut Tx, session_id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = on_tx!(tx, |c| sqlx::query(
        "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL"
    )
    .bind(session_id)
    .bind(stored_time(now))
    .bind(reason)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn revoke_all_for_user(tx: &mut Tx, user_id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<u64> {
    let done = on_tx!(tx, |c| sqlx::query(
        "UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL"
    )
    .bind(user_id)
    .bind(stored_time(now))
    .bind(reason)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}

pub async fn liveness(db: &crate::Db, user_id: Uuid, session_id: Uuid) -> Result<Option<Liveness>> {
    const SQL: &str = "SELECT u.token_version, u.is_active, s.revoked_at, s.restaurant_id
        FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.id = $1 AND s.id = $2";
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, Liveness>(SQL)
        .bind(user_id)
        .bind(session_id)
        .fetch_optional(c)
        .await)
}

/// Deletes sessions (and with them their refresh tokens) that expired or were revoked
/// before `cutoff`. Returns how many went.
pub async fn purge(tx: &mut Tx, cutoff: DateTime<Utc>) -> Result<u64> {
    let done = on_tx!(tx, |c| sqlx::query(
        "DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at IS NOT NULL AND revoked_at < $1)"
    )
    .bind(stored_time(cutoff))
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done)
}

/// The user a known device's token belongs to, if any.
pub async fn known_device_user(db: &crate::Db, token_hash: &str) -> Result<Option<Uuid>> {
    on_db!(db, System::Authenticate, |c| sqlx::query_scalar("SELECT user_id FROM known_devices WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await)
}

/// Remembers (or refreshes) a device that signed in to `user_id` with its password.
pub async fn remember_device(tx: &mut Tx, token_hash: &str, user_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    const SQL: &str =
        "INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $3)
        ON CONFLICT (token_hash) DO UPDATE SET last_used_at = excluded.last_used_at
        WHERE known_devices.user_id = excluded.user_id";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(token_hash)
        .bind(user_id)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
