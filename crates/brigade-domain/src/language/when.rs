//! Times as people say them in a kitchen, read in the restaurant's zone: "until 5" (the
//! next five o'clock), "till 5:30 pm", "for the rest of the night", "until tomorrow",
//! "for 20 minutes", "for an hour", "until further notice".

use super::words::Token;
use crate::menu::local_to_utc;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

/// How long something lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// To the end of the business day.
    EndOfDay,
    At(DateTime<Utc>),
    /// Until someone says otherwise.
    Indefinite,
}

/// Where "now" is, for reading times.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub at: DateTime<Utc>,
    pub tz: Tz,
}

const END_OF_DAY: &[&[&str]] = &[
    &["for", "the", "rest", "of", "the", "night"],
    &["for", "the", "rest", "of", "the", "day"],
    &["for", "the", "rest", "of", "the", "evening"],
    &["for", "the", "rest", "of", "the", "service"],
    &["for", "the", "rest", "of", "the", "shift"],
    &["for", "the", "rest", "of", "tonight"],
    &["for", "the", "rest", "of", "today"],
    &["the", "rest", "of", "the", "night"],
    &["the", "rest", "of", "the", "day"],
    &["rest", "of", "the", "night"],
    &["rest", "of", "the", "day"],
    &["rest", "of", "night"],
    &["rest", "of", "day"],
    &["until", "the", "end", "of", "the", "day"],
    &["until", "the", "end", "of", "the", "night"],
    &["till", "the", "end", "of", "the", "day"],
    &["until", "end", "of", "day"],
    &["till", "end", "of", "day"],
    &["until", "tomorrow"],
    &["till", "tomorrow"],
    &["til", "tomorrow"],
    &["until", "close"],
    &["until", "closing"],
    &["till", "close"],
    &["till", "closing"],
    &["til", "close"],
    &["end", "of", "day"],
    &["end", "of", "the", "day"],
    &["for", "tonight"],
    &["for", "today"],
    &["tonight"],
    &["today"],
];

const INDEFINITE: &[&[&str]] = &[
    &["until", "further", "notice"],
    &["till", "further", "notice"],
    &["indefinitely"],
    &["for", "good"],
    &["until", "i", "say", "so"],
];

/// Finds `phrase` in `tokens` as words; its start.
pub fn find(tokens: &[Token], phrase: &[&str]) -> Option<usize> {
    if phrase.is_empty() || tokens.len() < phrase.len() {
        return None;
    }
    (0..=tokens.len() - phrase.len()).find(|&i| phrase.iter().enumerate().all(|(k, w)| tokens[i + k].is(w)))
}

/// Removes and returns how long, if the words say: `markers` are the words that may
/// lead a clock time ("until", "till"; "by" for a task's due time).
pub fn take_until(tokens: &mut Vec<Token>, now: Now, markers: &[&str]) -> Option<Until> {
    for p in INDEFINITE {
        if let Some(i) = find(tokens, p) {
            tokens.drain(i..i + p.len());
            return Some(Until::Indefinite);
        }
    }
    for p in END_OF_DAY {
        if let Some(i) = find(tokens, p) {
            tokens.drain(i..i + p.len());
            return Some(Until::EndOfDay);
        }
    }
    // "for 20 minutes", "for an hour", "for half an hour", "for two hours"
    for i in 0..tokens.len() {
        if !tokens[i].is("for") {
            continue;
        }
        let mut j = i + 1;
        let amount = match tokens.get(j) {
            Some(Token::Number(n)) => *n,
            Some(t) if t.is("an") || t.is("a") => 1.0,
            _ => continue,
        };
        j += 1;
        if amount == 0.5 && tokens.get(j).is_some_and(|t| t.is("an") || t.is("a")) {
            j += 1;
        }
        let unit = match tokens.get(j).and_then(Token::word) {
            Some("minute" | "minutes" | "min" | "mins") => 1.0,
            Some("hour" | "hours" | "hr" | "hrs") => 60.0,
            _ => continue,
        };
        let mut end = j + 1;
        let mut amount = amount;
        // "an hour and a half"
        if find(&tokens[end..], &["and", "a", "half"]) == Some(0) {
            amount += 0.5;
            end += 3;
        }
        let minutes = amount * unit;
        tokens.drain(i..end);
        return Some(Until::At(now.at + Duration::seconds((minutes * 60.0).round() as i64)));
    }
    for i in 0..tokens.len() {
        if !tokens[i].word().is_some_and(|w| markers.contains(&w)) {
            continue;
        }
        if let Some((t, len)) = clock_time(&tokens[i + 1..]) {
            tokens.drain(i..i + 1 + len);
            return Some(Until::At(next_at(now, t)));
        }
    }
    None
}

/// A clock time at the start of `tokens`, and how many tokens it took.
/// Hours, minutes, and whether it is pm (`None`: not said, either).
type ClockTime = (u32, u32, Option<bool>);

