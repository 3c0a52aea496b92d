//! Orders' actions and reads, for every caller (REST, the counter, the assistant, the
//! phone agent, platforms' webhooks, tests): each takes an `Actor`, checks its permission,
//! runs in a transaction for the actor's restaurant, records its events and ends with
//! `state.commit`, which does what the change owes after it commits.

use super::{
    load_views, place_order, quote_order, CancelInput, ChannelStats, HistoryView, OrderInput, OrderView, Placer, Quote,
    StatsView, StatusInput,
};
use crate::actor::{Actor, ApprovalInput};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Page, PageParams};
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::menu::Channel;
use brigade_domain::order::OrderStatus;
use brigade_domain::{OrderId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::orders::{self as store, HistoryEntry, OrderRow, StatusChange};
use brigade_store::{kds, restaurants, users, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

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

/// Prices an order as placing it would, and writes nothing: the counter's running total.
pub async fn quote(actor: &Actor, state: &AppState, input: OrderInput) -> ApiResult<Quote> {
    actor.require(Permission::OrdersWrite)?;
    quote_order(state, actor.rid(), input, actor.acted_by()).await
}

/// What `list` filters by.
#[derive(Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub channel: Option<Channel>,
    /// Only orders placed at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only this business day's orders.
    pub day: Option<chrono::NaiveDate>,
    pub table_id: Option<Uuid>,
    /// The order's number, a part of its guest's name, or their whole phone number.
    pub q: Option<String>,
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
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::validation("q", "at most 100 characters"));
    }
    // A short number ("42", "#42") finds that order; a phone number, in any spelling,
    // the orders of its guest; anything else is looked for in the guest's name (and in
    // the last four digits an order shows of their number).
    let number =
        q.filter(|q| q.starts_with('#') || q.len() <= 5).and_then(|q| q.trim_start_matches('#').parse::<i64>().ok());
    let phone = q.filter(|q| number.is_none() && crate::customers::service::looks_like_phone(q));
    let customer = match phone {
        Some(p) => Some(crate::customers::service::id_by_phone(state, actor.rid(), p).await?.unwrap_or_default()),
        None => None,
    };
    let guest = q.filter(|_| number.is_none() && customer.is_none()).map(brigade_store::like_contains);
    let filter = store::OrderFilter {
        status: filter.status.map(OrderStatus::as_str),
        channel: filter.channel.map(Channel::as_str),
        since: filter.since,
        day: filter.day,
        table_id: filter.table_id,
        number,
        guest: guest.as_deref(),
        customer_id: customer,
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

/// A guest's orders at any of the group's restaurants, newest first (each with its
/// `restaurant_id`).
pub async fn of_customer(
    actor: &Actor,
    state: &AppState,
    customer: Uuid,
    page: PageParams,
) -> ApiResult<Page<OrderView>> {
    actor.require(Permission::OrdersRead)?;
    crate::customers::service::check(actor, state, customer).await?;
    let limit = page.limit()?;
    let mut rows = brigade_store::customers::orders(&state.db, customer, page.cursor_uuid()?, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|o| o.id.to_string()) } else { None };
    let order: Vec<Uuid> = rows.iter().map(|o| o.id).collect();
    let mut by_restaurant: HashMap<Uuid, Vec<OrderRow>> = HashMap::new();
    for o in rows {
        by_restaurant.entry(o.restaurant_id).or_default().push(o);
    }
    let mut views: HashMap<Uuid, OrderView> = HashMap::new();
    for (rid, rows) in by_restaurant {
        let currency = restaurants::get(&state.db, rid).await?.map(|r| r.currency).unwrap_or_default();
        views.extend(load_views(state, rows, &currency).await?.into_iter().map(|v| (v.id, v)));
    }
    Ok(Page { items: order.iter().filter_map(|id| views.remove(id)).collect(), next_cursor })
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
    let day = crate::restaurants::business_days(&state.db, &r).await?.day_of(state.clock.now());
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
        v.sales += row.total;
        c.sales += row.total;
        if let Some(ready) = row.ready_at {
            let m = (ready - row.created_at).num_seconds() as f64 / 60.0;
            ticket_minutes.push(m);
            per_channel_minutes.entry(row.channel).or_default().push(m);
        }
    }
    // Orders still open count whatever day they were placed on: one placed before the
    // day turned over is still on the pass.
    v.open = store::count_open(&state.db, actor.rid()).await?;
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
    let (order, after) = transition(state, &mut tx, order, to, reason, actor.acted_by(), now).await?;
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
/// cancelled), the guest's points and messages, and the event. Returns the order and what its commit owes.
pub async fn transition(
    state: &AppState,
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
    if to == OrderStatus::Cancelled && order.promo_discount > 0 {
        // A cancelled order gives its uses back: a code with one use left is free again.
        brigade_store::promotions::release(tx, order.id).await?;
    }
    // The guest hears that it is ready, and gets their receipt, if they asked to.
    let news = match to {
        OrderStatus::Ready => Some(crate::messages::service::OrderNews::Ready),
        OrderStatus::Completed => Some(crate::messages::service::OrderNews::Completed),
        _ => None,
    };
    if let Some(news) = news.filter(|_| order.customer_id.is_some()) {
        let now_order = OrderRow { status: to, ..order.clone() };
        crate::messages::service::order_news(tx, state, &now_order, news, now).await?;
        after = after.and(After::jobs());
    }
    if order.customer_id.is_some() && (to.is_final() || from == OrderStatus::Completed) {
        // Points earned on completion; those spent come back on a cancel.
        let settled = OrderRow { status: to, ..order.clone() };
        crate::customers::service::settle_points(tx, &settled, now).await?;
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

// ---------------------------------------------------------------- checks: rounds, voids, tables, merges, splits

/// Whether an order can still be changed at the counter: it is open in the kitchen (or
/// served and not yet closed).
fn editable(order: &OrderRow) -> ApiResult<()> {
    if order.status.is_open() {
        return Ok(());
    }
    Err(ApiError::conflict(
        crate::error::ErrorCode::OrderClosed,
        format!("order #{} is {}; it can no longer be changed", order.number, order.status),
    ))
}

/// Prices an order again from its lines that are not voided, keeping the share of an
/// evenly split check, and writes the totals.
async fn reprice(tx: &mut Tx, order: &mut OrderRow, now: DateTime<Utc>) -> ApiResult<()> {
    let r = restaurants::get_tx(tx, order.restaurant_id).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let rule = brigade_domain::money::TaxRule { rate_bps: r.tax_rate_bps, inclusive: r.tax_inclusive };
    let lines = store::lines_tx(tx, order.id).await?;
    let sum: i64 = lines.iter().map(store::LineRow::charged).sum();
    // A discount is worked out on what the lines come to now, before tax.
    let d = &order.discount;
    let given = match (d.bps, d.fixed) {
        (Some(bps), _) => (sum * bps + 5_000) / 10_000,
        (None, Some(fixed)) => fixed,
        (None, None) => 0,
    };
    // The promotions and the guest's points come off too (as they were when the order
    // was placed), never below nothing.
    let discount = (given + order.promo_discount + order.points_discount).clamp(0, sum.max(0));
    let taxed = rule.apply(brigade_domain::money::Money(sum - discount));
    let subtotal = taxed.subtotal.0 + order.adjust_subtotal;
    let tax = taxed.tax.0 + order.adjust_tax;
    if subtotal < 0 || tax < 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckSplit,
            "this check is split evenly and would go below zero: merge its parts back first",
        ));
    }
    let total = if rule.inclusive { subtotal } else { subtotal + tax };
    let totals = store::Totals {
        subtotal,
        tax,
        total,
        adjust_subtotal: order.adjust_subtotal,
        adjust_tax: order.adjust_tax,
        discount,
    };
    store::set_totals(tx, order.id, &totals, now).await?;
    order.discount.amount = discount;
    (order.subtotal, order.tax, order.total, order.updated_at) = (subtotal, tax, total, now);
    Ok(())
}

