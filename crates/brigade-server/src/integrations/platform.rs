//! What every platform adapter does, behind one trait, and the HTTP plumbing they share:
//! a token bucket per integration, `Retry-After`, and one reading of a response's status.

use brigade_domain::integration::Platform as PlatformKind;
use brigade_domain::menu::ModifierGroup;
use brigade_domain::order::OrderType;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;
use std::time::{Duration, Instant};

/// What Brigade wants a platform to show for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemState {
    /// Brigade's item id: the id the platform knows the item by (its "external id").
    pub id: String,
    pub name: String,
    /// Minor units (cents) in the restaurant's currency; the platform's own price.
    pub price: i64,
    /// Sold there now (not 86'd for this channel).
    pub available: bool,
    /// When an 86 with an end lifts by itself.
    pub suspended_until: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

/// What a platform shows for one item, read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeenItem {
    pub id: String,
    pub price: i64,
    pub available: bool,
}

/// A whole menu as the platform gets it.
#[derive(Debug, Clone, Serialize)]
pub struct MenuState {
    pub currency: String,
    pub categories: Vec<MenuCategory>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MenuCategory {
    pub id: String,
    pub name: String,
    pub items: Vec<MenuItemState>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MenuItemState {
    #[serde(flatten)]
    pub state: ItemState,
    pub description: Option<String>,
    /// The item's choices ("Patty", "Extras"), as Brigade's menu has them: an option
    /// that cannot be chosen now is inactive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifier_groups: Vec<ModifierGroup>,
}

/// A trimmed, non-empty string at a JSON pointer: how every adapter reads what a
/// platform sent.
pub fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// How a call to a platform failed; the sync engine decides from this what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// 429: wait this long (its `Retry-After`), then go on. Not a failure of the change.
    #[error("rate limited by the platform; retry after {0:?}")]
    RateLimited(Duration),
    /// 5xx, a timeout, no connection: the platform is (for now) not there.
    #[error("the platform is unavailable: {0}")]
    Unavailable(String),
    /// 401/403: our credentials were refused.
    #[error("the platform refused our credentials: {0}")]
    Unauthorized(String),
    /// Another 4xx: the platform will not take this change as it is.
    #[error("the platform rejected the request: {0}")]
    Rejected(String),
    /// The push was answered but reading back shows something else.
    #[error("verification failed: {0}")]
    Mismatch(String),
}

/// An order as a platform holds it, before it is mapped onto Brigade's menu.
#[derive(Debug, Clone)]
pub struct PlatformOrder {
    /// The platform's id for it (what accept and deny name).
    pub id: String,
    /// What the courier and guest call it ("BC953").
    pub display_id: Option<String>,
    pub kind: OrderType,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub lines: Vec<PlatformLine>,
    pub special_instructions: Option<String>,
    /// What the guest paid the platform, in minor units, when it says.
    pub total: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct PlatformLine {
    /// The id we gave the item on the platform: Brigade's item id.
    pub external_id: Option<String>,
    pub title: String,
    pub quantity: i64,
    /// The options chosen on the platform.
    pub options: Vec<ChosenOption>,
    /// The guest's note for the kitchen.
    pub notes: Option<String>,
}

/// An option a guest chose on a platform ("Double", twice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChosenOption {
    /// The id we gave the option on the platform: Brigade's option id.
    pub external_id: Option<String>,
    pub title: String,
    pub quantity: i64,
}

/// What a webhook from a platform says happened.
#[derive(Debug, Clone)]
pub enum WebhookKind {
    /// A new order: its id, and the order itself when the webhook carries it (otherwise
    /// it is read with `Adapter::order`).
    OrderPlaced { order_id: String, order: Option<Box<PlatformOrder>> },
    /// An order taken there was paid there (a POS payment).
    Paid { order_id: String },
    /// The guest or the platform cancelled an order.
    OrderCancelled { order_id: String, reason: Option<String> },
    /// Something Brigade does not act on (logged as ignored).
    Other,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    /// The platform's id for this delivery of the event: the same event sent again has
    /// the same id, so it is acted on once.
    pub event_id: String,
    pub event_type: String,
    pub kind: WebhookKind,
}

/// Why a webhook was refused before anything was read from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("unsigned: no signature header")]
    Unsigned,
    #[error("forged: the signature does not match")]
    Forged,
    #[error("{0}")]
    Stale(String),
    #[error("this platform does not send webhooks to Brigade")]
    Unsupported,
}

fn unsupported<T: Send + 'static>(what: &'static str) -> BoxFuture<'static, Result<T, PlatformError>> {
    Box::pin(async move { Err(PlatformError::Rejected(format!("this platform does not support {what}"))) })
}

