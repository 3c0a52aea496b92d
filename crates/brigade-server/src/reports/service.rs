//! Reports: a day's and a period's figures gathered from the analytics (and, for a day,
//! the close-out's tenders, voids and refunds), rendered as CSV or PDF.

use super::pdf::{col, Doc};
use crate::actor::Actor;
use crate::analytics::operations::{self, ChannelsView, KitchenBy, KitchenView, LabourBy, LabourView};
use crate::analytics::service as analytics;
use crate::analytics::{FiguresView, ItemPerformance, SalesRowView};
use crate::error::{ApiError, ApiResult};
use crate::extract::csv_field;
use crate::AppState;
use brigade_domain::analytics::{GroupBy, MenuClass, Period};
use brigade_domain::auth::Permission;
use brigade_domain::money::Money;
use chrono::{Datelike, NaiveDate};

/// What a report holds.
pub struct Report {
    /// "Daily report" or "Period report".
    pub title: String,
    pub restaurant: String,
    pub timezone: String,
    pub currency: String,
    pub period: Period,
    /// What the figures are compared with, in words, and that period.
    pub compared_with: String,
    pub before: Period,
    pub current: FiguresView,
    pub previous: FiguresView,
    /// By hour for a day, by day for a period.
    pub over_time: Vec<SalesRowView>,
    pub channels: Vec<SalesRowView>,
    pub types: Vec<SalesRowView>,
    pub dayparts: Vec<SalesRowView>,
    pub staff: Vec<SalesRowView>,
    pub items: Vec<ItemPerformance>,
    /// Items in each menu-engineering class (stars, plowhorses, puzzles, dogs).
    pub classes: Option<[usize; 4]>,
    /// The day's close-out: tenders, voids, comps, refunds.
    pub close_out: Option<crate::checks::CloseOut>,
    /// Labour and prime cost, with each member's hours.
    pub labour: LabourView,
    /// Ticket times by station.
    pub kitchen: KitchenView,
    /// Orders per channel, the platforms' totals, cancellations and refusals.
    pub channel_orders: ChannelsView,
}

async fn gather(
    actor: &Actor,
    state: &AppState,
    title: &str,
    p: Period,
    before: Period,
    compared_with: String,
) -> ApiResult<Report> {
    actor.require(Permission::ReportsRead)?;
    let r = brigade_store::restaurants::get(&state.db, actor.rid())
        .await?
        .ok_or_else(|| ApiError::not_found("restaurant"))?;
    let daily = p.days() == 1;
    let over_time = analytics::sales(actor, state, p, if daily { GroupBy::Hour } else { GroupBy::Day }).await?;
    let previous = analytics::sales(actor, state, before, GroupBy::Channel).await?.totals;
    let channels = analytics::sales(actor, state, p, GroupBy::Channel).await?.rows;
    let types = analytics::sales(actor, state, p, GroupBy::Type).await?.rows;
    let dayparts = analytics::sales(actor, state, p, GroupBy::Daypart).await?.rows;
    let staff = analytics::sales(actor, state, p, GroupBy::Staff).await?.rows;
    let items = analytics::items(actor, state, p).await?.rows;
    let classes = if daily {
        None
    } else {
        let m = analytics::menu_engineering(actor, state, p).await?;
        let count = |c: MenuClass| m.items.iter().filter(|i| i.class == c).count();
        Some([count(MenuClass::Star), count(MenuClass::Plowhorse), count(MenuClass::Puzzle), count(MenuClass::Dog)])
    };
    let close_out =
        if daily { Some(crate::checks::service::close_out(actor, state, Some(p.from)).await?) } else { None };
    let labour = operations::labour(actor, state, p, LabourBy::Day).await?;
    let kitchen = operations::kitchen(actor, state, p, KitchenBy::Station).await?;
    let channel_orders = operations::channels(actor, state, p).await?;
    Ok(Report {
        title: title.into(),
        restaurant: r.name,
        timezone: r.timezone,
        currency: r.currency,
        period: p,
        compared_with,
        before,
        current: over_time.totals.clone(),
        previous,
        over_time: over_time.rows,
        channels,
        types,
        dayparts,
        staff,
        items,
        classes,
        close_out,
        labour,
        kitchen,
        channel_orders,
    })
}