/// Adds a round to an open check: its lines are priced and checked as any order's (an
/// 86'd item is 409), and fired to the kitchen as new tickets holding only them; the
/// earlier tickets are untouched. A ready order goes back to preparing.
pub async fn add_round(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    items: Vec<super::LineInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let rid = actor.rid();
    let found = store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let prepared = prepare_round(state, actor, &found, items).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    let after = fire_round(state, &mut tx, actor, &mut order, &prepared, now).await?;
    state.commit(tx, after).await?;
    view(state, actor, order).await
}

/// New lines for an open check, checked and priced before its lock is taken.
async fn prepare_round(
    state: &AppState,
    actor: &Actor,
    order: &OrderRow,
    items: Vec<super::LineInput>,
) -> ApiResult<super::Prepared> {
    let input = super::OrderInput {
        channel: order.channel,
        kind: order.kind,
        table_id: None,
        customer: None,
        items,
        special_instructions: None,
        external_id: None,
        external_total: None,
        redeem_points: None,
        reward_id: None,
        points_proof: None,
        promo_code: None,
    };
    let mut prepared = super::prepare(state, actor.rid(), input, super::Placer::new(actor.acted_by(), None)).await?;
    // A round is not an order: promotions were weighed when the check was opened.
    prepared.offer = Default::default();
    Ok(prepared)
}

