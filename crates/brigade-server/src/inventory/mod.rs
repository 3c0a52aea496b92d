//! Inventory that counts itself down.
//!
//! Stock items with a base unit (g, ml, each) and their own purchase units; every change
//! of stock is a ledger movement (receive, sale, sale_return, waste, adjustment, count,
//! transfer_in, transfer_out) posted by `brigade_store::inventory::post`, so on hand is
//! always the sum of the ledger. Menu items (and their modifier options) have recipes;
//! an order takes its ingredients out when it is placed or accepted (per restaurant) in
//! the same transaction, and a cancel puts them back. After any movement, `settle`
//! raises low-stock alerts and keeps the menu honest: an item whose recipe can no longer
//! be made is 86'd "out of {ingredient}" on every channel (through the one availability
//! rule), and comes back when stock does, unless a person 86'd it.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, Path, Query};
use crate::menu::clean;
use crate::menu::service::apply_eighty_six;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::credentials::parse_name;
use brigade_domain::inventory::{
    self as rules, average_cost, can_make, consumption, cost_of, from_milli, suggested_order, to_milli,
    unit_cost_micros, BaseUnit, Milli, PurchaseUnit,
};
use brigade_domain::menu::EightySix;
use brigade_domain::StockItemId;
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::inventory::{self as store, CategoryRow, ItemRow, Movement, RecipeRow};
use brigade_store::System;
use brigade_store::{menu as menu_store, Tx};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item, delete_item))
        .routes(routes!(list_movements, record_movement))
        .routes(routes!(record_count))
        .routes(routes!(transfer))
        .routes(routes!(low_stock))
        .routes(routes!(reorder))
        .routes(routes!(variance))
        .routes(routes!(food_cost))
        .routes(routes!(get_recipe, put_recipe))
}

// ---------------------------------------------------------------- categories

#[derive(Debug, Serialize, ToSchema)]
pub struct StockCategoryView {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct StockCategoryInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub description: Option<String>,
}

