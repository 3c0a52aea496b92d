//! Extractors that turn a request into typed input, failing with API.md's error shape
//! instead of axum's plain-text rejections: malformed JSON is 400, a well-formed body of
//! the wrong shape is 422 naming the field, a body over the limit is 413, and a path id
//! that is not a UUID is 404 (no such thing can exist).
//!
//! Text from outside never carries control characters (NUL and the rest of C0, DEL;
//! newlines and tabs are text): a body or query that has one is 422 naming the field, a
//! path segment that has one names nothing (404). PostgreSQL refuses NUL in text where
//! SQLite stores it, so this is where both backends are made to agree. No string of any
//! body is longer than `caps::ANY_TEXT` nor any list than `caps::ANY_LIST`; the fields
//! with tighter caps check theirs where they are parsed.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A JSON body. Unknown fields are ignored; wrong types and missing fields are 422.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let limit = req.extensions().get::<BodyLimit>().map(|l| l.0).unwrap_or(1024 * 1024);
        let bytes = Bytes::from_request(req, state).await.map_err(|e| body_rejection(e, limit))?;
        parse_json(&bytes).map(Json)
    }
}

/// The configured body limit, put in request extensions so rejections can name it.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

fn body_rejection(e: BytesRejection, limit: usize) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge { limit }
    } else {
        ApiError::BadRequest { code: crate::error::ErrorCode::UnreadableBody, message: e.body_text() }
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest {
            code: crate::error::ErrorCode::MalformedJson,
            message: "the request needs a JSON body".into(),
        });
    }
    refuse_control_characters(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let first = serde_path_to_error::deserialize(de);
    // JSON has one number type: `2.0` is the integer 2 (as JSON Schema's `integer` says),
    // though serde reads it as a float. Only a body refused for that is read again.
    let result = match first {
        Err(e) if e.inner().to_string().starts_with("invalid type: floating point") => {
            match serde_json::from_slice::<serde_json::Value>(bytes) {
                Ok(mut value) => {
                    if integral_floats_to_integers(&mut value) {
                        serde_path_to_error::deserialize(value)
                    } else {
                        Err(e)
                    }
                }
                Err(_) => Err(e),
            }
        }
        other => other,
    };
    result.map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = strip_position(&inner.to_string());
                let field = match message.strip_prefix("missing field `").and_then(|m| m.split('`').next()) {
                    Some(missing) if path == "." => missing.to_owned(),
                    Some(missing) => format!("{path}.{missing}"),
                    None => path,
                };
                ApiError::validation(field, message)
            }
            _ => ApiError::BadRequest {
                code: crate::error::ErrorCode::MalformedJson,
                message: format!("the body is not valid JSON: {}", inner),
            },
        }
    })
}

/// Turns every float with no fraction into that integer, as far as a float holds integers
/// exactly (2^53); whether any did. Past that, `9223372036854775809` read as a float is
/// `i64::MAX + 1` rounded, and is refused as the float it is.
fn integral_floats_to_integers(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 => {
                *v = Value::from(f as i64);
                true
            }
            _ => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, x| integral_floats_to_integers(x) | any),
        Value::Object(map) => map.values_mut().fold(false, |any, x| integral_floats_to_integers(x) | any),
        _ => false,
    }
}

/// Whether text holds a control character that is not a line break or a tab.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// In JSON a control character can only arrive escaped (`\u0000`, `\b`, `\f`); only a
/// body with such an escape is read through to find which field holds one.
fn may_hold_control(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w[0] == b'\\' && matches!(w[1], b'u' | b'b' | b'f'))
}

/// Bodies past this size are read through for strings and lists over the caps that hold
/// for every field (`caps::ANY_TEXT`, `caps::ANY_LIST`); smaller ones cannot hold either.
const CHECK_SIZES_FROM: usize = 8 * 1024;

