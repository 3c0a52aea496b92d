//! The web app: the pages people use in a browser, served by the same binary.
//!
//! Pages are askama templates compiled in; each loads one stylesheet and a small
//! hand-written JavaScript module from `/assets` (embedded, see `assets`). The scripts
//! talk to the same JSON API and WebSocket as every other client.
//!
//! Sessions: signing in on `/login` sets `brigade_session`, an HttpOnly, SameSite=Strict
//! cookie holding the session's refresh token (Secure when the public URL is https).
//! The cookie is never sent to the JSON API, which only takes bearer tokens: a page's
//! script trades it for a short-lived access token at `POST /web/token`, kept in memory
//! and renewed before it expires. That call and sign-out are the only cookie-
//! authenticated writes, and both need the page's CSRF token (derived from the cookie's
//! secret) in `X-CSRF-Token`. Every route that sets the cookie (sign-in, sign-up,
//! sign-out, accepting an invitation) takes only `application/json` from this site's own
//! pages (`Origin` and `Sec-Fetch-Site` checked), so a page elsewhere cannot sign a
//! browser into another account with a form or a `text/plain` post. The staff PIN pad (`/staff`) sets no cookie at all: its
//! token lives in the page's memory for one action, then the session is ended.

mod assets;

use crate::accounts::{
    access_token, create_owner, end_session, password_sign_in, signup_open, SignInAttempt, SignupRequest,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::extract::{Path, Query};
use crate::ops::ClientIp;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use brigade_domain::auth::{Permission, Role};
use brigade_domain::credentials::secret_digest;
use brigade_domain::{SessionId, UserId};
use brigade_store::restaurants::{self, RestaurantRow};
use brigade_store::{sessions, tables, users};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const COOKIE: &str = "brigade_session";
const DEVICE_COOKIE: &str = "brigade_device";
const CSRF_HEADER: &str = "x-csrf-token";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/app") }))
        .route("/login", get(login_page))
        .route("/signup", get(signup_page))
        .route("/web/session", post(sign_in).delete(sign_out))
        .route("/web/signup", post(sign_up))
        .route("/web/token", post(token))
        .route("/invite/{token}", get(invite_page))
        .route("/web/invitations/{token}", post(accept_invite))
        .route("/app", get(app_home))
        .route("/app/tables/print", get(qr_sheet))
        .route("/app/{section}", get(app_section))
        .route("/kds", get(kds_page))
        .route("/pos", get(pos_page))
        .route("/staff", get(staff_page))
        .route("/t/{token}", get(guest_page))
        .route("/t/{token}/orders/{id}", get(guest_order_page))
        .route("/my-data/{token}", get(my_data_page))
        .route("/assets/{name}", get(assets::serve))
}

// ---------------------------------------------------------------- sessions