fn category_view(c: CategoryRow) -> StockCategoryView {
    StockCategoryView { id: c.id, name: c.name, description: c.description }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/categories", tag = "inventory", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<StockCategoryView>), (status = 404)), security(("bearer" = [])))]
async fn list_categories(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<axum::Json<Page<StockCategoryView>>> {
    actor.require(Permission::InventoryRead)?;
    let rows = store::categories(&state.db, actor.rid()).await?;
    Ok(axum::Json(Page { items: rows.into_iter().map(category_view).collect(), next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/categories", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = StockCategoryInput,
    responses((status = 201, body = StockCategoryView), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_category(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<StockCategoryInput>,
) -> ApiResult<(StatusCode, axum::Json<StockCategoryView>)> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let c = CategoryRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        name: parse_name("name", &body.name)?,
        description: clean(body.description),
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_category(&mut tx, &c).await?;
    actor
        .record(&mut tx, "inventory.category_created", "inventory_category", c.id, json!({ "name": c.name }), now)
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(category_view(c))))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/inventory/categories/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StockCategoryInput,
    responses((status = 200, body = StockCategoryView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_category(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<StockCategoryInput>,
) -> ApiResult<axum::Json<StockCategoryView>> {
    actor.require(Permission::InventoryManage)?;
    let mut c = store::category(&state.db, actor.rid(), ids.1).await?.ok_or_else(|| ApiError::not_found("category"))?;
    c.name = parse_name("name", &body.name)?;
    c.description = clean(body.description);
    c.updated_at = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::update_category(&mut tx, &c).await? {
        return Err(ApiError::not_found("category"));
    }
    actor
        .record(
            &mut tx,
            "inventory.category_updated",
            "inventory_category",
            c.id,
            json!({ "name": c.name }),
            c.updated_at,
        )
        .await?;
    tx.commit().await?;
    Ok(axum::Json(category_view(c)))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/inventory/categories/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_category(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_category(&mut tx, actor.rid(), ids.1, now).await? {
        return Err(ApiError::not_found("category"));
    }
    actor.record(&mut tx, "inventory.category_deleted", "inventory_category", ids.1, json!({}), now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- items

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone)]
pub struct PurchaseUnitView {
    /// e.g. `case`
    #[schema(min_length = 1, max_length = 30)]
    pub name: String,
    /// How many base units one of it holds, e.g. 24 (each).
    pub quantity: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StockItemView {
    pub id: Uuid,
    pub category_id: Option<Uuid>,
    pub name: String,
    pub sku: Option<String>,
    /// The base unit every quantity of this item is in: g, ml or each.
    pub unit: String,
    pub on_hand: f64,
    pub par_level: Option<f64>,
    pub reorder_point: Option<f64>,
    pub max_level: Option<f64>,
    /// Average cost of one base unit, in minor units (cents), e.g. 0.45 for a gram at 4.50 a kilo.
    pub unit_cost: f64,
    /// What the stock on hand is worth at that cost, in minor units.
    pub value: i64,
    pub purchase_units: Vec<PurchaseUnitView>,
    #[schema(value_type = Option<Object>)]
    pub supplier: Option<Value>,
    /// At or below its reorder point.
    pub low: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn item_view(i: ItemRow) -> StockItemView {
    StockItemView {
        id: i.id,
        category_id: i.category_id,
        name: i.name,
        sku: i.sku,
        unit: i.unit,
        on_hand: from_milli(i.on_hand),
        par_level: i.par_level.map(from_milli),
        reorder_point: i.reorder_point.map(from_milli),
        max_level: i.max_level.map(from_milli),
        unit_cost: i.unit_cost as f64 / 1_000_000.0,
        value: cost_of(i.on_hand.max(0), i.unit_cost),
        purchase_units: i
            .purchase_units
            .0
            .iter()
            .map(|p| PurchaseUnitView { name: p.name.clone(), quantity: from_milli(p.quantity) })
            .collect(),
        supplier: i.supplier.map(|s| s.0),
        low: i.reorder_point.is_some_and(|r| i.on_hand <= r),
        created_at: i.created_at,
        updated_at: i.updated_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StockItemInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub category_id: Option<Uuid>,
    pub sku: Option<String>,
    /// g, ml or each. Fixed once the item exists.
    #[schema(value_type = schema::BaseUnit)]
    pub unit: String,
    /// In the base unit (or `levels_unit`).
    pub par_level: Option<f64>,
    pub reorder_point: Option<f64>,
    pub max_level: Option<f64>,
    /// The unit the three levels are given in, e.g. `kg` or `case`; default the base unit.
    pub levels_unit: Option<String>,
    #[serde(default)]
    pub purchase_units: Vec<PurchaseUnitView>,
    #[schema(value_type = Option<Object>)]
    pub supplier: Option<Value>,
    /// Starting average cost per base unit in minor units; receipts with a cost update it.
    #[schema(minimum = 0.0, maximum = 1e9)]
    pub unit_cost: Option<f64>,
}

impl StockItemInput {
    /// `existing`: the item is already stocked in its unit, which therefore stays.
    fn apply(self, row: &mut ItemRow, existing: bool) -> ApiResult<()> {
        let base: BaseUnit = self.unit.trim().parse()?;
        if existing && base.as_str() != row.unit {
            return Err(ApiError::validation(
                "unit",
                format!("this item is counted in {}; its unit cannot change", row.unit),
            ));
        }
        let purchase: Vec<PurchaseUnit> = self
            .purchase_units
            .iter()
            .map(|p| {
                Ok(PurchaseUnit { name: p.name.trim().to_owned(), quantity: to_milli(p.quantity, None, base, &[])? })
            })
            .collect::<Result<_, brigade_domain::Invalid>>()
            .map_err(|e| ApiError::validation("purchase_units", e.message))?;
        rules::validate_purchase_units(&purchase)?;
        let level = |field: &'static str, v: Option<f64>| -> ApiResult<Option<Milli>> {
            let Some(v) = v else { return Ok(None) };
            let m = to_milli(v, self.levels_unit.as_deref(), base, &purchase)
                .map_err(|e| ApiError::validation(field, e.message))?;
            if m < 0 {
                return Err(ApiError::validation(field, "cannot be negative"));
            }
            Ok(Some(m))
        };
        row.par_level = level("par_level", self.par_level)?;
        row.reorder_point = level("reorder_point", self.reorder_point)?;
        row.max_level = level("max_level", self.max_level)?;
        if let (Some(r), Some(p)) = (row.reorder_point, row.par_level) {
            if r > p {
                return Err(ApiError::validation("reorder_point", "must not be above the par level"));
            }
        }
        if let (Some(m), Some(p)) = (row.max_level, row.par_level) {
            if m < p {
                return Err(ApiError::validation("max_level", "must not be below the par level"));
            }
        }
        if let Some(c) = self.unit_cost {
            if !c.is_finite() || !(0.0..=1e9).contains(&c) {
                return Err(ApiError::validation("unit_cost", "a cost per base unit, 0 or more minor units"));
            }
            row.unit_cost = (c * 1_000_000.0).round() as i64;
        }
        row.name = parse_name("name", &self.name)?;
        row.sku = clean(self.sku);
        row.unit = base.as_str().to_owned();
        row.category_id = self.category_id;
        row.purchase_units = DbJson(purchase);
        row.supplier = self.supplier.filter(|s| !s.is_null()).map(DbJson);
        Ok(())
    }
}

async fn check_item_refs(state: &AppState, tx: &mut Tx, row: &ItemRow) -> ApiResult<()> {
    if let Some(c) = row.category_id {
        if store::category(&state.db, row.restaurant_id, c).await?.is_none() {
            return Err(ApiError::validation("category_id", "no such inventory category here"));
        }
    }
    if let Some(sku) = &row.sku {
        if store::sku_taken(tx, row.restaurant_id, sku, Some(row.id)).await? {
            return Err(ApiError::conflict(
                crate::error::ErrorCode::SkuTaken,
                format!("another stock item has the SKU '{sku}'"),
            ));
        }
    }
    Ok(())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ItemFilter {
    pub category_id: Option<Uuid>,
    /// Only items at or below their reorder point.
    pub low: Option<bool>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/items", tag = "inventory", params(("rid" = Uuid, Path), ItemFilter),
    responses((status = 200, body = Page<StockItemView>), (status = 404)), security(("bearer" = [])))]
async fn list_items(
    State(state): State<AppState>,
    actor: Actor,
    Query(f): Query<ItemFilter>,
) -> ApiResult<axum::Json<Page<StockItemView>>> {
    let filter = service::ItemFilter { category: f.category_id, low: f.low };
    Ok(axum::Json(Page { items: service::items(&actor, &state, filter).await?, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/items", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = StockItemInput,
    responses((status = 201, body = StockItemView), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
async fn create_item(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<StockItemInput>,
) -> ApiResult<(StatusCode, axum::Json<StockItemView>)> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut row = ItemRow {
        id: Uuid::now_v7(),
        restaurant_id: actor.rid(),
        category_id: None,
        name: String::new(),
        sku: None,
        unit: String::new(),
        on_hand: 0,
        par_level: None,
        reorder_point: None,
        max_level: None,
        unit_cost: 0,
        purchase_units: DbJson(Vec::new()),
        supplier: None,
        is_low: false,
        created_at: now,
        updated_at: now,
    };
    body.apply(&mut row, false)?;
    let mut tx = state.db.begin(actor.rid()).await?;
    check_item_refs(&state, &mut tx, &row).await?;
    store::insert_item(&mut tx, &row).await?;
    actor
        .record(
            &mut tx,
            "inventory.item_created",
            "inventory_item",
            row.id,
            json!({ "name": row.name, "unit": row.unit }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(item_view(row))))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/items/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = StockItemView), (status = 404)), security(("bearer" = [])))]
async fn get_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, StockItemId)>,
) -> ApiResult<axum::Json<StockItemView>> {
    Ok(axum::Json(service::item(&actor, &state, ids.1).await?))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/inventory/items/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StockItemInput,
    responses((status = 200, body = StockItemView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<StockItemInput>,
) -> ApiResult<axum::Json<StockItemView>> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut row =
        store::item_for_update(&mut tx, actor.rid(), ids.1).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    // An item keeps its unit: its ledger is in it.
    body.apply(&mut row, true)?;
    row.updated_at = now;
    check_item_refs(&state, &mut tx, &row).await?;
    store::update_item(&mut tx, &row).await?;
    actor.record(&mut tx, "inventory.item_updated", "inventory_item", row.id, json!({ "name": row.name }), now).await?;
    settle(&mut tx, actor.rid(), &[row.id], ActedBy::System, now).await?;
    let row =
        store::item_for_update(&mut tx, actor.rid(), ids.1).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    Ok(axum::Json(item_view(row)))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/inventory/items/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    actor.require(Permission::InventoryManage)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::menu_items_using(&mut tx, actor.rid(), &[ids.1]).await?.is_empty() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::InRecipes,
            "recipes use this item; take it out of them first",
        ));
    }
    if !store::delete_item(&mut tx, actor.rid(), ids.1, now).await? {
        return Err(ApiError::not_found("stock item"));
    }
    actor.record(&mut tx, "inventory.item_deleted", "inventory_item", ids.1, json!({}), now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- movements

#[derive(Debug, Serialize, ToSchema)]
pub struct MovementView {
    pub id: Uuid,
    pub item_id: Uuid,
    /// receive, sale, sale_return, waste, adjustment, count, transfer_in or transfer_out
    pub kind: String,
    /// In the item's base unit; negative took stock out.
    pub quantity: f64,
    /// For receipts: what one base unit cost, in minor units.
    pub unit_cost: Option<f64>,
    pub on_hand_after: f64,
    pub reference_type: Option<String>,
    pub reference_id: Option<Uuid>,
    pub reason: Option<String>,
    pub notes: Option<String>,
    pub actor: String,
    pub at: DateTime<Utc>,
}

fn movement_view(r: store::LedgerRow) -> MovementView {
    MovementView {
        id: r.id,
        item_id: r.item_id,
        kind: r.kind,
        quantity: from_milli(r.quantity),
        unit_cost: r.unit_cost.map(|c| c as f64 / 1_000_000.0),
        on_hand_after: from_milli(r.on_hand_after),
        reference_type: r.reference_type,
        reference_id: r.reference_id,
        reason: r.reason,
        notes: r.notes,
        actor: r.actor,
        at: r.at,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct MovementFilter {
    pub item_id: Option<Uuid>,
    pub kind: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// The ledger, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/transactions", tag = "inventory",
    params(("rid" = Uuid, Path), MovementFilter),
    responses((status = 200, body = Page<MovementView>), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_movements(
    State(state): State<AppState>,
    actor: Actor,
    Query(f): Query<MovementFilter>,
) -> ApiResult<axum::Json<Page<MovementView>>> {
    actor.require(Permission::InventoryRead)?;
    let limit = crate::extract::PageParams { limit: f.limit, cursor: None }.limit()?;
    let before = match f.cursor.as_deref() {
        Some(c) => Some(c.parse::<Uuid>().map_err(|_| ApiError::validation("cursor", "not a cursor from this list"))?),
        None => None,
    };
    let mut rows = store::ledger(&state.db, actor.rid(), f.item_id, f.kind.as_deref(), before, limit + 1).await?;
    let next_cursor = (rows.len() as i64 > limit).then(|| rows[limit as usize - 1].id.to_string());
    rows.truncate(limit as usize);
    Ok(axum::Json(Page { items: rows.into_iter().map(movement_view).collect(), next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct MovementInput {
    pub item_id: Uuid,
    /// receive, waste, adjustment or count (sales come from orders).
    #[schema(value_type = schema::MovementKind)]
    pub kind: String,
    /// How much: received, wasted, added (+) or removed (−), or counted on hand.
    pub quantity: f64,
    /// The unit of `quantity` (kg, case, …); default the item's base unit.
    pub unit: Option<String>,
    /// For receipts: what the whole delivery of this item cost, in minor units.
    #[schema(minimum = 0)]
    pub cost: Option<i64>,
    /// Why: required for waste and adjustments ("dropped", "expired").
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    #[schema(max_length = 500)]
    pub notes: Option<String>,
}

/// Records one movement of stock. Counts set on hand and record the variance.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/transactions", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = MovementInput,
    responses((status = 201, body = StockItemView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn record_movement(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<MovementInput>,
) -> ApiResult<(StatusCode, axum::Json<StockItemView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::record_movement(&actor, &state, body).await?)))
}

/// Checks and posts one movement a person made, in `tx`.
pub(crate) async fn move_stock(
    tx: &mut Tx,
    rid: Uuid,
    m: MovementInput,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let item = store::item_for_update(tx, rid, m.item_id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    let base: BaseUnit = item.unit.parse()?;
    let qty = to_milli(m.quantity, m.unit.as_deref(), base, &item.purchase_units.0)?;
    let reason = caps::parse_reason("reason", m.reason.as_deref())?;
    let notes = caps::bounded_text("notes", m.notes.as_deref(), caps::NOTES)?;
    let (delta, unit_cost, new_avg) = match m.kind.as_str() {
        "receive" => {
            if qty <= 0 {
                return Err(ApiError::validation("quantity", "a delivery is more than nothing"));
            }
            let cost = match m.cost {
                Some(c) if c < 0 => return Err(ApiError::validation("cost", "a cost is 0 or more minor units")),
                Some(c) => unit_cost_micros(c, qty),
                None => None,
            };
            let avg = cost.map(|c| average_cost(item.on_hand, item.unit_cost, qty, c));
            (qty, cost, avg)
        }
        "waste" => {
            if qty <= 0 {
                return Err(ApiError::validation("quantity", "say how much was wasted (more than nothing)"));
            }
            if reason.is_none() {
                return Err(ApiError::validation("reason", "say why it was wasted"));
            }
            (-qty, None, None)
        }
        "adjustment" => {
            if qty == 0 {
                return Err(ApiError::validation("quantity", "an adjustment adds (+) or removes (−) something"));
            }
            if reason.is_none() {
                return Err(ApiError::validation("reason", "say why stock is adjusted"));
            }
            (qty, None, None)
        }
        "count" => {
            if qty < 0 {
                return Err(ApiError::validation("quantity", "a count is 0 or more"));
            }
            (qty - item.on_hand, None, None)
        }
        "sale" | "sale_return" | "transfer_in" | "transfer_out" => {
            return Err(ApiError::validation(
                "kind",
                format!("{} movements are made by orders and transfers, not by hand", m.kind),
            ))
        }
        other => {
            return Err(ApiError::validation(
                "kind",
                format!("'{other}' is not a movement; use receive, waste, adjustment or count"),
            ))
        }
    };
    let actor_s = actor.encode();
    store::post(
        tx,
        &Movement {
            restaurant_id: rid,
            item_id: item.id,
            kind: &m.kind,
            quantity: delta,
            unit_cost,
            new_average_cost: new_avg,
            reference_type: None,
            reference_id: None,
            reason: reason.as_deref(),
            notes: notes.as_deref(),
            actor: &actor_s,
            at: now,
        },
    )
    .await?;
    Ok(())
}

#[derive(Deserialize, ToSchema)]
pub struct CountLine {
    pub item_id: Uuid,
    #[schema(minimum = 0.0, maximum = 1e9)]
    pub quantity: f64,
    pub unit: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct CountSheet {
    #[schema(min_items = 1, max_items = 2000)]
    pub counts: Vec<CountLine>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CountResult {
    pub items: Vec<StockItemView>,
}

/// A physical count sheet: sets on hand of every item on it, recording each variance.
/// All or nothing: one bad line and no count is recorded.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/counts", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = CountSheet,
    responses((status = 201, body = CountResult), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn record_count(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CountSheet>,
) -> ApiResult<(StatusCode, axum::Json<CountResult>)> {
    actor.require(Permission::InventoryWrite)?;
    if body.counts.is_empty() || body.counts.len() > 2000 {
        return Err(ApiError::validation("counts", "count 1 to 2000 items"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut ids = Vec::with_capacity(body.counts.len());
    for (i, c) in body.counts.into_iter().enumerate() {
        if ids.contains(&c.item_id) {
            return Err(ApiError::validation(format!("counts[{i}].item_id"), "this item is counted twice"));
        }
        ids.push(c.item_id);
        let m = MovementInput {
            item_id: c.item_id,
            kind: "count".into(),
            quantity: c.quantity,
            unit: c.unit,
            cost: None,
            reason: None,
            notes: body.notes.clone(),
        };
        move_stock(&mut tx, actor.rid(), m, actor.acted_by(), now).await.map_err(|e| match e {
            ApiError::Validation { field, message } => ApiError::validation(format!("counts[{i}].{field}"), message),
            ApiError::NotFound { .. } => {
                ApiError::validation(format!("counts[{i}].item_id"), "no such stock item here")
            }
            e => e,
        })?;
    }
    settle(&mut tx, actor.rid(), &ids, ActedBy::System, now).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(row) = store::item_for_update(&mut tx, actor.rid(), *id).await? {
            items.push(item_view(row));
        }
    }
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    Ok((StatusCode::CREATED, axum::Json(CountResult { items })))
}

#[derive(Deserialize, ToSchema)]
pub struct TransferInput {
    pub item_id: Uuid,
    /// Another location; you must be able to move its stock too.
    pub to_restaurant_id: Uuid,
    /// Its stock item that receives (same base unit).
    pub to_item_id: Uuid,
    pub quantity: f64,
    pub unit: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferResult {
    pub from: StockItemView,
    pub to: StockItemView,
}

/// Moves stock to another location of the same group, at this item's average cost.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/transfers", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = TransferInput,
    responses((status = 201, body = TransferResult), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn transfer(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<TransferInput>,
) -> ApiResult<(StatusCode, axum::Json<TransferResult>)> {
    actor.require(Permission::InventoryWrite)?;
    let to_rid = body.to_restaurant_id;
    if to_rid == actor.rid() {
        return Err(ApiError::validation("to_restaurant_id", "a transfer goes to another location"));
    }
    // The caller must be allowed to move stock there too; otherwise it is not found.
    // (Through the one membership rule: a PIN session made here reaches no other location.)
    let Some(principal) = actor.principal() else {
        return Err(ApiError::validation("to_restaurant_id", "no such location of yours"));
    };
    let allowed = match crate::auth::membership(&state, principal, brigade_domain::RestaurantId(to_rid)).await {
        Ok(Some(role)) => role.allows(Permission::InventoryWrite),
        Ok(None) | Err(ApiError::NotFound { .. }) => false,
        Err(e) => return Err(e),
    };
    if !allowed {
        return Err(ApiError::validation("to_restaurant_id", "no such location of yours"));
    }
    let now = state.clock.now();
    let by = actor.acted_by().encode();
    // One transaction over both locations (not tenant-scoped: it spans two).
    let mut tx = state.db.begin(System::Transfer).await?;
    let from = store::item_for_update(&mut tx, actor.rid(), body.item_id)
        .await?
        .ok_or_else(|| ApiError::not_found("stock item"))?;
    let to = store::item_for_update(&mut tx, to_rid, body.to_item_id)
        .await?
        .ok_or_else(|| ApiError::validation("to_item_id", "no such stock item at that location"))?;
    if from.unit != to.unit {
        return Err(ApiError::validation(
            "to_item_id",
            format!("that item is counted in {}, this one in {}", to.unit, from.unit),
        ));
    }
    let qty = to_milli(body.quantity, body.unit.as_deref(), from.unit.parse()?, &from.purchase_units.0)?;
    if qty <= 0 {
        return Err(ApiError::validation("quantity", "move more than nothing"));
    }
    let notes = clean(body.notes);
    let reference = Uuid::now_v7();
    let leg = |rid, item_id, kind, quantity, unit_cost, new_average_cost| Movement {
        restaurant_id: rid,
        item_id,
        kind,
        quantity,
        unit_cost,
        new_average_cost,
        reference_type: Some("transfer"),
        reference_id: Some(reference),
        reason: None,
        notes: notes.as_deref(),
        actor: &by,
        at: now,
    };
    store::post(&mut tx, &leg(actor.rid(), from.id, "transfer_out", -qty, None, None)).await?;
    let avg = average_cost(to.on_hand, to.unit_cost, qty, from.unit_cost);
    store::post(&mut tx, &leg(to_rid, to.id, "transfer_in", qty, Some(from.unit_cost), Some(avg))).await?;
    settle(&mut tx, actor.rid(), &[from.id], ActedBy::System, now).await?;
    settle(&mut tx, to_rid, &[to.id], ActedBy::System, now).await?;
    let from = store::item_for_update(&mut tx, actor.rid(), from.id)
        .await?
        .ok_or_else(|| ApiError::not_found("stock item"))?;
    let to = store::item_for_update(&mut tx, to_rid, to.id).await?.ok_or_else(|| ApiError::not_found("stock item"))?;
    state.commit(tx, service::stock_changed(actor.rid())).await?;
    // The other location's menu may have changed too (an After names one restaurant).
    state.menu_cache.invalidate(to_rid);
    Ok((StatusCode::CREATED, axum::Json(TransferResult { from: item_view(from), to: item_view(to) })))
}

// ---------------------------------------------------------------- orders take stock

/// One order line as stock sees it.
pub struct SoldLine {
    pub menu_item_id: Uuid,
    pub quantity: i64,
    pub options: Vec<Uuid>,
}

/// Takes the ingredients of orders out of stock in `tx` (the orders' own transaction),
/// marks the orders that took something, and settles what changed. Menu items without a
/// recipe take nothing, and cost one query per restaurant in the batch.
pub async fn deplete_orders(
    tx: &mut Tx,
    orders: &[(Uuid, Uuid, Vec<SoldLine>, ActedBy)],
    now: DateTime<Utc>,
) -> ApiResult<BTreeSet<Uuid>> {
    let mut by_restaurant: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    for (rid, _, lines, _) in orders {
        by_restaurant.entry(*rid).or_default().extend(lines.iter().map(|l| l.menu_item_id));
    }
    let mut recipes: HashMap<Uuid, HashMap<Uuid, Vec<RecipeRow>>> = HashMap::new();
    for (rid, items) in &by_restaurant {
        let ids: Vec<Uuid> = items.iter().copied().collect();
        recipes.insert(*rid, store::recipes_tx(tx, *rid, &ids).await?);
    }
    let mut changed: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    let mut depleted = Vec::with_capacity(orders.len());
    for (rid, order_id, lines, actor) in orders {
        let Some(book) = recipes.get(rid).filter(|b| !b.is_empty()) else { continue };
        let mut take: BTreeMap<Uuid, Milli> = BTreeMap::new();
        for l in lines {
            let Some(recipe) = book.get(&l.menu_item_id) else { continue };
            let lines: Vec<_> = recipe.iter().map(RecipeRow::line).collect();
            for (stock, q) in consumption(&lines, &l.options, l.quantity) {
                *take.entry(stock).or_default() += q;
            }
        }
        if take.is_empty() {
            continue;
        }
        // Only an order that took something is marked: a cancel has something to return.
        depleted.push(*order_id);
        let actor_s = actor.encode();
        for (stock, q) in take {
            let m = Movement {
                restaurant_id: *rid,
                item_id: stock,
                kind: "sale",
                quantity: -q,
                unit_cost: None,
                new_average_cost: None,
                reference_type: Some("order"),
                reference_id: Some(*order_id),
                reason: None,
                notes: None,
                actor: &actor_s,
                at: now,
            };
            if store::post(tx, &m).await?.is_some() {
                changed.entry(*rid).or_default().insert(stock);
            }
        }
    }
    store::set_order_depleted(tx, &depleted, true).await?;
    let mut menus_changed = BTreeSet::new();
    for (rid, stock) in changed {
        let ids: Vec<Uuid> = stock.into_iter().collect();
        if settle(tx, rid, &ids, ActedBy::System, now).await? {
            menus_changed.insert(rid);
        }
    }
    Ok(menus_changed)
}

/// Puts a cancelled order's ingredients back, once.
pub async fn restore_order(
    tx: &mut Tx,
    rid: Uuid,
    order_id: Uuid,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if !store::order_depleted(tx, order_id).await? {
        return Ok(());
    }
    let actor_s = actor.encode();
    let mut changed = Vec::new();
    for (stock, taken) in store::order_sales(tx, rid, order_id).await? {
        if taken == 0 {
            continue;
        }
        let m = Movement {
            restaurant_id: rid,
            item_id: stock,
            kind: "sale_return",
            quantity: -taken,
            unit_cost: None,
            new_average_cost: None,
            reference_type: Some("order"),
            reference_id: Some(order_id),
            reason: Some("order cancelled"),
            notes: None,
            actor: &actor_s,
            at: now,
        };
        if store::post(tx, &m).await?.is_some() {
            changed.push(stock);
        }
    }
    store::set_order_depleted(tx, &[order_id], false).await?;
    settle(tx, rid, &changed, ActedBy::System, now).await.map(drop)
}

/// An order leaving `received`: in restaurants that deplete on acceptance, its
/// ingredients go now (once).
pub async fn on_order_accepted(
    tx: &mut Tx,
    rid: Uuid,
    order_id: Uuid,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if store::order_depleted(tx, order_id).await? {
        return Ok(());
    }
    let mode: Option<String> = brigade_store::restaurants::get_tx(tx, rid).await?.map(|r| r.inventory_depletes_on);
    if mode.as_deref() != Some("accepted") {
        return Ok(());
    }
    let lines = brigade_store::orders::lines_tx(tx, order_id).await?;
    let sold = lines
        .into_iter()
        .map(|l| SoldLine {
            menu_item_id: l.item_id,
            quantity: l.quantity,
            options: l.modifiers.0.iter().map(|m| m.option_id).collect(),
        })
        .collect();
    deplete_orders(tx, &[(rid, order_id, sold, actor)], now).await.map(drop)
}

/// After stock of `changed` items moved: tell the feed, raise or clear low-stock alerts,
/// and 86 (or bring back) menu items whose recipes use them.
/// Returns whether the menu changed (an item 86'd or back), so the caller drops the cached
/// public menu once the change commits.
pub async fn settle(tx: &mut Tx, rid: Uuid, changed: &[Uuid], actor: ActedBy, now: DateTime<Utc>) -> ApiResult<bool> {
    if changed.is_empty() {
        return Ok(false);
    }
    for id in changed {
        let Some(item) = store::item_for_update(tx, rid, *id).await? else { continue };
        let low = item.reorder_point.is_some_and(|r| item.on_hand <= r);
        let payload = json!({
            "item_id": item.id, "name": item.name, "on_hand": from_milli(item.on_hand), "unit": item.unit, "low": low,
        });
        record(tx, rid, "inventory.updated", item.id, payload.clone(), actor, now).await?;
        if store::set_low(tx, item.id, low).await? && low {
            let mut p = payload;
            p["reorder_point"] = json!(item.reorder_point.map(from_milli));
            record(tx, rid, "inventory.low_stock", item.id, p, actor, now).await?;
        }
    }
    reconcile_menu(tx, rid, changed, now).await
}

/// 86es the menu items that stock can no longer make one of ("out of {ingredient}"),
/// and brings back those it 86'd that it can make again. A person's 86 is left alone.
async fn reconcile_menu(tx: &mut Tx, rid: Uuid, stock: &[Uuid], now: DateTime<Utc>) -> ApiResult<bool> {
    let menu_items = store::menu_items_using(tx, rid, stock).await?;
    if menu_items.is_empty() {
        return Ok(false);
    }
    let mut menu_changed = false;
    let recipes = store::recipes_tx(tx, rid, &menu_items).await?;
    let ingredients: Vec<Uuid> =
        recipes.values().flatten().map(|r| r.inventory_item_id).collect::<BTreeSet<_>>().into_iter().collect();
    let on_hand = store::on_hand_tx(tx, rid, &ingredients).await?;
    let levels: HashMap<Uuid, Milli> = on_hand.iter().map(|(id, (_, n))| (*id, *n)).collect();
    for menu_item in menu_items {
        let Some(item) = menu_store::item_tx(tx, rid, menu_item).await? else { continue };
        let lines: Vec<_> =
            recipes.get(&menu_item).map(|r| r.iter().map(RecipeRow::line).collect()).unwrap_or_default();
        let current = item.eighty_six.as_ref().map(|e| &e.0);
        match (can_make(&lines, &levels), current) {
            (Err(short), None) => {
                let name = on_hand.get(&short).map(|(n, _)| n.as_str()).unwrap_or("an ingredient");
                let e = EightySix { reason: format!("out of {name}"), until: None, channels: None, auto: true };
                apply_eighty_six(tx, rid, &[menu_item], Some(&e), ActedBy::System, now).await?;
            }
            (Err(short), Some(e)) if e.auto => {
                // Still out, perhaps of something else now: keep the reason true.
                let name = on_hand.get(&short).map(|(n, _)| n.as_str()).unwrap_or("an ingredient");
                let reason = format!("out of {name}");
                if e.reason != reason {
                    let e = EightySix { reason, until: None, channels: None, auto: true };
                    apply_eighty_six(tx, rid, &[menu_item], Some(&e), ActedBy::System, now).await?;
                    menu_changed = true;
                }
            }
            (Ok(()), Some(e)) if e.auto => {
                apply_eighty_six(tx, rid, &[menu_item], None, ActedBy::System, now).await?;
                menu_changed = true;
            }
            _ => {}
        }
    }
    Ok(menu_changed)
}

async fn record(
    tx: &mut Tx,
    rid: Uuid,
    kind: &str,
    id: Uuid,
    payload: Value,
    actor: ActedBy,
    at: DateTime<Utc>,
) -> ApiResult<()> {
    let e =
        NewEvent { restaurant_id: Some(rid), kind, entity: "inventory_item", entity_id: Some(id), actor, payload, at };
    events::record(tx, e).await?;
    Ok(())
}

// ---------------------------------------------------------------- recipes

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RecipeLineInput {
    pub inventory_item_id: Uuid,
    /// Only when this modifier option is chosen; leave out for every portion.
    pub option_id: Option<Uuid>,
    /// Per portion; negative only for an option that removes ("no cheese").
    pub quantity: f64,
    /// Default the stock item's base unit.
    pub unit: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RecipeInput {
    #[schema(max_items = 200)]
    pub lines: Vec<RecipeLineInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipeLineView {
    pub inventory_item_id: Uuid,
    pub name: String,
    pub option_id: Option<Uuid>,
    pub option_name: Option<String>,
    /// In the stock item's base unit.
    pub quantity: f64,
    pub unit: String,
    /// What this line costs at the item's average cost, in minor units.
    pub cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipeView {
    pub menu_item_id: Uuid,
    pub lines: Vec<RecipeLineView>,
    /// One plain portion (no options), in minor units.
    pub portion_cost: i64,
    pub price: i64,
    /// Portion cost over price, in percent; null without a price.
    pub food_cost_percent: Option<f64>,
    /// Whether stock can make a portion now.
    pub can_make: bool,
}

async fn recipe_view(state: &AppState, tx: &mut Tx, rid: Uuid, menu_item_id: Uuid) -> ApiResult<RecipeView> {
    let item = menu_store::item_tx(tx, rid, menu_item_id).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    let rows = store::recipes_tx(tx, rid, &[menu_item_id]).await?.remove(&menu_item_id).unwrap_or_default();
    let stock: HashMap<Uuid, ItemRow> = store::items(&state.db, rid).await?.into_iter().map(|i| (i.id, i)).collect();
    let options: HashMap<Uuid, String> =
        item.modifier_groups.0.iter().flat_map(|g| g.options.iter().map(|o| (o.id, o.name.clone()))).collect();
    let mut lines = Vec::with_capacity(rows.len());
    let mut portion_cost = 0;
    let mut levels = HashMap::new();
    for r in &rows {
        let s = stock.get(&r.inventory_item_id);
        let cost = s.map(|s| cost_of(r.quantity, s.unit_cost)).unwrap_or(0);
        if r.option_id.is_none() {
            portion_cost += cost;
        }
        levels.insert(r.inventory_item_id, s.map(|s| s.on_hand).unwrap_or(0));
        lines.push(RecipeLineView {
            inventory_item_id: r.inventory_item_id,
            name: s.map(|s| s.name.clone()).unwrap_or_default(),
            option_id: r.option_id,
            option_name: r.option_id.and_then(|o| options.get(&o).cloned()),
            quantity: from_milli(r.quantity),
            unit: s.map(|s| s.unit.clone()).unwrap_or_default(),
            cost,
        });
    }
    let recipe: Vec<_> = rows.iter().map(RecipeRow::line).collect();
    Ok(RecipeView {
        menu_item_id,
        lines,
        portion_cost,
        price: item.price,
        food_cost_percent: brigade_domain::money::percent(portion_cost, item.price),
        can_make: can_make(&recipe, &levels).is_ok(),
    })
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/menu/items/{id}/recipe", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = RecipeView), (status = 404)), security(("bearer" = [])))]
async fn get_recipe(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<RecipeView>> {
    actor.require(Permission::InventoryRead)?;
    let mut tx = state.db.begin_read(actor.rid()).await?;
    let view = recipe_view(&state, &mut tx, actor.rid(), ids.1).await?;
    Ok(axum::Json(view))
}

/// Replaces a menu item's recipe; the item is 86'd at once if stock cannot make it.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/menu/items/{id}/recipe", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = RecipeInput,
    responses((status = 200, body = RecipeView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn put_recipe(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<RecipeInput>,
) -> ApiResult<axum::Json<RecipeView>> {
    actor.require(Permission::InventoryManage)?;
    let (rid, menu_item_id) = (actor.rid(), ids.1);
    if body.lines.len() > 200 {
        return Err(ApiError::validation("lines", "at most 200 lines"));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let item =
        menu_store::item_tx(&mut tx, rid, menu_item_id).await?.ok_or_else(|| ApiError::not_found("menu item"))?;
    let options: BTreeSet<Uuid> = item.modifier_groups.0.iter().flat_map(|g| g.options.iter().map(|o| o.id)).collect();
    let before: Vec<Uuid> = store::recipes_tx(&mut tx, rid, &[menu_item_id])
        .await?
        .remove(&menu_item_id)
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.inventory_item_id)
        .collect();
    let mut rows = Vec::with_capacity(body.lines.len());
    for (i, l) in body.lines.iter().enumerate() {
        let at = |f: &str| format!("lines[{i}].{f}");
        let stock = store::item_for_update(&mut tx, rid, l.inventory_item_id)
            .await?
            .ok_or_else(|| ApiError::validation(at("inventory_item_id"), "no such stock item here"))?;
        if let Some(o) = l.option_id {
            if !options.contains(&o) {
                return Err(ApiError::validation(at("option_id"), "not an option of this menu item"));
            }
        }
        let q = to_milli(l.quantity, l.unit.as_deref(), stock.unit.parse()?, &stock.purchase_units.0)
            .map_err(|e| ApiError::validation(at(e.field), e.message))?;
        if q == 0 || (q < 0 && l.option_id.is_none()) {
            return Err(ApiError::validation(at("quantity"), "more than nothing (only an option may take away)"));
        }
        if rows.iter().any(|r: &RecipeRow| r.inventory_item_id == stock.id && r.option_id == l.option_id) {
            return Err(ApiError::validation(at("inventory_item_id"), "this ingredient is listed twice"));
        }
        rows.push(RecipeRow { menu_item_id, option_id: l.option_id, inventory_item_id: stock.id, quantity: q });
    }
    store::set_recipe(&mut tx, rid, menu_item_id, &rows).await?;
    let payload = json!({ "menu_item_id": menu_item_id, "name": item.name, "lines": rows.len() });
    actor.record(&mut tx, "menu.recipe_updated", "menu_item", menu_item_id, payload, now).await?;
    // Ingredients that left the recipe may have been what kept the item 86'd.
    let mut touched: BTreeSet<Uuid> = rows.iter().map(|r| r.inventory_item_id).collect();
    touched.extend(before);
    let touched: Vec<Uuid> = touched.into_iter().collect();
    reconcile_menu(&mut tx, rid, &touched, now).await?;
    if rows.is_empty() {
        // No recipe, nothing to run out of: lift a stock 86.
        if item.eighty_six.as_ref().is_some_and(|e| e.0.auto) {
            apply_eighty_six(&mut tx, rid, &[menu_item_id], None, ActedBy::System, now).await?;
        }
    }
    let view = recipe_view(&state, &mut tx, rid, menu_item_id).await?;
    state.commit(tx, service::stock_changed(rid)).await?;
    Ok(axum::Json(view))
}

// ---------------------------------------------------------------- reports

/// Items at or below their reorder point.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/low-stock", tag = "inventory", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<StockItemView>), (status = 404)), security(("bearer" = [])))]
async fn low_stock(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<StockItemView>>> {
    Ok(axum::Json(Page { items: service::low_stock(&actor, &state).await?, next_cursor: None }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReorderLine {
    pub item_id: Uuid,
    pub name: String,
    pub unit: String,
    pub on_hand: f64,
    pub par_level: f64,
    /// Par − on hand, rounded up to whole purchase units when the item has one.
    pub order_quantity: f64,
    pub purchase_unit: Option<String>,
    pub purchase_units: Option<i64>,
    /// At the current average cost, in minor units.
    pub estimated_cost: i64,
    #[schema(value_type = Option<Object>)]
    pub supplier: Option<Value>,
}

/// What to order to get every item with a par level back to par.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/reorder", tag = "inventory", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<ReorderLine>), (status = 404)), security(("bearer" = [])))]
async fn reorder(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<ReorderLine>>> {
    actor.require(Permission::InventoryRead)?;
    let mut out = Vec::new();
    for i in store::items(&state.db, actor.rid()).await? {
        let Some(par) = i.par_level else { continue };
        let purchase = i.purchase_units.0.first();
        let (q, units) = suggested_order(i.on_hand, par, purchase);
        if q == 0 {
            continue;
        }
        out.push(ReorderLine {
            item_id: i.id,
            name: i.name.clone(),
            unit: i.unit.clone(),
            on_hand: from_milli(i.on_hand),
            par_level: from_milli(par),
            order_quantity: from_milli(q),
            purchase_unit: purchase.map(|p| p.name.clone()),
            purchase_units: units,
            estimated_cost: cost_of(q, i.unit_cost),
            supplier: i.supplier.map(|s| s.0),
        });
    }
    Ok(axum::Json(Page { items: out, next_cursor: None }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PeriodParams {
    /// Start (inclusive); default seven days before `to`.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default now.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VarianceLine {
    pub item_id: Uuid,
    pub name: String,
    pub unit: String,
    /// What sales should have used, from recipes (net of cancels).
    pub theoretical_usage: f64,
    pub waste: f64,
    /// Gone without a sale or recorded waste: what counts and adjustments took away
    /// (negative when they found more than the ledger expected).
    pub unexplained: f64,
    /// Theoretical + waste + unexplained: what really left the shelf.
    pub actual_usage: f64,
    /// Actual − theoretical, in base units and at average cost (minor units).
    pub variance: f64,
    pub variance_cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VarianceReport {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<VarianceLine>,
    pub variance_cost: i64,
}

/// Theoretical usage (sales × recipes) against actual usage (what counts show), per item.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/variance", tag = "inventory", params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = VarianceReport), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn variance(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<VarianceReport>> {
    actor.require(Permission::InventoryRead)?;
    // By default up to and including now.
    let to = p.to.unwrap_or_else(|| state.clock.now() + Duration::microseconds(1));
    let from = p.from.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(ApiError::validation("from", "must be before to"));
    }
    let totals = store::movement_totals(&state.db, actor.rid(), from, to).await?;
    let mut by_item: HashMap<Uuid, HashMap<String, i64>> = HashMap::new();
    for (item, kind, q) in totals {
        by_item.entry(item).or_default().insert(kind, q);
    }
    let mut items = Vec::new();
    let mut total_cost = 0;
    for i in store::items(&state.db, actor.rid()).await? {
        let Some(k) = by_item.get(&i.id) else { continue };
        let get = |kind: &str| k.get(kind).copied().unwrap_or(0);
        let theoretical = -(get("sale") + get("sale_return"));
        let waste = -get("waste");
        let unexplained = -(get("count") + get("adjustment"));
        let actual = theoretical + waste + unexplained;
        let var = actual - theoretical;
        let var_cost = cost_of(var, i.unit_cost);
        total_cost += var_cost;
        items.push(VarianceLine {
            item_id: i.id,
            name: i.name,
            unit: i.unit,
            theoretical_usage: from_milli(theoretical),
            waste: from_milli(waste),
            unexplained: from_milli(unexplained),
            actual_usage: from_milli(actual),
            variance: from_milli(var),
            variance_cost: var_cost,
        });
    }
    Ok(axum::Json(VarianceReport { from, to, items, variance_cost: total_cost }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FoodCostLine {
    pub menu_item_id: Uuid,
    pub name: String,
    pub price: i64,
    pub portion_cost: i64,
    pub food_cost_percent: Option<f64>,
}

/// Food cost % of every menu item with a recipe, from recipe × average cost.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/food-cost", tag = "inventory", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<FoodCostLine>), (status = 404)), security(("bearer" = [])))]
async fn food_cost(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<FoodCostLine>>> {
    actor.require(Permission::InventoryRead)?;
    let rid = actor.rid();
    let costs: HashMap<Uuid, i64> =
        store::items(&state.db, rid).await?.into_iter().map(|i| (i.id, i.unit_cost)).collect();
    let mut portion: BTreeMap<Uuid, i64> = BTreeMap::new();
    for r in store::all_recipes(&state.db, rid).await?.iter().filter(|r| r.option_id.is_none()) {
        *portion.entry(r.menu_item_id).or_default() +=
            cost_of(r.quantity, costs.get(&r.inventory_item_id).copied().unwrap_or(0));
    }
    let items = menu_store::all_items(&state.db, rid).await?;
    let mut out: Vec<FoodCostLine> = items
        .into_iter()
        .filter_map(|i| {
            let cost = *portion.get(&i.id)?;
            Some(FoodCostLine {
                menu_item_id: i.id,
                name: i.name,
                price: i.price,
                portion_cost: cost,
                food_cost_percent: brigade_domain::money::percent(cost, i.price),
            })
        })
        .collect();
    out.sort_by(|a, b| b.food_cost_percent.partial_cmp(&a.food_cost_percent).unwrap_or(std::cmp::Ordering::Equal));
    Ok(axum::Json(Page { items: out, next_cursor: None }))
}
