//! A call, turn by turn: Twilio posts what the caller said (its speech recognition, or
//! nothing), the dialog (`brigade_domain::language::call`) decides, and the answer is
//! TwiML. The call's state lives in its row between webhooks; each answer is kept with
//! the turn it answers, so a webhook Twilio sends twice gets the same answer and changes
//! nothing. The order is placed through the one order path, with the CallSid as its
//! idempotency key, and only after the caller said yes to it read back with its total.

use super::{CallView, LineStatus, PhoneStatus, TurnView};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::orders::{LineInput, OrderInput, Placer};
use crate::AppState;
use askama::Template;
use brigade_domain::auth::Permission;
use brigade_domain::language::call::{self, Call, CallLine, Fulfilment, Next, Setting, Stage};
use brigade_domain::language::ordering::{MenuItem, MenuOption, OptionGroup, OrderMenu};
use brigade_domain::menu::{Channel, Sellable};
use brigade_domain::order::OrderType;
use brigade_store::events::{self, ActedBy, NewEvent};
use brigade_store::integrations::IntegrationRow;
use brigade_store::phone::{self as store, CallRow, TurnRow};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// The most a caller may say in one turn that is read (a recogniser's run-on is cut).
const HEARD_MAX: usize = 500;
/// Units of one item taken by phone unless the line's config says otherwise.
const MAX_QUANTITY: u32 = 20;

/// TwiML: what the agent says, then listen (`gather`: the action URL), put the call
/// through (`dial`), or hang up.
#[derive(Template)]
#[template(path = "twiml.xml")]
pub struct Twiml<'a> {
    pub say: &'a str,
    pub gather: Option<&'a str>,
    pub hints: &'a str,
    pub dial: Option<&'a str>,
    pub hangup: bool,
}

impl Twiml<'_> {
    pub fn text(&self) -> String {
        self.render()
            .unwrap_or_else(|_| "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".to_owned())
    }
}

/// A polite end for a call Brigade cannot take.
pub fn goodbye(say: &str) -> String {
    Twiml { say, gather: None, hints: "", dial: None, hangup: true }.text()
}

/// What a line's config says of calls.
struct Line {
    forward_to: Option<String>,
    greeting: Option<String>,
    max_quantity: u32,
    require_name: bool,
    delivers: bool,
    delivery_areas: Vec<String>,
}

fn line(row: &IntegrationRow) -> Line {
    let c = &row.config.0;
    Line {
        forward_to: c
            .get("forward_to")
            .and_then(|v| v.as_str())
            .and_then(|n| brigade_domain::customer::normalise_phone(n, None).ok()),
        greeting: c.get("greeting").and_then(|v| v.as_str()).map(str::to_owned),
        max_quantity: c.get("max_quantity").and_then(|v| v.as_u64()).map_or(MAX_QUANTITY, |n| n as u32),
        require_name: c.get("require_name").and_then(|v| v.as_bool()).unwrap_or(false),
        delivers: c.get("delivery").and_then(|v| v.as_bool()).unwrap_or(false),
        delivery_areas: c
            .get("delivery_areas")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    }
}

fn field<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// Whether a Twilio webhook is about a call (rather than a text).
pub fn is_call(params: &[(String, String)]) -> bool {
    !field(params, "CallSid").is_empty() && field(params, "MessageSid").is_empty()
}

