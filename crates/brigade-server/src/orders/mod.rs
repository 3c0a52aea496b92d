//! Orders from every channel through one path.
//!
//! `place_order` is the one way an order is made, whoever sends it (staff, a guest at a
//! table, a delivery app): it reads the items inside the order's transaction (share-locked
//! on PostgreSQL, so an 86 that committed first always wins), checks each against the
//! availability rule, prices it from the menu, numbers it for the business day, splits it
//! into kitchen tickets by station, and writes it with its `order.new` event in one
//! commit. Status changes go through the domain's state machine and write
//! `order.status_changed`.

use crate::actor::Actor;
use crate::actor::ApprovalInput;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Page, PageParams, Path, Query};
use crate::payments::PaymentView;
use crate::restaurants::restaurant_tz;
use crate::schema;
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use brigade_domain::caps;
use brigade_domain::credentials::new_secret;
use brigade_domain::menu::{channel_price, is_orderable, unavailable_option, Channel, Sellable};
use brigade_domain::money::{Money, TaxRule};
use brigade_domain::order::{
    parse_quantity, price_line, price_order, OrderStatus, OrderType, PricingError, MAX_LINES, MAX_SEAT,
};
use brigade_domain::{OrderId, UserId};
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::orders::{self as store, HistoryEntry, LineModifier, LineRow, OrderRow};
use brigade_store::payments::{self as pay_store, PaymentRow};
use brigade_store::System;
use brigade_store::{kds, menu as menu_store, restaurants, tables, Tx};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::types::Json as DbJson;
use std::collections::HashMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub mod service;
pub mod writer;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(quote))
        .routes(routes!(get_order, cancel_order, update_order))
        .routes(routes!(change_status))
        .routes(routes!(order_history))
        .routes(routes!(assign_order))
        .routes(routes!(add_round))
        .routes(routes!(void_line))
        .routes(routes!(comp_line))
        .routes(routes!(reopen_order))
        .routes(routes!(give_discount, remove_discount))
        .routes(routes!(move_order))
        .routes(routes!(merge_order))
        .routes(routes!(split_order))
        .routes(routes!(order_queue))
        .routes(routes!(order_stats))
        .routes(routes!(public_order))
        .routes(routes!(customer_orders))
}