/// Adds a round to a locked open check in `tx`: its lines priced and checked (an 86'd
/// item is 409), fired as new tickets holding only them, stock taken, the check repriced,
/// and a ready order back to preparing.
async fn fire_round(
    state: &AppState,
    tx: &mut Tx,
    actor: &Actor,
    order: &mut OrderRow,
    prepared: &super::Prepared,
    now: DateTime<Utc>,
) -> ApiResult<After> {
    let rid = order.restaurant_id;
    let checked = match super::check(tx, prepared, now, &mut super::Held::default()).await {
        Ok(super::Check::Ready(c)) => c,
        Ok(super::Check::Existing(_)) => return Err(ApiError::internal("a round has no idempotency key")),
        Err(super::WriteFailure::Refused(e) | super::WriteFailure::Failed(e)) => return Err(e),
    };
    let existing = store::lines_tx(tx, order.id).await?;
    if existing.len() + checked.lines.len() > brigade_domain::order::MAX_LINES {
        let message = format!("a check has at most {} lines", brigade_domain::order::MAX_LINES);
        return Err(ApiError::validation("items", message));
    }
    let round = existing.iter().map(|l| l.round).max().unwrap_or(0) + 1;
    let first = existing.iter().map(|l| l.position).max().map_or(0, |p| p + 1);
    let (lines, tickets) = super::fire(checked.lines, order, round, first);
    store::insert_lines(tx, &lines).await?;
    kds::insert_tickets(tx, &tickets, now).await?;
    reprice(tx, order, now).await?;
    let mut after = After::NOTHING;
    let takes_stock_now =
        prepared.restaurant.inventory_depletes_on == "created" || order.status != OrderStatus::Received;
    if takes_stock_now {
        let sold = lines.iter().map(crate::inventory::SoldLine::of).collect();
        let stock = [(rid, order.id, sold, actor.acted_by())];
        if !crate::inventory::deplete_orders(tx, &stock, now).await?.is_empty() {
            after = After::menu(rid);
        }
    }
    let fired: Vec<_> = tickets.iter().map(|(id, _, _, station)| json!({ "id": id, "station_id": station })).collect();
    let payload = json!({
        "order_id": order.id, "number": order.number, "round": round, "tickets": fired,
        "items": lines.iter().map(|l| json!({ "id": l.id, "name": l.name, "quantity": l.quantity, "seat": l.seat })).collect::<Vec<_>>(),
        "total": order.total,
    });
    actor.record(tx, "order.round_added", "order", order.id, payload, now).await?;
    if order.status == OrderStatus::Ready {
        let reason = Some("a round was added");
        let (o, a) =
            transition(state, tx, order.clone(), OrderStatus::Preparing, reason, actor.acted_by(), now).await?;
        *order = o;
        after = after.and(a);
    }
    Ok(after)
}

/// One line of a check as a client wants it after a change (`PUT …/orders/{id}`): an
/// existing line by its `id`, or a new one without.
pub struct WantedLine {
    pub id: Option<Uuid>,
    pub line: super::LineInput,
}

