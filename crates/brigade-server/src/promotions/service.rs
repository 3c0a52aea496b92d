//! Promotions as a service: kept (list, save, archive) and weighed for an order.
//!
//! An order meets its promotions twice. Before the write lock, [`offer`] reads the code
//! the guest gave and the automatic promotions, and refuses a code that does not exist
//! or does not hold now (422 `promo_invalid`, with the reason). Under the order writer's
//! lock, [`apply`] prices each on the order's lines, counts its uses (the promotion's row
//! locked on PostgreSQL, uses promised to earlier orders of the batch added), and keeps
//! what the stacking rule chooses. So a code with one use left is used once, however
//! many guests order at the same moment.

use super::{PromotionInput, PromotionView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::menu::Channel;
use brigade_domain::money::Money;
use brigade_domain::promotion::{self as rules, Applied, Candidate, Kind};
use brigade_store::promotions::{self as store, PromotionRow};
use brigade_store::Tx;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::types::Json as DbJson;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

fn view(p: PromotionRow) -> PromotionView {
    PromotionView {
        kind: Kind::parse(&p.kind).unwrap_or(Kind::Amount),
        id: p.id,
        name: p.name,
        code: p.code,
        value: p.value,
        item_ids: p.item_ids.0,
        category_ids: p.category_ids.0,
        min_subtotal: p.min_subtotal,
        channels: p.channels.map(|c| c.0),
        schedule: p.schedule.0,
        starts_at: p.starts_at,
        ends_at: p.ends_at,
        max_uses: p.max_uses,
        max_uses_per_customer: p.max_uses_per_customer,
        stackable: p.stackable,
        active: p.active,
        uses: p.uses,
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

pub async fn list(actor: &Actor, state: &AppState) -> ApiResult<Vec<PromotionView>> {
    actor.require(Permission::MenuRead)?;
    Ok(store::list(&state.db, actor.rid()).await?.into_iter().map(view).collect())
}

pub async fn get(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<PromotionView> {
    actor.require(Permission::MenuRead)?;
    store::get(&state.db, actor.rid(), id).await?.map(view).ok_or_else(|| ApiError::not_found("promotion"))
}

/// The offer in words, for a promotion with no name: "10% off", "5.00 off", "1 free".
fn describe(kind: Kind, value: i64) -> String {
    match kind {
        Kind::Percent => format!("{value}% off"),
        Kind::Amount => format!("{} off", Money(value)),
        Kind::FreeItem => format!("{value} free"),
    }
}

/// Creates a promotion (`id` none) or replaces one's rules.
pub async fn save(
    actor: &Actor,
    state: &AppState,
    id: Option<Uuid>,
    input: PromotionInput,
) -> ApiResult<PromotionView> {
    actor.require(Permission::MenuWrite)?;
    let rid = actor.rid();
    let code = input.code.as_deref().map(rules::normalise_code).transpose()?;
    let rule = rules::Rule {
        kind: input.kind,
        value: input.value,
        item_ids: input.item_ids,
        category_ids: input.category_ids,
        min_subtotal: input.min_subtotal,
        channels: input.channels,
        schedule: input.schedule,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
    };
    rule.validate()?;
    for (field, v) in [("max_uses", input.max_uses), ("max_uses_per_customer", input.max_uses_per_customer)] {
        if v.is_some_and(|n| !(1..=100_000_000).contains(&n)) {
            return Err(ApiError::validation(field, "a limit is 1 to 100000000 uses"));
        }
    }
    let name = match input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => brigade_domain::caps::bounded_text("name", Some(n), brigade_domain::caps::NAME)?.unwrap_or_default(),
        None => code.clone().unwrap_or_else(|| describe(rule.kind, rule.value)),
    };
    // What it names must be on this restaurant's menu.
    let mut read = state.db.begin_read(rid).await?;
    let items = brigade_store::menu::items_for_order(&mut read, rid, &rule.item_ids).await?;
    if let Some(missing) = rule.item_ids.iter().find(|i| !items.iter().any(|it| it.id == **i)) {
        return Err(ApiError::validation("item_ids", format!("{missing} is not on this menu")));
    }
    let categories: HashSet<Uuid> =
        brigade_store::menu::categories_tx(&mut read, rid).await?.into_iter().map(|c| c.id).collect();
    if let Some(missing) = rule.category_ids.iter().find(|c| !categories.contains(c)) {
        return Err(ApiError::validation("category_ids", format!("{missing} is not a category of this menu")));
    }
    drop(read);
    let now = state.clock.now();
    let existing = match id {
        Some(id) => Some(store::get(&state.db, rid, id).await?.ok_or_else(|| ApiError::not_found("promotion"))?),
        None => None,
    };
    let row = PromotionRow {
        id: id.unwrap_or_else(Uuid::now_v7),
        restaurant_id: rid,
        name,
        code: code.clone(),
        kind: rule.kind.as_str().to_owned(),
        value: rule.value,
        item_ids: DbJson(rule.item_ids),
        category_ids: DbJson(rule.category_ids),
        min_subtotal: rule.min_subtotal,
        channels: rule.channels.map(DbJson),
        schedule: DbJson(rule.schedule),
        starts_at: rule.starts_at,
        ends_at: rule.ends_at,
        max_uses: input.max_uses,
        max_uses_per_customer: input.max_uses_per_customer,
        stackable: input.stackable,
        active: input.active,
        uses: existing.as_ref().map_or(0, |e| e.uses),
        created_at: existing.as_ref().map_or(now, |e| e.created_at),
        updated_at: now,
    };
    let mut tx = state.db.begin(rid).await?;
    if let Some(c) = &code {
        let same = existing.as_ref().is_some_and(|e| e.code.as_deref() == Some(c));
        if !same && store::code_exists(&mut tx, rid, c).await? {
            return Err(ApiError::conflict(ErrorCode::Duplicate, format!("the code {c} is already in use")));
        }
    }
    store::save(&mut tx, &row).await?;
    let kind = if existing.is_some() { "promotion.changed" } else { "promotion.created" };
    let payload =
        json!({ "promotion_id": row.id, "name": row.name, "code": row.code, "kind": row.kind, "value": row.value });
    actor.record(&mut tx, kind, "promotion", row.id, payload, now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(view(row))
}

pub async fn archive(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::MenuWrite)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    if !store::archive(&mut tx, actor.rid(), id, now).await? {
        return Err(ApiError::not_found("promotion"));
    }
    actor.record(&mut tx, "promotion.archived", "promotion", id, json!({ "promotion_id": id }), now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(())
}

// ---------------------------------------------------------------- on an order

/// 422 `promo_invalid`: the code the guest gave does not apply, and why.
pub fn invalid(code: &str, reason: impl Into<String>) -> ApiError {
    let reason = reason.into();
    ApiError::Refused {
        code: ErrorCode::PromoInvalid,
        message: format!("the code {code} cannot be used: {reason}"),
        details: json!({ "field": "promo_code", "code": code, "reason": reason }),
    }
}

/// The promotions an order may use, read before the write lock.
#[derive(Default)]
pub struct Offer {
    rows: Vec<PromotionRow>,
    /// The code the guest gave (normalised); its promotion is in `rows`.
    code: Option<String>,
}

/// Reads what an order on `channel` at `now` may use: the promotion of `code` (422
/// `promo_invalid` when there is none, or it does not hold now) and the automatic ones
/// that hold.
pub async fn offer(
    read: &mut Tx,
    rid: Uuid,
    code: Option<&str>,
    channel: Channel,
    now: DateTime<Utc>,
    tz: Tz,
) -> ApiResult<Offer> {
    let code = match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(raw) => Some(rules::normalise_code(raw).map_err(|_| invalid(raw, "there is no such code"))?),
        None => None,
    };
    let mut rows = store::for_order(read, rid, code.as_deref()).await?;
    if let Some(c) = &code {
        let found =
            rows.iter().find(|p| p.code.as_deref() == Some(c)).ok_or_else(|| invalid(c, "there is no such code"))?;
        found.rule().holds(channel, now, tz).map_err(|why| invalid(c, why))?;
    }
    rows.retain(|p| p.code.is_some() || p.rule().holds(channel, now, tz).is_ok());
    Ok(Offer { rows, code })
}

/// Uses promised to earlier orders of the batch the writer is checking, not yet
/// written: by promotion, and by promotion and guest.
#[derive(Default)]
pub struct HeldUses {
    total: HashMap<Uuid, i64>,
    by_guest: HashMap<(Uuid, Uuid), i64>,
}

impl HeldUses {
    /// Promises the uses of an order that passed every check.
    pub fn take(&mut self, chosen: &Chosen) {
        for (p, _) in &chosen.used {
            *self.total.entry(p.id).or_default() += 1;
            if let Some(c) = chosen.customer_id {
                *self.by_guest.entry((p.id, c)).or_default() += 1;
            }
        }
    }
}

/// What an order gets: each promotion with what it takes off, and the guest whose uses
/// they count as.
#[derive(Default)]
pub struct Chosen {
    pub used: Vec<(PromotionRow, Applied)>,
    pub customer_id: Option<Uuid>,
}

impl Chosen {
    pub fn amount(&self) -> i64 {
        self.used.iter().map(|(_, a)| a.amount).sum()
    }

    /// As the order keeps them, with its lines' ids for the indexes of the lines.
    pub fn recorded(&self, line_ids: &[Uuid]) -> Vec<rules::Used> {
        self.used
            .iter()
            .map(|(p, a)| rules::Used {
                promotion_id: p.id,
                name: p.name.clone(),
                code: p.code.clone(),
                kind: Kind::parse(&p.kind).unwrap_or(Kind::Amount),
                amount: a.amount,
                line_ids: a.lines.iter().filter_map(|i| line_ids.get(*i).copied()).collect(),
            })
            .collect()
    }
}

/// Under the order writer's lock: what the offer's promotions take off `lines` for the
/// guest `contact`, their uses counted. A code that does not apply is 422
/// `promo_invalid` with the reason; an automatic promotion that does not is left out.
/// Writes nothing: [`record`] does, once the order is written.
pub async fn apply(
    tx: &mut Tx,
    offer: &Offer,
    lines: &[rules::Line],
    contact: Option<&brigade_store::customers::Contact>,
    held: &HeldUses,
) -> ApiResult<Chosen> {
    if offer.rows.is_empty() {
        return Ok(Chosen::default());
    }
    let mut customer_id = None;
    if offer.rows.iter().any(|p| p.max_uses_per_customer.is_some()) {
        if let Some(c) = contact {
            customer_id = brigade_store::customers::find_tx(tx, c).await?;
        }
    }
    let mut fits: Vec<(PromotionRow, Applied)> = Vec::new();
    let mut cands = Vec::new();
    for p in &offer.rows {
        let coded = p.code.is_some();
        let code = p.code.as_deref().unwrap_or_default();
        let refuse = |why: String| if coded { Err(invalid(code, why)) } else { Ok(()) };
        let applied = match p.rule().discount(lines) {
            Ok(a) => a,
            Err(why) => {
                refuse(why)?;
                continue;
            }
        };
        if let Some(max) = p.max_uses {
            let uses = store::lock_uses(tx, p.id).await? + held.total.get(&p.id).copied().unwrap_or(0);
            if uses >= max {
                refuse("it has been used up".to_owned())?;
                continue;
            }
        }
        if let Some(max) = p.max_uses_per_customer {
            if contact.is_none() {
                refuse("it needs the guest's phone number or email".to_owned())?;
                continue;
            }
            let mine = match customer_id {
                Some(id) => store::uses_by(tx, p.id, id).await? + held.by_guest.get(&(p.id, id)).copied().unwrap_or(0),
                None => 0,
            };
            if mine >= max {
                let times = if max == 1 { "once".to_owned() } else { format!("{max} times") };
                refuse(format!("a guest may use it {times}, and this guest has"))?;
                continue;
            }
        }
        cands.push(Candidate { amount: applied.amount, stackable: p.stackable, coded });
        fits.push((p.clone(), applied));
    }
    let chosen: HashSet<usize> = rules::choose(&cands).into_iter().collect();
    // Together they never take off more than the lines come to.
    let mut left: i64 = lines.iter().map(|l| l.total).sum();
    let mut used = Vec::new();
    for (i, (p, mut a)) in fits.into_iter().enumerate() {
        if chosen.contains(&i) {
            a.amount = a.amount.min(left);
            left -= a.amount;
            used.push((p, a));
        }
    }
    if offer.code.is_some() && used.is_empty() {
        return Err(ApiError::internal("a code that applies was not chosen"));
    }
    Ok(Chosen { used, customer_id })
}

/// An order's uses of what it got, to count. `customer_id` is the guest the order was
/// linked to (a first order creates them).
pub fn uses(chosen: &Chosen, order_id: Uuid, rid: Uuid, customer_id: Option<Uuid>) -> Vec<store::Use> {
    chosen
        .used
        .iter()
        .map(|(p, a)| store::Use {
            promotion_id: p.id,
            order_id,
            restaurant_id: rid,
            customer_id: customer_id.or(chosen.customer_id),
            amount: a.amount,
        })
        .collect()
}
