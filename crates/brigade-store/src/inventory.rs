//! Inventory: categories, stock items, the ledger and recipes.
//!
//! The ledger is the truth: `inventory_items.on_hand` is only ever changed by `post`,
//! which adds the movement to it and writes the ledger row (with the balance after it)
//! in the same transaction, so on hand always equals the sum of the item's ledger.

use crate::{on_db, on_tx, stored_time, Db, Result, Tx};
use chrono::{DateTime, Utc};
use sqlx::types::Json as DbJson;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CategoryRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_category(tx: &mut Tx, c: &CategoryRow) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "INSERT INTO inventory_categories (id, restaurant_id, name, description, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(c.id)
    .bind(c.restaurant_id)
    .bind(&c.name)
    .bind(&c.description)
    .bind(stored_time(c.created_at))
    .bind(stored_time(c.updated_at))
    .execute(x)
    .await
    .map(drop))
}

pub async fn update_category(tx: &mut Tx, c: &CategoryRow) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE inventory_categories SET name = $3, description = $4, updated_at = $5
         WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(c.id)
    .bind(c.restaurant_id)
    .bind(&c.name)
    .bind(&c.description)
    .bind(stored_time(c.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Deletes a category; its items stay, uncategorised.
pub async fn delete_category(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE inventory_items SET category_id = NULL WHERE restaurant_id = $1 AND category_id = $2"
    )
    .bind(rid)
    .bind(id)
    .execute(x)
    .await
    .map(drop))?;
    let n = on_tx!(tx, |x| {
        sqlx::query(
        "UPDATE inventory_categories SET deleted_at = $3 WHERE id = $2 AND restaurant_id = $1 AND deleted_at IS NULL"
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

pub async fn categories(db: &Db, rid: Uuid) -> Result<Vec<CategoryRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, CategoryRow>(
        "SELECT id, restaurant_id, name, description, created_at, updated_at FROM inventory_categories
         WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY name"
    )
    .bind(rid)
    .fetch_all(x)
    .await)
}

pub async fn category(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<CategoryRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, CategoryRow>(
        "SELECT id, restaurant_id, name, description, created_at, updated_at FROM inventory_categories
         WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .fetch_optional(x)
    .await)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub category_id: Option<Uuid>,
    pub name: String,
    pub sku: Option<String>,
    pub unit: String,
    pub on_hand: i64,
    pub par_level: Option<i64>,
    pub reorder_point: Option<i64>,
    pub max_level: Option<i64>,
    pub unit_cost: i64,
    pub purchase_units: DbJson<Vec<brigade_domain::inventory::PurchaseUnit>>,
    pub supplier: Option<DbJson<serde_json::Value>>,
    pub is_low: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const ITEM_COLUMNS: &str =
    "id, restaurant_id, category_id, name, sku, unit, on_hand, par_level, reorder_point, max_level,
    unit_cost, purchase_units, supplier, is_low, created_at, updated_at";

/// Inserts a new item with nothing on hand (stock arrives through the ledger).
pub async fn insert_item(tx: &mut Tx, i: &ItemRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO inventory_items ({ITEM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $10, $11, $12, FALSE, $13, $14)"
    );
    on_tx!(tx, |x| sqlx::query(&sql)
        .bind(i.id)
        .bind(i.restaurant_id)
        .bind(i.category_id)
        .bind(&i.name)
        .bind(&i.sku)
        .bind(&i.unit)
        .bind(i.par_level)
        .bind(i.reorder_point)
        .bind(i.max_level)
        .bind(i.unit_cost)
        .bind(&i.purchase_units)
        .bind(&i.supplier)
        .bind(stored_time(i.created_at))
        .bind(stored_time(i.updated_at))
        .execute(x)
        .await
        .map(drop))
}

/// Updates what describes an item; never its stock (`on_hand`) or its unit.
pub async fn update_item(tx: &mut Tx, i: &ItemRow) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE inventory_items SET category_id = $3, name = $4, sku = $5, par_level = $6, reorder_point = $7,
         max_level = $8, unit_cost = $9, purchase_units = $10, supplier = $11, updated_at = $12
         WHERE id = $1 AND restaurant_id = $2 AND deleted_at IS NULL"
    )
    .bind(i.id)
    .bind(i.restaurant_id)
    .bind(i.category_id)
    .bind(&i.name)
    .bind(&i.sku)
    .bind(i.par_level)
    .bind(i.reorder_point)
    .bind(i.max_level)
    .bind(i.unit_cost)
    .bind(&i.purchase_units)
    .bind(&i.supplier)
    .bind(stored_time(i.updated_at))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn delete_item(tx: &mut Tx, rid: Uuid, id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query(
        "UPDATE inventory_items SET deleted_at = $3 WHERE id = $2 AND restaurant_id = $1 AND deleted_at IS NULL"
    )
    .bind(rid)
    .bind(id)
    .bind(stored_time(now))
    .execute(x)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn items(db: &Db, rid: Uuid) -> Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY name, id"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRow>(&sql).bind(rid).fetch_all(x).await)
}

pub async fn item(db: &Db, rid: Uuid, id: Uuid) -> Result<Option<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    on_db!(db, rid, |x| sqlx::query_as::<_, ItemRow>(&sql).bind(rid).bind(id).fetch_optional(x).await)
}

/// The item, locked for a change of its stock on PostgreSQL (SQLite has one writer).
pub async fn item_for_update(tx: &mut Tx, rid: Uuid, id: Uuid) -> Result<Option<ItemRow>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items WHERE restaurant_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    on_tx!(tx, sqlite: sql, postgres: format!("{sql} FOR UPDATE"), |x, text| sqlx::query_as::<_, ItemRow>(&text).bind(rid).bind(id).fetch_optional(x).await)
}

