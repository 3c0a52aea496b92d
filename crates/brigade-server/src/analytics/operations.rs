//! The running of the restaurant over a period: labour and prime cost (from the time
//! clock and the schedule, beside the sales rollups), the kitchen's ticket times (from
//! the kitchen rollups) and the delivery platforms (from the channel rollups and the
//! orders Brigade refused them).

use super::service::dayparts_of;
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::labour::{names, rules_of, worked_between};
use crate::restaurants::restaurant_tz;
use crate::AppState;
use brigade_domain::analytics::{daypart_of, Period, TicketTimes};
use brigade_domain::auth::Permission;
use brigade_domain::labour::{classify, pay, week_of, Worked};
use brigade_domain::menu::{business_day, business_day_of_local, local_to_utc};
use brigade_domain::money::percent;
use brigade_store::analytics as store;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// How labour is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabourBy {
    Day,
    Daypart,
}

/// Labour beside sales for one group, or the period. Hours to two decimals; money in
/// minor units; percentages to one decimal, none where there were no sales.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct LabourRow {
    /// The business day, or the daypart's name; empty on the totals.
    pub key: String,
    /// Net sales (after discounts and refunds, before tax).
    pub net_sales: i64,
    /// Pay for the hours worked, overtime at 1.5× and double time at 2×.
    pub labour_cost: i64,
    pub labour_percent: Option<f64>,
    /// Hours clocked, unpaid breaks out.
    pub hours: f64,
    /// Hours on the schedule (each shift counted on the day it starts).
    pub scheduled_hours: f64,
    /// Overtime and double-time hours (by day and for the period; none by daypart).
    pub overtime_hours: Option<f64>,
    /// Net sales per hour worked, minor units; none without hours.
    pub sales_per_labour_hour: Option<i64>,
    /// The items' food cost (by day and for the period; none by daypart, which the item
    /// rollups do not split).
    pub food_cost: Option<i64>,
    /// Food and labour cost.
    pub prime_cost: Option<i64>,
    pub prime_cost_percent: Option<f64>,
}

/// One member's hours and pay over the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct LabourPerson {
    pub user_id: Uuid,
    pub name: String,
    pub hours: f64,
    pub scheduled_hours: f64,
    pub overtime_hours: f64,
    pub labour_cost: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LabourView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(example = "day")]
    pub group_by: &'static str,
    /// Every day (or daypart) of the period.
    pub rows: Vec<LabourRow>,
    pub totals: LabourRow,
    /// Who worked or was scheduled, most hours first.
    pub people: Vec<LabourPerson>,
}

fn hours(secs: i64) -> f64 {
    (secs as f64 / 36.0).round() / 100.0
}

/// The instants a period of business days runs between.
fn bounds(p: Period, tz: Tz, day_starts: NaiveTime) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = p.to.succ_opt().unwrap_or(p.to);
    (local_to_utc(tz, p.from.and_time(day_starts)), local_to_utc(tz, end.and_time(day_starts)))
}

/// A stretch of time cut into (business day, local hour, seconds), less the gaps in it.
fn by_hour(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    gaps: &[(DateTime<Utc>, DateTime<Utc>)],
    tz: Tz,
    day_starts: NaiveTime,
    out: &mut BTreeMap<(NaiveDate, u32), i64>,
) {
    let mut t = start;
    while t < end {
        let local = t.with_timezone(&tz);
        let to_next = Duration::seconds(i64::from(3600 - local.minute() * 60 - local.second()))
            - Duration::nanoseconds(i64::from(local.nanosecond()));
        let next = (t + to_next.max(Duration::seconds(1))).min(end);
        let mut ms = (next - t).num_milliseconds();
        for (a, b) in gaps {
            let (s, e) = ((*a).max(t), (*b).min(next));
            if e > s {
                ms -= (e - s).num_milliseconds();
            }
        }
        let day = business_day_of_local(local.naive_local(), day_starts);
        *out.entry((day, local.hour())).or_default() += ms.max(0) / 1000;
        t = next;
    }
}

