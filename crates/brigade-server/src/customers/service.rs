//! Customers as a service: an order's guest made ready to link, and the profiles read,
//! searched, changed, merged, exported and erased.

use super::{
    Consent, CustomerChange, CustomerExport, CustomerInput, CustomerSummary, CustomerView, ExportFeedback, ExportLine,
    ExportMessage, ExportOrder, ExportProfile, Favourite, LoyaltyProgram, PointsEntry, SearchParams,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::Page;
use crate::jobs::Job;
use crate::restaurants::phone_country;
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::caps;
use brigade_domain::customer::{last_four, mask_email, mask_phone, normalise_email, normalise_phone, Reward};
use brigade_domain::menu::Channel;
use brigade_store::customers::{self as store, Contact, CustomerRow, Find, Kind, Sealed, Totals};
use brigade_store::restaurants::RestaurantRow;
use brigade_store::System;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// The most favourites a profile lists.
const FAVOURITES: i64 = 5;
const NOTES_MAX: usize = 2000;
const TAGS_MAX: usize = 20;
const TAG_MAX: usize = 50;

/// What an order keeps of its guest, and the guest to link it to.
pub struct OrderGuest {
    /// The order's `customer`: name, masked phone number, delivery address.
    pub on_order: Option<Value>,
    /// Set when the guest gave a phone number or an email address.
    pub contact: Option<Contact>,
}

/// Reads an order's guest for restaurant `r`: the phone number in E.164 with the
/// restaurant's country, the email in lower case, both sealed and hashed here, before
/// any lock is taken. A number or address that does not parse is 422, unless the order
/// is `lenient` (a platform's, already paid: its guest is then simply not linked).
pub fn order_guest(
    state: &AppState,
    r: &RestaurantRow,
    channel: Channel,
    input: Option<&CustomerInput>,
    lenient: bool,
) -> ApiResult<OrderGuest> {
    let Some(c) = input else { return Ok(OrderGuest { on_order: None, contact: None }) };
    let name = caps::bounded_text("customer.name", c.name.as_deref(), caps::NAME)?;
    let address = caps::bounded_text("customer.address", c.address.as_deref(), caps::REASON)?;
    let country = phone_country(r);
    let at = |field: &'static str| move |e: brigade_domain::Invalid| ApiError::validation(field, e.message);
    let phone = match c.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => match normalise_phone(p, country.as_deref()) {
            Ok(e164) => Some(e164),
            Err(_) if lenient => None,
            Err(e) => return Err(at("customer.phone")(e)),
        },
        None => None,
    };
    let email = match c.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => match normalise_email(e) {
            Ok(e) => Some(e),
            Err(_) if lenient => None,
            Err(e) => return Err(at("customer.email")(e)),
        },
        None => None,
    };
    let last4 = phone.as_deref().map(last_four);
    let mut on_order = json!({ "name": name, "phone": last4.as_deref().map(mask_phone) });
    if c.order_updates == Some(true) && (phone.is_some() || email.is_some()) {
        on_order["updates"] = json!(true);
    }
    if let Some(a) = address {
        on_order["address"] = json!(a);
    }
    let contact = (phone.is_some() || email.is_some()).then(|| Contact {
        group_id: r.group_id,
        name,
        phone: phone.map(|p| seal(state, r.group_id, "phone", &p)),
        phone_last4: last4,
        email: email.map(|e| seal(state, r.group_id, "email", &e)),
        marketing_consent: c.marketing_consent,
        channel: channel.as_str().to_owned(),
        restaurant_id: r.id,
    });
    Ok(OrderGuest { on_order: Some(on_order), contact })
}

/// A contact detail sealed for its group, with its lookup hash.
fn seal(state: &AppState, group: Uuid, kind: &str, normalised: &str) -> Sealed {
    Sealed {
        hash: state.secrets.lookup_hash(kind, normalised),
        sealed: state.secrets.seal(group, normalised.as_bytes()),
    }
}

/// How long a guest's link to their data works.
const LINK_DAYS: i64 = 30;

/// A link token that lets whoever holds it see and erase a guest's data for
/// [`LINK_DAYS`]: the customer, an expiry, and a keyed MAC of both.
pub fn guest_token(state: &AppState, customer_id: Uuid, now: DateTime<Utc>) -> String {
    let expires = (now + chrono::Duration::days(LINK_DAYS)).timestamp();
    let body = format!("{}.{expires}", customer_id.simple());
    let mac = state.secrets.lookup_hash("guest-link", &body);
    format!("{body}.{}", &mac[..32])
}

/// The customer a link token names, if it is genuine and has not expired.
pub fn token_customer(state: &AppState, token: &str, now: DateTime<Utc>) -> Option<Uuid> {
    let (body, mac) = token.rsplit_once('.')?;
    let (id, expires) = body.split_once('.')?;
    let want = state.secrets.lookup_hash("guest-link", body);
    let genuine = brigade_domain::credentials::constant_time_eq(&want.as_bytes()[..32], mac.as_bytes());
    let live = expires.parse::<i64>().ok()? > now.timestamp();
    (genuine && live).then(|| Uuid::parse_str(id).ok()).flatten()
}

