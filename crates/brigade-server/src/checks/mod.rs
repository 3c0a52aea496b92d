//! The counter's checks: payments taken on an order (cash with change, a card machine
//! recorded by hand, cards through Stripe), refunds to the tender they came in on, and
//! the manager's approval what needs one asks for (their own sign-in, or their PIN on
//! the spot). The rules are in `service`; these are the routes.

pub mod service;

use crate::actor::{Actor, ApprovalInput};
use crate::error::ApiResult;
use crate::extract::{Json, Page, Path, Query};
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
    OpenApiRouter::new()
        .routes(routes!(take_payment))
        .routes(routes!(refund_payment))
        .routes(routes!(cancel_payment))
        .routes(routes!(open_drawer, list_drawers))
        .routes(routes!(drawer_movement))
        .routes(routes!(close_drawer))
        .routes(routes!(close_out))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PaymentInput {
    #[schema(value_type = schema::PaymentMethod)]
    pub method: Method,
    /// What it pays of the check (minor units). Cash may be more than the balance: the
    /// rest is change. Any other tender may not.
    #[schema(minimum = 1, maximum = 99999999)]
    pub amount: i64,
    /// On top of the amount.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 99999999)]
    pub tip: Option<i64>,
    /// Cash handed over, when more than amount and tip (the change is worked out).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 99999999)]
    pub tendered: Option<i64>,
    /// The cash drawer it goes in (cash only). Left out: the drawer the person taking it
    /// opened, else the one open drawer, else none.
    #[serde(default)]
    pub drawer_id: Option<Uuid>,
    /// The Stripe Terminal reader a `card` payment is taken on (`GET …/card-readers`).
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reader_id: Option<String>,
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
    #[schema(minimum = 1, maximum = 99999999)]
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
///
/// A `card` is taken on a Stripe Terminal reader (`reader_id`): the answer is the payment
/// `open` while the reader asks for the card, and what it asks for is held from the
/// balance; it becomes `paid`, or `failed` with its `error` (declined, reader offline),
/// as Stripe reports it. Follow it on the order (or the live feed); cancel it with
/// `POST …/payments/{id}/cancel`.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/payments", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = PaymentInput,
    responses((status = 201, body = PaymentTaken), (status = 403), (status = 404),
              (status = 409, description = "nothing is left to pay, the order is cancelled, a card payment is waiting on the reader (payment_in_progress), or no card reader is connected (payments_unavailable)"),
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

/// Cancels a card payment still waiting on the reader: the reader stops asking, and what
/// it held of the balance is free again. A card presented meanwhile is still counted
/// when Stripe reports it paid.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/payments/{id}/cancel", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 403), (status = 404),
              (status = 409, description = "the payment is not waiting on a reader")),
    security(("bearer" = [])))]
