//! Labour arithmetic, with no I/O: how worked time splits into regular, overtime and
//! double time under a restaurant's rules, in its time zone.
//!
//! Worked time is cut at local midnight (a shift from 22:00 to 02:00 is two hours on
//! each day) and measured between real instants, so the night the clocks change counts
//! the hours people really worked (a 22:00–06:00 shift is 7 hours in spring, 9 in
//! autumn). Daily rules apply first (over `daily_overtime` is overtime, over
//! `daily_double` is double time); the weekly threshold then turns the week's remaining
//! regular hours beyond it into overtime, in the order they were worked.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A restaurant's overtime rules, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OvertimeRules {
    /// Regular minutes a week before overtime (40 h by default).
    pub weekly: i64,
    /// Regular minutes a day before overtime, if the law has a daily rule (e.g. 8 h).
    pub daily: Option<i64>,
    /// Minutes a day after which time is double (e.g. 12 h).
    pub daily_double: Option<i64>,
    /// The day a pay week starts.
    pub week_starts: Weekday,
}

impl Default for OvertimeRules {
    fn default() -> Self {
        OvertimeRules { weekly: 40 * 60, daily: None, daily_double: None, week_starts: Weekday::Mon }
    }
}

/// One stretch of work: from clock-in to clock-out, less unpaid breaks inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worked {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Unpaid breaks (start, end), inside the stretch.
    pub unpaid: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Minutes by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub regular: i64,
    pub overtime: i64,
    pub double: i64,
}

impl Split {
    pub fn total(&self) -> i64 {
        self.regular + self.overtime + self.double
    }

    fn add(&mut self, o: Split) {
        self.regular += o.regular;
        self.overtime += o.overtime;
        self.double += o.double;
    }
}

/// The first instant of a local date (at or after local midnight, across DST gaps).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    crate::menu::local_to_utc(tz, date.and_time(NaiveTime::MIN))
}

/// Seconds worked per local day: each stretch cut at local midnights, breaks removed.
/// Counted in milliseconds and rounded to the second once per day, so a period bound
/// more precise than the stored clock times does not cost a second (and a minute).
pub fn seconds_by_day(worked: &[Worked], tz: Tz) -> BTreeMap<NaiveDate, i64> {
    let mut days: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for w in worked {
        if w.end <= w.start {
            continue;
        }
        // Cut points: every local midnight inside the stretch.
        let mut pieces = Vec::new();
        let mut from = w.start;
        loop {
            let day = from.with_timezone(&tz).date_naive();
            let next = day.succ_opt().map(|d| local_midnight(tz, d)).unwrap_or(w.end);
            let to = next.min(w.end);
            pieces.push((day, from, to));
            if to >= w.end {
                break;
            }
            from = to;
        }
        for (day, a, b) in pieces {
            let mut ms = (b - a).num_milliseconds();
            for (bs, be) in &w.unpaid {
                let (s, e) = ((*bs).max(a), (*be).min(b));
                if e > s {
                    ms -= (e - s).num_milliseconds();
                }
            }
            *days.entry(day).or_default() += ms.max(0);
        }
    }
    days.values_mut().for_each(|ms| *ms = (*ms + 500) / 1000);
    days
}

/// The pay week a local date belongs to, named by its first day.
pub fn week_of(date: NaiveDate, starts: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() as i64 - starts.num_days_from_monday() as i64) % 7;
    date - Duration::days(back)
}

/// Splits worked time into regular, overtime and double time, per week, under `rules`.
/// Returns the total and, per local day, the split (for timesheets).
pub fn classify(worked: &[Worked], tz: Tz, rules: &OvertimeRules) -> (Split, BTreeMap<NaiveDate, Split>) {
    let days = seconds_by_day(worked, tz);
    let mut per_day: BTreeMap<NaiveDate, Split> = BTreeMap::new();
    let mut week_regular: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    // Whole minutes are counted on the running total, not day by day: a shift from
    // 23:30:30 to 03:30:30 is 240 minutes, not 29 + 210 once each day drops its seconds.
    let mut seconds_so_far = 0;
    for (day, secs) in days {
        let minutes = (seconds_so_far + secs) / 60 - seconds_so_far / 60;
        seconds_so_far += secs;
        let double_from = rules.daily_double.unwrap_or(i64::MAX);
        let ot_from = rules.daily.unwrap_or(i64::MAX).min(double_from);
        let mut s = Split {
            regular: minutes.min(ot_from),
            overtime: (minutes.min(double_from) - ot_from).max(0),
            double: (minutes - double_from).max(0),
        };
        // Weekly: regular minutes beyond the weekly threshold become overtime.
        let week = week_regular.entry(week_of(day, rules.week_starts)).or_default();
        let room = (rules.weekly - *week).max(0);
        if s.regular > room {
            s.overtime += s.regular - room;
            s.regular = room;
        }
        *week += s.regular;
        per_day.insert(day, s);
    }
    let mut total = Split::default();
    for s in per_day.values() {
        total.add(*s);
    }
    (total, per_day)
}

