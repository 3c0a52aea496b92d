//! The menu's rules: which channel sells what, when, for how much, with which choices.
//!
//! Availability is one rule for every channel (DESIGN.md): an item can be ordered when it
//! is active, not 86'd (or its 86 has expired), inside one of its weekly windows in the
//! restaurant's time zone, and enabled on that channel. `is_orderable` answers it for
//! the public menu, order validation, the delivery apps and the phone agent alike.

use crate::money::Money;
use crate::Invalid;
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Where an order comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WalkIn,
    Qr,
    Phone,
    Web,
    Voice,
    Doordash,
    Ubereats,
    Grubhub,
    Pos,
}

impl Channel {
    pub const ALL: [Channel; 9] = [
        Channel::WalkIn,
        Channel::Qr,
        Channel::Phone,
        Channel::Web,
        Channel::Voice,
        Channel::Doordash,
        Channel::Ubereats,
        Channel::Grubhub,
        Channel::Pos,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WalkIn => "walk_in",
            Channel::Qr => "qr",
            Channel::Phone => "phone",
            Channel::Web => "web",
            Channel::Voice => "voice",
            Channel::Doordash => "doordash",
            Channel::Ubereats => "ubereats",
            Channel::Grubhub => "grubhub",
            Channel::Pos => "pos",
        }
    }

    /// A delivery platform, whose guests have paid the platform by the time the order
    /// arrives.
    pub fn is_delivery_platform(self) -> bool {
        matches!(self, Channel::Doordash | Channel::Ubereats | Channel::Grubhub)
    }

    /// Whether orders on it wait for opening hours: guests' own (QR, web) and the
    /// delivery platforms'. The counter, walk-ins and the phone are the staff's call (the
    /// phone agent says the restaurant is closed itself).
    pub fn keeps_hours(self) -> bool {
        matches!(self, Channel::Qr | Channel::Web) || self.is_delivery_platform()
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Channel {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
            Invalid::new("channel", format!("'{s}' is not a channel; use one of {}", names.join(", ")))
        })
    }
}

/// One weekly window: on `days`, from `start` until `end` local time. An `end` at or
/// before `start` runs past midnight into the next day (a late bar menu, 22:00–02:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub days: Vec<Weekday>,
    #[serde(deserialize_with = "crate::when::wall_time")]
    pub start: NaiveTime,
    #[serde(deserialize_with = "crate::when::wall_time")]
    pub end: NaiveTime,
}

/// When an item is sold. No windows: always.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(default)]
    pub windows: Vec<Window>,
}

impl Schedule {
    pub fn validate(&self) -> Result<(), Invalid> {
        for (i, w) in self.windows.iter().enumerate() {
            if w.days.is_empty() {
                return Err(Invalid::new("schedule", format!("window {} names no days", i + 1)));
            }
            if w.start == w.end {
                return Err(Invalid::new("schedule", format!("window {} starts and ends at the same time", i + 1)));
            }
        }
        Ok(())
    }

    /// Whether the local wall-clock time `local` (on its weekday) is inside a window.
    pub fn is_open(&self, local: chrono::NaiveDateTime) -> bool {
        if self.windows.is_empty() {
            return true;
        }
        let day = local.weekday();
        let yesterday = day.pred();
        let t = local.time();
        self.windows.iter().any(|w| {
            if w.start < w.end {
                w.days.contains(&day) && w.start <= t && t < w.end
            } else {
                (w.days.contains(&day) && t >= w.start) || (w.days.contains(&yesterday) && t < w.end)
            }
        })
    }
}

/// An 86: the item is off, for a reason, until a time (or until someone brings it back),
/// on every channel or only some.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EightySix {
    pub reason: String,
    #[serde(default, deserialize_with = "crate::when::opt_instant")]
    pub until: Option<DateTime<Utc>>,
    /// `None`: every channel.
    pub channels: Option<Vec<Channel>>,
    /// Made by the stock count (an ingredient ran out), not by a person; it lifts itself
    /// when stock comes back. A person's 86 is never touched by stock.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto: bool,
}

