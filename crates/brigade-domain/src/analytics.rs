//! What the analytics count and how: the figures of a set of orders, the periods they are
//! asked over, the ways they are grouped, dayparts, and the menu-engineering matrix.

use crate::Invalid;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The longest period one question may span.
pub const MAX_DAYS: i64 = 3 * 366;

/// Money and counts of a set of orders (minor units). Cancelled orders count in none.
///
/// `gross` is what the lines came to before discounts and tax, `net` = gross − discounts
/// − refunds, `total` = net + tax: what guests paid and kept paid. Tips are apart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub orders: i64,
    pub gross: i64,
    pub discounts: i64,
    pub refunds: i64,
    pub net: i64,
    pub tax: i64,
    pub total: i64,
    pub tips: i64,
}

impl Figures {
    /// One order's figures from what it charged: `total` and `tax` as priced (after its
    /// discount), and what was refunded of it since.
    pub fn of_order(total: i64, tax: i64, discount: i64, refunded: i64, tips: i64) -> Figures {
        let kept = total - refunded;
        let net = kept - tax;
        Figures {
            orders: 1,
            gross: net + discount + refunded,
            discounts: discount,
            refunds: refunded,
            net,
            tax,
            total: kept,
            tips,
        }
    }

    pub fn add(&mut self, o: &Figures) {
        self.orders += o.orders;
        self.gross += o.gross;
        self.discounts += o.discounts;
        self.refunds += o.refunds;
        self.net += o.net;
        self.tax += o.tax;
        self.total += o.total;
        self.tips += o.tips;
    }

    /// What the average order came to (net of refunds, with tax), rounded half up.
    pub fn average_ticket(&self) -> Option<i64> {
        (self.orders > 0).then(|| (2 * self.total + self.orders) / (2 * self.orders))
    }
}

/// A span of whole business days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A period from its two ends as given (`YYYY-MM-DD`): `to` not before `from`, at
    /// most three years.
    pub fn parse(from: &str, to: &str) -> Result<Period, Invalid> {
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        Period::new(from, to)
    }

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, Invalid> {
        if to < from {
            return Err(Invalid::new("to", format!("{to} is before from ({from})")));
        }
        let p = Period { from, to };
        if p.days() > MAX_DAYS {
            return Err(Invalid::new("to", format!("a period is at most 3 years; this one is {} days", p.days())));
        }
        Ok(p)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        let n = chrono::Duration::days(self.days());
        Period { from: self.from - n, to: self.to - n }
    }

    /// The same weekdays a year before: 52 weeks back, so Mondays compare with Mondays.
    pub fn year_before(&self) -> Period {
        let n = chrono::Duration::weeks(52);
        Period { from: self.from - n, to: self.to - n }
    }

    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> {
        self.from.iter_days().take_while({
            let to = self.to;
            move |d| *d <= to
        })
    }
}

pub fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, Invalid> {
    let s = s.trim();
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, format!("'{s}' is not a date; use YYYY-MM-DD")))?;
    if !(1970..=2199).contains(&d.year()) {
        return Err(Invalid::new(field, format!("{d} is outside the years 1970 to 2199")));
    }
    Ok(d)
}

/// How sales are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Day,
    Hour,
    Weekday,
    Daypart,
    Channel,
    Type,
    Staff,
    Table,
}

impl GroupBy {
    pub const ALL: [GroupBy; 8] = [
        GroupBy::Day,
        GroupBy::Hour,
        GroupBy::Weekday,
        GroupBy::Daypart,
        GroupBy::Channel,
        GroupBy::Type,
        GroupBy::Staff,
        GroupBy::Table,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Hour => "hour",
            GroupBy::Weekday => "weekday",
            GroupBy::Daypart => "daypart",
            GroupBy::Channel => "channel",
            GroupBy::Type => "type",
            GroupBy::Staff => "staff",
            GroupBy::Table => "table",
        }
    }
}

impl FromStr for GroupBy {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "group_by",
                format!("'{s}' is not a grouping; use day, hour, weekday, daypart, channel, type, staff or table"),
            )
        })
    }
}

