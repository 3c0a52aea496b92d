//! Promotions: money off an order, by a code a guest types or on their own (automatic).
//! A promotion takes a share (`percent`) or an amount (`amount`) off the order, or off
//! the lines of given items or categories, or makes units of an item free
//! (`free_item`); it may need a minimum subtotal, hold only on some channels, days and
//! hours (the restaurant's zone), between a start and an end. What it takes off is
//! worked out on what the lines come to, before tax, and never exceeds them.
//!
//! Everything here is pure: the server reads the promotions and counts their uses under
//! the order writer's lock, and asks this module whether each applies and for how much.

use crate::menu::{Channel, Schedule};
use crate::money::Money;
use crate::Invalid;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest code, and the most items or categories one promotion names.
pub const CODE_MAX: usize = 32;
pub const SCOPE_MAX: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `value` per cent (1 to 100) off.
    Percent,
    /// `value` minor units off.
    Amount,
    /// `value` units (1 or more) of the cheapest of `item_ids` in the order free.
    FreeItem,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Percent => "percent",
            Kind::Amount => "amount",
            Kind::FreeItem => "free_item",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Percent, Kind::Amount, Kind::FreeItem].into_iter().find(|k| k.as_str() == s)
    }
}

/// A promotion's rules, as stored.
#[derive(Debug, Clone)]
pub struct Rule {
    pub kind: Kind,
    pub value: i64,
    /// Off these items' lines only (for `free_item`: the items that may be free).
    pub item_ids: Vec<Uuid>,
    /// Off the lines of items in these categories only.
    pub category_ids: Vec<Uuid>,
    pub min_subtotal: Option<i64>,
    /// None: every channel.
    pub channels: Option<Vec<Channel>>,
    /// Days and hours (restaurant's zone); no windows: any time.
    pub schedule: Schedule,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// A code as guests type it: trimmed, upper case, letters, digits, `-` and `_`.
pub fn normalise_code(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_uppercase();
    if code.is_empty() || code.chars().count() > CODE_MAX {
        return Err(Invalid::new("code", format!("a code is 1 to {CODE_MAX} characters")));
    }
    if !code.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        return Err(Invalid::new("code", "a code is letters, digits, '-' and '_'"));
    }
    Ok(code)
}

impl Rule {
    /// The rules a promotion must keep to be saved.
    pub fn validate(&self) -> Result<(), Invalid> {
        match self.kind {
            Kind::Percent if !(1..=100).contains(&self.value) => {
                return Err(Invalid::new("value", "a percent promotion takes 1 to 100 (per cent) off"));
            }
            Kind::Amount => {
                crate::money::amount("value", self.value, 1)?;
            }
            Kind::FreeItem => {
                if !(1..=99).contains(&self.value) {
                    return Err(Invalid::new("value", "a free item promotion gives 1 to 99 units"));
                }
                if self.item_ids.is_empty() {
                    return Err(Invalid::new("item_ids", "a free item promotion names the items that may be free"));
                }
            }
            Kind::Percent => {}
        }
        if self.item_ids.len() > SCOPE_MAX || self.category_ids.len() > SCOPE_MAX {
            return Err(Invalid::new("item_ids", format!("at most {SCOPE_MAX} items and {SCOPE_MAX} categories")));
        }
        if let Some(m) = self.min_subtotal {
            crate::money::amount("min_subtotal", m, 0)?;
        }
        if self.channels.as_ref().is_some_and(Vec::is_empty) {
            return Err(Invalid::new("channels", "name at least one channel, or leave channels out for all"));
        }
        self.schedule.validate()?;
        if let (Some(s), Some(e)) = (self.starts_at, self.ends_at) {
            if e <= s {
                return Err(Invalid::new("ends_at", "a promotion ends after it starts"));
            }
        }
        Ok(())
    }

