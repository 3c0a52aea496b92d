//! The clock handlers read time from. Production uses the system clock; tests use a manual
//! one they move forward, so expiry and backoff are tested without sleeping.

use chrono::{DateTime, SubsecRound, Utc};
use parking_lot::Mutex;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock::Manual(Arc::new(Mutex::new(start)))
    }

    /// Now, to the microsecond: what both databases store, so a time in a response
    /// equals the one read back later.
    pub fn now(&self) -> DateTime<Utc> {
        let t = match self {
            Clock::System => Utc::now(),
            Clock::Manual(t) => *t.lock(),
        };
        t.trunc_subsecs(6)
    }

    /// Sets a manual clock to `at` (tests of particular dates); the system clock is left be.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Clock::Manual(t) = self {
            *t.lock() = at;
        }
    }

    /// Moves a manual clock forward; the system clock moves by itself.
    pub fn advance(&self, by: chrono::Duration) {
        if let Clock::Manual(t) = self {
            *t.lock() += by;
        }
    }
}
