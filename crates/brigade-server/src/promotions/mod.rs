//! Promotions: codes a guest types, or offers that apply on their own (automatic), taking
//! a share or an amount off the order or off given items or categories, or making units
//! of an item free. The rules are `brigade_domain::promotion`'s; this module keeps the
//! restaurant's promotions, and `service::apply` weighs them for an order under the
//! order writer's lock, where their uses are counted.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::menu::{Channel, Schedule};
use brigade_domain::promotion::Kind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(get, replace, archive))
}

/// A promotion, as written (`POST`, and `PUT` replaces it whole).
#[derive(Debug, Deserialize, ToSchema)]
pub struct PromotionInput {
    /// For people (the board, the receipt); the code, or the offer in words, when left out.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// What guests type (letters, digits, `-`, `_`; any case). Left out: automatic, it
    /// applies on its own to every order it fits.
    #[schema(max_length = 32)]
    pub code: Option<String>,
    #[schema(value_type = String, example = "percent")]
    pub kind: Kind,
    /// `percent`: 1 to 100 (per cent). `amount`: minor units off. `free_item`: how many
    /// units of the cheapest of `item_ids` in the order are free.
    #[schema(minimum = 1, maximum = 99999999)]
    pub value: i64,
    /// Off these items' lines only (for `free_item`, the items that may be free).
    #[serde(default)]
    #[schema(max_items = 200)]
    pub item_ids: Vec<Uuid>,
    /// Off the lines of these categories' items only.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub category_ids: Vec<Uuid>,
    /// What the order's lines must come to (minor units).
    #[schema(minimum = 0, maximum = 99999999)]
    pub min_subtotal: Option<i64>,
    /// Only orders from these channels; left out: all.
    #[schema(value_type = Option<Vec<schema::Channel>>, min_items = 1)]
    pub channels: Option<Vec<Channel>>,
    /// Days and hours, in the restaurant's zone, as an item's schedule:
    /// `{"windows": [{"days": ["Mon"], "start": "11:00", "end": "14:00"}]}`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// How many orders may use it in all.
    #[schema(minimum = 1, maximum = 100000000)]
    pub max_uses: Option<i64>,
    /// How many orders of one guest (known by phone or email) may use it.
    #[schema(minimum = 1, maximum = 100000000)]
    pub max_uses_per_customer: Option<i64>,
    /// Combines with other stackable promotions; one that does not stack is used alone.
    #[serde(default)]
    pub stackable: bool,
    /// Paused when false.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionView {
    pub id: Uuid,
    pub name: String,
    pub code: Option<String>,
    #[schema(value_type = String)]
    pub kind: Kind,
    pub value: i64,
    pub item_ids: Vec<Uuid>,
    pub category_ids: Vec<Uuid>,
    pub min_subtotal: Option<i64>,
    #[schema(value_type = Option<Vec<schema::Channel>>)]
    pub channels: Option<Vec<Channel>>,
    #[schema(value_type = Object)]
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub max_uses_per_customer: Option<i64>,
    pub stackable: bool,
    pub active: bool,
    /// Orders that used it (cancelled ones give their use back).
    pub uses: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A promotion an order used: what it took off, and the order's lines it came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PromotionUsed {
    pub promotion_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    #[schema(value_type = String)]
    pub kind: Kind,
    /// Minor units off, before tax.
    pub amount: i64,
    pub line_ids: Vec<Uuid>,
}

impl From<brigade_domain::promotion::Used> for PromotionUsed {
    fn from(u: brigade_domain::promotion::Used) -> Self {
        let brigade_domain::promotion::Used { promotion_id, name, code, kind, amount, line_ids } = u;
        PromotionUsed { promotion_id, name, code, kind, amount, line_ids }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionList {
    pub items: Vec<PromotionView>,
}

/// The restaurant's promotions: codes first, then automatic ones.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/promotions", tag = "promotions", params(("rid" = Uuid, Path)),
    responses((status = 200, body = PromotionList), (status = 403)), security(("bearer" = [])))]
async fn list(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<PromotionList>> {
    Ok(axum::Json(PromotionList { items: service::list(&actor, &state).await? }))
}

/// Creates a promotion. A code already in use is 409.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/promotions", tag = "promotions", params(("rid" = Uuid, Path)),
    request_body = PromotionInput,
    responses((status = 201, body = PromotionView), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<PromotionInput>,
) -> ApiResult<(StatusCode, axum::Json<PromotionView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::save(&actor, &state, None, body).await?)))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/promotions/{id}", tag = "promotions",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PromotionView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<PromotionView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

/// Replaces a promotion's rules; its uses so far stay counted.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/promotions/{id}", tag = "promotions",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = PromotionInput,
    responses((status = 200, body = PromotionView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn replace(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<PromotionInput>,
) -> ApiResult<axum::Json<PromotionView>> {
    Ok(axum::Json(service::save(&actor, &state, Some(ids.1), body).await?))
}

/// Ends a promotion: no order uses it again; orders that did still show it.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/promotions/{id}", tag = "promotions",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn archive(State(state): State<AppState>, actor: Actor, Path(ids): Path<(Uuid, Uuid)>) -> ApiResult<StatusCode> {
    service::archive(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}
