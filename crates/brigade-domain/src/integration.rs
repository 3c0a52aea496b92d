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
    /// Card payments for web and QR orders (Stripe Checkout); no menu, no orders.
    Stripe,
    /// Text messages to guests from the restaurant's number (and, later, its calls).
    Twilio,
}

impl Platform {
    pub const ALL: [Platform; 6] = [
        Platform::Ubereats,
        Platform::Doordash,
        Platform::Grubhub,
        Platform::Square,
        Platform::Stripe,
        Platform::Twilio,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Ubereats => "ubereats",
            Platform::Doordash => "doordash",
            Platform::Grubhub => "grubhub",
            Platform::Square => "square",
            Platform::Stripe => "stripe",
            Platform::Twilio => "twilio",
        }
    }

    /// What a person calls it.
    pub fn title(self) -> &'static str {
        match self {
            Platform::Ubereats => "Uber Eats",
            Platform::Doordash => "DoorDash",
            Platform::Grubhub => "Grubhub",
            Platform::Square => "Square",
            Platform::Stripe => "Stripe",
            Platform::Twilio => "Twilio",
        }
    }

    /// The channel its orders come in on, and whose 86s and prices it shows; none for a
    /// payment provider.
    pub fn channel(self) -> Option<Channel> {
        match self {
            Platform::Ubereats => Some(Channel::Ubereats),
            Platform::Doordash => Some(Channel::Doordash),
            Platform::Grubhub => Some(Channel::Grubhub),
            Platform::Square => Some(Channel::Pos),
            Platform::Stripe | Platform::Twilio => None,
        }
    }

    /// Whether it takes a price change item by item (DoorDash takes prices only with the
    /// menu, its item endpoint being availability alone; Grubhub's menu and prices are
    /// kept on Grubhub).
    pub fn item_prices(self) -> bool {
        !matches!(self, Platform::Doordash | Platform::Grubhub)
    }

    /// Brigade pushes its menu and 86s to it (Square's menu comes the other way).
    pub fn takes_menu(self) -> bool {
        matches!(self, Platform::Ubereats | Platform::Doordash | Platform::Grubhub)
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

/// A DoorDash API token (`DD-JWT-V1`): an HS256 JWT with `aud: doordash`, the developer
/// id as issuer, the key id, and five minutes of life, signed with the signing secret
/// (given base64url-encoded). `None` when the secret is not base64url.
pub fn doordash_jwt(developer_id: &str, key_id: &str, signing_secret: &str, now: i64) -> Option<String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let key = URL_SAFE_NO_PAD.decode(signing_secret.trim().trim_end_matches('=')).ok()?;
    let header = serde_json::json!({ "alg": "HS256", "typ": "JWT", "dd-ver": "DD-JWT-V1" });
    let claims = serde_json::json!({
        "aud": "doordash", "iss": developer_id, "kid": key_id, "iat": now, "exp": now + 300,
    });
    let part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let signing_input = format!("{}.{}", part(&header), part(&claims));
    let sig = mac(&key, &[signing_input.as_bytes()]);
    Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// Checks a DoorDash token as DoorDash would: the signature under the secret, the
/// audience, issuer and key id, and that it has not expired. For fakes and tests.
pub fn verify_doordash_jwt(token: &str, developer_id: &str, key_id: &str, signing_secret: &str, now: i64) -> bool {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let Ok(key) = URL_SAFE_NO_PAD.decode(signing_secret.trim().trim_end_matches('=')) else { return false };
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(given) = URL_SAFE_NO_PAD.decode(sig) else { return false };
    let expected = mac(&key, &[h.as_bytes(), b".", c.as_bytes()]);
    if given.len() != 32 || !bool::from(expected.ct_eq(&given)) {
        return false;
    }
    let Some(claims) =
        URL_SAFE_NO_PAD.decode(c).ok().and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return false;
    };
    claims["aud"] == "doordash"
        && claims["iss"] == developer_id
        && claims["kid"] == key_id
        && claims["exp"].as_i64().is_some_and(|exp| exp > now)
}

/// `x-square-hmacsha256-signature`: base64 of the HMAC-SHA256, under the subscription's
/// signature key, of the notification URL followed by the raw body.
pub fn square_signature(key: &str, notification_url: &str, body: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(mac(key.as_bytes(), &[notification_url.as_bytes(), body]))
}

/// The string a Grubhub MAC signs (the IETF HTTP MAC scheme Grubhub follows): nonce,
/// method, request URI (path and query), host, port, body hash and an empty extension,
/// each followed by a newline.
fn grubhub_normalized(nonce: &str, method: &str, uri: &str, host: &str, port: u16, bodyhash: &str) -> String {
    format!("{nonce}\n{method}\n{uri}\n{host}\n{port}\n{bodyhash}\n\n")
}

/// The base64 SHA-256 of a body (empty for none), as Grubhub's `bodyhash`.
pub fn grubhub_bodyhash(body: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    if body.is_empty() {
        return String::new();
    }
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
}

fn grubhub_key(secret_key: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(secret_key.trim())
        .unwrap_or_else(|_| secret_key.as_bytes().to_vec())
}

/// Grubhub's `Authorization: MAC id="…",nonce="…",bodyhash="…",mac="…"` for one request.
#[allow(clippy::too_many_arguments)]
pub fn grubhub_authorization(
    client_id: &str,
    secret_key: &str,
    nonce: &str,
    method: &str,
    uri: &str,
    host: &str,
    port: u16,
    body: &[u8],
) -> String {
    use base64::Engine;
    let id = if client_id.starts_with("sv:v1:") { client_id.to_owned() } else { format!("sv:v1:{client_id}") };
    let bodyhash = grubhub_bodyhash(body);
    let normalized = grubhub_normalized(nonce, method, uri, host, port, &bodyhash);
    let mac = base64::engine::general_purpose::STANDARD.encode(mac(&grubhub_key(secret_key), &[normalized.as_bytes()]));
    format!("MAC id=\"{id}\",nonce=\"{nonce}\",bodyhash=\"{bodyhash}\",mac=\"{mac}\"")
}