/// Changes an open check to the lines given, telling the kitchen only of the change: new
/// lines and more of a line fire as a new round; a line left out is voided (a manager's
/// approval and a reason, as any void); a line's notes or seat change in place on its
/// ticket. All of it or nothing. A line keeps its item and options, and is not made
/// smaller (void it and add what is kept).
pub async fn update(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    wanted: Vec<WantedLine>,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let rid = actor.rid();
    let found = store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let current: Vec<store::LineRow> =
        store::lines(&state.db, rid, &[found.id]).await?.into_iter().filter(|l| !l.is_voided()).collect();
    // What changes, worked out before the lock and checked again under it.
    let mut seen = std::collections::HashSet::new();
    let mut added = Vec::new();
    let mut details = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        let Some(line_id) = w.id else {
            added.push(w.line.clone());
            continue;
        };
        let field = |f: &str| format!("items[{i}].{f}");
        let Some(l) = current.iter().find(|l| l.id == line_id) else {
            return Err(ApiError::validation(field("id"), "no such line on this check (or it is voided)"));
        };
        if !seen.insert(line_id) {
            return Err(ApiError::validation(field("id"), "this line is named twice"));
        }
        let mut options: Vec<Uuid> = l.modifiers.0.iter().map(|m| m.option_id).collect();
        let mut wanted_options = w.line.modifiers.clone();
        options.sort();
        wanted_options.sort();
        if w.line.item_id != l.item_id || options != wanted_options {
            return Err(ApiError::validation(
                field("item_id"),
                "a sent line keeps its item and options: leave it out (void it) and add the new one",
            ));
        }
        if w.line.quantity < l.quantity {
            return Err(ApiError::validation(
                field("quantity"),
                "a sent line is not made smaller: leave it out (void it) and add what is kept",
            ));
        }
        if w.line.quantity > l.quantity {
            added.push(super::LineInput { quantity: w.line.quantity - l.quantity, ..w.line.clone() });
        }
        let notes = caps::bounded_text("notes", w.line.notes.as_deref(), caps::NOTES)?;
        if notes != l.notes || w.line.seat != l.seat {
            if w.line.seat.is_some_and(|s| !(1..=super::MAX_SEAT).contains(&s)) {
                return Err(ApiError::validation(field("seat"), format!("a seat is 1 to {}", super::MAX_SEAT)));
            }
            details.push((l.id, notes, w.line.seat));
        }
    }
    let removed: Vec<Uuid> = current.iter().filter(|l| !seen.contains(&l.id)).map(|l| l.id).collect();
    if removed.len() == current.len() && added.is_empty() {
        return Err(ApiError::validation("items", "a check keeps at least one line: cancel the order instead"));
    }
    let reason = caps::parse_reason("reason", reason)?;
    let approved_by = if removed.is_empty() {
        None
    } else {
        if reason.is_none() {
            return Err(ApiError::validation("reason", "say why the lines left out are voided"));
        }
        actor.approve(state, approval, "voiding a line sent to the kitchen").await?
    };
    let prepared = if added.is_empty() { None } else { Some(prepare_round(state, actor, &found, added).await?) };
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    let lines = store::lines_tx(&mut tx, order.id).await?;
    if lines.iter().filter(|l| !l.is_voided()).map(|l| l.id).collect::<std::collections::HashSet<_>>()
        != current.iter().map(|l| l.id).collect()
    {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::Conflict,
            "the check changed meanwhile: read it again and resend",
        ));
    }
    let by = actor.acted_by().encode();
    let mut after = After::NOTHING;
    let gone: Vec<store::LineRow> = lines.iter().filter(|l| removed.contains(&l.id)).cloned().collect();
    for l in &gone {
        store::void_line(&mut tx, l.id, reason.as_deref().unwrap_or_default(), &by, approved_by, now).await?;
    }
    if !gone.is_empty() && crate::inventory::return_lines(&mut tx, rid, order.id, &gone, actor.acted_by(), now).await? {
        after = After::menu(rid);
    }
    for (line, notes, seat) in &details {
        store::set_line_details(&mut tx, *line, notes.as_deref(), *seat).await?;
    }
    match &prepared {
        Some(p) => after = after.and(fire_round(state, &mut tx, actor, &mut order, p, now).await?),
        None => reprice(&mut tx, &mut order, now).await?,
    }
    if crate::orders::balance_of(&order) < 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckHasPayments,
            "more has been paid than the check would come to: refund first",
        ));
    }
    let payload = json!({
        "order_id": order.id, "number": order.number, "voided": removed, "reason": reason,
        "approved_by": approved_by, "changed": details.iter().map(|d| d.0).collect::<Vec<_>>(), "total": order.total,
    });
    actor.record(&mut tx, "order.updated", "order", order.id, payload, now).await?;
    state.commit(tx, after).await?;
    view(state, actor, order).await
}

