//! The tool registry: every command the assistant, the phone agent and MCP clients can
//! give, each a thin typed wrapper over a service function, called with the speaker's own
//! permissions. A tool reads its JSON arguments (names as people say them, or ids),
//! resolves the names against the restaurant's live vocabularies (asking when a name fits
//! several things), says what it would do when the action needs confirming, and
//! otherwise calls the service: its `result` is what the matching REST endpoint returns.

use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::extract::PageParams;
use crate::menu::AvailabilityInput;
use crate::restaurants::restaurant_tz;
use crate::{busy, inventory, labour, menu, orders, tasks, AppState};
use brigade_domain::auth::Permission;
use brigade_domain::language::{self, or_list, Entry, Fit, Vocabulary};
use brigade_domain::menu::{business_day, Channel};
use brigade_domain::order::OrderStatus;
use brigade_domain::{ItemId, OrderId};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// A tool as callers see it (`GET …/assistant/commands`, MCP's `tools/list`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ToolSpec {
    pub tool: &'static str,
    pub description: &'static str,
    /// The permission it needs (`menu:86`, …), as API keys are scoped.
    pub permission: String,
    /// Its arguments, as a JSON Schema.
    #[schema(value_type = Object)]
    pub parameters: Value,
    pub examples: Vec<&'static str>,
    /// When it asks for confirmation first.
    pub confirm: Option<&'static str>,
}

struct Def {
    tool: &'static str,
    description: &'static str,
    permission: Permission,
    parameters: fn() -> Value,
    examples: &'static [&'static str],
    confirm: Option<&'static str>,
}

fn until_schema() -> Value {
    json!({ "type": ["string", "null"], "description": "an RFC 3339 time, \"end_of_day\", or null (until brought back)" })
}

fn channels_schema() -> Value {
    let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    json!({ "type": "array", "items": { "type": "string", "enum": names }, "description": "only these channels; all when absent" })
}

fn names_schema(what: &str) -> Value {
    json!({ "type": "array", "minItems": 1, "maxItems": 50, "items": { "type": "string", "minLength": 1, "maxLength": 200 },
            "description": format!("{what}, by name as people say it or by id") })
}

fn none() -> Value {
    json!({ "type": "object", "properties": {}, "additionalProperties": false })
}