/// A business day, beside the same weekday a week before.
pub async fn daily(actor: &Actor, state: &AppState, date: NaiveDate) -> ApiResult<Report> {
    let p = Period::new(date, date)?;
    let week = date - chrono::Duration::days(7);
    let before = Period::new(week, week)?;
    gather(actor, state, "Daily report", p, before, format!("{} a week before", weekday(week))).await
}

/// A period, beside the period of the same length just before.
pub async fn period(actor: &Actor, state: &AppState, p: Period) -> ApiResult<Report> {
    gather(actor, state, "Period report", p, p.previous(), "the period just before".into()).await
}

fn weekday(d: NaiveDate) -> &'static str {
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        [d.weekday().num_days_from_monday() as usize]
}

impl Report {
    pub fn file_name(&self, ext: &str) -> String {
        let p = &self.period;
        if p.days() == 1 {
            format!("daily-report-{}.{ext}", p.from)
        } else {
            format!("report-{}-to-{}.{ext}", p.from, p.to)
        }
    }

    /// The day ("Saturday 2026-12-05") or the period, in words.
    pub fn when(&self) -> String {
        let p = &self.period;
        if p.days() == 1 {
            format!("{} {}", weekday(p.from), p.from)
        } else {
            format!("{} to {} ({} days)", p.from, p.to, p.days())
        }
    }
}

const SALES_HEADER: &str = "section,key,label,orders,gross,discounts,refunds,net,tax,total,tips,average_ticket,\
    quantity,revenue,food_cost,margin,hours,scheduled_hours,overtime_hours,labour_cost,labour_percent,\
    prime_cost_percent,tickets,p50_seconds,p90_seconds,late,platform_total,cancelled,refused\n";
/// The empty labour, kitchen and platform columns of a sales or item row.
const REST: &str = ",,,,,,,,,,,,,";