/// Labour cost and hours beside sales and food cost, per business day or daypart, with
/// the schedule, overtime and each member's share.
pub async fn labour(actor: &Actor, state: &AppState, p: Period, by: LabourBy) -> ApiResult<LabourView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let r = brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let tz = restaurant_tz(&r)?;
    let ds = r.day_starts_at;
    let rules = rules_of(&brigade_store::labour::settings(&state.db, rid).await?);
    let now = state.clock.now();
    let (start, end) = bounds(p, tz, ds);
    // Overtime is weekly: read from the first day of the week the period starts in.
    let week_first = week_of(p.from, rules.week_starts);
    let (read_from, _) = bounds(Period { from: week_first, to: week_first }, tz, ds);
    let entries = brigade_store::labour::worked(&state.db, rid, read_from, end).await?;
    let shifts = brigade_store::labour::planned(&state.db, rid, start, end).await?;

    // Worked seconds per (day, hour) and per member, and each member's pay per day.
    // The time is moved back by the day's turnover before it is classified, so that the
    // days overtime counts are business days. Labour keeps the payroll's workday, a
    // fixed 24 hours from `day_starts_at`, also on a night the hours run past it (the
    // orders of such a night keep their evening's day; the hours worked after the
    // turnover count on the next workday, as overtime law counts them).
    let turnover = Duration::seconds(i64::from(ds.num_seconds_from_midnight()));
    let mut worked: HashMap<Uuid, (Vec<Worked>, i64, i64)> = HashMap::new();
    let mut person_hours: HashMap<Uuid, BTreeMap<(NaiveDate, u32), i64>> = HashMap::new();
    for e in &entries {
        let w = worked_between(e.clock_in, e.clock_out, &e.breaks.0, now.min(end));
        let (ws, we) = (w.start.max(read_from), w.end.min(end));
        if we <= ws {
            continue;
        }
        let secs = (we - ws).num_seconds();
        let slot = worked.entry(e.user_id).or_default();
        slot.0.push(Worked {
            start: ws - turnover,
            end: we - turnover,
            unpaid: w.unpaid.iter().map(|(a, b)| (*a - turnover, *b - turnover)).collect(),
        });
        slot.1 += e.hourly_rate * secs;
        slot.2 += secs;
        let (cs, ce) = (ws.max(start), we);
        if ce > cs {
            by_hour(cs, ce, &w.unpaid, tz, ds, person_hours.entry(e.user_id).or_default());
        }
    }
    let mut cost_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut overtime_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut cost_by_hour: BTreeMap<(NaiveDate, u32), f64> = BTreeMap::new();
    let mut person_cost: HashMap<Uuid, (i64, i64)> = HashMap::new();
    for (user, (list, rate_secs, secs)) in &worked {
        let rate = if *secs > 0 { (2 * rate_secs + secs) / (2 * secs) } else { 0 };
        let (_, per_day) = classify(list, tz, &rules);
        let hours_of = person_hours.get(user);
        for (day, split) in per_day.into_iter().filter(|(d, _)| *d >= p.from && *d <= p.to) {
            let cost = pay(&split, rate);
            *cost_by_day.entry(day).or_default() += cost;
            *overtime_by_day.entry(day).or_default() += split.overtime + split.double;
            let mine = person_cost.entry(*user).or_default();
            mine.0 += cost;
            mine.1 += split.overtime + split.double;
            // The day's pay spread over its hours in proportion to the time in each.
            if let Some(h) = hours_of {
                let day_secs: i64 = h.range((day, 0)..=(day, 23)).map(|(_, s)| s).sum();
                for ((d, hour), s) in h.range((day, 0)..=(day, 23)) {
                    if day_secs > 0 {
                        *cost_by_hour.entry((*d, *hour)).or_default() += cost as f64 * *s as f64 / day_secs as f64;
                    }
                }
            }
        }
    }
    let mut secs_by_hour: BTreeMap<(NaiveDate, u32), i64> = BTreeMap::new();
    for h in person_hours.values() {
        for (k, s) in h {
            *secs_by_hour.entry(*k).or_default() += s;
        }
    }
    let mut scheduled_by_hour: BTreeMap<(NaiveDate, u32), i64> = BTreeMap::new();
    let mut scheduled_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut person_scheduled: HashMap<Uuid, i64> = HashMap::new();
    for (user, starts, ends) in &shifts {
        let day = business_day(*starts, tz, ds);
        if day < p.from || day > p.to {
            continue;
        }
        let secs = (*ends - *starts).num_seconds().max(0);
        *scheduled_by_day.entry(day).or_default() += secs;
        *person_scheduled.entry(*user).or_default() += secs;
        by_hour(*starts, *ends, &[], tz, ds, &mut scheduled_by_hour);
    }

    let sales_days = store::days(&state.db, rid, p.from, p.to).await?;
    let net_by_day: BTreeMap<NaiveDate, i64> = sales_days.iter().map(|d| (d.business_day, d.money.net)).collect();
    let food_by_day: BTreeMap<NaiveDate, i64> = sales_days.iter().map(|d| (d.business_day, d.food_cost)).collect();
    let in_period = |d: &NaiveDate| *d >= p.from && *d <= p.to;

    let row =
        |key: String, net: i64, cost: i64, secs: i64, scheduled: i64, overtime: Option<i64>, food: Option<i64>| {
            let prime = food.map(|f| f + cost);
            LabourRow {
                key,
                net_sales: net,
                labour_cost: cost,
                labour_percent: percent(cost, net),
                hours: hours(secs),
                scheduled_hours: hours(scheduled),
                overtime_hours: overtime.map(|m| (m as f64 * 100.0 / 60.0).round() / 100.0),
                sales_per_labour_hour: (secs > 0).then(|| (net as f64 * 3600.0 / secs as f64).round() as i64),
                food_cost: food,
                prime_cost: prime,
                prime_cost_percent: prime.and_then(|c| percent(c, net)),
            }
        };
    let day_secs =
        |d: NaiveDate, m: &BTreeMap<(NaiveDate, u32), i64>| -> i64 { m.range((d, 0)..=(d, 23)).map(|(_, s)| s).sum() };
    let rows: Vec<LabourRow> = match by {
        LabourBy::Day => p
            .dates()
            .map(|d| {
                row(
                    d.to_string(),
                    net_by_day.get(&d).copied().unwrap_or(0),
                    cost_by_day.get(&d).copied().unwrap_or(0),
                    day_secs(d, &secs_by_hour),
                    scheduled_by_day.get(&d).copied().unwrap_or(0),
                    Some(overtime_by_day.get(&d).copied().unwrap_or(0)),
                    Some(food_by_day.get(&d).copied().unwrap_or(0)),
                )
            })
            .collect(),
        LabourBy::Daypart => {
            let parts = dayparts_of(state, rid).await?;
            let net_by_hour: HashMap<u32, i64> = store::by_key(&state.db, rid, "hour", p.from, p.to)
                .await?
                .into_iter()
                .filter_map(|k| Some((k.key.parse().ok()?, k.money.net)))
                .collect();
            let mut sums: Vec<(i64, f64, i64, i64)> = vec![(0, 0.0, 0, 0); parts.len()];
            let index = |hour: u32| parts.iter().position(|x| x.name == daypart_of(&parts, hour)).unwrap_or(0);
            for (h, net) in &net_by_hour {
                sums[index(*h)].0 += net;
            }
            for ((_, h), c) in cost_by_hour.iter().filter(|((d, _), _)| in_period(d)) {
                sums[index(*h)].1 += c;
            }
            for ((_, h), s) in secs_by_hour.iter().filter(|((d, _), _)| in_period(d)) {
                sums[index(*h)].2 += s;
            }
            for ((_, h), s) in scheduled_by_hour.iter().filter(|((d, _), _)| in_period(d)) {
                sums[index(*h)].3 += s;
            }
            parts
                .iter()
                .zip(sums)
                .map(|(part, (net, cost, secs, scheduled))| {
                    row(part.name.clone(), net, cost.round() as i64, secs, scheduled, None, None)
                })
                .collect()
        }
    };
    let total_secs: i64 = secs_by_hour.iter().filter(|((d, _), _)| in_period(d)).map(|(_, s)| s).sum();
    let totals = row(
        String::new(),
        net_by_day.values().sum(),
        cost_by_day.values().sum(),
        total_secs,
        scheduled_by_day.values().sum(),
        Some(overtime_by_day.values().sum()),
        Some(food_by_day.values().sum()),
    );
    let names = names(state, rid).await?;
    let mut people: Vec<LabourPerson> = person_hours
        .keys()
        .chain(person_scheduled.keys())
        .copied()
        .collect::<std::collections::BTreeSet<Uuid>>()
        .into_iter()
        .map(|u| {
            let secs: i64 = person_hours
                .get(&u)
                .map(|h| h.iter().filter(|((d, _), _)| in_period(d)).map(|(_, s)| s).sum())
                .unwrap_or(0);
            let (cost, overtime) = person_cost.get(&u).copied().unwrap_or((0, 0));
            LabourPerson {
                user_id: u,
                name: names.get(&u).cloned().unwrap_or_default(),
                hours: hours(secs),
                scheduled_hours: hours(person_scheduled.get(&u).copied().unwrap_or(0)),
                overtime_hours: (overtime as f64 * 100.0 / 60.0).round() / 100.0,
                labour_cost: cost,
            }
        })
        .collect();
    people.sort_by(|a, b| b.hours.total_cmp(&a.hours).then_with(|| a.name.cmp(&b.name)));
    Ok(LabourView {
        from: p.from,
        to: p.to,
        group_by: match by {
            LabourBy::Day => "day",
            LabourBy::Daypart => "daypart",
        },
        rows,
        totals,
        people,
    })
}

