//! The counter's checks: payments taken on an order (cash with change, a card machine
//! recorded by hand, cards through Stripe), refunds to the tender they came in on, and
//! the manager's approval what needs one asks for (their own sign-in, or their PIN on
//! the spot). The rules are in `service`; these are the routes.

pub mod service;

use crate::actor::{Actor, ApprovalInput};
use crate::error::ApiResult;
use crate::extract::{Json, Path};
use crate::payments::PaymentView;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::payments::Method;
use brigade_domain::OrderId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(take_payment)).routes(routes!(refund_payment))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PaymentInput {
    #[schema(value_type = schema::PaymentMethod)]
    pub method: Method,
    /// What it pays of the check (minor units). Cash may be more than the balance: the
    /// rest is change. Any other tender may not.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// On top of the amount.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub tip: Option<i64>,
    /// Cash handed over, when more than amount and tip (the change is worked out).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub tendered: Option<i64>,
}

/// A payment taken, and where its check stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentTaken {
    #[serde(flatten)]
    pub payment: PaymentView,
    /// What is left to pay on the check.
    pub balance: i64,
    /// Whether the check is paid now.
    pub paid: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RefundInput {
    /// How much to give back (minor units); all that is left of the payment when left out.
    #[serde(default)]
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// A manager's PIN, when the signed-in person may not refund alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Money given back from a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub order_id: Uuid,
    pub amount: i64,
    pub reason: String,
    /// `done` (cash, or a card machine: give the money back now), `pending` (asked of the
    /// card processor; the order shows when it lands).
    pub status: String,
    /// The manager or owner who approved it.
    pub approved_by: Option<Uuid>,
    pub business_day: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// What is left to pay on the check now.
    pub balance: i64,
}

/// Takes a payment on a check. Two payments racing for the last of a balance are taken
/// one after the other; the second sees the new balance.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/payments", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = PaymentInput,
    responses((status = 201, body = PaymentTaken), (status = 403), (status = 404),
              (status = 409, description = "nothing is left to pay, or the order is cancelled"),
              (status = 422, description = "not a payment this check can take (a card over the balance, short cash)")),
    security(("bearer" = [])))]
async fn take_payment(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<PaymentInput>,
) -> ApiResult<(StatusCode, axum::Json<PaymentTaken>)> {
    Ok((StatusCode::CREATED, axum::Json(service::pay(&actor, &state, ids.1, body).await?)))
}

/// Gives money back from a payment, to the tender it came in on. Needs a manager: one
/// signed in, or their PIN in `approval` (403 `approval_required` otherwise).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/payments/{id}/refund", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = RefundInput,
    responses((status = 201, body = RefundView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn refund_payment(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<RefundInput>,
) -> ApiResult<(StatusCode, axum::Json<RefundView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::refund(&actor, &state, ids.1, body).await?)))
}