const DEFS: &[Def] = &[
    Def {
        tool: "eighty_six",
        description:
            "86 menu items: stop selling them now on every channel (or some), until a time or until brought back.",
        permission: Permission::EightySix,
        parameters: || {
            json!({ "type": "object", "required": ["items"], "properties": {
                "items": names_schema("menu items"), "until": until_schema(), "channels": channels_schema(),
                "reason": { "type": "string", "maxLength": 500 } } })
        },
        examples: &[
            "86 the salmon",
            "we're out of fish and chips until 5",
            "86 the tiramisu on Uber Eats for the rest of the night",
        ],
        confirm: Some("more than three items at once"),
    },
    Def {
        tool: "restore",
        description: "Bring 86'd menu items back on sale.",
        permission: Permission::EightySix,
        parameters: || {
            json!({ "type": "object", "required": ["items"], "properties": {
                "items": names_schema("menu items"), "channels": channels_schema() } })
        },
        examples: &["un-86 the salmon", "the tiramisu is back on"],
        confirm: None,
    },
    Def {
        tool: "eighty_six_option",
        description: "86 a modifier option (\"out of avocado\") on every item it is a choice of.",
        permission: Permission::EightySix,
        parameters: || {
            json!({ "type": "object", "required": ["options"], "properties": {
                "options": names_schema("modifier options"), "until": until_schema(), "channels": channels_schema(),
                "reason": { "type": "string", "maxLength": 500 } } })
        },
        examples: &["we're out of avocado", "86 extra cheese until tomorrow"],
        confirm: Some("more than three options at once"),
    },
    Def {
        tool: "restore_option",
        description: "Bring 86'd modifier options back.",
        permission: Permission::EightySix,
        parameters: || json!({ "type": "object", "required": ["options"], "properties": { "options": names_schema("modifier options") } }),
        examples: &["avocado is back"],
        confirm: None,
    },
    Def {
        tool: "list_unavailable",
        description: "What is 86'd now: items and options that cannot be ordered.",
        permission: Permission::MenuRead,
        parameters: none,
        examples: &["what's 86'd?", "what are we out of?"],
        confirm: None,
    },
    Def {
        tool: "low_stock",
        description: "Stock items at or below their reorder point.",
        permission: Permission::InventoryRead,
        parameters: none,
        examples: &["what's low?", "what do we need to order?"],
        confirm: None,
    },
    Def {
        tool: "receive_stock",
        description: "Record a delivery of a stock item, in any unit of its kind or its own purchase units.",
        permission: Permission::InventoryWrite,
        parameters: || {
            json!({ "type": "object", "required": ["item", "quantity"], "properties": {
                "item": { "type": "string", "minLength": 1, "maxLength": 200, "description": "a stock item, by name or id" },
                "quantity": { "type": "number", "exclusiveMinimum": 0, "maximum": 1000000 },
                "unit": { "type": "string", "maxLength": 30, "description": "kg, lb, l, each, dozen… or the item's own (case)" } } })
        },
        examples: &["received two cases of mozzarella", "5 kilos of flour came in"],
        confirm: None,
    },
    Def {
        tool: "sales_summary",
        description: "Today's orders and sales, by channel.",
        permission: Permission::OrdersRead,
        parameters: none,
        examples: &["how are sales today?", "how many orders have we done?"],
        confirm: None,
    },
    Def {
        tool: "labor_summary",
        description: "Today's labour cost against sales, and who is on the clock.",
        permission: Permission::UsersRead,
        parameters: none,
        examples: &["what's labour at?"],
        confirm: None,
    },
    Def {
        tool: "queue_status",
        description: "Open orders, oldest first: how backed up the kitchen is.",
        permission: Permission::OrdersRead,
        parameters: none,
        examples: &["how backed up are we?", "how many open orders?"],
        confirm: None,
    },
    Def {
        tool: "order_status",
        description: "Where today's order with this number is.",
        permission: Permission::OrdersRead,
        parameters: || {
            json!({ "type": "object", "required": ["number"], "properties": {
                "number": { "type": "integer", "minimum": 1, "description": "today's order number" } } })
        },
        examples: &["where is order 12?"],
        confirm: None,
    },
    Def {
        tool: "set_order_status",
        description: "Move today's order with this number on: accepted, preparing, ready, completed, or cancelled.",
        permission: Permission::OrdersWrite,
        parameters: || {
            json!({ "type": "object", "required": ["number", "status"], "properties": {
                "number": { "type": "integer", "minimum": 1 },
                "status": { "type": "string", "enum": ["accepted", "preparing", "ready", "completed", "cancelled"] },
                "reason": { "type": "string", "maxLength": 500 } } })
        },
        examples: &["order twelve is ready", "order 7 was picked up", "cancel order 9"],
        confirm: Some("cancelling an order"),
    },
    Def {
        tool: "staff_on_clock",
        description: "Who is on the clock now, on a break, or heading into overtime.",
        permission: Permission::UsersRead,
        parameters: none,
        examples: &["who's on?"],
        confirm: None,
    },
    Def {
        tool: "clock_in",
        description: "Clock the speaker in (in one of their positions).",
        permission: Permission::RestaurantRead,
        parameters: || json!({ "type": "object", "properties": { "position": { "type": "string", "maxLength": 50 } } }),
        examples: &["clock me in", "clock me in as a cook"],
        confirm: None,
    },
    Def {
        tool: "clock_out",
        description: "Clock the speaker out.",
        permission: Permission::RestaurantRead,
        parameters: none,
        examples: &["clock me out"],
        confirm: None,
    },
    Def {
        tool: "start_break",
        description: "Start the speaker's break (unpaid unless said).",
        permission: Permission::RestaurantRead,
        parameters: || json!({ "type": "object", "properties": { "paid": { "type": "boolean" } } }),
        examples: &["I'm going on break"],
        confirm: None,
    },
    Def {
        tool: "end_break",
        description: "End the speaker's break.",
        permission: Permission::RestaurantRead,
        parameters: none,
        examples: &["back from break"],
        confirm: None,
    },
    Def {
        tool: "create_task",
        description: "Add a task to today's list, for a role or a person, due by a time.",
        permission: Permission::RestaurantRead,
        parameters: || {
            json!({ "type": "object", "required": ["title"], "properties": {
                "title": { "type": "string", "minLength": 1, "maxLength": 200 },
                "due": until_schema(),
                "role": { "type": "string", "enum": ["owner", "manager", "staff", "kitchen"] },
                "assignee": { "type": "string", "description": "a member, by name or id" } } })
        },
        examples: &["remind us to restock the walk-in by 5", "add a task: clean the fryer for the kitchen"],
        confirm: None,
    },
    Def {
        tool: "list_tasks",
        description: "The speaker's tasks today (theirs, and their role's).",
        permission: Permission::RestaurantRead,
        parameters: none,
        examples: &["what's on the task list?"],
        confirm: None,
    },
    Def {
        tool: "busy_mode",
        description: "Busy mode: add minutes to every quoted ready time and pause channels; 0 minutes ends it.",
        permission: Permission::EightySix,
        parameters: || {
            json!({ "type": "object", "properties": {
                "minutes": { "type": "integer", "minimum": 0, "maximum": 240 },
                "channels": channels_schema(),
                "resume_channels": channels_schema(),
                "until": until_schema() } })
        },
        examples: &["busy mode 20 minutes", "pause Uber Eats", "we're caught up"],
        confirm: Some("pausing a delivery channel"),
    },
    Def {
        tool: "help",
        description: "What the assistant can do, with examples.",
        permission: Permission::RestaurantRead,
        parameters: none,
        examples: &["help", "what can you do?"],
        confirm: None,
    },
];