/// The report as one CSV table: a `section` column says what each row is (`total`,
/// `before`, `hour` or `day`, `channel`, `type`, `daypart`, `staff`, `item`, `tender`,
/// `void`, `comp`, `refund`, `labour`, `labour_person`, `kitchen`, `platform`); money in
/// major units, times in seconds.
pub fn csv(r: &Report) -> String {
    let mut out = String::from(SALES_HEADER);
    let m = |v: i64| Money(v).to_string();
    let mut sales = |section: &str, key: &str, label: &str, f: &FiguresView| {
        out += &format!(
            "{section},{},{},{},{},{},{},{},{},{},{},{},,,,{REST}\n",
            csv_field(key),
            csv_field(label),
            f.orders,
            m(f.gross),
            m(f.discounts),
            m(f.refunds),
            m(f.net),
            m(f.tax),
            m(f.total),
            m(f.tips),
            f.average_ticket.map(m).unwrap_or_default()
        );
    };
    sales("total", &r.period.from.to_string(), &r.when(), &r.current);
    sales("before", &r.before.from.to_string(), &r.compared_with, &r.previous);
    let time = if r.period.days() == 1 { "hour" } else { "day" };
    for (section, rows) in [
        (time, &r.over_time),
        ("channel", &r.channels),
        ("type", &r.types),
        ("daypart", &r.dayparts),
        ("staff", &r.staff),
    ] {
        for row in rows.iter() {
            sales(section, &row.key, row.label.as_deref().unwrap_or(""), &row.figures);
        }
    }
    for i in &r.items {
        out += &format!(
            "item,{},{},,,,,,,,,,{},{},{},{}{REST}\n",
            i.item_id,
            csv_field(&i.name),
            i.quantity,
            m(i.revenue),
            m(i.food_cost),
            m(i.margin)
        );
    }
    if let Some(c) = &r.close_out {
        for (k, v) in [("cash", c.by_tender.cash), ("card", c.by_tender.card), ("external", c.by_tender.external)] {
            out += &format!("tender,{k},,,,,,,,{},,,,,,{REST}\n", m(v));
        }
        for (section, list) in [("void", &c.voids), ("comp", &c.comps)] {
            for v in list.iter() {
                let label = format!(
                    "#{} {} ({})",
                    v.number,
                    v.item.as_deref().unwrap_or("whole order"),
                    v.reason.as_deref().unwrap_or("")
                );
                out += &format!("{section},{},{},,,,,,,{},,,,,,{REST}\n", v.order_id, csv_field(&label), m(v.amount));
            }
        }
        for f in &c.refunds {
            out += &format!("refund,{},{},,,,{},,,,,,,,,{REST}\n", f.order_id, csv_field(&f.reason), m(f.amount));
        }
    }
    // The later sections fill their own columns, named.
    let columns: Vec<&str> = SALES_HEADER.trim_end().split(',').collect();
    let mut row = |section: &str, key: &str, label: &str, cells: &[(&str, String)]| {
        let mut line = vec![String::new(); columns.len()];
        line[0] = section.to_owned();
        line[1] = csv_field(key);
        line[2] = csv_field(label);
        for (name, value) in cells {
            if let Some(i) = columns.iter().position(|c| c == name) {
                line[i] = value.clone();
            }
        }
        out += &line.join(",");
        out.push('\n');
    };
    let opt = |v: Option<String>| v.unwrap_or_default();
    let t = &r.labour.totals;
    row(
        "labour",
        "",
        "Labour",
        &[
            ("net", m(t.net_sales)),
            ("food_cost", opt(t.food_cost.map(m))),
            ("hours", t.hours.to_string()),
            ("scheduled_hours", t.scheduled_hours.to_string()),
            ("overtime_hours", opt(t.overtime_hours.map(|h| h.to_string()))),
            ("labour_cost", m(t.labour_cost)),
            ("labour_percent", opt(t.labour_percent.map(|x| x.to_string()))),
            ("prime_cost_percent", opt(t.prime_cost_percent.map(|x| x.to_string()))),
        ],
    );
    for w in &r.labour.people {
        row(
            "labour_person",
            &w.user_id.to_string(),
            &w.name,
            &[
                ("hours", w.hours.to_string()),
                ("scheduled_hours", w.scheduled_hours.to_string()),
                ("overtime_hours", w.overtime_hours.to_string()),
                ("labour_cost", m(w.labour_cost)),
            ],
        );
    }
    for k in &r.kitchen.rows {
        row(
            "kitchen",
            &k.key,
            k.label.as_deref().unwrap_or(""),
            &[
                ("tickets", k.tickets.to_string()),
                ("p50_seconds", opt(k.p50_seconds.map(|x| x.to_string()))),
                ("p90_seconds", opt(k.p90_seconds.map(|x| x.to_string()))),
                ("late", k.late.to_string()),
            ],
        );
    }
    for c in r.channel_orders.channels.iter().filter(|c| c.platform) {
        row(
            "platform",
            &c.channel,
            "",
            &[
                ("orders", c.orders.to_string()),
                ("total", m(c.total)),
                ("platform_total", if c.matched_orders > 0 { m(c.platform_total) } else { String::new() }),
                ("cancelled", c.cancelled.to_string()),
                ("refused", c.refused.to_string()),
            ],
        );
    }
    out
}

fn change(now: i64, then: i64) -> String {
    if then == 0 {
        return "—".into();
    }
    let pct = (now - then) as f64 * 100.0 / then as f64;
    format!("{}{:.1}%", if pct > 0.0 { "+" } else { "" }, pct)
}