/// Voids a line of a check with a reason: it stays on the check for the record, out of
/// its total; its ingredients go back to stock if they were taken; the kitchen sees it
/// struck. A line already sent needs a manager (signed in, or their PIN).
pub async fn void_line(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    line_id: Uuid,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let reason = caps::parse_reason("reason", reason)?
        .ok_or_else(|| ApiError::validation("reason", "say why the line is voided"))?;
    let rid = actor.rid();
    store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let approved_by = actor.approve(state, approval, "voiding a line sent to the kitchen").await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    let lines = store::lines_tx(&mut tx, order.id).await?;
    let line = lines.iter().find(|l| l.id == line_id).ok_or_else(|| ApiError::not_found("line"))?;
    if !store::void_line(&mut tx, line.id, &reason, &actor.acted_by().encode(), approved_by, now).await? {
        return Err(ApiError::conflict(crate::error::ErrorCode::Conflict, "this line is already voided"));
    }
    if lines.iter().all(|l| l.id == line.id || l.is_voided()) {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::Conflict,
            "this is the check's last line: cancel the order instead",
        ));
    }
    reprice(&mut tx, &mut order, now).await?;
    let mut after = After::NOTHING;
    if crate::inventory::return_lines(&mut tx, rid, order.id, std::slice::from_ref(line), actor.acted_by(), now).await?
    {
        after = After::menu(rid);
    }
    let payload = json!({
        "order_id": order.id, "number": order.number, "line_id": line.id, "name": line.name,
        "quantity": line.quantity, "amount": line.line_total, "reason": reason, "approved_by": approved_by,
        "ticket_id": line.ticket_id, "station_id": line.station_id, "total": order.total,
    });
    actor.record(&mut tx, "order.line_voided", "order", order.id, payload, now).await?;
    state.commit(tx, after).await?;
    view(state, actor, order).await
}

/// Moves a check to another table (or to none).
pub async fn move_table(actor: &Actor, state: &AppState, id: OrderId, table: Option<Uuid>) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    if let Some(t) = table {
        if brigade_store::tables::get_tx(&mut tx, rid, t).await?.is_none() {
            return Err(ApiError::validation("table_id", "no such table in this restaurant"));
        }
    }
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if order.status == OrderStatus::Cancelled {
        return Err(ApiError::conflict(crate::error::ErrorCode::OrderClosed, "this order is cancelled"));
    }
    store::set_table(&mut tx, order.id, table, now).await?;
    let payload = json!({ "order_id": order.id, "number": order.number, "from": order.table_id, "to": table });
    actor.record(&mut tx, "order.moved", "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    (order.table_id, order.updated_at) = (table, now);
    view(state, actor, order).await
}

fn no_money_taken(o: &OrderRow) -> ApiResult<()> {
    if o.amount_paid != 0 || o.payment_status.is_some() {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckHasPayments,
            format!("check #{} has payments: refund them before merging or splitting it", o.number),
        ));
    }
    // Whose share of a discount would be whose is not for Brigade to guess.
    if o.discount.is_set() || o.points_redeemed > 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::Conflict,
            format!("check #{} has a discount: take it off before merging or splitting, then give it again", o.number),
        ));
    }
    Ok(())
}

/// Comps a line: it stays on the check, served and taken from stock, at no charge. Needs
/// a manager (signed in, or their PIN), and a reason.
pub async fn comp_line(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    line_id: Uuid,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let reason =
        caps::parse_reason("reason", reason)?.ok_or_else(|| ApiError::validation("reason", "say why it is comped"))?;
    let rid = actor.rid();
    store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let approved_by = actor.approve(state, approval, "a comp").await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    let lines = store::lines_tx(&mut tx, order.id).await?;
    let line = lines.iter().find(|l| l.id == line_id).ok_or_else(|| ApiError::not_found("line"))?;
    if !store::comp_line(&mut tx, line.id, &reason, &actor.acted_by().encode(), approved_by, now).await? {
        return Err(ApiError::conflict(crate::error::ErrorCode::Conflict, "this line is voided or comped already"));
    }
    reprice(&mut tx, &mut order, now).await?;
    if crate::orders::balance_of(&order) < 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckHasPayments,
            "more has been paid than the check would come to: refund first",
        ));
    }
    let payload = json!({
        "order_id": order.id, "number": order.number, "line_id": line.id, "name": line.name,
        "quantity": line.quantity, "amount": line.line_total, "reason": reason, "approved_by": approved_by,
        "total": order.total,
    });
    actor.record(&mut tx, "order.line_comped", "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    view(state, actor, order).await
}

