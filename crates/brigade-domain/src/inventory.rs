//! Inventory arithmetic, with no I/O: units and conversions, what a recipe consumes,
//! whether stock can make a portion, average cost, suggested orders.
//!
//! Quantities are integers: thousandths of the item's base unit (`Milli`), so 1.5 kg of
//! a gram-based item is 1,500,000 and sums never drift. Each item has one base unit (g,
//! ml or each); amounts arrive in any unit of the same kind (kg, lb, l, fl_oz, dozen…)
//! or in the item's own purchase units ("case" = 24 each) and are converted here. Costs
//! are micro-units of the currency's minor unit per base unit (a cent is 1,000,000), so
//! a gram of saffron and a case of beer are both exact enough.

use crate::money::div_half_up;
use crate::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Thousandths of an item's base unit.
pub type Milli = i64;

/// The largest amount accepted in one entry, in base units (a billion grams is plenty).
const MAX_AMOUNT: f64 = 1e9;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseUnit {
    #[serde(rename = "g")]
    Gram,
    #[serde(rename = "ml")]
    Millilitre,
    Each,
}

impl BaseUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            BaseUnit::Gram => "g",
            BaseUnit::Millilitre => "ml",
            BaseUnit::Each => "each",
        }
    }
}

impl fmt::Display for BaseUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BaseUnit {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "g" => Ok(BaseUnit::Gram),
            "ml" => Ok(BaseUnit::Millilitre),
            "each" => Ok(BaseUnit::Each),
            _ => Err(Invalid::new("unit", format!("'{s}' is not a base unit; use g, ml or each"))),
        }
    }
}

/// The standard units and how many base units one of them is.
const STANDARD: &[(&str, BaseUnit, f64)] = &[
    ("g", BaseUnit::Gram, 1.0),
    ("kg", BaseUnit::Gram, 1000.0),
    ("mg", BaseUnit::Gram, 0.001),
    ("lb", BaseUnit::Gram, 453.592_37),
    ("oz", BaseUnit::Gram, 28.349_523_125),
    ("ml", BaseUnit::Millilitre, 1.0),
    ("cl", BaseUnit::Millilitre, 10.0),
    ("dl", BaseUnit::Millilitre, 100.0),
    ("l", BaseUnit::Millilitre, 1000.0),
    ("fl_oz", BaseUnit::Millilitre, 29.573_529_562_5),
    ("cup", BaseUnit::Millilitre, 236.588_236_5),
    ("qt", BaseUnit::Millilitre, 946.352_946),
    ("gal", BaseUnit::Millilitre, 3_785.411_784),
    ("each", BaseUnit::Each, 1.0),
    ("dozen", BaseUnit::Each, 12.0),
];

/// An item's own unit of purchase: "case" is 24 each, "sack" is 25 kg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseUnit {
    pub name: String,
    /// How much one of it is, in thousandths of the base unit.
    pub quantity: Milli,
}

/// `amount` of `unit` (or of the base unit when `None`) as thousandths of `base`.
pub fn to_milli(amount: f64, unit: Option<&str>, base: BaseUnit, custom: &[PurchaseUnit]) -> Result<Milli, Invalid> {
    if !amount.is_finite() {
        return Err(Invalid::new("quantity", "must be a number"));
    }
    let unit = unit.map(str::trim).filter(|u| !u.is_empty()).unwrap_or(base.as_str());
    let milli = if let Some(p) = custom.iter().find(|p| p.name.eq_ignore_ascii_case(unit)) {
        amount * p.quantity as f64
    } else {
        let lower = unit.to_ascii_lowercase();
        let (_, dim, factor) = STANDARD.iter().find(|(n, _, _)| *n == lower).ok_or_else(|| {
            Invalid::new("unit", format!("'{unit}' is not a unit; use one of {} or this item's own", names_for(base)))
        })?;
        if *dim != base {
            return Err(Invalid::new(
                "unit",
                format!("this item is counted in {base}; '{unit}' does not measure that (use {})", names_for(base)),
            ));
        }
        amount * factor * 1000.0
    };
    if milli.abs() > MAX_AMOUNT * 1000.0 {
        return Err(Invalid::new("quantity", "too large"));
    }
    Ok(milli.round() as Milli)
}

