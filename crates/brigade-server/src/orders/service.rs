//! Orders' actions and reads, for every caller (REST, the counter, the assistant, the
//! phone agent, platforms' webhooks, tests): each takes an `Actor`, checks its permission,
//! runs in a transaction for the actor's restaurant, records its events and ends with
//! `state.commit`, which does what the change owes after it commits.

use super::{
    load_views, place_order, CancelInput, ChannelStats, HistoryView, OrderInput, OrderView, Placer, StatsView,
    StatusInput,
};
use crate::actor::{Actor, ApprovalInput};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Page, PageParams};
use crate::restaurants::restaurant_tz;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::menu::{business_day, Channel};
use brigade_domain::order::OrderStatus;
use brigade_domain::{OrderId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::orders::{self as store, HistoryEntry, OrderRow, StatusChange};
use brigade_store::{kds, restaurants, users, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;

/// Places an order as a member (staff at the counter, an integration's key): priced and
/// checked as every order is (an 86'd item is 409, bad modifiers 422). With an
/// idempotency key already used, the order it made is returned, not a second one.
pub async fn create(
    actor: &Actor,
    state: &AppState,
    input: OrderInput,
    idempotency_key: Option<String>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    place_order(state, actor.rid(), input, Placer::new(actor.acted_by(), idempotency_key)).await
}

/// What `list` filters by.
#[derive(Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<Channel>,
    /// Only orders placed at or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// Orders, newest first, by status, channel or time if asked, a page at a time.
pub async fn list(
    actor: &Actor,
    state: &AppState,
    filter: OrderFilter,
    page: PageParams,
) -> ApiResult<Page<OrderView>> {
    actor.require(Permission::OrdersRead)?;
    let limit = page.limit()?;
    let filter = store::OrderFilter {
        status: filter.status.map(OrderStatus::as_str),
        channel: filter.channel.map(Channel::as_str),
        since: filter.since,
        before: page.cursor_uuid()?,
        open_only: false,
        limit: limit + 1,
    };
    let mut rows = store::list(&state.db, actor.rid(), &filter).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|o| o.id.to_string()) } else { None };
    Ok(Page { items: views(state, actor, rows).await?, next_cursor })
}

async fn views(state: &AppState, actor: &Actor, rows: Vec<OrderRow>) -> ApiResult<Vec<OrderView>> {
    let currency = restaurants::get(&state.db, actor.rid()).await?.map(|r| r.currency).unwrap_or_default();
    load_views(state, rows, &currency).await
}

async fn view(state: &AppState, actor: &Actor, row: OrderRow) -> ApiResult<OrderView> {
    views(state, actor, vec![row]).await?.pop().ok_or_else(|| ApiError::internal("an order without its view"))
}

/// One order as the REST API shows it; 404 when it is not this restaurant's.
pub async fn get(actor: &Actor, state: &AppState, id: OrderId) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersRead)?;
    let row = store::get(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    view(state, actor, row).await
}

