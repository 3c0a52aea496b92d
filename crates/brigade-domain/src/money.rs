//! Money and tax. Amounts are integer minor units (cents) of the restaurant's currency;
//! a price never passes through floating point. Tax is a rate in basis points, either
//! added on top (exclusive) or already inside the prices (inclusive), computed once per
//! order on its subtotal and rounded half-up to the minor unit.

use crate::Invalid;
use serde::{Deserialize, Serialize};

/// The largest single amount any input may carry: a price, a payment, a tip, a float, a
/// count of cash (999,999.99). Sums of many of them stay far inside `i64`, so no total
/// of a check, a drawer or a day can overflow.
pub const MAX: i64 = 99_999_999;

/// An amount from input: `min` to [`MAX`] minor units, or a 422 naming `field`.
pub fn amount(field: &'static str, v: i64, min: i64) -> Result<i64, Invalid> {
    if v < min {
        let what = if min > 0 { "more than zero" } else { "zero or more" };
        return Err(Invalid::new(field, format!("an amount is {what} minor units")));
    }
    if v > MAX {
        return Err(Invalid::new(field, format!("an amount is at most {} (minor units: {MAX})", Money(MAX))));
    }
    Ok(v)
}

/// An amount in minor units. Negative amounts exist (a modifier that takes money off),
/// but an order's totals never go below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }
}

/// The amount in major units with two decimals and no currency sign, for people:
/// 1250 → "12.50", -5 → "-0.05".
impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// How tax applies to a restaurant's prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxRule {
    /// 825 = 8.25 %.
    pub rate_bps: i64,
    /// Prices already include the tax (common in Europe); otherwise it is added.
    pub inclusive: bool,
}

/// The result of taxing a subtotal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taxed {
    pub subtotal: Money,
    pub tax: Money,
    pub total: Money,
}

/// `numerator / denominator` rounded half-up (away from zero at .5), for non-negative
/// numerators and positive denominators.
pub fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// `part` of `whole` in percent, to one decimal; none when `whole` is not positive.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

impl TaxRule {
    pub fn apply(self, subtotal: Money) -> Taxed {
        let s = i128::from(subtotal.0.max(0));
        let bps = i128::from(self.rate_bps.clamp(0, 10_000));
        if self.inclusive {
            // The net price is subtotal / (1 + rate); the tax is what is left.
            let net = div_half_up(s * 10_000, 10_000 + bps);
            let tax = (s - net) as i64;
            Taxed { subtotal: Money(s as i64), tax: Money(tax), total: Money(s as i64) }
        } else {
            let tax = div_half_up(s * bps, 10_000) as i64;
            Taxed { subtotal: Money(s as i64), tax: Money(tax), total: Money(s as i64 + tax) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_major_units() {
        assert_eq!(Money(1250).to_string(), "12.50");
        assert_eq!(Money(7).to_string(), "0.07");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(-1999).to_string(), "-19.99");
    }
    use proptest::prelude::*;

    #[test]
    fn percentages_round_to_one_decimal_and_need_a_whole() {
        assert_eq!(super::percent(175, 1200), Some(14.6));
        assert_eq!(super::percent(10_800, 24_000), Some(45.0));
        assert_eq!(super::percent(5, 0), None);
    }

    #[test]
    fn exclusive_tax_rounds_half_up() {
        let t = TaxRule { rate_bps: 825, inclusive: false };
        // 10.00 * 8.25 % = 0.825 -> 0.83
        assert_eq!(t.apply(Money(1000)), Taxed { subtotal: Money(1000), tax: Money(83), total: Money(1083) });
        // 2.00 * 8.25 % = 0.165 -> 0.17
        assert_eq!(t.apply(Money(200)).tax, Money(17));
        assert_eq!(t.apply(Money(0)).total, Money(0));
    }

    #[test]
    fn inclusive_tax_is_inside_the_total() {
        let t = TaxRule { rate_bps: 2000, inclusive: true };
        // 12.00 incl. 20 % VAT: net 10.00, tax 2.00.
        assert_eq!(t.apply(Money(1200)), Taxed { subtotal: Money(1200), tax: Money(200), total: Money(1200) });
        // 9.99 incl. 20 %: net 8.325 -> 8.33 (half-up), tax 1.66.
        assert_eq!(t.apply(Money(999)).tax, Money(166));
    }

    proptest! {
        #[test]
        fn totals_are_consistent_and_never_negative(sub in 0i64..10_000_000_000, bps in 0i64..=10_000, inclusive: bool) {
            let t = TaxRule { rate_bps: bps, inclusive }.apply(Money(sub));
            prop_assert!(t.tax.0 >= 0 && t.total.0 >= 0);
            if inclusive {
                prop_assert_eq!(t.total, t.subtotal);
                prop_assert!(t.tax.0 <= t.subtotal.0);
            } else {
                prop_assert_eq!(t.total.0, t.subtotal.0 + t.tax.0);
            }
            // Within half a cent of the exact tax.
            let exact = if inclusive {
                sub as f64 - sub as f64 * 10_000.0 / (10_000.0 + bps as f64)
            } else {
                sub as f64 * bps as f64 / 10_000.0
            };
            prop_assert!((t.tax.0 as f64 - exact).abs() <= 0.5 + 1e-6, "{} vs {}", t.tax.0, exact);
        }
    }
}