/// The rollup dimensions a day's sales are kept under: the day's whole, and its split by
/// each of these (weekday and daypart are read from `day` and `hour`).
pub const DIMENSIONS: [&str; 6] = ["day", "hour", "channel", "type", "staff", "table"];

impl GroupBy {
    /// The rollup dimension this grouping reads.
    pub fn dimension(self) -> &'static str {
        match self {
            GroupBy::Day | GroupBy::Weekday => "day",
            GroupBy::Hour | GroupBy::Daypart => "hour",
            GroupBy::Channel => "channel",
            GroupBy::Type => "type",
            GroupBy::Staff => "staff",
            GroupBy::Table => "table",
        }
    }
}

pub fn weekday_key(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// A named part of the day, from a local hour (it runs until the next part's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Daypart {
    pub name: String,
    pub starts: u32,
}

/// Breakfast from 05:00, lunch from 11:00, dinner from 16:00, late from 22:00 (and until
/// 05:00).
pub fn default_dayparts() -> Vec<Daypart> {
    [("breakfast", 5), ("lunch", 11), ("dinner", 16), ("late", 22)]
        .into_iter()
        .map(|(n, s)| Daypart { name: n.into(), starts: s })
        .collect()
}

/// Checks a restaurant's own dayparts: 1 to 8, named, starting on distinct hours 0–23.
pub fn check_dayparts(parts: &mut [Daypart]) -> Result<(), Invalid> {
    if parts.is_empty() || parts.len() > 8 {
        return Err(Invalid::new("dayparts", "give 1 to 8 dayparts"));
    }
    for p in parts.iter_mut() {
        p.name = crate::credentials::parse_name("dayparts", &p.name)?;
        if p.starts > 23 {
            return Err(Invalid::new("dayparts", format!("{} starts at hour {}; use 0 to 23", p.name, p.starts)));
        }
    }
    parts.sort_by_key(|p| p.starts);
    if parts.windows(2).any(|w| w[0].starts == w[1].starts) {
        return Err(Invalid::new("dayparts", "two dayparts start at the same hour"));
    }
    Ok(())
}

/// The daypart a local hour falls in: the last to start at or before it, else (before the
/// first start) the last of the day, which runs past midnight. `parts` sorted by start.
pub fn daypart_of(parts: &[Daypart], hour: u32) -> &str {
    parts.iter().rev().find(|p| p.starts <= hour).or(parts.last()).map_or("", |p| p.name.as_str())
}

/// Kasavana and Smith's menu-engineering class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MenuClass {
    /// Popular and above the average margin.
    Star,
    /// Popular, below the average margin.
    Plowhorse,
    /// Unpopular, above the average margin.
    Puzzle,
    /// Unpopular and below it.
    Dog,
}

/// The matrix's two lines over items sold (`quantity`, `margin` = revenue − food cost in
/// total): an item is popular when its share of the quantity is at least 70 % of an equal
/// share (`popularity_threshold`, in items sold), and its margin is high when its
/// contribution margin per unit is at least the average weighted by quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix {
    /// Items sold an item needs to count as popular: 0.7 × total ÷ number of items.
    pub popularity_threshold: f64,
    /// Total margin ÷ total items sold (minor units per item).
    pub average_contribution_margin: f64,
}

impl Matrix {
    /// Over `(quantity, margin)` per item; `None` when nothing was sold.
    pub fn of(items: &[(i64, i64)]) -> Option<Matrix> {
        let sold: i64 = items.iter().map(|i| i.0).sum();
        if sold <= 0 || items.is_empty() {
            return None;
        }
        let margin: i64 = items.iter().map(|i| i.1).sum();
        Some(Matrix {
            popularity_threshold: 0.7 * sold as f64 / items.len() as f64,
            average_contribution_margin: margin as f64 / sold as f64,
        })
    }

