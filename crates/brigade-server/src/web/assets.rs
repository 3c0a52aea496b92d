//! The stylesheet and scripts, compiled into the binary. Pages link them as
//! `/assets/NAME?v=VERSION`, where VERSION is a hash of every asset: a new build changes
//! the URLs, so browsers may cache an asset for a year. A browser that takes gzip gets
//! each asset gzipped, compressed once on first use (a quarter of the bytes on the wire).

use crate::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

const FILES: &[(&str, &str, &str)] = &[
    ("brigade.css", "text/css; charset=utf-8", include_str!("../../assets/brigade.css")),
    ("brigade.js", "text/javascript; charset=utf-8", include_str!("../../assets/brigade.js")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../assets/app.js")),
    ("kds.js", "text/javascript; charset=utf-8", include_str!("../../assets/kds.js")),
    ("guest.js", "text/javascript; charset=utf-8", include_str!("../../assets/guest.js")),
    ("staff.js", "text/javascript; charset=utf-8", include_str!("../../assets/staff.js")),
    ("board.js", "text/javascript; charset=utf-8", include_str!("../../assets/board.js")),
    ("stock.js", "text/javascript; charset=utf-8", include_str!("../../assets/stock.js")),
    ("labour.js", "text/javascript; charset=utf-8", include_str!("../../assets/labour.js")),
    ("connect.js", "text/javascript; charset=utf-8", include_str!("../../assets/connect.js")),
    ("schedule.js", "text/javascript; charset=utf-8", include_str!("../../assets/schedule.js")),
    ("tasks.js", "text/javascript; charset=utf-8", include_str!("../../assets/tasks.js")),
    ("guests.js", "text/javascript; charset=utf-8", include_str!("../../assets/guests.js")),
    ("mydata.js", "text/javascript; charset=utf-8", include_str!("../../assets/mydata.js")),
    ("pos.css", "text/css; charset=utf-8", include_str!("../../assets/pos.css")),
    ("pos.js", "text/javascript; charset=utf-8", include_str!("../../assets/pos.js")),
    ("pinpad.js", "text/javascript; charset=utf-8", include_str!("../../assets/pinpad.js")),
    ("sheet.js", "text/javascript; charset=utf-8", include_str!("../../assets/sheet.js")),
    ("login.js", "text/javascript; charset=utf-8", include_str!("../../assets/login.js")),
    ("assistant.js", "text/javascript; charset=utf-8", include_str!("../../assets/assistant.js")),
    ("analytics.js", "text/javascript; charset=utf-8", include_str!("../../assets/analytics.js")),
];

/// A short hash of all assets (the same for every process of one build).
pub fn version() -> &'static str {
    static V: OnceLock<String> = OnceLock::new();
    V.get_or_init(|| {
        // DefaultHasher::new() has fixed keys: every process of a build agrees.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for (name, _, body) in FILES {
            name.hash(&mut h);
            body.hash(&mut h);
        }
        format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
    })
}

/// Asset `i` gzipped, made the first time it is asked for (None only if compressing into
/// memory failed, which it does not: the asset is then sent as it is).
fn gzipped(i: usize) -> Option<&'static [u8]> {
    static GZ: OnceLock<Vec<OnceLock<Option<Vec<u8>>>>> = OnceLock::new();
    let all = GZ.get_or_init(|| FILES.iter().map(|_| OnceLock::new()).collect());
    all[i]
        .get_or_init(|| {
            use std::io::Write;
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(FILES[i].2.as_bytes()).ok()?;
            z.finish().ok()
        })
        .as_deref()
}

/// Whether `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
fn takes_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |c| {
            let mut parts = c.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        },
    )
}

pub async fn serve(Path(name): Path<String>, Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let Some(i) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let (_, content_type, body) = FILES[i];
    let gz = if takes_gzip(&headers) { gzipped(i) } else { None };
    let mut r = match gz {
        Some(gz) => gz.into_response(),
        None => body.into_response(),
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gz.is_some() {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let cache = if q.get("v").map(String::as_str) == Some(version()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn gzip_is_sent_only_to_who_takes_it() {
        assert!(takes_gzip(&accepting("gzip, deflate, br, zstd")));
        assert!(takes_gzip(&accepting("br;q=1.0, GZIP;q=0.5")));
        assert!(takes_gzip(&accepting("*")));
        assert!(!takes_gzip(&accepting("gzip;q=0, br")));
        assert!(!takes_gzip(&accepting("identity")));
        assert!(!takes_gzip(&HeaderMap::new()));
    }

    #[test]
    fn every_asset_gzipped_reads_back_the_same() {
        use std::io::Read;
        for (i, (name, _, body)) in FILES.iter().enumerate() {
            let mut out = String::new();
            let gz = gzipped(i).unwrap();
            flate2::read::GzDecoder::new(gz).read_to_string(&mut out).unwrap();
            assert_eq!(out, *body, "{name}");
            assert!(gz.len() < body.len() / 2, "{name} compresses");
        }
    }
}
