//! Messages as a service: what an order owes its guest (a text when it is ready, a
//! receipt when it completes, a word when a platform order is refused), a message staff
//! send a guest, the restaurant's templates, and the job that sends each one.
//!
//! A message is written, with the job that sends it, in the transaction of the change it
//! is about; the job opens the guest's number or address from their profile only when it
//! sends, so the address is never stored twice. Transactional messages go only to guests
//! who asked for updates on their order (or whose platform order was refused); marketing
//! only to guests who agreed to it; a number that replied STOP gets nothing more.

use super::mail::Mailer;
use super::twilio::{SendError, Twilio};
use super::{MessageInput, MessageTemplate, MessageTemplateInput, MessageView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::jobs::{EnqueueOptions, Job};
use crate::AppState;
use brigade_domain::auth::Permission;
use brigade_domain::customer::{mask_email, mask_phone};
use brigade_domain::money::Money;
use brigade_store::customers::CustomerRow;
use brigade_store::messages::{self as store, MessageRow, TemplateRow};
use brigade_store::orders::OrderRow;
use brigade_store::{System, Tx};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// The kinds of message a restaurant has a template for.
pub const TEMPLATED: [&str; 4] = ["order_placed", "order_ready", "receipt", "order_refused"];

/// What a template may say: `{restaurant}`, `{name}`, `{number}`, `{total}`, `{link}`
/// (the order's page, when it has one), `{platform}`, `{ready}` (when it will be ready,
/// the restaurant's time), `{data_link}` (where the guest sees and erases what is held
/// about them).
pub const PLACEHOLDERS: [&str; 8] = ["restaurant", "name", "number", "total", "link", "platform", "ready", "data_link"];

/// Brigade's words for a kind: (text, email subject, email body).
pub fn default_template(kind: &str) -> (&'static str, &'static str, &'static str) {
    match kind {
        "order_placed" => (
            "{restaurant}: we have your order #{number}, {total}. Ready at about {ready}.\nYour data: {data_link}",
            "We have your order #{number}",
            "Hi {name},\n\n{restaurant} has your order #{number}:\n\n{lines}\nTotal: {total}\n\nReady at about {ready}.\n\nSee or erase what we hold about you: {data_link}",
        ),
        "order_ready" => (
            "{restaurant}: your order #{number} is ready. {link}\nYour data: {data_link}",
            "Your order #{number} is ready",
            "Hi {name},\n\nyour order #{number} at {restaurant} is ready.\n{link}\n\nSee or erase what we hold about you: {data_link}",
        ),
        "receipt" => (
            "{restaurant}: thank you! Order #{number}, {total}. {link}\nYour data: {data_link}",
            "Your receipt from {restaurant}: order #{number}",
            "Hi {name},\n\nthank you for your order #{number} at {restaurant}.\n\n{lines}\nTotal: {total}\n\nSee or erase what we hold about you: {data_link}",
        ),
        _ => (
            "{restaurant}: sorry, we could not take your {platform} order #{number}. {platform} will refund you.\nYour data: {data_link}",
            "We could not take your order #{number}",
            "Hi {name},\n\nsorry: {restaurant} could not take your {platform} order #{number}. {platform} will refund you.\n\nSee or erase what we hold about you: {data_link}",
        ),
    }
}

/// Fills a template's `{placeholders}`; one it does not know stays as written.
pub fn render(text: &str, vars: &[(&str, String)]) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    // Lines left empty by an absent value, and doubled spaces, go.
    out.lines()
        .map(|l| l.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// A placeholder a template names that Brigade does not fill, if any.
pub fn unknown_placeholder(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) && name != "lines" {
            return Some(name.to_owned());
        }
        rest = &after[close + 1..];
    }
    None
}

fn view(m: MessageRow) -> MessageView {
    MessageView {
        id: m.id,
        customer_id: m.customer_id,
        order_id: m.order_id,
        channel: m.channel,
        kind: m.kind,
        to: m.to_masked,
        subject: m.subject,
        body: m.body,
        status: m.status,
        attempts: m.attempts,
        error: m.error,
        provider_id: m.provider_id,
        created_at: m.created_at,
        sent_at: m.sent_at,
    }
}