// ---------------------------------------------------------------- views

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct ModifierView {
    pub option_id: Uuid,
    pub group: String,
    pub name: String,
    pub price_delta: i64,
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct LineView {
    pub id: Uuid,
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    pub modifiers: Vec<ModifierView>,
    pub notes: Option<String>,
    pub station_id: Option<Uuid>,
    /// Set when the line was taken although Brigade could not sell it then (86'd, or not
    /// on this channel): an order from a platform whose guest had already paid.
    pub flag: Option<String>,
    /// The guest's seat at the table.
    pub seat: Option<i64>,
    /// 1 for the lines the order was placed with, then one more per round added.
    pub round: i64,
    /// The kitchen ticket it was fired on.
    pub ticket_id: Option<Uuid>,
    /// A voided line stays on the check for the record and does not count in its total.
    pub voided: bool,
    pub void_reason: Option<String>,
    pub voided_at: Option<DateTime<Utc>>,
    /// Given on the house: served, at no charge (`line_total` is what it would have cost).
    pub comped: bool,
    pub comp_reason: Option<String>,
}

impl From<LineRow> for LineView {
    fn from(l: LineRow) -> Self {
        LineView {
            id: l.id,
            item_id: l.item_id,
            name: l.name,
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            modifiers: l
                .modifiers
                .0
                .into_iter()
                .map(|m| ModifierView {
                    option_id: m.option_id,
                    group: m.group,
                    name: m.name,
                    price_delta: m.price_delta,
                })
                .collect(),
            notes: l.notes,
            station_id: l.station_id,
            flag: l.flag,
            seat: l.seat,
            round: l.round,
            ticket_id: l.ticket_id,
            voided: l.voided_at.is_some(),
            void_reason: l.void_reason,
            voided_at: l.voided_at,
            comped: l.comp.at.is_some(),
            comp_reason: l.comp.reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema, Clone)]
pub struct OrderView {
    pub id: Uuid,
    pub restaurant_id: Uuid,
    pub number: i64,
    pub business_day: chrono::NaiveDate,
    #[schema(value_type = schema::OrderStatus)]
    pub status: OrderStatus,
    #[schema(value_type = schema::Channel)]
    pub channel: Channel,
    #[serde(rename = "type")]
    #[schema(value_type = schema::OrderType)]
    pub kind: OrderType,
    pub table_id: Option<Uuid>,
    /// The guest as the order gives them: `name`, `phone` masked to its last four digits
    /// (`•••• 0018`), delivery `address`. Their profile is `customer_id`'s.
    #[schema(value_type = Option<Object>)]
    pub customer: Option<Value>,
    /// The guest's customer profile, when the order gave a phone number or email.
    pub customer_id: Option<Uuid>,
    pub special_instructions: Option<String>,
    pub items: Vec<LineView>,
    /// What comes off what its lines come to, before tax: the check's discount given by
    /// a manager, the promotions (`promo_discount`) and the loyalty points spent
    /// (`points_discount`).
    pub discount: i64,
    /// The discount as a share (per cent), when it is one.
    pub discount_percent: Option<f64>,
    pub discount_reason: Option<String>,
    /// Loyalty points the guest spent on this order, and what they took off (part of
    /// `discount`).
    pub points_redeemed: i64,
    pub points_discount: i64,
    /// The reward those points bought (`reward_id`), by its name.
    pub points_reward: Option<String>,
    /// What promotions took off (part of `discount`), and each with the lines it came
    /// from.
    pub promo_discount: i64,
    pub promotions: Vec<crate::promotions::PromotionUsed>,
    /// After the discount: what tax is worked out on.
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub currency: String,
    pub estimated_ready_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub assigned_to: Option<Uuid>,
    /// Lets a guest follow this order without signing in.
    pub tracking_key: String,
    pub external_id: Option<String>,
    /// What the guest paid the platform the order came from (minor units), as the
    /// platform said: Brigade prices the order itself (`total`); this is for
    /// reconciling with the platform's statement.
    pub external_total: Option<i64>,
    /// null (pay at the counter, or paid on the platform the order came from), `pending`
    /// (a card checkout is open), `paid`, `refund_pending`, `refunded`, `refund_failed`.
    pub payment_status: Option<String>,
    /// Whether its payments cover its total (a cancelled order owes nothing and is not
    /// paid).
    pub paid: bool,
    /// What is left to pay (minor units): the total less what payments cover, net of
    /// refunds. Negative when more was taken than is owed (a cancelled paid order whose
    /// refund has not been made).
    pub balance: i64,
    /// Its payments, oldest first.
    pub payments: Vec<PaymentView>,
    /// The check this one was split from.
    pub split_from: Option<Uuid>,
    /// The check this one was merged into (this one is then cancelled and empty).
    pub merged_into: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What is left to pay on an order: nothing is owed on a cancelled one, nor here on one
/// from a delivery platform (its guest paid the platform).
pub fn balance_of(o: &OrderRow) -> i64 {
    let owed = if o.status == OrderStatus::Cancelled || o.channel.is_delivery_platform() { 0 } else { o.total };
    owed - o.amount_paid
}

pub fn order_view(o: OrderRow, lines: Vec<LineRow>, payments: Vec<PaymentRow>, currency: &str) -> OrderView {
    let balance = balance_of(&o);
    OrderView {
        paid: o.status != OrderStatus::Cancelled && balance <= 0,
        balance,
        payments: payments.into_iter().map(PaymentView::from).collect(),
        id: o.id,
        restaurant_id: o.restaurant_id,
        number: o.number,
        business_day: o.business_day,
        status: o.status,
        channel: o.channel,
        kind: o.kind,
        table_id: o.table_id,
        customer: o.customer.map(|c| c.0),
        customer_id: o.customer_id,
        special_instructions: o.special_instructions,
        items: lines.into_iter().map(LineView::from).collect(),
        discount: o.discount.amount,
        discount_percent: o.discount.bps.map(|b| b as f64 / 100.0),
        discount_reason: o.discount.reason.clone(),
        points_redeemed: o.points_redeemed,
        points_discount: o.points_discount,
        points_reward: o.points_reward.clone(),
        promo_discount: o.promo_discount,
        promotions: o.promotions.clone().map(|p| p.0.into_iter().map(Into::into).collect()).unwrap_or_default(),
        subtotal: o.subtotal,
        tax: o.tax,
        total: o.total,
        currency: currency.to_owned(),
        estimated_ready_at: o.estimated_ready_at,
        ready_at: o.ready_at,
        completed_at: o.completed_at,
        cancel_reason: o.cancel_reason,
        assigned_to: o.assigned_to,
        tracking_key: o.tracking_key,
        external_id: o.external_id,
        external_total: o.external_total,
        payment_status: o.payment_status,
        split_from: o.split_from,
        merged_into: o.merged_into,
        created_at: o.created_at,
        updated_at: o.updated_at,
    }
}

pub(crate) async fn load_views(state: &AppState, rows: Vec<OrderRow>, currency: &str) -> ApiResult<Vec<OrderView>> {
    let ids: Vec<Uuid> = rows.iter().map(|o| o.id).collect();
    let mut lines: HashMap<Uuid, Vec<LineRow>> = HashMap::new();
    let Some(rid) = rows.first().map(|o| o.restaurant_id) else { return Ok(Vec::new()) };
    for l in store::lines(&state.db, rid, &ids).await? {
        lines.entry(l.order_id).or_default().push(l);
    }
    let mut payments: HashMap<Uuid, Vec<PaymentRow>> = HashMap::new();
    for p in pay_store::of_orders(&state.db, rid, &ids).await? {
        payments.entry(p.order_id).or_default().push(p);
    }
    Ok(rows
        .into_iter()
        .map(|o| {
            let l = lines.remove(&o.id).unwrap_or_default();
            let p = payments.remove(&o.id).unwrap_or_default();
            order_view(o, l, p, currency)
        })
        .collect())
}

// ---------------------------------------------------------------- placing orders

pub use crate::customers::CustomerInput;

#[derive(Deserialize, ToSchema, Clone)]
pub struct LineInput {
    pub item_id: Uuid,
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
    /// Chosen option ids; an option may repeat if its group's max allows.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub modifiers: Vec<Uuid>,
    #[schema(max_length = 500)]
    pub notes: Option<String>,
    /// The guest's seat at the table (1 to 99), for dine-in checks split by seat.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 99)]
    pub seat: Option<i64>,
}

#[derive(Deserialize, ToSchema, Clone)]
pub struct OrderInput {
    #[schema(value_type = schema::Channel)]
    pub channel: Channel,
    #[serde(rename = "type")]
    #[schema(value_type = schema::OrderType)]
    pub kind: OrderType,
    pub table_id: Option<Uuid>,
    pub customer: Option<CustomerInput>,
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<LineInput>,
    #[schema(max_length = 1000)]
    pub special_instructions: Option<String>,
    /// The order's id on the platform it came from.
    pub external_id: Option<String>,
    /// What the guest paid that platform, in minor units, if it says (kept beside
    /// Brigade's own `total` for reconciliation).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 99999999)]
    pub external_total: Option<i64>,
    /// Loyalty points of the guest's (given by `customer`'s phone or email) to spend on
    /// this order: whole rewards only, taken off before tax. Staff redeem for the guest
    /// in front of them; a guest online proves the points are theirs with `points_proof`.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100000000)]
    pub redeem_points: Option<i64>,
    /// Or one of the loyalty program's rewards, by its id: an amount off, or one of its
    /// items on this order free. Not with `redeem_points`.
    #[serde(default)]
    pub reward_id: Option<Uuid>,
    #[serde(default)]
    pub points_proof: Option<PointsProof>,
    /// A promotion code (any case). One that does not apply is 422 `promo_invalid`, with
    /// the reason; automatic promotions apply without one.
    #[serde(default)]
    #[schema(max_length = 32)]
    pub promo_code: Option<String>,
}

/// One of the guest's earlier orders and its tracking key: what lets a guest who is not
/// signed in spend their points.
#[derive(Debug, Deserialize, ToSchema, Clone)]
pub struct PointsProof {
    pub order_id: Uuid,
    #[schema(max_length = 64)]
    pub key: String,
}

/// Who placed an order, for the event log and the history.
pub struct Placer {
    pub actor: ActedBy,
    pub idempotency_key: Option<String>,
    /// The guest already paid elsewhere (a delivery platform): an item Brigade cannot
    /// sell now is still taken, its line flagged for the kitchen, instead of refused.
    pub prepaid: bool,
}

impl Placer {
    pub fn new(actor: ActedBy, idempotency_key: Option<String>) -> Placer {
        Placer { actor, idempotency_key, prepaid: false }
    }
}

/// An order parsed and checked as far as it can be without the write lock.
pub struct Prepared {
    rid: Uuid,
    channel: Channel,
    kind: OrderType,
    input: OrderInput,
    quantities: Vec<u32>,
    guest: crate::customers::service::OrderGuest,
    redeem: Option<crate::customers::service::Redemption>,
    offer: crate::promotions::service::Offer,
    categories: HashMap<Uuid, menu_store::CategoryRow>,
    restaurant: restaurants::RestaurantRow,
    tz: Tz,
    /// Which business day the order is numbered in (a night past the turnover keeps
    /// its evening's).
    days: brigade_domain::hours::BusinessDays,
    ahead: i64,
    /// Busy mode's minutes on every ready time quoted.
    busy_minutes: i64,
    placer: Placer,
}

/// Places an order: the one path for every channel. The order is checked here, then
/// written by the restaurant's order writer (see `writer`).
pub async fn place_order(state: &AppState, rid: Uuid, input: OrderInput, placer: Placer) -> ApiResult<OrderView> {
    let prepared = prepare(state, rid, input, placer).await?;
    state.order_writer.submit(prepared).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLine {
    pub item_id: Uuid,
    pub name: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub line_total: i64,
    pub modifiers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    /// What comes off before tax: the promotions and the loyalty points redeemed.
    pub discount: i64,
    pub points_redeemed: i64,
    pub points_discount: i64,
    /// The reward the points buy (`reward_id`), by name.
    pub points_reward: Option<String>,
    /// The promotions the order would get (the code given, and automatic ones).
    pub promotions: Vec<QuotePromotion>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub currency: String,
    /// When it would be ready if placed now (busy mode's extra minutes included).
    pub estimated_ready_at: DateTime<Utc>,
}

/// A promotion a quoted order would get: what it takes off, from which of the quote's
/// `lines` (indexes).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuotePromotion {
    pub promotion_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    #[schema(value_type = String)]
    pub kind: brigade_domain::promotion::Kind,
    pub amount: i64,
    pub lines: Vec<usize>,
}

/// Prices an order exactly as placing it would (same checks, same errors: an 86'd item
/// is 409, bad modifiers 422) and writes nothing. For carts that show real totals.
pub async fn quote_order(state: &AppState, rid: Uuid, input: OrderInput, by: ActedBy) -> ApiResult<Quote> {
    let prepared = prepare(state, rid, input, Placer::new(by, None)).await?;
    let mut tx = state.db.begin_read(rid).await?;
    let checked = match check(&mut tx, &prepared, state.clock.now(), &mut Held::default()).await {
        Ok(Check::Ready(c)) => c,
        Ok(Check::Existing(_)) => return Err(ApiError::internal("a quote has no idempotency key")),
        Err(WriteFailure::Refused(e) | WriteFailure::Failed(e)) => return Err(e),
    };
    drop(tx);
    let promotions = checked
        .promos
        .used
        .iter()
        .map(|(p, a)| QuotePromotion {
            promotion_id: p.id,
            name: p.name.clone(),
            code: p.code.clone(),
            kind: brigade_domain::promotion::Kind::parse(&p.kind).unwrap_or(brigade_domain::promotion::Kind::Amount),
            amount: a.amount,
            lines: a.lines.clone(),
        })
        .collect();
    let spent = checked.points.unwrap_or_default();
    let discount = checked.promos.amount() + spent.discount;
    Ok(Quote {
        lines: checked
            .lines
            .into_iter()
            .map(|CheckedLine { priced: l, name, .. }| QuoteLine {
                item_id: l.item_id,
                name,
                quantity: i64::from(l.quantity),
                unit_price: l.unit_price.0,
                line_total: l.line_total.0,
                modifiers: l.modifiers.into_iter().map(|(_, _, option, _)| option).collect(),
            })
            .collect(),
        discount,
        points_redeemed: spent.points,
        points_discount: spent.discount,
        points_reward: spent.reward,
        promotions,
        subtotal: checked.totals.subtotal.0,
        tax: checked.totals.tax.0,
        total: checked.totals.total.0,
        currency: prepared.restaurant.currency,
        estimated_ready_at: estimate_ready(state.clock.now(), checked.max_prep, prepared.ahead)
            + Duration::minutes(prepared.busy_minutes),
    })
}

async fn prepare(state: &AppState, rid: Uuid, input: OrderInput, placer: Placer) -> ApiResult<Prepared> {
    let (channel, kind) = (input.channel, input.kind);
    if input.items.is_empty() {
        return Err(ApiError::validation("items", "an order needs at least one item"));
    }
    if input.items.len() > MAX_LINES {
        return Err(ApiError::validation("items", format!("an order has at most {MAX_LINES} lines")));
    }
    let mut quantities = Vec::with_capacity(input.items.len());
    for (i, l) in input.items.iter().enumerate() {
        quantities.push(
            parse_quantity("quantity", l.quantity)
                .map_err(|e| ApiError::validation(format!("items[{i}].quantity"), e.message))?,
        );
        if l.notes.as_deref().is_some_and(|n| n.chars().count() > caps::NOTES) {
            let message = format!("notes are at most {} characters", caps::NOTES);
            return Err(ApiError::validation(format!("items[{i}].notes"), message));
        }
        if l.modifiers.len() > caps::MODIFIERS_PER_LINE {
            let message = format!("at most {} options on one line", caps::MODIFIERS_PER_LINE);
            return Err(ApiError::validation(format!("items[{i}].modifiers"), message));
        }
        if l.seat.is_some_and(|s| !(1..=MAX_SEAT).contains(&s)) {
            return Err(ApiError::validation(format!("items[{i}].seat"), format!("a seat is 1 to {MAX_SEAT}")));
        }
    }
    caps::bounded_text("special_instructions", input.special_instructions.as_deref(), caps::INSTRUCTIONS)?;
    if let Some(t) = input.external_total {
        brigade_domain::money::amount("external_total", t, 0)?;
    }
    // Reads that need no lock happen before the write, so the writer does only what must
    // be serialised: in one snapshot, one round trip to open it.
    let mut read = state.db.begin_read(rid).await?;
    if let Some(table) = input.table_id {
        if tables::get_tx(&mut read, rid, table).await?.is_none() {
            return Err(ApiError::validation("table_id", "no such table in this restaurant"));
        }
    }
    let categories = menu_store::categories_tx(&mut read, rid).await?.into_iter().map(|c| (c.id, c)).collect();
    let restaurant = restaurants::get_tx(&mut read, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = restaurant_tz(&restaurant)?;
    // A platform priced its own order: Brigade's promotions are not for it.
    let offer = if placer.prepaid {
        Default::default()
    } else {
        let code = input.promo_code.as_deref();
        crate::promotions::service::offer(&mut read, rid, code, channel, state.clock.now(), tz).await?
    };
    let guest =
        crate::customers::service::order_guest(state, &restaurant, channel, input.customer.as_ref(), placer.prepaid)?;
    // The queue length only shapes the estimate; it need not be read under the lock.
    let ahead = store::open_count(&mut read, rid, 60).await?;
    let busy = brigade_store::busy::get_tx(&mut read, rid).await?.filter(|b| b.on_at(state.clock.now()));
    let hours = brigade_store::hours::get_tx(&mut read, rid).await?;
    drop(read);
    let days = brigade_domain::hours::BusinessDays::new(tz, restaurant.day_starts_at, hours.as_ref());
    if let Some(hours) = hours.as_ref().filter(|_| channel.keeps_hours()) {
        let now = state.clock.now();
        let open = crate::restaurants::service::open_at(Some(hours), now, tz);
        if !open.open {
            let when = open
                .opens_at
                .map(|at| format!("; it opens {}", crate::restaurants::service::when_it_opens(at, now, tz)))
                .unwrap_or_default();
            return Err(ApiError::conflict(
                crate::error::ErrorCode::Closed,
                format!("the restaurant is closed now{when}"),
            ));
        }
    }
    use crate::customers::service::Spend;
    let spend = match (input.redeem_points, input.reward_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::validation("reward_id", "redeem points or a reward, not both"));
        }
        (Some(points), None) => Some(Spend::Points(points)),
        (None, Some(id)) => Some(Spend::Reward(id)),
        (None, None) => None,
    };
    let redeem = match spend {
        Some(spend) => {
            let staff = matches!(placer.actor, ActedBy::User(_) | ActedBy::ApiKey(_));
            let proof = input.points_proof.as_ref().map(|p| (p.order_id, p.key.as_str()));
            let contact = guest.contact.as_ref();
            Some(crate::customers::service::redemption(state, &restaurant, spend, contact, staff, proof).await?)
        }
        None => None,
    };
    if busy.as_ref().is_some_and(|b| b.paused_channels.0.contains(&channel)) && !placer.prepaid {
        return Err(ApiError::conflict(
            crate::error::ErrorCode::ChannelPaused,
            format!("not taking {channel} orders right now; the kitchen is catching up"),
        ));
    }
    let busy_minutes = busy.map_or(0, |b| b.extra_minutes);
    Ok(Prepared {
        rid,
        channel,
        kind,
        input,
        quantities,
        guest,
        redeem,
        offer,
        categories,
        restaurant,
        tz,
        days,
        ahead,
        busy_minutes,
        placer,
    })
}

/// What earlier orders of the batch being checked were promised, written with the batch
/// after every check: loyalty points by customer, and uses of promotions.
#[derive(Default)]
pub struct Held {
    points: HashMap<Uuid, i64>,
    uses: crate::promotions::service::HeldUses,
}

/// An order checked under the lock and priced, ready to insert.
pub struct Checked {
    lines: Vec<CheckedLine>,
    totals: brigade_domain::money::Taxed,
    max_prep: i64,
    /// Points redeemed, what they take off, and the reward they bought.
    points: Option<Spent>,
    /// The promotions the order gets.
    promos: crate::promotions::service::Chosen,
}

/// Loyalty points an order spends: how many, what they take off (minor units, before
/// tax), and the reward they bought by name (none for the program's standing reward).
#[derive(Default)]
pub struct Spent {
    points: i64,
    discount: i64,
    reward: Option<String>,
}

/// One line as checked: priced, named, routed, with its notes and any flag.
struct CheckedLine {
    priced: brigade_domain::order::PricedLine,
    name: String,
    station: Option<Uuid>,
    notes: Option<String>,
    flag: Option<String>,
    seat: Option<i64>,
}

/// What checking an order under the lock came to.
pub enum Check {
    Ready(Checked),
    /// The Idempotency-Key was used before: that order.
    Existing(Box<OrderRow>),
}

/// Why an order was not written: refused by the rules (nothing was written, the
/// transaction is still good for other orders), or a database failure.
pub enum WriteFailure {
    Refused(ApiError),
    Failed(ApiError),
}

impl<E: Into<ApiError>> From<E> for WriteFailure {
    fn from(e: E) -> Self {
        WriteFailure::Failed(e.into())
    }
}

/// Checks one order in `tx` at `now`: reads its items under the lock (share-locked on
/// PostgreSQL, so an 86 that committed first always wins), checks each against the
/// availability rule and prices it. Writes nothing.
pub async fn check(tx: &mut Tx, p: &Prepared, now: DateTime<Utc>, held: &mut Held) -> Result<Check, WriteFailure> {
    let rid = p.rid;
    if let Some(key) = &p.placer.idempotency_key {
        if let Some(existing) = store::by_idempotency_key(tx, rid, key).await? {
            return Ok(Check::Existing(Box::new(existing)));
        }
    }
    let ids: Vec<Uuid> = p.input.items.iter().map(|l| l.item_id).collect();
    let items: HashMap<Uuid, menu_store::ItemRow> =
        menu_store::items_for_order(tx, rid, &ids).await?.into_iter().map(|i| (i.id, i)).collect();
    let refuse = WriteFailure::Refused;
    let mut lines = Vec::with_capacity(p.input.items.len());
    let mut promo_lines = Vec::with_capacity(p.input.items.len());
    let mut max_prep = 0i64;
    for (i, line) in p.input.items.iter().enumerate() {
        let item = items.get(&line.item_id).ok_or_else(|| {
            refuse(ApiError::validation(format!("items[{i}].item_id"), format!("{} is not on this menu", line.item_id)))
        })?;
        let category = p.categories.get(&item.category_id);
        let sellable = Sellable {
            is_active: item.is_active,
            category_active: category.is_some_and(|c| c.is_active),
            eighty_six: item.eighty_six.as_ref().map(|e| &e.0),
            schedule: &item.schedule.0,
            channels: &item.channels.0,
            groups: &item.modifier_groups.0,
        };
        let flag = match is_orderable(&sellable, p.channel, now, p.tz) {
            Ok(()) => None,
            Err(why) if p.placer.prepaid => Some(match &why {
                brigade_domain::menu::Unavailable::EightySixed { reason, .. } => {
                    format!("86'd ({reason}), taken because the guest had paid")
                }
                other => format!("{}, taken because the guest had paid", other.reason()),
            }),
            Err(why) => {
                let until = match &why {
                    brigade_domain::menu::Unavailable::EightySixed { until, .. } => *until,
                    _ => None,
                };
                let when =
                    until.map(|u| format!(" until {}", u.with_timezone(&p.tz).format("%H:%M"))).unwrap_or_default();
                return Err(refuse(ApiError::Conflict {
                    code: crate::error::ErrorCode::ItemUnavailable,
                    message: format!("item '{}' is unavailable ({}){when}", item.name, why.reason()),
                    details: json!({ "item_id": item.id, "name": item.name, "reason": why.reason(), "until": until, "index": i }),
                }));
            }
        };
        let mut flag = flag;
        if let Some(o) = unavailable_option(&item.modifier_groups.0, &line.modifiers, p.channel, now) {
            let reason = o.eighty_six.as_ref().map(|e| e.reason.clone()).unwrap_or_default();
            if !p.placer.prepaid {
                return Err(refuse(ApiError::Conflict {
                    code: crate::error::ErrorCode::OptionUnavailable,
                    message: format!("'{}' on {} is unavailable ({reason})", o.name, item.name),
                    details: json!({ "item_id": item.id, "option_id": o.id, "name": o.name, "reason": reason, "index": i }),
                }));
            }
            flag.get_or_insert_with(|| format!("'{}' 86'd ({reason}), taken because the guest had paid", o.name));
        }
        let base = channel_price(Money(item.price), &item.channels.0, p.channel);
        // A platform's order carries its options as words (in the notes), not as
        // Brigade's option ids: the guest paid, so the line is priced without them.
        let no_groups = Vec::new();
        let groups = if p.placer.prepaid && line.modifiers.is_empty() { &no_groups } else { &item.modifier_groups.0 };
        let priced = price_line(item.id, base, groups, &line.modifiers, p.quantities[i]).map_err(|e| match e {
            PricingError::Modifier(m) => {
                refuse(ApiError::validation(format!("items[{i}].modifiers"), format!("{}: {m}", item.name)))
            }
            PricingError::Overflow => refuse(ApiError::validation("items", "the order's total is too large")),
        })?;
        max_prep = max_prep.max(item.prep_minutes);
        let station = item.station_id.or_else(|| category.and_then(|c| c.station_id));
        let (name, notes, seat) = (item.name.clone(), line.notes.clone(), line.seat);
        promo_lines.push(brigade_domain::promotion::Line {
            item_id: item.id,
            category_id: item.category_id,
            unit_price: priced.unit_price.0,
            quantity: i64::from(priced.quantity),
            total: priced.line_total.0,
        });
        lines.push(CheckedLine { priced, name, station, notes, flag, seat });
    }
    let tax = TaxRule { rate_bps: p.restaurant.tax_rate_bps, inclusive: p.restaurant.tax_inclusive };
    let lines_only = price_order(&lines.iter().map(|l| l.priced.clone()).collect::<Vec<_>>(), tax)
        .map_err(|_| refuse(ApiError::validation("items", "the order's total is too large")))?;
    // Promotions, then points, come off what the lines come to, before tax; both are
    // counted under the lock (a promotion's uses, the guest's balance), so racing orders
    // cannot use one last use or spend one balance twice.
    let contact = p.guest.contact.as_ref();
    let promos =
        crate::promotions::service::apply(tx, &p.offer, &promo_lines, contact, &held.uses).await.map_err(refuse)?;
    let sum = lines_only.subtotal.0 - promos.amount();
    let points = match (&p.redeem, contact) {
        (Some(r), Some(contact)) => {
            let value = r.value_on(lines.iter().map(|l| (l.priced.item_id, l.priced.unit_price.0))).map_err(refuse)?;
            let customer =
                crate::customers::service::hold_points(tx, contact, r.points, &held.points).await.map_err(refuse)?;
            *held.points.entry(customer).or_default() += r.points;
            Some(Spent {
                points: r.points,
                discount: value.min(sum),
                reward: r.reward.as_ref().map(|w| w.name.clone()),
            })
        }
        _ => None,
    };
    held.uses.take(&promos);
    let off = promos.amount() + points.as_ref().map_or(0, |s| s.discount);
    let totals = if off == 0 { lines_only } else { tax.apply(Money(lines_only.subtotal.0 - off)) };
    Ok(Check::Ready(Checked { lines, totals, max_prep, points, promos }))
}

/// Inserts checked orders at `now`, all at once: numbers for each restaurant's business
/// day, the orders, their lines, history, kitchen tickets and `order.new` events, a
/// handful of statements however many orders there are. Does not commit.
/// Inserts checked orders in `tx`. Returns their views and the restaurants whose menu the
/// orders changed (an item 86'd because its stock ran out): their cached public menus are
/// to be dropped once `tx` commits.
pub async fn persist(
    tx: &mut Tx,
    batch: Vec<(&Prepared, Checked)>,
    now: DateTime<Utc>,
) -> ApiResult<(Vec<OrderView>, std::collections::BTreeSet<Uuid>)> {
    // Numbers: one counter update per restaurant and day, handed out in batch order.
    let mut wanted: Vec<((Uuid, chrono::NaiveDate), i64)> = Vec::new();
    let days: Vec<chrono::NaiveDate> = batch.iter().map(|(p, _)| p.days.day_of(now)).collect();
    for ((p, _), day) in batch.iter().zip(&days) {
        match wanted.iter_mut().find(|(k, _)| *k == (p.rid, *day)) {
            Some((_, n)) => *n += 1,
            None => wanted.push(((p.rid, *day), 1)),
        }
    }
    let mut next: HashMap<(Uuid, chrono::NaiveDate), i64> = HashMap::new();
    for ((rid, day), count) in &wanted {
        let last = store::reserve_numbers(tx, *rid, *day, *count).await?;
        next.insert((*rid, *day), last - count + 1);
    }

    let mut orders = Vec::with_capacity(batch.len());
    let mut all_lines = Vec::new();
    // Orders of restaurants that take stock when an order is placed.
    let mut stock_out: Vec<(Uuid, Uuid, Vec<crate::inventory::SoldLine>, ActedBy)> = Vec::new();
    let mut tickets = Vec::new();
    let mut views = Vec::with_capacity(batch.len());
    let mut ticket_json: Vec<Vec<Value>> = Vec::with_capacity(batch.len());
    let mut promo_uses = Vec::new();
    for ((p, c), day) in batch.into_iter().zip(days) {
        let number = next.get_mut(&(p.rid, day)).map(|n| {
            *n += 1;
            *n - 1
        });
        let customer_id = match &p.guest.contact {
            Some(contact) => Some(brigade_store::customers::link(tx, contact, now).await?),
            None => None,
        };
        let order = OrderRow {
            id: Uuid::now_v7(),
            restaurant_id: p.rid,
            number: number.unwrap_or_default(),
            business_day: day,
            channel: p.channel,
            kind: p.kind,
            status: OrderStatus::Received,
            table_id: p.input.table_id,
            customer: p.guest.on_order.clone().map(DbJson),
            special_instructions: p
                .input
                .special_instructions
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            subtotal: c.totals.subtotal.0,
            tax: c.totals.tax.0,
            total: c.totals.total.0,
            estimated_ready_at: estimate_ready(now, c.max_prep, p.ahead) + Duration::minutes(p.busy_minutes),
            ready_at: None,
            completed_at: None,
            cancel_reason: None,
            assigned_to: None,
            tracking_key: new_secret("").chars().take(22).collect(),
            idempotency_key: p.placer.idempotency_key.clone(),
            external_id: p.input.external_id.as_deref().map(|s| s.chars().take(200).collect()),
            external_total: p.input.external_total,
            payment_status: None,
            created_by: p.placer.actor.encode(),
            created_at: now,
            updated_at: now,
            amount_paid: 0,
            adjust_subtotal: 0,
            adjust_tax: 0,
            merged_into: None,
            split_from: None,
            customer_id,
            points_redeemed: c.points.as_ref().map_or(0, |s| s.points),
            points_discount: c.points.as_ref().map_or(0, |s| s.discount),
            points_reward: c.points.as_ref().and_then(|s| s.reward.clone()),
            promo_discount: c.promos.amount(),
            promotions: None,
            discount: brigade_store::orders::Discount {
                amount: c.points.as_ref().map_or(0, |s| s.discount) + c.promos.amount(),
                ..Default::default()
            },
        };
        let (lines, fired) = fire(c.lines, &order, 1, 0);
        let mut order = order;
        if !c.promos.used.is_empty() {
            let ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
            order.promotions = Some(DbJson(c.promos.recorded(&ids)));
            promo_uses.push((order.id, order.restaurant_id, c.promos));
        }
        ticket_json.push(fired.iter().map(|(id, _, _, station)| json!({ "id": id, "station_id": station })).collect());
        tickets.extend(fired);
        if p.restaurant.inventory_depletes_on == "created" {
            let sold = lines
                .iter()
                .map(|l| crate::inventory::SoldLine {
                    menu_item_id: l.item_id,
                    quantity: l.quantity,
                    options: l.modifiers.0.iter().map(|m| m.option_id).collect(),
                })
                .collect();
            stock_out.push((p.rid, order.id, sold, p.placer.actor));
        }
        all_lines.extend(lines.iter().cloned());
        views.push(order_view(order.clone(), lines, Vec::new(), &p.restaurant.currency));
        orders.push((order, p.placer.actor));
    }
    let rows: Vec<OrderRow> = orders.iter().map(|(o, _)| o.clone()).collect();
    store::insert_many(tx, &rows).await?;
    for o in rows.iter().filter(|o| o.points_redeemed > 0) {
        crate::customers::service::settle_points(tx, o, now).await?;
    }
    let uses: Vec<_> = promo_uses
        .iter()
        .flat_map(|(order_id, rid, chosen)| {
            let customer = rows.iter().find(|o| o.id == *order_id).and_then(|o| o.customer_id);
            crate::promotions::service::uses(chosen, *order_id, *rid, customer)
        })
        .collect();
    brigade_store::promotions::record_uses(tx, &uses, now).await?;
    store::insert_lines(tx, &all_lines).await?;
    let actors: Vec<String> = orders.iter().map(|(_, a)| a.encode()).collect();
    let history: Vec<HistoryEntry<'_>> = rows
        .iter()
        .zip(&actors)
        .map(|(o, actor)| HistoryEntry {
            restaurant_id: o.restaurant_id,
            order_id: o.id,
            from: None,
            to: "received",
            actor,
            reason: None,
            at: now,
        })
        .collect();
    store::insert_history_many(tx, &history).await?;
    kds::insert_tickets(tx, &tickets, now).await?;
    let mut events_out = Vec::with_capacity(views.len());
    for ((view, (order, actor)), tickets) in views.iter().zip(&orders).zip(ticket_json) {
        let mut payload = serde_json::to_value(view).map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(obj) = payload.as_object_mut() {
            obj.remove("tracking_key");
            obj.insert("tickets".into(), json!(tickets));
        }
        events_out.push(NewEvent {
            restaurant_id: Some(order.restaurant_id),
            kind: "order.new",
            entity: "order",
            entity_id: Some(view.id),
            actor: *actor,
            payload,
            at: now,
        });
    }
    events::record_many(tx, &events_out).await?;
    let menus_changed = if stock_out.is_empty() {
        Default::default()
    } else {
        crate::inventory::deplete_orders(tx, &stock_out, now).await?
    };
    Ok((views, menus_changed))
}

/// The rows of checked lines added to `order` as round `round` (positions from
/// `first_position`), and the kitchen tickets that fire them: one per station.
fn fire(
    checked: Vec<CheckedLine>,
    order: &OrderRow,
    round: i64,
    first_position: i64,
) -> (Vec<LineRow>, Vec<kds::NewTicket>) {
    let mut tickets: Vec<kds::NewTicket> = Vec::new();
    let mut lines = Vec::with_capacity(checked.len());
    for (pos, CheckedLine { priced: l, name, station, notes, flag, seat }) in checked.into_iter().enumerate() {
        let ticket = match tickets.iter().find(|t| t.3 == station) {
            Some(t) => t.0,
            None => {
                let id = Uuid::now_v7();
                tickets.push((id, order.restaurant_id, order.id, station));
                id
            }
        };
        lines.push(LineRow {
            id: Uuid::now_v7(),
            order_id: order.id,
            restaurant_id: order.restaurant_id,
            position: first_position + pos as i64,
            item_id: l.item_id,
            name,
            quantity: i64::from(l.quantity),
            unit_price: l.unit_price.0,
            line_total: l.line_total.0,
            modifiers: DbJson(
                l.modifiers
                    .into_iter()
                    .map(|(option_id, group, name, delta)| LineModifier {
                        option_id,
                        group,
                        name,
                        price_delta: delta.0,
                    })
                    .collect(),
            ),
            notes: notes.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
            station_id: station,
            flag,
            seat,
            round,
            ticket_id: Some(ticket),
            voided_at: None,
            void_reason: None,
            voided_by: None,
            void_approved_by: None,
            comp: Default::default(),
        });
    }
    tickets.sort_by_key(|t| t.3);
    (lines, tickets)
}

/// The view of an order that already exists (an Idempotency-Key seen before).
pub async fn existing_view(db: &brigade_store::Db, order: OrderRow) -> ApiResult<OrderView> {
    let currency = restaurants::get(db, order.restaurant_id).await?.map(|r| r.currency).unwrap_or_default();
    let lines = store::lines(db, order.restaurant_id, &[order.id]).await?;
    let payments = pay_store::of_orders(db, order.restaurant_id, &[order.id]).await?;
    Ok(order_view(order, lines, payments, &currency))
}

/// When an order should be ready: its slowest item's prep time, plus two minutes for each
/// order the kitchen already has in hand, capped at two hours of queue (60 orders).
pub fn estimate_ready(now: DateTime<Utc>, max_prep_minutes: i64, orders_ahead: i64) -> DateTime<Utc> {
    now + Duration::minutes(max_prep_minutes.max(1) + (orders_ahead * 2).min(120))
}

/// Prices an order exactly as placing it would (an 86'd item is 409, bad modifiers 422)
/// and places nothing: the counter's running total comes from the server.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/quote", tag = "orders", params(("rid" = Uuid, Path)),
    request_body = OrderInput,
    responses((status = 200, body = Quote), (status = 403), (status = 404),
              (status = 409, description = "an item is unavailable (code item_unavailable)"), (status = 422)),
    security(("bearer" = [])))]
