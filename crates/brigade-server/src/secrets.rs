//! Secrets at rest: integration credentials and guests' phone numbers and email addresses
//! are sealed with AES-256-GCM under the server's secrets key, and a guest's contact is
//! found again through a keyed hash (HMAC-SHA-256 under a key derived from the same
//! secret: a bare hash of a phone number is reversed by hashing every number).
//!
//! The key comes from `BRIGADE_SECRETS_KEY` (32 bytes, base64). Without it, a key is made
//! on first start in the data directory (`secrets.key`, readable by its owner only), kept
//! apart from the database so that a copy of the database alone opens nothing. Several
//! nodes must share one key, so a deployment of more than one node sets it.
//!
//! A sealed value is `nonce (12 bytes) ‖ ciphertext ‖ tag`, with the integration's id as
//! associated data: a sealed blob moved onto another integration's (or guest's) row does
//! not open.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use std::path::Path;
use uuid::Uuid;

pub struct Secrets {
    key: LessSafeKey,
    /// Keys the lookup hashes of guests' contact details.
    lookup: hmac::Key,
}

#[derive(Debug, thiserror::Error)]
#[error("the stored credentials could not be opened with this server's secrets key")]
pub struct CannotOpen;

impl Secrets {
    pub fn from_bytes(raw: &[u8]) -> anyhow::Result<Secrets> {
        let key =
            UnboundKey::new(&AES_256_GCM, raw).map_err(|_| anyhow::anyhow!("the secrets key must be 32 bytes"))?;
        // A key of its own for the hashes, derived from the secret, so that no value is
        // ever both encrypted and MACed under one key.
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, raw), b"brigade/customer-lookup/v1");
        Ok(Secrets { key: LessSafeKey::new(key), lookup: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()) })
    }

    /// The keyed hash a normalised contact detail is found by (hex). `kind` ("phone",
    /// "email") keeps a phone number and an address that happen to be spelled alike apart.
    pub fn lookup_hash(&self, kind: &str, normalised: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.lookup);
        ctx.update(kind.as_bytes());
        ctx.update(&[0]);
        ctx.update(normalised.as_bytes());
        ctx.sign().as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The configured key, else the data directory's key file (made if missing).
    pub fn load(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Secrets> {
        if let Some(b64) = configured {
            let raw = STANDARD.decode(b64.trim()).context("BRIGADE_SECRETS_KEY is not base64")?;
            return Secrets::from_bytes(&raw);
        }
        let path = data_dir.join("secrets.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let raw = STANDARD.decode(text.trim()).with_context(|| format!("{} is not base64", path.display()))?;
                Secrets::from_bytes(&raw)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
                let raw: [u8; 32] = rand::random();
                write_private(&path, &STANDARD.encode(raw))?;
                tracing::info!(path = %path.display(), "made a new secrets key for credentials and guests' contacts");
                Secrets::from_bytes(&raw)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn seal(&self, owner: Uuid, plain: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut out = Vec::with_capacity(NONCE_LEN + plain.len() + 16);
        out.extend_from_slice(&nonce_bytes);
        let mut body = plain.to_vec();
        let nonce = Nonce::assume_unique_for_key(nonce_bytes);
        // Sealing fails only for inputs over 64 GiB.
        if self.key.seal_in_place_append_tag(nonce, Aad::from(owner.as_bytes()), &mut body).is_err() {
            unreachable!("AES-GCM seals any input under 64 GiB");
        }
        out.extend_from_slice(&body);
        out
    }

    pub fn open(&self, owner: Uuid, sealed: &[u8]) -> Result<Vec<u8>, CannotOpen> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CannotOpen);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CannotOpen)?;
        let mut body = body.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(owner.as_bytes()), &mut body).map_err(|_| CannotOpen)?;
        Ok(plain.to_vec())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("creating {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_credentials_open_only_with_the_key_and_their_owner() {
        let s = Secrets::from_bytes(&[7u8; 32]).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let sealed = s.seal(a, b"{\"client_secret\":\"shh\"}");
        assert!(!sealed.windows(3).any(|w| w == b"shh"), "the secret is not in the clear");
        assert_eq!(s.open(a, &sealed).unwrap(), b"{\"client_secret\":\"shh\"}");
        assert!(s.open(b, &sealed).is_err(), "moved to another integration, it does not open");
        let other = Secrets::from_bytes(&[8u8; 32]).unwrap();
        assert!(other.open(a, &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(s.open(a, &tampered).is_err());
        assert!(s.open(a, &sealed[..10]).is_err());
        // Each seal has its own nonce.
        assert_ne!(s.seal(a, b"x"), s.seal(a, b"x"));
    }

    #[test]
    fn lookup_hashes_are_keyed_and_kept_apart_by_kind() {
        let s = Secrets::from_bytes(&[7u8; 32]).unwrap();
        let h = s.lookup_hash("phone", "+15550102000");
        assert_eq!(h, s.lookup_hash("phone", "+15550102000"));
        assert_eq!(h.len(), 64);
        assert_ne!(h, s.lookup_hash("email", "+15550102000"));
        assert_ne!(h, Secrets::from_bytes(&[8u8; 32]).unwrap().lookup_hash("phone", "+15550102000"));
        // Not the bare SHA-256 a table of phone numbers reverses.
        let bare: String = ring::digest::digest(&ring::digest::SHA256, b"+15550102000")
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(h, bare);
    }

    #[test]
    fn a_key_file_is_made_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("brigade-secrets-{}", Uuid::now_v7()));
        let first = Secrets::load(None, &dir).unwrap();
        let sealed = first.seal(Uuid::nil(), b"x");
        let again = Secrets::load(None, &dir).unwrap();
        assert_eq!(again.open(Uuid::nil(), &sealed).unwrap(), b"x");
        assert!(Secrets::load(Some("not base64!"), &dir).is_err());
        assert!(Secrets::load(Some(&STANDARD.encode([1u8; 16])), &dir).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
