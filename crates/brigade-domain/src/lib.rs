//! Brigade's rules, with no I/O and no async.
//!
//! Everything a request body becomes once it passes the edge lives here as a type that
//! cannot hold an invalid value (`Email`, `Password`, `Pin`, `Role`, `Permission`), along
//! with the rules that decide who may do what and how tokens are made and checked. The
//! store and the server depend on this crate; it depends on neither.

pub mod analytics;
pub mod auth;
pub mod caps;
pub mod credentials;
pub mod customer;
pub mod hours;
pub mod ids;
pub mod integration;
pub mod inventory;
pub mod kds;
pub mod labour;
pub mod language;
pub mod menu;
pub mod money;
pub mod order;
pub mod payments;
pub mod promotion;
pub mod qr;
pub mod restaurant;
pub mod tables;
pub mod tasks;
pub mod token;
pub mod when;

pub use ids::*;

/// A value that failed to parse at the edge: which field, and what is wrong with it in
/// words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Invalid { field, message: message.into() }
    }
}

/// Reads a type from its text through its `FromStr` (from JSON, and from a stored column), so a wrong value gets the same words
/// whether it came in JSON, a query string or a form ("'dine-in' is not an order type;
/// use dine_in, takeout or delivery"), and the field is named by where it was found.
macro_rules! deserialize_from_str {
    ($($t:ty),+) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(|e: $crate::Invalid| serde::de::Error::custom(e.message))
            }
        }

        /// Read back from a stored column (`#[sqlx(try_from = "String")]`).
        impl TryFrom<String> for $t {
            type Error = $crate::Invalid;
            fn try_from(text: String) -> Result<Self, $crate::Invalid> {
                text.parse()
            }
        }
    )+};
}

deserialize_from_str!(
    menu::Channel,
    order::OrderType,
    order::OrderStatus,
    kds::TicketStatus,
    kds::WhichTickets,
    tables::TableStatus,
    tasks::TaskStatus,
    payments::Method,
    analytics::GroupBy
);
