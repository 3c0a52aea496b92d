//! The stylesheet and scripts, compiled into the binary. Pages link them as
//! `/assets/NAME?v=VERSION`, where VERSION is a hash of every asset: a new build changes
//! the URLs, so browsers may cache an asset for a year.

use crate::extract::{Path, Query};
use axum::http::{header, HeaderValue, StatusCode};
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
    ("pos.css", "text/css; charset=utf-8", include_str!("../../assets/pos.css")),
    ("pos.js", "text/javascript; charset=utf-8", include_str!("../../assets/pos.js")),
    ("pinpad.js", "text/javascript; charset=utf-8", include_str!("../../assets/pinpad.js")),
    ("sheet.js", "text/javascript; charset=utf-8", include_str!("../../assets/sheet.js")),
    ("login.js", "text/javascript; charset=utf-8", include_str!("../../assets/login.js")),
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

pub async fn serve(Path(name): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut r = (*body).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let cache = if q.get("v").map(String::as_str) == Some(version()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}
