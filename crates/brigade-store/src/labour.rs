//! Staff positions and rates, overtime settings, and time entries.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json as DbJson;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub weekly_minutes: i64,
    pub daily_minutes: Option<i64>,
    pub double_minutes: Option<i64>,
    pub week_starts: String,
    pub min_rest_minutes: i64,
}

impl Default for SettingsRow {
    fn default() -> Self {
        SettingsRow {
            weekly_minutes: 2400,
            daily_minutes: None,
            double_minutes: None,
            week_starts: "Mon".into(),
            min_rest_minutes: 480,
        }
    }
}

pub async fn settings(db: &Db, rid: Uuid) -> Result<SettingsRow> {
    let row = on_db!(db, rid, |x| {
        sqlx::query_as::<_, SettingsRow>(
            "SELECT weekly_minutes, daily_minutes, double_minutes, week_starts, min_rest_minutes FROM labour_settings
         WHERE restaurant_id = $1",
        )
        .bind(rid)
        .fetch_optional(x)
        .await
    })?;
    Ok(row.unwrap_or_default())
}

pub async fn put_settings(tx: &mut Tx, rid: Uuid, s: &SettingsRow) -> Result<()> {
    on_tx!(tx, |x| {
        sqlx::query(
        "INSERT INTO labour_settings (restaurant_id, weekly_minutes, daily_minutes, double_minutes, week_starts,
         min_rest_minutes) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (restaurant_id) DO UPDATE SET weekly_minutes = $2,
         daily_minutes = $3, double_minutes = $4, week_starts = $5, min_rest_minutes = $6"
    )
    .bind(rid)
    .bind(s.weekly_minutes)
    .bind(s.daily_minutes)
    .bind(s.double_minutes)
    .bind(&s.week_starts)
    .bind(s.min_rest_minutes)
    .execute(x)
    .await
    .map(drop)
    })
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    pub user_id: Uuid,
    pub position: String,
    pub hourly_rate: i64,
}

pub async fn positions(db: &Db, rid: Uuid, user: Option<Uuid>) -> Result<Vec<PositionRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, PositionRow>(
        "SELECT user_id, position, hourly_rate FROM staff_positions WHERE restaurant_id = $1
         AND ($2 IS NULL OR user_id = $2) ORDER BY user_id, position"
    )
    .bind(rid)
    .bind(user)
    .fetch_all(x)
    .await)
}

pub async fn set_positions(tx: &mut Tx, rid: Uuid, user: Uuid, list: &[(String, i64)]) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("DELETE FROM staff_positions WHERE restaurant_id = $1 AND user_id = $2")
        .bind(rid)
        .bind(user)
        .execute(x)
        .await
        .map(drop))?;
    for (position, rate) in list {
        on_tx!(tx, |x| sqlx::query(
            "INSERT INTO staff_positions (restaurant_id, user_id, position, hourly_rate) VALUES ($1, $2, $3, $4)"
        )
        .bind(rid)
        .bind(user)
        .bind(position)
        .bind(*rate)
        .execute(x)
        .await
        .map(drop))?;
    }
    Ok(())
}

/// A break inside a time entry; open while `end` is None.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Break {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub paid: bool,
}

/// An entry as it was clocked, kept when a manager first edits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Original {
    pub clock_in: DateTime<Utc>,
    pub clock_out: Option<DateTime<Utc>>,
    pub breaks: Vec<Break>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub user_id: Uuid,
    pub position: Option<String>,
    pub hourly_rate: i64,
    pub clock_in: DateTime<Utc>,
    pub clock_out: Option<DateTime<Utc>>,
    pub breaks: DbJson<Vec<Break>>,
    pub original: Option<DbJson<Original>>,
    pub edited_by: Option<Uuid>,
    pub edit_reason: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ENTRY_COLUMNS: &str = "id, restaurant_id, user_id, position, hourly_rate, clock_in, clock_out, breaks, original,
    edited_by, edit_reason, approved_by, approved_at, created_at, updated_at";

/// Inserts a new, open entry. A second open entry for the same person is refused by the
/// database (unique index), so two devices clocking in at once cannot both succeed.
pub async fn insert_entry(tx: &mut Tx, e: &EntryRow) -> Result<bool> {
    let sql = format!(
        "INSERT INTO time_entries ({ENTRY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         ON CONFLICT DO NOTHING"
    );
    let n = on_tx!(tx, |x| sqlx::query(&sql)
        .bind(e.id)
        .bind(e.restaurant_id)
        .bind(e.user_id)
        .bind(&e.position)
        .bind(e.hourly_rate)
        .bind(stored_time(e.clock_in))
        .bind(e.clock_out.map(stored_time))
        .bind(&e.breaks)
        .bind(&e.original)
        .bind(e.edited_by)
        .bind(&e.edit_reason)
        .bind(e.approved_by)
        .bind(e.approved_at.map(stored_time))
        .bind(stored_time(e.created_at))
        .bind(stored_time(e.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn update_entry(tx: &mut Tx, e: &EntryRow) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE time_entries SET clock_in = $3, clock_out = $4, breaks = $5, original = $6, edited_by = $7,
         edit_reason = $8, approved_by = $9, approved_at = $10, updated_at = $11, position = $12, hourly_rate = $13
         WHERE id = $1 AND restaurant_id = $2"
    )
    .bind(e.id)
    .bind(e.restaurant_id)
    .bind(stored_time(e.clock_in))
    .bind(e.clock_out.map(stored_time))
    .bind(&e.breaks)
    .bind(&e.original)
    .bind(e.edited_by)
    .bind(&e.edit_reason)
    .bind(e.approved_by)
    .bind(e.approved_at.map(stored_time))
    .bind(stored_time(e.updated_at))
    .bind(&e.position)
    .bind(e.hourly_rate)
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The person's open entry here, locked on PostgreSQL.
pub async fn open_entry(tx: &mut Tx, rid: Uuid, user: Uuid) -> Result<Option<EntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM time_entries WHERE restaurant_id = $1 AND user_id = $2 AND clock_out IS NULL"
    );
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, EntryRow>(&text).bind(rid).bind(user).fetch_optional(x).await)
}

