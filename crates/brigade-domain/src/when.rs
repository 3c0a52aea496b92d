//! Dates and times from outside, bounded at the edge.
//!
//! chrono takes years from -262143 to +262142 and a leap second (`23:59:60`), and a
//! restaurant's arithmetic on such values (a week on, a day back) overflows or names a
//! moment that does not exist. Every date, instant and wall-clock time a request carries
//! is read through one of these (`#[serde(deserialize_with = …)]`): years 1970 to 2199,
//! no leap seconds. Past the edge, arithmetic on them cannot overflow.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Deserializer};

pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 2199;

fn year_in_range(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

fn out_of_range<E: serde::de::Error>(what: &str) -> E {
    E::custom(format!("{what} must be between the years {FIRST_YEAR} and {LAST_YEAR}"))
}

/// Whether a date is one Brigade takes.
pub fn date_ok(d: NaiveDate) -> bool {
    year_in_range(d.year())
}

/// Whether an instant is one Brigade takes.
pub fn instant_ok(t: DateTime<Utc>) -> bool {
    year_in_range(t.year())
}

/// Whether a wall-clock time exists (no leap second).
pub fn time_ok(t: NaiveTime) -> bool {
    t.nanosecond() < 1_000_000_000
}

/// A `YYYY-MM-DD` date within the years Brigade takes.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let v = NaiveDate::deserialize(d)?;
    if date_ok(v) {
        Ok(v)
    } else {
        Err(out_of_range("a date"))
    }
}

pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<NaiveDate>::deserialize(d)? {
        Some(v) if !date_ok(v) => Err(out_of_range("a date")),
        v => Ok(v),
    }
}

/// An RFC 3339 instant within the years Brigade takes.
pub fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let v = DateTime::<Utc>::deserialize(d)?;
    if instant_ok(v) {
        Ok(v)
    } else {
        Err(out_of_range("a time"))
    }
}

pub fn opt_instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<DateTime<Utc>>::deserialize(d)? {
        Some(v) if !instant_ok(v) => Err(out_of_range("a time")),
        v => Ok(v),
    }
}

/// An `HH:MM[:SS]` wall-clock time that exists (`23:59:60` does not, on a restaurant's clock).
pub fn wall_time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let v = NaiveTime::deserialize(d)?;
    if time_ok(v) {
        Ok(v)
    } else {
        Err(serde::de::Error::custom("a time of day runs from 00:00:00 to 23:59:59"))
    }
}

pub fn opt_wall_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
    match Option::<NaiveTime>::deserialize(d)? {
        Some(v) if !time_ok(v) => Err(serde::de::Error::custom("a time of day runs from 00:00:00 to 23:59:59")),
        v => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Input {
        #[serde(default, deserialize_with = "opt_date")]
        day: Option<NaiveDate>,
        #[serde(default, deserialize_with = "opt_instant")]
        at: Option<DateTime<Utc>>,
        #[serde(default, deserialize_with = "opt_wall_time")]
        due: Option<NaiveTime>,
    }

    fn read(json: &str) -> Result<Input, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn extremes_and_leap_seconds_are_refused() {
        assert!(read(r#"{"day": "-262143-01-01"}"#).is_err());
        assert!(read(r#"{"day": "+262142-12-31"}"#).is_err());
        assert!(read(r#"{"day": "1969-12-31"}"#).is_err());
        assert!(read(r#"{"at": "-262143-01-01T00:00:00Z"}"#).is_err());
        assert!(read(r#"{"at": "2200-01-01T00:00:00Z"}"#).is_err());
        assert!(read(r#"{"due": "23:59:60"}"#).is_err());
        let ok = read(r#"{"day": "2026-12-01", "at": "2199-12-31T23:59:59Z", "due": "23:59:59"}"#).unwrap();
        assert!(ok.day.is_some() && ok.at.is_some() && ok.due.is_some());
        assert!(read(r#"{"day": null}"#).unwrap().day.is_none());
        assert!(read("{}").unwrap().day.is_none());
    }

    proptest! {
        // Whatever date gets in, a restaurant's arithmetic on it (weeks on and back,
        // a day either side) cannot overflow.
        #[test]
        fn a_date_that_gets_in_survives_the_arithmetic(y in -262_143i32..=262_142, o in 1u32..=366) {
            if let Some(d) = NaiveDate::from_yo_opt(y, o) {
                let json = format!(r#"{{"day": "{}"}}"#, d.format("%Y-%m-%d"));
                if let Ok(Input { day: Some(d), .. }) = read(&json) {
                    prop_assert!(d.checked_add_signed(chrono::Duration::weeks(60)).is_some());
                    prop_assert!(d.checked_sub_signed(chrono::Duration::weeks(60)).is_some());
                    prop_assert!(date_ok(d));
                }
            }
        }
    }
}