/// The report as a PDF: the figures beside the comparison, a chart over time, the
/// breakdowns, the items and, for a day, the close-out's money.
pub fn pdf(r: &Report, generated: &str) -> Vec<u8> {
    let m = |v: i64| Money(v).to_string();
    let mut d = Doc::new(
        &format!("{} · {} · amounts in {}", r.restaurant, r.timezone, r.currency),
        &format!("{} · {}", r.title, r.when()),
    );
    d.heading("Sales");
    d.line(&format!("Compared with {} ({} to {}).", r.compared_with, r.before.from, r.before.to));
    let (c, p) = (&r.current, &r.previous);
    let figure = |name: &str, now: i64, then: i64| vec![name.to_owned(), m(now), m(then), change(now, then)];
    let mut rows = vec![
        vec!["Orders".to_owned(), c.orders.to_string(), p.orders.to_string(), change(c.orders, p.orders)],
        figure("Gross sales", c.gross, p.gross),
        figure("Discounts", c.discounts, p.discounts),
        figure("Refunds", c.refunds, p.refunds),
        figure("Net sales", c.net, p.net),
        figure("Tax", c.tax, p.tax),
        figure("Collected (net + tax)", c.total, p.total),
        figure("Tips", c.tips, p.tips),
    ];
    rows.push(match (c.average_ticket, p.average_ticket) {
        (Some(a), Some(b)) => figure("Average ticket", a, b),
        (a, b) => {
            vec!["Average ticket".into(), a.map(m).unwrap_or("—".into()), b.map(m).unwrap_or("—".into()), "—".into()]
        }
    });
    d.table(
        &[
            col("", 200.0, false),
            col("This period", 100.0, true),
            col("Before", 100.0, true),
            col("Change", 90.0, true),
        ],
        &rows,
    );

    let daily = r.period.days() == 1;
    d.heading(if daily { "Net sales by hour" } else { "Net sales by day" });
    let shown: Vec<&SalesRowView> = if daily {
        // The hours the restaurant sold in, and those between.
        let first = r.over_time.iter().position(|x| x.figures.orders > 0);
        let last = r.over_time.iter().rposition(|x| x.figures.orders > 0);
        match (first, last) {
            (Some(a), Some(b)) => r.over_time[a..=b].iter().collect(),
            _ => Vec::new(),
        }
    } else {
        r.over_time.iter().collect()
    };
    if shown.is_empty() {
        d.line("Nothing sold.");
    } else if !daily && shown.len() > 92 {
        // A long period reads better by week: each bar is seven days from its date.
        d.line("Each bar is a week, from the date under it.");
        let weeks: Vec<&[&SalesRowView]> = shown.chunks(7).collect();
        let labels: Vec<String> = weeks.iter().map(|w| w[0].key.get(5..).unwrap_or(&w[0].key).to_owned()).collect();
        let values: Vec<i64> = weeks.iter().map(|w| w.iter().map(|x| x.figures.net).sum()).collect();
        d.bars(&labels, &values, |v| Money(v).to_string());
    } else {
        let labels: Vec<String> = shown
            .iter()
            .map(|x| if daily { format!("{}h", x.key) } else { x.key.get(5..).unwrap_or(&x.key).to_owned() })
            .collect();
        let values: Vec<i64> = shown.iter().map(|x| x.figures.net).collect();
        d.bars(&labels, &values, |v| Money(v).to_string());
    }
    let breakdown = |d: &mut Doc, title: &str, rows: &[SalesRowView]| {
        d.heading(title);
        if rows.iter().all(|x| x.figures.orders == 0) {
            d.line("Nothing sold.");
            return;
        }
        let total: i64 = rows.iter().map(|x| x.figures.net).sum::<i64>().max(1);
        let body: Vec<Vec<String>> = rows
            .iter()
            .filter(|x| x.figures.orders > 0)
            .map(|x| {
                vec![
                    x.label.clone().unwrap_or_else(|| x.key.replace('_', " ")),
                    x.figures.orders.to_string(),
                    m(x.figures.net),
                    format!("{:.1}%", x.figures.net as f64 * 100.0 / total as f64),
                    x.figures.average_ticket.map(m).unwrap_or_default(),
                ]
            })
            .collect();
        d.table(
            &[
                col("", 190.0, false),
                col("Orders", 70.0, true),
                col("Net sales", 100.0, true),
                col("Share", 60.0, true),
                col("Avg ticket", 80.0, true),
            ],
            &body,
        );
    };
    breakdown(&mut d, "Channels", &r.channels);
    breakdown(&mut d, "Order types", &r.types);
    breakdown(&mut d, "Dayparts", &r.dayparts);
    breakdown(&mut d, "Staff (who took the order)", &r.staff);

    d.heading("Items");
    if let Some([s, p, z, g]) = r.classes {
        d.line(&format!("Menu engineering: {s} stars, {p} plowhorses, {z} puzzles, {g} dogs."));
    }
    let items: Vec<Vec<String>> = r
        .items
        .iter()
        .map(|i| {
            vec![
                i.name.clone(),
                i.quantity.to_string(),
                m(i.revenue),
                if i.costed { m(i.food_cost) } else { "—".into() },
                if i.costed { m(i.margin) } else { "—".into() },
                i.share_percent.map(|s| format!("{s}%")).unwrap_or_default(),
            ]
        })
        .collect();
    if items.is_empty() {
        d.line("Nothing sold.");
    } else {
        d.table(
            &[
                col("Item", 170.0, false),
                col("Sold", 50.0, true),
                col("Revenue", 80.0, true),
                col("Food cost", 80.0, true),
                col("Margin", 75.0, true),
                col("Share", 45.0, true),
            ],
            &items,
        );
    }

    labour_kitchen_platforms(&mut d, r);

    if let Some(c) = &r.close_out {
        d.heading("Money taken");
        let t = &c.by_tender;
        d.table(
            &[col("", 200.0, false), col("Amount", 100.0, true)],
            &[
                vec!["Cash".into(), m(t.cash)],
                vec!["Card".into(), m(t.card)],
                vec!["Card machine / other".into(), m(t.external)],
                vec!["Tips".into(), m(c.tips.total)],
            ],
        );
        let list = |d: &mut Doc, title: &str, entries: &[crate::checks::VoidEntry]| {
            d.heading(title);
            if entries.is_empty() {
                d.line("None.");
                return;
            }
            let rows: Vec<Vec<String>> = entries
                .iter()
                .map(|v| {
                    vec![
                        format!("#{}", v.number),
                        v.item.clone().unwrap_or_else(|| "whole order".into()),
                        v.reason.clone().unwrap_or_default(),
                        v.by_name.clone().unwrap_or_else(|| v.by.clone()),
                        m(v.amount),
                    ]
                })
                .collect();
            d.table(
                &[
                    col("Order", 50.0, false),
                    col("What", 140.0, false),
                    col("Why", 130.0, false),
                    col("By", 100.0, false),
                    col("Amount", 75.0, true),
                ],
                &rows,
            );
        };
        list(&mut d, "Voids", &c.voids);
        list(&mut d, "Comps", &c.comps);
        d.heading("Refunds");
        if c.refunds.is_empty() {
            d.line("None.");
        } else {
            let rows: Vec<Vec<String>> = c
                .refunds
                .iter()
                .map(|f| {
                    vec![
                        f.reason.clone(),
                        f.refunded_by_name.clone().unwrap_or_else(|| f.refunded_by.clone()),
                        f.status.clone(),
                        m(f.amount),
                    ]
                })
                .collect();
            d.table(
                &[
                    col("Why", 200.0, false),
                    col("By", 120.0, false),
                    col("Status", 80.0, false),
                    col("Amount", 95.0, true),
                ],
                &rows,
            );
        }
    }
    d.finish(&format!("Brigade · made {generated}"))
}

