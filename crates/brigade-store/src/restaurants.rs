//! Restaurants (locations) and who belongs to them.

use crate::{on_db, on_tx, stored_time, Db, Result, System, Tx};
use chrono::{DateTime, NaiveTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RestaurantRow {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub timezone: String,
    pub currency: String,
    pub tax_rate_bps: i64,
    pub tax_inclusive: bool,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// When the business day turns over, local time.
    pub day_starts_at: NaiveTime,
    /// Kitchen display timers: a ticket older than these turns amber, then red.
    pub kds_warn_secs: i64,
    pub kds_late_secs: i64,
    /// When orders take their ingredients out of stock: `created` or `accepted`.
    pub inventory_depletes_on: String,
    /// The restaurant group (an owner's locations) whose guests this one shares: the id
    /// of the group's first restaurant.
    pub group_id: Uuid,
    /// ISO 3166-1 alpha-2: where phone numbers without a country code are read. None:
    /// the currency's country.
    pub country: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, name, slug, timezone, currency, tax_rate_bps, tax_inclusive, address, phone, day_starts_at, kds_warn_secs,
    kds_late_secs, inventory_depletes_on, group_id, country, created_at, updated_at";

pub async fn insert(tx: &mut Tx, r: &RestaurantRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO restaurants ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    on_tx!(tx, |c| sqlx::query(&sql)
        .bind(r.id)
        .bind(&r.name)
        .bind(&r.slug)
        .bind(&r.timezone)
        .bind(&r.currency)
        .bind(r.tax_rate_bps)
        .bind(r.tax_inclusive)
        .bind(&r.address)
        .bind(&r.phone)
        .bind(r.day_starts_at)
        .bind(r.kds_warn_secs)
        .bind(r.kds_late_secs)
        .bind(&r.inventory_depletes_on)
        .bind(r.group_id)
        .bind(&r.country)
        .bind(stored_time(r.created_at))
        .bind(stored_time(r.updated_at))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update(tx: &mut Tx, r: &RestaurantRow) -> Result<()> {
    const SQL: &str = "UPDATE restaurants SET name = $2, slug = $3, timezone = $4, currency = $5, tax_rate_bps = $6,
        tax_inclusive = $7, address = $8, phone = $9, updated_at = $10, day_starts_at = $11,
        kds_warn_secs = $12, kds_late_secs = $13, inventory_depletes_on = $14, country = $15 WHERE id = $1";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(r.id)
        .bind(&r.name)
        .bind(&r.slug)
        .bind(&r.timezone)
        .bind(&r.currency)
        .bind(r.tax_rate_bps)
        .bind(r.tax_inclusive)
        .bind(&r.address)
        .bind(&r.phone)
        .bind(stored_time(r.updated_at))
        .bind(r.day_starts_at)
        .bind(r.kds_warn_secs)
        .bind(r.kds_late_secs)
        .bind(&r.inventory_depletes_on)
        .bind(&r.country)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn get(db: &Db, id: Uuid) -> Result<Option<RestaurantRow>> {
    let sql = format!("SELECT {COLUMNS} FROM restaurants WHERE id = $1");
    on_db!(db, id, |c| sqlx::query_as::<_, RestaurantRow>(&sql).bind(id).fetch_optional(c).await)
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<RestaurantRow>> {
    let sql = format!("SELECT {COLUMNS} FROM restaurants WHERE slug = $1");
    on_db!(db, System::Public, |c| sqlx::query_as::<_, RestaurantRow>(&sql).bind(slug).fetch_optional(c).await)
}

pub async fn get_tx(tx: &mut Tx, id: Uuid) -> Result<Option<RestaurantRow>> {
    let sql = format!("SELECT {COLUMNS} FROM restaurants WHERE id = $1");
    on_tx!(tx, |c| sqlx::query_as::<_, RestaurantRow>(&sql).bind(id).fetch_optional(c).await)
}

/// The restaurant, locked for a change of its settings on PostgreSQL (SQLite has one writer).
pub async fn get_for_update(tx: &mut Tx, id: Uuid) -> Result<Option<RestaurantRow>> {
    let sql = format!("SELECT {COLUMNS} FROM restaurants WHERE id = $1");
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |c, text| sqlx::query_as::<_, RestaurantRow>(&text)
        .bind(id)
        .fetch_optional(c)
        .await)
}

/// The group of the oldest restaurant `user_id` owns: where a new location of theirs
/// belongs (None for their first).
pub async fn owner_group(tx: &mut Tx, user_id: Uuid) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT r.group_id FROM restaurants r JOIN memberships m ON m.restaurant_id = r.id
        WHERE m.user_id = $1 AND m.role = 'owner' ORDER BY r.created_at, r.id LIMIT 1";
    on_tx!(tx, |c| sqlx::query_scalar(SQL).bind(user_id).fetch_optional(c).await)
}

/// The restaurants of a group, oldest first.
pub async fn of_group(db: &Db, group_id: Uuid) -> Result<Vec<RestaurantRow>> {
    let sql = format!("SELECT {COLUMNS} FROM restaurants WHERE group_id = $1 ORDER BY created_at, id");
    on_db!(db, System::Guests, |c| sqlx::query_as::<_, RestaurantRow>(&sql).bind(group_id).fetch_all(c).await)
}

pub async fn slug_taken(tx: &mut Tx, slug: &str, except: Option<Uuid>) -> Result<bool> {
    const SQL: &str = "SELECT COUNT(*) FROM restaurants WHERE slug = $1 AND ($2 IS NULL OR id <> $2)";
    let n: i64 = on_tx!(tx, |c| sqlx::query_scalar(SQL).bind(slug).bind(except).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The restaurants a user is a member of, with their role there, in id order after
/// `after` (cursor paging).
pub async fn for_user(db: &Db, user_id: Uuid, after: Option<Uuid>, limit: i64) -> Result<Vec<(RestaurantRow, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        r: RestaurantRow,
        role: String,
    }
    const SQL: &str = "SELECT r.id, r.name, r.slug, r.timezone, r.currency, r.tax_rate_bps, r.tax_inclusive, r.address,
        r.phone, r.day_starts_at, r.kds_warn_secs, r.kds_late_secs, r.inventory_depletes_on, r.group_id, r.country,
        r.created_at, r.updated_at, m.role
        FROM restaurants r JOIN memberships m ON m.restaurant_id = r.id
        WHERE m.user_id = $1 AND ($2 IS NULL OR r.id > $2) ORDER BY r.id LIMIT $3";
    let rows = on_db!(db, System::Authenticate, |c| sqlx::query_as::<_, Row>(SQL)
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|row| (row.r, row.role)).collect())
}