/// Opens a closed (completed) check again, to add to it, take a payment or correct it: it
/// is served and owes what it owes. Needs a manager, and a reason; a cancelled order
/// stays cancelled.
pub async fn reopen(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let reason = caps::parse_reason("reason", reason)?
        .ok_or_else(|| ApiError::validation("reason", "say why the check is opened again"))?;
    let rid = actor.rid();
    store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let approved_by = actor.approve(state, approval, "reopening a closed check").await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if !store::reopen(&mut tx, order.id, now).await? {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::InvalidTransition,
            format!("only a closed (completed) check is opened again; this one is {}", order.status.as_str()),
        ));
    }
    let actor_s = actor.acted_by().encode();
    let entry = store::HistoryEntry {
        restaurant_id: rid,
        order_id: order.id,
        from: Some("completed"),
        to: "ready",
        actor: &actor_s,
        reason: Some(&reason),
        at: now,
    };
    store::insert_history(&mut tx, &entry).await?;
    (order.status, order.completed_at, order.updated_at) = (OrderStatus::Ready, None, now);
    // What it earned goes until it is closed again.
    crate::customers::service::settle_points(&mut tx, &order, now).await?;
    let payload = json!({
        "order_id": order.id, "number": order.number, "reason": reason, "approved_by": approved_by,
        "from": "completed", "to": "ready",
    });
    actor.record(&mut tx, "order.reopened", "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    view(state, actor, order).await
}

/// What a discount is: a share of the check, or an amount off it.
pub enum DiscountSize {
    /// Basis points: 1000 is 10 %.
    Percent(i64),
    Amount(i64),
}

/// Gives a check a discount (replacing any it had), with a reason; needs a manager. The
/// total is worked out again, tax after the discount; a share follows the check as
/// rounds are added. `None` takes the discount off (no approval needed to charge more).
pub async fn discount(
    actor: &Actor,
    state: &AppState,
    id: OrderId,
    size: Option<DiscountSize>,
    reason: Option<&str>,
    approval: Option<&ApprovalInput>,
) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    let rid = actor.rid();
    let (bps, fixed) = match size {
        Some(DiscountSize::Percent(bps)) if (1..=10_000).contains(&bps) => (Some(bps), None),
        Some(DiscountSize::Percent(_)) => return Err(ApiError::validation("percent", "a discount is 0.01 to 100 %")),
        Some(DiscountSize::Amount(a)) => (None, Some(brigade_domain::money::amount("amount", a, 1)?)),
        None => (None, None),
    };
    let given = bps.is_some() || fixed.is_some();
    let reason = caps::parse_reason("reason", reason)?;
    if given && reason.is_none() {
        return Err(ApiError::validation("reason", "say why the check is discounted"));
    }
    store::get(&state.db, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let approved_by = if given { actor.approve(state, approval, "a discount").await? } else { None };
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    if order.adjust_subtotal != 0 || order.adjust_tax != 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckSplit,
            "this check is a part of an even split: discount the check before splitting it",
        ));
    }
    order.discount = store::Discount {
        amount: 0,
        bps,
        fixed,
        reason: reason.clone(),
        by: given.then(|| actor.acted_by().encode()),
        approved_by,
    };
    store::set_discount(&mut tx, order.id, &order.discount).await?;
    reprice(&mut tx, &mut order, now).await?;
    if crate::orders::balance_of(&order) < 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckHasPayments,
            "more has been paid than the check would come to: refund first",
        ));
    }
    let payload = json!({
        "order_id": order.id, "number": order.number, "percent_bps": bps, "amount_fixed": fixed,
        "discount": order.discount.amount, "reason": reason, "approved_by": approved_by, "total": order.total,
    });
    let kind = if given { "order.discounted" } else { "order.discount_removed" };
    actor.record(&mut tx, kind, "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    view(state, actor, order).await
}

