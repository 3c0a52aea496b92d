//! A restaurant's settings as types: its IANA time zone, its currency and its tax rule.

use crate::Invalid;

/// An IANA time zone name that exists (`Europe/Paris`, `America/New_York`).
pub fn parse_timezone(raw: &str) -> Result<chrono_tz::Tz, Invalid> {
    raw.trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| Invalid::new("timezone", format!("'{raw}' is not an IANA time zone such as 'Europe/London'")))
}

/// An ISO 4217 currency code: three letters, stored upper-case.
pub fn parse_currency(raw: &str) -> Result<String, Invalid> {
    let s = raw.trim().to_ascii_uppercase();
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Invalid::new("currency", format!("'{raw}' is not a three-letter currency code such as 'USD'")));
    }
    Ok(s)
}

/// A tax rate in basis points (825 = 8.25 %), from 0 to 100 %.
pub fn parse_tax_rate_bps(bps: i64) -> Result<i64, Invalid> {
    if !(0..=10_000).contains(&bps) {
        return Err(Invalid::new("tax_rate_bps", "a tax rate is 0 to 10000 basis points (0 % to 100 %)"));
    }
    Ok(bps)
}

/// The URL-friendly name of a restaurant: lower-case ASCII letters, digits and single
/// hyphens. Letters with accents lose them; anything else becomes a hyphen.
pub fn slugify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = fold_accent(c).to_ascii_lowercase();
        if matches!(c, '\'' | '’') {
            continue; // "Ana's" is "anas", not "ana-s"
        }
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    let slug: String = trimmed.chars().take(60).collect();
    if slug.is_empty() {
        "restaurant".to_owned()
    } else {
        slug.trim_end_matches('-').to_owned()
    }
}

/// A slug chosen by a person: checked, not rewritten.
pub fn parse_slug(raw: &str) -> Result<String, Invalid> {
    let ok = !raw.is_empty()
        && raw.len() <= 60
        && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !raw.starts_with('-')
        && !raw.ends_with('-')
        && !raw.contains("--");
    if !ok {
        return Err(Invalid::new("slug", "use 1 to 60 lower-case letters, digits and single hyphens"));
    }
    Ok(raw.to_owned())
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn settings_parse() {
        assert!(parse_timezone("Europe/Paris").is_ok());
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert_eq!(parse_currency("usd").unwrap(), "USD");
        assert!(parse_currency("US$").is_err());
        assert!(parse_tax_rate_bps(-1).is_err());
        assert!(parse_tax_rate_bps(10_001).is_err());
        assert_eq!(slugify("Café Olé — Downtown #2"), "cafe-ole-downtown-2");
        assert_eq!(slugify("!!!"), "restaurant");
        assert_eq!(slugify("Ana's Diner"), "anas-diner");
    }

    proptest! {
        #[test]
        fn slugify_always_yields_a_valid_slug(name in ".{0,100}") {
            let slug = slugify(&name);
            prop_assert!(parse_slug(&slug).is_ok(), "{:?} -> {:?}", name, slug);
        }
    }
}