/// Every tool, as `GET …/assistant/commands` and MCP list them.
pub fn specs() -> Vec<ToolSpec> {
    DEFS.iter()
        .map(|d| ToolSpec {
            tool: d.tool,
            description: d.description,
            permission: d.permission.to_string(),
            parameters: (d.parameters)(),
            examples: d.examples.to_vec(),
            confirm: d.confirm,
        })
        .collect()
}

fn def(tool: &str) -> Option<&'static Def> {
    DEFS.iter().find(|d| d.tool == tool)
}

/// Where a turn happens: the restaurant's vocabularies and clock.
pub struct Context {
    pub vocab: Vocabulary,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub today: chrono::NaiveDate,
    pub currency: String,
}

impl Context {
    /// Reads the restaurant's live vocabularies: menu items and their options, stock
    /// items with their purchase units, and the staff.
    pub async fn load(actor: &Actor, state: &AppState) -> ApiResult<Context> {
        let rid = actor.rid();
        let r =
            brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
        let tz = restaurant_tz(&r)?;
        let now = state.clock.now();
        let items = brigade_store::menu::all_items(&state.db, rid).await?;
        let options =
            items.iter().flat_map(|i| &i.modifier_groups.0).flat_map(|g| &g.options).map(|o| (o.id, o.name.clone()));
        let mut stock = Vec::new();
        for s in brigade_store::inventory::items(&state.db, rid).await? {
            let mut e = Entry::new(&s.name, vec![s.id]);
            e.units = s.purchase_units.0.iter().map(|p| p.name.clone()).collect();
            stock.push(e);
        }
        let staff = brigade_store::users::members(&state.db, rid, None, 10_000).await?;
        let vocab = Vocabulary {
            items: Vocabulary::entries(items.iter().map(|i| (i.id, i.name.clone()))),
            options: Vocabulary::entries(options),
            stock,
            staff: Vocabulary::entries(staff.into_iter().filter(|m| m.is_active).map(|m| (m.user_id, m.name))),
        };
        let today = crate::restaurants::business_days(&state.db, &r).await?.day_of(now);
        Ok(Context { vocab, now, tz, today, currency: r.currency })
    }

    pub fn language_now(&self) -> language::when::Now {
        language::when::Now { at: self.now, tz: self.tz }
    }

    fn money(&self, minor: i64) -> String {
        let amount = format!("{}.{:02}", minor / 100, (minor % 100).abs());
        match self.currency.as_str() {
            "USD" | "CAD" | "AUD" | "NZD" => format!("${amount}"),
            "EUR" => format!("€{amount}"),
            "GBP" => format!("£{amount}"),
            c => format!("{amount} {c}"),
        }
    }

    fn clock(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        let same_day =
            business_day(t, self.tz, chrono::NaiveTime::MIN) == self.now.with_timezone(&self.tz).date_naive();
        if same_day {
            local.format("%-I:%M %p").to_string()
        } else {
            local.format("%a %-I:%M %p").to_string()
        }
    }
}