async fn quote(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<OrderInput>,
) -> ApiResult<axum::Json<Quote>> {
    Ok(axum::Json(service::quote(&actor, &state, body).await?))
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders", tag = "orders", params(("rid" = Uuid, Path)),
    request_body = OrderInput,
    responses((status = 201, body = OrderView), (status = 403), (status = 404),
              (status = 409, description = "an item is unavailable (code item_unavailable)"), (status = 422)),
    security(("bearer" = [])))]
async fn create_order(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Json(body): Json<OrderInput>,
) -> ApiResult<(StatusCode, axum::Json<OrderView>)> {
    let key = headers.get(crate::idempotency::HEADER).and_then(|v| v.to_str().ok()).map(|k| k.trim().to_owned());
    Ok((StatusCode::CREATED, axum::Json(service::create(&actor, &state, body, key).await?)))
}

// ---------------------------------------------------------------- reading orders

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OrderParams {
    #[param(value_type = Option<schema::OrderStatus>)]
    pub status: Option<OrderStatus>,
    #[param(value_type = Option<schema::Channel>)]
    pub channel: Option<Channel>,
    /// Only orders placed at or after this time.
    #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
    pub since: Option<DateTime<Utc>>,
    /// Only this business day's orders.
    pub day: Option<chrono::NaiveDate>,
    /// Only orders at this table.
    pub table_id: Option<Uuid>,
    /// An order's number (`42` or `#42`), or part of its guest's name or phone.
    #[param(max_length = 100)]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

/// A guest's orders at any of the restaurant group's locations, newest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/customers/{id}/orders", tag = "customers",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<OrderView>), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn customer_orders(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, Uuid)>,
    Query(page): Query<PageParams>,
) -> ApiResult<axum::Json<Page<OrderView>>> {
    Ok(axum::Json(service::of_customer(&actor, &state, ids.1, page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/orders", tag = "orders", params(("rid" = Uuid, Path), OrderParams),
    responses((status = 200, body = Page<OrderView>), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn list_orders(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<OrderParams>,
) -> ApiResult<axum::Json<Page<OrderView>>> {
    let filter = service::OrderFilter {
        status: p.status,
        channel: p.channel,
        since: p.since,
        day: p.day,
        table_id: p.table_id,
        q: p.q,
    };
    let page = PageParams { limit: p.limit, cursor: p.cursor };
    Ok(axum::Json(service::list(&actor, &state, filter, page).await?))
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/orders/{id}", tag = "orders", params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 404)), security(("bearer" = [])))]
async fn get_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::get(&actor, &state, ids.1).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub from: Option<String>,
    pub to: String,
    /// `user:{id}`, `api_key:{id}`, `guest` or `system`.
    pub by: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[utoipa::path(get, path = "/v1/restaurants/{rid}/orders/{id}/history", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = Vec<HistoryView>), (status = 404)), security(("bearer" = [])))]
async fn order_history(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
) -> ApiResult<axum::Json<Vec<HistoryView>>> {
    Ok(axum::Json(service::history(&actor, &state, ids.1).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct QueueParams {
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// Open orders, oldest first.
#[utoipa::path(get, path = "/v1/restaurants/{rid}/orders/queue", tag = "orders", params(("rid" = Uuid, Path), QueueParams),
    responses((status = 200, body = Page<OrderView>), (status = 404)), security(("bearer" = [])))]
async fn order_queue(
    State(state): State<AppState>,
    actor: Actor,
    Query(p): Query<QueueParams>,
) -> ApiResult<axum::Json<Page<OrderView>>> {
    Ok(axum::Json(service::queue(&actor, &state, p.limit).await?))
}

#[derive(Debug, Serialize, ToSchema, Default)]
pub struct ChannelStats {
    pub orders: i64,
    pub sales: i64,
    /// Average minutes from order to ready, over orders that reached ready.
    pub avg_ticket_minutes: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub business_day: chrono::NaiveDate,
    pub orders: i64,
    pub cancelled: i64,
    /// Orders open now, from this business day or before it.
    pub open: i64,
    /// Sum of totals of orders not cancelled, minor units.
    pub sales: i64,
    pub average_order: Option<i64>,
    pub avg_ticket_minutes: Option<f64>,
    pub by_channel: HashMap<String, ChannelStats>,
    pub by_status: HashMap<String, i64>,
}

/// Today's numbers (the restaurant's business day).
#[utoipa::path(get, path = "/v1/restaurants/{rid}/orders/stats", tag = "orders", params(("rid" = Uuid, Path)),
    responses((status = 200, body = StatsView), (status = 404)), security(("bearer" = [])))]
async fn order_stats(State(state): State<AppState>, actor: Actor) -> ApiResult<axum::Json<StatsView>> {
    Ok(axum::Json(service::stats(&actor, &state).await?))
}

// ---------------------------------------------------------------- changing orders

#[derive(Deserialize, ToSchema)]
pub struct StatusInput {
    #[schema(value_type = schema::OrderStatus)]
    pub status: OrderStatus,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
    /// A manager's PIN, to cancel a paid order when the signed-in person may not alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Why an order is cancelled, and a manager's approval when it was paid for.
#[derive(Deserialize, ToSchema, Default)]
pub struct CancelInput {
    #[serde(default)]
    #[schema(value_type = Option<schema::Reason>)]
    pub reason: Option<String>,
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Moves an order through its states. An invalid step is 409 `invalid_transition`.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/status", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = StatusInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn change_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<StatusInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::set_status(&actor, &state, ids.1, &body).await?))
}

/// Cancels an order (not after it is completed). An order that was paid for (at the
/// counter, by card, or on a delivery platform) needs a manager: one signed in, or their
/// PIN in `approval` (403 `approval_required`).
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/orders/{id}", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    request_body(content = Option<CancelInput>, description = "optional"),
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn cancel_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    body: axum::body::Bytes,
) -> ApiResult<axum::Json<OrderView>> {
    let body: CancelInput = crate::extract::parse_optional_json(&body)?;
    Ok(axum::Json(service::cancel(&actor, &state, ids.1, body).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AssignInput {
    /// A member of this restaurant, or null to unassign.
    pub user_id: Option<Uuid>,
}

#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/assign", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = AssignInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
async fn assign_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<AssignInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::assign(&actor, &state, ids.1, body.user_id.map(UserId)).await?))
}

// ---------------------------------------------------------------- checks

#[derive(Deserialize, ToSchema)]
pub struct RoundInput {
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<LineInput>,
}

/// Adds a round to an open check: the lines are checked and priced as any order's and
/// fired to the kitchen as new tickets holding only them.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/items", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = RoundInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404),
              (status = 409, description = "an item is 86'd, or the order is closed"), (status = 422)),
    security(("bearer" = [])))]
async fn add_round(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<RoundInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::add_round(&actor, &state, ids.1, body.items).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct VoidInput {
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// A manager's PIN, when the signed-in person may not void alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

#[derive(Deserialize, ToSchema)]
pub struct WantedLineInput {
    /// An existing line of the check; leave out for a new one.
    pub id: Option<Uuid>,
    #[serde(flatten)]
    pub line: LineInput,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateInput {
    /// The check's lines as they should be (voided ones aside): existing ones by `id`,
    /// new ones without. A line left out is voided.
    #[schema(min_items = 1, max_items = 200)]
    pub items: Vec<WantedLineInput>,
    /// Why the lines left out are voided (needed when any is).
    #[schema(value_type = Option<schema::Reason>)]
    pub reason: Option<String>,
    /// A manager's PIN, when a line is voided and the signed-in person may not void alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Changes an open check to the lines given, and tells the kitchen only of the change:
/// new lines, and more of a line, fire as a new round (new tickets holding only them); a
/// line left out is voided (a reason, and a manager's approval); a line's notes or seat
/// change on its ticket. All of it or nothing: 409 if the check changed meanwhile.
#[utoipa::path(put, path = "/v1/restaurants/{rid}/orders/{id}", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = UpdateInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404),
              (status = 409, description = "closed, changed meanwhile, or an item is 86'd"), (status = 422)),
    security(("bearer" = [])))]
async fn update_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<UpdateInput>,
) -> ApiResult<axum::Json<OrderView>> {
    let wanted = body.items.into_iter().map(|w| service::WantedLine { id: w.id, line: w.line }).collect();
    let view = service::update(&actor, &state, ids.1, wanted, body.reason.as_deref(), body.approval.as_ref()).await?;
    Ok(axum::Json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct ReopenInput {
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// A manager's PIN, when the signed-in person may not reopen alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Opens a closed (completed) check again, to add to it, take a payment or correct it;
/// it goes back to `ready`. Needs a manager: one signed in, or their PIN in `approval`.
/// 409 `invalid_transition` for an order that is not completed.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/reopen", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = ReopenInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn reopen_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<ReopenInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::reopen(&actor, &state, ids.1, Some(&body.reason), body.approval.as_ref()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CompInput {
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// A manager's PIN, when the signed-in person may not comp alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Comps a line ("on the house"): it stays on the check, served and taken from stock, at
/// no charge. Needs a manager: one signed in, or their PIN in `approval`.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/items/{line_id}/comp", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), ("line_id" = Uuid, Path)), request_body = CompInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn comp_line(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId, Uuid)>,
    Json(body): Json<CompInput>,
) -> ApiResult<axum::Json<OrderView>> {
    let view = service::comp_line(&actor, &state, ids.1, ids.2, Some(&body.reason), body.approval.as_ref()).await?;
    Ok(axum::Json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct DiscountInput {
    /// A share of what the lines come to, 0.01 to 100 (per cent). Or `amount`.
    #[schema(minimum = 0.01, maximum = 100)]
    pub percent: Option<f64>,
    /// An amount off (minor units), never more than the lines. Or `percent`.
    #[schema(minimum = 1, maximum = 99999999)]
    pub amount: Option<i64>,
    #[schema(value_type = schema::Reason)]
    pub reason: String,
    /// A manager's PIN, when the signed-in person may not discount alone.
    #[serde(default)]
    pub approval: Option<ApprovalInput>,
}

/// Gives a check a discount (in place of any it had), with a reason; needs a manager. Tax
/// is worked out after it; a share follows the check as rounds are added. 409 for a
/// check that is closed, or paid past its new total.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/discount", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = DiscountInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn give_discount(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<DiscountInput>,
) -> ApiResult<axum::Json<OrderView>> {
    let size = match (body.percent, body.amount) {
        (Some(p), None) if p.is_finite() => service::DiscountSize::Percent((p * 100.0).round() as i64),
        (None, Some(a)) => service::DiscountSize::Amount(a),
        (Some(_), Some(_)) => return Err(ApiError::validation("percent", "give a percent or an amount, not both")),
        _ => return Err(ApiError::validation("percent", "give a percent or an amount")),
    };
    let view = service::discount(&actor, &state, ids.1, Some(size), Some(&body.reason), body.approval.as_ref()).await?;
    Ok(axum::Json(view))
}

/// Takes a check's discount off.
#[utoipa::path(delete, path = "/v1/restaurants/{rid}/orders/{id}/discount", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
async fn remove_discount(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::discount(&actor, &state, ids.1, None, None, None).await?))
}

/// Voids a line sent to the kitchen: it stays on the check for the record, out of the
/// total, and its stock comes back. Needs a manager: one signed in, or their PIN in
/// `approval` (403 `approval_required` otherwise).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/items/{line_id}/void", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path), ("line_id" = Uuid, Path)), request_body = VoidInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn void_line(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId, Uuid)>,
    Json(body): Json<VoidInput>,
) -> ApiResult<axum::Json<OrderView>> {
    let view = service::void_line(&actor, &state, ids.1, ids.2, Some(&body.reason), body.approval.as_ref()).await?;
    Ok(axum::Json(view))
}

#[derive(Deserialize, ToSchema)]
pub struct MoveInput {
    /// The table it moves to; null for none.
    pub table_id: Option<Uuid>,
}

/// Moves a check to another table.
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/move", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = MoveInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn move_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<MoveInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::move_table(&actor, &state, ids.1, body.table_id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MergeInput {
    /// The check merged into this one (it is then closed as merged).
    pub order_id: Uuid,
}