/// Merges another check into this one: its lines, kitchen tickets and stock move here,
/// and it is closed as merged. Checks with payments are not merged (409).
pub async fn merge(actor: &Actor, state: &AppState, id: OrderId, other: OrderId) -> ApiResult<OrderView> {
    actor.require(Permission::OrdersWrite)?;
    if id == other {
        return Err(ApiError::validation("order_id", "a check cannot be merged into itself"));
    }
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    // Locked in id order, so two merges of the same pair cannot deadlock.
    let (first, second) = if id.0 < other.0 { (id.0, other.0) } else { (other.0, id.0) };
    let a = store::get_for_update(&mut tx, rid, first).await?;
    let b = store::get_for_update(&mut tx, rid, second).await?;
    let (mut target, source) = match (a, b) {
        (Some(a), Some(b)) if a.id == id.0 => (a, b),
        (Some(a), Some(b)) => (b, a),
        _ => return Err(ApiError::not_found("order")),
    };
    editable(&target)?;
    editable(&source)?;
    no_money_taken(&target)?;
    no_money_taken(&source)?;
    store::move_all(&mut tx, source.id, target.id).await?;
    crate::inventory::move_sales(&mut tx, source.id, target.id).await?;
    let reason = format!("merged into #{}", target.number);
    store::set_merged(&mut tx, source.id, target.id, &reason, now).await?;
    let by = actor.acted_by().encode();
    let entry = HistoryEntry {
        restaurant_id: rid,
        order_id: source.id,
        from: Some(source.status.as_str()),
        to: OrderStatus::Cancelled.as_str(),
        actor: &by,
        reason: Some(&reason),
        at: now,
    };
    store::insert_history(&mut tx, &entry).await?;
    target.adjust_subtotal += source.adjust_subtotal;
    target.adjust_tax += source.adjust_tax;
    reprice(&mut tx, &mut target, now).await?;
    let payload = json!({ "order_id": target.id, "number": target.number, "merged": source.id,
        "merged_number": source.number, "total": target.total });
    actor.record(&mut tx, "order.merged", "order", target.id, payload, now).await?;
    let mut after = After::NOTHING;
    let open_tickets = kds::tickets_of_order(&mut tx, target.id)
        .await?
        .iter()
        .any(|t| t.status == brigade_domain::kds::TicketStatus::Open);
    if target.status == OrderStatus::Ready && open_tickets {
        let why = Some("a check with open tickets was merged in");
        let (o, a) = transition(state, &mut tx, target, OrderStatus::Preparing, why, actor.acted_by(), now).await?;
        target = o;
        after = a;
    }
    state.commit(tx, after).await?;
    view(state, actor, target).await
}

/// How a check is split.
pub enum Split {
    /// One check per seat; lines with no seat stay.
    Seat,
    /// `n` equal parts of the total; the lines stay on the first.
    Even(i64),
    /// One check per group of line ids; lines named in no group stay.
    Items(Vec<Vec<Uuid>>),
}