/// The signed-in person behind a page request, from the session cookie.
pub struct WebSession {
    pub user: users::UserRow,
    pub session_id: SessionId,
    /// The restaurant a PIN session is confined to (the web's own sign-in has none).
    pub scope: Option<brigade_domain::RestaurantId>,
    /// Derived from the cookie's secret; pages echo it in `X-CSRF-Token`.
    pub csrf: String,
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn csrf_for(secret: &str) -> String {
    secret_digest(&format!("csrf:{secret}"))
}

/// The live session the cookie names, if any: not revoked, not expired, user active.
async fn web_session(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<WebSession>> {
    let Some(secret) = cookie_value(headers, COOKIE).filter(|s| s.starts_with("brt_")) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let Some(found) = sessions::refresh_by_hash(&state.db, &secret_digest(secret)).await? else {
        return Ok(None);
    };
    if found.session_revoked_at.is_some() || found.session_expires_at <= now || found.expires_at <= now {
        return Ok(None);
    }
    let Some(user) = users::get(&state.db, found.user_id).await?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    let scope = found.session_restaurant_id.map(brigade_domain::RestaurantId);
    Ok(Some(WebSession { user, session_id: SessionId(found.session_id), scope, csrf: csrf_for(secret) }))
}

/// A cookie-authenticated write must carry the page's CSRF token.
async fn web_session_for_write(state: &AppState, headers: &HeaderMap) -> ApiResult<WebSession> {
    let session = web_session(state, headers)
        .await?
        .ok_or_else(|| ApiError::unauthorized(crate::error::ErrorCode::Unauthenticated, "sign in again"))?;
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !brigade_domain::credentials::constant_time_eq(sent.as_bytes(), session.csrf.as_bytes()) {
        return Err(ApiError::Forbidden {
            code: crate::error::ErrorCode::Csrf,
            message: "missing or wrong X-CSRF-Token".into(),
        });
    }
    Ok(session)
}

/// A cookie-setting request must come from one of this site's own pages: a browser says
/// where a request comes from in `Sec-Fetch-Site` (modern browsers) and `Origin` (all
/// cross-origin posts), and neither may name another site.
fn same_site(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let cross = || ApiError::Forbidden {
        code: crate::error::ErrorCode::CrossSite,
        message: "this request must come from Brigade's own pages".into(),
    };
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return Err(cross());
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().map_err(|_| cross())?;
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let own = origin.split_once("://").map(|(_, rest)| rest) == Some(host)
            || origin.trim_end_matches('/') == state.config.public_base_url.trim_end_matches('/');
        if !own {
            return Err(cross());
        }
    }
    Ok(())
}

/// As `same_site`, and the body must be declared JSON: a form or `text/plain` post, which
/// any page may send anywhere without asking, is refused.
fn same_site_json(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    same_site(state, headers)
}

/// A JSON body posted by one of this site's own pages (`same_site_json`), checked before
/// the body is read.
struct FromOurPages<T>(T);

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for FromOurPages<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, ApiError> {
        same_site_json(state, req.headers())?;
        let Json(body) = Json::<T>::from_request(req, state).await?;
        Ok(FromOurPages(body))
    }
}

/// Remembers that this browser signed in to an account, for a year: with it, the right
/// password gets in even while failed guesses by others slow the account down.
fn device_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.config.public_base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie =
        format!("{DEVICE_COOKIE}={token}; Path=/web/session; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn session_cookie(state: &AppState, value: &str, max_age: u64) -> HeaderValue {
    let secure = if state.config.public_base_url.starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Deserialize)]
struct SignIn {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct SignedIn {
    name: String,
}

/// Signs in from the login page: the same checks and limits as `/v1/auth/login`, but the
/// session goes into the cookie instead of the response.
async fn sign_in(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    headers: HeaderMap,
    FromOurPages(body): FromOurPages<SignIn>,
) -> ApiResult<Response> {
    let device = cookie_value(&headers, DEVICE_COOKIE);
    let attempt = SignInAttempt { email: &body.email, password: &body.password, device };
    let signed = password_sign_in(&state, ip, attempt, "web").await?;
    let mut r = axum::Json(SignedIn { name: signed.user.name }).into_response();
    let max_age = state.config.refresh_ttl().as_secs();
    r.headers_mut().append(header::SET_COOKIE, session_cookie(&state, &signed.refresh_token, max_age));
    r.headers_mut().append(header::SET_COOKIE, device_cookie(&state, &signed.device_token));
    Ok(r)
}

/// Creates the first owner and restaurant from the sign-up page, signed in by cookie.
async fn sign_up(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    FromOurPages(body): FromOurPages<SignupRequest>,
) -> ApiResult<Response> {
    let (user, _, _, refresh_token) = create_owner(&state, ip, body, "web").await?;
    let mut r = (StatusCode::CREATED, axum::Json(SignedIn { name: user.name })).into_response();
    let max_age = state.config.refresh_ttl().as_secs();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &refresh_token, max_age));
    Ok(r)
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    same_site(&state, &headers)?;
    let session = web_session_for_write(&state, &headers).await?;
    end_session(&state, UserId(session.user.id), session.session_id, false).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(r)
}

#[derive(Serialize)]
struct WebToken {
    access_token: String,
    expires_in: u64,
}

