//! The kitchen display: stations, and the tickets an order is split into (one per
//! station its items are routed to: the item's own station, else its category's). Cooks
//! bump tickets when done; when every ticket of an order is bumped the order is ready.
//! A recall reopens a ticket, and a ready order goes back to preparing.

use crate::auth::Member;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, Path, Query};
use crate::orders::{transition, LineView};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use brigade_domain::auth::Permission;
use brigade_domain::credentials::parse_name;
use brigade_domain::order::OrderStatus;
use brigade_store::events::{self, NewEvent};
use brigade_store::kds::{self as store, StationRow, TicketFilter, TicketRow};
use brigade_store::orders as order_store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stations, create_station))
        .routes(routes!(update_station, delete_station))
        .routes(routes!(list_tickets))
        .routes(routes!(all_day))
        .routes(routes!(bump))
        .routes(routes!(recall))
}

#[derive(Serialize, ToSchema)]
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
    pub name: String,
    #[serde(default)]
    pub sort_order: i64,
}

fn require_kitchen_read(member: &Member) -> ApiResult<()> {
    if member.allows(Permission::KitchenWork) || member.allows(Permission::OrdersRead) {
        Ok(())
    } else {
        member.require(Permission::KitchenWork)
    }
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/kds/stations", tag = "kitchen", params(("rid" = Uuid, Path)),
    responses((status = 200, body = Page<StationView>), (status = 404)), security(("bearer" = [])))]