fn names_for(base: BaseUnit) -> String {
    STANDARD.iter().filter(|(_, b, _)| *b == base).map(|(n, _, _)| *n).collect::<Vec<_>>().join(", ")
}

/// Thousandths back to a plain number of base units, for people.
pub fn from_milli(m: Milli) -> f64 {
    m as f64 / 1000.0
}

/// Checks an item's purchase units: named, positive, not a standard unit's name.
pub fn validate_purchase_units(units: &[PurchaseUnit]) -> Result<(), Invalid> {
    for (i, u) in units.iter().enumerate() {
        let name = u.name.trim();
        if name.is_empty() || name.len() > 30 {
            return Err(Invalid::new("purchase_units", format!("unit {} needs a name of 1 to 30 characters", i + 1)));
        }
        if STANDARD.iter().any(|(n, _, _)| n.eq_ignore_ascii_case(name)) {
            return Err(Invalid::new("purchase_units", format!("'{name}' is a standard unit already")));
        }
        if u.quantity <= 0 {
            return Err(Invalid::new("purchase_units", format!("'{name}' must hold more than nothing")));
        }
        if units[..i].iter().any(|o| o.name.eq_ignore_ascii_case(name)) {
            return Err(Invalid::new("purchase_units", format!("'{name}' appears twice")));
        }
    }
    Ok(())
}

/// The average cost per base unit after receiving `received` at `cost`, both per base
/// unit in micro-minor units. Stock at or below zero has no cost to average with.
pub fn average_cost(on_hand: Milli, avg: i64, received: Milli, cost: i64) -> i64 {
    if on_hand <= 0 || received <= 0 {
        return if received > 0 { cost } else { avg };
    }
    let total = i128::from(on_hand) * i128::from(avg) + i128::from(received) * i128::from(cost);
    div_half_up(total, i128::from(on_hand) + i128::from(received)) as i64
}

/// One line of a recipe: a menu item (its base, `option_id: None`) or one of its
/// modifier options consumes `quantity` of an inventory item per portion. An option's
/// quantity may be negative ("no cheese" gives the slice back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipeLine {
    pub inventory_item_id: Uuid,
    pub option_id: Option<Uuid>,
    pub quantity: Milli,
}

/// What `portions` of an item with `chosen` options consume, by inventory item. An
/// option chosen twice counts twice. Nothing below zero: an option cannot give back more
/// than the portion used.
pub fn consumption(recipe: &[RecipeLine], chosen: &[Uuid], portions: i64) -> BTreeMap<Uuid, Milli> {
    let mut per_portion: BTreeMap<Uuid, Milli> = BTreeMap::new();
    for line in recipe.iter().filter(|l| l.option_id.is_none()) {
        *per_portion.entry(line.inventory_item_id).or_default() += line.quantity;
    }
    for option in chosen {
        for line in recipe.iter().filter(|l| l.option_id == Some(*option)) {
            *per_portion.entry(line.inventory_item_id).or_default() += line.quantity;
        }
    }
    per_portion.into_iter().map(|(id, q)| (id, q.max(0).saturating_mul(portions))).filter(|(_, q)| *q != 0).collect()
}

/// Whether stock can make one portion of an item's base recipe; `Err` names the first
/// ingredient that is short.
pub fn can_make(recipe: &[RecipeLine], on_hand: &HashMap<Uuid, Milli>) -> Result<(), Uuid> {
    for line in recipe.iter().filter(|l| l.option_id.is_none() && l.quantity > 0) {
        if on_hand.get(&line.inventory_item_id).copied().unwrap_or(0) < line.quantity {
            return Err(line.inventory_item_id);
        }
    }
    Ok(())
}

