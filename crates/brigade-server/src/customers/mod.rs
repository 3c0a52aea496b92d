//! Guests who come back: one customer per person in a restaurant group (an owner's
//! locations share their guests), found by a phone number or an email address. Every
//! order that gives one is linked to its customer, whatever the channel.
//!
//! The number and the address are personal data: sealed under the server's secrets key
//! (`crate::secrets`), found again through a keyed hash, shown whole only to roles with
//! `customers:contact` (to the others as `•••• 0018`), exported and erased on request.
//! An order keeps the guest's name, a masked number and a delivery address, never the
//! number itself.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Page, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn register_jobs(r: &mut crate::jobs::Registry) {
    r.hourly(service::SealPlainContacts);
    r.hourly(service::EraseIdleGuests);
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(lookup))
        .routes(routes!(get, update, erase))
        .routes(routes!(merge))
        .routes(routes!(export))
        .routes(routes!(get_loyalty, set_loyalty))
        .routes(routes!(get_retention, set_retention))
        .routes(routes!(my_data, erase_me))
}

/// How long the group keeps a guest who stopped ordering.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Retention {
    /// Months after their last order; null: kept until erased.
    #[schema(minimum = 1, maximum = 240)]
    pub months: Option<i64>,
}

/// The group's retention: a job erases every guest whose last order is older.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers/retention", tag = "customers", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Retention), (status = 403)), security(("bearer" = [])))]
async fn get_retention(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Retention>> {
    Ok(axum::Json(service::retention(&actor, &state).await?))
}

/// Sets the group's retention (owners and managers).
#[utoipa::path(put, path = "/v1/restaurants/{rid}/customers/retention", tag = "customers", params(("rid" = Uuid, Path)),
    request_body = Retention,
    responses((status = 200, body = Retention), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn set_retention(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<Retention>,
) -> ApiResult<axum::Json<Retention>> {
    Ok(axum::Json(service::set_retention(&actor, &state, body).await?))
}

/// Everything held about the guest the signed link names (the link in their messages;
/// it works for 30 days).
#[utoipa::path(get, path = "/v1/public/guests/{token}", tag = "public", params(("token" = String, Path)),
    responses((status = 200, body = CustomerExport), (status = 404)))]
async fn my_data(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<axum::Json<CustomerExport>> {
    Ok(axum::Json(service::export_by_link(&state, &token).await?))
}

/// Erases the guest the signed link names: their profile, number, email, and their name
/// on their orders (which keep their totals for the books).
#[utoipa::path(delete, path = "/v1/public/guests/{token}", tag = "public", params(("token" = String, Path)),
    responses((status = 204), (status = 404)))]
async fn erase_me(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<StatusCode> {
    service::erase_by_link(&state, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The restaurant group's loyalty program.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoyaltyProgram {
    pub enabled: bool,
    /// Points per whole unit of currency spent on completed orders (0 to 1000).
    #[schema(minimum = 0, maximum = 1000)]
    pub points_per_unit: i64,
    /// A reward is this many points…
    #[schema(minimum = 1, maximum = 1000000)]
    pub reward_points: i64,
    /// …taking this much off an order (minor units).
    #[schema(minimum = 0, maximum = 1000000)]
    pub reward_value: i64,
    /// Rewards beside that one, each redeemed by its id (`reward_id` on an order): an
    /// amount off, or one of given items free. A PUT without them keeps them as they are;
    /// with them, the list is replaced (send back the ids of those to keep).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub rewards: Option<Vec<LoyaltyReward>>,
}

/// A reward of the loyalty program.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoyaltyReward {
    /// Given by the server; send it back to keep the reward (a guest's page may hold it).
    #[serde(default)]
    pub id: Option<Uuid>,
    #[schema(value_type = crate::schema::Name)]
    pub name: String,
    #[schema(minimum = 1, maximum = 1000000)]
    pub points: i64,
    #[schema(value_type = crate::schema::RewardKind)]
    pub kind: brigade_domain::customer::RewardKind,
    /// `amount`: minor units off (1 to 1000000).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000)]
    pub value: i64,
    /// `free_item`: the items (1 to 50, of this location's menu) one unit of which is
    /// free; the dearest of them on the order.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub item_ids: Vec<Uuid>,
}

impl From<brigade_domain::customer::Reward> for LoyaltyReward {
    fn from(r: brigade_domain::customer::Reward) -> Self {
        LoyaltyReward {
            id: Some(r.id),
            name: r.name,
            points: r.points,
            kind: r.kind,
            value: r.value,
            item_ids: r.item_ids,
        }
    }
}

/// One change of a guest's points.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsEntry {
    pub delta: i64,
    /// `earned`, `taken_back` (a refund or a reopened order), `redeemed`, `returned` (a
    /// cancelled order's), `adjusted`.
    pub reason: String,
    pub order_id: Option<Uuid>,
    pub restaurant_id: Uuid,
    pub at: DateTime<Utc>,
}

