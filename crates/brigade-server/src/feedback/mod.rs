//! Guests rate their orders: once an order is complete, its tracking page asks for 1 to 5
//! stars and a comment, once. The dashboard reads them back by period, with the average;
//! a low rating becomes a task for a manager to call the guest back.

pub mod service;

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Path, Query};
use crate::AppState;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(give)).routes(routes!(list))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FeedbackInput {
    /// 1 (bad) to 5 (great).
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i64,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i64,
    pub rating: i64,
    pub comment: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelRating {
    pub count: i64,
    pub average: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRating {
    pub item_id: Uuid,
    pub name: String,
    /// Rated orders that had the item.
    pub count: i64,
    pub average: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackList {
    /// Newest first.
    pub items: Vec<FeedbackView>,
    /// The mean rating over `items`; null when there is none.
    pub average: Option<f64>,
    pub count: i64,
    pub by_channel: BTreeMap<String, ChannelRating>,
    /// By the restaurant's local date the rating was given on.
    #[schema(value_type = BTreeMap<String, ChannelRating>)]
    pub by_day: BTreeMap<chrono::NaiveDate, ChannelRating>,
    /// By item ordered, most rated first (at most 50).
    pub by_item: Vec<ItemRating>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct KeyParams {
    /// The order's tracking key.
    pub key: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PeriodParams {
    /// Start (inclusive, RFC 3339); default 30 days before `to`.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub from: Option<DateTime<Utc>>,
    /// End (exclusive); default: up to now.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub to: Option<DateTime<Utc>>,
}

/// A guest rates their completed order, once (the tracking key proves it is theirs).
#[utoipa::path(post, path = "/v1/public/orders/{id}/feedback", tag = "public", params(("id" = Uuid, Path), KeyParams),
    request_body = FeedbackInput,
    responses((status = 201, body = FeedbackView), (status = 404), (status = 409, description = "not complete yet, or rated already"),
        (status = 422)))]
async fn give(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(p): Query<KeyParams>,
    Json(body): Json<FeedbackInput>,
) -> ApiResult<(axum::http::StatusCode, axum::Json<FeedbackView>)> {
    let view = service::give(&state, id, &p.key, body).await?;
    Ok((axum::http::StatusCode::CREATED, axum::Json(view)))
}

/// Guests' ratings in a period, newest first, with the average and by channel.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/feedback", tag = "orders", params(("rid" = Uuid, Path), PeriodParams),
    responses((status = 200, body = FeedbackList), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<PeriodParams>,
) -> ApiResult<axum::Json<FeedbackList>> {
    Ok(axum::Json(service::list(&actor, &state, p.from, p.to).await?))
}
