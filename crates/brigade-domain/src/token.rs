//! Access tokens: compact JWTs signed with HMAC-SHA256 (RFC 7519, `alg` HS256 only).
//!
//! A token carries the user, their restaurant memberships (for clients; the server still
//! checks membership against the database on every call) and the user's token version:
//! bumping the version in the database revokes every token issued before. The header is
//! fixed, and a token whose header names any other algorithm is refused, so `alg: none`
//! and algorithm-confusion tricks have nothing to work with.

use crate::auth::Role;
use crate::{RestaurantId, UserId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub rid: RestaurantId,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    /// The session (sign-in) this token belongs to; revoking it stops the token.
    pub sid: crate::SessionId,
    /// The user's token version when this token was made.
    pub ver: i64,
    /// Issued at and expiry, seconds since the Unix epoch.
    pub iat: i64,
    pub exp: i64,
    #[serde(default)]
    pub rms: Vec<Membership>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature does not match")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
}

/// The key access tokens are signed with. `Debug` never shows it.
#[derive(Clone)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl SigningKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> SigningKey {
        SigningKey(bytes.into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = mac.finalize().into_bytes();
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// Checks the signature in constant time, then the expiry against `now` (seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(TokenError::Malformed);
        };
        let header = URL_SAFE_NO_PAD.decode(h).map_err(|_| TokenError::Malformed)?;
        let header: serde_json::Value = serde_json::from_slice(&header).map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(p.as_bytes());
        mac.verify_slice(&sig).map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: UserId::new(),
            sid: crate::SessionId::new(),
            ver: 3,
            iat: 0,
            exp,
            rms: vec![Membership { rid: RestaurantId::new(), role: Role::Manager }],
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let key = SigningKey::new(b"k".repeat(32));
        let c = claims(1000);
        let t = key.sign(&c);
        assert_eq!(key.verify(&t, 999).unwrap(), c);
        assert_eq!(key.verify(&t, 1000), Err(TokenError::Expired));
    }

    #[test]
    fn other_keys_and_algorithms_are_refused() {
        let key = SigningKey::new(b"k".repeat(32));
        let t = key.sign(&claims(1000));
        assert_eq!(SigningKey::new(b"x".repeat(32)).verify(&t, 0), Err(TokenError::BadSignature));
        let payload = t.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert_eq!(key.verify(&none, 0), Err(TokenError::Malformed));
        assert_eq!(key.verify("a.b", 0), Err(TokenError::Malformed));
        assert_eq!(key.verify("", 0), Err(TokenError::Malformed));
    }

    proptest! {
        // Flipping any one bit of a token never yields a token that verifies to other
        // claims: it is refused, or (for bits base64 ignores) verifies to the same claims.
        #[test]
        fn one_flipped_bit_never_forges(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let key = SigningKey::new(b"secret-key-for-tests".to_vec());
            let c = claims(i64::MAX);
            let t = key.sign(&c);
            let mut bytes = t.into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] ^= 1 << bit;
            if let Ok(s) = String::from_utf8(bytes) {
                if let Ok(got) = key.verify(&s, 0) {
                    prop_assert_eq!(got, c);
                }
            }
        }

        #[test]
        fn garbage_never_panics(s in ".{0,300}") {
            let key = SigningKey::new(b"secret".to_vec());
            let _ = key.verify(&s, 0);
        }
    }
}