pub async fn sku_taken(tx: &mut Tx, rid: Uuid, sku: &str, except: Option<Uuid>) -> Result<bool> {
    let n: i64 = on_tx!(tx, |x| sqlx::query_scalar(
        "SELECT COUNT(*) FROM inventory_items WHERE restaurant_id = $1 AND sku = $2 AND deleted_at IS NULL
         AND ($3 IS NULL OR id <> $3)"
    )
    .bind(rid)
    .bind(sku)
    .bind(except)
    .fetch_one(x)
    .await)?;
    Ok(n > 0)
}

/// One movement of stock.
#[derive(Debug, Clone)]
pub struct Movement<'a> {
    pub restaurant_id: Uuid,
    pub item_id: Uuid,
    /// receive, sale, sale_return, waste, adjustment, count, transfer_in, transfer_out
    pub kind: &'a str,
    /// Thousandths of the base unit; negative takes stock out.
    pub quantity: i64,
    /// For receipts: the cost per base unit (micro-minor units).
    pub unit_cost: Option<i64>,
    /// The item's average cost after this movement, when it changes.
    pub new_average_cost: Option<i64>,
    pub reference_type: Option<&'a str>,
    pub reference_id: Option<Uuid>,
    pub reason: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Posts a movement: adds it to the item's stock and writes the ledger row with the
/// balance after it. Returns that balance, or `None` if the item is not there.
pub async fn post(tx: &mut Tx, m: &Movement<'_>) -> Result<Option<i64>> {
    let after: Option<i64> = on_tx!(tx, |x| sqlx::query_scalar(
        "UPDATE inventory_items SET on_hand = on_hand + $3, unit_cost = COALESCE($4, unit_cost), updated_at = $5
         WHERE id = $1 AND restaurant_id = $2 RETURNING on_hand"
    )
    .bind(m.item_id)
    .bind(m.restaurant_id)
    .bind(m.quantity)
    .bind(m.new_average_cost)
    .bind(stored_time(m.at))
    .fetch_optional(x)
    .await)?;
    let Some(after) = after else { return Ok(None) };
    on_tx!(tx, |x| {
        sqlx::query(
        "INSERT INTO inventory_transactions (id, restaurant_id, item_id, kind, quantity, unit_cost, on_hand_after,
         reference_type, reference_id, reason, notes, actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    )
    .bind(Uuid::now_v7())
    .bind(m.restaurant_id)
    .bind(m.item_id)
    .bind(m.kind)
    .bind(m.quantity)
    .bind(m.unit_cost)
    .bind(after)
    .bind(m.reference_type)
    .bind(m.reference_id)
    .bind(m.reason)
    .bind(m.notes)
    .bind(m.actor)
    .bind(stored_time(m.at))
    .execute(x)
    .await
    .map(drop)
    })?;
    Ok(Some(after))
}