/// What a platform with no menu (a payment provider, a phone line) answers to a menu
/// call: `why` ("Stripe takes payments, not menus").
pub fn no_menu<'a, T: Send + 'a>(why: &'static str) -> BoxFuture<'a, Result<T, PlatformError>> {
    Box::pin(async move { Err(PlatformError::Rejected(why.into())) })
}

/// One connected store on one platform. Every method is one or a few API calls.
pub trait Adapter: Send + Sync {
    fn kind(&self) -> PlatformKind;

    /// Checks credentials and store for real; a line saying what the platform answered.
    fn test(&self) -> BoxFuture<'_, Result<String, PlatformError>>;

    /// Sets one item's availability and price. Returns what was sent.
    fn push_item<'a>(&'a self, item: &'a ItemState) -> BoxFuture<'a, Result<Value, PlatformError>>;

    /// Replaces the whole menu. Returns what was sent.
    fn push_menu<'a>(&'a self, menu: &'a MenuState) -> BoxFuture<'a, Result<Value, PlatformError>>;

    /// The platform's view of every item it lists.
    fn read_menu(&self) -> BoxFuture<'_, Result<Vec<SeenItem>, PlatformError>>;

    /// Whether `read_menu` works: a platform that shows nothing back has its pushes
    /// acknowledged, not verified, and no drift check.
    fn reads_back(&self) -> bool {
        true
    }

    /// Checks a webhook's signature against the raw body. `now` in Unix seconds.
    fn verify_webhook(&self, _headers: &axum::http::HeaderMap, _body: &[u8], _now: i64) -> Result<(), Refusal> {
        Err(Refusal::Unsupported)
    }

    /// Reads a verified webhook.
    fn parse_webhook(&self, _body: &[u8]) -> Result<Webhook, String> {
        Err("this platform does not send webhooks to Brigade".into())
    }

    /// Reads one order.
    fn order<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<PlatformOrder, PlatformError>> {
        unsupported("reading orders")
    }

    /// Tells the platform the restaurant took the order.
    fn accept_order<'a>(&'a self, _id: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        unsupported("accepting orders")
    }

    /// Pauses the store on the platform (no orders) or opens it again.
    fn set_store_open<'a>(&'a self, _open: bool, _why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        unsupported("pausing the store")
    }

    /// Tells the platform the restaurant cannot take the order, and why.
    fn deny_order<'a>(&'a self, _id: &'a str, _why: &'a str) -> BoxFuture<'a, Result<(), PlatformError>> {
        unsupported("denying orders")
    }
}

/// A platform's bearer token and when to stop using it, shared by the adapters of one
/// integration in this process.
pub type TokenCache = std::sync::Arc<Mutex<Option<(String, Instant)>>>;

/// A token bucket: `rate` calls per second, bursts of `burst`. Callers wait their turn.
pub struct Throttle {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Throttle {
    pub fn new(rate: f64, burst: f64) -> Throttle {
        let rate = rate.max(0.01);
        let burst = burst.max(1.0);
        Throttle { rate, burst, state: Mutex::new((burst, Instant::now())) }
    }

    /// Takes a token, or says how long until one is free (and reserves it).
    fn reserve(&self) -> Duration {
        let mut s = self.state.lock();
        let now = Instant::now();
        let tokens = (s.0 + now.duration_since(s.1).as_secs_f64() * self.rate).min(self.burst);
        *s = (tokens - 1.0, now);
        if tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - tokens) / self.rate)
        }
    }

    pub async fn acquire(&self) {
        let wait = self.reserve();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The longest `Retry-After` we honour; a longer one is clamped (and retried then).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Reads `Retry-After` (seconds, or an HTTP date); 5 seconds when absent or unreadable.
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: DateTime<Utc>) -> Duration {
    let Some(v) = headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()) else {
        return Duration::from_secs(5);
    };
    let v = v.trim();
    let d = if let Ok(secs) = v.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(at) = DateTime::parse_from_rfc2822(v) {
        (at.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO)
    } else {
        Duration::from_secs(5)
    };
    d.min(MAX_RETRY_AFTER)
}

/// Sends a request after taking a token, and sorts the answer: success gives the body as
/// JSON (null when empty), anything else a `PlatformError`.
pub async fn call(throttle: &Throttle, req: reqwest::RequestBuilder) -> Result<Value, PlatformError> {
    throttle.acquire().await;
    let res = req.send().await.map_err(|e| PlatformError::Unavailable(describe(&e)))?;
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.map_err(|e| PlatformError::Unavailable(describe(&e)))?;
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text)
            .map_err(|e| PlatformError::Unavailable(format!("answered {status} with a body that is not JSON: {e}")));
    }
    let what = format!("{status}: {}", snippet(&text));
    Err(match status.as_u16() {
        429 => PlatformError::RateLimited(retry_after(&headers, Utc::now())),
        401 | 403 => PlatformError::Unauthorized(what),
        408 | 425 => PlatformError::Unavailable(what),
        s if s >= 500 => PlatformError::Unavailable(what),
        _ => PlatformError::Rejected(what),
    })
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        e.to_string()
    }
}

/// The start of an error body, on one line, for logs and the sync job.
fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 200 {
        one_line.chars().take(200).collect::<String>() + "…"
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z").unwrap().with_timezone(&Utc);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), Duration::from_secs(5));
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Duration::from_secs(7));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Mon, 23 Nov 2026 12:00:30 GMT"));
        assert_eq!(retry_after(&h, now), Duration::from_secs(30));
        h.insert(RETRY_AFTER, HeaderValue::from_static("999999"));
        assert_eq!(retry_after(&h, now), MAX_RETRY_AFTER);
    }

    #[tokio::test]
    async fn throttle_allows_a_burst_then_paces() {
        let t = Throttle::new(100.0, 3.0);
        for _ in 0..3 {
            assert_eq!(t.reserve(), Duration::ZERO);
        }
        let wait = t.reserve();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(10), "{wait:?}");
        let next = t.reserve();
        assert!(next > wait, "each caller waits behind the last: {next:?}");
    }
}
