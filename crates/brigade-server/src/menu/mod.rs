//! The menu: categories, items with modifier groups, schedules and per-channel settings,
//! the 86 board, and the public menu every guest-facing channel reads.
//!
//! Availability is decided by `brigade_domain::menu::is_orderable`, the one rule used by
//! the public menu, order validation and (later) the delivery apps. The public menu is
//! cached per restaurant and channel, dropped on every menu change, and kept at most a
//! few seconds so that schedule windows open and close on time.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::outbox;
use crate::restaurants::restaurant_tz;
use crate::schema;
use crate::{After, AppState};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use brigade_domain::caps;
use brigade_domain::credentials::parse_name;
use brigade_domain::menu::{
    channel_price, is_orderable, ChannelSettings, ModifierGroup, ModifierOption, Schedule, Sellable,
};
use brigade_domain::money::Money;
use brigade_domain::Invalid;
use brigade_domain::{CategoryId, ItemId};
use brigade_store::menu::{self as store, CategoryRow, ItemRow};
use brigade_store::restaurants;
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::types::Json as DbJson;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

/// The menu's jobs: bringing an item (or an option) back when its timed 86 runs out.
pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.register::<service::RestoreItem>();
    r.register::<service::RestoreOption>();
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item, delete_item))
        .routes(routes!(set_availability))
        .routes(routes!(bulk_availability))
        .routes(routes!(set_option_availability))
        .routes(routes!(public_menu))
}

