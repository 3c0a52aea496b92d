//! How much of anything a request may carry. Every limit here is enforced where the
//! request is parsed (422 naming the field, nothing changed) and written into the OpenAPI
//! document (`maxLength`, `maxItems`), so clients, fuzzers and the server agree. A menu
//! with 20,000 options in one group grew the public menu to 1.48 MB and its sync retries
//! to hundreds of megabytes; a 100 KB guest name reached every kitchen screen.

use crate::Invalid;

/// A name: a person's, an item's, an option's, a table's (`credentials::parse_name`).
pub const NAME: usize = 200;
/// Why something was done: an 86, a cancellation, waste, a correction.
pub const REASON: usize = 500;
/// A note on an order line.
pub const NOTES: usize = 500;
/// An order's special instructions.
pub const INSTRUCTIONS: usize = 1000;
/// A description of an item, a stock item, a task.
pub const DESCRIPTION: usize = 2000;
/// Options in one modifier group, groups on one item, options chosen on one line.
pub const OPTIONS_PER_GROUP: usize = 100;
pub const GROUPS_PER_ITEM: usize = 20;
pub const MODIFIERS_PER_LINE: usize = 50;
/// Past these, any string or list of any body is refused, whatever its field.
pub const ANY_TEXT: usize = 10_000;
pub const ANY_LIST: usize = 5_000;

/// Optional text of at most `max` characters, trimmed; empty is none.
pub fn bounded_text(field: &'static str, raw: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if s.chars().count() > max {
        return Err(Invalid::new(field, format!("use at most {max} characters")));
    }
    Ok(Some(s.to_owned()))
}

/// A reason, as people give them: optional, at most `REASON` characters.
pub fn parse_reason(field: &'static str, raw: Option<&str>) -> Result<Option<String>, Invalid> {
    bounded_text(field, raw, REASON)
}

/// At most `max` things in a list.
pub fn at_most<T>(field: &'static str, list: &[T], max: usize) -> Result<(), Invalid> {
    if list.len() > max {
        return Err(Invalid::new(field, format!("at most {max}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_lists_are_bounded() {
        assert_eq!(parse_reason("reason", Some("  out of salmon ")).unwrap().as_deref(), Some("out of salmon"));
        assert_eq!(parse_reason("reason", Some("   ")).unwrap(), None);
        assert!(parse_reason("reason", Some(&"x".repeat(REASON + 1))).is_err());
        assert!(parse_reason("reason", Some(&"é".repeat(REASON))).is_ok(), "characters, not bytes");
        assert!(at_most("options", &[0; OPTIONS_PER_GROUP + 1], OPTIONS_PER_GROUP).is_err());
        assert!(at_most("options", &[0; 3], 3).is_ok());
    }
}
