//! Dining tables. Each has a QR version: rotating the code bumps it, so old prints die.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use brigade_domain::tables::TableStatus;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TableRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub capacity: i64,
    #[sqlx(try_from = "String")]
    pub status: TableStatus,
    pub qr_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, restaurant_id, name, capacity, status, qr_version, created_at, updated_at";

pub async fn insert(tx: &mut Tx, t: &TableRow) -> Result<()> {
    let sql = format!("INSERT INTO dining_tables ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(t.id)
        .bind(t.restaurant_id)
        .bind(&t.name)
        .bind(t.capacity)
        .bind(t.status.as_str())
        .bind(t.qr_version)
        .bind(stored_time(t.created_at))
        .bind(stored_time(t.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update(tx: &mut Tx, t: &TableRow) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE dining_tables SET name = $3, capacity = $4, status = $5, qr_version = $6, updated_at = $7
         WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(t.restaurant_id)
    .bind(t.id)
    .bind(&t.name)
    .bind(t.capacity)
    .bind(t.status.as_str())
    .bind(t.qr_version)
    .bind(stored_time(t.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE dining_tables SET deleted_at = $3 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn get(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<TableRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM dining_tables WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_db!(db, rid, |x| sqlx::query_as::<_, TableRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn get_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<TableRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM dining_tables WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_tx!(tx, |x| sqlx::query_as::<_, TableRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// The table, locked for a change on PostgreSQL (SQLite has one writer).
pub async fn get_for_update(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<TableRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM dining_tables WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, TableRow>(&text)
        .bind(rid)
        .bind(id)
        .fetch_optional(x)
        .await)
}

/// A table by id alone, for a guest's QR token (which names no restaurant).
pub async fn by_id(db: &Db, id: Uuid) -> Result<Option<TableRow>> {
    let sql = format!("SELECT {COLUMNS} FROM dining_tables WHERE id = $1 AND deleted_at IS NULL");
    on_db!(db, System::Public, |x| sqlx::query_as::<_, TableRow>(&sql).bind(id).fetch_optional(x).await)
}

pub async fn list(db: &Db, rid: Uuid) -> Result<Vec<TableRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM dining_tables WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY name, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, TableRow>(&sql).bind(rid).fetch_all(x).await)
}

pub async fn name_taken(tx: &mut Tx, rid: Uuid, name: &str, except: Option<Uuid>) -> Result<bool> {
    let n: i64 = on_tx!(tx, |x| {
        sqlx::query_scalar(
        "SELECT COUNT(*) FROM dining_tables WHERE restaurant_id = $1 AND name = $2 AND deleted_at IS NULL AND ($3 IS NULL OR id <> $3)"
    )
    .bind(rid)
    .bind(name)
    .bind(except)
    .fetch_one(x)
    .await
    })?;
    Ok(n > 0)
}
