//! The kitchen display's tickets: one per order and station, open until a cook bumps it.

use crate::Invalid;
use serde::Serialize;
use std::str::FromStr;

/// Where a ticket is: on the line (`open`) or done (`bumped`; recall reopens it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Bumped,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 2] = [TicketStatus::Open, TicketStatus::Bumped];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Bumped => "bumped",
        }
    }
}

impl FromStr for TicketStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        TicketStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Invalid::new("status", format!("'{s}' is not a ticket status; use open or bumped")))
    }
}

/// Which tickets a screen asks for: open ones (the default), bumped ones, or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WhichTickets {
    #[default]
    Open,
    Bumped,
    All,
}

impl WhichTickets {
    /// The one status asked for, or none for all.
    pub fn status(self) -> Option<TicketStatus> {
        match self {
            WhichTickets::Open => Some(TicketStatus::Open),
            WhichTickets::Bumped => Some(TicketStatus::Bumped),
            WhichTickets::All => None,
        }
    }
}

impl FromStr for WhichTickets {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        match s {
            "all" => Ok(WhichTickets::All),
            _ => match s.parse::<TicketStatus>() {
                Ok(TicketStatus::Open) => Ok(WhichTickets::Open),
                Ok(TicketStatus::Bumped) => Ok(WhichTickets::Bumped),
                Err(_) => Err(Invalid::new("status", format!("'{s}' is not open, bumped or all"))),
            },
        }
    }
}