// ---------------------------------------------------------------- categories

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub sort_order: i64,
    pub station_id: Option<Uuid>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CategoryRow> for CategoryView {
    fn from(c: CategoryRow) -> Self {
        CategoryView {
            id: c.id,
            parent_id: c.parent_id,
            name: c.name,
            description: c.description,
            sort_order: c.sort_order,
            station_id: c.station_id,
            is_active: c.is_active,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CategoryInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub sort_order: i64,
    /// The kitchen station its items go to, unless an item says otherwise.
    pub station_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub is_active: Option<bool>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/menu/categories", tag = "menu", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<CategoryView>), (status = 404)), security(("bearer" = [])))]
async fn list_categories(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<CategoryView>>> {
    let items = service::categories(&actor, &state).await?;
    Ok(axum::Json(Page { items, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/menu/categories", tag = "menu", params(("rid" = Uuid, Path)),
    request_body = CategoryInput,
    responses((status = 201, body = CategoryView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_category(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CategoryInput>,
) -> ApiResult<(StatusCode, axum::Json<CategoryView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_category(&actor, &state, body).await?)))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/menu/categories/{id}", tag = "menu",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = CategoryInput,
    responses((status = 200, body = CategoryView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_category(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, CategoryId)>,
    Json(body): Json<CategoryInput>,
) -> ApiResult<axum::Json<CategoryView>> {
    Ok(axum::Json(service::update_category(&actor, &state, ids.1, body).await?))
}

/// Deletes an empty category; one that still holds items or subcategories is a 409.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/menu/categories/{id}", tag = "menu",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn delete_category(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, CategoryId)>,
) -> ApiResult<StatusCode> {
    service::delete_category(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- items

#[derive(Debug, Serialize, ToSchema)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<String>,
    pub until: Option<DateTime<Utc>>,
    /// The channels an 86 applies to; null for all.
    #[schema(value_type = Option<Vec<String>>)]
    pub channels: Option<Vec<brigade_domain::menu::Channel>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub category_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
    pub cost: Option<i64>,
    pub sku: Option<String>,
    pub allergens: Vec<String>,
    pub images: Vec<String>,
    pub prep_minutes: i64,
    pub is_active: bool,
    pub station_id: Option<Uuid>,
    pub sort_order: i64,
    /// Per channel: `{"ubereats": {"enabled": true, "price": 1450}}`.
    #[schema(value_type = Object)]
    pub channels: ChannelSettings,
    #[schema(value_type = Object)]
    pub schedule: Schedule,
    pub modifier_groups: Vec<GroupView>,
    pub availability: Availability,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A group of an item's choices, each option with whether it can be chosen now.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: Uuid,
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionView {
    pub id: Uuid,
    pub name: String,
    pub price_delta: i64,
    /// On the menu at all (the menu's editor decides).
    pub is_active: bool,
    /// Active and not 86'd on every channel now; `availability` says why not.
    pub available: bool,
    pub availability: Availability,
}

/// An 86 as shown: `available` is false only while it applies to every channel.
fn availability_of(e: Option<&brigade_domain::menu::EightySix>, is_active: bool, now: DateTime<Utc>) -> Availability {
    match e.filter(|e| e.until.is_none_or(|u| now < u)) {
        Some(e) => Availability {
            available: is_active && e.channels.is_some(),
            reason: Some(e.reason.clone()),
            until: e.until,
            channels: e.channels.clone(),
        },
        None => Availability { available: is_active, reason: None, until: None, channels: None },
    }
}

fn group_views(groups: Vec<ModifierGroup>, now: DateTime<Utc>) -> Vec<GroupView> {
    groups
        .into_iter()
        .map(|g| GroupView {
            id: g.id,
            name: g.name,
            min: g.min,
            max: g.max,
            options: g
                .options
                .into_iter()
                .map(|o| {
                    let availability = availability_of(o.eighty_six.as_ref(), o.is_active, now);
                    OptionView {
                        id: o.id,
                        name: o.name,
                        price_delta: o.price_delta.0,
                        is_active: o.is_active,
                        available: availability.available,
                        availability,
                    }
                })
                .collect(),
        })
        .collect()
}

pub fn item_view(i: ItemRow, now: DateTime<Utc>) -> ItemView {
    let availability = availability_of(i.eighty_six.as_ref().map(|e| &e.0), i.is_active, now);
    ItemView {
        id: i.id,
        category_id: i.category_id,
        name: i.name,
        description: i.description,
        price: i.price,
        cost: i.cost,
        sku: i.sku,
        allergens: i.allergens.0,
        images: i.images.0,
        prep_minutes: i.prep_minutes,
        is_active: i.is_active,
        station_id: i.station_id,
        sort_order: i.sort_order,
        channels: i.channels.0,
        schedule: i.schedule.0,
        modifier_groups: group_views(i.modifier_groups.0, now),
        availability,
        created_at: i.created_at,
        updated_at: i.updated_at,
    }
}

#[derive(Deserialize, ToSchema)]
pub struct OptionInput {
    /// Keep an option's id when editing, so orders and recipes that name it still do.
    pub id: Option<Uuid>,
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[serde(default)]
    pub price_delta: i64,
    pub is_active: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct GroupInput {
    pub id: Option<Uuid>,
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[serde(default)]
    pub min: u32,
    pub max: u32,
    #[schema(max_items = 100)]
    pub options: Vec<OptionInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct ItemInput {
    pub category_id: Uuid,
    #[schema(value_type = schema::Name, max_length = 200)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// Minor units.
    #[schema(minimum = 0, maximum = 99999999)]
    pub price: i64,
    #[schema(minimum = 0, maximum = 99999999)]
    pub cost: Option<i64>,
    pub sku: Option<String>,
    #[serde(default)]
    pub allergens: Vec<String>,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1440)]
    pub prep_minutes: i64,
    pub is_active: Option<bool>,
    /// Sends this item to a station other than its category's.
    pub station_id: Option<Uuid>,
    #[serde(default)]
    pub sort_order: i64,
    #[serde(default)]
    #[schema(value_type = schema::ChannelSettings)]
    pub channels: ChannelSettings,
    /// `{"windows": [{"days": ["Mon", "Tue"], "start": "07:00:00", "end": "11:00:00"}]}`
    #[serde(default)]
    #[schema(value_type = Object)]
    pub schedule: Schedule,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub modifier_groups: Vec<GroupInput>,
}

const MAX_PRICE: i64 = brigade_domain::money::MAX;

impl ItemInput {
    /// Checks and normalises an item; `existing` keeps the 86 and creation time.
    pub(crate) fn into_row(
        self,
        rid: Uuid,
        id: Uuid,
        existing: Option<&ItemRow>,
        now: DateTime<Utc>,
    ) -> ApiResult<ItemRow> {
        if !(0..=MAX_PRICE).contains(&self.price) {
            return Err(ApiError::validation("price", "a price is 0 or more minor units (cents), below 1,000,000.00"));
        }
        if self.cost.is_some_and(|c| !(0..=MAX_PRICE).contains(&c)) {
            return Err(ApiError::validation("cost", "a cost is 0 or more minor units"));
        }
        if !(0..=24 * 60).contains(&self.prep_minutes) {
            return Err(ApiError::validation("prep_minutes", "prep time is 0 to 1440 minutes"));
        }
        for url in &self.images {
            if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) || url.len() > 2048
            {
                return Err(ApiError::validation("images", format!("'{url}' is not an image URL")));
            }
        }
        self.schedule.validate()?;
        caps::at_most("modifier_groups", &self.modifier_groups, caps::GROUPS_PER_ITEM)?;
        let description = caps::bounded_text("description", self.description.as_deref(), caps::DESCRIPTION)?;
        let mut groups = Vec::with_capacity(self.modifier_groups.len());
        for (gi, g) in self.modifier_groups.into_iter().enumerate() {
            let at = |e: Invalid| ApiError::validation(format!("modifier_groups[{gi}]"), e.message);
            let name = parse_name("name", &g.name).map_err(at)?;
            if g.options.len() > caps::OPTIONS_PER_GROUP {
                let message = format!("at most {} options in a group", caps::OPTIONS_PER_GROUP);
                return Err(ApiError::validation(format!("modifier_groups[{gi}].options"), message));
            }
            let mut options = Vec::with_capacity(g.options.len());
            for o in g.options {
                if o.price_delta.abs() > MAX_PRICE {
                    return Err(ApiError::validation(
                        format!("modifier_groups[{gi}].options"),
                        "price_delta is too large",
                    ));
                }
                options.push(ModifierOption {
                    id: o.id.unwrap_or_else(Uuid::now_v7),
                    name: parse_name("name", &o.name).map_err(at)?,
                    price_delta: Money(o.price_delta),
                    is_active: o.is_active.unwrap_or(true),
                    eighty_six: None,
                });
            }
            let group = ModifierGroup { id: g.id.unwrap_or_else(Uuid::now_v7), name, min: g.min, max: g.max, options };
            group.validate().map_err(at)?;
            groups.push(group);
        }
        let mut option_ids: Vec<Uuid> = groups.iter().flat_map(|g| g.options.iter().map(|o| o.id)).collect();
        let n = option_ids.len();
        option_ids.sort();
        option_ids.dedup();
        if option_ids.len() != n {
            return Err(ApiError::validation("modifier_groups", "an option id appears twice"));
        }
        let allergens: Vec<String> =
            self.allergens.iter().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty()).collect();
        Ok(ItemRow {
            id,
            restaurant_id: rid,
            category_id: self.category_id,
            name: parse_name("name", &self.name)?,
            description,
            price: self.price,
            cost: self.cost,
            sku: clean(self.sku),
            allergens: DbJson(allergens),
            images: DbJson(self.images),
            prep_minutes: self.prep_minutes,
            is_active: self.is_active.unwrap_or(true),
            station_id: self.station_id,
            sort_order: self.sort_order,
            channels: DbJson(self.channels),
            schedule: DbJson(self.schedule),
            modifier_groups: DbJson(groups),
            eighty_six: existing.and_then(|e| e.eighty_six.clone()),
            created_at: existing.map(|e| e.created_at).unwrap_or(now),
            updated_at: now,
        })
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ItemParams {
    pub category_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/menu/items", tag = "menu", params(("rid" = Uuid, Path), ItemParams),
    responses((status = 200, body = Page<ItemView>), (status = 404)), security(("bearer" = [])))]
async fn list_items(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<ItemParams>,
) -> ApiResult<axum::Json<Page<ItemView>>> {
    let page = PageParams { limit: params.limit, cursor: params.cursor };
    Ok(axum::Json(service::items(&actor, &state, params.category_id.map(CategoryId), page).await?))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/menu/items", tag = "menu", params(("rid" = Uuid, Path)),
    request_body = ItemInput,
    responses((status = 201, body = ItemView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_item(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<ItemInput>,
) -> ApiResult<(StatusCode, axum::Json<ItemView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_item(&actor, &state, body).await?)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/menu/items/{id}", tag = "menu", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ItemView), (status = 404)), security(("bearer" = [])))]
async fn get_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ItemId)>,
) -> ApiResult<axum::Json<ItemView>> {
    Ok(axum::Json(service::item(&actor, &state, ids.1).await?))
}

/// Replaces an item's fields (its 86 state is kept; use the availability route for that).
#[utoipa::path(put, path = "/v1/restaurants/{rid}/menu/items/{id}", tag = "menu", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body = ItemInput,
    responses((status = 200, body = ItemView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ItemId)>,
    Json(body): Json<ItemInput>,
) -> ApiResult<axum::Json<ItemView>> {
    Ok(axum::Json(service::update_item(&actor, &state, ids.1, body).await?))
}

/// Removes an item from the menu. Past orders that sold it keep it.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/menu/items/{id}", tag = "menu", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_item(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ItemId)>,
) -> ApiResult<StatusCode> {
    service::delete_item(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------- 86

/// `until`: a time, the string `"end_of_day"` (the restaurant's business day), or null
/// (until someone brings it back).
#[derive(Deserialize, ToSchema)]
pub struct AvailabilityInput {
    pub available: bool,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    #[schema(value_type = Option<String>)]
    pub until: Option<String>,
    #[schema(value_type = Option<Vec<schema::Channel>>, min_items = 1)]
    pub channels: Option<Vec<brigade_domain::menu::Channel>>,
}

#[derive(Deserialize, ToSchema)]
pub struct BulkAvailabilityInput {
    #[schema(min_items = 1, max_items = 500)]
    pub item_ids: Vec<Uuid>,
    #[serde(flatten)]
    pub change: AvailabilityInput,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub updated: usize,
}

/// 86es an item (or brings it back) on every channel or some, at once.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/menu/items/{id}/availability", tag = "menu",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = AvailabilityInput,
    responses((status = 200, body = ItemView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn set_availability(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, ItemId)>,
    Json(body): Json<AvailabilityInput>,
) -> ApiResult<axum::Json<ItemView>> {
    Ok(axum::Json(service::set_availability(&actor, &state, ids.1, &body).await?))
}

/// 86es a modifier option ("out of avocado") or brings it back, on every item it is a
/// choice of: guests cannot choose it, the platforms suspend it, and an item whose
/// required group has no option left is unavailable.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/menu/options/{id}/availability", tag = "menu",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = AvailabilityInput,
    responses((status = 200, body = service::OptionChange), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn set_option_availability(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<AvailabilityInput>,
) -> ApiResult<axum::Json<service::OptionChange>> {
    let mut changes = service::set_option_availability(&actor, &state, &[ids.1], &body).await?;
    changes.pop().map(axum::Json).ok_or_else(|| ApiError::not_found("menu option"))
}

/// 86es (or brings back) many items in one change; an unknown id changes nothing (422).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/menu/bulk-availability", tag = "menu", params(("rid" = Uuid, Path)),
    request_body = BulkAvailabilityInput,
    responses((status = 200, body = BulkResult), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn bulk_availability(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<BulkAvailabilityInput>,
) -> ApiResult<axum::Json<BulkResult>> {
    let ids: Vec<ItemId> = body.item_ids.iter().copied().map(ItemId).collect();
    Ok(axum::Json(service::set_availability_of_many(&actor, &state, &ids, &body.change).await?))
}

// ---------------------------------------------------------------- public menu

#[derive(Deserialize, utoipa::IntoParams)]
pub struct PublicMenuParams {
    /// The channel asking (default `web`).
    #[param(value_type = Option<schema::Channel>)]
    pub channel: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOption {
    pub id: Uuid,
    pub name: String,
    pub price_delta: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicGroup {
    pub id: Uuid,
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub options: Vec<PublicOption>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicItem {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    /// The price on the asking channel.
    pub price: i64,
    pub allergens: Vec<String>,
    pub images: Vec<String>,
    pub prep_minutes: i64,
    pub modifier_groups: Vec<PublicGroup>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicCategory {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub description: Option<String>,
    pub items: Vec<PublicItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRestaurant {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub currency: String,
    pub timezone: String,
    pub tax_rate_bps: i64,
    pub tax_inclusive: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicMenu {
    pub restaurant: PublicRestaurant,
    pub channel: String,
    /// False while busy mode pauses this channel, or outside opening hours on a guest's
    /// or a platform's channel: show `notice`, take no order.
    pub taking_orders: bool,
    /// Whether the restaurant is open now, by its opening hours (true when none are set).
    pub open_now: bool,
    /// When it next opens, while it is closed.
    pub opens_at: Option<DateTime<Utc>>,
    /// What to tell a guest now ("not taking orders right now", "orders take 20 minutes
    /// longer right now").
    pub notice: Option<String>,
    pub categories: Vec<PublicCategory>,
    pub generated_at: DateTime<Utc>,
}

/// The menu a guest can order from now on a channel: only orderable items, at that
/// channel's prices, with their modifier groups. No sign-in.
#[utoipa::path(get, path = "/v1/public/restaurants/{slug}/menu", tag = "public", params(("slug" = String, Path), PublicMenuParams),
    responses((status = 200, body = PublicMenu), (status = 404), (status = 422)))]
async fn public_menu(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<PublicMenuParams>,
) -> ApiResult<Response> {
    let channel: brigade_domain::menu::Channel = params.channel.as_deref().unwrap_or("web").parse()?;
    let now = state.clock.now();
    // A cached menu is served without asking the database anything, its slug included.
    let cached = state.menu_cache.restaurant_of(&slug, now).and_then(|rid| state.menu_cache.get(rid, channel, now));
    let body = match cached {
        Some(b) => b,
        None => {
            let restaurant =
                restaurants::by_slug(&state.db, &slug).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
            state.menu_cache.remember_slug(&slug, restaurant.id, now);
            let generation = state.menu_cache.generation(restaurant.id);
            let menu = build_public_menu(&state, restaurant, channel).await?;
            let bytes = Bytes::from(serde_json::to_vec(&menu).map_err(|e| ApiError::internal(e.to_string()))?);
            state.menu_cache.put(menu.restaurant.id, channel, generation, now, bytes.clone());
            bytes
        }
    };
    // Bytes clones share the buffer: serving a cached menu copies nothing.
    let mut r = Response::new(Body::from(body));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}

pub async fn build_public_menu(
    state: &AppState,
    restaurant: restaurants::RestaurantRow,
    channel: brigade_domain::menu::Channel,
) -> ApiResult<PublicMenu> {
    let tz = restaurant_tz(&restaurant)?;
    let now = state.clock.now();
    let categories = store::categories(&state.db, restaurant.id).await?;
    let items = store::all_items(&state.db, restaurant.id).await?;
    let active: HashMap<Uuid, bool> = categories.iter().map(|c| (c.id, c.is_active)).collect();
    let mut by_category: HashMap<Uuid, Vec<PublicItem>> = HashMap::new();
    for i in items {
        let sellable = Sellable {
            is_active: i.is_active,
            category_active: active.get(&i.category_id).copied().unwrap_or(false),
            eighty_six: i.eighty_six.as_ref().map(|e| &e.0),
            schedule: &i.schedule.0,
            channels: &i.channels.0,
            groups: &i.modifier_groups.0,
        };
        if is_orderable(&sellable, channel, now, tz).is_err() {
            continue;
        }
        let price = channel_price(Money(i.price), &i.channels.0, channel).0;
        let modifier_groups = i
            .modifier_groups
            .0
            .iter()
            .map(|g| PublicGroup {
                id: g.id,
                name: g.name.clone(),
                min: g.min,
                max: g.max,
                options: g
                    .options
                    .iter()
                    .filter(|o| o.orderable(channel, now))
                    .map(|o| PublicOption { id: o.id, name: o.name.clone(), price_delta: o.price_delta.0 })
                    .collect(),
            })
            .collect();
        by_category.entry(i.category_id).or_default().push(PublicItem {
            id: i.id,
            name: i.name,
            description: i.description,
            price,
            allergens: i.allergens.0,
            images: i.images.0,
            prep_minutes: i.prep_minutes,
            modifier_groups,
        });
    }
    let busy = brigade_store::busy::get(&state.db, restaurant.id).await?.filter(|b| b.on_at(now));
    let hours = brigade_store::hours::get(&state.db, restaurant.id).await?;
    let open = crate::restaurants::service::open_at(hours.as_ref(), now, tz);
    let closed = !open.open && channel.keeps_hours();
    let taking_orders = !closed && !busy.as_ref().is_some_and(|b| b.paused_channels.0.contains(&channel));
    let notice = match &busy {
        _ if closed => Some(match open.opens_at {
            Some(at) => format!("Closed now. We open {}.", crate::restaurants::service::when_it_opens(at, now, tz)),
            None => "Closed now.".to_owned(),
        }),
        Some(_) if !taking_orders => Some("Not taking orders right now. Please check back soon.".to_owned()),
        Some(b) if b.extra_minutes > 0 => {
            Some(format!("We're busy: orders take about {} minutes longer right now.", b.extra_minutes))
        }
        _ => None,
    };
    let categories = categories
        .into_iter()
        .filter(|c| c.is_active)
        .filter_map(|c| {
            let items = by_category.remove(&c.id)?;
            Some(PublicCategory { id: c.id, parent_id: c.parent_id, name: c.name, description: c.description, items })
        })
        .collect();
    Ok(PublicMenu {
        restaurant: PublicRestaurant {
            id: restaurant.id,
            name: restaurant.name,
            slug: restaurant.slug,
            currency: restaurant.currency,
            timezone: restaurant.timezone,
            tax_rate_bps: restaurant.tax_rate_bps,
            tax_inclusive: restaurant.tax_inclusive,
        },
        channel: channel.as_str().to_owned(),
        taking_orders,
        open_now: open.open,
        opens_at: open.opens_at,
        notice,
        categories,
        generated_at: now,
    })
}

/// Public menus as JSON bytes, per restaurant and channel. Every menu change bumps the
/// restaurant's generation, which drops its entries; a menu built while a change landed
/// is not stored (its generation is stale). Entries also expire after a few seconds so
/// that schedule windows open and close on time, and so that other nodes' changes show.
/// Age is measured on the app's clock.
#[derive(Default)]
pub struct MenuCache {
    entries: RwLock<HashMap<(Uuid, brigade_domain::menu::Channel), CachedMenu>>,
    generations: RwLock<HashMap<Uuid, u64>>,
    /// Which restaurant a slug named when it was last looked up, and when: a slug
    /// changed elsewhere is trusted no longer than a menu is.
    slugs: RwLock<HashMap<String, (Uuid, DateTime<Utc>)>>,
}

/// A rendered menu: the generation it was built at, when, and its JSON.
type CachedMenu = (u64, DateTime<Utc>, Bytes);

const MENU_TTL_SECS: i64 = 5;

impl MenuCache {
    pub fn generation(&self, rid: Uuid) -> u64 {
        self.generations.read().get(&rid).copied().unwrap_or(0)
    }

    /// The cached menu, if it is of the current generation and younger than the TTL by
    /// the app's clock.
    pub fn get(&self, rid: Uuid, channel: brigade_domain::menu::Channel, now: DateTime<Utc>) -> Option<Bytes> {
        let generation = self.generation(rid);
        let entries = self.entries.read();
        let (g, at, bytes) = entries.get(&(rid, channel))?;
        let fresh = now >= *at && (now - *at).num_seconds() < MENU_TTL_SECS;
        (*g == generation && fresh).then(|| bytes.clone())
    }

    pub fn put(
        &self,
        rid: Uuid,
        channel: brigade_domain::menu::Channel,
        generation: u64,
        at: DateTime<Utc>,
        bytes: Bytes,
    ) {
        if self.generation(rid) != generation {
            return;
        }
        self.entries.write().insert((rid, channel), (generation, at, bytes));
    }

    pub fn invalidate(&self, rid: Uuid) {
        *self.generations.write().entry(rid).or_insert(0) += 1;
        self.entries.write().retain(|(r, _), _| *r != rid);
        self.slugs.write().retain(|_, (r, _)| *r != rid);
    }

    /// The restaurant `slug` named, if it was looked up less than the TTL ago.
    pub fn restaurant_of(&self, slug: &str, now: DateTime<Utc>) -> Option<Uuid> {
        let slugs = self.slugs.read();
        let (rid, at) = slugs.get(slug)?;
        (now >= *at && (now - *at).num_seconds() < MENU_TTL_SECS).then_some(*rid)
    }

    pub fn remember_slug(&self, slug: &str, rid: Uuid, now: DateTime<Utc>) {
        self.slugs.write().insert(slug.to_owned(), (rid, now));
    }
}

/// Trimmed text, or none when blank.
pub(crate) fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------- imports

/// One item as another system (a POS) holds it, to bring into Brigade's menu.
pub struct ImportedItem {
    /// The Brigade item it became in an earlier import, if any.
    pub existing: Option<Uuid>,
    pub category: String,
    pub name: String,
    pub description: Option<String>,
    pub price: i64,
}

/// What an import did: per imported item (in order), the Brigade item it is now.
pub struct Imported {
    pub items: Vec<Uuid>,
    pub created: usize,
    pub updated: usize,
    pub categories_created: usize,
}

/// Brings items into the menu in one transaction: categories are matched by name (and
/// made when missing), items imported before are updated (name, text, price, category;
/// their 86, modifiers and channels stay as Brigade has them), new ones are created.
pub async fn import_items(
    state: &AppState,
    actor: &Actor,
    source: &str,
    items: Vec<ImportedItem>,
) -> ApiResult<Imported> {
    let rid = actor.rid();
    let now = state.clock.now();
    let mut categories: HashMap<String, Uuid> =
        store::categories(&state.db, rid).await?.into_iter().map(|c| (c.name.to_lowercase(), c.id)).collect();
    let mut tx = state.db.begin(rid).await?;
    let mut out = Imported { items: Vec::with_capacity(items.len()), created: 0, updated: 0, categories_created: 0 };
    for (n, i) in items.into_iter().enumerate() {
        let field = |f: &str| format!("items[{n}].{f}");
        let name = parse_name("name", &i.name).map_err(|e| ApiError::validation(field("name"), e.message))?;
        let category_name = parse_name("category", &i.category).unwrap_or_else(|_| "Imported".to_owned());
        let category_id = match categories.get(&category_name.to_lowercase()) {
            Some(id) => *id,
            None => {
                let row = CategoryRow {
                    id: Uuid::now_v7(),
                    restaurant_id: rid,
                    parent_id: None,
                    name: category_name.clone(),
                    description: None,
                    sort_order: 0,
                    station_id: None,
                    is_active: true,
                    created_at: now,
                    updated_at: now,
                };
                store::insert_category(&mut tx, &row).await?;
                categories.insert(category_name.to_lowercase(), row.id);
                out.categories_created += 1;
                row.id
            }
        };
        if !(0..=MAX_PRICE).contains(&i.price) {
            return Err(ApiError::validation(field("price"), "a price is 0 or more minor units"));
        }
        let existing = match i.existing {
            Some(id) => store::item(&state.db, rid, id).await?,
            None => None,
        };
        let row = match existing {
            Some(mut e) => {
                e.name = name;
                e.description = clean(i.description);
                e.price = i.price;
                e.category_id = category_id;
                e.updated_at = now;
                store::update_item(&mut tx, &e).await?;
                out.updated += 1;
                e
            }
            None => {
                let input = ItemInput {
                    category_id,
                    name,
                    description: i.description,
                    price: i.price,
                    cost: None,
                    sku: None,
                    allergens: Vec::new(),
                    images: Vec::new(),
                    prep_minutes: 0,
                    is_active: Some(true),
                    station_id: None,
                    sort_order: 0,
                    channels: ChannelSettings::default(),
                    schedule: Schedule::default(),
                    modifier_groups: Vec::new(),
                };
                let row = input.into_row(rid, Uuid::now_v7(), None, now)?;
                store::insert_item(&mut tx, &row).await?;
                out.created += 1;
                row
            }
        };
        out.items.push(row.id);
    }
    let payload = json!({ "source": source, "created": out.created, "updated": out.updated,
                          "categories_created": out.categories_created });
    actor.record(&mut tx, "menu.imported", "restaurant", rid, payload, now).await?;
    outbox::menu_changed(&mut tx, rid, "menu imported", now).await?;
    state.commit(tx, After::menu(rid)).await?;
    Ok(out)
}
