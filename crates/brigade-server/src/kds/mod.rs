//! The kitchen display: stations, and the tickets an order is split into (one per
//! station its items are routed to: the item's own station, else its category's). Cooks
//! bump tickets when done; when every ticket of an order is bumped the order is ready.
//! A recall reopens a ticket, and a ready order goes back to preparing.

use crate::actor::Actor;
use crate::error::ApiResult;
use crate::extract::{Json, Page, Path, Query};
use crate::orders::LineView;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::kds::{TicketStatus, WhichTickets};
use brigade_domain::menu::Channel;
use brigade_domain::order::{OrderStatus, OrderType};
use brigade_domain::{StationId, TicketId};

use brigade_store::kds::{StationRow, TicketRow};
use brigade_store::orders as order_store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stations, create_station))
        .routes(routes!(update_station, delete_station))
        .routes(routes!(list_tickets))
        .routes(routes!(all_day))
        .routes(routes!(bump))
        .routes(routes!(recall))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StationView {
    pub id: Uuid,
    pub name: String,
    pub sort_order: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<StationRow> for StationView {
    fn from(s: StationRow) -> Self {
        StationView {
            id: s.id,
            name: s.name,
            sort_order: s.sort_order,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct StationInput {
    #[schema(value_type = schema::Name)]
    pub name: String,
    #[serde(default)]
    pub sort_order: i64,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/kds/stations", tag = "kitchen", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<StationView>), (status = 404)), security(("bearer" = [])))]
async fn list_stations(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<Page<StationView>>> {
    Ok(axum::Json(Page { items: service::stations(&actor, &state).await?, next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/stations", tag = "kitchen", params(("rid" = Uuid, Path)),
    request_body = StationInput,
    responses((status = 201, body = StationView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_station(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<StationInput>,
) -> ApiResult<(StatusCode, axum::Json<StationView>)> {
    Ok((StatusCode::CREATED, axum::Json(service::create_station(&actor, &state, body).await?)))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/kds/stations/{id}", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StationInput,
    responses((status = 200, body = StationView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_station(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, StationId)>,
    Json(body): Json<StationInput>,
) -> ApiResult<axum::Json<StationView>> {
    Ok(axum::Json(service::update_station(&actor, &state, ids.1, body).await?))
}

/// Removes a station; categories and items routed to it fall back to no station.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/kds/stations/{id}", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_station(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, StationId)>,
) -> ApiResult<StatusCode> {
    service::delete_station(&actor, &state, ids.1).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i64,
    #[schema(value_type = schema::OrderStatus)]
    pub order_status: OrderStatus,
    pub station_id: Option<Uuid>,
    #[schema(value_type = schema::TicketStatus)]
    pub status: TicketStatus,
    #[schema(value_type = schema::Channel)]
    pub channel: Channel,
    #[serde(rename = "type")]
    #[schema(value_type = schema::OrderType)]
    pub kind: OrderType,
    pub table_id: Option<Uuid>,
    /// The table's name, for dine-in.
    pub table: Option<String>,
    /// The guest's name, for takeout and delivery, when given.
    pub guest: Option<String>,
    /// When the order was promised.
    pub promised_at: DateTime<Utc>,
    pub special_instructions: Option<String>,
    /// The promotions the order used, by name (and code): what the expediter checks a
    /// free item against.
    pub promotions: Vec<String>,
    /// The lines fired on this ticket (a voided one is marked, for the cook to stop).
    pub items: Vec<LineView>,
    /// The round of the check it fires (1 for the lines it was placed with).
    pub round: i64,
    pub created_at: DateTime<Utc>,
    pub bumped_at: Option<DateTime<Utc>>,
    /// Seconds since the ticket was made (until it was bumped).
    pub age_seconds: i64,
}

fn ticket_view(t: TicketRow, lines: Vec<LineView>, now: DateTime<Utc>) -> TicketView {
    let end = t.bumped_at.unwrap_or(now);
    TicketView {
        id: t.id,
        order_id: t.order_id,
        order_number: t.order_number,
        order_status: t.order_status,
        station_id: t.station_id,
        status: t.status,
        channel: t.order_channel,
        kind: t.order_type,
        table_id: t.table_id,
        table: t.table_name,
        guest: t.customer.and_then(|c| c.0.get("name").and_then(|n| n.as_str()).map(str::to_owned)),
        promised_at: t.estimated_ready_at,
        special_instructions: t.special_instructions,
        promotions: t
            .promotions
            .map(|p| {
                p.0.into_iter()
                    .map(|u| match u.code {
                        Some(code) if code != u.name => format!("{} ({code})", u.name),
                        _ => u.name,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        round: lines.iter().map(|l| l.round).max().unwrap_or(1),
        items: lines,
        created_at: t.created_at,
        bumped_at: t.bumped_at,
        age_seconds: (end - t.created_at).num_seconds().max(0),
    }
}

pub(crate) async fn with_lines(state: &AppState, tickets: Vec<TicketRow>) -> ApiResult<Vec<TicketView>> {
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let mut lines: HashMap<Uuid, Vec<LineView>> = HashMap::new();
    let Some(rid) = tickets.first().map(|t| t.restaurant_id) else { return Ok(Vec::new()) };
    for l in order_store::lines_of_tickets(&state.db, rid, &ids).await? {
        if let Some(ticket) = l.ticket_id {
            lines.entry(ticket).or_default().push(l.into());
        }
    }
    let now = state.clock.now();
    Ok(tickets
        .into_iter()
        .map(|t| {
            let l = lines.remove(&t.id).unwrap_or_default();
            ticket_view(t, l, now)
        })
        .collect())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TicketParams {
    /// One station's tickets; leave out for all (expo).
    pub station_id: Option<Uuid>,
    /// `open` (default) or `bumped`.
    #[param(value_type = Option<schema::TicketFilter>)]
    pub status: Option<WhichTickets>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Tickets for a station (or all), open ones oldest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/kds/tickets", tag = "kitchen", params(("rid" = Uuid, Path), TicketParams),
    responses((status = 200, body = Page<TicketView>), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_tickets(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<TicketParams>,
) -> ApiResult<axum::Json<Page<TicketView>>> {
    let items =
        service::tickets(&actor, &state, p.station_id.map(StationId), p.status.unwrap_or_default(), p.limit).await?;
    Ok(axum::Json(Page { items, next_cursor: None }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AllDayCount {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
}

/// How many of each item the open tickets (of a station, or all) still need.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/kds/all-day", tag = "kitchen", params(("rid" = Uuid, Path), TicketParams),
    responses((status = 200, body = Vec<AllDayCount>), (status = 404)), security(("bearer" = [])))]
async fn all_day(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<TicketParams>,
) -> ApiResult<axum::Json<Vec<AllDayCount>>> {
    Ok(axum::Json(service::all_day(&actor, &state, p.station_id.map(StationId), p.limit).await?))
}

/// Marks a ticket done. The last ticket of an order makes the order ready.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/tickets/{id}/bump", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn bump(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, TicketId)>,
) -> ApiResult<axum::Json<TicketView>> {
    Ok(axum::Json(service::bump(&actor, &state, ids.1).await?))
}

/// Reopens a bumped ticket; a ready order goes back to preparing.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/tickets/{id}/recall", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn recall(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, TicketId)>,
) -> ApiResult<axum::Json<TicketView>> {
    Ok(axum::Json(service::recall(&actor, &state, ids.1).await?))
}
