//! Property-based fuzzing of every parser that takes outside input: order bodies, each
//! platform's webhook bodies, table QR tokens, dates and times, query strings. Whatever
//! arrives, a parser answers with a value or an error, never a panic; what it accepts
//! holds no control character and keeps the caps. Runs with the unit tests (256 cases
//! each by default; `PROPTEST_CASES` for longer runs).

use crate::extract::{parse_json, parse_optional_json};
use crate::integrations::{doordash, grubhub, square, ubereats};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Keys the parsers look for, so generated JSON reaches past the first `get`.
const KEYS: &[&str] = &[
    "event_type",
    "event_id",
    "meta",
    "resource_id",
    "resource_href",
    "order",
    "id",
    "type",
    "event",
    "data",
    "object",
    "items",
    "item_id",
    "quantity",
    "modifiers",
    "notes",
    "customer",
    "name",
    "phone",
    "channel",
    "cart",
    "title",
    "price",
    "display_id",
    "external_reference_id",
    "order_id",
    "merchant_id",
    "state",
    "line_items",
    "catalog_object_id",
    "selected_modifier_groups",
    "options",
    "total",
    "payment",
    "status",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _-]{0,12}",
        any::<String>(),
        Just("\u{0}".to_owned()),
        Just("-262143-01-01".to_owned()),
        Just("23:59:60".to_owned()),
        Just("9999999999999999999999".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())),
        ]
    })
}

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
    ]
}

proptest! {
    #[test]
    fn platform_webhooks_read_anything_without_panicking(body in bodies()) {
        let _ = ubereats::webhook(&body);
        let _ = doordash::webhook(&body);
        let _ = grubhub::webhook(&body);
        let _ = square::webhook(&body);
        let scrubbed = crate::extract::scrubbed_json(&body);
        if let Ok(v) = serde_json::from_slice::<Value>(&scrubbed) {
            prop_assert!(!v.to_string().contains("\\u0000"), "scrubbed bodies keep no NUL");
        }
    }

    #[test]
    fn order_bodies_are_read_or_refused_never_panicking(body in bodies()) {
        let order: Result<crate::orders::OrderInput, _> = parse_json(&body);
        if let Ok(o) = order {
            let names = o.customer.iter().filter_map(|c| c.name.as_deref());
            for s in names.chain(o.items.iter().filter_map(|l| l.notes.as_deref())) {
                prop_assert!(!crate::extract::has_control(s), "accepted text holds no control character");
            }
        }
        let _: Result<crate::labour::ClockInInput, _> = parse_optional_json(&body);
        let _: Result<crate::people::NewUser, _> = parse_json(&body);
    }

    #[test]
    fn qr_tokens_of_any_shape_never_verify_by_chance(token in any::<String>()) {
        prop_assert_eq!(brigade_domain::qr::verify(b"a key", &token), None);
    }

    #[test]
    fn dates_and_times_are_bounded_whatever_the_text(s in text(), y in -300_000i32..300_000) {
        #[derive(serde::Deserialize)]
        struct Dates {
            #[serde(default, deserialize_with = "brigade_domain::when::opt_date")]
            day: Option<chrono::NaiveDate>,
            #[serde(default, deserialize_with = "brigade_domain::when::opt_instant")]
            at: Option<chrono::DateTime<chrono::Utc>>,
            #[serde(default, deserialize_with = "brigade_domain::when::opt_wall_time")]
            due: Option<chrono::NaiveTime>,
        }
        let years = format!("{y:+07}-06-15");
        for body in [json!({"day": s}), json!({"at": s}), json!({"due": s}), json!({"day": years}),
            json!({"at": format!("{years}T12:00:00Z")})]
        {
            if let Ok(d) = serde_json::from_value::<Dates>(body) {
                prop_assert!(d.day.is_none_or(brigade_domain::when::date_ok));
                prop_assert!(d.at.is_none_or(brigade_domain::when::instant_ok));
                prop_assert!(d.due.is_none_or(brigade_domain::when::time_ok));
            }
        }
    }
}