pub async fn entry_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<EntryRow>> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM time_entries WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, EntryRow>(&text).bind(rid).bind(id).fetch_optional(x).await)
}

/// Entries that overlap [from, to) (open ones count as running until now), optionally
/// of one person, oldest first.
pub async fn entries(
    db: &Db,
    rid: Uuid,
    user: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<EntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM time_entries WHERE restaurant_id = $1 AND ($2 IS NULL OR user_id = $2)
         AND clock_in < $4 AND (clock_out IS NULL OR clock_out > $3) ORDER BY clock_in, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, EntryRow>(&sql)
        .bind(rid)
        .bind(user)
        .bind(stored_time(from))
        .bind(stored_time(to))
        .fetch_all(x)
        .await)
}

/// Everyone clocked in now.
pub async fn on_the_clock(db: &Db, rid: Uuid) -> Result<Vec<EntryRow>> {
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM time_entries WHERE restaurant_id = $1 AND clock_out IS NULL ORDER BY clock_in"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, EntryRow>(&sql).bind(rid).fetch_all(x).await)
}

// ---------------------------------------------------------------- shifts

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub user_id: Uuid,
    pub position: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const SHIFT_COLUMNS: &str = "id, restaurant_id, user_id, position, starts_at, ends_at, notes, created_at, updated_at";

pub async fn insert_shift(tx: &mut Tx, s: &ShiftRow) -> Result<()> {
    let sql = format!("INSERT INTO shifts ({SHIFT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(s.id)
        .bind(s.restaurant_id)
        .bind(s.user_id)
        .bind(&s.position)
        .bind(stored_time(s.starts_at))
        .bind(stored_time(s.ends_at))
        .bind(&s.notes)
        .bind(stored_time(s.created_at))
        .bind(stored_time(s.updated_at))
        .execute(x)
        .await
        .map(drop))
}

pub async fn update_shift(tx: &mut Tx, s: &ShiftRow) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE shifts SET user_id = $3, position = $4, starts_at = $5, ends_at = $6, notes = $7, updated_at = $8
         WHERE id = $1 AND restaurant_id = $2"
    )
    .bind(s.id)
    .bind(s.restaurant_id)
    .bind(s.user_id)
    .bind(&s.position)
    .bind(stored_time(s.starts_at))
    .bind(stored_time(s.ends_at))
    .bind(&s.notes)
    .bind(stored_time(s.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete_shift(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query("DELETE FROM shifts WHERE id = $2 AND restaurant_id = $1")
        .bind(rid)
        .bind(id)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn shift_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<ShiftRow>> {
    let sql = format!("SELECT {SHIFT_COLUMNS} FROM shifts WHERE restaurant_id = $1 AND id = $2");
    on_tx!(tx, |x| sqlx::query_as::<_, ShiftRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// Shifts that overlap [from, to), by start.
pub async fn shifts_tx(tx: &mut Tx, rid: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ShiftRow>> {
    let sql = format!(
        "SELECT {SHIFT_COLUMNS} FROM shifts WHERE restaurant_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id"
    );
    on_tx!(tx, |x| sqlx::query_as::<_, ShiftRow>(&sql)
        .bind(rid)
        .bind(stored_time(from))
        .bind(stored_time(to))
        .fetch_all(x)
        .await)
}

/// What the analytics read of an entry: who, at what rate, when, and the breaks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkedRow {
    pub user_id: Uuid,
    pub hourly_rate: i64,
    pub clock_in: DateTime<Utc>,
    pub clock_out: Option<DateTime<Utc>>,
    pub breaks: DbJson<Vec<Break>>,
}

/// The entries that overlap [from, to) (open ones count as running), only what labour
/// cost needs of them: a year of a restaurant's is read per analytics request.
pub async fn worked(db: &Db, rid: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<WorkedRow>> {
    const SQL: &str = "SELECT user_id, hourly_rate, clock_in, clock_out, breaks FROM time_entries
        WHERE restaurant_id = $1 AND clock_in < $3 AND (clock_out IS NULL OR clock_out > $2) ORDER BY clock_in, id";
    on_db!(db, rid, |x| sqlx::query_as::<_, WorkedRow>(SQL)
        .bind(rid)
        .bind(stored_time(from))
        .bind(stored_time(to))
        .fetch_all(x)
        .await)
}

/// The shifts that overlap [from, to): whose, and when.
pub async fn planned(
    db: &Db,
    rid: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)>> {
    const SQL: &str = "SELECT user_id, starts_at, ends_at FROM shifts
        WHERE restaurant_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id";
    on_db!(db, rid, |x| sqlx::query_as(SQL).bind(rid).bind(stored_time(from)).bind(stored_time(to)).fetch_all(x).await)
}
