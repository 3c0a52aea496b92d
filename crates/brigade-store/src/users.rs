//! Users and their memberships. A user is a person; a membership is that person's role
//! (and, for shared devices, phone and PIN) in one restaurant.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub name: String,
    pub is_active: bool,
    pub token_version: i64,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member of one restaurant, as managers see them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    pub restaurant_id: Uuid,
    pub user_id: Uuid,
    pub email: Option<String>,
    pub name: String,
    pub is_active: bool,
    pub role: String,
    pub phone: Option<String>,
    pub pin_hash: Option<String>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl UserRow {
    /// A new, active account that has never signed in.
    pub fn new_account(
        email: Option<String>,
        password_hash: Option<String>,
        name: String,
        now: DateTime<Utc>,
    ) -> UserRow {
        UserRow {
            id: Uuid::now_v7(),
            email,
            password_hash,
            name,
            is_active: true,
            token_version: 0,
            last_login_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

const USER_COLUMNS: &str =
    "id, email, password_hash, name, is_active, token_version, last_login_at, created_at, updated_at";
const MEMBER_SELECT: &str =
    "SELECT m.restaurant_id, m.user_id, u.email, u.name, u.is_active, m.role, m.phone, m.pin_hash,
    u.last_login_at, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id";

pub async fn count(db: &Db) -> Result<i64> {
    on_db!(db, System::Admin, |c| sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(c).await)
}

pub async fn insert(tx: &mut Tx, u: &UserRow) -> Result<()> {
    let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(u.id)
        .bind(&u.email)
        .bind(&u.password_hash)
        .bind(&u.name)
        .bind(u.is_active)
        .bind(u.token_version)
        .bind(u.last_login_at.map(stored_time))
        .bind(stored_time(u.created_at))
        .bind(stored_time(u.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, UserRow>(&sql).bind(id).fetch_optional(c).await)
}

pub async fn by_email(db: &Db, email: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(c).await)
}

pub async fn by_email_tx(tx: &mut Tx, email: &str) -> Result<Option<UserRow>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    on_tx!(tx, |c| sqlx::query_as::<_, UserRow>(&sql).bind(email).fetch_optional(c).await)
}

pub async fn set_password(tx: &mut Tx, id: Uuid, hash: &str, now: DateTime<Utc>) -> Result<bool> {
    // A new password ends every session: the version bump invalidates old access tokens.
    const SQL: &str =
        "UPDATE users SET password_hash = $2, token_version = token_version + 1, updated_at = $3 WHERE id = $1";
    let done = on_tx!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(hash)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn update_profile(tx: &mut Tx, id: Uuid, name: &str, is_active: bool, now: DateTime<Utc>) -> Result<()> {
    // Deactivating someone also revokes their tokens.
    const SQL: &str = "UPDATE users SET name = $2,
        token_version = token_version + CASE WHEN is_active AND NOT $3 THEN 1 ELSE 0 END,
        is_active = $3, updated_at = $4 WHERE id = $1";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(name)
        .bind(is_active)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn touch_login(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, |c| sqlx::query("UPDATE users SET last_login_at = $2 WHERE id = $1")
        .bind(id)
        .bind(stored_time(now))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn bump_token_version(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(tx, |c| sqlx::query("UPDATE users SET token_version = token_version + 1 WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub struct NewMembership<'a> {
    pub restaurant_id: Uuid,
    pub user_id: Uuid,
    pub role: &'a str,
    pub phone: Option<&'a str>,
    pub pin_hash: Option<&'a str>,
    pub at: DateTime<Utc>,
}

pub async fn add_membership(tx: &mut Tx, m: &NewMembership<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO memberships (restaurant_id, user_id, role, phone, pin_hash, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(m.restaurant_id)
        .bind(m.user_id)
        .bind(m.role)
        .bind(m.phone)
        .bind(m.pin_hash)
        .bind(stored_time(m.at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Changes a membership. `None` leaves a field as it is; `Some(None)` clears it.
pub struct MembershipChange<'a> {
    pub role: Option<&'a str>,
    pub phone: Option<Option<&'a str>>,
    pub pin_hash: Option<Option<&'a str>>,
    pub at: DateTime<Utc>,
}

pub async fn update_membership(tx: &mut Tx, rid: Uuid, uid: Uuid, m: &MembershipChange<'_>) -> Result<()> {
    const SQL: &str = "UPDATE memberships SET
        role = COALESCE($3, role),
        phone = CASE WHEN $4 THEN $5 ELSE phone END,
        pin_hash = CASE WHEN $6 THEN $7 ELSE pin_hash END,
        updated_at = $8
        WHERE restaurant_id = $1 AND user_id = $2";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(rid)
        .bind(uid)
        .bind(m.role)
        .bind(m.phone.is_some())
        .bind(m.phone.flatten())
        .bind(m.pin_hash.is_some())
        .bind(m.pin_hash.flatten())
        .bind(stored_time(m.at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn remove_membership(tx: &mut Tx, rid: Uuid, uid: Uuid) -> Result<bool> {
    let done = on_tx!(tx, |c| sqlx::query("DELETE FROM memberships WHERE restaurant_id = $1 AND user_id = $2")
        .bind(rid)
        .bind(uid)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn role_in(db: &Db, rid: Uuid, uid: Uuid) -> Result<Option<String>> {
    on_db!(db, rid, |c| sqlx::query_scalar("SELECT role FROM memberships WHERE restaurant_id = $1 AND user_id = $2")
        .bind(rid)
        .bind(uid)
        .fetch_optional(c)
        .await)
}

pub async fn member(db: &Db, rid: Uuid, uid: Uuid) -> Result<Option<MemberRow>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.restaurant_id = $1 AND m.user_id = $2");
    on_db!(db, rid, |c| sqlx::query_as::<_, MemberRow>(&sql).bind(rid).bind(uid).fetch_optional(c).await)
}

pub async fn member_tx(tx: &mut Tx, rid: Uuid, uid: Uuid) -> Result<Option<MemberRow>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.restaurant_id = $1 AND m.user_id = $2");
    on_tx!(tx, |c| sqlx::query_as::<_, MemberRow>(&sql).bind(rid).bind(uid).fetch_optional(c).await)
}

/// Members of a restaurant in id order, after `after` (cursor paging).
pub async fn members(db: &Db, rid: Uuid, after: Option<Uuid>, limit: i64) -> Result<Vec<MemberRow>> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.restaurant_id = $1 AND ($2 IS NULL OR m.user_id > $2) ORDER BY m.user_id LIMIT $3"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, MemberRow>(&sql).bind(rid).bind(after).bind(limit).fetch_all(c).await)
}

/// The active members of a restaurant with one of `roles` who have a PIN: whose PIN may
/// approve at the counter.
pub async fn with_pin(db: &Db, rid: Uuid, roles: &[&str]) -> Result<Vec<MemberRow>> {
    let list = roles.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.restaurant_id = $1 AND m.pin_hash IS NOT NULL AND u.is_active AND m.role IN ({list})
         ORDER BY m.user_id"
    );
    on_db!(db, rid, |c| sqlx::query_as::<_, MemberRow>(&sql).bind(rid).fetch_all(c).await)
}

pub async fn member_by_phone(db: &Db, rid: Uuid, phone: &str) -> Result<Option<MemberRow>> {
    let sql = format!("{MEMBER_SELECT} WHERE m.restaurant_id = $1 AND m.phone = $2");
    on_db!(db, rid, |c| sqlx::query_as::<_, MemberRow>(&sql).bind(rid).bind(phone).fetch_optional(c).await)
}

pub async fn phone_taken(tx: &mut Tx, rid: Uuid, phone: &str, except: Option<Uuid>) -> Result<bool> {
    const SQL: &str =
        "SELECT COUNT(*) FROM memberships WHERE restaurant_id = $1 AND phone = $2 AND ($3 IS NULL OR user_id <> $3)";
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(SQL).bind(rid).bind(phone).bind(except).fetch_one(c).await)?;
    Ok(n > 0)
}

pub async fn count_owners(tx: &mut Tx, rid: Uuid) -> Result<i64> {
    on_tx!(tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE restaurant_id = $1 AND role = 'owner'")
        .bind(rid)
        .fetch_one(c)
        .await)
}

/// Whether the user is an owner of at least one restaurant (who may add locations).
pub async fn is_owner_anywhere(db: &Db, uid: Uuid) -> Result<bool> {
    let n: i64 = on_db!(db, System::Authenticate, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND role = 'owner'"
    )
    .bind(uid)
    .fetch_one(c)
    .await)?;
    Ok(n > 0)
}

/// (restaurant id, role) for every membership of a user.
pub async fn memberships_of(db: &Db, uid: Uuid) -> Result<Vec<(Uuid, String)>> {
    on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, (Uuid, String)>(
        "SELECT restaurant_id, role FROM memberships WHERE user_id = $1 ORDER BY restaurant_id"
    )
    .bind(uid)
    .fetch_all(c)
    .await)
}
