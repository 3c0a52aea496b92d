//! Newtype ids, so that an order id cannot be passed where a restaurant id is expected.
//! Every id is a UUID v7: time-ordered, so new rows land at the end of an index.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }
    )*};
}

id_type!(
    RestaurantId,
    UserId,
    ApiKeyId,
    SessionId,
    JobId,
    ItemId,
    CategoryId,
    OrderId,
    StationId,
    TicketId,
    TableId,
    StockItemId,
);