/// An order's status changes, oldest first.
pub async fn history(actor: &Actor, state: &AppState, id: OrderId) -> ApiResult<Vec<HistoryView>> {
    actor.require(Permission::OrdersRead)?;
    store::get(&state.db, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let rows = store::history(&state.db, actor.rid(), id.0).await?;
    Ok(rows
        .into_iter()
        .map(|h| HistoryView { from: h.from_status, to: h.to_status, by: h.actor, reason: h.reason, at: h.at })
        .collect())
}

/// Open orders, oldest first: what the floor and the kitchen work through.
pub async fn queue(actor: &Actor, state: &AppState, limit: Option<i64>) -> ApiResult<Page<OrderView>> {
    if !actor.allows(Permission::OrdersRead) && !actor.allows(Permission::KitchenWork) {
        actor.require(Permission::OrdersRead)?;
    }
    let limit = PageParams { limit, cursor: None }.limit()?;
    let rows = store::queue(&state.db, actor.rid(), limit).await?;
    Ok(Page { items: views(state, actor, rows).await?, next_cursor: None })
}

/// Today's numbers: orders, sales, what is open, ticket times, by channel and status
/// (the restaurant's business day).
pub async fn stats(actor: &Actor, state: &AppState) -> ApiResult<StatsView> {
    actor.require(Permission::OrdersRead)?;
    let r = restaurants::get(&state.db, actor.rid()).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let day = business_day(state.clock.now(), restaurant_tz(&r)?, r.day_starts_at);
    let rows = store::day_stats(&state.db, actor.rid(), day).await?;
    let mut v = StatsView {
        business_day: day,
        orders: 0,
        cancelled: 0,
        open: 0,
        sales: 0,
        average_order: None,
        avg_ticket_minutes: None,
        by_channel: HashMap::new(),
        by_status: HashMap::new(),
    };
    let mut ticket_minutes: Vec<f64> = Vec::new();
    let mut per_channel_minutes: HashMap<Channel, Vec<f64>> = HashMap::new();
    for row in rows {
        v.orders += 1;
        *v.by_status.entry(row.status.as_str().to_owned()).or_default() += 1;
        let c: &mut ChannelStats = v.by_channel.entry(row.channel.as_str().to_owned()).or_default();
        c.orders += 1;
        if row.status == OrderStatus::Cancelled {
            v.cancelled += 1;
            continue;
        }
        if row.status.is_open() {
            v.open += 1;
        }
        v.sales += row.total;
        c.sales += row.total;
        if let Some(ready) = row.ready_at {
            let m = (ready - row.created_at).num_seconds() as f64 / 60.0;
            ticket_minutes.push(m);
            per_channel_minutes.entry(row.channel).or_default().push(m);
        }
    }
    let served = v.orders - v.cancelled;
    v.average_order = (served > 0).then(|| v.sales / served);
    v.avg_ticket_minutes = mean(&ticket_minutes);
    for (channel, minutes) in per_channel_minutes {
        if let Some(c) = v.by_channel.get_mut(channel.as_str()) {
            c.avg_ticket_minutes = mean(&minutes);
        }
    }
    Ok(v)
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| (xs.iter().sum::<f64>() / xs.len() as f64 * 10.0).round() / 10.0)
}

/// Moves an order to `input.status` through the state machine (an invalid step is 409
/// `invalid_transition`). The kitchen may take the kitchen's steps (accepted, preparing,
/// ready); anything else needs `orders:write`.
pub async fn set_status(actor: &Actor, state: &AppState, id: OrderId, input: &StatusInput) -> ApiResult<OrderView> {
    let to = input.status;
    let reason = caps::parse_reason("reason", input.reason.as_deref())?;
    let kitchen_step = matches!(to, OrderStatus::Accepted | OrderStatus::Preparing | OrderStatus::Ready);
    if !(actor.allows(Permission::OrdersWrite) || kitchen_step && actor.allows(Permission::KitchenWork)) {
        actor.require(Permission::OrdersWrite)?;
    }
    change(actor, state, id, to, reason.as_deref(), input.approval.as_ref()).await
}

/// Cancels an order (not after it is completed): stock comes back, a card payment is
/// refunded by a job, the kitchen's tickets close. A paid order needs a manager.
pub async fn cancel(actor: &Actor, state: &AppState, id: OrderId, input: CancelInput) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let reason = caps::parse_reason("reason", input.reason.as_deref())?;
    change(
        actor,
        state,
        id,
        OrderStatus::Cancelled,
        Some(reason.as_deref().unwrap_or("cancelled")),
        input.approval.as_ref(),
    )
    .await
}

/// Whether money was taken for an order: at the counter or by card through Brigade, or
/// by the delivery platform it came from. Cancelling such an order needs a manager.
pub fn paid_for(o: &OrderRow) -> bool {
    o.amount_paid > 0 || o.payment_status.as_deref() == Some("paid") || o.channel.is_delivery_platform()
}