pub async fn list(
    actor: &Actor,
    state: &AppState,
    customer_id: Option<Uuid>,
    order_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> ApiResult<Vec<MessageView>> {
    actor.require(Permission::CustomersRead)?;
    let rows = store::list(&state.db, actor.rid(), customer_id, order_id, before, limit).await?;
    Ok(rows.into_iter().map(view).collect())
}

// ---------------------------------------------------------------- templates

pub async fn templates(actor: &Actor, state: &AppState) -> ApiResult<Vec<MessageTemplate>> {
    actor.require(Permission::RestaurantRead)?;
    let custom = store::templates(&state.db, actor.rid()).await?;
    Ok(TEMPLATED
        .iter()
        .map(|kind| match custom.iter().find(|t| t.kind == *kind) {
            Some(t) => MessageTemplate {
                kind: t.kind.clone(),
                sms: t.sms.clone(),
                email_subject: t.email_subject.clone(),
                email_body: t.email_body.clone(),
                custom: true,
            },
            None => {
                let (sms, subject, body) = default_template(kind);
                MessageTemplate {
                    kind: (*kind).to_owned(),
                    sms: sms.into(),
                    email_subject: subject.into(),
                    email_body: body.into(),
                    custom: false,
                }
            }
        })
        .collect())
}

fn known_kind(kind: &str) -> ApiResult<&'static str> {
    TEMPLATED.iter().find(|k| **k == kind).copied().ok_or_else(|| ApiError::not_found("message template"))
}

/// Sets a restaurant's words for a kind of message (`None`: back to Brigade's).
pub async fn set_template(
    actor: &Actor,
    state: &AppState,
    kind: &str,
    input: Option<MessageTemplateInput>,
) -> ApiResult<MessageTemplate> {
    actor.require(Permission::RestaurantWrite)?;
    let kind = known_kind(kind)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    match &input {
        Some(t) => {
            for (field, text, max) in
                [("sms", &t.sms, 640), ("email_subject", &t.email_subject, 200), ("email_body", &t.email_body, 5000)]
            {
                if text.trim().is_empty() || text.chars().count() > max {
                    return Err(ApiError::validation(field, format!("1 to {max} characters")));
                }
                if let Some(name) = unknown_placeholder(text) {
                    let known = PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ");
                    return Err(ApiError::validation(field, format!("{{{name}}} is not a placeholder; use {known}")));
                }
            }
            let row = TemplateRow {
                restaurant_id: actor.rid(),
                kind: kind.to_owned(),
                sms: t.sms.trim().to_owned(),
                email_subject: t.email_subject.trim().to_owned(),
                email_body: t.email_body.trim().to_owned(),
                updated_at: now,
            };
            store::save_template(&mut tx, &row).await?;
        }
        None => store::reset_template(&mut tx, actor.rid(), kind).await?,
    }
    actor
        .record(&mut tx, "restaurant.template_changed", "restaurant", actor.rid(), json!({ "kind": kind }), now)
        .await?;
    state.commit(tx, crate::After::NOTHING).await?;
    templates(actor, state).await?.into_iter().find(|t| t.kind == kind).ok_or_else(|| ApiError::internal("template"))
}

// ---------------------------------------------------------------- what orders owe

/// Why an order's guest is written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderNews {
    /// Taken by the phone agent: the number and the ready time, in writing.
    Placed,
    Ready,
    Completed,
}

/// How a message can reach a guest of restaurant `rid` now: by text (the restaurant has a
/// Twilio number and the guest a phone) or by email (the server has a relay and the guest
/// an address), in the order given.
async fn reach(state: &AppState, rid: Uuid, c: &CustomerRow, prefer_email: bool) -> ApiResult<Option<&'static str>> {
    let sms =
        c.phone_sealed.is_some() && brigade_store::integrations::active_of(&state.db, rid, "twilio").await?.is_some();
    let email = c.email_sealed.is_some() && state.config.smtp_url.is_some();
    Ok(match (prefer_email, sms, email) {
        (true, _, true) | (false, false, true) => Some("email"),
        (_, true, _) => Some("sms"),
        _ => None,
    })
}

/// When an order will be ready, as the restaurant's clock says it ("6:45 PM").
fn ready_at(r: &brigade_store::restaurants::RestaurantRow, at: DateTime<Utc>) -> String {
    match crate::restaurants::restaurant_tz(r) {
        Ok(tz) => at.with_timezone(&tz).format("%-I:%M %p").to_string(),
        Err(_) => at.format("%H:%M UTC").to_string(),
    }
}

