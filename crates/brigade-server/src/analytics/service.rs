//! The analytics read from the rollups: sales over a period by any dimension beside the
//! period before, the headline numbers, item performance and the menu-engineering matrix.

use super::{
    rollup, CategoryPerformance, DaypartsBody, FiguresView, ItemPerformance, ItemsView, MatrixItem, MatrixView,
    OptionPerformance, SalesRowView, SalesView, SummaryView,
};
use crate::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use brigade_domain::analytics::{
    check_dayparts, daypart_of, default_dayparts, weekday_key, Daypart, Figures, GroupBy, Matrix, Period,
};
use brigade_domain::auth::Permission;
use brigade_store::analytics::{self as store, Money};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A period from the query's `from` and `to`, both required.
pub fn period(from: Option<&str>, to: Option<&str>) -> ApiResult<Period> {
    let from = from.ok_or_else(|| ApiError::validation("from", "give the first day, as YYYY-MM-DD"))?;
    let to = to.ok_or_else(|| ApiError::validation("to", "give the last day, as YYYY-MM-DD"))?;
    Ok(Period::parse(from, to)?)
}

fn figures(m: &Money) -> Figures {
    Figures {
        orders: m.orders,
        gross: m.gross,
        discounts: m.discounts,
        refunds: m.refunds,
        net: m.net,
        tax: m.tax,
        total: m.total,
        tips: m.tips,
    }
}

async fn total_of(state: &AppState, rid: Uuid, p: Period) -> ApiResult<Figures> {
    let mut f = Figures::default();
    for d in store::days(&state.db, rid, p.from, p.to).await? {
        f.add(&figures(&d.money));
    }
    Ok(f)
}

/// A restaurant's dayparts: its own, else breakfast, lunch, dinner and late.
pub async fn dayparts_of(state: &AppState, rid: Uuid) -> ApiResult<Vec<Daypart>> {
    Ok(store::dayparts(&state.db, rid).await?.unwrap_or_else(default_dayparts))
}

/// Sales from `p.from` to `p.to` (business days) grouped by `by`, with the totals and the
/// period of the same length just before.
pub async fn sales(actor: &Actor, state: &AppState, p: Period, by: GroupBy) -> ApiResult<SalesView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let mut rows: Vec<(String, Option<String>, Figures)> = Vec::new();
    match by {
        GroupBy::Day | GroupBy::Weekday => {
            let days = store::days(&state.db, rid, p.from, p.to).await?;
            let by_day: HashMap<_, _> = days.iter().map(|d| (d.business_day, figures(&d.money))).collect();
            if by == GroupBy::Day {
                for d in p.dates() {
                    rows.push((d.to_string(), None, by_day.get(&d).copied().unwrap_or_default()));
                }
            } else {
                let order = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
                let mut week: BTreeMap<usize, Figures> = (0..7).map(|i| (i, Figures::default())).collect();
                for (d, f) in &by_day {
                    let i = order.iter().position(|w| *w == weekday_key(*d)).unwrap_or(0);
                    week.entry(i).or_default().add(f);
                }
                rows = week.into_iter().map(|(i, f)| (order[i].to_owned(), None, f)).collect();
            }
        }
        GroupBy::Hour | GroupBy::Daypart => {
            let hours = store::by_key(&state.db, rid, "hour", p.from, p.to).await?;
            let by_hour: HashMap<u32, Figures> =
                hours.iter().filter_map(|h| Some((h.key.parse().ok()?, figures(&h.money)))).collect();
            if by == GroupBy::Hour {
                for h in 0..24u32 {
                    rows.push((h.to_string(), None, by_hour.get(&h).copied().unwrap_or_default()));
                }
            } else {
                let parts = dayparts_of(state, rid).await?;
                let mut sums: Vec<Figures> = vec![Figures::default(); parts.len()];
                for (h, f) in &by_hour {
                    let name = daypart_of(&parts, *h);
                    if let Some(i) = parts.iter().position(|p| p.name == name) {
                        sums[i].add(f);
                    }
                }
                rows = parts.iter().zip(sums).map(|(p, f)| (p.name.clone(), None, f)).collect();
            }
        }
        GroupBy::Channel | GroupBy::Type | GroupBy::Staff | GroupBy::Table => {
            let keyed = store::by_key(&state.db, rid, by.dimension(), p.from, p.to).await?;
            let labels = labels(state, rid, by, keyed.iter().map(|k| k.key.clone()).collect()).await?;
            for k in keyed {
                let label = labels.get(&k.key).cloned();
                rows.push((k.key, label, figures(&k.money)));
            }
            rows.sort_by(|a, b| b.2.total.cmp(&a.2.total).then_with(|| a.0.cmp(&b.0)));
        }
    }
    let totals = total_of(state, rid, p).await?;
    let before = p.previous();
    let previous = total_of(state, rid, before).await?;
    Ok(SalesView {
        from: p.from,
        to: p.to,
        group_by: by.as_str(),
        rows: rows
            .into_iter()
            .map(|(key, label, f)| SalesRowView { key, label, figures: FiguresView::of(&f) })
            .collect(),
        totals: FiguresView::of(&totals),
        previous: FiguresView::of(&previous),
        previous_from: before.from,
        previous_to: before.to,
    })
}