async fn cancel_payment(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<PaymentView>> {
    Ok(axum::Json(service::cancel_card(&actor, &state, ids.1).await?))
}

// ---------------------------------------------------------------- cash drawers

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DrawerInput {
    /// The device or person it belongs to ("Front till"); unique among open drawers.
    #[schema(value_type = schema::Name)]
    pub name: String,
    /// The cash it starts with (minor units).
    #[schema(minimum = 0, maximum = 99999999)]
    pub float: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DrawerMovementInput {
    #[schema(value_type = schema::DrawerMovementKind)]
    pub kind: String,
    #[schema(minimum = 1, maximum = 99999999)]
    pub amount: i64,
    #[schema(value_type = schema::Reason)]
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DrawerCloseInput {
    /// The cash counted in it (minor units).
    #[schema(minimum = 0, maximum = 99999999)]
    pub counted: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DrawerView {
    pub id: Uuid,
    pub name: String,
    pub float: i64,
    pub business_day: NaiveDate,
    pub opened_by: String,
    /// Who opened it, by name.
    pub opened_by_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// What it should hold now (open), or held at close.
    pub expected: i64,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub closed_by_name: Option<String>,
    pub counted: Option<i64>,
    /// counted - expected, once closed: negative is short, positive over.
    pub difference: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CloseOutParams {
    /// The business day (YYYY-MM-DD); today's when left out.
    pub date: Option<NaiveDate>,
    /// json (the default) or csv.
    #[param(value_type = Option<schema::ReportFormat>)]
    pub format: Option<String>,
}

/// Money taken on the day, by tender.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ByTender {
    pub cash: i64,
    pub external: i64,
    pub card: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TipsByPerson {
    /// `user:{id}` or `api_key:{id}`, as the audit log names who acted.
    pub taken_by: String,
    pub name: Option<String>,
    pub tips: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tips {
    pub total: i64,
    pub by_person: Vec<TipsByPerson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CloseOutRefund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub status: String,
    pub refunded_by: String,
    pub refunded_by_name: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_name: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenCheck {
    pub order_id: Uuid,
    pub number: i64,
    pub table_id: Option<Uuid>,
    pub total: i64,
    pub balance: i64,
    #[schema(value_type = schema::OrderStatus)]
    pub status: brigade_domain::order::OrderStatus,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VoidEntry {
    pub order_id: Uuid,
    /// The order's number on its business day.
    pub number: i64,
    /// The voided line; none when the whole order was cancelled.
    pub line_id: Option<Uuid>,
    /// The line's item, or none for a whole order.
    pub item: Option<String>,
    pub at: DateTime<Utc>,
    pub by: String,
    /// Who voided it, by name.
    pub by_name: Option<String>,
    /// The manager who approved it, when someone else voided it.
    pub approved_by: Option<Uuid>,
    pub approved_by_name: Option<String>,
    pub reason: Option<String>,
    pub amount: i64,
}

/// The business day closed out: what came in by tender, tips, what went back, what is
/// still open.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountEntry {
    pub order_id: Uuid,
    pub number: i64,
    pub amount: i64,
    /// The share, when it was one (per cent).
    pub percent: Option<f64>,
    pub reason: Option<String>,
    pub by: Option<String>,
    pub by_name: Option<String>,
    pub approved_by: Option<Uuid>,
    pub approved_by_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CloseOut {
    pub business_day: NaiveDate,
    pub currency: String,
    /// Orders of the day that were not cancelled, and what they came to with tax.
    pub orders: i64,
    pub sales: i64,
    pub tax: i64,
    /// Money taken (the amounts applied to checks, tips apart).
    pub by_tender: ByTender,
    pub tips: Tips,
    /// The day's cancelled orders, with who cancelled each and why (voids of single lines
    /// come with rounds on a check).
    pub voids: Vec<VoidEntry>,
    pub refunds: Vec<CloseOutRefund>,
    /// Lines given on the house, with who, why and the manager who approved; `amount` is
    /// what each would have cost.
    pub comps: Vec<VoidEntry>,
    /// What discounts took off the day's checks (before tax), and each discounted check.
    pub discounts: i64,
    pub discounted: Vec<DiscountEntry>,
    /// Checks of the day still owing: close them before the day is closed.
    pub open_checks: Vec<OpenCheck>,
    pub drawers: Vec<DrawerView>,
}

/// Opens a cash drawer with its float.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/drawers", tag = "checks", params(("rid" = Uuid, Path)),
    request_body = DrawerInput,
    responses((status = 201, body = DrawerView), (status = 403), (status = 404),
              (status = 409, description = "an open drawer has that name"), (status = 422)),
    security(("bearer" = [])))]
async fn open_drawer(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<DrawerInput>,
) -> ApiResult<(StatusCode, axum::Json<DrawerView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::open_drawer(&actor, &state, body).await?)))
}

/// The open drawers, and those of today.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/drawers", tag = "checks", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<DrawerView>), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn list_drawers(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<DrawerView>>> {
    Ok(axum::Json(Page { items: service::drawers(&actor, &state).await?, next_cursor: None }))
}

/// Cash paid into or out of a drawer, with a reason.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/drawers/{id}/movements", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = DrawerMovementInput,
    responses((status = 201, body = DrawerView), (status = 403), (status = 404),
              (status = 409, description = "the drawer is closed"), (status = 422)),
    security(("bearer" = [])))]
async fn drawer_movement(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<DrawerMovementInput>,
) -> ApiResult<(StatusCode, axum::Json<DrawerView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::drawer_movement(&actor, &state, ids.1, body).await?)))
}

/// Closes a drawer with the cash counted: expected, counted and the difference are kept.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/drawers/{id}/close", tag = "checks",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = DrawerCloseInput,
    responses((status = 200, body = DrawerView), (status = 403), (status = 404),
              (status = 409, description = "already closed"), (status = 422)),
    security(("bearer" = [])))]
async fn close_drawer(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<DrawerCloseInput>,
) -> ApiResult<axum::Json<DrawerView>> {
    Ok(axum::Json(service::close_drawer(&actor, &state, ids.1, body).await?))
}

/// The close-out report of a business day, as JSON or CSV.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/reports/close-out", tag = "checks",
    params(("rid" = Uuid, Path), CloseOutParams),
    responses((status = 200, description = "the report; CSV with `format=csv`",
               content((CloseOut = "application/json"), (String = "text/csv"))),
              (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn close_out(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<CloseOutParams>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let csv = match p.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(crate::error::ApiError::validation("format", format!("'{other}' is not json or csv")));
        }
    };
    let report = service::close_out(&actor, &state, p.date).await?;
    if !csv {
        return Ok(axum::Json(report).into_response());
    }
    let name = format!("attachment; filename=\"close-out-{}.csv\"", report.business_day);
    let headers = [
        (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
        (axum::http::header::CONTENT_DISPOSITION, name),
    ];
    Ok((headers, service::close_out_csv(&report)).into_response())
}