fn refuse_control_characters(bytes: &[u8]) -> Result<(), ApiError> {
    let big = bytes.len() > CHECK_SIZES_FROM;
    if !big && !may_hold_control(bytes) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else { return Ok(()) };
    if let Some(field) = control_field(&value, String::new()) {
        return Err(ApiError::validation(field, "control characters (such as NUL) are not text; remove them"));
    }
    if big {
        if let Some((field, message)) = oversized(&value, String::new()) {
            return Err(ApiError::validation(field, message));
        }
    }
    Ok(())
}

/// The path of the first string (or key) in `v` that holds a control character.
fn control_field(v: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let join = |k: &str| if at.is_empty() { k.to_owned() } else { format!("{at}.{k}") };
    match v {
        Value::String(s) if has_control(s) => Some(if at.is_empty() { ".".into() } else { at }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| control_field(x, format!("{at}[{i}]"))),
        Value::Object(map) => {
            map.iter().find_map(|(k, x)| if has_control(k) { Some(join("(key)")) } else { control_field(x, join(k)) })
        }
        _ => None,
    }
}

/// The first string or list in `v` over the caps every field has.
fn oversized(v: &serde_json::Value, at: String) -> Option<(String, String)> {
    use brigade_domain::caps::{ANY_LIST, ANY_TEXT};
    use serde_json::Value;
    let here = |at: String| if at.is_empty() { ".".to_owned() } else { at };
    match v {
        Value::String(s) if s.chars().count() > ANY_TEXT => {
            Some((here(at), format!("use at most {ANY_TEXT} characters")))
        }
        Value::Array(items) if items.len() > ANY_LIST => Some((here(at), format!("at most {ANY_LIST} entries"))),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| oversized(x, format!("{at}[{i}]"))),
        Value::Object(map) => {
            map.iter().find_map(|(k, x)| oversized(x, if at.is_empty() { k.clone() } else { format!("{at}.{k}") }))
        }
        _ => None,
    }
}

/// A JSON body with the control characters taken out of its strings: for what platforms
/// send us (an order is not refused for a stray NUL in a name), after its signature is
/// checked. Anything else comes back as it was.
pub fn scrubbed_json(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !may_hold_control(bytes) {
        return bytes.into();
    }
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(mut v) if control_field(&v, String::new()).is_some() => {
            scrub_controls(&mut v);
            serde_json::to_vec(&v).map(Into::into).unwrap_or_else(|_| bytes.into())
        }
        _ => bytes.into(),
    }
}

fn scrub_controls(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) if has_control(s) => s.retain(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t')),
        Value::Array(items) => items.iter_mut().for_each(scrub_controls),
        Value::Object(map) => map.values_mut().for_each(scrub_controls),
        _ => {}
    }
}

/// An optional JSON body: none at all (or `null`) is the default.
pub fn parse_optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    let trimmed = bytes.trim_ascii();
    if trimmed.is_empty() || trimmed == b"null" {
        return Ok(T::default());
    }
    parse_json(bytes)
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// A query string. A value of the wrong type is 422 naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let max = brigade_domain::caps::ANY_TEXT;
        if q.contains('%') || q.len() > max {
            // Escapes that do not spell UTF-8 would be read as U+FFFD, a value nobody sent.
            if percent_encoding::percent_decode_str(q).decode_utf8().is_err() {
                return Err(bad_query("the query string (an escape that is not UTF-8)"));
            }
            let pairs: Vec<(String, String)> = serde_urlencoded_compat(q)?;
            if let Some((k, _)) = pairs.iter().find(|(k, v)| has_control(k) || has_control(v)) {
                let field = if has_control(k) { "query".to_owned() } else { k.clone() };
                return Err(ApiError::validation(field, "control characters (such as NUL) are not text; remove them"));
            }
            if let Some((k, _)) = pairs.iter().find(|(_, v)| v.chars().count() > max) {
                return Err(ApiError::validation(k.clone(), format!("use at most {max} characters")));
            }
        }
        serde_urlencoded_compat(q).map(Query)
    }
}

