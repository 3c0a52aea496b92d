//! Orders: their state machine and their price.
//!
//! An order moves forward through `received → accepted → preparing → ready →
//! completed`; steps may be skipped forward (a walk-in can go straight to `preparing`,
//! the kitchen bumping the last ticket makes it `ready`). The one step back is `ready →
//! preparing`, when a cook recalls a ticket. Any order not yet completed can be
//! cancelled; completed and cancelled orders never change again.
//!
//! Prices come from the menu on the server: each line is the item's price on the
//! order's channel plus its options' deltas, times the quantity; tax applies once to the
//! subtotal. A client never sends a price.

use crate::menu::{choose_modifiers, ModifierError, ModifierGroup};
use crate::money::{Money, TaxRule, Taxed};
use crate::Invalid;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Accepted,
    Preparing,
    Ready,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 6] = [
        OrderStatus::Received,
        OrderStatus::Accepted,
        OrderStatus::Preparing,
        OrderStatus::Ready,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Accepted => "accepted",
            OrderStatus::Preparing => "preparing",
            OrderStatus::Ready => "ready",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Position on the way to `completed`; `None` for `cancelled`.
    fn rank(self) -> Option<u8> {
        match self {
            OrderStatus::Received => Some(0),
            OrderStatus::Accepted => Some(1),
            OrderStatus::Preparing => Some(2),
            OrderStatus::Ready => Some(3),
            OrderStatus::Completed => Some(4),
            OrderStatus::Cancelled => None,
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// Whether the kitchen still has work on it.
    pub fn is_open(self) -> bool {
        !self.is_final()
    }

    /// The transition function: `Ok(to)` when `self → to` is allowed.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, InvalidTransition> {
        let ok = match (self.rank(), to.rank()) {
            _ if self.is_final() => false,
            (_, None) => true,
            (Some(from), Some(next)) => next > from || (self == OrderStatus::Ready && to == OrderStatus::Preparing),
            (None, _) => false,
        };
        if ok {
            Ok(to)
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        OrderStatus::ALL.into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "status",
                format!("'{s}' is not a status; use received, accepted, preparing, ready, completed or cancelled"),
            )
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {from} cannot become {to}")]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    DineIn,
    Takeout,
    Delivery,
}

impl OrderType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::DineIn => "dine_in",
            OrderType::Takeout => "takeout",
            OrderType::Delivery => "delivery",
        }
    }
}

impl FromStr for OrderType {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "dine_in" => Ok(OrderType::DineIn),
            "takeout" => Ok(OrderType::Takeout),
            "delivery" => Ok(OrderType::Delivery),
            _ => Err(Invalid::new("type", format!("'{s}' is not an order type; use dine_in, takeout or delivery"))),
        }
    }
}

pub const MAX_QUANTITY: u32 = 999;
pub const MAX_LINES: usize = 200;
/// Seats at one table a line may name.
pub const MAX_SEAT: i64 = 99;

/// A quantity of one line: 1 to 999.
pub fn parse_quantity(field: &'static str, n: i64) -> Result<u32, Invalid> {
    if !(1..=i64::from(MAX_QUANTITY)).contains(&n) {
        return Err(Invalid::new(field, format!("a quantity is 1 to {MAX_QUANTITY}")));
    }
    Ok(n as u32)
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub item_id: Uuid,
    pub quantity: u32,
    /// The item's price on the order's channel.
    pub base_price: Money,
    /// `(option id, group name, option name, price delta)` in the order chosen.
    pub modifiers: Vec<(Uuid, String, String, Money)>,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error(transparent)]
    Modifier(#[from] ModifierError),
    #[error("the order's total is too large")]
    Overflow,
}

/// Prices one line from the menu's numbers.
pub fn price_line(
    item_id: Uuid,
    base_price: Money,
    groups: &[ModifierGroup],
    chosen: &[Uuid],
    quantity: u32,
) -> Result<PricedLine, PricingError> {
    let picked = choose_modifiers(groups, chosen)?;
    let mut unit = base_price;
    let mut modifiers = Vec::with_capacity(picked.len());
    for (g, o) in picked {
        unit = unit.checked_add(o.price_delta).ok_or(PricingError::Overflow)?;
        modifiers.push((o.id, g.name.clone(), o.name.clone(), o.price_delta));
    }
    // A discount option can never make a line cost less than nothing.
    let unit = Money(unit.0.max(0));
    let line_total = unit.checked_mul(i64::from(quantity)).ok_or(PricingError::Overflow)?;
    Ok(PricedLine { item_id, quantity, base_price, modifiers, unit_price: unit, line_total })
}

