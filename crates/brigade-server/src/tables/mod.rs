//! Tables and QR ordering. Each table's card carries a QR code for
//! `{public_base_url}/t/{token}`, where the token names the table and its QR version and
//! is HMAC-signed (`brigade_domain::qr`). Rotating a table's code bumps the version, so
//! every older print stops working. Guests reach the table's menu and order from it
//! without signing in; their orders go through the same `place_order` as everyone's.

mod png;
pub mod service;

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, Path};
use crate::orders::{place_order, quote_order, CustomerInput, LineInput, OrderInput, Placer, Quote};
use crate::schema;
use crate::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use brigade_domain::credentials::parse_name;
use brigade_domain::menu::Channel;
use brigade_domain::order::{OrderStatus, OrderType};
use brigade_domain::qr;
use brigade_domain::tables::FloorStatus;
pub use brigade_domain::tables::TableStatus;
use brigade_domain::TableId;
use brigade_store::orders::OrderRow;
use brigade_store::restaurants;
use brigade_store::tables::{self as store, TableRow};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tables, create_table))
        .routes(routes!(update_table, delete_table))
        .routes(routes!(qr_svg))
        .routes(routes!(qr_png))
        .routes(routes!(rotate_qr))
        .routes(routes!(public_table))
        .routes(routes!(public_order))
        .routes(routes!(public_quote))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TableView {
    pub id: Uuid,
    pub name: String,
    pub capacity: i64,
    /// Where it stands now: its own status, or how far its open check has come.
    #[schema(value_type = schema::FloorStatus)]
    pub status: FloorStatus,
    /// Its status as set by the host (`available`, `occupied`, `reserved`,
    /// `out_of_service`), whatever its checks.
    #[schema(value_type = schema::TableStatus)]
    pub set_status: TableStatus,
    /// The check open on it (the oldest, when several are).
    pub current_order_id: Option<Uuid>,
    /// Every check open on it, oldest first.
    pub open_order_ids: Vec<Uuid>,
    /// What is open on its checks (minor units).
    pub open_balance: i64,
    /// What the table's QR code encodes.
    pub qr_url: String,
    pub qr_version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn token_of(state: &AppState, t: &TableRow) -> String {
    qr::sign(&state.qr_key, t.id, t.qr_version as u32)
}

pub(crate) fn qr_url(state: &AppState, t: &TableRow) -> String {
    format!("{}/t/{}", state.config.public_base_url.trim_end_matches('/'), token_of(state, t))
}

/// A table as the floor sees it, with the checks open on it (oldest first).
pub(crate) fn view(state: &AppState, t: TableRow, checks: &[&OrderRow]) -> TableView {
    let first = checks.first();
    let paid_any = checks.iter().any(|o| o.amount_paid > 0);
    TableView {
        qr_url: qr_url(state, &t),
        status: FloorStatus::of(t.status, first.map(|o| (o.status, paid_any))),
        set_status: t.status,
        current_order_id: first.map(|o| o.id),
        open_order_ids: checks.iter().map(|o| o.id).collect(),
        open_balance: checks.iter().map(|o| crate::orders::balance_of(o)).sum(),
        id: t.id,
        name: t.name,
        capacity: t.capacity,
        qr_version: t.qr_version,
        created_at: t.created_at,
        updated_at: t.updated_at,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TableInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[schema(minimum = 1, maximum = 100)]
    pub capacity: Option<i64>,
    #[schema(value_type = Option<schema::TableStatus>)]
    pub status: Option<TableStatus>,
}

impl TableInput {
    fn apply(self, t: &mut TableRow) -> ApiResult<()> {
        t.name = parse_name("name", &self.name)?;
        if let Some(c) = self.capacity {
            if !(1..=100).contains(&c) {
                return Err(ApiError::validation("capacity", "a table seats 1 to 100"));
            }
            t.capacity = c;
        }
        if let Some(s) = self.status {
            t.status = s;
        }
        Ok(())
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/tables", tag = "tables", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<TableView>), (status = 404)), security(("bearer" = [])))]
async fn list_tables(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<TableView>>> {
    Ok(axum::Json(Page { items: service::list(&actor, &state).await?, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/tables", tag = "tables", params(("rid" = Uuid, Path)),
    request_body = TableInput,
    responses((status = 201, body = TableView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_table(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<TableInput>,
) -> ApiResult<(StatusCode, axum::Json<TableView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create(&actor, &state, body).await?)))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/tables/{id}", tag = "tables", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body = TableInput,
    responses((status = 200, body = TableView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_table(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, TableId)>,
    Json(body): Json<TableInput>,
) -> ApiResult<axum::Json<TableView>> {
    Ok(axum::Json(service::update(&actor, &state, ids.1, body).await?))
}

#[utoipa::path(delete, path = "/v1/restaurants/{rid}/tables/{id}", tag = "tables", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_table(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, TableId)>,
) -> ApiResult<StatusCode> {
    service::delete(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a new QR code for the table; every older code stops working.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/tables/{id}/qr/rotate", tag = "tables",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TableView), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn rotate_qr(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, TableId)>,
) -> ApiResult<axum::Json<TableView>> {
    Ok(axum::Json(service::rotate_qr(&actor, &state, ids.1).await?))
}

fn qr_code(url: &str) -> ApiResult<qrcode::QrCode> {
    qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ApiError::internal(format!("QR encoding: {e}")))
}

async fn table_url(state: &AppState, actor: &Actor, id: TableId) -> ApiResult<String> {
    Ok(service::get(actor, state, id).await?.qr_url)
}

/// The table's QR code as SVG, for printing.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/tables/{id}/qr.svg", tag = "tables",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/svg+xml", body = String), (status = 404)), security(("bearer" = [])))]
async fn qr_svg(State(state): State<AppState>, actor: Actor, Path(ids): Path<(Uuid, TableId)>) -> ApiResult<Response> {
    let url = table_url(&state, &actor, ids.1).await?;
    Ok(image(qr_svg_markup(&url)?.into_bytes(), "image/svg+xml"))
}

/// A QR code for `url` as an SVG document (also inlined in the printable sheet).
pub(crate) fn qr_svg_markup(url: &str) -> ApiResult<String> {
    Ok(qr_code(url)?.render::<qrcode::render::svg::Color<'_>>().min_dimensions(256, 256).quiet_zone(true).build())
}

/// The table's QR code as PNG (8 pixels a module).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/tables/{id}/qr.png", tag = "tables",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404)), security(("bearer" = [])))]
async fn qr_png(State(state): State<AppState>, actor: Actor, Path(ids): Path<(Uuid, TableId)>) -> ApiResult<Response> {
    let url = table_url(&state, &actor, ids.1).await?;
    let code = qr_code(&url)?;
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    Ok(image(png::greyscale(side as u32, side as u32, &pixels), "image/png"))
}

fn image(bytes: Vec<u8>, content_type: &'static str) -> Response {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=60"));
    r
}

// ---------------------------------------------------------------- guests

/// The table a token names, if the token is genuine and current.
pub(crate) async fn table_for_token(state: &AppState, token: &str) -> ApiResult<TableRow> {
    let gone = || ApiError::NotFound { message: "this code is no longer valid; ask your server".into() };
    let (id, version) = qr::verify(&state.qr_key, token).ok_or_else(gone)?;
    let table = store::by_id(&state.db, id).await?.ok_or_else(gone)?;
    if table.qr_version != i64::from(version) {
        return Err(gone());
    }
    Ok(table)
}

#[derive(Serialize, ToSchema)]
pub struct GuestRestaurant {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub currency: String,
    pub timezone: String,
}

#[derive(Serialize, ToSchema)]
pub struct GuestTable {
    pub id: Uuid,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct GuestTableView {
    pub restaurant: GuestRestaurant,
    pub table: GuestTable,
    /// Where this table's live menu is: `/v1/public/restaurants/{slug}/menu?channel=qr`.
    pub menu_url: String,
}

/// What a guest's phone learns from the table's code. A forged or rotated code is 404.
#[utoipa::path(get, path = "/v1/public/tables/{token}", tag = "public", params(("token" = String, Path)),
    responses((status = 200, body = GuestTableView), (status = 404)))]
async fn public_table(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<GuestTableView>> {
    let table = table_for_token(&state, &token).await?;
    let r = restaurants::get(&state.db, table.restaurant_id).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    Ok(axum::Json(GuestTableView {
        menu_url: format!("/v1/public/restaurants/{}/menu?channel=qr", r.slug),
        restaurant: GuestRestaurant {
            id: r.id,
            name: r.name,
            slug: r.slug,
            currency: r.currency,
            timezone: r.timezone,
        },
        table: GuestTable { id: table.id, name: table.name },
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct GuestOrderInput {
    /// dine_in (default) or takeout
    #[serde(rename = "type")]
    #[schema(value_type = Option<schema::OrderType>)]
    pub kind: Option<OrderType>,
    pub customer: Option<CustomerInput>,
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<LineInput>,
    pub special_instructions: Option<String>,
    /// Loyalty points to spend (whole rewards), with the proof they are the guest's.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000000)]
    pub redeem_points: Option<i64>,
    /// Or one of the loyalty program's rewards, by its id (see the tracking page's
    /// `loyalty.rewards`), with the same proof.
    #[serde(default)]
    pub reward_id: Option<Uuid>,
    #[serde(default)]
    pub points_proof: Option<crate::orders::PointsProof>,
    /// A promotion code; one that does not apply is 422 `promo_invalid` with the reason.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub promo_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GuestOrderCreated {
    pub id: Uuid,
    pub number: i64,
    #[schema(value_type = schema::OrderStatus)]
    pub status: OrderStatus,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub currency: String,
    pub estimated_ready_at: DateTime<Utc>,
    /// Follow the order at `/v1/public/orders/{id}?key={tracking_key}` or on the WebSocket.
    pub tracking_key: String,
}

/// Prices a guest's cart as ordering it would, without ordering: the cart's totals come
/// from the server. The same errors as ordering (409 for an 86'd item, 422 for bad
/// modifiers or quantities).
#[utoipa::path(post, path = "/v1/public/tables/{token}/quote", tag = "public", params(("token" = String, Path)),
    request_body = GuestOrderInput,
    responses((status = 200, body = Quote), (status = 404), (status = 409), (status = 422)))]
async fn public_quote(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(body): Json<GuestOrderInput>,
) -> ApiResult<axum::Json<Quote>> {
    let table = table_for_token(&state, &token).await?;
    Ok(axum::Json(
        quote_order(&state, table.restaurant_id, guest_input(&table, body), brigade_store::events::ActedBy::Guest)
            .await?,
    ))
}

fn guest_input(table: &TableRow, body: GuestOrderInput) -> OrderInput {
    OrderInput {
        channel: Channel::Qr,
        kind: body.kind.unwrap_or(OrderType::DineIn),
        table_id: Some(table.id),
        customer: body.customer,
        items: body.items,
        special_instructions: body.special_instructions,
        external_id: None,
        external_total: None,
        redeem_points: body.redeem_points,
        reward_id: body.reward_id,
        points_proof: body.points_proof,
        promo_code: body.promo_code,
    }
}

/// A guest orders from the table: channel `qr`, this table, prices from the live menu.
#[utoipa::path(post, path = "/v1/public/tables/{token}/orders", tag = "public", params(("token" = String, Path)),
    request_body = GuestOrderInput,
    responses((status = 201, body = GuestOrderCreated), (status = 404), (status = 409), (status = 422)))]
async fn public_order(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    Json(body): Json<GuestOrderInput>,
) -> ApiResult<(StatusCode, axum::Json<GuestOrderCreated>)> {
    let table = table_for_token(&state, &token).await?;
    let input = guest_input(&table, body);
    let key = headers
        .get(crate::idempotency::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("guest:{}:{}", table.id, k.trim()));
    let guest = Actor::guest(table.restaurant_id);
    let o = place_order(&state, guest.rid(), input, Placer::new(guest.acted_by(), key)).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(GuestOrderCreated {
            id: o.id,
            number: o.number,
            status: o.status,
            subtotal: o.subtotal,
            tax: o.tax,
            total: o.total,
            currency: o.currency,
            estimated_ready_at: o.estimated_ready_at,
            tracking_key: o.tracking_key,
        }),
    ))
}