/// Records whether an item is below its reorder point (so an alert goes out once per
/// crossing). Returns true when that changed.
pub async fn set_low(tx: &mut Tx, id: Uuid, low: bool) -> Result<bool> {
    let n = on_tx!(tx, |x| sqlx::query("UPDATE inventory_items SET is_low = $2 WHERE id = $1 AND is_low <> $2")
        .bind(id)
        .bind(low)
        .execute(x)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerRow {
    pub id: Uuid,
    pub item_id: Uuid,
    pub kind: String,
    pub quantity: i64,
    pub unit_cost: Option<i64>,
    pub on_hand_after: i64,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

/// Ledger rows of a restaurant, newest first, optionally of one item or kind, before a
/// cursor id.
pub async fn ledger(
    db: &Db,
    rid: Uuid,
    item: Option<Uuid>,
    kind: Option<&str>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<LedgerRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, LedgerRow>(
        "SELECT id, item_id, kind, quantity, unit_cost, on_hand_after, reference_type, reference_id, reason, notes,
         actor, at FROM inventory_transactions
         WHERE restaurant_id = $1 AND ($2 IS NULL OR item_id = $2) AND ($3 IS NULL OR kind = $3)
         AND ($4 IS NULL OR id < $4) ORDER BY id DESC LIMIT $5"
    )
    .bind(rid)
    .bind(item)
    .bind(kind)
    .bind(before)
    .bind(limit)
    .fetch_all(x)
    .await)
}

/// Per item, the sum of each kind of movement between two times: what reports are made of.
pub async fn movement_totals(
    db: &Db,
    rid: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, String, i64)>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, (Uuid, String, i64)>(
        "SELECT item_id, kind, CAST(SUM(quantity) AS BIGINT) FROM inventory_transactions
         WHERE restaurant_id = $1 AND at >= $2 AND at < $3 GROUP BY item_id, kind"
    )
    .bind(rid)
    .bind(stored_time(from))
    .bind(stored_time(to))
    .fetch_all(x)
    .await)
}

/// What the order's sales took out, per item (net of anything already put back).
pub async fn order_sales(tx: &mut Tx, rid: Uuid, order_id: Uuid) -> Result<Vec<(Uuid, i64)>> {
    on_tx!(tx, |x| sqlx::query_as::<_, (Uuid, i64)>(
        "SELECT item_id, CAST(SUM(quantity) AS BIGINT) FROM inventory_transactions
         WHERE restaurant_id = $1 AND reference_id = $2 AND kind IN ('sale', 'sale_return') GROUP BY item_id"
    )
    .bind(rid)
    .bind(order_id)
    .fetch_all(x)
    .await)
}

// ---------------------------------------------------------------- recipes

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecipeRow {
    pub menu_item_id: Uuid,
    pub option_id: Option<Uuid>,
    pub inventory_item_id: Uuid,
    pub quantity: i64,
}

impl RecipeRow {
    pub fn line(&self) -> brigade_domain::inventory::RecipeLine {
        brigade_domain::inventory::RecipeLine {
            inventory_item_id: self.inventory_item_id,
            option_id: self.option_id,
            quantity: self.quantity,
        }
    }
}

/// The recipes of some menu items, grouped by item.
pub async fn recipes_tx(tx: &mut Tx, rid: Uuid, menu_items: &[Uuid]) -> Result<HashMap<Uuid, Vec<RecipeRow>>> {
    if menu_items.is_empty() {
        return Ok(HashMap::new());
    }
    let list = crate::placeholders(menu_items.len(), 2);
    let sql = format!(
        "SELECT menu_item_id, option_id, inventory_item_id, quantity FROM recipe_lines
         WHERE restaurant_id = $1 AND menu_item_id IN ({list}) ORDER BY menu_item_id, position"
    );
    let rows = on_tx!(tx, |x| {
        let mut q = sqlx::query_as::<_, RecipeRow>(&sql).bind(rid);
        for id in menu_items {
            q = q.bind(*id);
        }
        q.fetch_all(x).await
    })?;
    let mut out: HashMap<Uuid, Vec<RecipeRow>> = HashMap::new();
    for r in rows {
        out.entry(r.menu_item_id).or_default().push(r);
    }
    Ok(out)
}

