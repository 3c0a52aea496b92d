//! Payments and refunds of a check, for every caller (the counter screen through REST,
//! the assistant, another POS): each takes the actor, locks the order's row for the whole
//! change, and keeps `orders.amount_paid` in the same transaction as the payment or
//! refund, so a balance is never paid twice and money is never counted twice.

use super::{PaymentInput, PaymentTaken, RefundInput, RefundView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::orders::balance_of;
use crate::payments::{counts, start_refund, PaymentView};
use crate::restaurants::restaurant_tz;
use crate::{After, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::menu::business_day;
use brigade_domain::order::OrderStatus;
use brigade_domain::payments::{settle, Method, Refused};
use brigade_domain::OrderId;
use brigade_store::orders as order_store;
use brigade_store::payments::{self as pay_store, PaymentRow, RefundRow};
use brigade_store::Tx;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

/// Takes a payment on an order. Cash over the balance pays the balance and gives change;
/// any other tender over it is refused (422). Nothing left to pay is 409 `already_paid`;
/// a cancelled order takes nothing (409 `order_closed`).
pub async fn pay(actor: &Actor, state: &AppState, id: OrderId, input: PaymentInput) -> ApiResult<PaymentTaken> {
    actor.require(Permission::PaymentsTake)?;
    let rid = actor.rid();
    let now = state.clock.now();
    let mut tx = state.db.begin(rid).await?;
    let order = order_store::get_for_update(&mut tx, rid, id.0).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if input.method == Method::Card {
        return Err(ApiError::conflict(
            ErrorCode::PaymentsUnavailable,
            "no card reader is connected to Brigade here: take the card on your card machine and record it as external",
        ));
    }
    if order.status == OrderStatus::Cancelled {
        return Err(ApiError::conflict(ErrorCode::OrderClosed, "this order is cancelled; it takes no payment"));
    }
    let balance = balance_of(&order);
    let settled =
        settle(input.method, balance, input.amount, input.tip.unwrap_or(0), input.tendered).map_err(|e| match e {
            Refused::NothingDue => {
                ApiError::conflict(ErrorCode::AlreadyPaid, "this check is paid; nothing is left to pay")
            }
            Refused::Invalid(e) => e.into(),
        })?;
    let (day, restaurant_currency) = today(&mut tx, rid, now).await?;
    let payment = PaymentRow {
        id: Uuid::now_v7(),
        restaurant_id: rid,
        order_id: order.id,
        integration_id: None,
        provider: None,
        session_id: None,
        payment_intent: None,
        checkout_url: None,
        amount: settled.amount,
        currency: restaurant_currency,
        status: "paid".into(),
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
        drawer_id: None,
        business_day: Some(day),
    };
    pay_store::insert(&mut tx, &payment).await?;
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

/// Gives money back from a payment to its tender: cash and a card machine at once (the
/// person at the counter hands it back), a Stripe card through Stripe (whole, as a job
/// that survives a restart). Needs a manager's approval.
pub async fn refund(actor: &Actor, state: &AppState, payment_id: Uuid, input: RefundInput) -> ApiResult<RefundView> {
    actor.require(Permission::PaymentsTake)?;
    let reason = caps::parse_reason("reason", Some(&input.reason))?
        .ok_or_else(|| ApiError::validation("reason", "say why the money goes back"))?;
    if input.amount.is_some_and(|a| a <= 0) {
        return Err(ApiError::validation("amount", "a refund is more than zero"));
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
            format!("at most {} is left to refund of this payment", brigade_domain::money::Money(left)),
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
    Ok((business_day(now, restaurant_tz(&r)?, r.day_starts_at), r.currency))
}