/// Reads a query string, naming the parameter a wrong value was in (`query` when the
/// string as a whole is wrong).
fn serde_urlencoded_compat<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { "query".to_owned() } else { field };
        ApiError::validation(field, e.into_inner().to_string())
    })
}

fn bad_query(what: &str) -> ApiError {
    ApiError::BadRequest { code: crate::error::ErrorCode::MalformedQuery, message: format!("{what} is malformed") }
}

/// Path parameters. An id that does not parse names nothing that exists: 404.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state).await;
        if raw.is_ok_and(|ps| ps.iter().any(|(_, v)| has_control(v))) {
            return Err(ApiError::not_found("resource"));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| ApiError::not_found("resource"))
    }
}

/// `limit` and `cursor`, as every list takes them.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    /// How many items (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<uuid::Uuid>)]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=500).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::validation("limit", "use a limit from 1 to 500")),
        }
    }

    pub fn cursor_uuid(&self) -> Result<Option<uuid::Uuid>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| c.parse().map_err(|_| ApiError::validation("cursor", "not a cursor this list gave out")))
            .transpose()
    }

    pub fn cursor_i64(&self) -> Result<Option<i64>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| c.parse().map_err(|_| ApiError::validation("cursor", "not a cursor this list gave out")))
            .transpose()
    }
}

/// A page of a list: `{"items": [...], "next_cursor": "..." | null}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `limit + 1`: the extra row, if any, shows
    /// there is more, and the cursor is the key of the last row returned.
    pub fn from_rows<R>(mut rows: Vec<R>, limit: i64, key: impl Fn(&R) -> String, view: impl Fn(R) -> T) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&key) } else { None };
        Page { items: rows.into_iter().map(view).collect(), next_cursor }
    }
}

/// For optional fields that may also be set to null: absent is `None`, `null` is
/// `Some(None)`, a value is `Some(Some(v))`. Use with `#[serde(default)]`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Text with no control character but line breaks and tabs, as `has_control` reads it (Rust's
/// `char::is_control`: C0, DEL and C1).
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";
/// A name: text as above with at least one character that is not a space (names are trimmed
/// and an empty one is refused).
pub const NAME_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// The component named by every body's unnamed fields.
const ANY_VALUE: &str = "AnyValue";

/// The years `brigade_domain::when` takes, 1970 to 2199, at the start of a date or an instant.
pub const YEAR_PATTERN: &str = "^(19[7-9][0-9]|2[01][0-9][0-9])-";