/// The signed link a guest opens to see, download or erase what is held about them.
fn data_link(state: &AppState, customer_id: Uuid, now: DateTime<Utc>) -> String {
    let token = crate::customers::service::guest_token(state, customer_id, now);
    format!("{}/my-data/{token}", state.config.public_base_url.trim_end_matches('/'))
}

/// In the order's transaction: writes what `news` of `order` owes its guest, if they are
/// to hear it, and the job that sends it.
pub async fn order_news(
    tx: &mut Tx,
    state: &AppState,
    order: &OrderRow,
    news: OrderNews,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(customer_id) = order.customer_id else { return Ok(()) };
    let asked = order.customer.as_ref().and_then(|c| c.0.get("updates")).and_then(|u| u.as_bool()).unwrap_or(false);
    if !asked {
        return Ok(());
    }
    let r = brigade_store::restaurants::get_tx(tx, order.restaurant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let Some(c) = brigade_store::customers::read_tx(tx, r.group_id, customer_id).await? else { return Ok(()) };
    let kind = match news {
        OrderNews::Placed => "order_placed",
        OrderNews::Ready => "order_ready",
        OrderNews::Completed => "receipt",
    };
    let link = match order.table_id {
        Some(t) => brigade_store::tables::get_tx(tx, r.id, t).await?.map(|t| {
            format!(
                "{}/t/{}/orders/{}#key={}",
                state.config.public_base_url.trim_end_matches('/'),
                brigade_domain::qr::sign(&state.qr_key, t.id, t.qr_version as u32),
                order.id,
                order.tracking_key
            )
        }),
        None => None,
    };
    let lines = brigade_store::orders::lines_tx(tx, order.id).await?;
    let lines: Vec<String> = lines
        .iter()
        .filter(|l| l.voided_at.is_none())
        .map(|l| format!("{} × {}  {}", l.quantity, l.name, Money(l.line_total)))
        .collect();
    let platform = brigade_domain::integration::Platform::parse("channel", order.channel.as_str())
        .map(|p| p.title().to_owned())
        .unwrap_or_else(|_| "the app".into());
    let vars = vec![
        ("number", order.number.to_string()),
        ("total", format!("{} {}", Money(order.total), r.currency)),
        ("link", link.unwrap_or_default()),
        ("platform", platform),
        ("lines", lines.join("\n")),
        ("ready", ready_at(&r, order.estimated_ready_at)),
    ];
    let prefer_email = news == OrderNews::Completed;
    write(tx, state, &r, &c, kind, prefer_email, Some(order.id), vars, now).await
}

/// A delivery platform's order the restaurant could not take: its guest (by the number
/// the platform gave) is told, when the restaurant can text them.
pub async fn platform_refused(
    tx: &mut Tx,
    state: &AppState,
    rid: Uuid,
    platform: brigade_domain::integration::Platform,
    guest: &crate::customers::CustomerInput,
    number: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let r = brigade_store::restaurants::get_tx(tx, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let channel = platform.channel().unwrap_or(brigade_domain::menu::Channel::Web);
    let g = crate::customers::service::order_guest(state, &r, channel, Some(guest), true)?;
    let Some(contact) = g.contact else { return Ok(()) };
    let id = brigade_store::customers::link(tx, &contact, now).await?;
    let Some(c) = brigade_store::customers::read_tx(tx, r.group_id, id).await? else { return Ok(()) };
    let vars = vec![("number", number.to_owned()), ("platform", platform.title().to_owned())];
    write(tx, state, &r, &c, "order_refused", false, None, vars, now).await
}

/// Writes a templated message of `kind` to guest `c` of restaurant `r`, by whichever
/// channel reaches them, with `vars` (the restaurant, the guest's name and their data
/// link are added here).
#[allow(clippy::too_many_arguments)]
async fn write(
    tx: &mut Tx,
    state: &AppState,
    r: &brigade_store::restaurants::RestaurantRow,
    c: &CustomerRow,
    kind: &str,
    prefer_email: bool,
    order_id: Option<Uuid>,
    mut vars: Vec<(&str, String)>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let Some(channel) = reach(state, r.id, c, prefer_email).await? else { return Ok(()) };
    let (sms, subject, body) = match store::template_tx(tx, r.id, kind).await? {
        Some(t) => (t.sms, t.email_subject, t.email_body),
        None => {
            let (a, b, c) = default_template(kind);
            (a.to_owned(), b.to_owned(), c.to_owned())
        }
    };
    vars.push(("restaurant", r.name.clone()));
    vars.push(("name", c.name.clone().unwrap_or_else(|| "there".into())));
    vars.push(("data_link", data_link(state, c.id, now)));
    let (subject, body) = if channel == "sms" {
        (None, render(&sms, &vars))
    } else {
        (Some(render(&subject, &vars)), render(&body, &vars))
    };
    let to = masked(state, c, channel);
    queue(tx, &r.id, c, order_id, (channel, &to), kind, subject, body, now).await.map(drop)
}

/// The guest's number or address as the log shows it: `•••• 4242`, `g•••@example.com`.
fn masked(state: &AppState, c: &CustomerRow, channel: &str) -> String {
    match channel {
        "sms" => c.phone_last4.as_deref().map(mask_phone).unwrap_or_default(),
        _ => c
            .email_sealed
            .as_deref()
            .and_then(|s| state.secrets.open(c.group_id, s).ok())
            .and_then(|p| String::from_utf8(p).ok())
            .map(|e| mask_email(&e))
            .unwrap_or_default(),
    }
}

/// Writes a message and the job that sends it. A text to a number that replied STOP is
/// written as `suppressed`, so the log shows why nothing went.
#[allow(clippy::too_many_arguments)]
async fn queue(
    tx: &mut Tx,
    rid: &Uuid,
    c: &CustomerRow,
    order_id: Option<Uuid>,
    (channel, to_masked): (&str, &str),
    kind: &str,
    subject: Option<String>,
    body: String,
    now: DateTime<Utc>,
) -> ApiResult<MessageRow> {
    let stopped = match (&c.phone_hash, channel) {
        (Some(h), "sms") => store::opted_out(tx, c.group_id, h).await?,
        _ => false,
    };
    let m = MessageRow {
        id: Uuid::now_v7(),
        restaurant_id: *rid,
        customer_id: Some(c.id),
        order_id,
        channel: channel.to_owned(),
        kind: kind.to_owned(),
        to_masked: to_masked.to_owned(),
        subject,
        body,
        status: if stopped { "suppressed" } else { "queued" }.to_owned(),
        attempts: 0,
        provider_id: None,
        error: stopped.then(|| "the number replied STOP".to_owned()),
        created_at: now,
        updated_at: now,
        sent_at: None,
    };
    store::insert(tx, &m).await?;
    if !stopped {
        let opts = EnqueueOptions { run_at: now, idempotency_key: None, restaurant_id: Some(*rid) };
        crate::jobs::enqueue(tx, &SendMessage { message_id: m.id }, opts, now).await?;
    }
    Ok(m)
}

/// Staff write to a guest: `direct` (about their visit) to any guest, `marketing` only
/// to one who agreed to it.
pub async fn send(actor: &Actor, state: &AppState, input: MessageInput) -> ApiResult<MessageView> {
    actor.require(Permission::CustomersWrite)?;
    let marketing = match input.kind.as_str() {
        "marketing" => true,
        "direct" => false,
        _ => return Err(ApiError::validation("kind", "a message is 'marketing' or 'direct'")),
    };
    if marketing {
        actor.require(Permission::CustomersManage)?;
    }
    let body = input.body.trim();
    if body.is_empty() || body.chars().count() > 1600 {
        return Err(ApiError::validation("body", "1 to 1600 characters"));
    }
    let r = brigade_store::restaurants::get(&state.db, actor.rid())
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let c = brigade_store::customers::get(&state.db, r.id, r.group_id, input.customer_id)
        .await?
        .ok_or_else(|| ApiError::validation("customer_id", "no such guest"))?;
    if marketing && !c.marketing_consent {
        return Err(ApiError::validation("customer_id", "this guest has not agreed to marketing messages"));
    }
    let channel = match input.channel.as_deref() {
        Some("sms") | Some("email") | None => {
            let found = reach(state, r.id, &c, input.channel.as_deref() == Some("email")).await?;
            match (found, input.channel.as_deref()) {
                (Some(f), Some(asked)) if f != asked => None,
                (f, _) => f,
            }
        }
        Some(_) => return Err(ApiError::validation("channel", "sms or email")),
    }
    .ok_or_else(|| {
        ApiError::validation(
            "channel",
            "this guest cannot be reached that way: texts need a connected Twilio number and their phone, email the server's SMTP relay and their address",
        )
    })?;
    let now = state.clock.now();
    // Every message carries the guest's link to their data; an offer by text says how
    // to stop them.
    let mut text = format!("{body}\nYour data: {}", data_link(state, c.id, now));
    if marketing && channel == "sms" {
        text.push_str("\nReply STOP to opt out.");
    }
    let subject =
        (channel == "email").then(|| input.subject.clone().unwrap_or_else(|| format!("A message from {}", r.name)));
    let mut tx = state.db.begin(r.id).await?;
    let to = masked(state, &c, channel);
    let m = queue(&mut tx, &r.id, &c, None, (channel, &to), &input.kind, subject, text, now).await?;
    actor
        .record(&mut tx, "customer.messaged", "customer", c.id, json!({ "kind": input.kind, "channel": channel }), now)
        .await?;
    state.commit(tx, crate::After::jobs()).await?;
    Ok(view(m))
}

// ---------------------------------------------------------------- sending

/// Sends one message; retried with backoff while the provider is not there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendMessage {
    pub message_id: Uuid,
}

impl Job for SendMessage {
    const KIND: &'static str = "messages.send";
    const MAX_ATTEMPTS: i32 = 6;
    const BASE_BACKOFF: Duration = Duration::seconds(30);

    async fn run(self, state: AppState) -> anyhow::Result<()> {
        deliver(&state, self.message_id).await
    }
}

/// What one try at a message came to.
enum Outcome {
    Sent(String),
    Failed(String),
    Suppressed(String),
    Retry(String),
}

/// Tries a message once, outside any transaction for the call itself; writes the
/// outcome. An error asks the worker to try again later.
pub async fn deliver(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let mut tx = state.db.begin(System::Jobs).await?;
    let Some(m) = store::get_tx(&mut tx, id).await? else { return Ok(()) };
    if m.status != "queued" {
        return Ok(());
    }
    let customer = match m.customer_id {
        Some(cid) => brigade_store::customers::by_id_tx(&mut tx, cid).await?,
        None => None,
    };
    let r = brigade_store::restaurants::get_tx(&mut tx, m.restaurant_id).await?;
    let stopped = match (&customer, m.channel.as_str()) {
        (Some(c), "sms") => match &c.phone_hash {
            Some(h) => store::opted_out(&mut tx, c.group_id, h).await?,
            None => false,
        },
        _ => false,
    };
    drop(tx);
    let attempts = m.attempts + 1;
    let outcome = match (customer, r) {
        (None, _) | (_, None) => Outcome::Suppressed("the guest was erased".into()),
        (Some(_), _) if stopped => Outcome::Suppressed("the number replied STOP".into()),
        (Some(c), _) if m.kind == "marketing" && !c.marketing_consent => {
            Outcome::Suppressed("the guest withdrew their consent".into())
        }
        (Some(c), Some(r)) => attempt(state, &m, &c, &r).await,
    };
    let now = state.clock.now();
    let (status, provider, error, retry) = match outcome {
        Outcome::Sent(id) => ("sent", Some(id), None, None),
        Outcome::Failed(e) => ("failed", None, Some(e), None),
        Outcome::Suppressed(e) => ("suppressed", None, Some(e), None),
        Outcome::Retry(e) if attempts >= i64::from(SendMessage::MAX_ATTEMPTS) => ("failed", None, Some(e), None),
        Outcome::Retry(e) => ("queued", None, Some(e.clone()), Some(e)),
    };
    let mut tx = state.db.begin(m.restaurant_id).await?;
    store::set_outcome(&mut tx, m.id, status, provider.as_deref(), error.as_deref(), attempts, now).await?;
    tx.commit().await?;
    match retry {
        Some(e) => anyhow::bail!("message {} not sent yet: {e}", m.id),
        None => Ok(()),
    }
}

async fn attempt(
    state: &AppState,
    m: &MessageRow,
    c: &CustomerRow,
    r: &brigade_store::restaurants::RestaurantRow,
) -> Outcome {
    let open = |sealed: Option<&[u8]>| {
        sealed.and_then(|s| state.secrets.open(c.group_id, s).ok()).and_then(|p| String::from_utf8(p).ok())
    };
    let sent = if m.channel == "sms" {
        let Some(to) = open(c.phone_sealed.as_deref()) else {
            return Outcome::Suppressed("the guest has no phone number now".into());
        };
        let row = match brigade_store::integrations::active_of(&state.db, r.id, "twilio").await {
            Ok(Some(row)) => row,
            Ok(None) => return Outcome::Failed("no Twilio account is connected (or it is paused)".into()),
            Err(e) => return Outcome::Retry(format!("database: {e}")),
        };
        let Some(twilio) = Twilio::of(state, &row) else {
            return Outcome::Failed("the Twilio credentials could not be opened; enter them again".into());
        };
        let sent = twilio.send(&row.store_id, &to, &m.body).await;
        if sent == Err(SendError::Unsubscribed) {
            // Twilio knows they said STOP: so do we, from now on.
            if let Some(h) = &c.phone_hash {
                if let Ok(mut tx) = state.db.begin(r.id).await {
                    let ok = store::set_opt_out(&mut tx, c.group_id, h, true, state.clock.now()).await.is_ok();
                    if ok {
                        let _ = tx.commit().await;
                    }
                }
            }
        }
        sent
    } else {
        let Some(to) = open(c.email_sealed.as_deref()) else {
            return Outcome::Suppressed("the guest has no email address now".into());
        };
        let Some(url) = &state.config.smtp_url else {
            return Outcome::Failed("this server has no SMTP relay (--smtp-url)".into());
        };
        match Mailer::new(url, &state.config.mail_from) {
            Ok(mailer) => mailer.send(&r.name, &to, m.subject.as_deref().unwrap_or_default(), &m.body).await,
            Err(e) => return Outcome::Failed(e),
        }
    };
    match sent {
        Ok(id) => Outcome::Sent(id),
        Err(SendError::Transient(e)) => Outcome::Retry(e),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

// ---------------------------------------------------------------- replies

/// The words that stop texts (Twilio's own opt-out keywords), and those that start them again.
const STOP: [&str; 8] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"];
const START: [&str; 3] = ["START", "UNSTOP", "YES"];

/// A text a guest sent the restaurant's number (Twilio's inbound message webhook, its
/// signature checked by the caller): STOP and its kin stop texts to that number from
/// every restaurant of the group and withdraw marketing consent; START lifts it.
/// Returns whether anything changed.
pub async fn reply(state: &AppState, rid: Uuid, from: &str, body: &str) -> ApiResult<bool> {
    let word = body.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_uppercase();
    let stop = STOP.contains(&word.as_str());
    if !stop && !START.contains(&word.as_str()) {
        return Ok(false);
    }
    let r = brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let Ok(e164) = brigade_domain::customer::normalise_phone(from, crate::restaurants::phone_country(&r).as_deref())
    else {
        return Ok(false);
    };
    let hash = state.secrets.lookup_hash("phone", &e164);
    let now = state.clock.now();
    let guest =
        brigade_store::customers::by_hash(&state.db, rid, r.group_id, brigade_store::customers::Kind::Phone, &hash)
            .await?;
    let mut tx = state.db.begin(rid).await?;
    store::set_opt_out(&mut tx, r.group_id, &hash, stop, now).await?;
    if let (true, Some(mut c)) = (stop, guest.clone()) {
        if c.marketing_consent {
            c.marketing_consent = false;
            c.consent_at = Some(now);
            c.consent_channel = Some("sms".into());
            c.consent_restaurant_id = Some(rid);
            brigade_store::customers::update_profile(&mut tx, &c, now).await?;
        }
    }
    let event = brigade_store::events::NewEvent {
        restaurant_id: Some(rid),
        kind: if stop { "customer.texts_stopped" } else { "customer.texts_started" },
        entity: "customer",
        entity_id: guest.as_ref().map(|c| c.id),
        actor: brigade_store::events::ActedBy::Guest,
        payload: json!({ "customer_id": guest.as_ref().map(|c| c.id), "number": mask_phone(&brigade_domain::customer::last_four(&e164)) }),
        at: now,
    };
    brigade_store::events::record(&mut tx, event).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(true)
}