impl EightySix {
    pub fn applies(&self, channel: Channel, at: DateTime<Utc>) -> bool {
        let live = self.until.is_none_or(|u| at < u);
        live && self.channels.as_ref().is_none_or(|cs| cs.contains(&channel))
    }
}

/// Per-channel settings of an item: whether it is sold there, and at what price.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSetting {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A price for this channel instead of the item's (delivery apps often charge more).
    #[serde(default)]
    pub price: Option<Money>,
}

fn yes() -> bool {
    true
}

/// Channels not listed sell the item at its price.
pub type ChannelSettings = BTreeMap<Channel, ChannelSetting>;

/// What the availability rule needs to know about an item.
#[derive(Debug, Clone)]
pub struct Sellable<'a> {
    pub is_active: bool,
    pub category_active: bool,
    pub eighty_six: Option<&'a EightySix>,
    pub schedule: &'a Schedule,
    pub channels: &'a ChannelSettings,
    /// The item's choices: a required group whose options are all 86'd leaves nothing to order.
    pub groups: &'a [ModifierGroup],
}

/// Why an item cannot be ordered now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    Inactive,
    EightySixed {
        reason: String,
        until: Option<DateTime<Utc>>,
    },
    OutsideSchedule,
    NotOnChannel(Channel),
    /// A group the guest must choose from has no option left to choose.
    NoChoiceLeft {
        group: String,
    },
}

impl Unavailable {
    pub fn reason(&self) -> String {
        match self {
            Unavailable::Inactive => "not on the menu".into(),
            Unavailable::EightySixed { reason, .. } => reason.clone(),
            Unavailable::OutsideSchedule => "not served at this time".into(),
            Unavailable::NotOnChannel(c) => format!("not sold on {c}"),
            Unavailable::NoChoiceLeft { group } => format!("no '{group}' left to choose"),
        }
    }
}

/// The availability rule.
pub fn is_orderable(item: &Sellable<'_>, channel: Channel, at: DateTime<Utc>, tz: Tz) -> Result<(), Unavailable> {
    if !item.is_active || !item.category_active {
        return Err(Unavailable::Inactive);
    }
    if let Some(e) = item.eighty_six.filter(|e| e.applies(channel, at)) {
        return Err(Unavailable::EightySixed { reason: e.reason.clone(), until: e.until });
    }
    if item.channels.get(&channel).is_some_and(|s| !s.enabled) {
        return Err(Unavailable::NotOnChannel(channel));
    }
    if !item.schedule.is_open(at.with_timezone(&tz).naive_local()) {
        return Err(Unavailable::OutsideSchedule);
    }
    if let Some(g) = item.groups.iter().find(|g| g.starved(channel, at)) {
        return Err(Unavailable::NoChoiceLeft { group: g.name.clone() });
    }
    Ok(())
}

/// The item's price on a channel.
pub fn channel_price(base: Money, channels: &ChannelSettings, channel: Channel) -> Money {
    channels.get(&channel).and_then(|s| s.price).unwrap_or(base)
}

/// The business day `at` falls in: the local date, where the day turns over at
/// `day_starts` (say 04:00, so a 01:30 order belongs to the night before).
pub fn business_day(at: DateTime<Utc>, tz: Tz, day_starts: NaiveTime) -> NaiveDate {
    business_day_of_local(at.with_timezone(&tz).naive_local(), day_starts)
}

/// The business day of a local date and time (for a caller that has it in hand).
pub fn business_day_of_local(local: chrono::NaiveDateTime, day_starts: NaiveTime) -> NaiveDate {
    if local.time() < day_starts {
        local.date().pred_opt().unwrap_or(local.date())
    } else {
        local.date()
    }
}