fn open(state: &AppState, group: Uuid, sealed: Option<&[u8]>) -> Option<String> {
    let plain = state.secrets.open(group, sealed?).ok()?;
    String::from_utf8(plain).ok()
}

async fn restaurant(state: &AppState, rid: Uuid) -> ApiResult<RestaurantRow> {
    brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))
}

/// A customer of the actor's group, or 404.
async fn customer(state: &AppState, r: &RestaurantRow, id: Uuid) -> ApiResult<CustomerRow> {
    store::get(&state.db, r.id, r.group_id, id).await?.ok_or_else(|| ApiError::not_found("customer"))
}

fn summary(state: &AppState, c: &CustomerRow, t: Option<&Totals>, points: i64, reveal: bool) -> CustomerSummary {
    let phone = if reveal {
        open(state, c.group_id, c.phone_sealed.as_deref())
    } else {
        c.phone_last4.as_deref().map(mask_phone)
    };
    let email = open(state, c.group_id, c.email_sealed.as_deref()).map(|e| if reveal { e } else { mask_email(&e) });
    CustomerSummary {
        id: c.id,
        name: c.name.clone(),
        phone,
        email,
        visits: t.map_or(0, |t| t.visits),
        total_spent: t.map_or(0, |t| t.total_spent),
        last_order_at: c.last_order_at,
        points,
    }
}

fn consent(c: &CustomerRow) -> Consent {
    Consent {
        given: c.marketing_consent,
        at: c.consent_at,
        channel: c.consent_channel.clone(),
        restaurant_id: c.consent_restaurant_id,
    }
}