/// How ticket times are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KitchenBy {
    Station,
    Day,
    Daypart,
    Hour,
}

/// Ticket times of a group of bumped tickets, in seconds: from the ticket reaching the
/// kitchen display to its bump. Percentiles are to the 15 seconds above.
#[derive(Debug, Serialize, ToSchema)]
pub struct KitchenRow {
    /// The station's id (empty for tickets with no station), the business day, the
    /// daypart's name or the local hour the tickets opened; empty on the totals.
    pub key: String,
    /// The station's name, for `station`.
    pub label: Option<String>,
    pub tickets: i64,
    pub average_seconds: Option<i64>,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub longest_seconds: i64,
    /// Tickets that took the display's late threshold or longer.
    pub late: i64,
    pub late_percent: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KitchenView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[schema(example = "station")]
    pub group_by: &'static str,
    /// The kitchen display's thresholds: a ticket turns amber, then red (late).
    pub warn_secs: i64,
    pub late_secs: i64,
    pub rows: Vec<KitchenRow>,
    pub totals: KitchenRow,
    /// The same for the period of the same length just before.
    pub previous: KitchenRow,
}

fn kitchen_row(key: String, label: Option<String>, t: &TicketTimes, late_secs: i64) -> KitchenRow {
    let late = t.at_least(late_secs);
    KitchenRow {
        key,
        label,
        tickets: t.tickets,
        average_seconds: t.average(),
        p50_seconds: t.quantile(0.5),
        p90_seconds: t.quantile(0.9),
        longest_seconds: t.longest,
        late,
        late_percent: percent(late, t.tickets),
    }
}

