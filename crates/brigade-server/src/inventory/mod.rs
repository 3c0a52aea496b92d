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
    Ok(axum::Json(Page { items: service::categories(&actor, &state).await?, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/inventory/categories", tag = "inventory", params(("rid" = Uuid, Path)),
    request_body = StockCategoryInput,
    responses((status = 201, body = StockCategoryView), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn create_category(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<StockCategoryInput>,
) -> ApiResult<(StatusCode, axum::Json<StockCategoryView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_category(&actor, &state, body).await?)))
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
    Ok(axum::Json(service::update_category(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/inventory/categories/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_category(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_category(&actor, &state, ids.1).await?;
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
    Ok((StatusCode::CREATED, axum::Json(service::create_item(&actor, &state, body).await?)))
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
    Ok(axum::Json(service::update_item(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/inventory/items/{id}", tag = "inventory",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    service::delete_item(&actor, &state, ids.1).await?;
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

#[derive(Default, Deserialize, utoipa::IntoParams)]
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
    Ok(axum::Json(service::movements(&actor, &state, f).await?))
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
    #[schema(minimum = 0, maximum = 99999999)]
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
                Some(c) => unit_cost_micros(brigade_domain::money::amount("cost", c, 0)?, qty),
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
    Ok((StatusCode::CREATED, axum::Json(service::record_count(&actor, &state, body).await?)))
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
    Ok((StatusCode::CREATED, axum::Json(service::transfer(&actor, &state, body).await?)))
}

// ---------------------------------------------------------------- orders take stock

/// One order line as stock sees it.
pub struct SoldLine {
    pub menu_item_id: Uuid,
    pub quantity: i64,
    pub options: Vec<Uuid>,
}

impl SoldLine {
    pub fn of(l: &brigade_store::orders::LineRow) -> SoldLine {
        SoldLine {
            menu_item_id: l.item_id,
            quantity: l.quantity,
            options: l.modifiers.0.iter().map(|m| m.option_id).collect(),
        }
    }
}

/// What `lines` take out of stock by their recipes, per stock item.
async fn consumed(
    tx: &mut Tx,
    rid: Uuid,
    lines: &[brigade_store::orders::LineRow],
) -> ApiResult<BTreeMap<Uuid, Milli>> {
    let ids: Vec<Uuid> = lines.iter().map(|l| l.item_id).collect();
    let book = store::recipes_tx(tx, rid, &ids).await?;
    let mut take: BTreeMap<Uuid, Milli> = BTreeMap::new();
    for l in lines.iter().map(SoldLine::of) {
        let Some(recipe) = book.get(&l.menu_item_id) else { continue };
        let recipe: Vec<_> = recipe.iter().map(RecipeRow::line).collect();
        for (stock, q) in consumption(&recipe, &l.options, l.quantity) {
            *take.entry(stock).or_default() += q;
        }
    }
    Ok(take)
}

/// Posts movements of `order_id` for `take`: `(kind, reason)`, a `sale` out of stock or
/// a `sale_return` back in. Returns the stock items that moved.
async fn post_for_order(
    tx: &mut Tx,
    rid: Uuid,
    order_id: Uuid,
    take: &BTreeMap<Uuid, Milli>,
    (kind, reason): (&'static str, &'static str),
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Uuid>> {
    let sign = if kind == "sale" { -1 } else { 1 };
    let actor_s = actor.encode();
    let mut changed = Vec::new();
    for (stock, q) in take {
        let m = Movement {
            restaurant_id: rid,
            item_id: *stock,
            kind,
            quantity: sign * q,
            unit_cost: None,
            new_average_cost: None,
            reference_type: Some("order"),
            reference_id: Some(order_id),
            reason: Some(reason),
            notes: None,
            actor: &actor_s,
            at: now,
        };
        if store::post(tx, &m).await?.is_some() {
            changed.push(*stock);
        }
    }
    Ok(changed)
}

/// Puts back what voided lines of an order took, if the order's stock was taken.
/// Returns whether the menu changed (an item back on sale).
pub async fn return_lines(
    tx: &mut Tx,
    rid: Uuid,
    order_id: Uuid,
    lines: &[brigade_store::orders::LineRow],
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    if !store::order_depleted(tx, order_id).await? {
        return Ok(false);
    }
    let take = consumed(tx, rid, lines).await?;
    let changed = post_for_order(tx, rid, order_id, &take, ("sale_return", "line voided"), actor, now).await?;
    settle(tx, rid, &changed, actor, now).await
}

/// Moves what `lines` took from one order's account to another's (a split), so that
/// cancelling either gives back only its own. Stock on hand does not change.
pub async fn transfer_lines(
    tx: &mut Tx,
    rid: Uuid,
    from: Uuid,
    to: Uuid,
    lines: &[brigade_store::orders::LineRow],
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    if lines.is_empty() || !store::order_depleted(tx, from).await? {
        return Ok(());
    }
    let take = consumed(tx, rid, lines).await?;
    post_for_order(tx, rid, from, &take, ("sale_return", "split to another check"), actor, now).await?;
    post_for_order(tx, rid, to, &take, ("sale", "split from another check"), actor, now).await?;
    store::set_order_depleted(tx, &[to], true).await?;
    Ok(())
}

/// Moves every sale of one order to another (a merge), exactly as they were taken.
pub async fn move_sales(tx: &mut Tx, from: Uuid, to: Uuid) -> ApiResult<()> {
    if store::order_depleted(tx, from).await? {
        store::move_order_sales(tx, from, to).await?;
        store::set_order_depleted(tx, &[to], true).await?;
    }
    Ok(())
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
    // What the order's sales and returns still hold out of stock (negative sums).
    let held: BTreeMap<Uuid, Milli> = store::order_sales(tx, rid, order_id)
        .await?
        .into_iter()
        .filter(|(_, taken)| *taken != 0)
        .map(|(stock, taken)| (stock, -taken))
        .collect();
    let changed = post_for_order(tx, rid, order_id, &held, ("sale_return", "order cancelled"), actor, now).await?;
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
    let sold = lines.iter().filter(|l| !l.is_voided()).map(SoldLine::of).collect();
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
                menu_changed = true;
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
    Ok(axum::Json(service::recipe(&actor, &state, ids.1).await?))
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
    Ok(axum::Json(service::set_recipe(&actor, &state, ids.1, body).await?))
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
    /// The supplier's `name`, when it has one: the list is sorted by it (items with no
    /// supplier last), so an order can be placed supplier by supplier.
    pub supplier_name: Option<String>,
}

/// What to order to get every item with a par level back to par, supplier by supplier.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/inventory/reorder", tag = "inventory", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<ReorderLine>), (status = 404)), security(("bearer" = [])))]
async fn reorder(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<ReorderLine>>> {
    Ok(axum::Json(Page { items: service::reorder(&actor, &state).await?, next_cursor: None }))
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
    Ok(axum::Json(service::variance(&actor, &state, p).await?))
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
    Ok(axum::Json(Page { items: service::food_cost(&actor, &state).await?, next_cursor: None }))
}
