//! Money taken at the counter: how a tender settles a check's balance.

use crate::{money, Invalid};
use serde::Serialize;
use std::str::FromStr;

/// How a guest paid: cash at the counter, a card through Brigade (Stripe), or a card
/// machine that is not connected to Brigade, recorded by hand (`external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Cash,
    Card,
    External,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Cash, Method::Card, Method::External];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::External => "external",
        }
    }
}

impl FromStr for Method {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| Invalid::new("method", format!("'{s}' is not a way to pay; use cash, card or external")))
    }
}

/// What a tender does to a check: the part of the balance it pays, the tip on top, and
/// the change handed back (cash only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub amount: i64,
    pub tip: i64,
    pub tendered: Option<i64>,
    pub change: i64,
}

/// Why a tender cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Nothing is left to pay.
    NothingDue,
    /// The input is wrong (a field and words for the person at the counter).
    Invalid(Invalid),
}

impl From<Invalid> for Refused {
    fn from(e: Invalid) -> Self {
        Refused::Invalid(e)
    }
}

/// Settles `amount` (+ `tip`) against `balance`. Cash may be more than the balance (and
/// `tendered` more than amount and tip): the rest is change. Any other tender must not
/// be more than the balance, for money taken on a card cannot be handed back as change.
pub fn settle(method: Method, balance: i64, amount: i64, tip: i64, tendered: Option<i64>) -> Result<Settled, Refused> {
    let amount = money::amount("amount", amount, 1)?;
    let tip = money::amount("tip", tip, 0)?;
    if let Some(t) = tendered {
        money::amount("tendered", t, 1)?;
    }
    if balance <= 0 {
        return Err(Refused::NothingDue);
    }
    match method {
        Method::Cash => {
            let applied = amount.min(balance);
            // Both are at most money::MAX: no overflow.
            let asked = amount + tip;
            let given = tendered.unwrap_or(asked);
            if given < asked {
                return Err(Invalid::new("tendered", "the cash handed over is less than the amount and the tip").into());
            }
            // applied + tip <= asked <= given: no overflow, change >= 0.
            Ok(Settled { amount: applied, tip, tendered: Some(given), change: given - (applied + tip) })
        }
        Method::Card | Method::External => {
            if tendered.is_some() {
                return Err(Invalid::new("tendered", "only cash is tendered").into());
            }
            if amount > balance {
                return Err(Invalid::new(
                    "amount",
                    format!(
                        "that is more than the balance of {}; a card is charged no more than is owed",
                        crate::money::Money(balance)
                    ),
                )
                .into());
            }
            Ok(Settled { amount, tip, tendered: None, change: 0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_over_the_balance_gives_change_and_pays_only_the_balance() {
        let s = settle(Method::Cash, 1_250, 2_000, 0, None).unwrap();
        assert_eq!(s, Settled { amount: 1_250, tip: 0, tendered: Some(2_000), change: 750 });
        let s = settle(Method::Cash, 1_250, 1_250, 200, Some(2_000)).unwrap();
        assert_eq!(s, Settled { amount: 1_250, tip: 200, tendered: Some(2_000), change: 550 });
        let s = settle(Method::Cash, 5_000, 1_000, 0, None).unwrap();
        assert_eq!((s.amount, s.change), (1_000, 0), "part of the check");
    }

    #[test]
    fn cards_are_never_charged_more_than_the_balance() {
        assert!(matches!(settle(Method::Card, 1_000, 1_001, 0, None), Err(Refused::Invalid(e)) if e.field == "amount"));
        assert!(matches!(settle(Method::External, 1_000, 1_001, 0, None), Err(Refused::Invalid(_))));
        let s = settle(Method::External, 1_000, 1_000, 150, None).unwrap();
        assert_eq!(s, Settled { amount: 1_000, tip: 150, tendered: None, change: 0 });
    }

    #[test]
    fn nothing_due_short_cash_and_bad_numbers_are_refused() {
        assert_eq!(settle(Method::Cash, 0, 100, 0, None), Err(Refused::NothingDue));
        assert!(matches!(settle(Method::Cash, 100, 0, 0, None), Err(Refused::Invalid(e)) if e.field == "amount"));
        assert!(matches!(settle(Method::Cash, 100, 100, -1, None), Err(Refused::Invalid(e)) if e.field == "tip"));
        assert!(
            matches!(settle(Method::Cash, 100, 100, 10, Some(105)), Err(Refused::Invalid(e)) if e.field == "tendered")
        );
        assert!(
            matches!(settle(Method::Card, 100, 100, 0, Some(100)), Err(Refused::Invalid(e)) if e.field == "tendered")
        );
        assert!(
            matches!(settle(Method::Cash, 100, i64::MAX, 1, None), Err(Refused::Invalid(e)) if e.field == "amount")
        );
        assert!(matches!(settle(Method::Cash, 100, 100, i64::MAX, None), Err(Refused::Invalid(e)) if e.field == "tip"));
        let huge = Some(i64::MAX);
        assert!(matches!(settle(Method::Cash, 100, 100, 0, huge), Err(Refused::Invalid(e)) if e.field == "tendered"));
        let most = settle(Method::Cash, money::MAX, money::MAX, money::MAX, None).unwrap();
        assert_eq!(most.change, 0, "the largest payment and tip settle without overflow");
    }
}
