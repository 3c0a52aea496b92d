//! Payments and refunds of a check, for every caller (the counter screen through REST,
//! the assistant, another POS): each takes the actor, locks the order's row for the whole
//! change, and keeps `orders.amount_paid` in the same transaction as the payment or
//! refund, so a balance is never paid twice and money is never counted twice.

use super::{
    ByTender, CloseOut, CloseOutRefund, DiscountEntry, DrawerCloseInput, DrawerInput, DrawerMovementInput, DrawerView,
    OpenCheck, PaymentInput, PaymentTaken, RefundInput, RefundView, Tips, TipsByPerson, VoidEntry,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::jobs::{self, EnqueueOptions};
use crate::orders::balance_of;
use crate::payments::{counts, start_refund, CancelOnReader, ChargeOnReader, PaymentView};
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::money;
use brigade_domain::order::OrderStatus;
use brigade_domain::payments::{settle, Method, Refused};
use brigade_domain::OrderId;
use brigade_store::integrations as integration_store;
use brigade_store::orders as order_store;
use brigade_store::payments::{self as pay_store, DrawerMovementRow, DrawerRow, PaymentRow, RefundRow};
use brigade_store::Tx;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Takes a payment on an order. Cash over the balance pays the balance and gives change;
/// any other tender over it is refused (422). Nothing left to pay is 409 `already_paid`;
/// a cancelled order takes nothing (409 `order_closed`).
pub async fn pay(actor: &Actor, state: &AppState, id: OrderId, input: PaymentInput) -> ApiResult<PaymentTaken> {
    actor.require(Permission::PaymentsTake)?;
    let rid = actor.rid();
    let now = state.clock.now();
    if input.method != Method::Card && input.reader_id.is_some() {
        return Err(ApiError::validation("reader_id", "only a card is taken on a reader"));
    }
    let mut tx = state.db.begin(rid).await?;
    let order = order_store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let stripe = match input.method {
        Method::Card => Some(integration_store::active_of_tx(&mut tx, rid, "stripe").await?.ok_or_else(|| {
            ApiError::conflict(
                ErrorCode::PaymentsUnavailable,
                "no card reader is connected to Brigade here: take the card on your card machine and record it as external",
            )
        })?),
        _ => None,
    };
    let reader = match (input.method, input.reader_id.as_deref().map(str::trim)) {
        (Method::Card, Some(r)) if !r.is_empty() && r.len() <= 100 => Some(r.to_owned()),
        (Method::Card, _) => return Err(ApiError::validation("reader_id", "choose the card reader to take it on")),
        _ => None,
    };
    if order.status == OrderStatus::Cancelled {
        return Err(ApiError::conflict(ErrorCode::OrderClosed, "this order is cancelled; it takes no payment"));
    }
    // A card waiting on a reader holds what it asks for: nobody takes it twice.
    let held: i64 = pay_store::of_order_tx(&mut tx, order.id)
        .await?
        .iter()
        .filter(|p| p.status == "open" && p.reader_id.is_some())
        .map(|p| p.amount)
        .sum();
    let balance = balance_of(&order);
    if held > 0 && balance - held <= 0 {
        return Err(ApiError::conflict(
            ErrorCode::PaymentInProgress,
            "a card payment of this check is waiting on the reader; finish or cancel it first",
        ));
    }
    let settled = settle(input.method, balance - held, input.amount, input.tip.unwrap_or(0), input.tendered).map_err(
        |e| match e {
            Refused::NothingDue => {
                ApiError::conflict(ErrorCode::AlreadyPaid, "this check is paid; nothing is left to pay")
            }
            Refused::Invalid(e) => e.into(),
        },
    )?;
    let (day, restaurant_currency) = today(&mut tx, rid, now).await?;
    let drawer_id = match input.method {
        Method::Cash => drawer_of(actor, &mut tx, input.drawer_id).await?,
        _ if input.drawer_id.is_some() => {
            return Err(ApiError::validation("drawer_id", "only cash goes in a drawer"));
        }
        _ => None,
    };
    let on_reader = reader.is_some();
    let payment = PaymentRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        order_id: order.id,
        integration_id: stripe.as_ref().map(|s| s.id),
        provider: stripe.as_ref().map(|_| "stripe".to_owned()),
        session_id: None,
        payment_intent: None,
        checkout_url: None,
        amount: settled.amount,
        currency: restaurant_currency,
        status: if on_reader { "open" } else { "paid" }.into(),
        refund_id: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        method: input.method.as_str().into(),
        tip: settled.tip,
        tendered: settled.tendered,
        change_given: settled.change,
        refunded: 0,
        taken_by: Some(actor.acted_by().encode()),
        drawer_id,
        business_day: Some(day),
        reader_id: reader,
    };
    pay_store::insert(&mut tx, &payment).await?;
    if on_reader {
        // The reader asks for the card; the money counts when Stripe says it was paid.
        let key = format!("reader:{}", payment.id);
        let opts = EnqueueOptions { run_at: now, idempotency_key: Some(&key), restaurant_id: Some(rid) };
        jobs::enqueue(&mut tx, &ChargeOnReader { payment_id: payment.id }, opts, now).await?;
        let payload = json!({
            "order_id": order.id, "number": order.number, "payment_id": payment.id, "method": payment.method,
            "amount": settled.amount, "tip": settled.tip, "reader_id": payment.reader_id,
        });
        actor.record(&mut tx, "order.payment_pending", "order", order.id, payload, now).await?;
        state.commit(tx, After::jobs()).await?;
        return Ok(PaymentTaken { payment: PaymentView::from(payment), balance, paid: false });
    }
    order_store::add_paid(&mut tx, order.id, settled.amount, now).await?;
    let balance = balance - settled.amount;
    if balance <= 0 {
        order_store::set_payment_status(&mut tx, order.id, Some("paid"), now).await?;
    }
    let payload = json!({
        "order_id": order.id, "number": order.number, "payment_id": payment.id, "method": payment.method,
        "amount": settled.amount, "tip": settled.tip, "change": settled.change, "balance": balance,
    });
    actor.record(&mut tx, "order.payment_taken", "order", order.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    Ok(PaymentTaken { payment: PaymentView::from(payment), balance, paid: balance <= 0 })
}

/// Cancels a card payment waiting on its reader: it is `canceled` at once (what it held
/// of the balance is free), and a job tells the reader to stop asking.
pub async fn cancel_card(actor: &Actor, state: &AppState, payment_id: Uuid) -> ApiResult<PaymentView> {
    actor.require(Permission::PaymentsTake)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let found = pay_store::get_tx(&mut tx, rid, payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
    let order =
        order_store::get_for_update(&mut tx, rid, found.order_id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    let waiting = found.reader_id.is_some()
        && pay_store::set_status(
            &mut tx,
            payment_id,
            &["open"],
            "canceled",
            None,
            None,
            Some("cancelled at the counter"),
            now,
        )
        .await?;
    if !waiting {
        return Err(ApiError::conflict(ErrorCode::Conflict, "this payment is not waiting on a card reader"));
    }
    let key = format!("reader-cancel:{payment_id}");
    let opts = EnqueueOptions { run_at: now, idempotency_key: Some(&key), restaurant_id: Some(rid) };
    jobs::enqueue(&mut tx, &CancelOnReader { payment_id }, opts, now).await?;
    let payload = json!({ "order_id": order.id, "number": order.number, "payment_id": payment_id });
    actor.record(&mut tx, "order.payment_canceled", "order", order.id, payload, now).await?;
    let payment = pay_store::get_tx(&mut tx, rid, payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
    state.commit(tx, After::jobs()).await?;
    Ok(PaymentView::from(payment))
}

/// Gives money back from a payment to its tender: cash and a card machine at once (the
/// person at the counter hands it back), a Stripe card through Stripe (whole, as a job
/// that survives a restart). Needs a manager's approval.
pub async fn refund(actor: &Actor, state: &AppState, payment_id: Uuid, input: RefundInput) -> ApiResult<RefundView> {
    actor.require(Permission::PaymentsTake)?;
    let reason = caps::parse_reason("reason", Some(&input.reason))?
        .ok_or_else(|| ApiError::validation("reason", "say why the money goes back"))?;
    if let Some(a) = input.amount {
        money::amount("amount", a, 1)?;
    }
    let rid = actor.rid();
    // The payment must exist before a PIN is tried on it.
    let found = pay_store::by_id(&state.db, rid, payment_id)
        .await?
        .filter(|p| p.restaurant_id == rid)
        .ok_or_else(|| ApiError::not_found("payment"))?;
    let approved_by = actor.approve(state, input.approval.as_ref(), "a refund").await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let order =
        order_store::get_for_update(&mut tx, rid, found.order_id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    // Read again under the order's lock: another refund may have landed meanwhile.
    let payment = pay_store::get_tx(&mut tx, rid, payment_id).await?.ok_or_else(|| ApiError::not_found("payment"))?;
    if !counts(&payment) {
        return Err(ApiError::conflict(ErrorCode::Conflict, "this payment took no money; nothing to refund"));
    }
    let left = payment.amount - payment.refunded;
    if left <= 0 || payment.status == "refund_pending" {
        return Err(ApiError::conflict(ErrorCode::Conflict, "this payment has already been refunded"));
    }
    let amount = input.amount.unwrap_or(left);
    if amount > left {
        return Err(ApiError::validation(
            "amount",
            format!("at most {} is left to refund of this payment", money::Money(left)),
        ));
    }
    let (day, _) = today(&mut tx, rid, now).await?;
    let through_stripe = payment.provider.is_some();
    let status = if through_stripe {
        if amount != left {
            return Err(ApiError::validation("amount", "a card paid through Stripe is refunded whole"));
        }
        // The job asks Stripe; the payment and the order move when Stripe answers.
        start_refund(&mut tx, &order, &payment, now).await?;
        "pending"
    } else {
        if !pay_store::add_refunded(&mut tx, payment.id, amount, now).await? {
            return Err(ApiError::conflict(ErrorCode::Conflict, "this payment has already been refunded"));
        }
        order_store::add_paid(&mut tx, order.id, -amount, now).await?;
        // The check owes again: it is no longer paid (refunded when nothing is left).
        let status = if order.amount_paid - amount <= 0 { Some("refunded") } else { None };
        order_store::set_payment_status(&mut tx, order.id, status, now).await?;
        // Points earned on what was given back are taken back.
        crate::customers::service::settle_points(&mut tx, &order, now).await?;
        "done"
    };
    let refund = RefundRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        payment_id: payment.id,
        order_id: order.id,
        amount,
        reason,
        status: status.into(),
        refunded_by: actor.acted_by().encode(),
        approved_by,
        business_day: day,
        created_at: now,
    };
    pay_store::insert_refund(&mut tx, &refund).await?;
    let balance = if through_stripe { balance_of(&order) } else { balance_of(&order) + amount };
    let payload = json!({
        "order_id": order.id, "number": order.number, "payment_id": payment.id, "refund_id": refund.id,
        "method": payment.method, "amount": amount, "reason": refund.reason, "approved_by": approved_by,
        "status": status,
    });
    actor.record(&mut tx, "order.refund_made", "order", order.id, payload, now).await?;
    state.commit(tx, After::jobs()).await?;
    Ok(RefundView {
        id: refund.id,
        payment_id: refund.payment_id,
        order_id: refund.order_id,
        amount,
        reason: refund.reason,
        status: refund.status,
        approved_by,
        business_day: day,
        created_at: now,
        balance,
    })
}

/// The restaurant's business day at `now`, and its currency.
async fn today(tx: &mut Tx, rid: Uuid, now: DateTime<Utc>) -> ApiResult<(NaiveDate, String)> {
    let r = brigade_store::restaurants::get_tx(tx, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    Ok((crate::restaurants::business_days_tx(tx, &r).await?.day_of(now), r.currency))
}

/// The drawer a cash payment goes in: the one named (open, of this restaurant), else the
/// one this person opened, else the only open one, else none (no drawers are kept).
async fn drawer_of(actor: &Actor, tx: &mut Tx, named: Option<Uuid>) -> ApiResult<Option<Uuid>> {
    if let Some(id) = named {
        let d = pay_store::drawer_for_update(tx, actor.rid(), id).await?;
        return match d {
            Some(d) if d.closed_at.is_none() => Ok(Some(d.id)),
            Some(_) => Err(ApiError::validation("drawer_id", "that drawer is closed")),
            None => Err(ApiError::validation("drawer_id", "no such drawer here")),
        };
    }
    let open = pay_store::open_drawers_tx(tx, actor.rid()).await?;
    let me = actor.acted_by().encode();
    Ok(open.iter().find(|d| d.opened_by == me).or(if open.len() == 1 { open.first() } else { None }).map(|d| d.id))
}

// ---------------------------------------------------------------- cash drawers

fn drawer_view(d: DrawerRow, expected: i64, names: &HashMap<String, String>) -> DrawerView {
    DrawerView {
        opened_by_name: names.get(&d.opened_by).cloned(),
        closed_by_name: d.closed_by.as_ref().and_then(|c| names.get(c)).cloned(),
        id: d.id,
        name: d.name,
        float: d.float_amount,
        business_day: d.business_day,
        opened_by: d.opened_by,
        opened_at: d.opened_at,
        expected: d.expected.unwrap_or(expected),
        closed_at: d.closed_at,
        closed_by: d.closed_by,
        counted: d.counted,
        difference: d.counted.zip(d.expected).map(|(c, e)| c - e),
    }
}

/// Opens a cash drawer with its float; an open drawer of the same name is 409.
pub async fn open_drawer(actor: &Actor, state: &AppState, input: DrawerInput) -> ApiResult<DrawerView> {
    actor.require(Permission::PaymentsTake)?;
    let name = brigade_domain::credentials::parse_name("name", &input.name)?;
    money::amount("float", input.float, 0)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let (day, _) = today(&mut tx, rid, now).await?;
    let d = DrawerRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        name,
        float_amount: input.float,
        business_day: day,
        opened_by: actor.acted_by().encode(),
        opened_at: now,
        closed_by: None,
        closed_at: None,
        expected: None,
        counted: None,
    };
    if !pay_store::open_drawer(&mut tx, &d).await? {
        return Err(ApiError::conflict(ErrorCode::NameTaken, "an open drawer has that name; close it or pick another"));
    }
    let payload = json!({ "name": d.name, "float": d.float_amount });
    actor.record(&mut tx, "drawer.opened", "drawer", d.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    let float = d.float_amount;
    let names = drawer_names(state, rid, &d).await?;
    Ok(drawer_view(d, float, &names))
}

/// The open drawers and those opened today, with what each should hold.
pub async fn drawers(actor: &Actor, state: &AppState) -> ApiResult<Vec<DrawerView>> {
    actor.require(Permission::PaymentsTake)?;
    let rid = actor.rid();
    let mut tx = state.db.begin_read(rid).await?;
    let (day, _) = today(&mut tx, rid, state.clock.now()).await?;
    drop(tx);
    let rows = pay_store::drawers(&state.db, rid, day).await?;
    with_expected(state, rid, rows).await
}

async fn drawer_names(state: &AppState, rid: Uuid, d: &DrawerRow) -> ApiResult<HashMap<String, String>> {
    crate::actor::names(&state.db, rid, [Some(d.opened_by.clone()), d.closed_by.clone()].into_iter().flatten()).await
}

async fn with_expected(state: &AppState, rid: Uuid, rows: Vec<DrawerRow>) -> ApiResult<Vec<DrawerView>> {
    let mut tx = state.db.begin_read(rid).await?;
    let who = rows.iter().flat_map(|d| [Some(d.opened_by.clone()), d.closed_by.clone()]).flatten();
    let names = crate::actor::names(&state.db, rid, who.collect::<Vec<_>>()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for d in rows {
        let expected = match d.expected {
            Some(e) => e,
            None => pay_store::drawer_expected(&mut tx, &d).await?,
        };
        out.push(drawer_view(d, expected, &names));
    }
    Ok(out)
}

/// Cash paid into or out of an open drawer, with a reason.
pub async fn drawer_movement(
    actor: &Actor,
    state: &AppState,
    id: Uuid,
    input: DrawerMovementInput,
) -> ApiResult<DrawerView> {
    actor.require(Permission::PaymentsTake)?;
    if !matches!(input.kind.as_str(), "paid_in" | "paid_out") {
        return Err(ApiError::validation("kind", format!("'{}' is not paid_in or paid_out", input.kind)));
    }
    money::amount("amount", input.amount, 1)?;
    let reason = caps::parse_reason("reason", Some(&input.reason))?
        .ok_or_else(|| ApiError::validation("reason", "say why the cash moves"))?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let d = pay_store::drawer_for_update(&mut tx, rid, id).await?.ok_or_else(|| ApiError::not_found("drawer"))?;
    if d.closed_at.is_some() {
        return Err(ApiError::conflict(ErrorCode::Conflict, "this drawer is closed"));
    }
    let m = DrawerMovementRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        drawer_id: d.id,
        kind: input.kind,
        amount: input.amount,
        reason,
        actor: actor.acted_by().encode(),
        created_at: now,
    };
    pay_store::insert_drawer_movement(&mut tx, &m).await?;
    let payload = json!({ "drawer": d.name, "kind": m.kind, "amount": m.amount, "reason": m.reason });
    actor.record(&mut tx, "drawer.cash_moved", "drawer", d.id, payload, now).await?;
    let expected = pay_store::drawer_expected(&mut tx, &d).await?;
    state.commit(tx, After::NOTHING).await?;
    let names = drawer_names(state, rid, &d).await?;
    Ok(drawer_view(d, expected, &names))
}

/// Closes a drawer with the cash counted: what it should hold, what was counted and the
/// difference are kept, and the log says who counted it.
pub async fn close_drawer(actor: &Actor, state: &AppState, id: Uuid, input: DrawerCloseInput) -> ApiResult<DrawerView> {
    actor.require(Permission::PaymentsTake)?;
    money::amount("counted", input.counted, 0)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let d = pay_store::drawer_for_update(&mut tx, rid, id).await?.ok_or_else(|| ApiError::not_found("drawer"))?;
    let expected = pay_store::drawer_expected(&mut tx, &d).await?;
    let by = actor.acted_by().encode();
    if !pay_store::close_drawer(&mut tx, d.id, &by, expected, input.counted, now).await? {
        return Err(ApiError::conflict(ErrorCode::Conflict, "this drawer is already closed"));
    }
    let payload = json!({
        "drawer": d.name, "expected": expected, "counted": input.counted, "difference": input.counted - expected,
    });
    actor.record(&mut tx, "drawer.closed", "drawer", d.id, payload, now).await?;
    state.commit(tx, After::NOTHING).await?;
    let closed = DrawerRow {
        closed_by: Some(by),
        closed_at: Some(now),
        expected: Some(expected),
        counted: Some(input.counted),
        ..d
    };
    let names = drawer_names(state, rid, &closed).await?;
    Ok(drawer_view(closed, expected, &names))
}

// ---------------------------------------------------------------- close-out

/// The close-out of a business day (today's when `date` is none): sales, money by
/// tender, tips by who took them, voids, refunds, the checks still owing, the drawers.
pub async fn close_out(actor: &Actor, state: &AppState, date: Option<NaiveDate>) -> ApiResult<CloseOut> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let mut tx = state.db.begin_read(rid).await?;
    let (today, currency) = today(&mut tx, rid, state.clock.now()).await?;
    drop(tx);
    let day = date.unwrap_or(today);
    let orders = order_store::of_day(&state.db, rid, day).await?;
    let payments = pay_store::of_day(&state.db, rid, day).await?;
    let refunds = pay_store::refunds_of_day(&state.db, rid, day).await?;
    let drawers = with_expected(state, rid, pay_store::drawers(&state.db, rid, day).await?).await?;

    let mut by_tender = ByTender::default();
    let mut tips: std::collections::BTreeMap<String, i64> = Default::default();
    for p in payments.iter().filter(|p| counts(p)) {
        match p.method.as_str() {
            "cash" => by_tender.cash += p.amount,
            "external" => by_tender.external += p.amount,
            _ => by_tender.card += p.amount,
        }
        if p.tip != 0 {
            *tips.entry(p.taken_by.clone().unwrap_or_else(|| "guest".into())).or_default() += p.tip;
        }
    }
    let voided = order_store::voids_of_day(&state.db, rid, day).await?;
    let comped = order_store::comps_of_day(&state.db, rid, day).await?;
    let cancelled = order_store::cancellations_of_day(&state.db, rid, day).await?;
    let user = |id: Uuid| format!("user:{id}");
    let who: Vec<String> = tips
        .keys()
        .cloned()
        .chain(voided.iter().flat_map(|l| [l.voided_by.clone(), l.void_approved_by.map(user)]).flatten())
        .chain(cancelled.iter().map(|h| h.actor.clone()))
        .chain(comped.iter().flat_map(|l| [l.comp.by.clone(), l.comp.approved_by.map(user)]).flatten())
        .chain(orders.iter().flat_map(|o| [o.discount.by.clone(), o.discount.approved_by.map(user)]).flatten())
        .chain(refunds.iter().flat_map(|r| [Some(r.refunded_by.clone()), r.approved_by.map(user)]).flatten())
        .collect();
    let names = crate::actor::names(&state.db, rid, who).await?;
    let name_of = |who: &str| names.get(who).cloned();
    let by_person: Vec<TipsByPerson> = tips
        .into_iter()
        .map(|(who, tips)| TipsByPerson { name: names.get(&who).cloned(), taken_by: who, tips })
        .collect();
    let served: Vec<_> = orders.iter().filter(|o| o.status != OrderStatus::Cancelled).collect();
    let totals: HashMap<Uuid, (i64, i64)> = orders.iter().map(|o| (o.id, (o.total, o.number))).collect();
    // Cancelled orders (not those merged into another check, whose lines live on) and
    // voided lines, in the order they happened.
    let merged: std::collections::HashSet<Uuid> =
        orders.iter().filter(|o| o.merged_into.is_some()).map(|o| o.id).collect();
    let mut voids: Vec<VoidEntry> = cancelled
        .into_iter()
        .filter(|h| !merged.contains(&h.order_id))
        .map(|h| VoidEntry {
            order_id: h.order_id,
            line_id: None,
            item: None,
            at: h.at,
            by_name: name_of(&h.actor),
            by: h.actor,
            approved_by: None,
            approved_by_name: None,
            reason: h.reason,
            number: totals.get(&h.order_id).map_or(0, |t| t.1),
            amount: totals.get(&h.order_id).map_or(0, |t| t.0),
        })
        .collect();
    for l in voided {
        let by = l.voided_by.unwrap_or_default();
        voids.push(VoidEntry {
            number: totals.get(&l.order_id).map_or(0, |t| t.1),
            order_id: l.order_id,
            line_id: Some(l.id),
            at: l.voided_at.unwrap_or_default(),
            by_name: name_of(&by),
            by,
            approved_by: l.void_approved_by,
            approved_by_name: l.void_approved_by.and_then(|id| name_of(&user(id))),
            reason: l.void_reason,
            amount: l.line_total,
            item: Some(l.name),
        });
    }
    voids.sort_by_key(|v| v.at);
    let comps = comped
        .into_iter()
        .map(|l| {
            let by = l.comp.by.clone().unwrap_or_default();
            VoidEntry {
                number: totals.get(&l.order_id).map_or(0, |t| t.1),
                order_id: l.order_id,
                line_id: Some(l.id),
                item: Some(l.name),
                at: l.comp.at.unwrap_or_default(),
                by_name: name_of(&by),
                by,
                approved_by: l.comp.approved_by,
                approved_by_name: l.comp.approved_by.and_then(|id| name_of(&user(id))),
                reason: l.comp.reason,
                amount: l.line_total,
            }
        })
        .collect();
    let discounted: Vec<DiscountEntry> = served
        .iter()
        .filter(|o| o.discount.amount != 0)
        .map(|o| DiscountEntry {
            order_id: o.id,
            number: o.number,
            amount: o.discount.amount,
            percent: o.discount.bps.map(|b| b as f64 / 100.0),
            reason: o.discount.reason.clone(),
            by_name: o.discount.by.as_deref().and_then(name_of),
            by: o.discount.by.clone(),
            approved_by: o.discount.approved_by,
            approved_by_name: o.discount.approved_by.and_then(|id| name_of(&user(id))),
        })
        .collect();
    let open_checks = orders
        .iter()
        .filter(|o| balance_of(o) > 0 || (o.status.is_open() && o.status != OrderStatus::Cancelled))
        .map(|o| OpenCheck {
            order_id: o.id,
            number: o.number,
            table_id: o.table_id,
            total: o.total,
            balance: balance_of(o),
            status: o.status,
        })
        .collect();
    Ok(CloseOut {
        business_day: day,
        currency,
        orders: served.len() as i64,
        sales: served.iter().map(|o| o.total).sum(),
        tax: served.iter().map(|o| o.tax).sum(),
        tips: Tips { total: by_person.iter().map(|t| t.tips).sum(), by_person },
        by_tender,
        voids,
        refunds: refunds
            .into_iter()
            .map(|r| CloseOutRefund {
                id: r.id,
                order_id: r.order_id,
                payment_id: r.payment_id,
                amount: r.amount,
                reason: r.reason,
                status: r.status,
                refunded_by_name: name_of(&r.refunded_by),
                refunded_by: r.refunded_by,
                approved_by: r.approved_by,
                approved_by_name: r.approved_by.and_then(|id| name_of(&user(id))),
                at: r.created_at,
            })
            .collect(),
        comps,
        discounts: discounted.iter().map(|d| d.amount).sum(),
        discounted,
        open_checks,
        drawers,
    })
}

/// The close-out as CSV: one row per figure, section first, for a spreadsheet.
pub fn close_out_csv(r: &CloseOut) -> String {
    use crate::extract::csv_field;
    use brigade_domain::money::Money;
    let mut out = String::from("section,item,amount,detail\n");
    let mut row = |section: &str, item: &str, amount: i64, detail: &str| {
        out += &format!("{section},{},{},{}\n", csv_field(item), Money(amount), csv_field(detail));
    };
    row("day", "sales", r.sales, &format!("{} orders, {} {}", r.orders, r.business_day, r.currency));
    row("day", "tax", r.tax, "");
    row("tender", "cash", r.by_tender.cash, "");
    row("tender", "external", r.by_tender.external, "");
    row("tender", "card", r.by_tender.card, "");
    row("tips", "total", r.tips.total, "");
    for t in &r.tips.by_person {
        row("tips", t.name.as_deref().unwrap_or(&t.taken_by), t.tips, &t.taken_by);
    }
    for v in &r.voids {
        let what = match &v.item {
            Some(item) => format!("{} ({item})", v.order_id),
            None => v.order_id.to_string(),
        };
        row("void", &what, v.amount, v.reason.as_deref().unwrap_or(""));
    }
    for f in &r.refunds {
        row("refund", &f.order_id.to_string(), f.amount, &f.reason);
    }
    for c in &r.comps {
        let what = format!("#{} ({})", c.number, c.item.as_deref().unwrap_or(""));
        row("comp", &what, c.amount, c.reason.as_deref().unwrap_or(""));
    }
    row("discounts", "total", r.discounts, "");
    for d in &r.discounted {
        row("discount", &format!("#{}", d.number), d.amount, d.reason.as_deref().unwrap_or(""));
    }
    for c in &r.open_checks {
        row("open_check", &format!("#{}", c.number), c.balance, c.status.as_str());
    }
    for d in &r.drawers {
        let detail = match (d.counted, d.difference) {
            (Some(c), Some(diff)) => format!("counted {}, difference {}", Money(c), Money(diff)),
            _ => "open".to_owned(),
        };
        row("drawer", &d.name, d.expected, &detail);
    }
    out
}