/// An access token for the page's scripts, from the cookie's session.
async fn token(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let session = web_session_for_write(&state, &headers).await?;
    let (access_token, expires_in) = access_token(&state, &session.user, session.session_id, session.scope).await?;
    let mut r = axum::Json(WebToken { access_token, expires_in }).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[derive(Deserialize, Default)]
struct AcceptInvite {
    name: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
struct Joined {
    restaurant_id: Uuid,
}

/// Accepts an invitation from its page: as the signed-in person (the page's CSRF token
/// needed), or by creating an account with a password of one's own, signed in by cookie.
async fn accept_invite(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(token): Path<String>,
    headers: HeaderMap,
    FromOurPages(body): FromOurPages<AcceptInvite>,
) -> ApiResult<Response> {
    use crate::people::{accept_invitation, Acceptor};
    if web_session(&state, &headers).await?.is_some() {
        let session = web_session_for_write(&state, &headers).await?;
        let accepted = accept_invitation(&state, &token, Acceptor::Account(UserId(session.user.id))).await?;
        return Ok(axum::Json(Joined { restaurant_id: accepted.restaurant_id }).into_response());
    }
    let password = body.password.ok_or_else(|| ApiError::validation("password", "choose a password"))?;
    let who = Acceptor::NewAccount { name: body.name, password, session_kind: "web", ip };
    let accepted = accept_invitation(&state, &token, who).await?;
    let (_, refresh_token) = accepted.session.ok_or_else(|| ApiError::internal("a new account without a session"))?;
    let mut r = (StatusCode::CREATED, axum::Json(Joined { restaurant_id: accepted.restaurant_id })).into_response();
    let max_age = state.config.refresh_ttl().as_secs();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &refresh_token, max_age));
    Ok(r)
}

// ---------------------------------------------------------------- pages

/// Renders a page with the headers every page gets: no caching of personal pages, a
/// content security policy that allows nothing from elsewhere, no framing.
fn page(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => {
            let mut r = (status, html).into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data: blob: https:; script-src 'self'; style-src 'self'; \
                     connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                ),
            );
            h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            r
        }
        Err(e) => ApiError::internal(format!("rendering a page: {e}")).into_response(),
    }
}

/// JSON for a `<script type="application/json">` block: nothing in it can close the tag.
/// What the pages' scripts know of the server's types, from the types themselves: each
/// order status with the steps the state machine allows from it (cancelling aside: it has
/// its own button), and the channels. Embedded in every page (`base.html`), so the
/// browser never keeps a copy of a Rust enum.
pub(crate) fn vocabulary_json() -> &'static str {
    use brigade_domain::menu::Channel;
    use brigade_domain::order::OrderStatus;
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        let statuses: Vec<serde_json::Value> = OrderStatus::ALL
            .into_iter()
            .map(|from| {
                let next: Vec<&str> = OrderStatus::ALL
                    .into_iter()
                    .filter(|to| *to != OrderStatus::Cancelled && from.transition(*to).is_ok())
                    .map(OrderStatus::as_str)
                    .collect();
                serde_json::json!({ "status": from.as_str(), "next": next })
            })
            .collect();
        let channels: Vec<&str> = Channel::ALL.into_iter().map(Channel::as_str).collect();
        embed_json(&serde_json::json!({ "order_statuses": statuses, "channels": channels }))
    })
}

fn embed_json(v: &impl Serialize) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn to_login(path_and_query: &str) -> Response {
    let next: String = path_and_query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// A page that went wrong, for people rather than programs.
fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    page(&MessagePage { v: assets::version(), title, message }, status)
}