/// Names for the keys of the staff (members' names; guests and API keys as such) and
/// table dimensions.
async fn labels(state: &AppState, rid: Uuid, by: GroupBy, keys: Vec<String>) -> ApiResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    match by {
        GroupBy::Staff => {
            let who: Vec<String> =
                keys.iter().filter(|k| k.parse::<Uuid>().is_ok()).map(|k| format!("user:{k}")).collect();
            let names = crate::actor::names(&state.db, rid, who).await?;
            for k in keys {
                let name = match k.as_str() {
                    "guest" => Some("Guests (QR and web)".to_owned()),
                    "api_key" => Some("API and platforms".to_owned()),
                    "system" => Some("Brigade".to_owned()),
                    _ => names.get(&format!("user:{k}")).cloned(),
                };
                if let Some(n) = name {
                    out.insert(k, n);
                }
            }
        }
        GroupBy::Table => {
            for t in brigade_store::tables::list(&state.db, rid).await? {
                out.insert(t.id.to_string(), t.name);
            }
            out.insert(String::new(), "No table".to_owned());
        }
        _ => {}
    }
    Ok(out)
}

/// The headline numbers of a period beside the period before and the same weeks a year
/// before.
pub async fn summary(actor: &Actor, state: &AppState, p: Period) -> ApiResult<SummaryView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let current = total_of(state, rid, p).await?;
    let before = p.previous();
    let previous = total_of(state, rid, before).await?;
    let year = p.year_before();
    let year_before = total_of(state, rid, year).await?;
    let change = |now: i64, then: i64| (then != 0).then(|| ((now - then) as f64 * 1000.0 / then as f64).round() / 10.0);
    Ok(SummaryView {
        from: p.from,
        to: p.to,
        change_percent: super::ChangeView {
            orders: change(current.orders, previous.orders),
            net: change(current.net, previous.net),
            total: change(current.total, previous.total),
            average_ticket: match (current.average_ticket(), previous.average_ticket()) {
                (Some(a), Some(b)) => change(a, b),
                _ => None,
            },
        },
        current: FiguresView::of(&current),
        previous: FiguresView::of(&previous),
        previous_from: before.from,
        previous_to: before.to,
        year_before: (year_before.orders > 0).then(|| FiguresView::of(&year_before)),
    })
}