/// How a call went.
#[derive(Debug, Clone)]
pub enum Outcome {
    Done {
        reply: String,
        result: Value,
    },
    /// What it would do; nothing changed.
    NeedsConfirmation {
        reply: String,
    },
    Failed {
        reply: String,
    },
    /// A name in the arguments fits several things: which?
    Clarify {
        field: &'static str,
        index: Option<usize>,
        question: String,
        candidates: Vec<String>,
    },
}

/// Runs `tool` with `args` for `actor`. Destructive calls only say what they would do
/// unless `confirmed`.
pub async fn call(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    tool: &str,
    args: &Value,
    confirmed: bool,
) -> Outcome {
    let Some(d) = def(tool) else {
        return Outcome::Failed { reply: format!("There is no tool called {tool}.") };
    };
    if let Err(e) = actor.require(d.permission) {
        return Outcome::Failed { reply: format!("Sorry, {}.", refusal(&e)) };
    }
    match run(actor, state, ctx, tool, args, confirmed).await {
        Ok(o) => o,
        Err(e) => Outcome::Failed { reply: refusal(&e) },
    }
}

/// An error in words for the speaker.
fn refusal(e: &ApiError) -> String {
    let text = e.to_string();
    let mut text = match e {
        ApiError::Validation { field, message, .. } => format!("{field}: {message}"),
        _ if text.is_empty() => "that did not work".to_owned(),
        _ => text,
    };
    if let Some(first) = text.get(..1) {
        text = format!("{}{}", first.to_uppercase(), &text[1..]);
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

fn strings(args: &Value, field: &'static str) -> ApiResult<Vec<String>> {
    let list =
        args.get(field).and_then(Value::as_array).ok_or_else(|| ApiError::validation(field, "name one or more"))?;
    if list.is_empty() || list.len() > 50 {
        return Err(ApiError::validation(field, "name 1 to 50"));
    }
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= 200)
                .map(str::to_owned)
                .ok_or_else(|| ApiError::validation(field, "each is a name of 1 to 200 characters"))
        })
        .collect()
}

fn opt_str<'a>(args: &'a Value, field: &str) -> Option<&'a str> {
    args.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn channels(args: &Value, field: &'static str) -> ApiResult<Option<Vec<Channel>>> {
    match args.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let names: Vec<String> = serde_json::from_value(v.clone())
                .map_err(|_| ApiError::validation(field, "a list of channel names"))?;
            let cs = names.iter().map(|n| n.parse::<Channel>()).collect::<Result<Vec<_>, _>>()?;
            Ok(Some(cs))
        }
    }
}

fn list_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn channel_words(cs: &Option<Vec<Channel>>) -> String {
    match cs {
        None => String::new(),
        Some(cs) => {
            let names: Vec<String> = cs
                .iter()
                .map(|c| match c {
                    Channel::Ubereats => "Uber Eats".to_owned(),
                    Channel::Doordash => "DoorDash".to_owned(),
                    Channel::Grubhub => "Grubhub".to_owned(),
                    Channel::Qr => "QR".to_owned(),
                    Channel::WalkIn => "walk-in".to_owned(),
                    other => other.as_str().to_owned(),
                })
                .collect();
            format!(" on {}", list_names(&names))
        }
    }
}

/// The things `args[field]` names, as indexes into `entries`; or, when a name fits several
/// or none, the outcome that says so (a question, or "there is no …; nothing changed").
fn named(
    args: &Value,
    field: &'static str,
    entries: &[Entry],
    missing: impl Fn(&str) -> String,
) -> ApiResult<Result<Vec<usize>, Outcome>> {
    let mut found = Vec::new();
    for (k, n) in strings(args, field)?.iter().enumerate() {
        match language::resolve(n, entries) {
            Fit::One(i) => found.push(i),
            Fit::Many(all) => {
                let candidates: Vec<String> = all.iter().map(|&i| entries[i].name.clone()).collect();
                let question = format!("Which {n}: {}?", or_list(&candidates));
                return Ok(Err(Outcome::Clarify { field, index: Some(k), question, candidates }));
            }
            Fit::None => return Ok(Err(Outcome::Failed { reply: format!("{}; nothing changed.", missing(n)) })),
        }
    }
    found.dedup();
    Ok(Ok(found))
}

/// An 86 (`off`) or its lifting, from a tool's `reason`, `until` and `channels`.
fn availability(args: &Value, off: bool) -> ApiResult<AvailabilityInput> {
    Ok(AvailabilityInput {
        available: !off,
        reason: opt_str(args, "reason").map(str::to_owned),
        until: opt_str(args, "until").map(str::to_owned),
        channels: channels(args, "channels")?,
    })
}

