//! Rate limits, kept in memory per node.
//!
//! - Every request: a token bucket per client IP (and one per API key, checked when the
//!   key is authenticated): `rate` per second with bursts of four times that.
//! - Sign-in failures: a sliding window of 15 minutes per account and per IP. Once either
//!   is full, sign-in answers 429 with `Retry-After` until the oldest failure leaves the
//!   window, even with the right password, so guessing gains nothing.
//!
//! Time comes from the app's clock, so tests move it instead of sleeping. With several
//! nodes each keeps its own counts; the limits are per node, which is the usual trade for
//! not putting a network round trip on every request.

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use uuid::Uuid;

const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Past this many tracked clients, full buckets and empty windows are dropped.
const PRUNE_AT: usize = 10_000;

pub struct Limits {
    ip_rate: u32,
    key_rate: u32,
    account_failures: u32,
    ip_failures: u32,
    ip_buckets: Mutex<HashMap<IpAddr, Bucket>>,
    key_buckets: Mutex<HashMap<Uuid, Bucket>>,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Limits {
    pub fn new(ip_rate: u32, key_rate: u32, account_failures: u32, ip_failures: u32) -> Limits {
        Limits {
            ip_rate,
            key_rate,
            account_failures,
            ip_failures,
            ip_buckets: Mutex::default(),
            key_buckets: Mutex::default(),
            failures: Mutex::default(),
        }
    }

    /// Takes one request from the IP's bucket; `Err(seconds)` when it is empty.
    pub fn check_ip(&self, ip: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        take(&mut self.ip_buckets.lock(), ip, self.ip_rate, now)
    }

    pub fn check_key(&self, key: Uuid, now: DateTime<Utc>) -> Result<(), u64> {
        take(&mut self.key_buckets.lock(), key, self.key_rate, now)
    }

    /// Whether sign-in may be tried for this account from this IP; `Err(seconds)` to wait.
    pub fn login_allowed(&self, account: &str, ip: IpAddr, now: DateTime<Utc>) -> Result<(), u64> {
        let mut failures = self.failures.lock();
        let wait_account = wait(&mut failures, &account_key(account), self.account_failures, now);
        let wait_ip = wait(&mut failures, &ip_key(ip), self.ip_failures, now);
        match wait_account.max(wait_ip) {
            0 => Ok(()),
            secs => Err(secs),
        }
    }

    pub fn login_failed(&self, account: &str, ip: IpAddr, now: DateTime<Utc>) {
        let mut failures = self.failures.lock();
        if failures.len() > PRUNE_AT {
            let cutoff = now - Duration::seconds(LOGIN_WINDOW_SECS);
            failures.retain(|_, w| w.back().is_some_and(|t| *t > cutoff));
        }
        failures.entry(account_key(account)).or_default().push_back(now);
        failures.entry(ip_key(ip)).or_default().push_back(now);
    }

    /// A successful sign-in clears the account's failures (not the IP's).
    pub fn login_succeeded(&self, account: &str) {
        self.failures.lock().remove(&account_key(account));
    }
}

fn account_key(account: &str) -> String {
    format!("account:{account}")
}

fn ip_key(ip: IpAddr) -> String {
    format!("ip:{ip}")
}

/// Seconds until one more failure fits in the window (0: it fits now).
fn wait(failures: &mut HashMap<String, VecDeque<DateTime<Utc>>>, key: &str, limit: u32, now: DateTime<Utc>) -> u64 {
    let Some(window) = failures.get_mut(key) else { return 0 };
    let cutoff = now - Duration::seconds(LOGIN_WINDOW_SECS);
    while window.front().is_some_and(|t| *t <= cutoff) {
        window.pop_front();
    }
    if (window.len() as u32) < limit {
        return 0;
    }
    let oldest = window.front().copied().unwrap_or(now);
    let until = oldest + Duration::seconds(LOGIN_WINDOW_SECS) - now;
    until.num_seconds().max(1) as u64
}

fn take<K: std::hash::Hash + Eq + Copy>(
    buckets: &mut HashMap<K, Bucket>,
    key: K,
    rate: u32,
    now: DateTime<Utc>,
) -> Result<(), u64> {
    if rate == 0 {
        return Ok(());
    }
    let rate = f64::from(rate);
    let burst = rate * 4.0;
    if buckets.len() > PRUNE_AT {
        buckets.retain(|_, b| b.tokens + elapsed(b.at, now) * rate < burst);
    }
    let b = buckets.entry(key).or_insert(Bucket { tokens: burst, at: now });
    b.tokens = (b.tokens + elapsed(b.at, now) * rate).min(burst);
    b.at = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        Ok(())
    } else {
        Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
    }
}

fn elapsed(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    ((to - from).num_microseconds().unwrap_or(0).max(0) as f64) / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    #[test]
    fn bucket_allows_a_burst_then_refills() {
        let l = Limits::new(2, 0, 5, 30);
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..8 {
            assert!(l.check_ip(ip, t0()).is_ok());
        }
        assert_eq!(l.check_ip(ip, t0()), Err(1));
        assert!(l.check_ip(ip, t0() + Duration::milliseconds(500)).is_ok());
        // A limit of 0 is off.
        assert!(l.check_key(Uuid::nil(), t0()).is_ok());
    }

    #[test]
    fn login_window_locks_then_releases() {
        let l = Limits::new(0, 0, 3, 100);
        let ip: IpAddr = [10, 0, 0, 2].into();
        for i in 0..3 {
            assert!(l.login_allowed("a@x.io", ip, t0() + Duration::seconds(i)).is_ok());
            l.login_failed("a@x.io", ip, t0() + Duration::seconds(i));
        }
        assert_eq!(l.login_allowed("a@x.io", ip, t0() + Duration::seconds(10)), Err(890));
        assert!(l.login_allowed("b@x.io", ip, t0() + Duration::seconds(10)).is_ok());
        assert!(l.login_allowed("a@x.io", ip, t0() + Duration::seconds(901)).is_ok());
        l.login_succeeded("a@x.io");
        assert!(l.login_allowed("a@x.io", ip, t0() + Duration::seconds(11)).is_ok());
    }
}