/// Items, options and categories sold over a period: quantity, revenue (before the
/// orders' discounts), food cost (recipes at the stock's average cost when the day was
/// rolled up), margin and share of revenue.
pub async fn items(actor: &Actor, state: &AppState, p: Period) -> ApiResult<ItemsView> {
    actor.require(Permission::ReportsRead)?;
    let rid = actor.rid();
    let (sold, options): (Vec<_>, Vec<_>) =
        store::items(&state.db, rid, p.from, p.to).await?.into_iter().partition(|i| i.kind == "item");
    let costs = rollup::Costs::read(state, rid).await?;
    let menu = brigade_store::menu::all_items(&state.db, rid).await?;
    let category_of: HashMap<Uuid, Uuid> = menu.iter().map(|i| (i.id, i.category_id)).collect();
    let current_name: HashMap<Uuid, &str> = menu.iter().map(|i| (i.id, i.name.as_str())).collect();
    let categories = brigade_store::menu::categories(&state.db, rid).await?;
    let category_name: HashMap<Uuid, &str> = categories.iter().map(|c| (c.id, c.name.as_str())).collect();
    let revenue: i64 = sold.iter().map(|i| i.revenue).sum();
    let share = |r: i64| (revenue > 0).then(|| (r as f64 * 1000.0 / revenue as f64).round() / 10.0);
    let mut by_category: BTreeMap<Option<Uuid>, CategoryPerformance> = BTreeMap::new();
    let mut rows: Vec<ItemPerformance> = sold
        .into_iter()
        .map(|i| {
            let category = category_of.get(&i.id).copied();
            let c = by_category.entry(category).or_insert_with(|| CategoryPerformance {
                category_id: category,
                name: category.and_then(|c| category_name.get(&c)).map_or("Removed items".into(), |n| (*n).to_owned()),
                quantity: 0,
                revenue: 0,
                food_cost: 0,
                margin: 0,
                share_percent: None,
            });
            c.quantity += i.quantity;
            c.revenue += i.revenue;
            c.food_cost += i.food_cost;
            c.margin += i.revenue - i.food_cost;
            ItemPerformance {
                item_id: i.id,
                name: current_name.get(&i.id).map_or(i.name, |n| (*n).to_owned()),
                category_id: category,
                quantity: i.quantity,
                revenue: i.revenue,
                food_cost: i.food_cost,
                margin: i.revenue - i.food_cost,
                share_percent: share(i.revenue),
                costed: costs.costed(i.id),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.revenue.cmp(&a.revenue).then_with(|| a.name.cmp(&b.name)));
    let mut categories: Vec<CategoryPerformance> = by_category
        .into_values()
        .map(|mut c| {
            c.share_percent = share(c.revenue);
            c
        })
        .collect();
    categories.sort_by_key(|c| std::cmp::Reverse(c.revenue));
    let mut options: Vec<OptionPerformance> = options
        .into_iter()
        .map(|o| OptionPerformance {
            option_id: o.id,
            name: o.name,
            quantity: o.quantity,
            revenue: o.revenue,
            food_cost: o.food_cost,
            margin: o.revenue - o.food_cost,
        })
        .collect();
    options.sort_by(|a, b| b.quantity.cmp(&a.quantity).then_with(|| a.name.cmp(&b.name)));
    Ok(ItemsView { from: p.from, to: p.to, rows, categories, options })
}

/// The menu-engineering matrix over the items sold in a period (Kasavana and Smith).
pub async fn menu_engineering(actor: &Actor, state: &AppState, p: Period) -> ApiResult<MatrixView> {
    let items = items(actor, state, p).await?;
    let sold: Vec<&ItemPerformance> = items.rows.iter().filter(|i| i.quantity > 0).collect();
    let pairs: Vec<(i64, i64)> = sold.iter().map(|i| (i.quantity, i.margin)).collect();
    let Some(m) = Matrix::of(&pairs) else {
        return Ok(MatrixView {
            from: p.from,
            to: p.to,
            items: Vec::new(),
            popularity_threshold: 0.0,
            average_contribution_margin: 0.0,
        });
    };
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    Ok(MatrixView {
        from: p.from,
        to: p.to,
        items: sold
            .into_iter()
            .map(|i| MatrixItem {
                item_id: i.item_id,
                name: i.name.clone(),
                quantity: i.quantity,
                contribution_margin: (2 * i.margin + i.quantity) / (2 * i.quantity),
                revenue: i.revenue,
                food_cost: i.food_cost,
                class: m.classify(i.quantity, i.margin),
                costed: i.costed,
            })
            .collect(),
        popularity_threshold: round2(m.popularity_threshold),
        average_contribution_margin: round2(m.average_contribution_margin),
    })
}

pub async fn dayparts(actor: &Actor, state: &AppState) -> ApiResult<DaypartsBody> {
    actor.require(Permission::ReportsRead)?;
    Ok(DaypartsBody { dayparts: dayparts_of(state, actor.rid()).await? })
}

/// Sets the dayparts the sales are split into (read from the hourly rollups, so they apply
/// to past days too).
pub async fn set_dayparts(actor: &Actor, state: &AppState, mut body: DaypartsBody) -> ApiResult<DaypartsBody> {
    actor.require(Permission::RestaurantWrite)?;
    check_dayparts(&mut body.dayparts)?;
    let now = state.clock.now();
    let mut tx = state.db.begin(actor.rid()).await?;
    store::set_dayparts(&mut tx, actor.rid(), &body.dayparts, now).await?;
    let names: Vec<&str> = body.dayparts.iter().map(|d| d.name.as_str()).collect();
    actor
        .record(
            &mut tx,
            "analytics.dayparts_set",
            "restaurant",
            actor.rid(),
            serde_json::json!({ "dayparts": names }),
            now,
        )
        .await?;
    tx.commit().await?;
    Ok(body)
}