async fn list_stations(State(state): State<AppState>, member: Member) -> ApiResult<axum::Json<Page<StationView>>> {
    require_kitchen_read(&member)?;
    let rows = store::stations(&state.db, member.rid()).await?;
    Ok(axum::Json(Page { items: rows.into_iter().map(StationView::from).collect(), next_cursor: None }))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/stations", tag = "kitchen", params(("rid" = Uuid, Path)),
    request_body = StationInput,
    responses((status = 201, body = StationView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn create_station(
    State(state): State<AppState>,
    member: Member,
    Json(body): Json<StationInput>,
) -> ApiResult<(StatusCode, axum::Json<StationView>)> {
    member.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let row = StationRow {
        id: Uuid::now_v7(),
        restaurant_id: member.rid(),
        name: parse_name("name", &body.name)?,
        sort_order: body.sort_order,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin_for(member.rid()).await?;
    store::insert_station(&mut tx, &row).await?;
    member.record(&mut tx, "kds.station_created", "kds_station", row.id, json!({ "name": row.name }), now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(row.into())))
}

#[utoipa::path(put, path = "/v1/restaurants/{rid}/kds/stations/{id}", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StationInput,
    responses((status = 200, body = StationView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn update_station(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
    Json(body): Json<StationInput>,
) -> ApiResult<axum::Json<StationView>> {
    member.require(Permission::MenuWrite)?;
    let (_, id) = ids;
    let mut row = store::station(&state.db, member.rid(), id).await?.ok_or_else(|| ApiError::not_found("station"))?;
    let now = state.clock.now();
    row.name = parse_name("name", &body.name)?;
    row.sort_order = body.sort_order;
    row.updated_at = now;
    let mut tx = state.db.begin_for(member.rid()).await?;
    store::update_station(&mut tx, &row).await?;
    member.record(&mut tx, "kds.station_updated", "kds_station", row.id, json!({ "name": row.name }), now).await?;
    tx.commit().await?;
    Ok(axum::Json(row.into()))
}

/// Removes a station; categories and items routed to it fall back to no station.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/kds/stations/{id}", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_station(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    member.require(Permission::MenuWrite)?;
    let (_, id) = ids;
    let now = state.clock.now();
    let mut tx = state.db.begin_for(member.rid()).await?;
    if !store::delete_station(&mut tx, member.rid(), id, now).await? {
        return Err(ApiError::not_found("station"));
    }
    member.record(&mut tx, "kds.station_deleted", "kds_station", id, json!({}), now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TicketView {
    pub id: Uuid,
    pub order_id: Uuid,
    pub order_number: i64,
    pub order_status: String,
    pub station_id: Option<Uuid>,
    /// `open` or `bumped`.
    pub status: String,
    pub channel: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub table_id: Option<Uuid>,
    pub special_instructions: Option<String>,
    pub items: Vec<LineView>,
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
        special_instructions: t.special_instructions,
        items: lines,
        created_at: t.created_at,
        bumped_at: t.bumped_at,
        age_seconds: (end - t.created_at).num_seconds().max(0),
    }
}

async fn with_lines(state: &AppState, tickets: Vec<TicketRow>) -> ApiResult<Vec<TicketView>> {
    let mut order_ids: Vec<Uuid> = tickets.iter().map(|t| t.order_id).collect();
    order_ids.sort();
    order_ids.dedup();
    let mut lines: HashMap<(Uuid, Option<Uuid>), Vec<LineView>> = HashMap::new();
    for l in order_store::lines(&state.db, &order_ids).await? {
        lines.entry((l.order_id, l.station_id)).or_default().push(l.into());
    }
    let now = state.clock.now();
    Ok(tickets
        .into_iter()
        .map(|t| {
            let l = lines.get(&(t.order_id, t.station_id)).cloned().unwrap_or_default();
            ticket_view(t, l, now)
        })
        .collect())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TicketParams {
    /// One station's tickets; leave out for all (expo).
    pub station_id: Option<Uuid>,
    /// `open` (default) or `bumped`.
    pub status: Option<String>,
    pub limit: Option<i64>,
}

fn ticket_filter(p: &TicketParams) -> ApiResult<TicketFilter> {
    let status = match p.status.as_deref() {
        None | Some("open") => Some("open".to_owned()),
        Some("bumped") => Some("bumped".to_owned()),
        Some("all") => None,
        Some(other) => return Err(ApiError::validation("status", format!("'{other}' is not open, bumped or all"))),
    };
    let limit = crate::extract::PageParams { limit: p.limit.or(Some(200)), cursor: None }.limit()?;
    Ok(TicketFilter { station_id: p.station_id, status, limit })
}

/// Tickets for a station (or all), open ones oldest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/kds/tickets", tag = "kitchen", params(("rid" = Uuid, Path), TicketParams),
    responses((status = 200, body = Page<TicketView>), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_tickets(
    State(state): State<AppState>,
    member: Member,
    Query(p): Query<TicketParams>,
) -> ApiResult<axum::Json<Page<TicketView>>> {
    require_kitchen_read(&member)?;
    let rows = store::tickets(&state.db, member.rid(), &ticket_filter(&p)?).await?;
    Ok(axum::Json(Page { items: with_lines(&state, rows).await?, next_cursor: None }))
}

#[derive(Serialize, ToSchema)]
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
    member: Member,
    Query(p): Query<TicketParams>,
) -> ApiResult<axum::Json<Vec<AllDayCount>>> {
    require_kitchen_read(&member)?;
    let filter = TicketFilter { status: Some("open".into()), ..ticket_filter(&p)? };
    let tickets = with_lines(&state, store::tickets(&state.db, member.rid(), &filter).await?).await?;
    let mut counts: BTreeMap<(String, Uuid), i64> = BTreeMap::new();
    for t in tickets {
        for l in t.items {
            *counts.entry((l.name, l.item_id)).or_default() += l.quantity;
        }
    }
    let mut out: Vec<AllDayCount> =
        counts.into_iter().map(|((name, item_id), quantity)| AllDayCount { item_id, name, quantity }).collect();
    out.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.name.cmp(&b.name)));
    Ok(axum::Json(out))
}

/// Marks a ticket done. The last ticket of an order makes the order ready.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/tickets/{id}/bump", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn bump(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<TicketView>> {
    set_ticket(state, member, ids.1, true).await
}

/// Reopens a bumped ticket; a ready order goes back to preparing.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/kds/tickets/{id}/recall", tag = "kitchen",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = TicketView), (status = 403), (status = 404), (status = 409)), security(("bearer" = [])))]
async fn recall(
    State(state): State<AppState>,
    member: Member,
    Path(ids): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<TicketView>> {
    set_ticket(state, member, ids.1, false).await
}

async fn set_ticket(state: AppState, member: Member, id: Uuid, bumped: bool) -> ApiResult<axum::Json<TicketView>> {
    member.require(Permission::KitchenWork)?;
    let now = state.clock.now();
    let rid = member.rid();
    let mut tx = state.db.begin_for(rid).await?;
    let ticket = store::ticket_tx(&mut tx, rid, id).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    let order = order_store::get_for_update(&mut tx, rid, ticket.order_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let status: OrderStatus = order.status.parse()?;
    if !bumped && status.is_final() {
        return Err(ApiError::conflict(
            "order_closed",
            format!("order #{} is {status}; its tickets cannot be recalled", order.number),
        ));
    }
    let actor = member.actor();
    if !store::set_ticket_status(&mut tx, id, bumped, &actor.encode(), now).await? {
        let what = if bumped { "already bumped" } else { "not bumped" };
        return Err(ApiError::conflict("ticket_unchanged", format!("this ticket is {what}")));
    }
    let kind = if bumped { "kds.ticket_bumped" } else { "kds.ticket_recalled" };
    let payload =
        json!({ "ticket_id": id, "order_id": order.id, "order_number": order.number, "station_id": ticket.station_id });
    events::record(
        &mut tx,
        NewEvent { restaurant_id: Some(rid), kind, entity: "kds_ticket", entity_id: Some(id), actor, payload, at: now },
    )
    .await?;
    let siblings = store::tickets_of_order(&mut tx, order.id).await?;
    if bumped && siblings.iter().all(|t| t.status == "bumped") && status.transition(OrderStatus::Ready).is_ok() {
        transition(&mut tx, order, OrderStatus::Ready, None, actor, now).await?;
    } else if !bumped && status == OrderStatus::Ready {
        transition(&mut tx, order, OrderStatus::Preparing, Some("ticket recalled"), actor, now).await?;
    }
    let ticket = store::ticket_tx(&mut tx, rid, id).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    tx.commit().await?;
    Ok(axum::Json(with_lines(&state, vec![ticket]).await?.remove(0)))
}