/// Ticket times over a period by station, day, daypart or hour, with late tickets
/// against the display's threshold.
pub async fn kitchen(actor: &Actor, state: &AppState, p: Period, by: KitchenBy) -> ApiResult<KitchenView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let r = brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    let late = r.kds_late_secs;
    // The whole days give the totals (and the days); a station or hour grouping reads
    // its own rows.
    let days = store::kitchen(&state.db, rid, Some("day"), p.from, p.to).await?;
    let mut total = TicketTimes::default();
    for d in &days {
        total.merge(&d.times);
    }
    let mut groups: BTreeMap<String, TicketTimes> = BTreeMap::new();
    let parts = if by == KitchenBy::Daypart { dayparts_of(state, rid).await? } else { Vec::new() };
    let grouped = match by {
        KitchenBy::Day => days,
        KitchenBy::Station => store::kitchen(&state.db, rid, Some("station"), p.from, p.to).await?,
        KitchenBy::Hour | KitchenBy::Daypart => store::kitchen(&state.db, rid, Some("hour"), p.from, p.to).await?,
    };
    for d in &grouped {
        let key = match by {
            KitchenBy::Station => d.key.clone(),
            KitchenBy::Day => d.business_day.to_string(),
            KitchenBy::Hour => format!("{:02}", d.key.parse::<u32>().unwrap_or(0)),
            KitchenBy::Daypart => daypart_of(&parts, d.key.parse().unwrap_or(0)).to_owned(),
        };
        groups.entry(key).or_default().merge(&d.times);
    }
    let rows: Vec<KitchenRow> = match by {
        KitchenBy::Station => {
            let stations: HashMap<String, String> = brigade_store::kds::stations(&state.db, rid)
                .await?
                .into_iter()
                .map(|s| (s.id.to_string(), s.name))
                .collect();
            let mut rows: Vec<KitchenRow> = groups
                .iter()
                .map(|(k, t)| {
                    let label = if k.is_empty() {
                        "No station".to_owned()
                    } else {
                        stations.get(k).cloned().unwrap_or_else(|| "Removed station".into())
                    };
                    kitchen_row(k.clone(), Some(label), t, late)
                })
                .collect();
            rows.sort_by(|a, b| b.tickets.cmp(&a.tickets).then_with(|| a.key.cmp(&b.key)));
            rows
        }
        KitchenBy::Day => p
            .dates()
            .map(|d| {
                let k = d.to_string();
                kitchen_row(k.clone(), None, groups.get(&k).unwrap_or(&TicketTimes::default()), late)
            })
            .collect(),
        KitchenBy::Hour => (0..24)
            .map(|h| {
                let k = format!("{h:02}");
                let t = groups.get(&k).cloned().unwrap_or_default();
                kitchen_row(h.to_string(), None, &t, late)
            })
            .collect(),
        KitchenBy::Daypart => parts
            .iter()
            .map(|part| {
                kitchen_row(part.name.clone(), None, groups.get(&part.name).unwrap_or(&TicketTimes::default()), late)
            })
            .collect(),
    };
    let before = p.previous();
    let mut previous = TicketTimes::default();
    for d in store::kitchen(&state.db, rid, Some("day"), before.from, before.to).await? {
        previous.merge(&d.times);
    }
    Ok(KitchenView {
        from: p.from,
        to: p.to,
        group_by: match by {
            KitchenBy::Station => "station",
            KitchenBy::Day => "day",
            KitchenBy::Daypart => "daypart",
            KitchenBy::Hour => "hour",
        },
        warn_secs: r.kds_warn_secs,
        late_secs: late,
        rows,
        totals: kitchen_row(String::new(), None, &total, late),
        previous: kitchen_row(String::new(), None, &previous, late),
    })
}

