//! The rollups' consumer: it reads the event log behind its own cursor (as the webhook
//! dispatcher does), marks the business day of every order an event touched, and
//! recomputes marked days whole from their orders. A late change (a cancel, a refund, a
//! platform's adjustment) is an event on the order, so it corrects the day the order
//! belongs to. A rebuild marks a range of days and drains them the same way, so it is
//! idempotent and never differs from what the consumer would have written. Besides the
//! sales and items (and the day's food cost), a day holds its kitchen's ticket times
//! (bumped tickets of counted orders: whole, by station and by the hour they opened) and each channel's orders with the
//! platform's own totals and the cancellations.

use crate::AppState;
use brigade_domain::analytics::{Figures, TicketTimes};
use brigade_domain::inventory::cost_of;
use brigade_store::analytics::{self as store, ChannelRow, DayRows, Dirty, ItemRow, KitchenRow, Money, SalesRow};
use brigade_store::events;
use brigade_store::orders::LineModifier;
use brigade_store::System;
use chrono::{NaiveDate, Timelike};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use uuid::Uuid;

/// Events read per pass.
const BATCH: i64 = 1_000;
/// Days recomputed per pass.
const DAYS: i64 = 64;
/// How long the consumer gathers commits before a pass, so a busy restaurant's day is
/// recomputed a few times a second rather than once per order.
const GATHER: Duration = Duration::from_millis(250);
/// How long the consumer rests for each unit of time a pass took, and at most.
const REST_PER_WORK: u32 = 3;
const REST_MAX: Duration = Duration::from_millis(750);

/// Runs the consumer until `shutdown`.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let idle = Duration::from_millis(state.config.worker_poll_ms.max(10)).max(Duration::from_millis(500));
    let mut gap = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let started = Instant::now();
        let more = match pass(&state, &mut gap).await {
            Ok(more) => more,
            Err(e) => {
                tracing::warn!(error = %e, "keeping the analytics rollups failed");
                false
            }
        };
        // A day is recomputed whole, so a pass costs more as a busy day grows: the
        // consumer rests three times as long as its pass took (up to 750 ms), keeping
        // to about a quarter of a core and leaving the rest to the orders it counts.
        // Under a rush the lag grows with the day instead of the orders slowing.
        let rest = (started.elapsed() * REST_PER_WORK).min(REST_MAX);
        if more {
            tokio::time::sleep(rest).await;
            continue;
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            _ = state.db.committed() => tokio::time::sleep(GATHER.max(rest)).await,
            _ = tokio::time::sleep(idle) => {}
        }
    }
}

/// Brings the rollups up to the events committed so far: tests, the CLI and a report
/// that must include its caller's own change call it. A hole in the event ids (a
/// transaction still running, or rolled back) is waited on as the consumer waits.
pub async fn catch_up(state: &AppState) -> anyhow::Result<()> {
    let mut gap = None;
    loop {
        match read_events(state, &mut gap).await? {
            Read::Full => continue,
            Read::Hole => tokio::time::sleep(Duration::from_millis(20)).await,
            Read::Rest => break,
        }
    }
    while drain(state).await? {}
    Ok(())
}

/// One pass: marks what the next events touched, then recomputes some marked days. True
/// when there may be more to do at once.
async fn pass(state: &AppState, gap: &mut Option<(i64, Instant)>) -> anyhow::Result<bool> {
    let more_events = read_events(state, gap).await? == Read::Full;
    let more_days = drain(state).await?;
    Ok(more_events || more_days)
}

#[derive(Debug, PartialEq, Eq)]
enum Read {
    /// A full batch: there may be more.
    Full,
    /// Stopped at a hole in the ids not yet waited out.
    Hole,
    /// Everything there was.
    Rest,
}

/// Reads the events after the cursor and marks the days of the orders they name; the
/// marks and the cursor's move commit together.
async fn read_events(state: &AppState, gap: &mut Option<(i64, Instant)>) -> anyhow::Result<Read> {
    let mut read = state.db.begin_read(System::Analytics).await?;
    let last = store::cursor(&mut read).await?;
    let events = events::after_tx(&mut read, last, BATCH).await?;
    drop(read);
    if events.is_empty() {
        return Ok(Read::Rest);
    }
    let n = crate::webhooks::takeable(&events, last, gap);
    if n == 0 {
        return Ok(Read::Hole);
    }
    let events = &events[..n];
    let mut orders: Vec<Uuid> = Vec::new();
    for e in events.iter().filter(|e| e.restaurant_id.is_some()) {
        if e.entity == "order" {
            orders.extend(e.entity_id);
        } else if let Some(id) = e.payload.0.get("order_id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok()) {
            orders.push(id);
        }
    }
    orders.sort_unstable();
    orders.dedup();
    let mut tx = state.db.begin(System::Analytics).await?;
    store::mark_orders(&mut tx, &orders).await?;
    if store::advance(&mut tx, last, events[n - 1].id).await? {
        tx.commit().await?;
        *gap = None;
    }
    Ok(if n as i64 == BATCH {
        Read::Full
    } else if n < events.len() {
        Read::Hole
    } else {
        Read::Rest
    })
}