fn clock_time(tokens: &[Token]) -> Option<(ClockTime, usize)> {
    let word = |k: usize| tokens.get(k).and_then(Token::word);
    if word(0) == Some("noon") || word(0) == Some("midday") {
        return Some(((12, 0, Some(true)), 1));
    }
    if word(0) == Some("midnight") {
        return Some(((0, 0, Some(false)), 1));
    }
    let (mut h, mut m, mut used) = match tokens.first() {
        Some(Token::Number(n)) if *n >= 0.0 && *n < 24.0 && n.fract() == 0.0 => (*n as u32, 0, 1),
        Some(Token::Word(w)) if w.contains(':') || w.contains('.') => {
            let (a, b) = w.split_once([':', '.'])?;
            (a.parse().ok()?, b.parse().ok()?, 1)
        }
        _ => return None,
    };
    if let Some(Token::Number(n)) = tokens.get(used) {
        // "five thirty", "5 45"
        if n.fract() == 0.0 && (*n as u32) < 60 && *n >= 10.0 {
            m = *n as u32;
            used += 1;
        }
    }
    let mut pm = None;
    match (word(used), word(used + 1)) {
        (Some("pm" | "p.m"), _) => (pm, used) = (Some(true), used + 1),
        (Some("am" | "a.m"), _) => (pm, used) = (Some(false), used + 1),
        (Some("p"), Some("m")) => (pm, used) = (Some(true), used + 2),
        (Some("a"), Some("m")) => (pm, used) = (Some(false), used + 2),
        (Some("o"), Some("clock")) => used += 2,
        (Some("oclock"), _) => used += 1,
        _ => {}
    }
    if h > 23 || m > 59 {
        return None;
    }
    if pm == Some(true) && h < 12 {
        h += 12;
    } else if pm == Some(false) && h == 12 {
        h = 0;
    }
    Some(((h, m, pm.or(if h > 12 || h == 0 { Some(true) } else { None })), used))
}

/// The next time after now that the clock shows `t`: "5" without am or pm is whichever
/// of 5:00 and 17:00 comes first.
fn next_at(now: Now, (h, m, fixed): ClockTime) -> DateTime<Utc> {
    let local = now.at.with_timezone(&now.tz).naive_local();
    let mut hours = vec![h];
    if fixed.is_none() && h <= 12 {
        hours.push((h + 12) % 24);
    }
    let mut best: Option<DateTime<Utc>> = None;
    for day in [local.date(), local.date().succ_opt().unwrap_or(local.date())] {
        for &hh in &hours {
            let Some(time) = NaiveTime::from_hms_opt(hh, m, 0) else { continue };
            let at = local_to_utc(now.tz, day.and_time(time));
            if at > now.at && best.is_none_or(|b| at < b) {
                best = Some(at);
            }
        }
    }
    best.unwrap_or(now.at + Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::super::words::tokens;
    use super::*;

    fn now() -> Now {
        // 14:10 in New York.
        Now { at: "2026-03-02T19:10:00Z".parse().unwrap(), tz: "America/New_York".parse().unwrap() }
    }

    fn until(s: &str) -> (Option<Until>, String) {
        let mut t = tokens(s);
        let u = take_until(&mut t, now(), &["until", "till", "til"]);
        (u, t.iter().map(Token::text).collect::<Vec<_>>().join(" "))
    }

    fn at(s: &str) -> Until {
        Until::At(s.parse().unwrap())
    }

    #[test]
    fn times_are_read_in_the_restaurants_zone() {
        assert_eq!(until("86 salmon until 5"), (Some(at("2026-03-02T22:00:00Z")), "86 salmon".into()));
        assert_eq!(until("86 salmon till 5:30 pm").0, Some(at("2026-03-02T22:30:00Z")));
        assert_eq!(until("86 salmon until 11").0, Some(at("2026-03-03T04:00:00Z")), "11 at night comes first");
        assert_eq!(until("86 salmon until 2").0, Some(at("2026-03-03T07:00:00Z")), "2 pm has passed: 2 am");
        assert_eq!(until("86 salmon until 21:00").0, Some(at("2026-03-03T02:00:00Z")));
        assert_eq!(until("86 salmon until noon").0, Some(at("2026-03-03T17:00:00Z")));
        assert_eq!(until("86 the salmon for the rest of the night"), (Some(Until::EndOfDay), "86 the salmon".into()));
        assert_eq!(until("86 salmon until tomorrow").0, Some(Until::EndOfDay));
        assert_eq!(until("86 salmon for 20 minutes").0, Some(at("2026-03-02T19:30:00Z")));
        assert_eq!(until("86 salmon for an hour").0, Some(at("2026-03-02T20:10:00Z")));
        assert_eq!(until("86 salmon for half an hour").0, Some(at("2026-03-02T19:40:00Z")));
        assert_eq!(until("86 salmon until further notice").0, Some(Until::Indefinite));
        assert_eq!(until("86 the salmon").0, None);
    }
}