    /// Whether the promotion holds for an order on `channel` at `now` (local time in
    /// `tz`), or why not, in words for the guest.
    pub fn holds(&self, channel: Channel, now: DateTime<Utc>, tz: Tz) -> Result<(), String> {
        if self.starts_at.is_some_and(|s| now < s) {
            let s = self.starts_at.unwrap_or(now).with_timezone(&tz);
            return Err(format!("this code starts on {}", s.format("%Y-%m-%d at %H:%M")));
        }
        if self.ends_at.is_some_and(|e| now >= e) {
            return Err("expired".to_owned());
        }
        if let Some(cs) = &self.channels {
            if !cs.contains(&channel) {
                let names: Vec<&str> = cs.iter().map(|c| c.as_str()).collect();
                return Err(format!("this code is for {} orders only", names.join(", ")));
            }
        }
        if !self.schedule.is_open(now.with_timezone(&tz).naive_local()) {
            let when: Vec<String> = self
                .schedule
                .windows
                .iter()
                .map(|w| {
                    let days: Vec<String> = w.days.iter().map(|d| d.to_string()).collect();
                    format!("{} {}–{}", days.join(", "), w.start.format("%H:%M"), w.end.format("%H:%M"))
                })
                .collect();
            return Err(format!("this code holds only {}", when.join("; ")));
        }
        Ok(())
    }

    fn covers(&self, line: &Line) -> bool {
        let scoped = !self.item_ids.is_empty() || !self.category_ids.is_empty();
        !scoped || self.item_ids.contains(&line.item_id) || self.category_ids.contains(&line.category_id)
    }

    /// What the promotion takes off `lines` (what they come to before any discount), and
    /// the indexes of the lines it came from; or why it does not apply.
    pub fn discount(&self, lines: &[Line]) -> Result<Applied, String> {
        let subtotal: i64 = lines.iter().map(|l| l.total).sum();
        if let Some(min) = self.min_subtotal.filter(|m| subtotal < *m) {
            return Err(format!("this code needs a subtotal of {}", Money(min)));
        }
        let covered: Vec<usize> = (0..lines.len()).filter(|i| self.covers(&lines[*i])).collect();
        if covered.is_empty() {
            return Err("none of the items this code is for are in the order".to_owned());
        }
        let base: i64 = covered.iter().map(|i| lines[*i].total).sum();
        let (amount, from) = match self.kind {
            Kind::Percent => {
                (crate::money::div_half_up(i128::from(base) * i128::from(self.value), 100) as i64, covered)
            }
            Kind::Amount => (self.value.min(base), covered),
            Kind::FreeItem => {
                // The cheapest units go free first: what a guest expects of "one free".
                let mut units: Vec<(i64, usize)> = covered
                    .iter()
                    .flat_map(|i| std::iter::repeat_n((lines[*i].unit_price, *i), lines[*i].quantity.max(0) as usize))
                    .collect();
                units.sort();
                let free: Vec<(i64, usize)> = units.into_iter().take(self.value as usize).collect();
                let mut from: Vec<usize> = free.iter().map(|(_, i)| *i).collect();
                from.dedup();
                (free.iter().map(|(p, _)| *p).sum(), from)
            }
        };
        Ok(Applied { amount: amount.clamp(0, base.max(0)), lines: from })
    }
}

/// One line of an order, as a promotion sees it.
#[derive(Debug, Clone)]
pub struct Line {
    pub item_id: Uuid,
    pub category_id: Uuid,
    /// One unit with its options.
    pub unit_price: i64,
    pub quantity: i64,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub amount: i64,
    pub lines: Vec<usize>,
}

/// A promotion as an order used it: what it took off, and the order lines it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Used {
    pub promotion_id: Uuid,
    pub name: String,
    pub code: Option<String>,
    pub kind: Kind,
    pub amount: i64,
    pub line_ids: Vec<Uuid>,
}

/// A promotion that applies, as the stacking rule weighs it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub amount: i64,
    /// Combines with other stackable promotions; one that does not stack stands alone.
    pub stackable: bool,
    /// The code the guest gave (it must be among those chosen).
    pub coded: bool,
}