/// Writes what these extractors enforce on every input into the OpenAPI document: each string
/// a request carries (parameter, body field, object key) without a format, an enum or a
/// pattern of its own gets `TEXT_PATTERN`, and at most `caps::ANY_TEXT` characters; each list
/// at most `caps::ANY_LIST` entries. Only schemas a request reaches are touched, so a response
/// is never held to a request's caps unless it shares the schema (and then it holds: what
/// was stored came in through these checks).
pub fn document_input_rules(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    let mut pending: Vec<String> = Vec::new();
    for item in doc.paths.paths.values_mut() {
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            for param in op.parameters.iter_mut().flatten() {
                if let Some(schema) = param.schema.as_mut() {
                    input_rules(schema, &mut pending);
                }
            }
            if let Some(body) = op.request_body.as_mut() {
                for content in body.content.values_mut() {
                    if let Some(schema) = content.schema.as_mut() {
                        input_rules(schema, &mut pending);
                    }
                }
            }
        }
    }
    let mut done = std::collections::BTreeSet::new();
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert(ANY_VALUE.to_owned(), RefOr::T(any_value()));
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = components.schemas.get_mut(&name) {
            input_rules(schema, &mut pending);
        }
    }
    fn text_key() -> utoipa::openapi::schema::Object {
        let mut key = utoipa::openapi::schema::Object::with_type(utoipa::openapi::Type::String);
        key.pattern = Some(TEXT_PATTERN.to_owned());
        key
    }
    /// Any JSON value whose strings and keys hold no control character.
    fn any_value() -> utoipa::openapi::Schema {
        use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let any = || utoipa::openapi::Ref::from_schema_name(ANY_VALUE);
        let scalar = ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::Array(vec![
            Type::Null,
            Type::Boolean,
            Type::Number,
        ]));
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::RefOr(RefOr::Ref(any()))))
            .build();
        object.property_names = Some(Box::new(utoipa::openapi::Schema::Object(text_key())));
        OneOfBuilder::new()
            .item(scalar)
            .item(text_key())
            .item(ArrayBuilder::new().items(any()))
            .item(object)
            .description(Some("Any JSON whose strings and keys hold no control character"))
            .into()
    }
    fn input_rules(schema: &mut RefOr<utoipa::openapi::Schema>, refs: &mut Vec<String>) {
        use brigade_domain::caps::{ANY_LIST, ANY_TEXT};
        use utoipa::openapi::schema::{
            AdditionalProperties, ArrayItems, KnownFormat, Schema, SchemaFormat, SchemaType, Type,
        };
        use utoipa::Number;
        let has = |t: &SchemaType, want: Type| match t {
            SchemaType::Type(t) => *t == want,
            SchemaType::Array(ts) => ts.contains(&want),
            SchemaType::AnyValue => false,
        };
        let schema = match schema {
            RefOr::Ref(r) => {
                if let Some(name) = r.ref_location.strip_prefix("#/components/schemas/") {
                    refs.push(name.to_owned());
                }
                return;
            }
            RefOr::T(s) => s,
        };
        match schema {
            Schema::Object(o) => {
                if has(&o.schema_type, Type::String) && o.format.is_none() && o.enum_values.is_none() {
                    o.pattern.get_or_insert_with(|| TEXT_PATTERN.to_owned());
                    o.max_length.get_or_insert(ANY_TEXT);
                }
                // Dates and instants are read through `brigade_domain::when`: years 1970 to 2199.
                if matches!(o.format, Some(SchemaFormat::KnownFormat(KnownFormat::Date | KnownFormat::DateTime))) {
                    o.pattern.get_or_insert_with(|| YEAR_PATTERN.to_owned());
                }
                // An integer past its Rust type's range does not deserialize.
                if has(&o.schema_type, Type::Integer) {
                    let (min, max) = match o.format {
                        Some(SchemaFormat::KnownFormat(KnownFormat::Int32)) => (i32::MIN as isize, i32::MAX as isize),
                        _ => (i64::MIN as isize, i64::MAX as isize),
                    };
                    o.minimum.get_or_insert(Number::Int(min));
                    o.maximum.get_or_insert(Number::Int(max));
                }
                if has(&o.schema_type, Type::Object) {
                    o.property_names.get_or_insert_with(|| Box::new(Schema::Object(text_key())));
                    // Fields a body does not name are ignored, but their text is read too.
                    o.additional_properties.get_or_insert_with(|| {
                        Box::new(AdditionalProperties::RefOr(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            ANY_VALUE,
                        ))))
                    });
                }
                for property in o.properties.values_mut() {
                    input_rules(property, refs);
                }
                if let Some(AdditionalProperties::RefOr(extra)) = o.additional_properties.as_deref_mut() {
                    input_rules(extra, refs);
                }
            }
            Schema::Array(a) => {
                a.max_items.get_or_insert(ANY_LIST);
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    input_rules(items, refs);
                }
            }
            Schema::OneOf(s) => s.items.iter_mut().for_each(|s| input_rules(s, refs)),
            Schema::AllOf(s) => s.items.iter_mut().for_each(|s| input_rules(s, refs)),
            Schema::AnyOf(s) => s.items.iter_mut().for_each(|s| input_rules(s, refs)),
            _ => {}
        }
    }
}

/// A CSV field, quoted when it must be; a leading =, +, - or @ is defused for spreadsheets.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
