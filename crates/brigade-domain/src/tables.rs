//! Dining tables on the floor.

use crate::Invalid;
use serde::Serialize;
use std::str::FromStr;

/// Where a table stands on the floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    Available,
    Occupied,
    Reserved,
    OutOfService,
}

impl TableStatus {
    pub const ALL: [TableStatus; 4] =
        [TableStatus::Available, TableStatus::Occupied, TableStatus::Reserved, TableStatus::OutOfService];

    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Available => "available",
            TableStatus::Occupied => "occupied",
            TableStatus::Reserved => "reserved",
            TableStatus::OutOfService => "out_of_service",
        }
    }
}

impl FromStr for TableStatus {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        TableStatus::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            Invalid::new(
                "status",
                format!("'{s}' is not a table status; use available, occupied, reserved or out_of_service"),
            )
        })
    }
}