/// Answers one of Twilio's voice webhooks for line `row` (its signature checked):
/// `turn` is the turn it answers (none: the call's first request).
pub async fn voice(
    state: &AppState,
    row: &IntegrationRow,
    params: &[(String, String)],
    turn: Option<i64>,
) -> ApiResult<String> {
    let sid = field(params, "CallSid");
    let now = state.clock.now();
    let to = field(params, "To");
    if normal(to) != normal(&row.store_id) {
        tracing::warn!(integration_id = %row.id, to, "a call to a number this line is not");
        return Ok(goodbye("Sorry, this number is not set up to take orders. Goodbye."));
    }
    let r = brigade_store::restaurants::get(&state.db, row.restaurant_id)
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let line = line(row);
    let url = super::action_url(state, row);
    let (menu, prep) = phone_menu(state, &r).await?;
    let hints = hints(&menu);
    let Some(turn) = turn else {
        return first(state, row, &r, params, &line, &url, &hints, now).await;
    };
    // The turn is worked out on the call as it stands, with no lock held: quoting and
    // placing the order take the order writer, which must not wait on this call's row.
    let Some(mut call) = store::by_sid(&state.db, r.id, sid).await? else {
        return Ok(goodbye("Sorry, I lost track of this call. Please call again. Goodbye."));
    };
    // A webhook sent again (or a turn already past): the same answer, nothing changed.
    if turn <= call.turn || call.status == "ended" {
        return Ok(call.last_twiml);
    }
    let heard: String = field(params, "SpeechResult").chars().take(HEARD_MAX).collect();
    let confidence = field(params, "Confidence").parse::<f64>().ok();
    let mut dialog: Call = serde_json::from_str(&call.state).unwrap_or_default();
    let usual = usual_of(state, &call).await?;
    let wait = wait_minutes(state, &r, &dialog, &prep).await?;
    let currency = r.currency.clone();
    let money = move |m: i64| said_money(&currency, m);
    let setting = Setting {
        menu: &menu,
        max_quantity: line.max_quantity,
        delivers: line.delivers,
        delivery_areas: &line.delivery_areas,
        needs_name: line.require_name,
        usual: usual.as_deref(),
        wait_minutes: wait,
        money: &money,
    };
    // Say this, then listen for the next turn.
    let action = next_url(&url, turn);
    let listen = |say: &str| Twiml { say, gather: Some(&action), hints: &hints, dial: None, hangup: false }.text();
    let silent = heard.trim().is_empty();
    let mut outcome = None;
    // Whether this answer ends the call (<Hangup/>): then it is over now, whether or not
    // Twilio's status callback is set up to say so.
    let mut hangs_up = false;
    let (said, twiml) = if silent && dialog.misses >= 1 {
        outcome = Some(if dialog.lines.is_empty() { "question" } else { "abandoned" });
        hangs_up = true;
        let say = "I still cannot hear you, so I will hang up now. Please call again. Goodbye.";
        (say.to_owned(), goodbye(say))
    } else {
        match call::turn(&mut dialog, &heard, &setting) {
            Next::Ask(say) => {
                let text = listen(&say);
                (say, text)
            }
            Next::ReadBack => {
                let quote =
                    crate::orders::quote_order(state, r.id, order_input(&dialog, &call, state)?, ActedBy::System).await;
                match quote {
                    Ok(q) => {
                        let say = format!(
                            "{} Your total is {} with tax. Shall I place the order?",
                            call::read_back(&dialog),
                            said_money(&q.currency, q.total)
                        );
                        dialog.last_said = say.clone();
                        let text = listen(&say);
                        (say, text)
                    }
                    Err(e) => {
                        // Something changed under the order (an item went off): say it, keep taking.
                        dialog.stage = Stage::Taking;
                        let say = format!("Sorry, {}. What would you like instead?", speakable(e)?);
                        let text = listen(&say);
                        (say, text)
                    }
                }
            }
            Next::Place => match place(state, &r, &dialog, &call).await {
                Ok(order) => {
                    call.order_id = Some(order.id);
                    outcome = Some("ordered");
                    hangs_up = true;
                    let ready = order.estimated_ready_at.with_timezone(&crate::restaurants::restaurant_tz(&r)?);
                    let say = format!(
                        "Your order number is {}. It will be ready at about {}. We will text you the details. Thank you, goodbye.",
                        order.number,
                        ready.format("%-I:%M %p")
                    );
                    (say.clone(), goodbye(&say))
                }
                Err(e) => {
                    dialog.stage = Stage::Taking;
                    let say =
                        format!("Sorry, I could not place that: {}. What would you like to change?", speakable(e)?);
                    let text = listen(&say);
                    (say, text)
                }
            },
            Next::HandOff(say) => {
                outcome = Some("handed_off");
                match &line.forward_to {
                    Some(number) => {
                        let twiml = Twiml { say: &say, gather: None, hints: "", dial: Some(number), hangup: false };
                        let text = twiml.text();
                        (say, text)
                    }
                    None => {
                        hangs_up = true;
                        let say =
                            "Sorry, there is no one to put you through to right now. Please call again later. Goodbye.";
                        (say.to_owned(), goodbye(say))
                    }
                }
            }
        }
    };
    let mut tx = state.db.begin(r.id).await?;
    match store::by_sid_tx(&mut tx, sid).await? {
        // Answered meanwhile by the same webhook sent twice: that answer stands.
        Some(now_row) if now_row.turn >= turn => return Ok(now_row.last_twiml),
        Some(_) => {}
        None => return Err(ApiError::not_found("call")),
    }
    if let Some(order_id) = call.order_id.filter(|_| outcome == Some("ordered")) {
        if let Some(order) = brigade_store::orders::by_id(&state.db, r.id, order_id).await? {
            crate::messages::service::order_news(
                &mut tx,
                state,
                &order,
                crate::messages::service::OrderNews::Placed,
                now,
            )
            .await?;
        }
    }
    let seq = store::turn_count(&mut tx, call.id).await?;
    let mut turns = Vec::new();
    if !silent {
        turns.push(TurnRow {
            id: Uuid::now_v7(),
            call_id: call.id,
            restaurant_id: r.id,
            seq,
            speaker: "caller".into(),
            text: heard.clone(),
            confidence,
            at: now,
        });
    }
    turns.push(TurnRow {
        id: Uuid::now_v7(),
        call_id: call.id,
        restaurant_id: r.id,
        seq: seq + turns.len() as i64,
        speaker: "agent".into(),
        text: said,
        confidence: None,
        at: now,
    });
    store::add_turns(&mut tx, &turns).await?;
    call.state = serde_json::to_string(&dialog).unwrap_or_default();
    call.turn = turn;
    call.last_twiml = twiml.clone();
    call.updated_at = now;
    if let Some(o) = outcome {
        call.outcome = Some(o.to_owned());
    }
    if hangs_up {
        call.status = "ended".into();
        call.ended_at = Some(now);
        call.duration_seconds = Some((now - call.started_at).num_seconds());
    }
    store::save(&mut tx, &call).await?;
    let kind = match (hangs_up, outcome) {
        (true, _) => "phone.call_ended",
        (false, Some(_)) => "phone.call_updated",
        (false, None) => "phone.call_turn",
    };
    record(&mut tx, &call, &dialog, kind, now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(twiml)
}

/// The call's first request: the call is kept, the caller recognised, greeted.
#[allow(clippy::too_many_arguments)]
async fn first(
    state: &AppState,
    row: &IntegrationRow,
    r: &brigade_store::restaurants::RestaurantRow,
    params: &[(String, String)],
    line: &Line,
    url: &str,
    hints: &str,
    now: DateTime<Utc>,
) -> ApiResult<String> {
    let sid = field(params, "CallSid");
    let from = field(params, "From");
    let caller = crate::customers::service::caller(state, r, from).await?;
    let id = Uuid::now_v7();
    let mut dialog = Call::default();
    let usual = match &caller {
        Some(c) => last_order(state, c.customer_id).await?,
        None => None,
    };
    let open = crate::restaurants::service::open_now(state, r).await?;
    let mut say = if open.open {
        call::greet(&mut dialog, &r.name, caller.as_ref().and_then(|c| c.name.as_deref()), usual.as_deref())
    } else {
        // Outside opening hours the agent takes no order: it says when to call again.
        let tz = crate::restaurants::restaurant_tz(r)?;
        let when = open
            .opens_at
            .map(|at| format!(" We open {}.", crate::restaurants::service::when_it_opens(at, now, tz)))
            .unwrap_or_default();
        format!("Thanks for calling {}. We are closed right now.{when} Please call again then. Goodbye.", r.name)
    };
    if let Some(g) = &line.greeting {
        say = format!("{g} {say}");
        dialog.last_said = say.clone();
    }
    let twiml = if open.open {
        Twiml { say: &say, gather: Some(&next_url(url, 0)), hints, dial: None, hangup: false }.text()
    } else {
        goodbye(&say)
    };
    let closed = !open.open;
    let row = CallRow {
        id,
        restaurant_id: r.id,
        integration_id: row.id,
        call_sid: sid.chars().take(64).collect(),
        to_number: field(params, "To").chars().take(32).collect(),
        caller_sealed: caller.as_ref().map(|c| c.sealed.clone()),
        caller_hash: caller.as_ref().map(|c| c.hash.clone()),
        caller_last4: caller.as_ref().map(|c| c.last4.clone()),
        customer_id: caller.as_ref().and_then(|c| c.customer_id),
        status: if closed { "ended" } else { "in_progress" }.into(),
        outcome: closed.then(|| "question".into()),
        order_id: None,
        state: serde_json::to_string(&dialog).unwrap_or_default(),
        turn: 0,
        last_twiml: twiml.clone(),
        started_at: now,
        ended_at: closed.then_some(now),
        duration_seconds: closed.then_some(0),
        updated_at: now,
    };
    let mut tx = state.db.begin(r.id).await?;
    if !store::start(&mut tx, &row).await? {
        // Twilio asked again for a call it had begun: the greeting it already has.
        let known = store::by_sid_tx(&mut tx, sid).await?.map(|c| c.last_twiml);
        return Ok(known.unwrap_or(twiml));
    }
    let agent = TurnRow {
        id: Uuid::now_v7(),
        call_id: id,
        restaurant_id: r.id,
        seq: 0,
        speaker: "agent".into(),
        text: say,
        confidence: None,
        at: now,
    };
    store::add_turns(&mut tx, &[agent]).await?;
    record(&mut tx, &row, &dialog, if closed { "phone.call_ended" } else { "phone.call_started" }, now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(twiml)
}

/// Twilio's word that a call ended (its status callback): when, how long, and an
/// outcome for a call that ended mid-order (abandoned: nothing was placed).
pub async fn ended(state: &AppState, row: &IntegrationRow, params: &[(String, String)]) -> ApiResult<()> {
    let status = field(params, "CallStatus");
    if !matches!(status, "completed" | "busy" | "failed" | "no-answer" | "canceled") {
        return Ok(());
    }
    let now = state.clock.now();
    let mut tx = state.db.begin(row.restaurant_id).await?;
    let Some(mut call) = store::by_sid_tx(&mut tx, field(params, "CallSid")).await? else { return Ok(()) };
    if call.restaurant_id != row.restaurant_id {
        return Ok(());
    }
    let twilios = field(params, "CallDuration").parse::<i64>().ok();
    if call.status == "ended" {
        // The agent hung up first: Twilio's count of the call's length is the one kept.
        if twilios.is_some() && twilios != call.duration_seconds {
            call.duration_seconds = twilios;
            store::save(&mut tx, &call).await?;
            state.commit(tx, crate::After::NOTHING).await?;
        }
        return Ok(());
    }
    call.status = "ended".into();
    call.ended_at = Some(now);
    call.duration_seconds = twilios.or_else(|| Some((now - call.started_at).num_seconds()));
    if call.outcome.is_none() {
        let dialog: Call = serde_json::from_str(&call.state).unwrap_or_default();
        call.outcome = Some(if dialog.lines.is_empty() { "question" } else { "abandoned" }.into());
    }
    call.updated_at = now;
    store::save(&mut tx, &call).await?;
    let dialog: Call = serde_json::from_str(&call.state).unwrap_or_default();
    record(&mut tx, &call, &dialog, "phone.call_ended", now).await?;
    state.commit(tx, crate::After::NOTHING).await?;
    Ok(())
}

/// The event the live calls panel follows: what has been understood so far.
async fn record(
    tx: &mut brigade_store::Tx,
    call: &CallRow,
    dialog: &Call,
    kind: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let lines: Vec<String> = dialog.lines.iter().map(CallLine::said).collect();
    let payload = json!({
        "call_id": call.id,
        "caller": call.caller_last4.as_deref().map(brigade_domain::customer::mask_phone),
        "status": call.status,
        "outcome": call.outcome,
        "order_id": call.order_id,
        "understood": lines,
        "stage": dialog.stage,
        "started_at": call.started_at,
    });
    let e = NewEvent {
        restaurant_id: Some(call.restaurant_id),
        kind,
        entity: "phone_call",
        entity_id: Some(call.id),
        actor: ActedBy::System,
        payload,
        at: now,
    };
    events::record(tx, e).await?;
    Ok(())
}

/// Places the order read back, as the caller: channel `phone`, their number linked to
/// their profile, the CallSid its idempotency key (a second yes places nothing more).
async fn place(
    state: &AppState,
    r: &brigade_store::restaurants::RestaurantRow,
    dialog: &Call,
    call: &CallRow,
) -> ApiResult<crate::orders::OrderView> {
    let input = order_input(dialog, call, state)?;
    let placer = Placer::new(ActedBy::System, Some(format!("phone:{}", call.call_sid)));
    crate::orders::place_order(state, r.id, input, placer).await
}

fn order_input(dialog: &Call, call: &CallRow, state: &AppState) -> ApiResult<OrderInput> {
    let phone = match &call.caller_sealed {
        Some(sealed) => state.secrets.open(call.restaurant_id, sealed).ok().and_then(|p| String::from_utf8(p).ok()),
        None => None,
    };
    let (kind, address) = match &dialog.fulfilment {
        Fulfilment::Pickup => (OrderType::Takeout, None),
        Fulfilment::Delivery { address } => (OrderType::Delivery, address.clone()),
    };
    let customer = crate::customers::CustomerInput {
        name: dialog.name.clone(),
        phone,
        address,
        order_updates: Some(true),
        ..Default::default()
    };
    Ok(OrderInput {
        channel: Channel::Phone,
        kind,
        table_id: None,
        customer: Some(customer),
        items: dialog
            .lines
            .iter()
            .map(|l| LineInput {
                item_id: l.item_id,
                quantity: i64::from(l.quantity),
                modifiers: l.options.iter().map(|(id, _)| *id).collect(),
                notes: None,
                seat: None,
            })
            .collect(),
        special_instructions: None,
        external_id: None,
        external_total: None,
        redeem_points: None,
        reward_id: None,
        points_proof: None,
        promo_code: None,
    })
}

/// The caller's last order, as lines they can have again.
async fn usual_of(state: &AppState, call: &CallRow) -> ApiResult<Option<Vec<CallLine>>> {
    match call.customer_id {
        Some(c) => last_order(state, Some(c)).await,
        None => Ok(None),
    }
}

async fn last_order(state: &AppState, customer: Option<Uuid>) -> ApiResult<Option<Vec<CallLine>>> {
    let Some(customer) = customer else { return Ok(None) };
    let orders = brigade_store::customers::orders(&state.db, customer, None, 5).await?;
    let Some(o) = orders.iter().find(|o| o.status.as_str() != "cancelled") else { return Ok(None) };
    let lines = brigade_store::orders::lines(&state.db, o.restaurant_id, &[o.id]).await?;
    let lines: Vec<CallLine> = lines
        .into_iter()
        .filter(|l| l.voided_at.is_none())
        .map(|l| CallLine {
            item_id: l.item_id,
            name: l.name,
            quantity: l.quantity.clamp(1, i64::from(u32::MAX)) as u32,
            options: l.modifiers.0.iter().map(|m| (m.option_id, m.name.clone())).collect(),
        })
        .collect();
    Ok((!lines.is_empty()).then_some(lines))
}

/// Minutes until the order being taken would be ready if placed now, as the order path
/// estimates it (the longest preparation on it, the queue, busy mode's extra minutes);
/// before anything is ordered, the menu's typical (median) preparation stands in.
async fn wait_minutes(
    state: &AppState,
    r: &brigade_store::restaurants::RestaurantRow,
    dialog: &Call,
    prep: &std::collections::HashMap<Uuid, i64>,
) -> ApiResult<i64> {
    let now = state.clock.now();
    let mut read = state.db.begin_read(r.id).await?;
    let ahead = brigade_store::orders::open_count(&mut read, r.id, 60).await?;
    let busy = brigade_store::busy::get_tx(&mut read, r.id).await?.filter(|b| b.on_at(now));
    drop(read);
    let longest = dialog.lines.iter().filter_map(|l| prep.get(&l.item_id)).max().copied();
    let typical = || {
        let mut all: Vec<i64> = prep.values().copied().collect();
        all.sort_unstable();
        all.get(all.len() / 2).copied().unwrap_or(15)
    };
    let ready = crate::orders::estimate_ready(now, longest.unwrap_or_else(typical), ahead);
    Ok((ready - now).num_minutes() + busy.map_or(0, |b| b.extra_minutes))
}

/// The restaurant's menu as a caller may order it now: every item of an active
/// category, with whether it can be had by phone now (an 86'd one is named, and
/// refused, with the others of its category); with each item's preparation minutes.
pub async fn phone_menu(
    state: &AppState,
    r: &brigade_store::restaurants::RestaurantRow,
) -> ApiResult<(OrderMenu, std::collections::HashMap<Uuid, i64>)> {
    let tz = crate::restaurants::restaurant_tz(r)?;
    let now = state.clock.now();
    let categories = brigade_store::menu::categories(&state.db, r.id).await?;
    let categories: Vec<_> = categories.into_iter().filter(|c| c.is_active).collect();
    let items = brigade_store::menu::all_items(&state.db, r.id).await?;
    let mut out = Vec::new();
    let mut prep = std::collections::HashMap::new();
    for i in items {
        let Some(category) = categories.iter().position(|c| c.id == i.category_id) else { continue };
        if !i.is_active {
            continue;
        }
        let sellable = Sellable {
            is_active: i.is_active,
            category_active: true,
            eighty_six: i.eighty_six.as_ref().map(|e| &e.0),
            schedule: &i.schedule.0,
            channels: &i.channels.0,
            groups: &i.modifier_groups.0,
        };
        let available = brigade_domain::menu::is_orderable(&sellable, Channel::Phone, now, tz).is_ok();
        let price =
            brigade_domain::menu::channel_price(brigade_domain::money::Money(i.price), &i.channels.0, Channel::Phone).0;
        let groups = i
            .modifier_groups
            .0
            .iter()
            .map(|g| OptionGroup {
                name: g.name.clone(),
                min: g.min,
                max: g.max,
                options: g
                    .options
                    .iter()
                    .map(|o| MenuOption {
                        id: o.id,
                        name: o.name.clone(),
                        price_delta: o.price_delta.0,
                        available: o.orderable(Channel::Phone, now),
                    })
                    .collect(),
            })
            .collect();
        prep.insert(i.id, i.prep_minutes);
        out.push(MenuItem { id: i.id, name: i.name, category, price, available, groups });
    }
    Ok((OrderMenu::new(categories.into_iter().map(|c| c.name).collect(), out), prep))
}

/// Words the recogniser should expect: the menu's names (Twilio's `hints`).
fn hints(menu: &OrderMenu) -> String {
    let mut names: Vec<&str> = menu.items.iter().map(|i| i.name.as_str()).collect();
    names.extend(
        menu.items.iter().flat_map(|i| i.groups.iter().flat_map(|g| g.options.iter().map(|o| o.name.as_str()))),
    );
    names.extend(menu.categories.iter().map(String::as_str));
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for n in names {
        let n = n.replace(',', " ");
        if out.len() + n.len() + 2 > 1000 {
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(&n);
    }
    out
}

/// What a refusal says to a caller (an item gone, a quantity refused); anything else is
/// the server's trouble, not theirs, and fails the webhook (Twilio says so and ends).
fn speakable(e: ApiError) -> ApiResult<String> {
    match e {
        ApiError::Validation { message, .. }
        | ApiError::Conflict { message, .. }
        | ApiError::Refused { message, .. } => Ok(message.trim_end_matches('.').to_owned()),
        other => Err(other),
    }
}

fn next_url(url: &str, turn: i64) -> String {
    format!("{url}?turn={}", turn + 1)
}

/// A number as compared: digits and a leading +.
fn normal(n: &str) -> String {
    n.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

/// An amount as Twilio's voice reads it: "$43.49" (dollars and cents), "€12.50".
pub fn said_money(currency: &str, minor: i64) -> String {
    let amount = format!("{}.{:02}", minor / 100, (minor % 100).abs());
    match currency {
        "USD" | "CAD" | "AUD" | "NZD" => format!("${amount}"),
        "EUR" => format!("€{amount}"),
        "GBP" => format!("£{amount}"),
        other => format!("{amount} {other}"),
    }
}

// ---------------------------------------------------------------- staff

/// A call in progress not heard from for this long is over, whether or not Twilio's
/// status callback said so (a line may have none set): Twilio waits seconds, not
/// minutes, for a caller's answer.
pub const SILENT_CALL: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The restaurant's calls, newest first; `live`: only those going on now.
pub async fn calls(
    actor: &Actor,
    state: &AppState,
    before: Option<Uuid>,
    live: bool,
    limit: i64,
) -> ApiResult<Vec<CallView>> {
    actor.require(Permission::OrdersRead)?;
    let since = live.then(|| state.clock.now() - SILENT_CALL);
    let rows = store::list(&state.db, actor.rid(), before, since, limit).await?;
    Ok(rows.into_iter().map(|c| view(actor, state, c, Vec::new())).collect())
}

pub async fn call(actor: &Actor, state: &AppState, id: Uuid) -> ApiResult<CallView> {
    actor.require(Permission::OrdersRead)?;
    let row = store::get(&state.db, actor.rid(), id).await?.ok_or_else(|| ApiError::not_found("call"))?;
    let turns = store::turns(&state.db, actor.rid(), id).await?;
    let turns = turns
        .into_iter()
        .map(|t| TurnView { speaker: t.speaker, text: t.text, confidence: t.confidence, at: t.at })
        .collect();
    Ok(view(actor, state, row, turns))
}

fn view(actor: &Actor, state: &AppState, c: CallRow, turns: Vec<TurnView>) -> CallView {
    let whole = actor.allows(Permission::CustomersContact);
    let caller = match (&c.caller_sealed, whole) {
        (Some(sealed), true) => {
            state.secrets.open(c.restaurant_id, sealed).ok().and_then(|p| String::from_utf8(p).ok())
        }
        _ => None,
    }
    .or_else(|| c.caller_last4.as_deref().map(brigade_domain::customer::mask_phone));
    let dialog: Call = serde_json::from_str(&c.state).unwrap_or_default();
    CallView {
        id: c.id,
        caller,
        to: c.to_number,
        customer_id: c.customer_id,
        status: c.status,
        outcome: c.outcome,
        order_id: c.order_id,
        understood: dialog.lines.iter().map(CallLine::said).collect(),
        started_at: c.started_at,
        ended_at: c.ended_at,
        duration_seconds: c.duration_seconds,
        updated_at: c.updated_at,
        turns,
    }
}

/// Each phone line: whether it can take calls (credentials open, a number to hand off
/// to) and whether Twilio answers for its account.
pub async fn status(actor: &Actor, state: &AppState) -> ApiResult<PhoneStatus> {
    actor.require(Permission::IntegrationsManage)?;
    let rows = brigade_store::integrations::list(&state.db, actor.rid()).await?;
    let mut lines = Vec::new();
    for row in rows.into_iter().filter(|r| r.platform == "twilio") {
        let config = line(&row);
        let (reachable, problem) = match crate::messages::twilio::Twilio::of(state, &row) {
            Some(t) => match t.account().await {
                Ok(_) => (true, None),
                Err(e) => (false, Some(e.to_string())),
            },
            None => (false, Some("the credentials cannot be opened; enter them again".into())),
        };
        lines.push(LineStatus {
            integration_id: row.id,
            number: row.store_id.clone(),
            webhook_url: super::action_url(state, &row),
            status_callback_url: super::status_url(state, row.restaurant_id),
            configured: row.credentials.is_some() && config.forward_to.is_some(),
            forward_to: config.forward_to,
            reachable,
            problem,
        });
    }
    Ok(PhoneStatus { lines })
}
