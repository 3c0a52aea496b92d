//! A restaurant's opening hours: weekly openings (several a day: lunch and dinner), and
//! dates that differ (closed on a holiday, special hours), all in the restaurant's zone.
//!
//! An opening whose close is at or before its open runs past midnight ("18:00"–"02:00"
//! belongs to the day it starts). A date's exceptions replace that date's weekly
//! openings; a night opening of the day before still runs into it. Hours never set mean
//! always open, so a restaurant that has not set any keeps taking orders.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

/// Most weekly openings, and most dated exceptions.
pub const WEEKLY_MAX: usize = 70;
pub const EXCEPTIONS_MAX: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Hours {
    #[serde(default)]
    pub weekly: Vec<Opening>,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// One opening in the week: `day` ("mon".."sun"), from `open` to `close`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub day: String,
    pub open: String,
    pub close: String,
}

/// A date that differs: closed all day, or open from `open` to `close` (several entries
/// for several openings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub date: NaiveDate,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<String>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn day_of(s: &str) -> Option<Weekday> {
    DAYS.iter().find(|(n, _)| *n == s).map(|(_, d)| *d)
}

/// `HH:MM` on a 24-hour clock.
fn time_of(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// A checked span of one local day: its open, and its close (past midnight when not after
/// the open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    open: NaiveTime,
    close: NaiveTime,
}

impl Span {
    fn on(self, date: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
        let start = date.and_time(self.open);
        let end_date = if self.close <= self.open { date + Days::new(1) } else { date };
        (start, end_date.and_time(self.close))
    }
}

/// The hours as checked: each weekday's spans, and each excepted date's.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    weekly: [Vec<Span>; 7],
    exceptions: Vec<(NaiveDate, Vec<Span>)>,
    set: bool,
}

impl Hours {
    /// Checks every entry; the error names the field (`weekly[2].open`).
    pub fn check(&self) -> Result<Schedule, (String, String)> {
        if self.weekly.len() > WEEKLY_MAX {
            return Err(("weekly".into(), format!("at most {WEEKLY_MAX} openings a week")));
        }
        if self.exceptions.len() > EXCEPTIONS_MAX {
            return Err(("exceptions".into(), format!("at most {EXCEPTIONS_MAX} dates")));
        }
        let mut s = Schedule { set: !self.weekly.is_empty() || !self.exceptions.is_empty(), ..Schedule::default() };
        for (i, o) in self.weekly.iter().enumerate() {
            let day = day_of(&o.day)
                .ok_or_else(|| (format!("weekly[{i}].day"), "a day: mon, tue, wed, thu, fri, sat or sun".to_owned()))?;
            let span = span(&o.open, &o.close).map_err(|(f, m)| (format!("weekly[{i}].{f}"), m))?;
            s.weekly[day.num_days_from_monday() as usize].push(span);
        }
        for (i, e) in self.exceptions.iter().enumerate() {
            if !crate::when::date_ok(e.date) {
                return Err((format!("exceptions[{i}].date"), "a date between 1970 and 2199".into()));
            }
            let spans = match (e.closed, &e.open, &e.close) {
                (true, None, None) => Vec::new(),
                (false, Some(open), Some(close)) => {
                    vec![span(open, close).map_err(|(f, m)| (format!("exceptions[{i}].{f}"), m))?]
                }
                _ => {
                    return Err((
                        format!("exceptions[{i}]"),
                        "either \"closed\": true, or an \"open\" and a \"close\" time".into(),
                    ))
                }
            };
            match s.exceptions.iter_mut().find(|(d, _)| *d == e.date) {
                Some((_, existing)) if spans.is_empty() || existing.is_empty() => {
                    return Err((format!("exceptions[{i}]"), "a date is either closed or has hours, not both".into()));
                }
                Some((_, existing)) => existing.extend(spans),
                None => s.exceptions.push((e.date, spans)),
            }
        }
        Ok(s)
    }
}

fn span(open: &str, close: &str) -> Result<Span, (String, String)> {
    let o = time_of(open).ok_or_else(|| ("open".to_owned(), "a time HH:MM, 00:00 to 23:59".to_owned()))?;
    let c = time_of(close).ok_or_else(|| ("close".to_owned(), "a time HH:MM, 00:00 to 23:59".to_owned()))?;
    if o == c {
        return Err(("close".into(), "an opening cannot close when it opens".into()));
    }
    Ok(Span { open: o, close: c })
}