/// The order's subtotal, tax and total from its lines.
pub fn price_order(lines: &[PricedLine], tax: TaxRule) -> Result<Taxed, PricingError> {
    let mut subtotal = Money::ZERO;
    for l in lines {
        subtotal = subtotal.checked_add(l.line_total).ok_or(PricingError::Overflow)?;
    }
    Ok(tax.apply(subtotal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::ModifierOption;
    use proptest::prelude::*;
    use OrderStatus::*;

    #[test]
    fn the_transition_table() {
        let allowed = [
            (Received, Accepted),
            (Received, Preparing),
            (Received, Ready),
            (Received, Completed),
            (Received, Cancelled),
            (Accepted, Preparing),
            (Accepted, Ready),
            (Accepted, Cancelled),
            (Preparing, Ready),
            (Preparing, Cancelled),
            (Ready, Preparing),
            (Ready, Completed),
            (Ready, Cancelled),
            (Accepted, Completed),
            (Preparing, Completed),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expect = allowed.contains(&(from, to));
                assert_eq!(from.transition(to).is_ok(), expect, "{from} -> {to}");
            }
        }
    }

    fn any_status() -> impl Strategy<Value = OrderStatus> {
        prop::sample::select(OrderStatus::ALL.to_vec())
    }

    proptest! {
        // Whatever is attempted, an order never leaves a final state, and it only goes
        // back from ready to preparing.
        #[test]
        fn any_sequence_stays_legal(attempts in prop::collection::vec(any_status(), 0..40)) {
            let mut s = Received;
            for to in attempts {
                let before = s;
                if let Ok(next) = s.transition(to) {
                    prop_assert!(!before.is_final());
                    if let (Some(a), Some(b)) = (before.rank(), next.rank()) {
                        prop_assert!(b > a || (before == Ready && next == Preparing));
                    }
                    s = next;
                }
            }
        }

        // Pricing is never negative and the subtotal is the sum of the lines.
        #[test]
        fn prices_add_up(lines in prop::collection::vec((0i64..100_000, prop::collection::vec(-5_000i64..5_000, 0..4), 1u32..=MAX_QUANTITY), 0..20),
                         bps in 0i64..3_000, inclusive: bool) {
            let mut priced = Vec::new();
            for (base, deltas, qty) in lines {
                let options: Vec<ModifierOption> = deltas.iter().map(|d| ModifierOption {
                    id: Uuid::new_v4(), name: "o".into(), price_delta: Money(*d), is_active: true, eighty_six: None }).collect();
                let chosen: Vec<Uuid> = options.iter().map(|o| o.id).collect();
                let n = options.len() as u32;
                let group = ModifierGroup { id: Uuid::new_v4(), name: "g".into(), min: 0, max: n.max(1), options };
                let line = price_line(Uuid::new_v4(), Money(base), &[group], &chosen, qty).unwrap();
                prop_assert!(line.unit_price.0 >= 0);
                prop_assert_eq!(line.line_total.0, line.unit_price.0 * i64::from(qty));
                priced.push(line);
            }
            let t = price_order(&priced, TaxRule { rate_bps: bps, inclusive }).unwrap();
            prop_assert_eq!(t.subtotal.0, priced.iter().map(|l| l.line_total.0).sum::<i64>());
            prop_assert!(t.total.0 >= t.subtotal.0 || inclusive);
            prop_assert!(t.tax.0 >= 0);
        }
    }

    #[test]
    fn quantities_are_bounded() {
        assert!(parse_quantity("quantity", 0).is_err());
        assert!(parse_quantity("quantity", 1000).is_err());
        assert_eq!(parse_quantity("quantity", 3).unwrap(), 3);
    }
}
