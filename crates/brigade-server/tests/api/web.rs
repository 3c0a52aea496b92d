//! The web app's server side: the session cookie and its CSRF token, the pages' access
//! control, guest pages, the cart quote, the public menu channel and the assets. The
//! screens themselves are tested in a real browser (tests/web).

use crate::support::{TestApp, PASSWORD};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// Signs in through the web and returns the `name=value` cookie pair.
async fn web_sign_in(app: &TestApp, email: &str) -> String {
    let r = client()
        .post(app.url("/web/session"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    assert!(!set.contains("Secure"), "plain-http deployments get no Secure flag");
    set.split(';').next().unwrap().to_owned()
}

/// Loads a page with the cookie; returns status, location and body.
async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, Option<String>, String) {
    let mut req = client().get(app.url(path));
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let location = r.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_owned());
    (status, location, r.text().await.unwrap())
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf-token\" content=\"").expect("a csrf meta tag") + 27;
    html[at..at + 64].to_owned()
}

async fn web_token(app: &TestApp, cookie: &str, csrf: Option<&str>) -> reqwest::Response {
    let mut req = client().post(app.url("/web/token")).header(COOKIE, cookie);
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn the_session_cookie_gets_pages_and_tokens_only_with_the_csrf_token() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;

    // Signed out: pages send you to sign in, and come back after.
    let (status, location, _) = page(&app, "/app/menu", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login?next=/app/menu"));
    let (status, _, html) = page(&app, "/login", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<form id=\"login\""));

    // A wrong password: 401 and no cookie.
    let r = client()
        .post(app.url("/web/session"))
        .json(&json!({ "email": "ana@example.com", "password": "nope nope nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());

    let cookie = web_sign_in(&app, "ana@example.com").await;
    let (status, _, html) = page(&app, "/app/menu", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&owner.rid.to_string()));
    let csrf = csrf_of(&html);

    // The cookie alone is not enough for a token, nor is a wrong CSRF token.
    assert_eq!(web_token(&app, &cookie, None).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(web_token(&app, &cookie, Some(&"0".repeat(64))).await.status(), StatusCode::FORBIDDEN);
    let r = web_token(&app, &cookie, Some(&csrf)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let token = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    app.get("/v1/auth/me", &token).await.expect(200, "");

    // The JSON API never takes the cookie.
    let r = client().get(app.url("/v1/auth/me")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Signing out ends the session: the cookie is cleared and its tokens stop working.
    let r = client().delete(app.url("/web/session")).header(COOKIE, &cookie).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "sign-out needs the CSRF token too");
    let r = client()
        .delete(app.url("/web/session"))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers()[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    app.get("/v1/auth/me", &token).await.expect(401, "token_revoked");
    let (status, location, _) = page(&app, "/app", Some(&cookie)).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/login?next=/app")));
    assert_eq!(web_token(&app, &cookie, Some(&csrf)).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pages_follow_roles_and_restaurants() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let other = app.signup("bob@example.com", "Elsewhere").await;
    app.add_member(&owner, "kim@example.com", "kitchen").await;
    app.add_member(&owner, "sam@example.com", "staff").await;

    // Someone else's restaurant is not found, even by id.
    let ana = web_sign_in(&app, "ana@example.com").await;
    let (status, _, html) = page(&app, &format!("/app?r={}", other.rid), Some(&ana)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("does not belong to this restaurant"));
    let (status, _, _) = page(&app, "/app/nonsense", Some(&ana)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A kitchen account has one screen; staff do not see the owner's pages.
    let kim = web_sign_in(&app, "kim@example.com").await;
    let (status, location, _) = page(&app, "/app", Some(&kim)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/kds?r={}", owner.rid)));
    let (status, _, html) = page(&app, "/kds", Some(&kim)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-warn=\"300\" data-late=\"600\""));
    let sam = web_sign_in(&app, "sam@example.com").await;
    let (status, _, html) = page(&app, "/app/orders", Some(&sam)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/app/keys"), "staff do not get a link to API keys");
    let (status, _, _) = page(&app, "/app/keys", Some(&sam)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = page(&app, "/app/tables/print", Some(&sam)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn guest_pages_embed_the_menu_safely_and_refuse_bad_codes_kindly() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let rid = owner.rid;
    app.post(
        &format!("/v1/restaurants/{rid}/menu/items"),
        &owner.token,
        json!({ "category_id": m.mains, "name": "</script><script>alert(1)</script>", "price": 100 }),
    )
    .await
    .expect(201, "");
    let table = app.post(&format!("/v1/restaurants/{rid}/tables"), &owner.token, json!({ "name": "T1" })).await;
    let url = table.str("/qr_url");
    let path = &url[url.find("/t/").unwrap()..];

    let (status, _, html) = page(&app, path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Burger"));
    assert!(!html.contains("</script><script>alert(1)"), "a name cannot close the embedded JSON's script tag");
    assert!(html.contains("\\u003c/script\\u003e"));

    for bad in ["/t/forged", &format!("{path}x")] {
        let (status, _, html) = page(&app, bad, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("This code is no longer valid"), "{html}");
        assert!(html.starts_with("<!doctype html>"));
    }
    let table_id = table.id("/id");
    app.post(&format!("/v1/restaurants/{rid}/tables/{table_id}/qr/rotate"), &owner.token, json!({}))
        .await
        .expect(200, "");
    let (status, _, _) = page(&app, path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a rotated code is no longer valid");
}

#[tokio::test]
async fn a_quote_prices_a_cart_like_an_order_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rid = owner.rid;
    app.put(&format!("/v1/restaurants/{rid}"), &owner.token, json!({ "tax_rate_bps": 1000 })).await.expect(200, "");
    let m = app.menu(&owner).await;
    let table = app.post(&format!("/v1/restaurants/{rid}/tables"), &owner.token, json!({ "name": "T1" })).await;
    let url = table.str("/qr_url");
    let token = &url[url.find("/t/").unwrap() + 3..];
    let quote = format!("/v1/public/tables/{token}/quote");

    let cart = json!({ "items": [
        { "item_id": m.burger, "quantity": 2, "modifiers": [m.double, m.cheese] },
        { "item_id": m.fries, "quantity": 1 } ] });
    let q = app.anon_post(&quote, cart.clone()).await;
    q.expect(200, "");
    // (12.00 + 3.00 + 1.00) × 2 + 4.00 = 36.00, tax 10% = 3.60.
    assert_eq!(
        (q.body["subtotal"].as_i64(), q.body["tax"].as_i64(), q.body["total"].as_i64()),
        (Some(3600), Some(360), Some(3960))
    );
    assert_eq!(q.body["lines"][0]["modifiers"], json!(["Double", "Cheese"]));
    assert_eq!(q.body["lines"][0]["line_total"], 3200);

    // The same refusals as ordering.
    app.anon_post(&quote, json!({ "items": [{ "item_id": m.burger, "quantity": 1 }] }))
        .await
        .expect(422, "validation_failed");
    app.anon_post(&quote, json!({ "items": [] })).await.expect(422, "validation_failed");
    app.post(
        &format!("/v1/restaurants/{rid}/menu/items/{}/availability", m.fries),
        &owner.token,
        json!({ "available": false }),
    )
    .await
    .expect(200, "");
    app.anon_post(&quote, cart).await.expect(409, "item_unavailable");
    app.anon_post("/v1/public/tables/forged/quote", json!({ "items": [] })).await.expect(404, "not_found");

    let orders = app.get(&format!("/v1/restaurants/{rid}/orders"), &owner.token).await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 0, "quoting wrote no order");
}

#[tokio::test]
async fn the_public_menu_channel_tells_anyone_that_the_menu_changed_and_nothing_more() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let m = app.menu(&owner).await;
    let mut guest = app.ws(None).await;
    let sub = guest.subscribe(&format!("menu:{}", owner.rid), None).await;
    assert_eq!(sub["op"], "subscribed");
    let r = guest.subscribe(&format!("menu:{}", uuid::Uuid::now_v7()), None).await;
    assert_eq!(r["code"], "not_found");

    // An order is not a menu change; the 86 after it is.
    app.order(&owner, &owner.token, "walk_in", json!([{ "item_id": m.cola, "quantity": 1 }])).await.expect(201, "");
    let path = format!("/v1/restaurants/{}/menu/items/{}/availability", owner.rid, m.fries);
    app.post(&path, &owner.token, json!({ "available": false, "reason": "supplier" })).await.expect(200, "");
    // The menu's own setup, committed just before the subscription, may still arrive
    // first (the feed delivers what it had not yet read); nothing but menu changes may.
    let msg = loop {
        let (kind, msg) = guest.event().await;
        assert!(kind.starts_with("menu."), "only menu changes reach the menu channel: {msg}");
        if kind == "menu.availability_changed" {
            break msg;
        }
    };
    assert_eq!(msg["event"]["entity_id"], m.fries.to_string());
    assert!(msg["event"].get("data").is_none() && msg["event"].get("actor").is_none(), "redacted: {msg}");
}

#[tokio::test]
async fn kitchen_timer_thresholds_are_set_per_restaurant_and_checked() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let path = format!("/v1/restaurants/{}", owner.rid);
    app.put(&path, &owner.token, json!({ "kds_warn_secs": 900, "kds_late_secs": 600 }))
        .await
        .expect(422, "validation_failed");
    app.put(&path, &owner.token, json!({ "kds_late_secs": 0 })).await.expect(422, "validation_failed");
    let r = app.get(&path, &owner.token).await;
    assert_eq!((r.body["kds_warn_secs"].as_i64(), r.body["kds_late_secs"].as_i64()), (Some(300), Some(600)));
    let r = app.put(&path, &owner.token, json!({ "kds_warn_secs": 240, "kds_late_secs": 480 })).await;
    r.expect(200, "");
    assert_eq!((r.body["kds_warn_secs"].as_i64(), r.body["kds_late_secs"].as_i64()), (Some(240), Some(480)));
}

#[tokio::test]
async fn assets_are_embedded_and_versioned() {
    let app = TestApp::spawn().await;
    let (status, _, html) = page(&app, "/login", None).await;
    assert_eq!(status, StatusCode::OK);
    let at = html.find("/assets/brigade.css?v=").unwrap();
    let href = &html[at..html[at..].find('"').unwrap() + at];
    let r = client().get(app.url(href)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let r = client().get(app.url("/assets/brigade.css?v=old")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache", "a stale version is not cached for a year");
    let r = client().get(app.url("/assets/../Cargo.toml")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client().get(app.url("/login")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
}

/// The pages' scripts read order statuses, their next steps and the channels from the
/// server's own types, embedded in every page, rather than keeping copies of them.
#[tokio::test]
async fn every_page_embeds_the_statuses_steps_and_channels_of_the_server() {
    use brigade_domain::menu::Channel;
    use brigade_domain::order::OrderStatus;
    let app = TestApp::spawn().await;
    let (status, _, html) = page(&app, "/login", None).await;
    assert_eq!(status, StatusCode::OK);
    let open = r#"<script type="application/json" id="brigade-vocabulary">"#;
    let at = html.find(open).expect("the vocabulary block") + open.len();
    let text = &html[at..at + html[at..].find("</script>").unwrap()];
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let channels: Vec<&str> = v["channels"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(channels, Channel::ALL.map(Channel::as_str));
    for s in v["order_statuses"].as_array().unwrap() {
        let from: OrderStatus = s["status"].as_str().unwrap().parse().unwrap();
        for to in OrderStatus::ALL {
            let listed = s["next"].as_array().unwrap().iter().any(|n| n == to.as_str());
            let allowed = to != OrderStatus::Cancelled && from.transition(to).is_ok();
            assert_eq!(listed, allowed, "{from} → {to}");
        }
    }
    assert_eq!(v["order_statuses"][3]["next"], serde_json::json!(["preparing", "completed"]), "ready may go back");
}