/// Every recipe line of a restaurant (for reports and the menu's food cost).
pub async fn all_recipes(db: &Db, rid: Uuid) -> Result<Vec<RecipeRow>> {
    on_db!(db, rid, |x| sqlx::query_as::<_, RecipeRow>(
        "SELECT menu_item_id, option_id, inventory_item_id, quantity FROM recipe_lines
         WHERE restaurant_id = $1 ORDER BY menu_item_id, position"
    )
    .bind(rid)
    .fetch_all(x)
    .await)
}

/// Replaces a menu item's recipe.
pub async fn set_recipe(tx: &mut Tx, rid: Uuid, menu_item_id: Uuid, lines: &[RecipeRow]) -> Result<()> {
    on_tx!(tx, |x| sqlx::query("DELETE FROM recipe_lines WHERE restaurant_id = $1 AND menu_item_id = $2")
        .bind(rid)
        .bind(menu_item_id)
        .execute(x)
        .await
        .map(drop))?;
    for (pos, l) in lines.iter().enumerate() {
        on_tx!(tx, |x| {
            sqlx::query(
            "INSERT INTO recipe_lines (id, restaurant_id, menu_item_id, option_id, inventory_item_id, quantity, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(Uuid::now_v7())
        .bind(rid)
        .bind(menu_item_id)
        .bind(l.option_id)
        .bind(l.inventory_item_id)
        .bind(l.quantity)
        .bind(pos as i64)
        .execute(x)
        .await
        .map(drop)
        })?;
    }
    Ok(())
}

/// The menu items whose recipe (any line) uses one of these stock items.
pub async fn menu_items_using(tx: &mut Tx, rid: Uuid, stock: &[Uuid]) -> Result<Vec<Uuid>> {
    if stock.is_empty() {
        return Ok(Vec::new());
    }
    let list = crate::placeholders(stock.len(), 2);
    let sql = format!(
        "SELECT DISTINCT menu_item_id FROM recipe_lines WHERE restaurant_id = $1 AND inventory_item_id IN ({list})"
    );
    on_tx!(tx, |x| {
        let mut q = sqlx::query_scalar::<_, Uuid>(&sql).bind(rid);
        for id in stock {
            q = q.bind(*id);
        }
        q.fetch_all(x).await
    })
}

/// On hand of some stock items, in the transaction.
pub async fn on_hand_tx(tx: &mut Tx, rid: Uuid, stock: &[Uuid]) -> Result<HashMap<Uuid, (String, i64)>> {
    if stock.is_empty() {
        return Ok(HashMap::new());
    }
    let list = crate::placeholders(stock.len(), 2);
    let sql = format!(
        "SELECT id, name, on_hand FROM inventory_items WHERE restaurant_id = $1 AND deleted_at IS NULL AND id IN ({list})"
    );
    let rows = on_tx!(tx, |x| {
        let mut q = sqlx::query_as::<_, (Uuid, String, i64)>(&sql).bind(rid);
        for id in stock {
            q = q.bind(*id);
        }
        q.fetch_all(x).await
    })?;
    Ok(rows.into_iter().map(|(id, name, n)| (id, (name, n))).collect())
}

/// Moves the sales and returns booked to one order onto another (a merge).
pub async fn move_order_sales(tx: &mut Tx, from: Uuid, to: Uuid) -> Result<()> {
    on_tx!(tx, |x| sqlx::query(
        "UPDATE inventory_transactions SET reference_id = $2
         WHERE reference_id = $1 AND reference_type = 'order' AND kind IN ('sale', 'sale_return')"
    )
    .bind(from)
    .bind(to)
    .execute(x)
    .await
    .map(drop))
}

/// Whether an order's ingredients are out of stock now; and marking it.
pub async fn order_depleted(tx: &mut Tx, order_id: Uuid) -> Result<bool> {
    let v: Option<bool> = on_tx!(tx, |x| sqlx::query_scalar("SELECT stock_depleted FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(x)
        .await)?;
    Ok(v.unwrap_or(false))
}

pub async fn set_order_depleted(tx: &mut Tx, order_ids: &[Uuid], depleted: bool) -> Result<()> {
    for id in order_ids {
        on_tx!(tx, |x| sqlx::query("UPDATE orders SET stock_depleted = $2 WHERE id = $1")
            .bind(*id)
            .bind(depleted)
            .execute(x)
            .await
            .map(drop))?;
    }
    Ok(())
}
