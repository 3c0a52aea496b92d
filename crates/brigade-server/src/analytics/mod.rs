//! Analytics: sales over any period by day, hour, weekday, daypart, channel, type, staff
//! or table beside the period before; the headline numbers; item performance and the
//! menu-engineering matrix; labour and prime cost, the kitchen's ticket times and the
//! channels and platforms (`operations`). Everything about orders is read from per-day rollups that `rollup` keeps
//! from the event log, never from a period's orders.

pub mod operations;
pub mod rollup;
pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Query};
use crate::AppState;
use axum::extract::State;
use brigade_domain::analytics::{Daypart, Figures, GroupBy, MenuClass};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sales))
        .routes(routes!(summary))
        .routes(routes!(items))
        .routes(routes!(menu_engineering))
        .routes(routes!(labour))
        .routes(routes!(kitchen))
        .routes(routes!(channels))
        .routes(routes!(get_dayparts, put_dayparts))
}

/// Money and counts of a set of orders, in minor units. Cancelled orders count in none.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FiguresView {
    pub orders: i64,
    /// What the lines came to, before discounts and tax.
    pub gross: i64,
    pub discounts: i64,
    /// Given back to guests from their payments.
    pub refunds: i64,
    /// gross − discounts − refunds.
    pub net: i64,
    pub tax: i64,
    /// What guests paid and kept paid: net + tax.
    pub total: i64,
    /// Tips on payments taken through Brigade (apart from every other figure).
    pub tips: i64,
    /// total ÷ orders, rounded; none without orders.
    pub average_ticket: Option<i64>,
}