/// Recomputes marked days; true when a full batch of them was taken.
async fn drain(state: &AppState) -> anyhow::Result<bool> {
    let days = store::dirty(&state.db, DAYS).await?;
    let mut costs: HashMap<Uuid, Costs> = HashMap::new();
    for d in &days {
        let c = match costs.entry(d.restaurant_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(Costs::read(state, d.restaurant_id).await?),
        };
        recompute(state, d, c).await?;
    }
    Ok(days.len() as i64 == DAYS)
}

/// What a portion costs: per menu item, and per option of it (minor units).
#[derive(Default)]
pub struct Costs {
    items: HashMap<Uuid, i64>,
    options: HashMap<(Uuid, Uuid), i64>,
    tz: Option<chrono_tz::Tz>,
}

impl Costs {
    /// A restaurant's portion costs now: an item's recipe at the stock's average costs,
    /// else the cost set on the menu item; and its zone.
    pub async fn read(state: &AppState, rid: Uuid) -> brigade_store::Result<Costs> {
        use brigade_store::inventory as inv;
        let unit: HashMap<Uuid, i64> =
            inv::items(&state.db, rid).await?.into_iter().map(|i| (i.id, i.unit_cost)).collect();
        let mut c = Costs::default();
        for r in inv::all_recipes(&state.db, rid).await? {
            let cost = cost_of(r.quantity, unit.get(&r.inventory_item_id).copied().unwrap_or(0));
            match r.option_id {
                None => *c.items.entry(r.menu_item_id).or_default() += cost,
                Some(o) => *c.options.entry((r.menu_item_id, o)).or_default() += cost,
            }
        }
        for i in brigade_store::menu::all_items(&state.db, rid).await? {
            if let Some(cost) = i.cost {
                c.items.entry(i.id).or_insert(cost);
            }
        }
        if let Some(r) = brigade_store::restaurants::get(&state.db, rid).await? {
            c.tz = r.timezone.parse().ok();
        }
        Ok(c)
    }

    /// Whether an item's food cost is known (a recipe, or a cost set on it).
    pub fn costed(&self, item: Uuid) -> bool {
        self.items.contains_key(&item)
    }
}

