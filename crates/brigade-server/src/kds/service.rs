//! The kitchen's actions and reads, for every caller (the KDS screen through REST, the
//! assistant's "order twelve is ready", tests): bump and recall a ticket, what the
//! stations have open, all-day counts.

use super::{with_lines, AllDayCount, StationInput, StationView, TicketView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::orders::service::transition;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::credentials::parse_name;
use brigade_domain::kds::{TicketStatus, WhichTickets};
use brigade_domain::order::OrderStatus;
use brigade_domain::{StationId, TicketId};
use brigade_store::kds::{self as store, StationRow, TicketFilter};
use brigade_store::orders as order_store;
use serde_json::json;
use std::collections::BTreeMap;

/// The kitchen reads tickets with `kitchen:work`; the floor with `orders:read`.
fn require_kitchen_read(actor: &Actor) -> ApiResult<()> {
    if actor.allows(Permission::KitchenWork) || actor.allows(Permission::OrdersRead) {
        Ok(())
    } else {
        actor.require(Permission::KitchenWork)
    }
}

/// The kitchen's stations, in their order.
pub async fn stations(actor: &Actor, state: &AppState) -> ApiResult<Vec<StationView>> {
    require_kitchen_read(actor)?;
    Ok(store::stations(&state.db, actor.rid()).await?.into_iter().map(StationView::from).collect())
}

/// Adds a station (the grill, the fryer) that tickets are routed to.
pub async fn create_station(actor: &Actor, state: &AppState, input: StationInput) -> ApiResult<StationView> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let row = StationRow {
        id: uuid::Uuid::now_v7(),
        restaurant_id: actor.rid(),
        name: parse_name("name", &input.name)?,
        sort_order: input.sort_order,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.db.begin(actor.rid()).await?;
    store::insert_station(&mut tx, &row).await?;
    actor.record(&mut tx, "kds.station_created", "kds_station", row.id, json!({ "name": row.name }), now).await?;
    state.commit(tx, After::NOTHING).await?;
    Ok(row.into())
}

/// Renames or reorders a station.
pub async fn update_station(
    actor: &Actor,
    state: &AppState,
    id: StationId,
    input: StationInput,
) -> ApiResult<StationView> {
    actor.require(Permission::MenuWrite)?;
    let mut row = store::station(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("station"))?;
    let now = state.clock.now();
    row.name = parse_name("name", &input.name)?;
    row.sort_order = input.sort_order;
    row.updated_at = now;
    let mut tx = state.db.begin(actor.rid()).await?;
    store::update_station(&mut tx, &row).await?;
    actor.record(&mut tx, "kds.station_updated", "kds_station", row.id, json!({ "name": row.name }), now).await?;
    state.commit(tx, After::NOTHING).await?;
    Ok(row.into())
}

/// Removes a station; categories and items routed to it fall back to no station.
pub async fn delete_station(actor: &Actor, state: &AppState, id: StationId) -> ApiResult<()> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::delete_station(&mut tx, actor.rid(), id.0, now).await? {
        return Err(ApiError::not_found("station"));
    }
    actor.record(&mut tx, "kds.station_deleted", "kds_station", id.0, json!({}), now).await?;
    state.commit(tx, After::NOTHING).await
}

/// Tickets for a station (or all), open ones oldest first.
pub async fn tickets(
    actor: &Actor,
    state: &AppState,
    station: Option<StationId>,
    which: WhichTickets,
    limit: Option<i64>,
) -> ApiResult<Vec<TicketView>> {
    require_kitchen_read(actor)?;
    let status = which.status();
    let limit = crate::extract::PageParams { limit: limit.or(Some(200)), cursor: None }.limit()?;
    let filter = TicketFilter { station_id: station.map(|s| s.0), status, limit };
    with_lines(state, store::tickets(&state.db, actor.rid(), &filter).await?).await
}

/// How many of each item the open tickets (of a station, or all) still need, most first.
pub async fn all_day(
    actor: &Actor,
    state: &AppState,
    station: Option<StationId>,
    limit: Option<i64>,
) -> ApiResult<Vec<AllDayCount>> {
    let tickets = tickets(actor, state, station, WhichTickets::Open, limit).await?;
    let mut counts: BTreeMap<(String, uuid::Uuid), i64> = BTreeMap::new();
    for t in tickets {
        for l in t.items.into_iter().filter(|l| !l.voided) {
            *counts.entry((l.name, l.item_id)).or_default() += l.quantity;
        }
    }
    let mut out: Vec<AllDayCount> =
        counts.into_iter().map(|((name, item_id), quantity)| AllDayCount { item_id, name, quantity }).collect();
    out.sort_by(|a, b| b.quantity.cmp(&a.quantity).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Marks a ticket done (`kitchen:work`). The last open ticket of an order makes the
/// order ready.
pub async fn bump(actor: &Actor, state: &AppState, id: TicketId) -> ApiResult<TicketView> {
    set_ticket(actor, state, id, true).await
}

/// Reopens a bumped ticket (`kitchen:work`); a ready order goes back to preparing.
pub async fn recall(actor: &Actor, state: &AppState, id: TicketId) -> ApiResult<TicketView> {
    set_ticket(actor, state, id, false).await
}

async fn set_ticket(actor: &Actor, state: &AppState, id: TicketId, bumped: bool) -> ApiResult<TicketView> {
    actor.require(Permission::KitchenWork)?;
    let now = state.clock.now();
    let rid = actor.rid();
    let mut tx = state.db.begin(rid).await?;
    let ticket = store::ticket_tx(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    let order = order_store::get_for_update(&mut tx, rid, ticket.order_id)
        .await?
        .ok_or_else(|| ApiError::not_found("order"))?;
    let status = order.status;
    if !bumped && status.is_final() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::OrderClosed,
            format!("order #{} is {status}; its tickets cannot be recalled", order.number),
        ));
    }
    let by = actor.acted_by();
    if !store::set_ticket_status(&mut tx, id.0, bumped, &by.encode(), now).await? {
        let what = if bumped { "already bumped" } else { "not bumped" };
        return Err(ApiError::conflict(crate::error::ErrorCode::TicketUnchanged, format!("this ticket is {what}")));
    }
    let kind = if bumped { "kds.ticket_bumped" } else { "kds.ticket_recalled" };
    let payload =
        json!({ "ticket_id": id, "order_id": order.id, "order_number": order.number, "station_id": ticket.station_id });
    actor.record(&mut tx, kind, "kds_ticket", id.0, payload, now).await?;
    let siblings = store::tickets_of_order(&mut tx, order.id).await?;
    let mut after = After::NOTHING;
    if bumped
        && siblings.iter().all(|t| t.status == TicketStatus::Bumped)
        && status.transition(OrderStatus::Ready).is_ok()
    {
        after = transition(state, &mut tx, order, OrderStatus::Ready, None, by, now).await?.1;
    } else if !bumped && status == OrderStatus::Ready {
        after = transition(state, &mut tx, order, OrderStatus::Preparing, Some("ticket recalled"), by, now).await?.1;
    }
    let ticket = store::ticket_tx(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    state.commit(tx, after).await?;
    with_lines(state, vec![ticket]).await?.pop().ok_or_else(|| ApiError::internal("a ticket without its view"))
}