/// Splits a check. The first of the checks returned is this one. Checks with payments
/// are not split (409); a split that does not add up is 422 and changes nothing.
pub async fn split(actor: &Actor, state: &AppState, id: OrderId, how: Split) -> ApiResult<Vec<OrderView>> {
    actor.require(Permission::OrdersWrite)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let mut order = store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    editable(&order)?;
    no_money_taken(&order)?;
    if order.adjust_subtotal != 0 || order.adjust_tax != 0 {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::CheckSplit,
            "this check is split evenly: merge its parts back before splitting it again",
        ));
    }
    let lines: Vec<_> = store::lines_tx(&mut tx, order.id).await?.into_iter().filter(|l| !l.is_voided()).collect();
    // Each new check: the lines it takes, and its share (subtotal, tax) when even.
    let mut parts: Vec<(Vec<Uuid>, (i64, i64))> = Vec::new();
    match how {
        Split::Seat => {
            let mut seats: std::collections::BTreeMap<i64, Vec<Uuid>> = Default::default();
            for l in &lines {
                if let Some(s) = l.seat {
                    seats.entry(s).or_default().push(l.id);
                }
            }
            let mut groups: Vec<Vec<Uuid>> = seats.into_values().collect();
            if groups.len() + usize::from(lines.iter().any(|l| l.seat.is_none())) < 2 {
                return Err(ApiError::validation("by", "the check's lines are not on two seats or more"));
            }
            if lines.iter().all(|l| l.seat.is_some()) {
                groups.remove(0);
            }
            parts.extend(groups.into_iter().map(|g| (g, (0, 0))));
        }
        Split::Items(groups) => {
            let mut seen = std::collections::HashSet::new();
            for (i, g) in groups.iter().enumerate() {
                if g.is_empty() {
                    return Err(ApiError::validation(format!("groups[{i}]"), "a group names at least one line"));
                }
                for line in g {
                    if !lines.iter().any(|l| l.id == *line) {
                        let why = format!("{line} is not a line of this check that is not voided");
                        return Err(ApiError::validation(format!("groups[{i}]"), why));
                    }
                    if !seen.insert(*line) {
                        return Err(ApiError::validation(format!("groups[{i}]"), format!("{line} is in two groups")));
                    }
                }
            }
            let mut groups = groups;
            if seen.len() == lines.len() {
                groups.remove(0);
            }
            if groups.is_empty() {
                return Err(ApiError::validation("groups", "a split makes at least two checks"));
            }
            parts.extend(groups.into_iter().map(|g| (g, (0, 0))));
        }
        Split::Even(ways) => {
            if !(2..=20).contains(&ways) {
                return Err(ApiError::validation("ways", "split in 2 to 20 parts"));
            }
            let share = |amount: i64, k: i64| amount / ways + i64::from(k < amount % ways);
            order.adjust_subtotal = share(order.subtotal, 0) - order.subtotal;
            order.adjust_tax = share(order.tax, 0) - order.tax;
            parts.extend((1..ways).map(|k| (Vec::new(), (share(order.subtotal, k), share(order.tax, k)))));
        }
    }
    let count = parts.len() as i64;
    let first_number = store::reserve_numbers(&mut tx, rid, order.business_day, count).await? - count + 1;
    let by = actor.acted_by().encode();
    let mut made = Vec::with_capacity(parts.len());
    for (k, (line_ids, (adj_subtotal, adj_tax))) in parts.into_iter().enumerate() {
        let mut part = OrderRow {
            id: Uuid::now_v7(),
            number: first_number + k as i64,
            tracking_key: brigade_domain::credentials::new_secret("").chars().take(22).collect(),
            idempotency_key: None,
            external_id: None,
            external_total: None,
            payment_status: None,
            amount_paid: 0,
            subtotal: 0,
            tax: 0,
            total: 0,
            adjust_subtotal: adj_subtotal,
            adjust_tax: adj_tax,
            merged_into: None,
            split_from: Some(order.id),
            customer_id: order.customer_id,
            points_redeemed: 0,
            points_discount: 0,
            points_reward: None,
            promo_discount: 0,
            promotions: None,
            discount: Default::default(),
            created_by: by.clone(),
            created_at: now,
            updated_at: now,
            ..order.clone()
        };
        store::insert(&mut tx, &part).await?;
        store::move_lines(&mut tx, &line_ids, part.id).await?;
        let moved: Vec<_> = lines.iter().filter(|l| line_ids.contains(&l.id)).cloned().collect();
        crate::inventory::transfer_lines(&mut tx, rid, order.id, part.id, &moved, actor.acted_by(), now).await?;
        let reason = format!("split from #{}", order.number);
        let entry = HistoryEntry {
            restaurant_id: rid,
            order_id: part.id,
            from: None,
            to: part.status.as_str(),
            actor: &by,
            reason: Some(&reason),
            at: now,
        };
        store::insert_history(&mut tx, &entry).await?;
        reprice(&mut tx, &mut part, now).await?;
        made.push(part);
    }
    reprice(&mut tx, &mut order, now).await?;
    let payload = json!({
        "order_id": order.id, "number": order.number,
        "into": made.iter().map(|p| json!({ "order_id": p.id, "number": p.number, "total": p.total })).collect::<Vec<_>>(),
        "total": order.total,
    });
    actor.record(&mut tx, "order.split", "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    made.insert(0, order);
    views(state, actor, made).await
}
