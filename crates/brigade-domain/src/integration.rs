//! Integrations: which platforms Brigade talks to, and how their messages are signed.
//!
//! Signatures are checked here, without I/O, so each scheme is tested on its own:
//! - Uber Eats signs a webhook's raw body with HMAC-SHA256 under the app's client secret,
//!   sent as lowercase hex in `X-Uber-Signature`.
//! - Stripe sends `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, the HMAC-SHA256 of
//!   `"{t}.{body}"` under the endpoint's signing secret; a timestamp outside the tolerance
//!   is refused, which is what stops a recorded request from being replayed later.
//! - Brigade signs its own outgoing webhooks the same way as Stripe, in
//!   `Brigade-Signature`, so a receiver can reuse what it knows.

use crate::menu::Channel;
use crate::Invalid;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Ubereats,
    Doordash,
    Grubhub,
    Square,
}

impl Platform {
    pub const ALL: [Platform; 4] = [Platform::Ubereats, Platform::Doordash, Platform::Grubhub, Platform::Square];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ubereats => "ubereats",
            Platform::Doordash => "doordash",
            Platform::Grubhub => "grubhub",
            Platform::Square => "square",
        }
    }

    /// What a person calls it.
    pub fn title(self) -> &'static str {
        match self {
            Platform::Ubereats => "Uber Eats",
            Platform::Doordash => "DoorDash",
            Platform::Grubhub => "Grubhub",
            Platform::Square => "Square",
        }
    }

    /// The channel its orders come in on, and whose 86s and prices it shows.
    pub fn channel(self) -> Channel {
        match self {
            Platform::Ubereats => Channel::Ubereats,
            Platform::Doordash => Channel::Doordash,
            Platform::Grubhub => Channel::Grubhub,
            Platform::Square => Channel::Pos,
        }
    }

    pub fn parse(field: &'static str, s: &str) -> Result<Platform, Invalid> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Platform::ALL.iter().map(|p| p.as_str()).collect();
            Invalid::new(field, format!("unknown platform '{s}'; use one of {}", names.join(", ")))
        })
    }
}

/// How a connected integration is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Pushes go through.
    Active,
    /// A change could not be delivered after every retry; someone has a task to do it by hand.
    Degraded,
    /// The last connection test (or push) was refused: wrong credentials or store.
    Error,
    /// A person stopped pushes to it.
    Paused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Degraded => "degraded",
            Status::Error => "error",
            Status::Paused => "paused",
        }
    }
}

fn mac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut m = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

fn hex_eq(expected: &[u8; 32], given_hex: &str) -> bool {
    let given = given_hex.trim();
    if given.len() != 64 {
        return false;
    }
    let mut raw = [0u8; 32];
    for (i, chunk) in given.as_bytes().chunks(2).enumerate() {
        let Ok(s) = std::str::from_utf8(chunk) else { return false };
        let Ok(b) = u8::from_str_radix(s, 16) else { return false };
        raw[i] = b;
    }
    bool::from(expected.ct_eq(&raw))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `X-Uber-Signature` for `body` under the client secret.
pub fn uber_signature(secret: &str, body: &[u8]) -> String {
    to_hex(&mac(secret.as_bytes(), &[body]))
}

pub fn verify_uber(secret: &str, body: &[u8], header: &str) -> bool {
    hex_eq(&mac(secret.as_bytes(), &[body]), &header.to_ascii_lowercase())
}

/// Why a timestamped signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the signature is {0} s away from now, outside the tolerance; a replayed request?")]
    Stale(i64),
}

/// `t=<unix>,v1=<hex>`: the timestamped signature Stripe sends and Brigade sends.
pub fn timestamped_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", to_hex(&mac(secret.as_bytes(), &[t.as_bytes(), b".", body])))
}

/// Checks a `t=…,v1=…` header: one of its `v1` signatures must match and its timestamp
/// must be within `tolerance_secs` of `now` (either way). Returns the timestamp.
pub fn verify_timestamped(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = mac(secret.as_bytes(), &[t.to_string().as_bytes(), b".", body]);
    if !signatures.iter().any(|s| hex_eq(&expected, s)) {
        return Err(SignatureError::Mismatch);
    }
    if (now - t).abs() > tolerance_secs {
        return Err(SignatureError::Stale(now - t));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_name_their_channel() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse("platform", p.as_str()), Ok(p));
        }
        assert_eq!(Platform::Ubereats.channel(), Channel::Ubereats);
        let e = Platform::parse("platform", "justeat").unwrap_err();
        assert!(e.message.contains("ubereats"), "{e}");
    }

    #[test]
    fn uber_signatures_hold_only_for_the_same_body_and_secret() {
        let body = br#"{"event_id":"e1"}"#;
        let sig = uber_signature("secret", body);
        assert_eq!(sig.len(), 64);
        assert!(verify_uber("secret", body, &sig));
        assert!(verify_uber("secret", body, &sig.to_uppercase()));
        assert!(!verify_uber("other", body, &sig));
        assert!(!verify_uber("secret", br#"{"event_id":"e2"}"#, &sig));
        assert!(!verify_uber("secret", body, "zz"));
        assert!(!verify_uber("secret", body, ""));
    }

    #[test]
    fn timestamped_signatures_refuse_forgeries_and_replays() {
        let body = b"{}";
        let header = timestamped_signature("whsec", 1_000, body);
        assert_eq!(verify_timestamped("whsec", &header, body, 1_100, 300), Ok(1_000));
        // A second v1 (during a secret roll) may be the one that matches.
        let rolled = format!("t=1000,v1={},v1={}", "0".repeat(64), &header[header.len() - 64..]);
        assert_eq!(verify_timestamped("whsec", &rolled, body, 1_000, 300), Ok(1_000));
        assert_eq!(verify_timestamped("whsec", &header, body, 1_400, 300), Err(SignatureError::Stale(400)));
        assert_eq!(verify_timestamped("other", &header, body, 1_000, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify_timestamped("whsec", &header, b"{ }", 1_000, 300), Err(SignatureError::Mismatch));
        // Moving the timestamp breaks the signature.
        let moved = header.replace("t=1000", "t=1390");
        assert_eq!(verify_timestamped("whsec", &moved, body, 1_400, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify_timestamped("whsec", "v1=abc", body, 1_000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify_timestamped("whsec", "t=1000", body, 1_000, 300), Err(SignatureError::Malformed));
    }
}