/// The labour, kitchen and platform sections of the PDF.
fn labour_kitchen_platforms(d: &mut Doc, r: &Report) {
    let m = |v: i64| Money(v).to_string();
    let dash = || "—".to_owned();
    let pct = |v: Option<f64>| v.map_or_else(dash, |x| format!("{x}%"));
    let hours = |h: f64| format!("{h:.1} h");
    let mins = |v: Option<i64>| v.map_or_else(dash, |x| format!("{}:{:02}", x / 60, x % 60));

    d.heading("Labour and prime cost");
    let t = &r.labour.totals;
    if t.hours == 0.0 && t.scheduled_hours == 0.0 {
        d.line("No one was on the clock or the schedule.");
    } else {
        d.table(
            &[col("", 200.0, false), col("", 120.0, true)],
            &[
                vec!["Labour cost".into(), m(t.labour_cost)],
                vec!["Labour % of net sales".into(), pct(t.labour_percent)],
                vec!["Food cost".into(), t.food_cost.map_or_else(dash, m)],
                vec!["Prime cost % (food + labour)".into(), pct(t.prime_cost_percent)],
                vec!["Hours worked".into(), hours(t.hours)],
                vec!["Hours scheduled".into(), hours(t.scheduled_hours)],
                vec!["Overtime hours".into(), hours(t.overtime_hours.unwrap_or(0.0))],
                vec!["Net sales per labour hour".into(), t.sales_per_labour_hour.map_or_else(dash, m)],
            ],
        );
        let people: Vec<Vec<String>> = r
            .labour
            .people
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    hours(p.hours),
                    hours(p.scheduled_hours),
                    hours(p.overtime_hours),
                    m(p.labour_cost),
                ]
            })
            .collect();
        d.table(
            &[
                col("Who", 170.0, false),
                col("Worked", 75.0, true),
                col("Scheduled", 75.0, true),
                col("Overtime", 75.0, true),
                col("Pay", 95.0, true),
            ],
            &people,
        );
    }

    d.heading("Kitchen ticket times");
    let k = &r.kitchen;
    if k.totals.tickets == 0 {
        d.line("No tickets were bumped.");
    } else {
        d.line(&format!(
            "{} tickets; half within {}, nine in ten within {}; {} late ({} min or more).",
            k.totals.tickets,
            mins(k.totals.p50_seconds),
            mins(k.totals.p90_seconds),
            k.totals.late,
            k.late_secs / 60
        ));
        let rows: Vec<Vec<String>> = k
            .rows
            .iter()
            .map(|s| {
                vec![
                    s.label.clone().unwrap_or_default(),
                    s.tickets.to_string(),
                    mins(s.p50_seconds),
                    mins(s.p90_seconds),
                    mins(Some(s.longest_seconds)),
                    format!("{} ({})", s.late, pct(s.late_percent)),
                ]
            })
            .collect();
        d.table(
            &[
                col("Station", 150.0, false),
                col("Tickets", 60.0, true),
                col("Half", 60.0, true),
                col("9 in 10", 60.0, true),
                col("Longest", 60.0, true),
                col("Late", 100.0, true),
            ],
            &rows,
        );
    }

    let platforms: Vec<&crate::analytics::operations::ChannelView> =
        r.channel_orders.channels.iter().filter(|c| c.platform).collect();
    if !platforms.is_empty() {
        d.heading("Delivery platforms");
        let rows: Vec<Vec<String>> = platforms
            .iter()
            .map(|c| {
                vec![
                    c.channel.clone(),
                    c.orders.to_string(),
                    m(c.total),
                    if c.matched_orders > 0 { m(c.platform_total) } else { dash() },
                    if c.matched_orders > 0 { m(c.difference) } else { dash() },
                    c.cancelled.to_string(),
                    c.refused.to_string(),
                ]
            })
            .collect();
        d.table(
            &[
                col("Platform", 90.0, false),
                col("Orders", 55.0, true),
                col("Brigade", 80.0, true),
                col("Platform", 80.0, true),
                col("Difference", 75.0, true),
                col("Cancelled", 60.0, true),
                col("Refused", 55.0, true),
            ],
            &rows,
        );
        let why: Vec<String> = platforms
            .iter()
            .flat_map(|c| {
                c.cancel_reasons
                    .iter()
                    .map(move |x| {
                        format!(
                            "{} cancelled: {} ({})",
                            c.channel,
                            if x.reason.is_empty() { "no reason" } else { &x.reason },
                            x.count
                        )
                    })
                    .chain(
                        c.refuse_reasons
                            .iter()
                            .map(move |x| format!("{} refused: {} ({})", c.channel, x.reason, x.count)),
                    )
            })
            .collect();
        for line in why.iter().take(20) {
            d.line(line);
        }
    }
}