/// Checks a Grubhub MAC header as Grubhub would (for fakes and tests): the body hash and
/// the MAC over the request. Returns the client id it names.
pub fn verify_grubhub_authorization(
    header: &str,
    secret_key: &str,
    method: &str,
    uri: &str,
    host: &str,
    port: u16,
    body: &[u8],
) -> Option<String> {
    use base64::Engine;
    let rest = header.strip_prefix("MAC ")?;
    let mut fields = std::collections::HashMap::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        fields.insert(k, v.trim_matches('"'));
    }
    let (id, nonce, bodyhash, given) =
        (fields.get("id")?, fields.get("nonce")?, fields.get("bodyhash")?, fields.get("mac")?);
    if *bodyhash != grubhub_bodyhash(body) {
        return None;
    }
    let normalized = grubhub_normalized(nonce, method, uri, host, port, bodyhash);
    let want =
        base64::engine::general_purpose::STANDARD.encode(mac(&grubhub_key(secret_key), &[normalized.as_bytes()]));
    bool::from(want.as_bytes().ct_eq(given.as_bytes())).then(|| (*id).to_owned())
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

/// Twilio's `X-Twilio-Signature` for a request to `url` with form `params`: the
/// base64 HMAC-SHA1, under the account's auth token, of the full URL followed by each
/// parameter's name and value, sorted by name (a name given more than once: its values
/// sorted, each once).
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use base64::Engine;
    // Sorted by name, then value; a pair given twice counts once (as Twilio's own
    // validators do).
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut m = match Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(url.as_bytes());
    for (k, v) in sorted {
        m.update(k.as_bytes());
        m.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

/// Whether `header` is Twilio's signature of the request (compared in constant time).
pub fn verify_twilio(auth_token: &str, url: &str, params: &[(String, String)], header: &str) -> bool {
    let want = twilio_signature(auth_token, url, params);
    !header.is_empty() && bool::from(want.as_bytes().ct_eq(header.trim().as_bytes()))
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

    #[test]
    fn twilio_signatures_match_twilios_published_vectors() {
        let p =
            |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        let params = p(&[
            ("Digits", "1234"),
            ("To", "+18005551212"),
            ("From", "+14158675309"),
            ("Caller", "+14158675309"),
            ("CallSid", "CA1234567890ABCDE"),
        ]);
        assert_eq!(super::twilio_signature("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(super::verify_twilio("12345", url, &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!super::verify_twilio("12345", &format!("{url}&extra=1"), &params, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        assert!(!super::verify_twilio("12345", url, &params, ""));
        // A name given more than once: its values sorted too.
        let repeated =
            p(&[("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234"), ("Digits", "1234")]);
        assert_eq!(super::twilio_signature("12345", url, &repeated), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }
    use super::*;

    #[test]
    fn platforms_parse_and_name_their_channel() {
        for p in Platform::ALL {
            assert_eq!(Platform::parse("platform", p.as_str()), Ok(p));
        }
        assert_eq!(Platform::Ubereats.channel(), Some(Channel::Ubereats));
        assert_eq!(Platform::Stripe.channel(), None);
        assert_eq!(Platform::Twilio.channel(), None);
        let e = Platform::parse("platform", "justeat").unwrap_err();
        assert!(e.message.contains("ubereats"), "{e}");
    }

    #[test]
    fn doordash_tokens_are_signed_and_expire() {
        let secret = "c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz";
        let t = doordash_jwt("dev-1", "key-1", secret, 1_000).unwrap();
        assert!(verify_doordash_jwt(&t, "dev-1", "key-1", secret, 1_100));
        assert!(!verify_doordash_jwt(&t, "dev-1", "key-1", secret, 1_400), "expired after five minutes");
        assert!(!verify_doordash_jwt(&t, "dev-2", "key-1", secret, 1_100));
        assert!(!verify_doordash_jwt(&t, "dev-1", "key-1", "b3RoZXItc2VjcmV0", 1_100));
        assert!(doordash_jwt("dev-1", "key-1", "not base64 !", 1_000).is_none());
    }

    #[test]
    fn grubhub_macs_cover_the_request_and_body() {
        let h = grubhub_authorization("abc", "c2VjcmV0", "1:n", "PUT", "/pos/v1/x?y=1", "api.example", 443, b"{}");
        assert!(h.starts_with("MAC id=\"sv:v1:abc\",nonce=\"1:n\""), "{h}");
        assert_eq!(
            verify_grubhub_authorization(&h, "c2VjcmV0", "PUT", "/pos/v1/x?y=1", "api.example", 443, b"{}"),
            Some("sv:v1:abc".into())
        );
        assert!(
            verify_grubhub_authorization(&h, "c2VjcmV0", "PUT", "/pos/v1/x?y=2", "api.example", 443, b"{}").is_none()
        );
        assert!(
            verify_grubhub_authorization(&h, "c2VjcmV0", "PUT", "/pos/v1/x?y=1", "api.example", 443, b"[]").is_none()
        );
        assert!(
            verify_grubhub_authorization(&h, "b3RoZXI=", "PUT", "/pos/v1/x?y=1", "api.example", 443, b"{}").is_none()
        );
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