/// Which of the promotions that apply an order gets (indexes into `cands`): the code the
/// guest gave always; with it, the automatic ones that stack, if it stacks. With no code,
/// whichever is worth more to the guest: the best one that does not stack alone, or all
/// those that stack together.
pub fn choose(cands: &[Candidate]) -> Vec<usize> {
    if let Some(code) = cands.iter().position(|c| c.coded) {
        if !cands[code].stackable {
            return vec![code];
        }
        return (0..cands.len()).filter(|i| *i == code || (cands[*i].stackable && !cands[*i].coded)).collect();
    }
    let stacked: Vec<usize> = (0..cands.len()).filter(|i| cands[*i].stackable).collect();
    let stacked_value: i64 = stacked.iter().map(|i| cands[*i].amount).sum();
    let alone = (0..cands.len()).filter(|i| !cands[*i].stackable).max_by_key(|i| (cands[*i].amount, usize::MAX - i));
    match alone {
        Some(i) if cands[i].amount > stacked_value => vec![i],
        _ => stacked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rule(kind: Kind, value: i64) -> Rule {
        Rule {
            kind,
            value,
            item_ids: vec![],
            category_ids: vec![],
            min_subtotal: None,
            channels: None,
            schedule: Schedule::default(),
            starts_at: None,
            ends_at: None,
        }
    }

    fn line(item: u128, unit: i64, qty: i64) -> Line {
        Line {
            item_id: Uuid::from_u128(item),
            category_id: Uuid::from_u128(100),
            unit_price: unit,
            quantity: qty,
            total: unit * qty,
        }
    }

    #[test]
    fn percent_and_amount_come_off_what_the_lines_come_to() {
        let lines = [line(1, 1250, 2), line(2, 333, 1)];
        assert_eq!(rule(Kind::Percent, 10).discount(&lines).unwrap(), Applied { amount: 283, lines: vec![0, 1] });
        assert_eq!(rule(Kind::Amount, 500).discount(&lines).unwrap().amount, 500);
        // Never more than the lines it is off.
        assert_eq!(rule(Kind::Amount, 99_999).discount(&lines).unwrap().amount, 2833);
        let mut only = rule(Kind::Percent, 50);
        only.item_ids = vec![Uuid::from_u128(2)];
        assert_eq!(only.discount(&lines).unwrap(), Applied { amount: 167, lines: vec![1] });
    }

    #[test]
    fn a_free_item_is_the_cheapest_unit_of_those_named() {
        let mut r = rule(Kind::FreeItem, 1);
        r.item_ids = vec![Uuid::from_u128(1), Uuid::from_u128(2)];
        let lines = [line(1, 900, 2), line(2, 450, 1), line(3, 100, 5)];
        assert_eq!(r.discount(&lines).unwrap(), Applied { amount: 450, lines: vec![1] });
        r.value = 2;
        assert_eq!(r.discount(&lines).unwrap().amount, 1350);
        assert!(r.discount(&[line(3, 100, 1)]).unwrap_err().contains("none of the items"));
    }

    #[test]
    fn refusals_say_why() {
        let mut r = rule(Kind::Amount, 500);
        r.min_subtotal = Some(2500);
        assert_eq!(r.discount(&[line(1, 1000, 2)]).unwrap_err(), "this code needs a subtotal of 25.00");
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 18, 0, 0).unwrap();
        r.ends_at = Some(now);
        assert_eq!(r.holds(Channel::Web, now, chrono_tz::UTC).unwrap_err(), "expired");
        r.ends_at = None;
        r.channels = Some(vec![Channel::Qr]);
        assert_eq!(r.holds(Channel::Web, now, chrono_tz::UTC).unwrap_err(), "this code is for qr orders only");
        r.channels = None;
        r.schedule = serde_json::from_value(
            serde_json::json!({"windows": [{"days": ["Mon"], "start": "11:00", "end": "14:00"}]}),
        )
        .unwrap();
        // 2026-12-05 is a Saturday.
        assert!(r.holds(Channel::Web, now, chrono_tz::UTC).unwrap_err().contains("Mon 11:00–14:00"));
    }

    #[test]
    fn stacking_keeps_the_code_and_otherwise_the_best_for_the_guest() {
        let c = |amount, stackable, coded| Candidate { amount, stackable, coded };
        assert_eq!(choose(&[c(100, true, false), c(300, false, false), c(150, true, false)]), vec![1]);
        assert_eq!(choose(&[c(200, true, false), c(300, false, false), c(150, true, false)]), vec![0, 2]);
        assert_eq!(choose(&[c(900, false, false), c(100, false, true)]), vec![1]);
        assert_eq!(choose(&[c(900, true, false), c(100, true, true), c(50, false, false)]), vec![0, 1]);
        assert!(choose(&[]).is_empty());
    }

    #[test]
    fn codes_are_upper_case_words() {
        assert_eq!(normalise_code(" summer-10 ").unwrap(), "SUMMER-10");
        assert!(normalise_code("two words").is_err());
        assert!(normalise_code("").is_err());
    }
}
