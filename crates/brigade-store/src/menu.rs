//! The menu: categories (nested, each optionally routed to a kitchen station) and items.
//! Deleting either is soft (`deleted_at`), so past orders keep pointing at what they sold.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use brigade_domain::menu::{ChannelSettings, EightySix, ModifierGroup, Schedule};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
    pub station_id: Option<Uuid>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const CATEGORY_COLUMNS: &str =
    "id, restaurant_id, parent_id, name, description, sort_order, station_id, is_active, created_at, updated_at";

pub async fn insert_category(tx: &mut Tx, c: &CategoryRow) -> Result<()> {
    let sql =
        format!("INSERT INTO menu_categories ({CATEGORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)");
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(c.id)
        .bind(c.restaurant_id)
        .bind(c.parent_id)
        .bind(&c.name)
        .bind(&c.description)
        .bind(c.sort_order)
        .bind(c.station_id)
        .bind(c.is_active)
        .bind(stored_time(c.created_at))
        .bind(stored_time(c.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn update_category(tx: &mut Tx, c: &CategoryRow) -> Result<()> {
    const SQL: &str = "UPDATE menu_categories SET parent_id = $3, name = $4, description = $5, sort_order = $6,
        station_id = $7, is_active = $8, updated_at = $9 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL";
    on_tx!(tx, |x| sqlx::query(SQL)
        .bind(c.restaurant_id)
        .bind(c.id)
        .bind(c.parent_id)
        .bind(&c.name)
        .bind(&c.description)
        .bind(c.sort_order)
        .bind(c.station_id)
        .bind(c.is_active)
        .bind(stored_time(c.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn category(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<CategoryRow>> {
    let sql = format!(
        "SELECT {CATEGORY_COLUMNS} FROM menu_categories WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, CategoryRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn categories(db: &Db, rid: Uuid) -> Result<Vec<CategoryRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, CategoryRow>(&categories_sql()).bind(rid).fetch_all(x).await)
}

pub async fn categories_tx(tx: &mut Tx, rid: Uuid) -> Result<Vec<CategoryRow>> {
    on_tx!(tx, |x| sqlx::query_as::<_, CategoryRow>(&categories_sql()).bind(rid).fetch_all(x).await)
}

fn categories_sql() -> String {
    format!(
        "SELECT {CATEGORY_COLUMNS} FROM menu_categories WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY sort_order, name, id"
    )
}

/// Soft-deletes a category. Refused (false) while it still holds items or subcategories.
pub async fn delete_category(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE menu_categories SET deleted_at = $3 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn category_in_use(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<bool> {
    let n: i64 = on_tx!(tx, |x| {
        sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM menu_items WHERE restaurant_id = $1 AND category_id = $2 AND deleted_at IS NULL)
              + (SELECT COUNT(*) FROM menu_categories WHERE restaurant_id = $1 AND parent_id = $2 AND deleted_at IS NULL)"
    )
    .bind(rid)
    .bind(id)
    .fetch_one(x)
    .await
    })?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub category_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
    pub cost: Option<i64>,
    pub sku: Option<String>,
    pub allergens: Json<Vec<String>>,
    pub images: Json<Vec<String>>,
    pub prep_minutes: i64,
    pub is_active: bool,
    pub station_id: Option<Uuid>,
    pub sort_order: i64,
    pub channels: Json<ChannelSettings>,
    pub schedule: Json<Schedule>,
    pub modifier_groups: Json<Vec<ModifierGroup>>,
    pub eighty_six: Option<Json<EightySix>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ITEM_COLUMNS: &str = "id, restaurant_id, category_id, name, description, price, cost, sku, allergens, images,
    prep_minutes, is_active, station_id, sort_order, channels, schedule, modifier_groups, eighty_six, created_at, updated_at";

pub async fn insert_item(tx: &mut Tx, i: &ItemRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO menu_items ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
         $15, $16, $17, $18, $19, $20)"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(i.id)
        .bind(i.restaurant_id)
        .bind(i.category_id)
        .bind(&i.name)
        .bind(&i.description)
        .bind(i.price)
        .bind(i.cost)
        .bind(&i.sku)
        .bind(&i.allergens)
        .bind(&i.images)
        .bind(i.prep_minutes)
        .bind(i.is_active)
        .bind(i.station_id)
        .bind(i.sort_order)
        .bind(&i.channels)
        .bind(&i.schedule)
        .bind(&i.modifier_groups)
        .bind(&i.eighty_six)
        .bind(stored_time(i.created_at))
        .bind(stored_time(i.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Writes every field of an item back (an item is edited whole).
pub async fn update_item(tx: &mut Tx, i: &ItemRow) -> Result<()> {
    const SQL: &str = "UPDATE menu_items SET category_id = $3, name = $4, description = $5, price = $6, cost = $7,
        sku = $8, allergens = $9, images = $10, prep_minutes = $11, is_active = $12, station_id = $13, sort_order = $14,
        channels = $15, schedule = $16, modifier_groups = $17, eighty_six = $18, updated_at = $19
        WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL";
    on_tx!(tx, |x| sqlx::query(SQL)
        .bind(i.restaurant_id)
        .bind(i.id)
        .bind(i.category_id)
        .bind(&i.name)
        .bind(&i.description)
        .bind(i.price)
        .bind(i.cost)
        .bind(&i.sku)
        .bind(&i.allergens)
        .bind(&i.images)
        .bind(i.prep_minutes)
        .bind(i.is_active)
        .bind(i.station_id)
        .bind(i.sort_order)
        .bind(&i.channels)
        .bind(&i.schedule)
        .bind(&i.modifier_groups)
        .bind(&i.eighty_six)
        .bind(stored_time(i.updated_at))
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_eighty_six(
    tx: &mut Tx,
    rid: Uuid,
    id: Uuid,
    e: Option<&EightySix>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE menu_items SET eighty_six = $3, updated_at = $4 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(e.map(Json))
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn delete_item(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE menu_items SET deleted_at = $3, updated_at = $3 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

pub async fn item(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<ItemRow>> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn item_tx(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<ItemRow>> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL");
    on_tx!(tx, |x| sqlx::query_as::<_, ItemRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

pub struct ItemFilter {
    pub category_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

pub async fn items(db: &Db, rid: Uuid, f: &ItemFilter) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND deleted_at IS NULL
         AND ($2 IS NULL OR category_id = $2) AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRow>(&sql)
        .bind(rid)
        .bind(f.category_id)
        .bind(f.after)
        .bind(f.limit)
        .fetch_all(x)
        .await)
}

/// Every live item of a restaurant (for the public menu).
pub async fn all_items(db: &Db, rid: Uuid) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY sort_order, name, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRow>(&sql).bind(rid).fetch_all(x).await)
}

/// The items an order names, read inside the order's transaction. On PostgreSQL the rows
/// are share-locked, so an 86 that commits first is seen, and one that comes later waits
/// for the order: an order never slips through after an 86 committed.
pub async fn items_for_order(tx: &mut Tx, rid: Uuid, ids: &[Uuid]) -> Result<Vec<ItemRow>> {
    let mut wanted: Vec<Uuid> = ids.to_vec();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    // One placeholder per id; the SQL text depends only on how many there are.
    let list = crate::placeholders(wanted.len(), 2);
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND id IN ({list}) AND deleted_at IS NULL"
    );
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR SHARE"), |x, text| {
        let mut q = sqlx::query_as::<_, ItemRow>(&text).bind(rid);
        for id in &wanted {
            q = q.bind(*id);
        }
        q.fetch_all(x).await
    })
}

/// Every item of the restaurant, read in `tx` and (on PostgreSQL) locked for update: for a
/// change made inside items' modifier groups (an option's 86), which no other change to
/// those items may interleave with.
pub async fn all_items_for_update(tx: &mut Tx, rid: Uuid) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM menu_items WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY sort_order, name, id"
    );
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| {
        sqlx::query_as::<_, ItemRow>(&text).bind(rid).fetch_all(x).await
    })
}

/// Replaces an item's modifier groups alone (an option 86'd or back).
pub async fn set_modifier_groups(
    tx: &mut Tx,
    rid: Uuid,
    id: Uuid,
    groups: &[ModifierGroup],
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = on_tx!(tx, |x| {
        sqlx::query(
            "UPDATE menu_items SET modifier_groups = $3, updated_at = $4 WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(rid)
        .bind(id)
        .bind(Json(groups))
        .bind(stored_time(now))
        .execute(x)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}