fn page_error(e: ApiError) -> Response {
    match e.status() {
        s if s.is_server_error() => {
            tracing::error!(error = ?e, "page failed");
            error_page(s, "Something went wrong", "Brigade could not show this page. Try again in a moment.")
        }
        s => error_page(s, "Not available", "This page is not available."),
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    v: &'static str,
    title: &'a str,
    message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    v: &'static str,
    signup_open: bool,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    // Already signed in: straight on.
    if let Ok(Some(_)) = web_session(&state, &headers).await {
        return Redirect::to("/app").into_response();
    }
    let signup_open = signup_open(&state).await.unwrap_or(false);
    page(&LoginPage { v: assets::version(), signup_open }, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    v: &'static str,
    token: String,
    restaurant: String,
    restaurant_id: Uuid,
    role: String,
    email: String,
    name: String,
    /// The signed-in person's email, if someone is signed in here.
    signed_in_as: Option<String>,
    /// Whether the signed-in person is the one invited.
    is_invitee: bool,
    csrf: Option<String>,
}

/// Where an invited person lands: what they are invited to, and how to accept.
async fn invite_page(State(state): State<AppState>, headers: HeaderMap, Path(token): Path<String>) -> Response {
    let info = match crate::people::open_invitation(&state, &token).await {
        Ok((_, info)) => info,
        Err(e) if e.status() == StatusCode::NOT_FOUND => {
            return error_page(
                StatusCode::NOT_FOUND,
                "Invitation not valid",
                "This invitation was used, taken back or has expired. Ask whoever invited you for a new one.",
            )
        }
        Err(e) => return page_error(e),
    };
    let session = match web_session(&state, &headers).await {
        Ok(s) => s,
        Err(e) => return page_error(e),
    };
    let signed_in_as = session.as_ref().map(|s| s.user.email.clone().unwrap_or_default());
    let csrf = session.map(|s| s.csrf);
    let is_invitee = signed_in_as.as_deref() == Some(info.email.as_str());
    let p = InvitePage {
        is_invitee,
        v: assets::version(),
        token,
        restaurant: info.restaurant_name,
        restaurant_id: info.restaurant_id,
        role: info.role,
        email: info.email,
        name: info.name,
        signed_in_as,
        csrf,
    };
    page(&p, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    v: &'static str,
}

/// Where a new server's first owner creates their restaurant. Closed (to sign-in) once
/// the server has users, unless `--open-signup`.
async fn signup_page(State(state): State<AppState>) -> Response {
    match signup_open(&state).await {
        Ok(true) => page(&SignupPage { v: assets::version() }, StatusCode::OK),
        Ok(false) => Redirect::to("/login").into_response(),
        Err(e) => page_error(e),
    }
}

#[derive(Deserialize)]
struct PageParams {
    /// Which restaurant, for people in several.
    r: Option<Uuid>,
    /// KDS: a station id, or absent for expo.
    station: Option<Uuid>,
}

/// A signed-in page's context: who, where, and with what role.
struct Context {
    session: WebSession,
    restaurant: RestaurantRow,
    role: Role,
    restaurants: Vec<(Uuid, String)>,
}

impl Context {
    fn allows(&self, p: Permission) -> bool {
        self.role.allows(p)
    }
}

/// Finds the page's restaurant (`?r=`, else the first of the user's), or says why not.
async fn context(state: &AppState, headers: &HeaderMap, r: Option<Uuid>, path: &str) -> Result<Context, Response> {
    let session = match web_session(state, headers).await {
        Ok(Some(s)) => s,
        Ok(None) => return Err(to_login(path)),
        Err(e) => return Err(page_error(e)),
    };
    let mut memberships =
        restaurants::for_user(&state.db, session.user.id, None, 1000).await.map_err(|e| page_error(e.into()))?;
    memberships.retain(|(row, _)| session.scope.is_none_or(|s| s.0 == row.id));
    let restaurants_list = memberships.iter().map(|(r, _)| (r.id, r.name.clone())).collect();
    let chosen = match r {
        Some(id) => memberships.into_iter().find(|(row, _)| row.id == id),
        None => memberships.into_iter().next(),
    };
    let Some((restaurant, role)) = chosen else {
        return Err(error_page(
            StatusCode::NOT_FOUND,
            "No restaurant here",
            "Your account does not belong to this restaurant. Ask its owner or a manager to add you.",
        ));
    };
    let role = role.parse().map_err(|_| page_error(ApiError::internal("unknown role")))?;
    Ok(Context { session, restaurant, role, restaurants: restaurants_list })
}

/// The dashboard's sections, in the order of its navigation, with what each needs.
const SECTIONS: &[(&str, &str, Permission)] = &[
    ("today", "Today", Permission::OrdersRead),
    ("orders", "Orders", Permission::OrdersRead),
    ("customers", "Guests", Permission::CustomersRead),
    ("analytics", "Analytics", Permission::ReportsRead),
    ("86", "86 board", Permission::EightySix),
    ("menu", "Menu", Permission::MenuWrite),
    ("inventory", "Inventory", Permission::InventoryRead),
    ("count", "Stock count", Permission::InventoryWrite),
    ("labour", "Labour", Permission::UsersRead),
    ("schedule", "Schedule", Permission::RestaurantRead),
    ("tasks", "Tasks", Permission::RestaurantRead),
    ("tables", "Tables", Permission::RestaurantWrite),
    ("people", "People", Permission::UsersRead),
    ("integrations", "Integrations", Permission::IntegrationsRead),
    ("keys", "API keys", Permission::ApiKeysManage),
    ("audit", "Audit log", Permission::AuditRead),
    ("settings", "Settings", Permission::RestaurantWrite),
];

struct NavLink {
    key: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "app.html")]
struct AppPage {
    v: &'static str,
    section: &'static str,
    title: &'static str,
    nav: Vec<NavLink>,
    user_name: String,
    role: &'static str,
    csrf: String,
    rid: Uuid,
    restaurant_name: String,
    restaurant_json: String,
    restaurants: Vec<(Uuid, String)>,
    may_kds: bool,
    may_pos: bool,
}

async fn app_home(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageParams>) -> Response {
    render_app(&state, &headers, q.r, "today").await
}

async fn app_section(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(section): Path<String>,
    Query(q): Query<PageParams>,
) -> Response {
    render_app(&state, &headers, q.r, &section).await
}

async fn render_app(state: &AppState, headers: &HeaderMap, r: Option<Uuid>, section: &str) -> Response {
    let Some(&(key, title, _)) = SECTIONS.iter().find(|(k, _, _)| *k == section) else {
        return error_page(StatusCode::NOT_FOUND, "Not found", "There is no such page in Brigade.");
    };
    let path = if key == "today" { "/app".to_owned() } else { format!("/app/{key}") };
    let cx = match context(state, headers, r, &path).await {
        Ok(cx) => cx,
        Err(r) => return r,
    };
    if cx.role == Role::Kitchen {
        // A kitchen account has one screen.
        return Redirect::to(&format!("/kds?r={}", cx.restaurant.id)).into_response();
    }
    let nav: Vec<NavLink> = SECTIONS
        .iter()
        .filter(|(_, _, p)| cx.allows(*p))
        .map(|&(k, label, _)| NavLink { key: k, label, current: k == key })
        .collect();
    let allowed = SECTIONS.iter().any(|(k, _, p)| *k == key && cx.allows(*p));
    if !allowed {
        return error_page(
            StatusCode::FORBIDDEN,
            "Not for your role",
            &format!("Your role ({}) does not include this page.", cx.role),
        );
    }
    let restaurant = crate::restaurants::RestaurantView::from(cx.restaurant.clone());
    let may_kds = cx.allows(Permission::KitchenWork);
    let may_pos = cx.allows(Permission::OrdersWrite);
    page(
        &AppPage {
            v: assets::version(),
            section: key,
            title,
            nav,
            user_name: cx.session.user.name.clone(),
            role: cx.role.as_str(),
            csrf: cx.session.csrf.clone(),
            rid: cx.restaurant.id,
            restaurant_name: cx.restaurant.name.clone(),
            restaurant_json: embed_json(&restaurant),
            restaurants: cx.restaurants,
            may_kds,
            may_pos,
        },
        StatusCode::OK,
    )
}

struct Card {
    name: String,
    capacity: i64,
    url: String,
    svg: String,
}

#[derive(Template)]
#[template(path = "qr_sheet.html")]
struct QrSheet {
    v: &'static str,
    restaurant_name: String,
    rid: Uuid,
    cards: Vec<Card>,
}

/// Every table's code on one printable sheet, one card per table.
async fn qr_sheet(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageParams>) -> Response {
    let cx = match context(&state, &headers, q.r, "/app/tables/print").await {
        Ok(cx) => cx,
        Err(r) => return r,
    };
    if !cx.allows(Permission::RestaurantWrite) {
        return error_page(StatusCode::FORBIDDEN, "Not for your role", "Only owners and managers print table codes.");
    }
    let rows = match tables::list(&state.db, cx.restaurant.id).await {
        Ok(rows) => rows,
        Err(e) => return page_error(e.into()),
    };
    let mut cards = Vec::with_capacity(rows.len());
    for t in rows {
        let url = crate::tables::qr_url(&state, &t);
        match crate::tables::qr_svg_markup(&url) {
            Ok(svg) => cards.push(Card { name: t.name, capacity: t.capacity, url, svg }),
            Err(e) => return page_error(e),
        }
    }
    page(
        &QrSheet { v: assets::version(), restaurant_name: cx.restaurant.name, rid: cx.restaurant.id, cards },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "kds.html")]
struct KdsPage {
    v: &'static str,
    tz: String,
    csrf: String,
    rid: Uuid,
    restaurant_name: String,
    station: Option<Uuid>,
    warn_secs: i64,
    late_secs: i64,
}

async fn kds_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageParams>) -> Response {
    let path = match q.station {
        Some(s) => format!("/kds?station={s}"),
        None => "/kds".to_owned(),
    };
    let cx = match context(&state, &headers, q.r, &path).await {
        Ok(cx) => cx,
        Err(r) => return r,
    };
    if !cx.allows(Permission::KitchenWork) {
        return error_page(StatusCode::FORBIDDEN, "Not for your role", "The kitchen display is for kitchen roles.");
    }
    page(
        &KdsPage {
            v: assets::version(),
            tz: cx.restaurant.timezone.clone(),
            csrf: cx.session.csrf,
            rid: cx.restaurant.id,
            restaurant_name: cx.restaurant.name,
            station: q.station,
            warn_secs: cx.restaurant.kds_warn_secs,
            late_secs: cx.restaurant.kds_late_secs,
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "pos.html")]
struct PosPage {
    v: &'static str,
    csrf: String,
    rid: Uuid,
    restaurant_name: String,
    restaurant_json: String,
    user_name: String,
    role: &'static str,
    /// A shared device: people sign in with their PIN, and it locks itself when idle.
    device: bool,
    business_day: String,
}

/// What the counter shows of its restaurant.
#[derive(Serialize)]
struct PosRestaurant<'a> {
    name: &'a str,
    timezone: &'a str,
    currency: &'a str,
    address: Option<&'a str>,
    phone: Option<&'a str>,
}

#[derive(Deserialize)]
struct PosParams {
    /// The restaurant: its id when signed in; its slug (or id) on a shared device.
    r: Option<String>,
}

/// The counter: order entry, the floor, checks and payments, and the close of the day.
/// Signed in, it is the person's; opened as `/pos?r=<slug>` without a session, it is a
/// shared device where people sign in with their PIN.
async fn pos_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PosParams>) -> Response {
    let r = q.r.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let signed_in = match web_session(&state, &headers).await {
        Ok(s) => s.is_some(),
        Err(e) => return page_error(e),
    };
    let (row, device, csrf, user_name, role) = if signed_in || r.is_none() {
        let cx = match context(&state, &headers, r.and_then(|r| r.parse().ok()), "/pos").await {
            Ok(cx) => cx,
            Err(r) => return r,
        };
        if !cx.allows(Permission::OrdersWrite) {
            return error_page(
                StatusCode::FORBIDDEN,
                "Not for your role",
                "The counter is for owners, managers and staff.",
            );
        }
        (cx.restaurant, false, cx.session.csrf, cx.session.user.name, cx.role.as_str())
    } else {
        let r = r.unwrap_or_default();
        let found = match r.parse::<Uuid>() {
            Ok(id) => restaurants::get(&state.db, id).await,
            Err(_) => restaurants::by_slug(&state.db, r).await,
        };
        match found {
            Ok(Some(row)) => (row, true, String::new(), String::new(), ""),
            Ok(None) => {
                return error_page(StatusCode::NOT_FOUND, "Unknown restaurant", "No restaurant has that name here.")
            }
            Err(e) => return page_error(e.into()),
        }
    };
    let day = match crate::restaurants::business_days(&state.db, &row).await {
        Ok(days) => days.day_of(state.clock.now()),
        Err(e) => return page_error(e),
    };
    let shown = PosRestaurant {
        name: &row.name,
        timezone: &row.timezone,
        currency: &row.currency,
        address: row.address.as_deref(),
        phone: row.phone.as_deref(),
    };
    page(
        &PosPage {
            v: assets::version(),
            csrf,
            rid: row.id,
            restaurant_json: embed_json(&shown),
            restaurant_name: row.name.clone(),
            user_name,
            role,
            device,
            business_day: day.to_string(),
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct StaffParams {
    /// The restaurant's slug (or id) this device belongs to.
    r: Option<String>,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    v: &'static str,
    tz: String,
    rid: Uuid,
    restaurant_name: String,
    currency: String,
}

/// The shared device's PIN pad. The device is set up once with `/staff?r=<slug>`.
async fn staff_page(State(state): State<AppState>, Query(q): Query<StaffParams>) -> Response {
    let Some(r) = q.r.as_deref().map(str::trim).filter(|r| !r.is_empty()) else {
        return error_page(
            StatusCode::NOT_FOUND,
            "Which restaurant?",
            "Open this device's page as /staff?r=your-restaurant-slug (the slug is in Settings).",
        );
    };
    let found = match r.parse::<Uuid>() {
        Ok(id) => restaurants::get(&state.db, id).await,
        Err(_) => restaurants::by_slug(&state.db, r).await,
    };
    match found {
        Ok(Some(row)) => page(
            &StaffPage {
                v: assets::version(),
                tz: row.timezone,
                rid: row.id,
                restaurant_name: row.name,
                currency: row.currency,
            },
            StatusCode::OK,
        ),
        Ok(None) => error_page(StatusCode::NOT_FOUND, "Unknown restaurant", "No restaurant has that name here."),
        Err(e) => page_error(e.into()),
    }
}

#[derive(Template)]
#[template(path = "guest.html")]
struct GuestPage {
    v: &'static str,
    tz: String,
    token: String,
    restaurant_name: String,
    table_name: String,
    rid: Uuid,
    menu_json: String,
}

fn invalid_code() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "This code is no longer valid",
        "This table's code has changed or is not one of ours. Please ask your server for help.",
    )
}

/// What a guest's phone opens from the table's QR code: the live menu, server-priced.
async fn guest_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let table = match crate::tables::table_for_token(&state, &token).await {
        Ok(t) => t,
        Err(ApiError::NotFound { .. }) => return invalid_code(),
        Err(e) => return page_error(e),
    };
    let restaurant = match restaurants::get(&state.db, table.restaurant_id).await {
        Ok(Some(r)) => r,
        Ok(None) => return invalid_code(),
        Err(e) => return page_error(e.into()),
    };
    let menu = match crate::menu::build_public_menu(&state, restaurant.clone(), brigade_domain::menu::Channel::Qr).await
    {
        Ok(m) => m,
        Err(e) => return page_error(e),
    };
    page(
        &GuestPage {
            v: assets::version(),
            tz: restaurant.timezone.clone(),
            token,
            restaurant_name: restaurant.name,
            table_name: table.name,
            rid: restaurant.id,
            menu_json: embed_json(&menu),
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    v: &'static str,
    token: String,
}

/// The page a guest's signed link opens: their data, to download or erase (the script
/// calls `/v1/public/guests/{token}`, which checks the link).
async fn my_data_page(Path(token): Path<String>) -> Response {
    page(&MyDataPage { v: assets::version(), token }, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "guest_order.html")]
struct GuestOrderPage {
    v: &'static str,
    tz: String,
    token: String,
    restaurant_name: String,
    slug: String,
    table_name: String,
    order_id: Uuid,
}

/// The page a guest follows their order on. The tracking key stays in the URL's
/// fragment (never sent to the server in page loads or referrers); the script reads it.
async fn guest_order_page(State(state): State<AppState>, Path((token, order_id)): Path<(String, Uuid)>) -> Response {
    let table = match crate::tables::table_for_token(&state, &token).await {
        Ok(t) => t,
        Err(ApiError::NotFound { .. }) => return invalid_code(),
        Err(e) => return page_error(e),
    };
    let (restaurant_name, tz, slug) = match restaurants::get(&state.db, table.restaurant_id).await {
        Ok(Some(r)) => (r.name, r.timezone, r.slug),
        Ok(None) => return invalid_code(),
        Err(e) => return page_error(e.into()),
    };
    page(
        &GuestOrderPage { v: assets::version(), tz, token, restaurant_name, slug, table_name: table.name, order_id },
        StatusCode::OK,
    )
}