async fn change(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    to: OrderStatus,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    // A PIN is checked before the write lock is taken (it is slow on purpose), and the
    // need for it again under the lock: a payment may have landed in between.
    let mut approved = None;
    if to == OrderStatus::Cancelled {
        let order = store::by_id(&state.db, actor.rid(), id.0).await?.filter(|o| o.restaurant_id == actor.rid());
        if order.as_ref().is_some_and(paid_for) {
            approved = Some(actor.approve(state, approval, "cancelling a paid order").await?);
        }
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let order = store::get_for_update(&mut tx, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if to == OrderStatus::Cancelled && paid_for(&order) && approved.is_none() {
        return Err(ApiError::Forbidden {
            code: crate::error::ErrorCode::ApprovalRequired,
            message: "this order was paid meanwhile: cancelling it needs a manager".into(),
        });
    }
    let number = order.number;
    let (order, after) = transition(&mut tx, order, to, reason, actor.acted_by(), now).await?;
    if let Some(Some(manager)) = approved.filter(|m| *m != actor.user_id().map(|u| u.0)) {
        let payload = json!({ "what": "cancel", "order_id": order.id, "number": number, "approved_by": manager });
        actor.record(&mut tx, "order.approved", "order", order.id, payload, now).await?;
    }
    state.commit(tx, after).await?;
    view(state, actor, order).await
}

/// Applies one status change in `tx`: the state machine's check, the row, the history,
/// the stock (taken when the kitchen accepts, given back on a cancel, which may 86 or
/// bring back menu items), a refund owed, the tickets (closed when the order is done or
/// cancelled), and the event. Returns the order and what its commit owes.
pub async fn transition(
    tx: &mut Tx,
    mut order: OrderRow,
    to: OrderStatus,
    reason: Option<&str>,
    actor: ActedBy,
    now: DateTime<Utc>,
) -> ApiResult<(OrderRow, After)> {
    let from = order.status;
    from.transition(to).map_err(|e| ApiError::Conflict {
        code: crate::error::ErrorCode::InvalidTransition,
        message: e.to_string(),
        details: json!({ "from": from, "to": to }),
    })?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty()).map(|r| r.chars().take(300).collect::<String>());
    let cancel_reason = (to == OrderStatus::Cancelled).then(|| reason.clone().unwrap_or_else(|| "cancelled".into()));
    let change = StatusChange {
        to: to.as_str(),
        cancel_reason: cancel_reason.as_deref(),
        ready_at: (to == OrderStatus::Ready).then_some(now),
        completed_at: (to == OrderStatus::Completed).then_some(now),
        at: now,
    };
    if !store::set_status(tx, order.id, from.as_str(), &change).await? {
        return Err(ApiError::conflict(crate::error::ErrorCode::Conflict, "the order changed meanwhile; reload it"));
    }
    let actor_s = actor.encode();
    let entry = HistoryEntry {
        restaurant_id: order.restaurant_id,
        order_id: order.id,
        from: Some(from.as_str()),
        to: to.as_str(),
        actor: &actor_s,
        reason: reason.as_deref(),
        at: now,
    };
    store::insert_history(tx, &entry).await?;
    let mut after = After::NOTHING;
    if to == OrderStatus::Cancelled {
        crate::inventory::restore_order(tx, order.restaurant_id, order.id, actor, now).await?;
        crate::payments::refund_if_paid(tx, &order, now).await?;
        after = After::menu(order.restaurant_id).and(After::jobs());
    } else if from == OrderStatus::Received {
        crate::inventory::on_order_accepted(tx, order.restaurant_id, order.id, actor, now).await?;
        after = After::menu(order.restaurant_id).and(After::jobs());
    }
    if to.is_final() {
        kds::close_tickets_of_order(tx, order.id, &actor_s, now).await?;
    }
    events::record(
        tx,
        NewEvent {
            restaurant_id: Some(order.restaurant_id),
            kind: "order.status_changed",
            entity: "order",
            entity_id: Some(order.id),
            actor,
            payload: json!({ "order_id": order.id, "number": order.number, "from": from, "to": to, "reason": reason }),
            at: now,
        },
    )
    .await?;
    order.status = to;
    order.updated_at = now;
    if to == OrderStatus::Ready {
        order.ready_at = Some(now);
    }
    if to == OrderStatus::Completed {
        order.completed_at = Some(now);
    }
    if let Some(r) = cancel_reason {
        order.cancel_reason = Some(r);
    }
    Ok((order, after))
}

/// Gives an order to a member of the restaurant to look after (or to nobody).
pub async fn assign(actor: &Actor, state: &AppState, id: OrderId, to: Option<UserId>) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    if let Some(uid) = to {
        if users::role_in(&state.db, actor.rid(), uid.0).await?.is_none() {
            return Err(ApiError::validation("user_id", "not a member of this restaurant"));
        }
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    let mut order =
        store::get_for_update(&mut tx, actor.rid(), id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let user = to.map(|u| u.0);
    store::assign(&mut tx, actor.rid(), id.0, user, now).await?;
    let payload = json!({ "order_id": id, "number": order.number, "assigned_to": user });
    actor.record(&mut tx, "order.assigned", "order", id.0, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    order.assigned_to = user;
    order.updated_at = now;
    view(state, actor, order).await
}