async fn view(actor: &Actor, state: &AppState, r: &RestaurantRow, c: CustomerRow) -> ApiResult<CustomerView> {
    let totals = store::totals(&state.db, &[c.id]).await?.into_iter().next();
    let favourites = store::favourites(&state.db, c.id, FAVOURITES).await?;
    let reveal = actor.allows(Permission::CustomersContact);
    let ledger = brigade_store::loyalty::entries(&state.db, c.id, 20).await?;
    let points = brigade_store::loyalty::balances(&state.db, &[c.id]).await?.first().map_or(0, |(_, p)| *p);
    let summary = summary(state, &c, totals.as_ref(), points, reveal);
    let completed = totals.as_ref().map_or(0, |t| t.completed);
    Ok(CustomerView {
        average_ticket: (completed > 0).then(|| summary.total_spent / completed),
        summary,
        masked: !reveal,
        completed_orders: completed,
        first_order_at: c.first_order_at,
        favourites: favourites
            .into_iter()
            .map(|f| Favourite { item_id: f.item_id, name: f.name, quantity: f.quantity })
            .collect(),
        notes: c.notes.clone(),
        tags: c.tags.0.clone(),
        marketing_consent: consent(&c),
        points_history: ledger.into_iter().map(entry).collect(),
        currency: r.currency.clone(),
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

/// Whether a search string is a phone number rather than a name: digits and the signs
/// numbers are written with, six digits at least.
pub fn looks_like_phone(q: &str) -> bool {
    let digits = q.chars().filter(char::is_ascii_digit).count();
    digits >= 6 && q.chars().all(|c| c.is_ascii_digit() || " +-.()/".contains(c))
}

/// The group's guests, most recent first, narrowed by `q`.
pub async fn search(actor: &Actor, state: &AppState, p: SearchParams) -> ApiResult<Page<CustomerSummary>> {
    actor.require(Permission::CustomersRead)?;
    let limit = crate::extract::PageParams { limit: p.limit, cursor: None }.limit()?;
    let after = p.cursor.as_deref().map(parse_cursor).transpose()?;
    let q = p.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::validation("q", "at most 100 characters"));
    }
    let r = restaurant(state, actor.rid()).await?;
    let needle = q.map(|q| needle(state, &r, q)).transpose()?;
    let find = match &needle {
        None => Find::All,
        Some(Needle::Name(p)) => Find::Name(p),
        Some(Needle::Hash(k, h)) => Find::Hash(*k, h),
    };
    let rows = store::list(&state.db, r.id, r.group_id, find, after, limit + 1).await?;
    let ids: Vec<Uuid> = rows.iter().map(|c| c.id).collect();
    let totals: HashMap<Uuid, Totals> =
        store::totals(&state.db, &ids).await?.into_iter().map(|t| (t.customer_id, t)).collect();
    let points: HashMap<Uuid, i64> = brigade_store::loyalty::balances(&state.db, &ids).await?.into_iter().collect();
    let reveal = actor.allows(Permission::CustomersContact);
    Ok(Page::from_rows(
        rows,
        limit,
        |c| format!("{}_{}", c.last_order_at.unwrap_or(c.created_at).to_rfc3339(), c.id),
        |c| summary(state, &c, totals.get(&c.id), points.get(&c.id).copied().unwrap_or(0), reveal),
    ))
}

/// What a search looks for, owned.
enum Needle {
    Name(String),
    Hash(Kind, String),
}

fn needle(state: &AppState, r: &RestaurantRow, q: &str) -> ApiResult<Needle> {
    if q.contains('@') {
        if let Ok(e) = normalise_email(q) {
            return Ok(Needle::Hash(Kind::Email, state.secrets.lookup_hash("email", &e)));
        }
    } else if looks_like_phone(q) {
        let e164 = normalise_phone(q, phone_country(r).as_deref()).map_err(|e| ApiError::validation("q", e.message))?;
        return Ok(Needle::Hash(Kind::Phone, state.secrets.lookup_hash("phone", &e164)));
    }
    Ok(Needle::Name(brigade_store::like_contains(q)))
}

fn parse_cursor(raw: &str) -> ApiResult<(DateTime<Utc>, Uuid)> {
    let bad = || ApiError::validation("cursor", "not a cursor this list gave out");
    let (at, id) = raw.rsplit_once('_').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?.with_timezone(&Utc);
    Ok((at, id.parse().map_err(|_| bad())?))
}

/// The customer of restaurant `rid`'s group with this phone number, in any spelling (a
/// number that does not parse is 422 on `q`).
pub async fn id_by_phone(state: &AppState, rid: Uuid, raw: &str) -> ApiResult<Option<Uuid>> {
    let r = restaurant(state, rid).await?;
    Ok(by_phone(state, &r, raw, "q").await?.map(|c| c.id))
}

/// The customer of `r`'s group with this number in any spelling; 422 on `field` when it
/// does not parse.
async fn by_phone(
    state: &AppState,
    r: &RestaurantRow,
    raw: &str,
    field: &'static str,
) -> ApiResult<Option<CustomerRow>> {
    let e164 = normalise_phone(raw, phone_country(r).as_deref()).map_err(|e| ApiError::validation(field, e.message))?;
    let hash = state.secrets.lookup_hash("phone", &e164);
    Ok(store::by_hash(&state.db, r.id, r.group_id, Kind::Phone, &hash).await?)
}

/// Who is calling, from the number Twilio gives (`From`): the number sealed for the
/// restaurant, its keyed hash and last four digits, and the guest it is when it is one.
/// None for a number that does not parse (a withheld one: "anonymous").
pub struct Caller {
    pub sealed: Vec<u8>,
    pub hash: String,
    pub last4: String,
    pub customer_id: Option<Uuid>,
    pub name: Option<String>,
}

pub async fn caller(state: &AppState, r: &RestaurantRow, from: &str) -> ApiResult<Option<Caller>> {
    let Ok(e164) = normalise_phone(from, phone_country(r).as_deref()) else { return Ok(None) };
    let hash = state.secrets.lookup_hash("phone", &e164);
    let known = store::by_hash(&state.db, r.id, r.group_id, Kind::Phone, &hash).await?;
    Ok(Some(Caller {
        sealed: state.secrets.seal(r.id, e164.as_bytes()),
        last4: last_four(&e164),
        hash,
        customer_id: known.as_ref().map(|c| c.id),
        name: known.and_then(|c| c.name),
    }))
}

/// The guest with this phone number, in any spelling.
pub async fn lookup(actor: &Actor, state: &AppState, phone: &str) -> ApiResult<CustomerView> {
    actor.require(Permission::CustomersRead)?;
    let r = restaurant(state, actor.rid()).await?;
    let c = by_phone(state, &r, phone, "phone").await?.ok_or_else(|| ApiError::not_found("customer"))?;
    view(actor, state, &r, c).await
}

pub async fn get(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<CustomerView> {
    actor.require(Permission::CustomersRead)?;
    let r = restaurant(state, actor.rid()).await?;
    let c = customer(state, &r, id).await?;
    view(actor, state, &r, c).await
}

/// Whether customer `id` is of the actor's group (for the orders module's history).
pub async fn check(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<RestaurantRow> {
    actor.require(Permission::CustomersRead)?;
    let r = restaurant(state, actor.rid()).await?;
    customer(state, &r, id).await?;
    Ok(r)
}

pub async fn update(actor: &Actor, state: &AppState, id: Uuid, input: CustomerChange) -> ApiResult<CustomerView> {
    actor.require(Permission::CustomersWrite)?;
    let r = restaurant(state, actor.rid()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(r.id).await?;
    let mut c = store::get_tx(&mut tx, r.group_id, id).await?.ok_or_else(|| ApiError::not_found("customer"))?;
    let mut changed = Vec::new();
    if let Some(name) = input.name {
        c.name = caps::bounded_text("name", name.as_deref(), caps::NAME)?;
        changed.push("name");
    }
    if let Some(notes) = input.notes {
        c.notes = caps::bounded_text("notes", notes.as_deref(), NOTES_MAX)?;
        changed.push("notes");
    }
    if let Some(tags) = input.tags {
        c.tags.0 = parse_tags(&tags)?;
        changed.push("tags");
    }
    if let Some(given) = input.marketing_consent {
        if given != c.marketing_consent {
            c.marketing_consent = given;
            c.consent_at = Some(now);
            c.consent_channel = Some("staff".into());
            c.consent_restaurant_id = Some(r.id);
        }
        changed.push("marketing_consent");
    }
    store::update_profile(&mut tx, &c, now).await?;
    // The log says what changed, never the guest's words.
    actor.record(&mut tx, "customer.updated", "customer", c.id, json!({ "changed": changed }), now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    view(actor, state, &r, c).await
}

fn parse_tags(raw: &[String]) -> ApiResult<Vec<String>> {
    if raw.len() > TAGS_MAX {
        return Err(ApiError::validation("tags", format!("at most {TAGS_MAX} tags")));
    }
    let mut tags: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let Some(t) = caps::bounded_text("tags", Some(t), TAG_MAX)? else { continue };
        if !tags.iter().any(|have| have.eq_ignore_ascii_case(&t)) {
            tags.push(t);
        }
    }
    Ok(tags)
}

/// Folds `other` into `id`: `other`'s orders become `id`'s, and `id` takes what it lacks
/// of `other`'s contact details, notes, tags and consent. `other` is deleted.
pub async fn merge(actor: &Actor, state: &AppState, id: Uuid, other: Uuid) -> ApiResult<CustomerView> {
    actor.require(Permission::CustomersManage)?;
    if id == other {
        return Err(ApiError::validation("other_id", "a profile cannot be merged into itself"));
    }
    let r = restaurant(state, actor.rid()).await?;
    let now = state.clock.now();
    // The orders of both span the group's restaurants.
    let mut tx = state.db.begin(System::Guests).await?;
    let mut keep = store::get_tx(&mut tx, r.group_id, id).await?.ok_or_else(|| ApiError::not_found("customer"))?;
    let gone = store::get_tx(&mut tx, r.group_id, other)
        .await?
        .ok_or_else(|| ApiError::validation("other_id", "no such customer in this restaurant group"))?;
    if keep.phone_hash.is_none() {
        (keep.phone_sealed, keep.phone_hash, keep.phone_last4) = (gone.phone_sealed, gone.phone_hash, gone.phone_last4);
    }
    if keep.email_hash.is_none() {
        (keep.email_sealed, keep.email_hash) = (gone.email_sealed, gone.email_hash);
    }
    keep.name = keep.name.or(gone.name);
    keep.notes = match (keep.notes.take(), gone.notes) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n{b}").chars().take(NOTES_MAX).collect()),
        (a, b) => a.or(b),
    };
    for t in gone.tags.0 {
        if keep.tags.0.len() < TAGS_MAX && !keep.tags.0.iter().any(|have| have.eq_ignore_ascii_case(&t)) {
            keep.tags.0.push(t);
        }
    }
    // The guest's latest word on marketing stands.
    if gone.consent_at.is_some() && gone.consent_at > keep.consent_at {
        (keep.marketing_consent, keep.consent_at, keep.consent_channel, keep.consent_restaurant_id) =
            (gone.marketing_consent, gone.consent_at, gone.consent_channel, gone.consent_restaurant_id);
    }
    keep.first_order_at = [keep.first_order_at, gone.first_order_at].into_iter().flatten().min();
    keep.last_order_at = [keep.last_order_at, gone.last_order_at].into_iter().flatten().max();
    let moved = store::merge(&mut tx, &keep, gone.id, now).await?;
    let data = json!({ "merged_id": gone.id, "orders_moved": moved });
    actor.record(&mut tx, "customer.merged", "customer", keep.id, data, now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    view(actor, state, &r, keep).await
}

/// Everything held about the guest. Audited: who exported whom, and when.
pub async fn export(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<CustomerExport> {
    actor.require(Permission::CustomersManage)?;
    let r = restaurant(state, actor.rid()).await?;
    let c = customer(state, &r, id).await?;
    let out = export_of(state, &c).await?;
    let mut tx = state.db.begin(r.id).await?;
    let data = json!({ "orders": out.orders.len() });
    actor.record(&mut tx, "customer.exported", "customer", c.id, data, out.exported_at).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(out)
}

/// The guest's own copy, through the signed link of a message they were sent. Audited.
pub async fn export_by_link(state: &AppState, token: &str) -> ApiResult<CustomerExport> {
    let (c, rid) = by_link(state, token).await?;
    let out = export_of(state, &c).await?;
    let mut tx = state.db.begin(rid).await?;
    guest_event(
        &mut tx,
        rid,
        "customer.exported",
        c.id,
        json!({ "orders": out.orders.len(), "by": "the guest" }),
        out.exported_at,
    )
    .await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(out)
}

/// The guest erases themselves through the signed link of a message they were sent.
pub async fn erase_by_link(state: &AppState, token: &str) -> ApiResult<()> {
    let (c, rid) = by_link(state, token).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(System::Guests).await?;
    let orders = store::erase(&mut tx, c.group_id, c.id).await?;
    guest_event(&mut tx, rid, "customer.erased", c.id, json!({ "orders_kept": orders, "by": "the guest" }), now)
        .await?;
    state.commit(tx, crate::After::NOTHING).await
}

/// The customer a link names, and a restaurant of theirs to log against; 404 for a link
/// that is forged, expired, or names someone erased since.
async fn by_link(state: &AppState, token: &str) -> ApiResult<(CustomerRow, Uuid)> {
    let gone = || ApiError::not_found("guest (the link may have expired: ask the restaurant for a new one)");
    let id = token_customer(state, token, state.clock.now()).ok_or_else(gone)?;
    let mut tx = state.db.begin_read(System::Guests).await?;
    let c = store::by_id_tx(&mut tx, id).await?.ok_or_else(gone)?;
    drop(tx);
    let rid = match c.consent_restaurant_id {
        Some(r) => r,
        None => {
            brigade_store::restaurants::of_group(&state.db, c.group_id).await?.first().map(|r| r.id).ok_or_else(gone)?
        }
    };
    Ok((c, rid))
}

async fn guest_event(
    tx: &mut brigade_store::Tx,
    rid: Uuid,
    kind: &str,
    id: Uuid,
    payload: Value,
    at: DateTime<Utc>,
) -> ApiResult<()> {
    let e = brigade_store::events::NewEvent {
        restaurant_id: Some(rid),
        kind,
        entity: "customer",
        entity_id: Some(id),
        actor: brigade_store::events::ActedBy::Guest,
        payload,
        at,
    };
    brigade_store::events::record(tx, e).await?;
    Ok(())
}

/// Everything held about customer `c`, across their group.
async fn export_of(state: &AppState, c: &CustomerRow) -> ApiResult<CustomerExport> {
    let now = state.clock.now();
    let restaurants: HashMap<Uuid, String> = brigade_store::restaurants::of_group(&state.db, c.group_id)
        .await?
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    let mut orders = Vec::new();
    let mut feedback = Vec::new();
    let mut before = None;
    loop {
        let page = store::orders(&state.db, c.id, before, 500).await?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let more = page.len() == 500;
        for o in page {
            let lines = brigade_store::orders::lines(&state.db, o.restaurant_id, &[o.id]).await?;
            if let Some(f) = brigade_store::feedback::of_order(&state.db, o.restaurant_id, o.id).await? {
                feedback.push(ExportFeedback {
                    order_id: o.id,
                    rating: f.rating,
                    comment: f.comment,
                    created_at: f.created_at,
                });
            }
            orders.push(ExportOrder {
                id: o.id,
                restaurant: restaurants.get(&o.restaurant_id).cloned().unwrap_or_default(),
                number: o.number,
                placed_at: o.created_at,
                channel: o.channel.as_str().to_owned(),
                status: o.status.as_str().to_owned(),
                guest: o.customer.map(|j| j.0),
                items: lines
                    .into_iter()
                    .map(|l| ExportLine {
                        name: l.name,
                        quantity: l.quantity,
                        line_total: l.line_total,
                        notes: l.notes,
                    })
                    .collect(),
                total: o.total,
            });
        }
        if !more {
            break;
        }
    }
    Ok(CustomerExport {
        exported_at: now,
        profile: ExportProfile {
            id: c.id,
            name: c.name.clone(),
            phone: open(state, c.group_id, c.phone_sealed.as_deref()),
            email: open(state, c.group_id, c.email_sealed.as_deref()),
            notes: c.notes.clone(),
            tags: c.tags.0.clone(),
            marketing_consent: consent(c),
            first_order_at: c.first_order_at,
            last_order_at: c.last_order_at,
            created_at: c.created_at,
        },
        orders,
        feedback,
        points: brigade_store::loyalty::entries(&state.db, c.id, i64::MAX).await?.into_iter().map(entry).collect(),
        messages: brigade_store::messages::of_customer(&state.db, c.id)
            .await?
            .into_iter()
            .map(|m| ExportMessage {
                channel: m.channel,
                kind: m.kind,
                body: m.body,
                status: m.status,
                at: m.created_at,
            })
            .collect(),
    })
}

fn entry(e: brigade_store::loyalty::EntryRow) -> PointsEntry {
    PointsEntry {
        delta: e.delta,
        reason: e.reason,
        order_id: e.order_id,
        restaurant_id: e.restaurant_id,
        at: e.created_at,
    }
}

const PROGRAM_OFF: LoyaltyProgram =
    LoyaltyProgram { enabled: false, points_per_unit: 1, reward_points: 100, reward_value: 500, rewards: None };

fn program_view(p: Option<brigade_store::loyalty::ProgramRow>) -> LoyaltyProgram {
    let Some(p) = p else { return LoyaltyProgram { rewards: Some(Vec::new()), ..PROGRAM_OFF } };
    LoyaltyProgram {
        enabled: p.enabled,
        points_per_unit: p.points_per_unit,
        reward_points: p.reward_points,
        reward_value: p.reward_value,
        rewards: Some(p.rewards.0.into_iter().map(Into::into).collect()),
    }
}

pub async fn program(actor: &Actor, state: &AppState) -> ApiResult<LoyaltyProgram> {
    actor.require(Permission::RestaurantRead)?;
    let r = restaurant(state, actor.rid()).await?;
    Ok(program_view(brigade_store::loyalty::program(&state.db, r.id, r.group_id).await?))
}

/// Sets the group's program. Points already earned stay whatever changes.
pub async fn set_program(actor: &Actor, state: &AppState, input: LoyaltyProgram) -> ApiResult<LoyaltyProgram> {
    actor.require(Permission::CustomersManage)?;
    if !(0..=1000).contains(&input.points_per_unit) {
        return Err(ApiError::validation("points_per_unit", "give 0 to 1000 points per unit"));
    }
    if !(1..=1_000_000).contains(&input.reward_points) {
        return Err(ApiError::validation("reward_points", "a reward is 1 to 1000000 points"));
    }
    if !(0..=1_000_000).contains(&input.reward_value) {
        return Err(ApiError::validation("reward_value", "a reward is worth 0 to 1000000 (minor units)"));
    }
    let r = restaurant(state, actor.rid()).await?;
    let now = state.clock.now();
    let before = brigade_store::loyalty::program(&state.db, r.id, r.group_id).await?;
    let kept = before.as_ref().map(|p| p.rewards.0.clone()).unwrap_or_default();
    let rewards = match &input.rewards {
        Some(given) => check_rewards(state, r.id, &kept, given).await?,
        None => kept,
    };
    let row = brigade_store::loyalty::ProgramRow {
        group_id: r.group_id,
        enabled: input.enabled,
        points_per_unit: input.points_per_unit,
        reward_points: input.reward_points,
        reward_value: input.reward_value,
        rewards: sqlx::types::Json(rewards),
        updated_at: now,
    };
    let view = program_view(Some(row.clone()));
    let mut tx = state.db.begin(r.id).await?;
    brigade_store::loyalty::save_program(&mut tx, &row).await?;
    let data = serde_json::to_value(&view).unwrap_or_default();
    actor.record(&mut tx, "restaurant.loyalty_changed", "restaurant", r.id, data, now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(view)
}

/// The rewards an owner sent, checked: an id kept must be one of the program's (a new
/// reward gets one), and a free item's items must be on this location's menu.
async fn check_rewards(
    state: &AppState,
    rid: Uuid,
    kept: &[Reward],
    given: &[super::LoyaltyReward],
) -> ApiResult<Vec<Reward>> {
    if given.len() > brigade_domain::customer::REWARDS_MAX {
        let most = brigade_domain::customer::REWARDS_MAX;
        return Err(ApiError::validation("rewards", format!("a program offers at most {most} rewards")));
    }
    let mut out = Vec::with_capacity(given.len());
    for g in given {
        let id = match g.id {
            Some(id) if kept.iter().any(|k| k.id == id) => id,
            Some(id) => {
                return Err(ApiError::validation("rewards", format!("{id} is not one of this program's rewards")))
            }
            None => Uuid::now_v7(),
        };
        if out.iter().any(|r: &Reward| r.id == id) {
            return Err(ApiError::validation("rewards", format!("{id} is given twice")));
        }
        let reward = Reward {
            id,
            name: g.name.clone(),
            points: g.points,
            kind: g.kind,
            value: g.value,
            item_ids: g.item_ids.clone(),
        }
        .check()?;
        if !reward.item_ids.is_empty() {
            let mut read = state.db.begin_read(rid).await?;
            let items = brigade_store::menu::items_for_order(&mut read, rid, &reward.item_ids).await?;
            if let Some(missing) = reward.item_ids.iter().find(|i| !items.iter().any(|it| it.id == **i)) {
                return Err(ApiError::validation("rewards", format!("{missing} is not on this menu")));
            }
        }
        out.push(reward);
    }
    Ok(out)
}

/// What the tracking page shows of a guest's points: their balance and the program's
/// reward, when the order names a guest and the group has a program on.
pub async fn points_of_order(
    state: &AppState,
    order: &brigade_store::orders::OrderRow,
) -> ApiResult<Option<(i64, LoyaltyProgram)>> {
    let Some(customer) = order.customer_id else { return Ok(None) };
    let r = restaurant(state, order.restaurant_id).await?;
    let Some(p) = brigade_store::loyalty::program(&state.db, r.id, r.group_id).await?.filter(|p| p.enabled) else {
        return Ok(None);
    };
    let points = brigade_store::loyalty::balances(&state.db, &[customer]).await?.first().map_or(0, |(_, p)| *p);
    Ok(Some((points, program_view(Some(p)))))
}

/// Erases the guest (see [`store::erase`]). Audited, without who they were.
pub async fn erase(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<()> {
    actor.require(Permission::CustomersManage)?;
    let r = restaurant(state, actor.rid()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(System::Guests).await?;
    store::get_tx(&mut tx, r.group_id, id).await?.ok_or_else(|| ApiError::not_found("customer"))?;
    let orders = store::erase(&mut tx, r.group_id, id).await?;
    actor.record(&mut tx, "customer.erased", "customer", id, json!({ "orders_kept": orders }), now).await?;
    state.commit(tx, crate::After::NOTHING).await
}

// ---------------------------------------------------------------- retention

pub async fn retention(actor: &Actor, state: &AppState) -> ApiResult<super::Retention> {
    actor.require(Permission::CustomersRead)?;
    let r = restaurant(state, actor.rid()).await?;
    Ok(super::Retention { months: brigade_store::loyalty::retention(&state.db, r.id, r.group_id).await? })
}

pub async fn set_retention(actor: &Actor, state: &AppState, input: super::Retention) -> ApiResult<super::Retention> {
    actor.require(Permission::CustomersManage)?;
    if input.months.is_some_and(|m| !(1..=240).contains(&m)) {
        return Err(ApiError::validation("months", "keep guests 1 to 240 months, or null for until erased"));
    }
    let r = restaurant(state, actor.rid()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin(r.id).await?;
    brigade_store::loyalty::set_retention(&mut tx, r.group_id, input.months, now).await?;
    actor
        .record(&mut tx, "restaurant.retention_changed", "restaurant", r.id, json!({ "months": input.months }), now)
        .await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(input)
}

/// Erases the guests each group keeps no longer: those whose last order is older than
/// its retention. Hourly; each erasure is its own transaction, logged by the system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EraseIdleGuests;

impl Job for EraseIdleGuests {
    const KIND: &'static str = "customers.erase_idle";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let erased = erase_idle(&state).await?;
        if erased > 0 {
            tracing::info!(erased, "guests past their group's retention erased");
        }
        Ok(())
    }
}

pub async fn erase_idle(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    let mut erased = 0;
    for (group, months) in brigade_store::loyalty::retentions(&state.db).await? {
        let Some(cutoff) = now.checked_sub_months(chrono::Months::new(months.clamp(1, 240) as u32)) else { continue };
        let rid = brigade_store::restaurants::of_group(&state.db, group).await?.first().map(|r| r.id);
        let Some(rid) = rid else { continue };
        loop {
            let ids = store::idle_since(&state.db, group, cutoff, 200).await?;
            if ids.is_empty() {
                break;
            }
            for id in ids {
                let mut tx = state.db.begin(System::Guests).await?;
                let orders = store::erase(&mut tx, group, id).await?;
                let e = brigade_store::events::NewEvent {
                    restaurant_id: Some(rid),
                    kind: "customer.erased",
                    entity: "customer",
                    entity_id: Some(id),
                    actor: brigade_store::events::ActedBy::System,
                    payload: json!({ "orders_kept": orders, "by": "retention", "months": months }),
                    at: now,
                };
                brigade_store::events::record(&mut tx, e).await?;
                tx.commit().await?;
                erased += 1;
            }
        }
    }
    Ok(erased)
}

/// Seals the guests' phone numbers that orders written before customers existed kept in
/// the clear: each such order is linked to its guest's customer, and it and its copies
/// in the event log keep only the masked number. Hourly; finds nothing once done.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealPlainContacts;

impl Job for SealPlainContacts {
    const KIND: &'static str = "customers.seal_plain_contacts";

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        let sealed = seal_plain_contacts(&state).await?;
        if sealed > 0 {
            tracing::info!(orders = sealed, "sealed guests' phone numbers kept in the clear by older orders");
        }
        Ok(())
    }
}

/// What [`SealPlainContacts`] does; returns how many orders it changed.
pub async fn seal_plain_contacts(state: &AppState) -> anyhow::Result<u64> {
    let mut done = 0u64;
    let mut restaurants: HashMap<Uuid, RestaurantRow> = HashMap::new();
    loop {
        let orders = store::orders_with_plain_phone(&state.db, 200).await?;
        if orders.is_empty() {
            return Ok(done);
        }
        let mut tx = state.db.begin(System::Guests).await?;
        for o in orders {
            if !restaurants.contains_key(&o.restaurant_id) {
                let r = restaurant(state, o.restaurant_id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
                restaurants.insert(r.id, r);
            }
            let Some(r) = restaurants.get(&o.restaurant_id) else { continue };
            let old = o.customer.map(|j| j.0).unwrap_or_default();
            let text = |k: &str| old.get(k).and_then(Value::as_str).map(str::to_owned);
            let input = CustomerInput {
                name: text("name"),
                phone: text("phone"),
                address: text("address"),
                ..Default::default()
            };
            // Lenient: a number that never parsed is dropped rather than kept.
            let guest = order_guest(state, r, o.channel, Some(&input), true).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            let customer_id = match &guest.contact {
                Some(c) => Some(store::link(&mut tx, c, o.created_at).await?),
                None => None,
            };
            store::set_order_guest(&mut tx, o.id, guest.on_order.as_ref(), customer_id).await?;
            store::rewrite_logged_guest(&mut tx, o.id, guest.on_order.as_ref()).await?;
            done += 1;
        }
        tx.commit().await?;
    }
}

// ---------------------------------------------------------------- loyalty

/// Brings an order's points in line with what it is now, in `tx` (the order locked):
/// a completed order has earned `points_per_unit` per unit of what it came to less its
/// refunds; one that is not complete (reopened) has earned nothing; a cancelled order
/// gives back what it redeemed. Each difference is a ledger row, so calling it twice
/// changes nothing. With no program, or a program switched off, what was earned stays.
pub async fn settle_points(
    tx: &mut brigade_store::Tx,
    order: &brigade_store::orders::OrderRow,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    use brigade_domain::order::OrderStatus;
    use brigade_store::loyalty;
    let Some(customer_id) = order.customer_id else { return Ok(()) };
    let r = brigade_store::restaurants::get_tx(tx, order.restaurant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let program = loyalty::program_tx(tx, r.group_id).await?.filter(|p| p.enabled);
    let (earned, redeemed) = loyalty::order_net(tx, order.id).await?;
    let mut moves = Vec::new();
    if let Some(p) = program {
        let target = if order.status == OrderStatus::Completed {
            let refunded = loyalty::refunded_of(tx, order.id).await?;
            brigade_domain::customer::points_earned(order.total - refunded, p.points_per_unit)
        } else {
            0
        };
        let delta = target - earned;
        if delta != 0 {
            moves.push((delta, if delta > 0 { "earned" } else { "taken_back" }));
        }
    }
    let redeem_target = if order.status == OrderStatus::Cancelled { 0 } else { -order.points_redeemed };
    let delta = redeem_target - redeemed;
    if delta != 0 {
        moves.push((delta, if delta < 0 { "redeemed" } else { "returned" }));
    }
    for (delta, reason) in moves {
        let entry = brigade_store::loyalty::EntryRow {
            id: Uuid::now_v7(),
            group_id: r.group_id,
            customer_id,
            restaurant_id: order.restaurant_id,
            order_id: Some(order.id),
            delta,
            reason: reason.to_owned(),
            note: None,
            created_at: now,
        };
        loyalty::add(tx, &entry).await?;
    }
    Ok(())
}

/// What an order asks to redeem, checked as far as it can be before the write lock: the
/// program is on, the points are whole rewards (or the reward named is one of the
/// program's), and whoever asks may spend them.
pub struct Redemption {
    pub points: i64,
    /// What the points take off (minor units), before it is capped at the order's lines.
    pub value: i64,
    /// The reward named by `reward_id`; a free item's value is its line's price.
    pub reward: Option<Reward>,
}

impl Redemption {
    /// What the redemption takes off an order of `lines` (item, unit price), or why it
    /// cannot be had on it.
    pub fn value_on(&self, lines: impl IntoIterator<Item = (Uuid, i64)>) -> ApiResult<i64> {
        match &self.reward {
            Some(r) => r.value_on(lines).map_err(|why| ApiError::validation("reward_id", why)),
            None => Ok(self.value),
        }
    }
}

/// What a guest asks to spend: a number of points (whole standing rewards) or a reward.
#[derive(Clone, Copy)]
pub enum Spend {
    Points(i64),
    Reward(Uuid),
}

/// Checks a redemption for an order at restaurant `r` by a guest identified by
/// `contact`. Staff redeem for a guest in front of them; a guest online proves the points
/// are theirs with the tracking key of one of their earlier orders (`proof`).
pub async fn redemption(
    state: &AppState,
    r: &RestaurantRow,
    spend: Spend,
    contact: Option<&Contact>,
    staff: bool,
    proof: Option<(Uuid, &str)>,
) -> ApiResult<Redemption> {
    let field = match spend {
        Spend::Points(_) => "redeem_points",
        Spend::Reward(_) => "reward_id",
    };
    let program = brigade_store::loyalty::program(&state.db, r.id, r.group_id)
        .await?
        .filter(|p| p.enabled)
        .ok_or_else(|| ApiError::validation(field, "this restaurant has no loyalty program"))?;
    let redemption = match spend {
        Spend::Points(points) => {
            let value =
                brigade_domain::customer::redemption_value(points, program.reward_points, program.reward_value)?;
            Redemption { points, value, reward: None }
        }
        Spend::Reward(id) => {
            let reward =
                program.rewards.0.into_iter().find(|w| w.id == id).ok_or_else(|| {
                    ApiError::validation(field, "that reward is not offered any more; choose another")
                })?;
            Redemption { points: reward.points, value: reward.value, reward: Some(reward) }
        }
    };
    let contact = contact
        .ok_or_else(|| ApiError::validation(field, "redeeming points needs the guest's phone number or email"))?;
    if !staff {
        let not_theirs = || {
            ApiError::forbidden("those points are not yours to spend: open this order from your earlier order's page")
        };
        let (order_id, key) = proof.ok_or_else(not_theirs)?;
        let earlier =
            brigade_store::orders::by_id(&state.db, System::Public, order_id).await?.ok_or_else(not_theirs)?;
        let key_ok = brigade_domain::credentials::constant_time_eq(earlier.tracking_key.as_bytes(), key.as_bytes());
        let hash = contact.phone.as_ref().or(contact.email.as_ref()).map(|s| s.hash.as_str()).unwrap_or_default();
        let kind = if contact.phone.is_some() { Kind::Phone } else { Kind::Email };
        let theirs = store::by_hash(&state.db, r.id, r.group_id, kind, hash).await?.map(|c| c.id);
        if !key_ok || earlier.customer_id.is_none() || earlier.customer_id != theirs {
            return Err(not_theirs());
        }
    }
    Ok(redemption)
}

/// Under the order writer's lock: the guest's customer (locked against a second spend)
/// and whether they hold `points`. 422 when they do not.
/// `held` are points promised to earlier orders of the same batch, not yet in the ledger.
pub async fn hold_points(
    tx: &mut brigade_store::Tx,
    contact: &Contact,
    points: i64,
    held: &HashMap<Uuid, i64>,
) -> ApiResult<Uuid> {
    let short = |have: i64| ApiError::validation("redeem_points", format!("the guest has {have} points"));
    let Some(id) = store::find_tx(tx, contact).await? else { return Err(short(0)) };
    store::get_tx(tx, contact.group_id, id).await?;
    let balance = brigade_store::loyalty::balance_tx(tx, id).await? - held.get(&id).copied().unwrap_or(0);
    if balance < points {
        return Err(short(balance));
    }
    Ok(id)
}