/// A local time as an instant: the first at or after it when DST skips or repeats it.
pub fn local_to_utc(tz: Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // A gap is at most a few hours; walk forward a minute at a time until time exists.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&local)
}

/// A group of choices on an item ("Size", "Extras"): pick at least `min`, at most `max`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifierGroup {
    pub id: Uuid,
    pub name: String,
    pub min: u32,
    pub max: u32,
    pub options: Vec<ModifierOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModifierOption {
    pub id: Uuid,
    pub name: String,
    pub price_delta: Money,
    #[serde(default = "yes")]
    pub is_active: bool,
    /// An 86 of this option alone ("out of avocado"), as an item's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eighty_six: Option<EightySix>,
}

impl ModifierOption {
    /// Whether a guest ordering on `channel` at `at` may choose it.
    pub fn orderable(&self, channel: Channel, at: DateTime<Utc>) -> bool {
        self.is_active && !self.eighty_six.as_ref().is_some_and(|e| e.applies(channel, at))
    }
}

impl ModifierGroup {
    /// A group the guest must choose from, with fewer options left than it asks for.
    pub fn starved(&self, channel: Channel, at: DateTime<Utc>) -> bool {
        self.min > 0 && (self.options.iter().filter(|o| o.orderable(channel, at)).count() as u32) < self.min
    }

    /// Carries the options' 86es over from `before` (the item as it was) by option id:
    /// editing an item's choices does not bring back what the kitchen ran out of.
    pub fn keep_eighty_six(groups: &mut [ModifierGroup], before: &[ModifierGroup]) {
        for o in groups.iter_mut().flat_map(|g| g.options.iter_mut()) {
            o.eighty_six =
                before.iter().flat_map(|g| &g.options).find(|b| b.id == o.id).and_then(|b| b.eighty_six.clone());
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.max < self.min {
            return Err(Invalid::new("modifier_groups", format!("'{}': max is below min", self.name)));
        }
        if self.max == 0 {
            return Err(Invalid::new("modifier_groups", format!("'{}': max must be at least 1", self.name)));
        }
        if (self.min as usize) > self.options.iter().filter(|o| o.is_active).count() && self.min > 0 {
            return Err(Invalid::new(
                "modifier_groups",
                format!("'{}' needs {} choices but has fewer options", self.name, self.min),
            ));
        }
        Ok(())
    }
}

/// A choice that breaks a group's rule, in words for the guest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModifierError {
    #[error("'{0}' is not an option of this item")]
    UnknownOption(Uuid),
    #[error("'{option}' is not available now")]
    InactiveOption { option: String },
    #[error("choose at least {min} of '{group}'")]
    TooFew { group: String, min: u32 },
    #[error("choose at most {max} of '{group}'")]
    TooMany { group: String, max: u32 },
}

/// The first chosen option that cannot be ordered on `channel` at `at` (86'd), if any.
pub fn unavailable_option<'g>(
    groups: &'g [ModifierGroup],
    chosen: &[Uuid],
    channel: Channel,
    at: DateTime<Utc>,
) -> Option<&'g ModifierOption> {
    chosen.iter().find_map(|id| {
        groups.iter().flat_map(|g| &g.options).find(|o| o.id == *id && o.is_active && !o.orderable(channel, at))
    })
}

