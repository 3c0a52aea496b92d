//! Brigade's rules, with no I/O and no async.
//!
//! Everything a request body becomes once it passes the edge lives here as a type that
//! cannot hold an invalid value (`Email`, `Password`, `Pin`, `Role`, `Permission`), along
//! with the rules that decide who may do what and how tokens are made and checked. The
//! store and the server depend on this crate; it depends on neither.

pub mod auth;
pub mod caps;
pub mod credentials;
pub mod ids;
pub mod integration;
pub mod inventory;
pub mod labour;
pub mod menu;
pub mod money;
pub mod order;
pub mod qr;
pub mod restaurant;
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