/// How often one reason was given.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCount {
    /// Empty where none was given.
    pub reason: String,
    pub count: i64,
}

/// One channel's orders over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelView {
    pub channel: String,
    /// A delivery platform (Uber Eats, DoorDash, Grubhub).
    pub platform: bool,
    /// Orders that count (not cancelled) and what they came to.
    pub orders: i64,
    pub total: i64,
    /// The channel's share of all channels' total, percent.
    pub share_percent: Option<f64>,
    /// Orders that carried the platform's own total: how many, Brigade's total on them,
    /// the platform's, and theirs less ours.
    pub matched_orders: i64,
    pub brigade_total: i64,
    pub platform_total: i64,
    pub difference: i64,
    pub cancelled: i64,
    pub cancelled_total: i64,
    pub cancel_reasons: Vec<ReasonCount>,
    /// Platform orders Brigade refused back to the platform (closed, 86'd, unknown item).
    pub refused: i64,
    pub refuse_reasons: Vec<ReasonCount>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelsView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Largest total first; platforms with only refusals too.
    pub channels: Vec<ChannelView>,
}

fn reasons(map: BTreeMap<String, i64>) -> Vec<ReasonCount> {
    let mut v: Vec<ReasonCount> = map.into_iter().map(|(reason, count)| ReasonCount { reason, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    v
}

/// Orders per channel over a period: the platforms' totals against Brigade's, the
/// cancelled ones and the refused ones, each with their reasons.
pub async fn channels(actor: &Actor, state: &AppState, p: Period) -> ApiResult<ChannelsView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let r = brigade_store::restaurants::get(&state.db, rid).await?.ok_or_else(|| ApiError::not_found("restaurant"))?;
    struct Sum {
        row: store::ChannelRow,
        refused: BTreeMap<String, i64>,
    }
    let mut by: BTreeMap<String, Sum> = BTreeMap::new();
    let empty = |c: &str| Sum {
        row: store::ChannelRow { channel: c.to_owned(), ..Default::default() },
        refused: BTreeMap::new(),
    };
    for d in store::channels(&state.db, rid, p.from, p.to).await? {
        let s = by.entry(d.channel.clone()).or_insert_with(|| empty(&d.channel));
        let t = &mut s.row;
        t.orders += d.orders;
        t.total += d.total;
        t.matched += d.matched;
        t.matched_total += d.matched_total;
        t.external_total += d.external_total;
        t.cancelled += d.cancelled;
        t.cancelled_total += d.cancelled_total;
        for (k, n) in d.reasons.0 {
            *t.reasons.0.entry(k).or_default() += n;
        }
    }
    // The orders' business days: a night past the turnover keeps its refusals.
    let days = crate::restaurants::business_days(&state.db, &r).await?;
    let (start, end) = (days.start(p.from), days.start(p.to.succ_opt().unwrap_or(p.to)));
    for (platform, reason) in store::denied(&state.db, rid, start, end).await? {
        let s = by.entry(platform.clone()).or_insert_with(|| empty(&platform));
        *s.refused.entry(reason.unwrap_or_default()).or_default() += 1;
    }
    let all: i64 = by.values().map(|s| s.row.total).sum();
    let mut channels: Vec<ChannelView> = by
        .into_values()
        .map(|s| {
            let t = s.row;
            ChannelView {
                platform: matches!(t.channel.as_str(), "ubereats" | "doordash" | "grubhub"),
                share_percent: percent(t.total, all),
                orders: t.orders,
                total: t.total,
                matched_orders: t.matched,
                brigade_total: t.matched_total,
                platform_total: t.external_total,
                difference: t.external_total - t.matched_total,
                cancelled: t.cancelled,
                cancelled_total: t.cancelled_total,
                cancel_reasons: reasons(t.reasons.0),
                refused: s.refused.values().sum(),
                refuse_reasons: reasons(s.refused),
                channel: t.channel,
            }
        })
        .collect();
    channels.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.channel.cmp(&b.channel)));
    Ok(ChannelsView { from: p.from, to: p.to, channels })
}