/// Checks the chosen option ids against the item's groups and returns the chosen options
/// (in the order given). An option may be chosen more than once ("extra shot" twice) as
/// long as its group's maximum allows.
pub fn choose_modifiers<'g>(
    groups: &'g [ModifierGroup],
    chosen: &[Uuid],
) -> Result<Vec<(&'g ModifierGroup, &'g ModifierOption)>, ModifierError> {
    let mut picked = Vec::with_capacity(chosen.len());
    for id in chosen {
        let found = groups.iter().find_map(|g| g.options.iter().find(|o| o.id == *id).map(|o| (g, o)));
        let (g, o) = found.ok_or(ModifierError::UnknownOption(*id))?;
        if !o.is_active {
            return Err(ModifierError::InactiveOption { option: o.name.clone() });
        }
        picked.push((g, o));
    }
    for g in groups {
        let n = picked.iter().filter(|(pg, _)| pg.id == g.id).count() as u32;
        if n < g.min {
            return Err(ModifierError::TooFew { group: g.name.clone(), min: g.min });
        }
        if n > g.max {
            return Err(ModifierError::TooMany { group: g.name.clone(), max: g.max });
        }
    }
    Ok(picked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn breakfast() -> Schedule {
        Schedule { windows: vec![Window { days: vec![Weekday::Mon, Weekday::Tue], start: t(7, 0), end: t(11, 0) }] }
    }

    #[test]
    fn schedules_are_read_in_local_time() {
        let s = breakfast();
        let ny: Tz = "America/New_York".parse().unwrap();
        let item = Sellable {
            is_active: true,
            category_active: true,
            eighty_six: None,
            schedule: &s,
            channels: &ChannelSettings::new(),
            groups: &[],
        };
        // Monday 2026-03-02 07:30 in New York is 12:30 UTC (EST, -5).
        assert!(is_orderable(&item, Channel::Qr, utc("2026-03-02T12:30:00Z"), ny).is_ok());
        assert_eq!(
            is_orderable(&item, Channel::Qr, utc("2026-03-02T11:30:00Z"), ny),
            Err(Unavailable::OutsideSchedule)
        );
        assert_eq!(
            is_orderable(&item, Channel::Qr, utc("2026-03-02T16:00:00Z"), ny),
            Err(Unavailable::OutsideSchedule)
        );
        // After the spring change (2026-03-08) 07:30 EDT is 11:30 UTC.
        assert!(is_orderable(&item, Channel::Qr, utc("2026-03-09T11:30:00Z"), ny).is_ok());
        // Wednesday: no breakfast.
        assert!(is_orderable(&item, Channel::Qr, utc("2026-03-04T12:30:00Z"), ny).is_err());
    }

    #[test]
    fn windows_can_cross_midnight() {
        let s = Schedule { windows: vec![Window { days: vec![Weekday::Fri], start: t(22, 0), end: t(2, 0) }] };
        let fri = NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
        assert!(s.is_open(fri.and_time(t(23, 0))));
        assert!(s.is_open(fri.succ_opt().unwrap().and_time(t(1, 59))));
        assert!(!s.is_open(fri.succ_opt().unwrap().and_time(t(2, 0))));
        assert!(!s.is_open(fri.and_time(t(1, 0))));
        assert!(Schedule { windows: vec![Window { days: vec![], start: t(1, 0), end: t(2, 0) }] }.validate().is_err());
    }

    #[test]
    fn an_86_applies_until_it_expires_on_its_channels() {
        let s = Schedule::default();
        let e = EightySix {
            reason: "sold out".into(),
            until: Some(utc("2026-03-02T17:00:00Z")),
            channels: Some(vec![Channel::Ubereats]),
            auto: false,
        };
        let mut channels = ChannelSettings::new();
        channels.insert(Channel::Grubhub, ChannelSetting { enabled: false, price: None });
        let item = Sellable {
            is_active: true,
            category_active: true,
            eighty_six: Some(&e),
            schedule: &s,
            channels: &channels,
            groups: &[],
        };
        let tz: Tz = "UTC".parse().unwrap();
        let before = utc("2026-03-02T16:59:59Z");
        assert!(matches!(is_orderable(&item, Channel::Ubereats, before, tz), Err(Unavailable::EightySixed { .. })));
        assert!(is_orderable(&item, Channel::Qr, before, tz).is_ok());
        assert!(is_orderable(&item, Channel::Ubereats, utc("2026-03-02T17:00:00Z"), tz).is_ok());
        assert_eq!(is_orderable(&item, Channel::Grubhub, before, tz), Err(Unavailable::NotOnChannel(Channel::Grubhub)));
        let off = Sellable { is_active: false, ..item.clone() };
        assert_eq!(is_orderable(&off, Channel::Qr, before, tz), Err(Unavailable::Inactive));
    }

    #[test]
    fn business_days_turn_over_at_the_configured_hour_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let four = t(4, 0);
        // 01:30 local on Sunday 2026-03-08 belongs to Saturday.
        assert_eq!(business_day(utc("2026-03-08T06:30:00Z"), ny, four), NaiveDate::from_ymd_opt(2026, 3, 7).unwrap());
        let end = |at: &str, starts| crate::hours::BusinessDays::new(ny, starts, None).end_of_day(utc(at));
        // Saturday's business day ends at 04:00 EDT on Sunday, which is 08:00 UTC.
        assert_eq!(end("2026-03-07T20:00:00Z", four), utc("2026-03-08T08:00:00Z"));
        // A turnover inside the spring gap (02:30 does not exist) moves to 03:00 EDT.
        assert_eq!(end("2026-03-07T20:00:00Z", t(2, 30)), utc("2026-03-08T07:00:00Z"));
        // Autumn: 01:30 happens twice; the first is used.
        assert_eq!(end("2026-10-31T20:00:00Z", t(1, 30)), utc("2026-11-01T05:30:00Z"));
    }

    fn group(name: &str, min: u32, max: u32, n: usize) -> ModifierGroup {
        ModifierGroup {
            id: Uuid::new_v4(),
            name: name.into(),
            min,
            max,
            options: (0..n)
                .map(|i| ModifierOption {
                    id: Uuid::new_v4(),
                    name: format!("{name} {i}"),
                    price_delta: Money(50 * i as i64),
                    is_active: true,
                    eighty_six: None,
                })
                .collect(),
        }
    }

    #[test]
    fn modifier_choices_respect_min_and_max() {
        let size = group("Size", 1, 1, 3);
        let extras = group("Extras", 0, 2, 4);
        let groups = vec![size.clone(), extras.clone()];
        let s0 = size.options[0].id;
        let e1 = extras.options[1].id;
        assert_eq!(choose_modifiers(&groups, &[s0, e1, e1]).unwrap().len(), 3);
        assert_eq!(choose_modifiers(&groups, &[e1]), Err(ModifierError::TooFew { group: "Size".into(), min: 1 }));
        assert_eq!(
            choose_modifiers(&groups, &[s0, size.options[1].id]),
            Err(ModifierError::TooMany { group: "Size".into(), max: 1 })
        );
        assert_eq!(
            choose_modifiers(&groups, &[s0, e1, e1, e1]),
            Err(ModifierError::TooMany { group: "Extras".into(), max: 2 })
        );
        let stranger = Uuid::new_v4();
        assert_eq!(choose_modifiers(&groups, &[s0, stranger]), Err(ModifierError::UnknownOption(stranger)));
        assert!(group("Bad", 2, 1, 3).validate().is_err());
        assert!(group("Bad", 3, 3, 2).validate().is_err());
    }

    #[test]
    fn channels_parse_and_price() {
        assert_eq!("walk_in".parse::<Channel>().unwrap(), Channel::WalkIn);
        assert!("fax".parse::<Channel>().is_err());
        let mut cs = ChannelSettings::new();
        cs.insert(Channel::Ubereats, ChannelSetting { enabled: true, price: Some(Money(1450)) });
        assert_eq!(channel_price(Money(1200), &cs, Channel::Ubereats), Money(1450));
        assert_eq!(channel_price(Money(1200), &cs, Channel::Qr), Money(1200));
        let json: ChannelSettings =
            serde_json::from_str(r#"{"doordash": {"price": 1500}, "grubhub": {"enabled": false}}"#).unwrap();
        assert!(json[&Channel::Doordash].enabled);
        assert!(!json[&Channel::Grubhub].enabled);
    }
}
