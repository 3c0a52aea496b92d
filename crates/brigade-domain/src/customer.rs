//! A guest's contact details as Brigade keeps them: a phone number in E.164, read with
//! the restaurant's country (libphonenumber's rules: "020 7946 0018" in GB and
//! "+44 20 7946 0018" are one number, Italy keeps its leading 0), and an email address
//! in lower case. Both are what a customer is found by, so two spellings of one number
//! must come out the same.

use crate::Invalid;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest email address SMTP carries (RFC 5321's path limit less its brackets).
const EMAIL_MAX: usize = 254;

/// A country as ISO 3166-1 alpha-2 ("US", "GB"), checked against the phone metadata.
pub fn parse_country(raw: &str) -> Result<String, Invalid> {
    let code = raw.trim().to_ascii_uppercase();
    code.parse::<phonenumber::country::Id>().map(|_| code.clone()).map_err(|_| {
        Invalid::new("country", format!("'{}' is not a country code; use ISO 3166 like US, GB, FR", raw.trim()))
    })
}

/// The country a currency belongs to, when it belongs to one: ISO 4217 codes of national
/// currencies begin with their country's ISO 3166 code (USD, GBP, JPY); the euro and the
/// X-codes (XOF, XCD) are shared by several, so they name none.
pub fn country_of_currency(currency: &str) -> Option<String> {
    let c = currency.trim().to_ascii_uppercase();
    if c.len() != 3 || c == "EUR" || c.starts_with('X') {
        return None;
    }
    parse_country(&c[..2]).ok()
}

/// A phone number in E.164 (`+442079460018`). A number written without its country code
/// is read as one of `country`'s; with no country, only a number starting with `+` (or
/// `00`) parses.
pub fn normalise_phone(raw: &str, country: Option<&str>) -> Result<String, Invalid> {
    let field = "phone";
    let trimmed = raw.trim();
    let digits = trimmed.chars().filter(char::is_ascii_digit).count();
    if trimmed.chars().any(|c| !(c.is_ascii_digit() || " -.()+/".contains(c))) || !(6..=17).contains(&digits) {
        return Err(Invalid::new(field, format!("'{trimmed}' is not a phone number")));
    }
    let international = trimmed.starts_with('+') || trimmed.starts_with("00");
    let id = match country {
        Some(c) => Some(c.parse::<phonenumber::country::Id>().map_err(|_| Invalid::new("country", "unknown country"))?),
        None if international => None,
        None => {
            return Err(Invalid::new(
                field,
                format!("write '{trimmed}' with its country code (+…): this restaurant has no country set"),
            ))
        }
    };
    let mut spelled = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    // "+44 (0)20 …": the trunk zero in brackets is dialled only from inside the country.
    if international {
        spelled = spelled.replace("(0)", "");
    }
    let number = phonenumber::parse(id, &spelled)
        .map_err(|_| Invalid::new(field, format!("'{trimmed}' is not a phone number")))?;
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// An email address, trimmed and in lower case: one `@`, something before it, a domain
/// with a dot after it, no spaces, at most 254 characters.
pub fn normalise_email(raw: &str) -> Result<String, Invalid> {
    let field = "email";
    let e = raw.trim().to_lowercase();
    let bad = || Invalid::new(field, format!("'{}' is not an email address", raw.trim()));
    if e.len() > EMAIL_MAX || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = e.split_once('@').ok_or_else(bad)?;
    let labels_ok = domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty() || domain.contains('@') || !domain.contains('.') || !labels_ok {
        return Err(bad());
    }
    Ok(e)
}

/// The last four digits of a number: what may stay readable to mask it by.
pub fn last_four(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// A phone number as a role that may not see it gets it: `•••• 0018`.
pub fn mask_phone(last4: &str) -> String {
    format!("•••• {last4}")
}

/// An email address as a role that may not see it gets it: its first letter and its
/// domain (`j•••@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}•••@{domain}", local.chars().next().unwrap_or('•')),
        None => "•••".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_in_any_spelling() {
        let us = Some("US");
        assert_eq!(normalise_phone("(555) 010-2000", us).unwrap(), "+15550102000");
        assert_eq!(normalise_phone("+1 555 010 2000", us).unwrap(), "+15550102000");
        assert_eq!(normalise_phone("1-555-010-2000", us).unwrap(), "+15550102000");
        assert_eq!(normalise_phone("020 7946 0018", Some("GB")).unwrap(), "+442079460018");
        assert_eq!(normalise_phone("+44 (0)20 7946 0018", Some("US")).unwrap(), "+442079460018");
        assert_eq!(normalise_phone("0044 20 7946 0018", None).unwrap(), "+442079460018");
        // Italy keeps the leading zero of its landlines.
        assert_eq!(normalise_phone("06 6982 1234", Some("IT")).unwrap(), "+390669821234");
        assert_eq!(normalise_phone("01 23 45 67 89", Some("FR")).unwrap(), "+33123456789");
    }

    #[test]
    fn what_is_not_a_number_is_refused() {
        assert!(normalise_phone("call me", Some("US")).is_err());
        assert!(normalise_phone("12", Some("US")).is_err());
        assert!(normalise_phone("555 010 2000", None).unwrap_err().message.contains("country code"));
        assert!(normalise_phone("+1 555 010 2000", None).is_ok());
    }

    #[test]
    fn emails() {
        assert_eq!(normalise_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["ada", "ada@", "@example.com", "ada@example", "a da@example.com", "a@b@c.com", "ada@.com"] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_and_masks() {
        assert_eq!(country_of_currency("USD").as_deref(), Some("US"));
        assert_eq!(country_of_currency("gbp").as_deref(), Some("GB"));
        assert_eq!(country_of_currency("EUR"), None);
        assert_eq!(country_of_currency("XOF"), None);
        assert!(parse_country("ZZ").is_err());
        assert_eq!(last_four("+15550102000"), "2000");
        assert_eq!(mask_phone("2000"), "•••• 2000");
        assert_eq!(mask_email("ada@example.com"), "a•••@example.com");
    }
}

/// The points an amount spent earns: `points_per_unit` per whole unit of currency (minor
/// units are hundredths), rounded down; nothing for nothing spent.
pub fn points_earned(spent_minor: i64, points_per_unit: i64) -> i64 {
    spent_minor.max(0).saturating_mul(points_per_unit.max(0)) / 100
}

/// What redeeming `points` takes off an order, when each `reward_points` are worth
/// `reward_value` (minor units): only whole rewards are redeemed.
pub fn redemption_value(points: i64, reward_points: i64, reward_value: i64) -> Result<i64, Invalid> {
    let field = "redeem_points";
    if points <= 0 {
        return Err(Invalid::new(field, "redeem a positive number of points"));
    }
    if reward_points <= 0 || points % reward_points != 0 {
        return Err(Invalid::new(field, format!("points are redeemed {reward_points} at a time")));
    }
    Ok((points / reward_points).saturating_mul(reward_value))
}

/// A reward of a loyalty program, beside its standing one (`reward_points` for
/// `reward_value` off) and redeemed by its id: `points` for an amount off (`value`,
/// minor units) or for one unit of one of `item_ids` free (the dearest of them on the
/// order, so the guest gets the most from their points).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    pub id: Uuid,
    pub name: String,
    pub points: i64,
    pub kind: RewardKind,
    /// Minor units off, for `amount`.
    #[serde(default)]
    pub value: i64,
    /// The items one unit of which is free, for `free_item`.
    #[serde(default)]
    pub item_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    Amount,
    FreeItem,
}

/// The most rewards a program offers.
pub const REWARDS_MAX: usize = 20;

impl Reward {
    /// Checks what an owner wrote; the name comes back trimmed.
    pub fn check(mut self) -> Result<Reward, Invalid> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > crate::caps::NAME {
            return Err(Invalid::new("rewards", "a reward needs a name of 1 to 200 characters"));
        }
        if !(1..=1_000_000).contains(&self.points) {
            return Err(Invalid::new("rewards", format!("{}: a reward is 1 to 1000000 points", self.name)));
        }
        match self.kind {
            RewardKind::Amount => {
                if !(1..=1_000_000).contains(&self.value) {
                    return Err(Invalid::new("rewards", format!("{}: take 1 to 1000000 (minor units) off", self.name)));
                }
                self.item_ids.clear();
            }
            RewardKind::FreeItem => {
                if self.item_ids.is_empty() || self.item_ids.len() > 50 {
                    return Err(Invalid::new(
                        "rewards",
                        format!("{}: name 1 to 50 items, one of which is free", self.name),
                    ));
                }
                self.item_ids.sort_unstable();
                self.item_ids.dedup();
                self.value = 0;
            }
        }
        Ok(self)
    }

    /// What it takes off an order of `lines` (item and unit price, before tax), or why
    /// it cannot be had on it.
    pub fn value_on(&self, lines: impl IntoIterator<Item = (Uuid, i64)>) -> Result<i64, String> {
        match self.kind {
            RewardKind::Amount => Ok(self.value),
            RewardKind::FreeItem => lines
                .into_iter()
                .filter(|(item, _)| self.item_ids.contains(item))
                .map(|(_, price)| price.max(0))
                .max()
                .ok_or_else(|| format!("{} is a free item: add one of its items to the order", self.name)),
        }
    }
}

#[cfg(test)]
mod loyalty_tests {
    use super::*;

    #[test]
    fn points_and_rewards() {
        assert_eq!(points_earned(2599, 1), 25);
        assert_eq!(points_earned(2599, 10), 259);
        assert_eq!(points_earned(-500, 1), 0);
        assert_eq!(redemption_value(200, 100, 500).unwrap(), 1000);
        assert!(redemption_value(150, 100, 500).is_err());
        assert!(redemption_value(0, 100, 500).is_err());
        assert!(redemption_value(-100, 100, 500).is_err());
    }

    #[test]
    fn rewards_are_checked_and_a_free_item_is_the_dearest_on_the_order() {
        let (latte, cake, tea) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let free = |items: Vec<Uuid>| Reward {
            id: Uuid::from_u128(9),
            name: " Free drink ".into(),
            points: 150,
            kind: RewardKind::FreeItem,
            value: 77,
            item_ids: items,
        };
        let r = free(vec![latte, tea, latte]).check().unwrap();
        assert_eq!((r.name.as_str(), r.value, r.item_ids.len()), ("Free drink", 0, 2));
        assert_eq!(r.value_on([(cake, 900), (latte, 450), (tea, 300), (latte, 450)]), Ok(450));
        assert!(r.value_on([(cake, 900)]).unwrap_err().contains("add one"));
        assert!(free(vec![]).check().is_err());
        let off = Reward { kind: RewardKind::Amount, value: 500, ..free(vec![latte]) }.check().unwrap();
        assert!(off.item_ids.is_empty());
        assert_eq!(off.value_on([]), Ok(500));
        assert!(Reward { value: 0, ..off.clone() }.check().is_err());
        assert!(Reward { points: 0, ..off.clone() }.check().is_err());
        assert!(Reward { name: "  ".into(), ..off }.check().is_err());
    }
}