/// Recomputes one marked day and writes it, unless it was marked again meanwhile.
async fn recompute(state: &AppState, d: &Dirty, costs: &Costs) -> anyhow::Result<()> {
    let rows = compute_day(state, d.restaurant_id, d.business_day, costs).await?;
    let mut tx = state.db.begin(d.restaurant_id).await?;
    if store::take(&mut tx, d).await? {
        store::replace_day(&mut tx, d.restaurant_id, d.business_day, &rows).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// A day's rollup rows, computed from its orders as they stand.
pub async fn compute_day(state: &AppState, rid: Uuid, day: NaiveDate, costs: &Costs) -> anyhow::Result<DayRows> {
    let tz = costs.tz.unwrap_or(chrono_tz::UTC);
    let mut cells: BTreeMap<(&'static str, String), Figures> = BTreeMap::new();
    for o in store::day_orders(&state.db, rid, day).await? {
        let f = Figures::of_order(o.total, o.tax, o.discount, o.refunded, o.tips);
        let hour = o.created_at.with_timezone(&tz).hour();
        let keys = [
            ("day", String::new()),
            ("hour", hour.to_string()),
            ("channel", o.channel),
            ("type", o.kind),
            ("staff", staff_key(&o.created_by)),
            ("table", o.table_id.map(|t| t.to_string()).unwrap_or_default()),
        ];
        for k in keys {
            cells.entry(k).or_default().add(&f);
        }
    }
    let mut sales: Vec<SalesRow> = cells
        .into_iter()
        .map(|((dim, key), f)| SalesRow { business_day: day, dim: dim.to_owned(), key, money: money(&f), food_cost: 0 })
        .collect();

    let mut sold: BTreeMap<(&'static str, Uuid), ItemRow> = BTreeMap::new();
    for l in store::day_lines(&state.db, rid, day).await? {
        if l.voided {
            continue;
        }
        let charged = if l.comped { 0 } else { l.line_total };
        let modifiers: Vec<LineModifier> = serde_json::from_value(l.modifiers.0).unwrap_or_default();
        let mut unit_cost = costs.items.get(&l.item_id).copied().unwrap_or(0);
        for m in &modifiers {
            let option_cost = costs.options.get(&(l.item_id, m.option_id)).copied().unwrap_or(0);
            unit_cost += option_cost;
            let row = sold.entry(("option", m.option_id)).or_insert_with(|| empty(day, "option", m.option_id, &m.name));
            row.quantity += l.quantity;
            row.revenue += if l.comped { 0 } else { m.price_delta * l.quantity };
            row.food_cost += option_cost * l.quantity;
        }
        let row = sold.entry(("item", l.item_id)).or_insert_with(|| empty(day, "item", l.item_id, &l.name));
        row.quantity += l.quantity;
        row.revenue += charged;
        row.food_cost += unit_cost * l.quantity;
    }

    // The day's food cost on its whole row (items' rows carry their options' costs).
    let food: i64 = sold.iter().filter(|((kind, _), _)| *kind == "item").map(|(_, r)| r.food_cost).sum();
    if let Some(whole) = sales.iter_mut().find(|r| r.dim == "day") {
        whole.food_cost = food;
    }

    let mut kitchen: BTreeMap<(&'static str, String), TicketTimes> = BTreeMap::new();
    for t in store::day_tickets(&state.db, rid, day).await? {
        let seconds = (t.bumped_at - t.created_at).num_seconds();
        let station = t.station_id.map(|s| s.to_string()).unwrap_or_default();
        let hour = t.created_at.with_timezone(&tz).hour().to_string();
        for k in [("day", String::new()), ("station", station), ("hour", hour)] {
            kitchen.entry(k).or_default().add(seconds);
        }
    }
    let kitchen = kitchen
        .into_iter()
        .map(|((dim, key), times)| KitchenRow { business_day: day, dim: dim.to_owned(), key, times })
        .collect();

    let mut channels: BTreeMap<String, ChannelRow> = BTreeMap::new();
    for o in store::day_channel_orders(&state.db, rid, day).await? {
        let c = channels.entry(o.channel.clone()).or_insert_with(|| ChannelRow {
            business_day: day,
            channel: o.channel.clone(),
            ..ChannelRow::default()
        });
        if o.cancelled {
            c.cancelled += 1;
            c.cancelled_total += o.total;
            *c.reasons.0.entry(o.cancel_reason.unwrap_or_default()).or_default() += 1;
            continue;
        }
        c.orders += 1;
        c.total += o.total;
        if let Some(theirs) = o.external_total {
            c.matched += 1;
            c.matched_total += o.total;
            c.external_total += theirs;
        }
    }
    Ok(DayRows { sales, items: sold.into_values().collect(), kitchen, channels: channels.into_values().collect() })
}

fn empty(day: NaiveDate, kind: &str, id: Uuid, name: &str) -> ItemRow {
    ItemRow { business_day: day, kind: kind.into(), id, name: name.into(), quantity: 0, revenue: 0, food_cost: 0 }
}

/// Who took an order, as the staff dimension keys it: a member's user id, else how it came
/// (`guest`, `api_key`, `system`).
fn staff_key(created_by: &str) -> String {
    match created_by.split_once(':') {
        Some(("user", id)) => id.to_owned(),
        Some((kind, _)) => kind.to_owned(),
        None => created_by.to_owned(),
    }
}

pub fn money(f: &Figures) -> Money {
    Money {
        orders: f.orders,
        gross: f.gross,
        discounts: f.discounts,
        refunds: f.refunds,
        net: f.net,
        tax: f.tax,
        total: f.total,
        tips: f.tips,
    }
}

/// Marks the days with orders from `from` to `to` (of one restaurant, or of all) and
/// recomputes them. Returns how many days were rebuilt.
pub async fn rebuild(state: &AppState, rid: Option<Uuid>, from: NaiveDate, to: NaiveDate) -> anyhow::Result<usize> {
    let days = store::order_days(&state.db, rid, from, to).await?;
    let mut by_restaurant: BTreeMap<Uuid, Vec<NaiveDate>> = BTreeMap::new();
    for (r, d) in &days {
        by_restaurant.entry(*r).or_default().push(*d);
    }
    for (r, ds) in &by_restaurant {
        let mut tx = state.db.begin(*r).await?;
        store::mark_days(&mut tx, *r, ds).await?;
        tx.commit().await?;
    }
    while drain(state).await? {}
    Ok(days.len())
}
