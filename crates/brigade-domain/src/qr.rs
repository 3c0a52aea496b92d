//! Table QR tokens. A token names a table and a version, signed with HMAC-SHA256 under
//! the server's key: `base64url(table id ‖ version ‖ first 16 bytes of the MAC)`. Rotating
//! a table's QR bumps its version, so every older printed code stops verifying. Tokens
//! are short enough for a small QR code (48 characters).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use uuid::Uuid;

const MAC_LEN: usize = 16;
const RAW_LEN: usize = 16 + 4 + MAC_LEN;

fn mac(key: &[u8], table: Uuid, version: u32) -> [u8; MAC_LEN] {
    let mut m = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(b"brigade-qr-v1");
    m.update(table.as_bytes());
    m.update(&version.to_be_bytes());
    let full = m.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

pub fn sign(key: &[u8], table: Uuid, version: u32) -> String {
    let mut raw = Vec::with_capacity(RAW_LEN);
    raw.extend_from_slice(table.as_bytes());
    raw.extend_from_slice(&version.to_be_bytes());
    raw.extend_from_slice(&mac(key, table, version));
    URL_SAFE_NO_PAD.encode(raw)
}

/// The table and version a token names, if its signature holds. The caller still checks
/// that the version is the table's current one.
pub fn verify(key: &[u8], token: &str) -> Option<(Uuid, u32)> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    if raw.len() != RAW_LEN {
        return None;
    }
    let table = Uuid::from_slice(&raw[..16]).ok()?;
    let version = u32::from_be_bytes(raw[16..20].try_into().ok()?);
    let expected = mac(key, table, version);
    bool::from(expected.ct_eq(&raw[20..])).then_some((table, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_round_trip_and_other_keys_fail() {
        let t = Uuid::now_v7();
        let tok = sign(b"key", t, 3);
        assert_eq!(tok.len(), 48);
        assert_eq!(verify(b"key", &tok), Some((t, 3)));
        assert_eq!(verify(b"other", &tok), None);
        assert_eq!(verify(b"key", "short"), None);
        assert_eq!(verify(b"key", ""), None);
    }

    proptest! {
        #[test]
        fn one_flipped_bit_never_verifies(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
            let t = Uuid::now_v7();
            let tok = sign(b"key", t, 1);
            let mut raw = URL_SAFE_NO_PAD.decode(&tok).unwrap();
            let i = pos.index(raw.len());
            raw[i] ^= 1 << bit;
            prop_assert_eq!(verify(b"key", &URL_SAFE_NO_PAD.encode(raw)), None);
        }
    }
}