/// How much to order to get back to par: nothing at or above par; otherwise the gap,
/// rounded up to whole purchase units when the item has one (returned as their count).
pub fn suggested_order(on_hand: Milli, par: Milli, purchase: Option<&PurchaseUnit>) -> (Milli, Option<i64>) {
    let gap = par - on_hand;
    if gap <= 0 {
        return (0, purchase.map(|_| 0));
    }
    match purchase {
        Some(p) if p.quantity > 0 => {
            let units = (gap + p.quantity - 1) / p.quantity;
            (units * p.quantity, Some(units))
        }
        _ => (gap, None),
    }
}

/// The cost of `quantity` at `cost_micros` per base unit, in minor units, half-up.
pub fn cost_of(quantity: Milli, cost_micros: i64) -> i64 {
    // quantity is in thousandths and cost in millionths: divide by 10^9.
    let v = i128::from(quantity) * i128::from(cost_micros);
    let rounded = div_half_up(v.abs(), 1_000_000_000);
    (if v < 0 { -rounded } else { rounded }) as i64
}

/// Micro-minor units per base unit, from a price in minor units for `quantity` (milli).
pub fn unit_cost_micros(total_minor: i64, quantity: Milli) -> Option<i64> {
    if quantity <= 0 || total_minor < 0 {
        return None;
    }
    Some(div_half_up(i128::from(total_minor) * 1_000_000_000, i128::from(quantity)) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case() -> Vec<PurchaseUnit> {
        vec![PurchaseUnit { name: "case".into(), quantity: 24_000 }]
    }

    #[test]
    fn units_convert_within_their_kind_and_refuse_across() {
        assert_eq!(to_milli(1.5, Some("kg"), BaseUnit::Gram, &[]), Ok(1_500_000));
        assert_eq!(to_milli(250.0, None, BaseUnit::Gram, &[]), Ok(250_000));
        assert_eq!(to_milli(1.0, Some("lb"), BaseUnit::Gram, &[]), Ok(453_592));
        assert_eq!(to_milli(2.0, Some("L"), BaseUnit::Millilitre, &[]), Ok(2_000_000));
        assert_eq!(to_milli(2.0, Some("case"), BaseUnit::Each, &case()), Ok(48_000));
        assert_eq!(to_milli(1.0, Some("dozen"), BaseUnit::Each, &[]), Ok(12_000));
        assert_eq!(to_milli(-3.0, Some("each"), BaseUnit::Each, &[]), Ok(-3_000));
        let e = to_milli(1.0, Some("kg"), BaseUnit::Millilitre, &[]).unwrap_err();
        assert!(e.message.contains("counted in ml"), "{e}");
        assert!(to_milli(1.0, Some("bushel"), BaseUnit::Gram, &[]).is_err());
        assert!(to_milli(f64::NAN, None, BaseUnit::Gram, &[]).is_err());
        assert!(to_milli(1e12, None, BaseUnit::Gram, &[]).is_err());
    }

    #[test]
    fn purchase_units_are_checked() {
        assert!(validate_purchase_units(&case()).is_ok());
        let bad = |name: &str, q: Milli| validate_purchase_units(&[PurchaseUnit { name: name.into(), quantity: q }]);
        assert!(bad("kg", 1000).is_err());
        assert!(bad("", 1000).is_err());
        assert!(bad("case", 0).is_err());
        let twice = vec![case()[0].clone(), PurchaseUnit { name: "CASE".into(), quantity: 12_000 }];
        assert!(validate_purchase_units(&twice).is_err());
    }

    #[test]
    fn average_cost_weights_by_quantity() {
        // 10 at 1.00 and 30 at 2.00 average 1.75.
        assert_eq!(average_cost(10_000, 100_000_000, 30_000, 200_000_000), 175_000_000);
        assert_eq!(average_cost(0, 100_000_000, 5_000, 300_000_000), 300_000_000);
        assert_eq!(average_cost(-2_000, 100_000_000, 5_000, 300_000_000), 300_000_000);
        assert_eq!(average_cost(5_000, 100_000_000, 0, 300_000_000), 100_000_000);
    }

    #[test]
    fn a_recipe_consumes_its_base_and_each_chosen_option() {
        let (patty, bun, cheese) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let (double, no_cheese, extra) = (Uuid::from_u128(10), Uuid::from_u128(11), Uuid::from_u128(12));
        let recipe = vec![
            RecipeLine { inventory_item_id: patty, option_id: None, quantity: 1_000 },
            RecipeLine { inventory_item_id: bun, option_id: None, quantity: 1_000 },
            RecipeLine { inventory_item_id: cheese, option_id: None, quantity: 1_000 },
            RecipeLine { inventory_item_id: patty, option_id: Some(double), quantity: 1_000 },
            RecipeLine { inventory_item_id: cheese, option_id: Some(no_cheese), quantity: -1_000 },
        ];
        let plain = consumption(&recipe, &[], 2);
        assert_eq!(plain.get(&patty), Some(&2_000));
        assert_eq!(plain.get(&cheese), Some(&2_000));
        let double_no_cheese = consumption(&recipe, &[double, no_cheese], 3);
        assert_eq!(double_no_cheese.get(&patty), Some(&6_000));
        assert_eq!(double_no_cheese.get(&bun), Some(&3_000));
        assert_eq!(double_no_cheese.get(&cheese), None, "no cheese consumes none");
        // An option with no recipe consumes nothing more; twice "no cheese" cannot give stock back.
        assert_eq!(consumption(&recipe, &[extra], 1), plain.iter().map(|(k, v)| (*k, v / 2)).collect());
        assert_eq!(consumption(&recipe, &[no_cheese, no_cheese], 1).get(&cheese), None);
    }

    #[test]
    fn stock_can_make_a_portion_or_names_what_is_short() {
        let (patty, bun) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let recipe = vec![
            RecipeLine { inventory_item_id: patty, option_id: None, quantity: 150_000 },
            RecipeLine { inventory_item_id: bun, option_id: None, quantity: 1_000 },
            RecipeLine { inventory_item_id: patty, option_id: Some(Uuid::from_u128(9)), quantity: 150_000 },
        ];
        let stock = HashMap::from([(patty, 150_000), (bun, 1_000)]);
        assert_eq!(can_make(&recipe, &stock), Ok(()), "options do not count toward one plain portion");
        let stock = HashMap::from([(patty, 149_999), (bun, 5_000)]);
        assert_eq!(can_make(&recipe, &stock), Err(patty));
        assert_eq!(can_make(&recipe, &HashMap::from([(patty, 500_000)])), Err(bun));
        assert_eq!(can_make(&[], &HashMap::new()), Ok(()), "no recipe, nothing to run out of");
    }

    #[test]
    fn suggested_orders_round_up_to_purchase_units() {
        let case = &case()[0];
        assert_eq!(suggested_order(10_000, 48_000, Some(case)), (48_000, Some(2)));
        assert_eq!(suggested_order(25_000, 48_000, Some(case)), (24_000, Some(1)));
        assert_eq!(suggested_order(50_000, 48_000, Some(case)), (0, Some(0)));
        assert_eq!(suggested_order(-3_000, 10_000, None), (13_000, None));
    }

    #[test]
    fn costs_are_exact_to_the_minor_unit() {
        // A case of 24 for 24.00: 1.00 (100 cents) each.
        let each = unit_cost_micros(2_400, 24_000).unwrap();
        assert_eq!(each, 100_000_000);
        assert_eq!(cost_of(3_000, each), 300);
        // 1 kg for 12.00: 150 g cost 1.80.
        let gram = unit_cost_micros(1_200, 1_000_000).unwrap();
        assert_eq!(cost_of(150_000, gram), 180);
        assert_eq!(cost_of(-150_000, gram), -180);
        assert_eq!(unit_cost_micros(100, 0), None);
    }
}