async fn run(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    tool: &str,
    args: &Value,
    confirmed: bool,
) -> ApiResult<Outcome> {
    let done = |reply: String, result: Value| Ok(Outcome::Done { reply, result });
    match tool {
        "eighty_six" | "restore" => {
            let found = match named(args, "items", &ctx.vocab.items, |n| format!("There is no {n} on the menu"))? {
                Ok(found) => found,
                Err(outcome) => return Ok(outcome),
            };
            let entries: Vec<&Entry> = found.iter().map(|&i| &ctx.vocab.items[i]).collect();
            let shown: Vec<String> = entries.iter().map(|e| e.name.clone()).collect();
            let ids: Vec<ItemId> = entries.iter().flat_map(|e| e.ids.iter().map(|id| ItemId(*id))).collect();
            let off = tool == "eighty_six";
            let input = availability(args, off)?;
            let on = channel_words(&input.channels);
            if off && ids.len() > 3 && !confirmed {
                let reply = format!("86 {} items: {}{on}? Say yes to confirm.", ids.len(), list_names(&shown));
                return Ok(Outcome::NeedsConfirmation { reply });
            }
            menu::service::set_availability_of_many(actor, state, &ids, &input).await?;
            let mut views = Vec::new();
            for id in &ids {
                views.push(menu::service::item(actor, state, *id).await?);
            }
            let until = views.first().and_then(|v| v.availability.until);
            let reply = if off {
                let when = until.map(|u| format!(" until {}", ctx.clock(u))).unwrap_or_default();
                format!("86'd {}{on}{when}.", list_names(&shown))
            } else {
                format!("{} {} back on{on}.", list_names(&shown), if shown.len() == 1 { "is" } else { "are" })
            };
            done(reply, json!(views))
        }
        "eighty_six_option" | "restore_option" => {
            let found = match named(args, "options", &ctx.vocab.options, |n| format!("No option is called {n}"))? {
                Ok(found) => found,
                Err(outcome) => return Ok(outcome),
            };
            let shown: Vec<String> = found.iter().map(|&i| ctx.vocab.options[i].name.clone()).collect();
            let ids: Vec<Uuid> = found.iter().flat_map(|&i| ctx.vocab.options[i].ids.clone()).collect();
            let off = tool == "eighty_six_option";
            let input = availability(args, off)?;
            if off && found.len() > 3 && !confirmed {
                let reply = format!("86 {} options: {}? Say yes to confirm.", found.len(), list_names(&shown));
                return Ok(Outcome::NeedsConfirmation { reply });
            }
            let changes = menu::service::set_option_availability(actor, state, &ids, &input).await?;
            let on = channel_words(&input.channels);
            let reply = if off {
                let until = changes.first().and_then(|c| c.option.availability.until);
                let when = until.map(|u| format!(" until {}", ctx.clock(u))).unwrap_or_default();
                format!("86'd {}{on}{when}; guests cannot choose it.", list_names(&shown))
            } else {
                format!("{} {} back.", list_names(&shown), if shown.len() == 1 { "is" } else { "are" })
            };
            done(reply, json!(changes))
        }
        "list_unavailable" => {
            let page = menu::service::items(actor, state, None, PageParams { limit: Some(500), cursor: None }).await?;
            let items: Vec<&menu::ItemView> =
                page.items.iter().filter(|i| i.is_active && i.availability.reason.is_some()).collect();
            let options: Vec<String> = {
                let mut o: Vec<String> = page
                    .items
                    .iter()
                    .flat_map(|i| &i.modifier_groups)
                    .flat_map(|g| &g.options)
                    .filter(|o| o.is_active && o.availability.reason.is_some())
                    .map(|o| o.name.clone())
                    .collect();
                o.sort();
                o.dedup();
                o
            };
            let mut parts: Vec<String> = items
                .iter()
                .map(|i| {
                    let on = channel_words(&i.availability.channels);
                    let until = i.availability.until.map(|u| format!(" until {}", ctx.clock(u))).unwrap_or_default();
                    format!("{}{on}{until}", i.name)
                })
                .collect();
            parts.extend(options.iter().map(|o| format!("{o} (option)")));
            let reply =
                if parts.is_empty() { "Nothing is 86'd.".to_owned() } else { format!("86'd: {}.", list_names(&parts)) };
            done(reply, json!({ "items": items, "options": options }))
        }
        "low_stock" => {
            let low = inventory::service::low_stock(actor, state).await?;
            let reply = if low.is_empty() {
                "Nothing is low.".to_owned()
            } else {
                let parts: Vec<String> =
                    low.iter().map(|s| format!("{} ({} {})", s.name, trim_number(s.on_hand), s.unit)).collect();
                format!("Low: {}.", list_names(&parts))
            };
            done(reply, json!(low))
        }
        "receive_stock" => {
            let name = opt_str(args, "item").ok_or_else(|| ApiError::validation("item", "name the stock item"))?;
            let quantity = args
                .get("quantity")
                .and_then(Value::as_f64)
                .filter(|q| *q > 0.0 && q.is_finite())
                .ok_or_else(|| ApiError::validation("quantity", "a number above 0"))?;
            let entry = match language::resolve(name, &ctx.vocab.stock) {
                Fit::One(i) => &ctx.vocab.stock[i],
                Fit::Many(all) => {
                    let candidates: Vec<String> = all.iter().map(|&i| ctx.vocab.stock[i].name.clone()).collect();
                    let question = format!("Which {name}: {}?", or_list(&candidates));
                    return Ok(Outcome::Clarify { field: "item", index: None, question, candidates });
                }
                Fit::None => {
                    return Ok(Outcome::Failed { reply: format!("There is no {name} in stock; nothing changed.") })
                }
            };
            let unit = opt_str(args, "unit").map(|u| {
                entry
                    .units
                    .iter()
                    .find(|p| {
                        p.eq_ignore_ascii_case(u)
                            || language::words::singular(&p.to_lowercase())
                                == language::words::singular(&u.to_lowercase())
                    })
                    .cloned()
                    .unwrap_or_else(|| u.to_owned())
            });
            let input = inventory::MovementInput {
                item_id: entry.ids[0],
                kind: "receive".into(),
                quantity,
                unit: unit.clone(),
                cost: None,
                reason: None,
                notes: Some("received by voice".into()),
            };
            let view = inventory::service::record_movement(actor, state, input).await?;
            let said = match &unit {
                Some(u) => format!("{} {u}", trim_number(quantity)),
                None => trim_number(quantity),
            };
            let reply =
                format!("Received {said} of {}; {} {} on hand.", view.name, trim_number(view.on_hand), view.unit);
            done(reply, json!(view))
        }
        "sales_summary" => {
            let s = orders::service::stats(actor, state).await?;
            let average = s.average_order.map(|a| format!("; average {}", ctx.money(a))).unwrap_or_default();
            let reply = format!(
                "Today: {} order{}, {} in sales{average}; {} open.",
                s.orders,
                if s.orders == 1 { "" } else { "s" },
                ctx.money(s.sales),
                s.open
            );
            done(reply, json!(s))
        }
        "labor_summary" => {
            let l = labour::service::now(actor, state).await?;
            let share = l.labour_percent.map(|p| format!(", {p:.0}% of sales")).unwrap_or_default();
            let reply =
                format!("Labour today is {}{share}; {} on the clock.", ctx.money(l.labour_cost), l.on_the_clock.len());
            done(reply, json!(l))
        }
        "staff_on_clock" => {
            let l = labour::service::now(actor, state).await?;
            let reply = if l.on_the_clock.is_empty() {
                "Nobody is on the clock.".to_owned()
            } else {
                let names: Vec<String> = l
                    .on_the_clock
                    .iter()
                    .map(|o| if o.on_break { format!("{} (on break)", o.name) } else { o.name.clone() })
                    .collect();
                format!("On the clock: {}.", list_names(&names))
            };
            done(reply, json!(l))
        }
        "queue_status" => {
            let q = orders::service::queue(actor, state, Some(100)).await?;
            let reply = match q.items.first() {
                None => "No open orders.".to_owned(),
                Some(oldest) => {
                    let minutes = (ctx.now - oldest.created_at).num_minutes().max(0);
                    format!(
                        "{} open order{}; the oldest, #{}, is {}, {minutes} minute{} old.",
                        q.items.len(),
                        if q.items.len() == 1 { "" } else { "s" },
                        oldest.number,
                        oldest.status.as_str(),
                        if minutes == 1 { "" } else { "s" }
                    )
                }
            };
            done(reply, json!(q))
        }
        "order_status" => {
            let order = order_by_number(actor, state, ctx, args).await?;
            let Some(order) = order else {
                return Ok(Outcome::Failed { reply: format!("There is no order {} today.", number(args)?) });
            };
            let ready = if order.status == OrderStatus::Ready || order.status == OrderStatus::Completed {
                String::new()
            } else {
                format!(", expected ready at {}", ctx.clock(order.estimated_ready_at))
            };
            let reply = format!("Order {} is {}{ready}.", order.number, order.status.as_str());
            done(reply, json!(order))
        }
        "set_order_status" => {
            let status: OrderStatus = opt_str(args, "status")
                .ok_or_else(|| ApiError::validation("status", "say what the order is now"))?
                .parse()
                .map_err(|_| ApiError::validation("status", "accepted, preparing, ready, completed or cancelled"))?;
            let Some(order) = order_by_number(actor, state, ctx, args).await? else {
                return Ok(Outcome::Failed {
                    reply: format!("There is no order {} today; nothing changed.", number(args)?),
                });
            };
            let reason = opt_str(args, "reason").map(str::to_owned);
            if status == OrderStatus::Cancelled {
                if !confirmed {
                    let total = ctx.money(order.total);
                    let reply = format!("Cancel order {} ({total})? Say yes to confirm.", order.number);
                    return Ok(Outcome::NeedsConfirmation { reply });
                }
                let input = orders::CancelInput { reason, approval: None };
                let view = orders::service::cancel(actor, state, OrderId(order.id), input).await?;
                return done(format!("Order {} is cancelled.", view.number), json!(view));
            }
            let input = orders::StatusInput { status, reason, approval: None };
            let view = orders::service::set_status(actor, state, OrderId(order.id), &input).await?;
            done(format!("Order {} is {}.", view.number, view.status.as_str()), json!(view))
        }
        "clock_in" => {
            let input = labour::ClockInInput { position: opt_str(args, "position").map(str::to_owned) };
            let e = labour::service::clock_in(actor, state, input).await?;
            let as_ = e.position.as_deref().map(|p| format!(" as {p}")).unwrap_or_default();
            done(format!("Clocked in{as_} at {}.", ctx.clock(e.clock_in)), json!(e))
        }
        "clock_out" => {
            let e = labour::service::clock_out(actor, state).await?;
            let hours = e.worked_minutes as f64 / 60.0;
            done(format!("Clocked out at {}; {hours:.1} hours today.", ctx.clock(ctx.now)), json!(e))
        }
        "start_break" => {
            let paid = args.get("paid").and_then(Value::as_bool).unwrap_or(false);
            let e = labour::service::start_break(actor, state, paid).await?;
            done(format!("Enjoy your {}break.", if paid { "paid " } else { "" }), json!(e))
        }
        "end_break" => {
            let e = labour::service::end_break(actor, state).await?;
            done("Welcome back; your break is over.".to_owned(), json!(e))
        }
        "create_task" => {
            let title = opt_str(args, "title").ok_or_else(|| ApiError::validation("title", "say what the task is"))?;
            let due_at = match opt_str(args, "due") {
                None => None,
                Some("end_of_day") => None,
                Some(t) => Some(
                    DateTime::parse_from_rfc3339(t)
                        .map_err(|_| ApiError::validation("due", "an RFC 3339 time or \"end_of_day\""))?
                        .with_timezone(&Utc),
                ),
            };
            let assignee_id = match opt_str(args, "assignee") {
                None => None,
                Some(who) => match language::resolve(who, &ctx.vocab.staff) {
                    Fit::One(i) => Some(ctx.vocab.staff[i].ids[0]),
                    Fit::Many(all) => {
                        let candidates: Vec<String> = all.iter().map(|&i| ctx.vocab.staff[i].name.clone()).collect();
                        let question = format!("Which {who}: {}?", or_list(&candidates));
                        return Ok(Outcome::Clarify { field: "assignee", index: None, question, candidates });
                    }
                    Fit::None => return Ok(Outcome::Failed { reply: format!("Nobody here is called {who}.") }),
                },
            };
            let input = tasks::NewTask {
                title: title.to_owned(),
                notes: None,
                due_at,
                role: opt_str(args, "role").map(str::to_owned),
                assignee_id,
            };
            let t = tasks::service::create(actor, state, input).await?;
            done(format!("Added \"{}\", due {}.", t.name, ctx.clock(t.due_at)), json!(t))
        }
        "list_tasks" => {
            let params = tasks::TaskParams { day: None, role: None, for_me: Some(true) };
            let list = tasks::service::day(actor, state, params).await?;
            let open: Vec<String> = list
                .iter()
                .filter(|t| t.status != brigade_domain::tasks::TaskStatus::Completed)
                .map(|t| if t.overdue { format!("{} (overdue)", t.name) } else { t.name.clone() })
                .collect();
            let reply = if open.is_empty() {
                "Nothing left on your list.".to_owned()
            } else {
                format!("{} open: {}.", open.len(), list_names(&open))
            };
            done(reply, json!(list))
        }
        "busy_mode" => {
            let now = busy::service::get(actor, state).await?;
            let minutes = match args.get("minutes") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    Some(v.as_i64().ok_or_else(|| ApiError::validation("minutes", "a whole number of minutes"))?)
                }
            };
            let pause = channels(args, "channels")?.unwrap_or_default();
            let resume = channels(args, "resume_channels")?.unwrap_or_default();
            let ending = minutes == Some(0) && pause.is_empty() && resume.is_empty();
            let mut paused: Vec<Channel> = if ending { Vec::new() } else { now.paused_channels.clone() };
            paused.retain(|c| !resume.contains(c));
            for c in &pause {
                if !paused.contains(c) {
                    paused.push(*c);
                }
            }
            let extra = minutes.unwrap_or(now.extra_minutes);
            let newly: Vec<Channel> = paused
                .iter()
                .copied()
                .filter(|c| c.is_delivery_platform() && !now.paused_channels.contains(c))
                .collect();
            if !newly.is_empty() && !confirmed {
                let reply = format!(
                    "Pause{}? They take no orders until you resume. Say yes to confirm.",
                    channel_words(&Some(newly))
                );
                return Ok(Outcome::NeedsConfirmation { reply });
            }
            let until = opt_str(args, "until").map(str::to_owned).or_else(|| {
                if now.active && !ending {
                    now.until.map(|u| u.to_rfc3339())
                } else {
                    None
                }
            });
            let input = busy::BusyInput { extra_minutes: extra, until, paused_channels: paused, reason: None };
            let view = busy::service::set(actor, state, input).await?;
            let reply = if !view.active {
                "Busy mode is off; quotes are back to normal.".to_owned()
            } else {
                let mut parts = Vec::new();
                if view.extra_minutes > 0 {
                    parts.push(format!("quotes are {} minutes longer", view.extra_minutes));
                }
                if !view.paused_channels.is_empty() {
                    parts.push(format!("paused{}", channel_words(&Some(view.paused_channels.clone()))));
                }
                let until = view.until.map(|u| format!(" until {}", ctx.clock(u))).unwrap_or_default();
                format!("Busy mode{until}: {}.", list_names(&parts))
            };
            done(reply, json!(view))
        }
        "help" => {
            let reply = "I can 86 and bring back items and options, tell you what's 86'd and what's low, receive stock, \
                         move orders on (\"order 12 is ready\"), report sales, labour and the queue, clock you in and out, \
                         add tasks and turn on busy mode."
                .to_owned();
            done(reply, json!(specs()))
        }
        other => Ok(Outcome::Failed { reply: format!("There is no tool called {other}.") }),
    }
}

fn trim_number(n: f64) -> String {
    if (n - n.round()).abs() < 0.001 {
        format!("{}", n.round() as i64)
    } else {
        format!("{n:.2}").trim_end_matches('0').to_owned()
    }
}

fn number(args: &Value) -> ApiResult<i64> {
    args.get("number")
        .and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim_start_matches('#').parse().ok())))
        .filter(|n| (1..=1_000_000).contains(n))
        .ok_or_else(|| ApiError::validation("number", "today's order number"))
}

async fn order_by_number(
    actor: &Actor,
    state: &AppState,
    ctx: &Context,
    args: &Value,
) -> ApiResult<Option<orders::OrderView>> {
    let n = number(args)?;
    let filter = orders::service::OrderFilter { q: Some(format!("#{n}")), day: Some(ctx.today), ..Default::default() };
    let page = orders::service::list(actor, state, filter, PageParams { limit: Some(5), cursor: None }).await?;
    Ok(page.items.into_iter().find(|o| o.number == n))
}
