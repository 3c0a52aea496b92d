//! Dining tables on the floor.

use crate::order::OrderStatus;
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

/// Where a table stands on the floor now: its own status, unless a check is open on it,
/// which then tells how far the table's meal has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorStatus {
    Available,
    Occupied,
    Reserved,
    OutOfService,
    /// A check is open and nothing of it is being cooked yet.
    Ordered,
    /// The kitchen has it.
    WaitingForFood,
    /// The food is out; the check is not paid.
    Served,
    /// Part of the check is paid, or the meal is done and the bill is due.
    Paying,
}

impl FloorStatus {
    pub const ALL: [FloorStatus; 8] = [
        FloorStatus::Available,
        FloorStatus::Occupied,
        FloorStatus::Reserved,
        FloorStatus::OutOfService,
        FloorStatus::Ordered,
        FloorStatus::WaitingForFood,
        FloorStatus::Served,
        FloorStatus::Paying,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FloorStatus::Available => "available",
            FloorStatus::Occupied => "occupied",
            FloorStatus::Reserved => "reserved",
            FloorStatus::OutOfService => "out_of_service",
            FloorStatus::Ordered => "ordered",
            FloorStatus::WaitingForFood => "waiting_for_food",
            FloorStatus::Served => "served",
            FloorStatus::Paying => "paying",
        }
    }

    /// A table's status with its open check (the order's status and whether any of it
    /// is paid), if it has one.
    pub fn of(stored: TableStatus, check: Option<(OrderStatus, bool)>) -> FloorStatus {
        match check {
            None => match stored {
                TableStatus::Available => FloorStatus::Available,
                TableStatus::Occupied => FloorStatus::Occupied,
                TableStatus::Reserved => FloorStatus::Reserved,
                TableStatus::OutOfService => FloorStatus::OutOfService,
            },
            Some((_, true)) | Some((OrderStatus::Completed, _)) => FloorStatus::Paying,
            Some((OrderStatus::Received, _)) => FloorStatus::Ordered,
            Some((OrderStatus::Ready, _)) => FloorStatus::Served,
            Some(_) => FloorStatus::WaitingForFood,
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