    pub fn classify(&self, quantity: i64, margin: i64) -> MenuClass {
        let popular = quantity as f64 >= self.popularity_threshold;
        let cm = if quantity > 0 { margin as f64 / quantity as f64 } else { 0.0 };
        let high = cm >= self.average_contribution_margin;
        match (popular, high) {
            (true, true) => MenuClass::Star,
            (true, false) => MenuClass::Plowhorse,
            (false, true) => MenuClass::Puzzle,
            (false, false) => MenuClass::Dog,
        }
    }
}

/// The width of a ticket-time bucket, in seconds.
pub const TICKET_BUCKET_SECS: i64 = 15;
/// The last bucket holds every ticket of this long or longer (four hours).
const TICKET_BUCKETS: i64 = 4 * 3600 / TICKET_BUCKET_SECS;

/// How long tickets took, kept as counts per 15-second bucket so that days, stations
/// and hours add up and a period's percentiles come from the sum (a percentile of days'
/// percentiles would not be one). Exact for counts against thresholds in whole
/// 15 seconds (the kitchen display's are in seconds, set in minutes on the screen);
/// percentiles are the upper edge of their bucket, so within 15 seconds above.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketTimes {
    /// (bucket, tickets), buckets ascending, none empty.
    pub buckets: Vec<(i64, i64)>,
    pub tickets: i64,
    pub seconds: i64,
    pub longest: i64,
}

impl TicketTimes {
    pub fn add(&mut self, seconds: i64) {
        let seconds = seconds.max(0);
        let b = (seconds / TICKET_BUCKET_SECS).min(TICKET_BUCKETS);
        match self.buckets.binary_search_by_key(&b, |(k, _)| *k) {
            Ok(i) => self.buckets[i].1 += 1,
            Err(i) => self.buckets.insert(i, (b, 1)),
        }
        self.tickets += 1;
        self.seconds += seconds;
        self.longest = self.longest.max(seconds);
    }

    pub fn merge(&mut self, o: &TicketTimes) {
        for (b, n) in &o.buckets {
            match self.buckets.binary_search_by_key(b, |(k, _)| *k) {
                Ok(i) => self.buckets[i].1 += n,
                Err(i) => self.buckets.insert(i, (*b, *n)),
            }
        }
        self.tickets += o.tickets;
        self.seconds += o.seconds;
        self.longest = self.longest.max(o.longest);
    }

    /// The time within which a share `q` (0–1) of the tickets were done: the upper edge
    /// of the bucket that reaches it, never past the longest. None without tickets.
    pub fn quantile(&self, q: f64) -> Option<i64> {
        if self.tickets == 0 {
            return None;
        }
        let want = ((q * self.tickets as f64).ceil() as i64).clamp(1, self.tickets);
        let mut seen = 0;
        for (b, n) in &self.buckets {
            seen += n;
            if seen >= want && *b < TICKET_BUCKETS {
                return Some(((b + 1) * TICKET_BUCKET_SECS).min(self.longest));
            }
        }
        Some(self.longest)
    }

    /// Tickets that took `seconds` or longer (exact when `seconds` is a multiple of 15).
    pub fn at_least(&self, seconds: i64) -> i64 {
        let from = (seconds.max(0) + TICKET_BUCKET_SECS - 1) / TICKET_BUCKET_SECS;
        self.buckets.iter().filter(|(b, _)| *b >= from).map(|(_, n)| n).sum()
    }