impl FiguresView {
    pub fn of(f: &Figures) -> FiguresView {
        FiguresView {
            orders: f.orders,
            gross: f.gross,
            discounts: f.discounts,
            refunds: f.refunds,
            net: f.net,
            tax: f.tax,
            total: f.total,
            tips: f.tips,
            average_ticket: f.average_ticket(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesRowView {
    /// The local business day (`day`), `0`–`23` (`hour`), `mon`–`sun` (`weekday`), the
    /// daypart's name, the channel, the order type, the member's user id (`staff`; or
    /// `guest`, `api_key`, `system`) or the table's id (`table`; empty for none).
    pub key: String,
    /// A name for the key where it is an id: the member's or the table's.
    pub label: Option<String>,
    #[serde(flatten)]
    pub figures: FiguresView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SalesView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: &'static str,
    /// Every day, hour, weekday and daypart of the period (zeros where nothing sold);
    /// for the other groupings, the keys that sold, largest total first.
    pub rows: Vec<SalesRowView>,
    pub totals: FiguresView,
    /// The period of the same length just before (`previous_from` to `previous_to`).
    pub previous: FiguresView,
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Percent change against the period before, one decimal; none where it had nothing.
    pub orders: Option<f64>,
    pub net: Option<f64>,
    pub total: Option<f64>,
    pub average_ticket: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub current: FiguresView,
    pub previous: FiguresView,
    pub previous_from: NaiveDate,
    pub previous_to: NaiveDate,
    /// The same weekdays 52 weeks before, where there were sales then.
    pub year_before: Option<FiguresView>,
    pub change_percent: ChangeView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPerformance {
    pub item_id: Uuid,
    pub name: String,
    pub category_id: Option<Uuid>,
    /// Sold, voided lines apart (comped ones count, at no revenue).
    pub quantity: i64,
    /// What its lines charged, before the orders' discounts.
    pub revenue: i64,
    /// Its recipe (and its options' recipes) at the stock's average cost when the day was
    /// rolled up; 0 without a recipe.
    pub food_cost: i64,
    /// revenue − food_cost.
    pub margin: i64,
    /// Its share of the items' revenue, percent.
    pub share_percent: Option<f64>,
    /// Whether it has a recipe, so its food cost is known.
    pub costed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryPerformance {
    /// None for items since removed from the menu.
    pub category_id: Option<Uuid>,
    pub name: String,
    pub quantity: i64,
    pub revenue: i64,
    pub food_cost: i64,
    pub margin: i64,
    pub share_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OptionPerformance {
    pub option_id: Uuid,
    pub name: String,
    /// Items sold with it.
    pub quantity: i64,
    /// What it added to their price.
    pub revenue: i64,
    pub food_cost: i64,
    pub margin: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Largest revenue first.
    pub rows: Vec<ItemPerformance>,
    pub categories: Vec<CategoryPerformance>,
    pub options: Vec<OptionPerformance>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixItem {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
    /// Margin per unit sold (minor units, rounded).
    pub contribution_margin: i64,
    pub revenue: i64,
    pub food_cost: i64,
    #[schema(value_type = String, example = "star")]
    pub class: MenuClass,
    /// Whether its food cost is known (an item without a recipe counts at no cost).
    pub costed: bool,
}

/// Kasavana and Smith's matrix: popular when sold at least `popularity_threshold` (70 %
/// of an equal share), high margin when its contribution margin is at least
/// `average_contribution_margin` (weighted by quantity).
#[derive(Debug, Serialize, ToSchema)]
pub struct MatrixView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub items: Vec<MatrixItem>,
    pub popularity_threshold: f64,
    pub average_contribution_margin: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DaypartsBody {
    /// Each starts at a local hour and runs until the next; the last runs past midnight
    /// to the first. Two may not start at the same hour.
    #[schema(value_type = Vec<DaypartDoc>, min_items = 1, max_items = 8,
        example = json!([{"name": "lunch", "starts": 11}, {"name": "dinner", "starts": 17}]))]
    pub dayparts: Vec<Daypart>,
}

/// A daypart as the document states it (read as `brigade_domain::analytics::Daypart`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DaypartDoc {
    #[schema(value_type = crate::schema::Name)]
    name: String,
    /// The local hour it starts.
    #[schema(minimum = 0, maximum = 23)]
    starts: u32,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeriodParams {
    /// First business day, YYYY-MM-DD, in the restaurant's zone.
    #[param(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last business day, included; not before `from`, at most 3 years after it.
    #[param(value_type = NaiveDate)]
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SalesParams {
    /// First business day, YYYY-MM-DD, in the restaurant's zone.
    #[param(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last business day, included; not before `from`, at most 3 years after it.
    #[param(value_type = NaiveDate)]
    pub to: Option<String>,
    /// day (the default), hour, weekday, daypart, channel, type, staff or table.
    #[param(value_type = Option<crate::schema::SalesGrouping>)]
    pub group_by: Option<GroupBy>,
}

/// Sales over a period of business days, grouped, with totals and the period before.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/sales", tag = "analytics",
    params(("rid" = Uuid, Path), SalesParams),
    responses((status = 200, body = SalesView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn sales(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<SalesParams>,
) -> ApiResult<axum::Json<SalesView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    Ok(axum::Json(service::sales(&actor, &state, period, p.group_by.unwrap_or(GroupBy::Day)).await?))
}

/// The headline numbers of a period beside the period before and a year before.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/summary", tag = "analytics",
    params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = SummaryView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn summary(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<SummaryView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    Ok(axum::Json(service::summary(&actor, &state, period).await?))
}

/// Item, category and option performance over a period.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/items", tag = "analytics",
    params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = ItemsView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn items(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<ItemsView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    Ok(axum::Json(service::items(&actor, &state, period).await?))
}

/// The menu-engineering matrix: each item sold a star, plowhorse, puzzle or dog.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/menu-engineering", tag = "analytics",
    params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = MatrixView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn menu_engineering(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<MatrixView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    Ok(axum::Json(service::menu_engineering(&actor, &state, period).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/dayparts", tag = "analytics",
    params(("rid" = Uuid, Path)),
    responses((status = 200, body = DaypartsBody), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_dayparts(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<DaypartsBody>> {
    Ok(axum::Json(service::dayparts(&actor, &state).await?))
}

/// Sets the dayparts sales are split into; they apply to past days too.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/analytics/dayparts", tag = "analytics",
    params(("rid" = Uuid, Path)), request_body = DaypartsBody,
    responses((status = 200, body = DaypartsBody), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn put_dayparts(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<DaypartsBody>,
) -> ApiResult<axum::Json<DaypartsBody>> {
    Ok(axum::Json(service::set_dayparts(&actor, &state, body).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LabourParams {
    /// First business day, YYYY-MM-DD, in the restaurant's zone.
    #[param(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last business day, included; not before `from`, at most 3 years after it.
    #[param(value_type = NaiveDate)]
    pub to: Option<String>,
    /// day (the default) or daypart.
    #[param(value_type = Option<operations::LabourBy>)]
    pub group_by: Option<operations::LabourBy>,
}

/// Labour cost, hours (worked and scheduled), overtime, labour %, sales per labour hour
/// and prime cost over a period, by day or daypart, and per member.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/labour", tag = "analytics",
    params(("rid" = Uuid, Path), LabourParams),
    responses((status = 200, body = operations::LabourView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn labour(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<LabourParams>,
) -> ApiResult<axum::Json<operations::LabourView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    let by = p.group_by.unwrap_or(operations::LabourBy::Day);
    Ok(axum::Json(operations::labour(&actor, &state, period, by).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct KitchenParams {
    /// First business day, YYYY-MM-DD, in the restaurant's zone.
    #[param(value_type = NaiveDate)]
    pub from: Option<String>,
    /// Last business day, included; not before `from`, at most 3 years after it.
    #[param(value_type = NaiveDate)]
    pub to: Option<String>,
    /// station (the default), day, daypart or hour.
    #[param(value_type = Option<operations::KitchenBy>)]
    pub group_by: Option<operations::KitchenBy>,
}

/// Ticket times (average, p50, p90, longest) and late tickets over a period, by station,
/// day, daypart or hour, beside the period before.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/kitchen", tag = "analytics",
    params(("rid" = Uuid, Path), KitchenParams),
    responses((status = 200, body = operations::KitchenView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn kitchen(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<KitchenParams>,
) -> ApiResult<axum::Json<operations::KitchenView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    let by = p.group_by.unwrap_or(operations::KitchenBy::Station);
    Ok(axum::Json(operations::kitchen(&actor, &state, period, by).await?))
}

/// Orders per channel over a period: the delivery platforms' own totals against
/// Brigade's, cancelled orders and platform orders refused, with their reasons.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/analytics/channels", tag = "analytics",
    params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = operations::ChannelsView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn channels(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<operations::ChannelsView>> {
    let period = service::period(p.from.as_deref(), p.to.as_deref())?;
    Ok(axum::Json(operations::channels(&actor, &state, period).await?))
}
