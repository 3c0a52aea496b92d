//! Credentials as types: an `Email`, a `Password` or a `Pin` that exists has been checked.
//! Passwords and PINs are hashed with argon2id (memory-hard, salted per hash); the opaque
//! secrets we hand out (refresh tokens, API keys) are random and stored as SHA-256 hashes,
//! which is enough for 256 bits of randomness and cheap to look up.

use crate::Invalid;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Lower-cases and trims; requires one `@` with something on both sides and a dot in
    /// the domain. Deliverability is not our business here.
    pub fn parse(raw: &str) -> Result<Email, Invalid> {
        let s = raw.trim().to_lowercase();
        let bad = || Invalid::new("email", format!("'{}' is not an email address", raw.trim()));
        if s.len() > 254 || s.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the length rule. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(raw: &str) -> Result<Password, Invalid> {
        let n = raw.chars().count();
        if n < PASSWORD_MIN {
            return Err(Invalid::new("password", format!("use at least {PASSWORD_MIN} characters")));
        }
        if n > PASSWORD_MAX {
            return Err(Invalid::new("password", format!("use at most {PASSWORD_MAX} characters")));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

/// A staff PIN: 4 to 8 digits.
#[derive(Clone)]
pub struct Pin(String);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(***)")
    }
}

impl Pin {
    pub fn parse(raw: &str) -> Result<Pin, Invalid> {
        if !(4..=8).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("pin", "a PIN is 4 to 8 digits"));
        }
        Ok(Pin(raw.to_owned()))
    }

    pub fn hash(&self) -> String {
        hash_secret(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number kept as `+` and digits, so that "(555) 010-2000" and "555.010.2000"
/// are one number. Without a leading `+` the digits are kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, Invalid> {
        let trimmed = raw.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                '+' if digits.is_empty() => {}
                _ => return Err(Invalid::new("phone", format!("'{trimmed}' is not a phone number"))),
            }
        }
        if !(6..=15).contains(&digits.len()) {
            return Err(Invalid::new("phone", "a phone number has 6 to 15 digits"));
        }
        Ok(Phone(if plus { format!("+{digits}") } else { digits }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's or a place's display name: trimmed, 1 to 200 characters.
pub fn parse_name(field: &'static str, raw: &str) -> Result<String, Invalid> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    if s.chars().count() > 200 {
        return Err(Invalid::new(field, "use at most 200 characters"));
    }
    Ok(s.to_owned())
}

fn hash_secret(secret: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    // Argon2::default() is argon2id v19 with OWASP's recommended memory and passes.
    // Hashing into a PHC string cannot fail for these inputs; fall back to an
    // unverifiable marker rather than panic if the library ever says otherwise.
    Argon2::default().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_else(|_| "!".to_owned())
}

/// Checks a password or PIN against its stored PHC hash in constant time. A malformed
/// stored hash never verifies.
pub fn verify_secret(secret: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash that no input verifies against, used to spend the same time on an unknown
/// account as on a known one.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0n1G1Eh2i9hPp3cV2e5I2cqxDfnY8eLzN0F8cI0m2Fw"
}

/// An opaque secret handed to a client once: `prefix` + 43 characters of base64url
/// randomness (256 bits).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What we store for an opaque secret: hex SHA-256. Lookups are by this hash.
pub fn secret_digest(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether two secrets (a tracking key, a CSRF token, a webhook token) are equal, in a
/// time that does not tell an attacker how much of a guess was right. Lengths may differ
/// (then false); only the length shows.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "@x.com", "ana@", "ana@x", "a b@x.com", "ana@@x.com", "ana@x.com."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn password_length_rule() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(PASSWORD_MIN)).is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(PASSWORD_MAX + 1)).is_err());
        assert_eq!(format!("{:?}", Password::parse("correct horse battery").unwrap()), "Password(***)");
    }

    #[test]
    fn hashes_verify_only_their_secret() {
        let pw = Password::parse("correct horse battery").unwrap();
        let h = pw.hash();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse battery", &h));
        assert!(!verify_secret("correct horse batterz", &h));
        assert!(!verify_secret("anything", "not a hash"));
        assert!(!verify_secret("anything", dummy_hash()));
    }

    #[test]
    fn pins_and_phones() {
        assert!(Pin::parse("1234").is_ok());
        assert!(Pin::parse("123").is_err());
        assert!(Pin::parse("12a4").is_err());
        assert_eq!(Phone::parse("+1 (555) 010-2000").unwrap().as_str(), "+15550102000");
        assert_eq!(Phone::parse("555.010.2000").unwrap().as_str(), "5550102000");
        assert!(Phone::parse("call me").is_err());
        assert!(Phone::parse("12").is_err());
    }

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = new_secret("bk_");
        let b = new_secret("bk_");
        assert_ne!(a, b);
        assert!(a.starts_with("bk_") && a.len() == 46);
        assert_eq!(secret_digest(&a), secret_digest(&a));
        assert_eq!(secret_digest(&a).len(), 64);
    }
}