    /// The mean, rounded; none without tickets.
    pub fn average(&self) -> Option<i64> {
        (self.tickets > 0).then(|| (2 * self.seconds + self.tickets) / (2 * self.tickets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_orders_figures_add_up() {
        let f = Figures::of_order(1_080, 80, 200, 100, 150);
        assert_eq!(f.net, f.gross - f.discounts - f.refunds);
        assert_eq!(f.total, f.net + f.tax);
        assert_eq!((f.gross, f.net, f.total), (1_200, 900, 980));
    }

    #[test]
    fn the_average_ticket_rounds_half_up() {
        let mut f = Figures::default();
        f.add(&Figures::of_order(1_000, 0, 0, 0, 0));
        f.add(&Figures::of_order(1_001, 0, 0, 0, 0));
        assert_eq!(f.average_ticket(), Some(1_001));
        assert_eq!(Figures::default().average_ticket(), None);
    }

    #[test]
    fn periods_are_checked_and_compared_with_the_one_before() {
        let p = Period::parse("2026-03-01", "2026-03-07").unwrap();
        assert_eq!(p.days(), 7);
        assert_eq!(p.previous(), Period { from: d("2026-02-22"), to: d("2026-02-28") });
        assert_eq!(p.year_before().from.weekday(), p.from.weekday());
        assert_eq!(p.dates().count(), 7);
        assert_eq!(Period::parse("2026-03-02", "2026-03-01").unwrap_err().field, "to");
        assert_eq!(Period::parse("2026-02-30", "2026-03-01").unwrap_err().field, "from");
        assert_eq!(Period::parse("2020-01-01", "2026-01-01").unwrap_err().field, "to");
        assert!(Period::parse("2023-01-01", "2025-12-31").is_ok());
    }

    #[test]
    fn groupings_parse_and_name_the_field() {
        assert_eq!("weekday".parse::<GroupBy>().unwrap(), GroupBy::Weekday);
        assert_eq!("month".parse::<GroupBy>().unwrap_err().field, "group_by");
    }

    #[test]
    fn the_late_daypart_runs_past_midnight() {
        let p = default_dayparts();
        assert_eq!(daypart_of(&p, 7), "breakfast");
        assert_eq!(daypart_of(&p, 12), "lunch");
        assert_eq!(daypart_of(&p, 23), "late");
        assert_eq!(daypart_of(&p, 2), "late");
        let mut bad = vec![Daypart { name: "a".into(), starts: 5 }, Daypart { name: "b".into(), starts: 5 }];
        assert!(check_dayparts(&mut bad).is_err());
    }

    #[test]
    fn the_matrix_follows_kasavana_and_smith() {
        // Four items, 100 sold: an equal share is 25, the threshold 17.5. Total margin
        // 4 000 over 100 sold: 40 a unit on average.
        let items = [(40, 2_400), (30, 600), (10, 600), (20, 400)];
        let m = Matrix::of(&items).unwrap();
        assert!((m.popularity_threshold - 17.5).abs() < 1e-9);
        assert!((m.average_contribution_margin - 40.0).abs() < 1e-9);
        // 20 sold is popular (at least 17.5) at 20 a unit: a plowhorse; 15 would be a dog.
        assert_eq!(m.classify(20, 400), MenuClass::Plowhorse);
        let items = [(40, 2_400), (30, 600), (10, 600), (15, 300)];
        let m = Matrix::of(&items).unwrap();
        let classes: Vec<MenuClass> = items.iter().map(|(q, cm)| m.classify(*q, *cm)).collect();
        assert_eq!(classes, [MenuClass::Star, MenuClass::Plowhorse, MenuClass::Puzzle, MenuClass::Dog]);
        assert!(Matrix::of(&[]).is_none());
    }

    #[test]
    fn ticket_times_add_up_across_days_and_answer_percentiles() {
        let mut a = TicketTimes::default();
        let mut b = TicketTimes::default();
        for s in [60, 200, 290, 300, 301] {
            a.add(s);
        }
        for s in [599, 600, 900, 5 * 3600] {
            b.add(s);
        }
        a.merge(&b);
        assert_eq!((a.tickets, a.longest), (9, 5 * 3600));
        assert_eq!(a.seconds, 60 + 200 + 290 + 300 + 301 + 599 + 600 + 900 + 18_000);
        // The fifth of nine is 301 s: its bucket is 300-315.
        assert_eq!(a.quantile(0.5), Some(315));
        // The ninth is the longest, kept in the last bucket; the answer is the longest.
        assert_eq!(a.quantile(0.9), Some(5 * 3600));
        assert_eq!(a.at_least(300), 6);
        assert_eq!(a.at_least(600), 3);
        assert_eq!(TicketTimes::default().quantile(0.5), None);
        assert_eq!(TicketTimes::default().average(), None);
        let one = {
            let mut t = TicketTimes::default();
            t.add(7);
            t
        };
        assert_eq!(one.quantile(0.9), Some(7));
    }
}