/// Pay for a split at an hourly rate (minor units), overtime at 1.5× and double at 2×,
/// rounded half-up to the minor unit.
pub fn pay(split: &Split, hourly_rate: i64) -> i64 {
    // In tenths of a minute-rate to keep 1.5× exact: rate/60 per minute.
    let weighted = split.regular * 2 + split.overtime * 3 + split.double * 4; // halves
    crate::money::div_half_up(i128::from(weighted) * i128::from(hourly_rate), 120) as i64
}

/// A planned shift, for checking a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub id: uuid::Uuid,
    pub person: uuid::Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What is wrong with a schedule, per shift: a person booked twice at once, or given
/// less than `min_rest` between two shifts.
pub fn conflicts(shifts: &[Planned], min_rest: Duration) -> BTreeMap<uuid::Uuid, Vec<String>> {
    let mut out: BTreeMap<uuid::Uuid, Vec<String>> = BTreeMap::new();
    let mut by_person: BTreeMap<uuid::Uuid, Vec<&Planned>> = BTreeMap::new();
    for s in shifts {
        by_person.entry(s.person).or_default().push(s);
    }
    for list in by_person.values_mut() {
        list.sort_by_key(|s| (s.start, s.end));
        for (i, a) in list.iter().enumerate() {
            for b in &list[i + 1..] {
                if b.start < a.end {
                    out.entry(a.id).or_default().push("double-booked: overlaps another shift".into());
                    out.entry(b.id).or_default().push("double-booked: overlaps another shift".into());
                } else {
                    let rest = b.start - a.end;
                    if rest < min_rest {
                        let msg = format!(
                            "short rest: {} h {:02} min before the next shift",
                            rest.num_hours(),
                            rest.num_minutes() % 60
                        );
                        out.entry(a.id).or_default().push(msg.clone());
                        out.entry(b.id).or_default().push(msg.replace("before the next", "after the last"));
                    }
                    break;
                }
            }
        }
    }
    for v in out.values_mut() {
        v.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::America::New_York;

    fn ny(date: &str, time: &str) -> DateTime<Utc> {
        let d: NaiveDate = date.parse().unwrap();
        let t: NaiveTime = time.parse().unwrap();
        New_York.from_local_datetime(&d.and_time(t)).earliest().unwrap().with_timezone(&Utc)
    }

    fn w(a: DateTime<Utc>, b: DateTime<Utc>) -> Worked {
        Worked { start: a, end: b, unpaid: vec![] }
    }

    #[test]
    fn a_shift_across_midnight_counts_on_both_days() {
        let days = seconds_by_day(&[w(ny("2026-06-05", "22:00:00"), ny("2026-06-06", "02:30:00"))], New_York);
        assert_eq!(days.get(&"2026-06-05".parse().unwrap()), Some(&(2 * 3600)));
        assert_eq!(days.get(&"2026-06-06".parse().unwrap()), Some(&(150 * 60)));
    }

    #[test]
    fn the_nights_the_clocks_change_count_real_hours() {
        // 2026-03-08: 02:00 becomes 03:00 in New York. 22:00 → 06:00 is 7 real hours.
        let spring = seconds_by_day(&[w(ny("2026-03-07", "22:00:00"), ny("2026-03-08", "06:00:00"))], New_York);
        assert_eq!(spring.values().sum::<i64>(), 7 * 3600);
        assert_eq!(spring.get(&"2026-03-08".parse().unwrap()), Some(&(5 * 3600)));
        // 2026-11-01: 02:00 happens twice. 22:00 → 06:00 is 9 real hours.
        let autumn = seconds_by_day(&[w(ny("2026-10-31", "22:00:00"), ny("2026-11-01", "06:00:00"))], New_York);
        assert_eq!(autumn.values().sum::<i64>(), 9 * 3600);
        assert_eq!(autumn.get(&"2026-11-01".parse().unwrap()), Some(&(7 * 3600)));
    }

    #[test]
    fn unpaid_breaks_come_off_the_day_they_fall_in() {
        let start = ny("2026-06-05", "20:00:00");
        let shift = Worked {
            start,
            end: ny("2026-06-06", "04:00:00"),
            unpaid: vec![(ny("2026-06-05", "23:45:00"), ny("2026-06-06", "00:15:00"))],
        };
        let days = seconds_by_day(&[shift], New_York);
        assert_eq!(days.get(&"2026-06-05".parse().unwrap()), Some(&(3 * 3600 + 45 * 60)));
        assert_eq!(days.get(&"2026-06-06".parse().unwrap()), Some(&(3 * 3600 + 45 * 60)));
    }

    #[test]
    fn a_shift_across_midnight_loses_no_minute_to_seconds() {
        let night = w(ny("2026-12-04", "23:30:30"), ny("2026-12-05", "03:30:30"));
        let (total, days) = classify(&[night], New_York, &OvertimeRules::default());
        assert_eq!(total.regular, 240);
        assert_eq!(days.values().map(|d| d.regular).sum::<i64>(), 240);
        // A period starting a fraction of a millisecond after the stored clock-in.
        let start = ny("2026-12-04", "23:30:30") + Duration::microseconds(400);
        let (total, _) = classify(&[w(start, ny("2026-12-05", "03:30:30"))], New_York, &OvertimeRules::default());
        assert_eq!(total.regular, 240);
    }

    #[test]
    fn weekly_overtime_starts_after_forty_regular_hours() {
        // Five 9-hour days, Monday to Friday: 45 hours, 5 of them overtime (on Friday).
        let week: Vec<Worked> = (1..=5)
            .map(|d| {
                let date = format!("2026-06-0{d}");
                w(ny(&date, "09:00:00"), ny(&date, "18:00:00"))
            })
            .collect();
        let (total, days) = classify(&week, New_York, &OvertimeRules::default());
        assert_eq!(total, Split { regular: 40 * 60, overtime: 5 * 60, double: 0 });
        assert_eq!(days.get(&"2026-06-05".parse().unwrap()).unwrap().overtime, 5 * 60);
        // A new week starts on Monday: the next Monday is regular again.
        let mut two = week.clone();
        two.push(w(ny("2026-06-08", "09:00:00"), ny("2026-06-08", "17:00:00")));
        assert_eq!(classify(&two, New_York, &OvertimeRules::default()).0.regular, 48 * 60);
    }

    #[test]
    fn daily_rules_make_overtime_and_double_time() {
        let rules = OvertimeRules { daily: Some(8 * 60), daily_double: Some(12 * 60), ..OvertimeRules::default() };
        let (total, _) = classify(&[w(ny("2026-06-01", "08:00:00"), ny("2026-06-01", "22:00:00"))], New_York, &rules);
        assert_eq!(total, Split { regular: 8 * 60, overtime: 4 * 60, double: 2 * 60 });
        // Daily overtime is not counted again toward the weekly threshold.
        let week: Vec<Worked> = (1..=5)
            .map(|d| {
                let date = format!("2026-06-0{d}");
                w(ny(&date, "08:00:00"), ny(&date, "18:00:00"))
            })
            .collect();
        let (total, _) = classify(&week, New_York, &rules);
        assert_eq!(total, Split { regular: 40 * 60, overtime: 10 * 60, double: 0 });
    }

    #[test]
    fn pay_weights_overtime_and_double_time() {
        // 40 h at 18.00, 5 h at 27.00, 1 h at 36.00.
        let s = Split { regular: 40 * 60, overtime: 5 * 60, double: 60 };
        assert_eq!(pay(&s, 1800), 40 * 1800 + 5 * 2700 + 3600);
        // 7 minutes at 15.00/h is 1.75.
        assert_eq!(pay(&Split { regular: 7, overtime: 0, double: 0 }, 1500), 175);
    }

    #[test]
    fn schedules_flag_double_booking_and_short_rest() {
        let (p, q) = (uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2));
        let shift = |id: u128, person, a: DateTime<Utc>, b: DateTime<Utc>| Planned {
            id: uuid::Uuid::from_u128(id),
            person,
            start: a,
            end: b,
        };
        let shifts = vec![
            shift(10, p, ny("2026-06-01", "09:00:00"), ny("2026-06-01", "17:00:00")),
            shift(11, p, ny("2026-06-01", "16:00:00"), ny("2026-06-01", "22:00:00")),
            shift(12, p, ny("2026-06-02", "04:00:00"), ny("2026-06-02", "10:00:00")),
            shift(20, q, ny("2026-06-01", "16:00:00"), ny("2026-06-01", "23:00:00")),
            shift(21, q, ny("2026-06-02", "09:00:00"), ny("2026-06-02", "17:00:00")),
        ];
        let c = conflicts(&shifts, Duration::hours(8));
        assert!(c[&uuid::Uuid::from_u128(10)][0].starts_with("double-booked"));
        assert!(c[&uuid::Uuid::from_u128(11)].iter().any(|m| m.starts_with("double-booked")));
        assert!(c[&uuid::Uuid::from_u128(11)].iter().any(|m| m.starts_with("short rest: 6 h 00")), "{c:?}");
        assert!(c[&uuid::Uuid::from_u128(12)][0].starts_with("short rest"));
        assert!(!c.contains_key(&uuid::Uuid::from_u128(20)), "10 hours of rest is enough");
        assert!(!c.contains_key(&uuid::Uuid::from_u128(21)));
    }

    #[test]
    fn weeks_start_on_the_configured_day() {
        let sun: NaiveDate = "2026-06-07".parse().unwrap();
        assert_eq!(week_of(sun, Weekday::Mon), "2026-06-01".parse::<NaiveDate>().unwrap());
        assert_eq!(week_of(sun, Weekday::Sun), sun);
    }
}