/// Merges another check into this one: its lines, kitchen tickets and stock move here.
/// A check with payments is not merged (409 `check_has_payments`).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/merge", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = MergeInput,
    responses((status = 200, body = OrderView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn merge_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<MergeInput>,
) -> ApiResult<axum::Json<OrderView>> {
    Ok(axum::Json(service::merge(&actor, &state, ids.1, OrderId(body.order_id)).await?))
}

/// How to split a check: by seat, evenly in `ways` parts, or by groups of line ids.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum SplitInput {
    /// One check per seat; lines with no seat stay on this one.
    Seat,
    /// Equal parts of the total (2 to 20); the lines stay on this check.
    Even {
        #[schema(minimum = 2, maximum = 20)]
        ways: i64,
    },
    /// One check per group of this check's line ids; lines in no group stay.
    Items {
        #[schema(min_items = 1, max_items = 200)]
        groups: Vec<Vec<Uuid>>,
    },
}

#[derive(Serialize, ToSchema)]
pub struct SplitView {
    /// This check first, then the new ones.
    pub orders: Vec<OrderView>,
}

/// Splits a check into several; their totals add up to what it was. A check with
/// payments is not split (409 `check_has_payments`).
#[utoipa::path(post, path = "/v1/restaurants/{rid}/orders/{id}/split", tag = "orders",
    params(("rid" = Uuid, Path), ("id" = Uuid, Path)), request_body = SplitInput,
    responses((status = 200, body = SplitView), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn split_order(
    State(state): State<AppState>,
    actor: Actor,
    Path(ids): Path<(Uuid, OrderId)>,
    Json(body): Json<SplitInput>,
) -> ApiResult<axum::Json<SplitView>> {
    let how = match body {
        SplitInput::Seat => service::Split::Seat,
        SplitInput::Even { ways } => service::Split::Even(ways),
        SplitInput::Items { groups } => service::Split::Items(groups),
    };
    Ok(axum::Json(SplitView { orders: service::split(&actor, &state, ids.1, how).await? }))
}

// ---------------------------------------------------------------- guests

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TrackingParams {
    /// The tracking key given when the order was placed.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GuestPoints {
    pub points: i64,
    /// Every `reward_points` take `reward_value` (minor units) off an order.
    pub reward_points: i64,
    pub reward_value: i64,
    /// The program's other rewards, each redeemed by its id (`reward_id`).
    pub rewards: Vec<crate::customers::LoyaltyReward>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicOrderView {
    pub id: Uuid,
    pub number: i64,
    #[schema(value_type = schema::OrderStatus)]
    pub status: OrderStatus,
    pub items: Vec<LineView>,
    /// What came off before tax: promotions (`promotions`, each with its lines) and
    /// loyalty points (`points_discount`).
    pub discount: i64,
    pub promotions: Vec<crate::promotions::PromotionUsed>,
    pub points_discount: i64,
    pub points_reward: Option<String>,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    pub currency: String,
    pub estimated_ready_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    /// null (pay at the counter), `pending`, `paid`, `refund_pending`, `refunded`, `refund_failed`.
    pub payment_status: Option<String>,
    /// The guest can pay this order by card now (`POST …/checkout`).
    pub pay_by_card: bool,
    /// The guest's rating of it (1 to 5), once given (`POST …/feedback`).
    pub rating: Option<i64>,
    /// The guest's loyalty points and the program's reward, when the order names a guest
    /// and the restaurant has a program.
    pub loyalty: Option<GuestPoints>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<OrderView> for PublicOrderView {
    fn from(o: OrderView) -> Self {
        PublicOrderView {
            id: o.id,
            number: o.number,
            status: o.status,
            items: o.items,
            discount: o.discount,
            promotions: o.promotions,
            points_discount: o.points_discount,
            points_reward: o.points_reward,
            subtotal: o.subtotal,
            tax: o.tax,
            total: o.total,
            currency: o.currency,
            estimated_ready_at: o.estimated_ready_at,
            ready_at: o.ready_at,
            payment_status: o.payment_status,
            pay_by_card: false,
            rating: None,
            loyalty: None,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// A guest follows their order with its tracking key. A wrong key is a 404.
#[utoipa::path(get, path = "/v1/public/orders/{id}", tag = "public", params(("id" = Uuid, Path), TrackingParams),
    responses((status = 200, body = PublicOrderView), (status = 404)))]
async fn public_order(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    Query(p): Query<TrackingParams>,
) -> ApiResult<axum::Json<PublicOrderView>> {
    let order = store::by_id(&state.db, System::Public, id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    if !brigade_domain::credentials::constant_time_eq(order.tracking_key.as_bytes(), p.key.as_bytes()) {
        return Err(ApiError::not_found("order"));
    }
    let rid = order.restaurant_id;
    let row = order.clone();
    let mut view: PublicOrderView = existing_view(&state.db, order).await?.into();
    let open = !matches!(view.status.as_str(), "completed" | "cancelled");
    let unpaid = matches!(view.payment_status.as_deref(), None | Some("pending"));
    view.pay_by_card =
        open && unpaid && brigade_store::integrations::active_of(&state.db, rid, "stripe").await?.is_some();
    if view.status == OrderStatus::Completed {
        view.rating = brigade_store::feedback::of_order(&state.db, rid, id).await?.map(|f| f.rating);
    }
    view.loyalty = crate::customers::service::points_of_order(&state, &row).await?.map(|(points, p)| GuestPoints {
        points,
        reward_points: p.reward_points,
        reward_value: p.reward_value,
        rewards: p.rewards.unwrap_or_default(),
    });
    Ok(axum::Json(view))
}