/// Who the guest of an order is, as the order gives it. A phone number or an email
/// address links the order to the guest's customer profile.
#[derive(Debug, Default, Deserialize, ToSchema, Clone)]
pub struct CustomerInput {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// In any spelling; read with the restaurant's country when it has no `+`.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Where a delivery goes.
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// The guest agreed to hear from the restaurant (offers, news). Left out: not asked,
    /// and what they said before stands.
    pub marketing_consent: Option<bool>,
    /// The guest asked to hear about this order: a text (or email) when it is ready and
    /// the receipt when it is complete.
    #[serde(default)]
    pub order_updates: Option<bool>,
}

/// A guest in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: Uuid,
    pub name: Option<String>,
    /// E.164; masked (`•••• 0018`) unless the caller's role may see guests' contacts.
    pub phone: Option<String>,
    /// Masked (`a•••@example.com`) unless the caller's role may see guests' contacts.
    pub email: Option<String>,
    /// Orders placed and not cancelled, at any of the group's restaurants.
    pub visits: i64,
    /// What their completed orders came to (minor units), less refunds.
    pub total_spent: i64,
    pub last_order_at: Option<DateTime<Utc>>,
    /// Their loyalty points.
    pub points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Favourite {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Consent {
    /// The guest agreed to marketing messages.
    pub given: bool,
    /// When they last said yes or no.
    pub at: Option<DateTime<Utc>>,
    /// Where: the channel of the order they said it with (`qr`, `web`, `phone`…), or
    /// `staff` when changed on their profile.
    pub channel: Option<String>,
    pub restaurant_id: Option<Uuid>,
}

/// A guest's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    #[serde(flatten)]
    pub summary: CustomerSummary,
    /// Whether `phone` and `email` are masked for the caller.
    pub masked: bool,
    pub completed_orders: i64,
    /// `total_spent` over completed orders (minor units); null before the first.
    pub average_ticket: Option<i64>,
    pub first_order_at: Option<DateTime<Utc>>,
    /// What they order most, by quantity.
    pub favourites: Vec<Favourite>,
    pub notes: Option<String>,
    /// Free labels such as `vip` or `allergy: peanuts`.
    pub tags: Vec<String>,
    pub marketing_consent: Consent,
    /// The latest changes of their points, newest first (at most 20).
    pub points_history: Vec<PointsEntry>,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change to a guest's profile: fields left out keep their value; `name` and `notes`
/// may be set to null to clear them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CustomerChange {
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::extract::double_option")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// Replaces the tags (at most 20, each at most 50 characters).
    #[schema(max_items = 20)]
    pub tags: Option<Vec<String>>,
    /// What the guest told staff about marketing messages.
    pub marketing_consent: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeInput {
    /// The duplicate profile to fold into this one; it is deleted.
    pub other_id: Uuid,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Any part of a name, or a whole phone number (any spelling) or email address.
    pub q: Option<String>,
    /// How many (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LookupParams {
    /// A phone number in any spelling.
    pub phone: String,
}

/// Everything Brigade holds about a guest (their right of access).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerExport {
    pub exported_at: DateTime<Utc>,
    pub profile: ExportProfile,
    pub orders: Vec<ExportOrder>,
    pub feedback: Vec<ExportFeedback>,
    /// Every change of their loyalty points.
    pub points: Vec<PointsEntry>,
    /// The messages sent them.
    pub messages: Vec<ExportMessage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportMessage {
    pub channel: String,
    pub kind: String,
    pub body: String,
    pub status: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportProfile {
    pub id: Uuid,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub marketing_consent: Consent,
    pub first_order_at: Option<DateTime<Utc>>,
    pub last_order_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportLine {
    pub name: String,
    pub quantity: i64,
    pub line_total: i64,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportOrder {
    pub id: Uuid,
    pub restaurant: String,
    pub number: i64,
    pub placed_at: DateTime<Utc>,
    pub channel: String,
    pub status: String,
    /// What the order said of the guest (name, masked phone, delivery address).
    #[schema(value_type = Option<Object>)]
    pub guest: Option<serde_json::Value>,
    pub items: Vec<ExportLine>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportFeedback {
    pub order_id: Uuid,
    pub rating: i64,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The restaurant group's guests, most recent first: all of them, or those whose name
/// holds `q`, or the one with phone number or email address `q`.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers", tag = "customers", params(("rid" = Uuid, Path), SearchParams),
    responses((status = 200, body = Page<CustomerSummary>), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<SearchParams>,
) -> ApiResult<axum::Json<Page<CustomerSummary>>> {
    Ok(axum::Json(service::search(&actor, &state, p).await?))
}

/// The guest with this phone number (what the phone agent asks when a call comes in).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers/lookup", tag = "customers",
    params(("rid" = Uuid, Path), LookupParams),
    responses((status = 200, body = CustomerView), (status = 404, description = "no guest with that number"), (status = 422)),
    security(("bearer" = [])))]
async fn lookup(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<LookupParams>,
) -> ApiResult<axum::Json<CustomerView>> {
    Ok(axum::Json(service::lookup(&actor, &state, &p.phone).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers/{id}", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CustomerView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<CustomerView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/customers/{id}", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = CustomerChange,
    responses((status = 200, body = CustomerView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<CustomerChange>,
) -> ApiResult<axum::Json<CustomerView>> {
    Ok(axum::Json(service::update(&actor, &state, ids.1, body).await?))
}

/// Erases the guest: their profile, phone number, email, the name and address on their
/// orders and the words of their feedback. The orders keep their items and money for
/// the books. Owners and managers; audited.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/customers/{id}", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn erase(State(state): State<AppState>, actor: Actor, Path(ids): Path<(Uuid, Uuid)>) -> ApiResult<StatusCode> {
    service::erase(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Folds a duplicate profile into this one: its orders, and the phone, email, notes and
/// tags this one lacks. The duplicate is deleted.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/customers/{id}/merge", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = MergeInput,
    responses((status = 200, body = CustomerView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn merge(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<MergeInput>,
) -> ApiResult<axum::Json<CustomerView>> {
    Ok(axum::Json(service::merge(&actor, &state, ids.1, body.other_id).await?))
}

/// Everything Brigade holds about the guest, as JSON. Owners and managers; audited.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers/{id}/export", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CustomerExport), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<CustomerExport>> {
    Ok(axum::Json(service::export(&actor, &state, ids.1).await?))
}

/// The group's loyalty program (off until an owner or manager turns it on).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/loyalty", tag = "customers", params(("rid" = Uuid, Path)),
    responses((status = 200, body = LoyaltyProgram), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_loyalty(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<LoyaltyProgram>> {
    Ok(axum::Json(service::program(&actor, &state).await?))
}

/// Sets the group's loyalty program: every location of the group shares it.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/loyalty", tag = "customers", params(("rid" = Uuid, Path)),
    request_body = LoyaltyProgram,
    responses((status = 200, body = LoyaltyProgram), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn set_loyalty(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<LoyaltyProgram>,
) -> ApiResult<axum::Json<LoyaltyProgram>> {
    Ok(axum::Json(service::set_program(&actor, &state, body).await?))
}
