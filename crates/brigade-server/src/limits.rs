//! Rate limits, kept in memory per node.
//!
//! - Every request: a token bucket per client IP (and one per API key, checked when the
//!   key is authenticated): `rate` per second with bursts of four times that.
//! - Sign-in failures, counted over 15 minutes per account and per IP. The first few are
//!   free (5 per account, 30 per IP by default); after that each further try waits twice
//!   as long as the one before, from the last failure: 1 s, 2 s, 4 s… up to 15 minutes
//!   for an account and one minute for an IP (many people may share one address behind a
//!   proxy). Meanwhile sign-in answers 429 with `Retry-After`. Guessing slows to a crawl,
//!   but nobody can keep an owner out by failing on purpose: the right password from a
//!   device that signed in to that account before passes the wait (`accounts`).
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
/// The longest wait an account's failures impose, and an IP's.
const ACCOUNT_MAX_WAIT_SECS: i64 = 15 * 60;
const IP_MAX_WAIT_SECS: i64 = 60;
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
    /// Refused webhooks: a bucket per source address for writing them to the log, and
    /// how many of each integration's went uncounted since its last write.
    refusal_buckets: Mutex<HashMap<IpAddr, Bucket>>,
    unlogged_refusals: Mutex<HashMap<Uuid, i64>>,
}

/// Refused webhooks a source may log: one a second, in bursts of four.
const REFUSALS_PER_SEC: u32 = 1;

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
            refusal_buckets: Mutex::default(),
            unlogged_refusals: Mutex::default(),
        }
    }

    /// A webhook to `integration` from `ip` was refused: `Some(n)` when it should be
    /// logged, counting `n` refusals (this one and those not logged since); `None` when
    /// this source is refused too often to log each one (it is counted at the next write).
    pub fn refusal_to_log(&self, integration: Uuid, ip: IpAddr, now: DateTime<Utc>) -> Option<i64> {
        let allowed = take(&mut self.refusal_buckets.lock(), ip, REFUSALS_PER_SEC, now).is_ok();
        let mut unlogged = self.unlogged_refusals.lock();
        if allowed {
            Some(unlogged.remove(&integration).unwrap_or(0) + 1)
        } else {
            if unlogged.len() > PRUNE_AT {
                unlogged.clear();
            }
            *unlogged.entry(integration).or_default() += 1;
            None
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
        let wait_account =
            wait(&mut failures, &account_key(account), self.account_failures, ACCOUNT_MAX_WAIT_SECS, now);
        let wait_ip = wait(&mut failures, &ip_key(ip), self.ip_failures, IP_MAX_WAIT_SECS, now);
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

    /// Whether a PIN may be tried on `account` (a restaurant's approvals): the same
    /// back-off as sign-in, counted per account only, for it is asked by a signed-in
    /// device rather than from an address.
    pub fn pin_allowed(&self, account: &str, now: DateTime<Utc>) -> Result<(), u64> {
        match wait(&mut self.failures.lock(), &account_key(account), self.account_failures, ACCOUNT_MAX_WAIT_SECS, now)
        {
            0 => Ok(()),
            secs => Err(secs),
        }
    }

    pub fn pin_failed(&self, account: &str, now: DateTime<Utc>) {
        self.failures.lock().entry(account_key(account)).or_default().push_back(now);
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

/// Seconds to wait before the next try (0: now). Past `free` failures in the window, the
/// wait after the last one doubles with each further failure, up to `max_secs`.
fn wait(
    failures: &mut HashMap<String, VecDeque<DateTime<Utc>>>,
    key: &str,
    free: u32,
    max_secs: i64,
    now: DateTime<Utc>,
) -> u64 {
    let Some(window) = failures.get_mut(key) else { return 0 };
    let cutoff = now - Duration::seconds(LOGIN_WINDOW_SECS);
    while window.front().is_some_and(|t| *t <= cutoff) {
        window.pop_front();
    }
    let n = window.len() as u32;
    if n < free {
        return 0;
    }
    let doublings = (n - free).min(30);
    let delay = (1i64 << doublings).min(max_secs);
    let last = window.back().copied().unwrap_or(now);
    let left = (last + Duration::seconds(delay) - now).num_seconds();
    left.max(0) as u64
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
    fn failures_past_the_free_ones_double_the_wait_up_to_a_cap() {
        let l = Limits::new(0, 0, 3, 100);
        let ip: IpAddr = [10, 0, 0, 2].into();
        let mut at = t0();
        for _ in 0..3 {
            assert!(l.login_allowed("a@x.io", ip, at).is_ok());
            l.login_failed("a@x.io", ip, at);
        }
        // The 4th try waits 1 s, then 2, 4, 8…
        let mut waits = Vec::new();
        for _ in 0..6 {
            let w = l.login_allowed("a@x.io", ip, at).unwrap_err();
            waits.push(w);
            at += Duration::seconds(w as i64);
            assert!(l.login_allowed("a@x.io", ip, at).is_ok());
            l.login_failed("a@x.io", ip, at);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 32]);
        assert!(l.login_allowed("b@x.io", ip, at).is_ok(), "another account is not slowed");
        // Never more than the cap, and the window forgets.
        for _ in 0..20 {
            l.login_failed("a@x.io", ip, at);
        }
        assert_eq!(l.login_allowed("a@x.io", ip, at), Err(900));
        l.login_succeeded("a@x.io");
        assert!(l.login_allowed("a@x.io", ip, at).is_ok());
    }

    #[test]
    fn an_address_is_slowed_for_a_minute_at_most() {
        let l = Limits::new(0, 0, 100, 4);
        let ip: IpAddr = [10, 0, 0, 3].into();
        for i in 0..40 {
            l.login_failed(&format!("guess{i}@x.io"), ip, t0());
        }
        assert_eq!(l.login_allowed("owner@x.io", ip, t0()), Err(60));
        assert!(l.login_allowed("owner@x.io", ip, t0() + Duration::seconds(60)).is_ok());
    }
}