/// A local time as an instant; one that does not exist (the hour clocks skip) is the
/// moment they skip to.
fn instant<Tz: TimeZone>(tz: &Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(early, _) => early.with_timezone(&Utc),
        LocalResult::None => {
            let mut probe = local;
            for _ in 0..240 {
                probe += chrono::TimeDelta::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

impl Schedule {
    /// Whether any hours are set (none: always open).
    pub fn is_set(&self) -> bool {
        self.set
    }

    fn spans_of(&self, date: NaiveDate) -> &[Span] {
        match self.exceptions.iter().find(|(d, _)| *d == date) {
            Some((_, spans)) => spans,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// The openings that start on `date`, as instants.
    fn openings<Tz: TimeZone>(&self, date: NaiveDate, tz: &Tz) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        self.spans_of(date)
            .iter()
            .map(|s| {
                let (a, b) = s.on(date);
                (instant(tz, a), instant(tz, b))
            })
            .collect()
    }

    /// Whether the restaurant is open at `at`.
    pub fn is_open<Tz: TimeZone>(&self, at: DateTime<Utc>, tz: &Tz) -> bool {
        if !self.set {
            return true;
        }
        let today = at.with_timezone(tz).date_naive();
        [today.pred_opt(), Some(today)]
            .into_iter()
            .flatten()
            .any(|d| self.openings(d, tz).iter().any(|(a, b)| *a <= at && at < *b))
    }

    /// The next instant after `at` (within two months) at which it opens or closes, and
    /// whether it is open from then. Openings that meet or overlap count as one.
    pub fn next_change<Tz: TimeZone>(&self, at: DateTime<Utc>, tz: &Tz) -> Option<(DateTime<Utc>, bool)> {
        if !self.set {
            return None;
        }
        let today = at.with_timezone(tz).date_naive();
        let mut edges: Vec<DateTime<Utc>> = (0..63u64)
            .filter_map(|n| today.pred_opt().and_then(|d| d.checked_add_days(Days::new(n))))
            .flat_map(|d| self.openings(d, tz))
            .flat_map(|(a, b)| [a, b])
            .filter(|t| *t > at)
            .collect();
        edges.sort();
        edges.dedup();
        let now = self.is_open(at, tz);
        edges.into_iter().map(|t| (t, self.is_open(t, tz))).find(|(_, open)| *open != now)
    }

    /// The first opening that starts at or after `at` (within two months), whether or
    /// not it is open at `at`: where an item "out until tomorrow" comes back.
    pub fn next_opening_from<Tz: TimeZone>(&self, at: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        if !self.set {
            return None;
        }
        let today = at.with_timezone(tz).date_naive();
        (0..63u64)
            .filter_map(|n| today.pred_opt().and_then(|d| d.checked_add_days(Days::new(n))))
            .flat_map(|d| self.openings(d, tz))
            .map(|(a, _)| a)
            .filter(|a| *a >= at)
            .min()
    }

    /// When it next opens after `at` (within two months), if it is closed then.
    pub fn opens_at<Tz: TimeZone>(&self, at: DateTime<Utc>, tz: &Tz) -> Option<DateTime<Utc>> {
        if !self.set || self.is_open(at, tz) {
            return None;
        }
        let today = at.with_timezone(tz).date_naive();
        (0..62u64)
            .filter_map(|n| today.checked_add_days(Days::new(n)))
            .flat_map(|d| self.openings(d, tz))
            .map(|(a, _)| a)
            .filter(|a| *a > at)
            .min()
    }
}

/// How a restaurant's business days fall. A day turns over at `day_starts`, local time
/// (say 04:00, so a 01:30 order belongs to the night before), except on a night whose
/// opening runs past that: then it turns over at that opening's close, so the 04:30
/// round at a bar open until 05:00 belongs to the night it started. Only openings that
/// run past midnight (a close at or before the open) push the turnover; one that starts
/// after midnight belongs to the day the clock says.
#[derive(Debug, Clone)]
pub struct BusinessDays {
    pub tz: chrono_tz::Tz,
    pub day_starts: NaiveTime,
    hours: Schedule,
}

impl BusinessDays {
    /// The days of a restaurant in `tz` turning over at `day_starts`, after the nights of
    /// `hours` (none, or hours that do not check: at `day_starts` always).
    pub fn new(tz: chrono_tz::Tz, day_starts: NaiveTime, hours: Option<&Hours>) -> BusinessDays {
        let hours = hours.and_then(|h| h.check().ok()).unwrap_or_default();
        BusinessDays { tz, day_starts, hours }
    }

    /// When business day `day` begins: its turnover time, or the close of the night
    /// before if that runs past it. Where DST skips the time, the moment it lands.
    pub fn start(&self, day: NaiveDate) -> DateTime<Utc> {
        let plain = instant(&self.tz, day.and_time(self.day_starts));
        let Some(eve) = day.pred_opt() else { return plain };
        self.hours
            .spans_of(eve)
            .iter()
            .filter(|s| s.close <= s.open)
            .map(|s| {
                let (a, b) = s.on(eve);
                (instant(&self.tz, a), instant(&self.tz, b))
            })
            .filter(|(a, b)| *a < plain && plain < *b)
            .map(|(_, b)| b)
            .fold(plain, DateTime::max)
    }

    /// The business day `at` falls in.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        let day = crate::menu::business_day(at, self.tz, self.day_starts);
        match day.pred_opt() {
            Some(eve) if at < self.start(day) => eve,
            _ => day,
        }
    }

    /// When the business day `at` falls in ends.
    pub fn end_of_day(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.start(self.day_of(at).succ_opt().unwrap_or(NaiveDate::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn hours(json: &str) -> Schedule {
        serde_json::from_str::<Hours>(json).unwrap().check().unwrap()
    }

    fn ny(s: &str) -> DateTime<Utc> {
        New_York.from_local_datetime(&NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()).unwrap().to_utc()
    }

    #[test]
    fn the_next_change_skips_openings_that_meet() {
        let s = hours(
            r#"{"weekly": [{"day": "mon", "open": "11:00", "close": "15:00"}, {"day": "mon", "open": "15:00", "close": "22:00"},
                {"day": "tue", "open": "22:00", "close": "02:00"}], "exceptions": []}"#,
        );
        // Monday 2026-11-02: open at 11, the two openings meet at 15, closed at 22.
        assert_eq!(s.next_change(ny("2026-11-02 09:00"), &New_York), Some((ny("2026-11-02 11:00"), true)));
        assert_eq!(s.next_change(ny("2026-11-02 12:00"), &New_York), Some((ny("2026-11-02 22:00"), false)));
        // Then Tuesday night, past midnight.
        assert_eq!(s.next_change(ny("2026-11-02 22:00"), &New_York), Some((ny("2026-11-03 22:00"), true)));
        assert_eq!(s.next_change(ny("2026-11-03 23:00"), &New_York), Some((ny("2026-11-04 02:00"), false)));
        assert_eq!(hours(r#"{"weekly": [], "exceptions": []}"#).next_change(ny("2026-11-02 09:00"), &New_York), None);
        // The first opening from Tuesday 04:00 is Tuesday night's, though Monday's last
        // is over; from Wednesday 01:00, while open, the next Monday's.
        assert_eq!(s.next_opening_from(ny("2026-11-03 04:00"), &New_York), Some(ny("2026-11-03 22:00")));
        assert_eq!(s.next_opening_from(ny("2026-11-04 01:00"), &New_York), Some(ny("2026-11-09 11:00")));
    }

    #[test]
    fn lunch_and_dinner_with_a_night_past_midnight_and_a_holiday() {
        let s = hours(
            r#"{"weekly": [
                {"day": "fri", "open": "11:30", "close": "14:30"},
                {"day": "fri", "open": "17:00", "close": "01:00"},
                {"day": "sat", "open": "17:00", "close": "23:00"}
            ], "exceptions": [{"date": "2026-12-25", "closed": true}, {"date": "2026-12-26", "open": "12:00", "close": "15:00"}]}"#,
        );
        // Friday 2026-12-04.
        assert!(!s.is_open(ny("2026-12-04 11:00"), &New_York));
        assert_eq!(s.opens_at(ny("2026-12-04 11:00"), &New_York), Some(ny("2026-12-04 11:30")));
        assert!(s.is_open(ny("2026-12-04 12:00"), &New_York));
        assert!(!s.is_open(ny("2026-12-04 15:00"), &New_York));
        assert_eq!(s.opens_at(ny("2026-12-04 15:00"), &New_York), Some(ny("2026-12-04 17:00")));
        // Past midnight into Saturday: still Friday's night.
        assert!(s.is_open(ny("2026-12-05 00:30"), &New_York));
        assert!(!s.is_open(ny("2026-12-05 01:00"), &New_York));
        assert_eq!(s.opens_at(ny("2026-12-05 01:00"), &New_York), Some(ny("2026-12-05 17:00")));
        // Christmas (a Friday) is closed; the 26th (a Saturday) has its own hours.
        assert!(!s.is_open(ny("2026-12-25 12:00"), &New_York));
        assert_eq!(s.opens_at(ny("2026-12-25 12:00"), &New_York), Some(ny("2026-12-26 12:00")));
        assert!(!s.is_open(ny("2026-12-26 18:00"), &New_York));
        // No hours: always open.
        assert!(Schedule::default().is_open(ny("2026-12-25 03:00"), &New_York));
    }

    #[test]
    fn a_time_the_clocks_skip_opens_when_they_land() {
        // 2026-03-08 02:30 does not exist in New York (clocks go 02:00 → 03:00).
        let s = hours(r#"{"weekly": [{"day": "sun", "open": "02:30", "close": "05:00"}]}"#);
        assert_eq!(s.opens_at(ny("2026-03-08 01:00"), &New_York), Some(ny("2026-03-08 03:00")));
        assert!(s.is_open(ny("2026-03-08 03:30"), &New_York));
    }

    #[test]
    fn a_night_past_the_turnover_keeps_its_day() {
        let h: Hours = serde_json::from_str(
            r#"{"weekly": [{"day": "fri", "open": "20:00", "close": "05:00"}, {"day": "sat", "open": "20:00", "close": "02:00"},
                {"day": "sun", "open": "00:00", "close": "23:59"}],
                "exceptions": [{"date": "2026-12-11", "closed": true}]}"#,
        )
        .unwrap();
        let four = NaiveTime::from_hms_opt(4, 0, 0).unwrap();
        let days = BusinessDays::new(New_York, four, Some(&h));
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Friday night 2026-12-04 runs to 05:00: the day turns then, not at 04:00.
        assert_eq!(days.start(date("2026-12-05")), ny("2026-12-05 05:00"));
        assert_eq!(days.day_of(ny("2026-12-05 04:30")), date("2026-12-04"));
        assert_eq!(days.day_of(ny("2026-12-05 05:00")), date("2026-12-05"));
        assert_eq!(days.end_of_day(ny("2026-12-04 22:00")), ny("2026-12-05 05:00"));
        // Saturday's night ends before 04:00: the turnover is the usual one.
        assert_eq!(days.start(date("2026-12-06")), ny("2026-12-06 04:00"));
        assert_eq!(days.day_of(ny("2026-12-06 03:59")), date("2026-12-05"));
        // An opening that starts after midnight (Sunday, 00:00–23:59) does not hold
        // the day: Sunday 10:00 is Sunday.
        assert_eq!(days.day_of(ny("2026-12-06 10:00")), date("2026-12-06"));
        assert_eq!(days.start(date("2026-12-07")), ny("2026-12-07 04:00"));
        // A Friday closed by exception keeps the usual turnover.
        assert_eq!(days.start(date("2026-12-12")), ny("2026-12-12 04:00"));
        assert_eq!(days.day_of(ny("2026-12-12 04:30")), date("2026-12-12"));
        // No hours: the turnover time, as `business_day` says.
        let plain = BusinessDays::new(New_York, four, None);
        assert_eq!(plain.day_of(ny("2026-12-05 04:30")), date("2026-12-05"));
        assert_eq!(plain.end_of_day(ny("2026-12-05 03:00")), ny("2026-12-05 04:00"));
        // Across the spring change (2026-03-08, 02:00 → 03:00) a night to 05:00 still
        // holds the day until its close.
        let spring: Hours =
            serde_json::from_str(r#"{"weekly": [{"day": "sat", "open": "20:00", "close": "05:00"}]}"#).unwrap();
        let days = BusinessDays::new(New_York, NaiveTime::from_hms_opt(2, 30, 0).unwrap(), Some(&spring));
        assert_eq!(days.day_of(ny("2026-03-08 04:00")), date("2026-03-07"));
        assert_eq!(days.start(date("2026-03-08")), ny("2026-03-08 05:00"));
    }

    #[test]
    fn bad_hours_name_their_field() {
        let bad = |json: &str| serde_json::from_str::<Hours>(json).unwrap().check().unwrap_err().0;
        assert_eq!(bad(r#"{"weekly": [{"day": "funday", "open": "10:00", "close": "11:00"}]}"#), "weekly[0].day");
        assert_eq!(bad(r#"{"weekly": [{"day": "mon", "open": "25:00", "close": "11:00"}]}"#), "weekly[0].open");
        assert_eq!(bad(r#"{"weekly": [{"day": "mon", "open": "10:00", "close": "10:00"}]}"#), "weekly[0].close");
        assert_eq!(bad(r#"{"exceptions": [{"date": "2026-01-01"}]}"#), "exceptions[0]");
        assert_eq!(
            bad(
                r#"{"exceptions": [{"date": "2026-01-01", "closed": true}, {"date": "2026-01-01", "open": "10:00", "close": "11:00"}]}"#
            ),
            "exceptions[1]"
        );
    }
}
