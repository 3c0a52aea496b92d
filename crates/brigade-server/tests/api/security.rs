//! The red-team findings of issue 12, each as the attack it was, refused.

use crate::support::{TestApp, PASSWORD};
use serde_json::json;

/// Defect 1: an owner of B added A's owner to B by email with a phone and PIN, signed in
/// by PIN at B, and the token worked in A. Now adding an existing account is an
/// invitation its owner accepts, a PIN is a credential of one membership, and a PIN
/// session reaches its restaurant only.
#[tokio::test]
async fn a_pin_set_at_one_restaurant_never_reaches_another() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let a = app.signup("ana@example.com", "Alpha").await;
    let b = app.signup("bob@example.com", "Bravo").await;
    let b_users = format!("/v1/restaurants/{}/users", b.rid);

    // B "adds" Ana with a phone and PIN: an invitation, nothing joined, nothing of her shown.
    let r = app
        .post(
            &b_users,
            &b.token,
            json!({"email": "ANA@example.com", "name": "Ana?", "role": "owner", "phone": "5550100077", "pin": "2468"}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["status"], "invited");
    assert_eq!(r.body["name"], "Ana?", "the name typed, not the account's");
    assert!(r.body["last_login_at"].is_null());
    assert_ne!(r.id("/id"), a.user_id);
    // The same answer for an email that has no account.
    let unknown =
        app.post(&b_users, &b.token, json!({"email": "nobody@example.com", "name": "N", "role": "owner"})).await;
    unknown.expect(201, "");
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&r.body), keys(&unknown.body));
    let listed = app.get(&b_users, &b.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "only Bob is a member of B");

    let pin = json!({"restaurant_id": b.rid, "phone": "5550100077", "pin": "2468"});
    app.anon_post("/v1/auth/pin-login", pin.clone()).await.expect(401, "invalid_credentials");
    // B cannot touch her account, nor accept for her.
    app.put(&format!("{b_users}/{}", a.user_id), &b.token, json!({"password": "taken over now"}))
        .await
        .expect(404, "not_found");
    let link = r.str("/invite_url");
    let token = link.rsplit('/').next().unwrap();
    let accept = format!("/v1/invitations/{token}/accept");
    app.post(&accept, &b.token, json!({})).await.expect(403, "wrong_account");
    app.anon_post(&accept, json!({"password": "a password of mine"})).await.expect(409, "account_exists");

    // Ana accepts, signed in as herself: now she is a member of B, with B's PIN for B.
    let joined = app.post(&accept, &a.token, json!({})).await;
    joined.expect(200, "");
    assert_eq!(joined.body["role"], "owner");
    app.post(&accept, &a.token, json!({})).await.expect(404, "not_found");
    // Even as a member, B never sets her password.
    app.put(&format!("{b_users}/{}", a.user_id), &b.token, json!({"password": "taken over now"}))
        .await
        .expect(403, "not_your_password");

    let session = app.anon_post("/v1/auth/pin-login", pin).await;
    session.expect(200, "");
    let pin_token = session.str("/access_token");
    app.get(&format!("/v1/restaurants/{}", b.rid), &pin_token).await.expect(200, "");
    // Nothing of A: not its data, not its keys, not its payroll, not its event stream.
    let ra = format!("/v1/restaurants/{}", a.rid);
    app.get(&ra, &pin_token).await.expect(404, "not_found");
    app.post(&format!("{ra}/api-keys"), &pin_token, json!({"name": "x", "permissions": ["restaurant:read"]}))
        .await
        .expect(404, "not_found");
    app.get(&format!("{ra}/payroll"), &pin_token).await.expect(404, "not_found");
    let mut ws = app.ws(Some(&pin_token)).await;
    let refused = ws.subscribe(&format!("restaurant:{}", a.rid), Some(0)).await;
    assert_eq!(refused["code"], "not_found", "{refused}");
    // Nor anything account-wide.
    let mine = app.get("/v1/restaurants", &pin_token).await;
    let ids: Vec<&str> = mine.body["items"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [b.rid.to_string()]);
    let me = app.get("/v1/auth/me", &pin_token).await;
    assert_eq!(me.body["memberships"].as_array().unwrap().len(), 1);
    app.post("/v1/restaurants", &pin_token, json!({"name": "Mine now", "timezone": "UTC", "currency": "USD"}))
        .await
        .expect(403, "pin_session");
    app.post("/v1/auth/logout", &pin_token, json!({"all": true})).await.expect(403, "pin_session");
    // A refreshed PIN session is as confined as the first.
    let refreshed = app.anon_post("/v1/auth/refresh", json!({"refresh_token": session.str("/refresh_token")})).await;
    refreshed.expect(200, "");
    app.get(&ra, &refreshed.str("/access_token")).await.expect(404, "not_found");
    // Her own sign-in still reaches both.
    app.get(&ra, &a.token).await.expect(200, "");
    app.get(&format!("/v1/restaurants/{}", b.rid), &a.token).await.expect(200, "");
}

/// A new person accepts by choosing their own password; a link works once, and a
/// manager's taken-back or a replaced invitation works no more.
#[tokio::test]
async fn an_invitation_makes_one_membership_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let first = app.invite(&owner, "sue@example.com", "staff").await;
    let second = app.invite(&owner, "sue@example.com", "staff").await;
    app.get(&format!("/v1/invitations/{first}"), &owner.token).await.expect(404, "not_found");
    let info = app.get(&format!("/v1/invitations/{second}"), &owner.token).await;
    assert_eq!(info.body["restaurant_name"], "Diner");
    assert_eq!(info.body["email"], "sue@example.com");
    let open = app.get(&format!("/v1/restaurants/{}/invitations", owner.rid), &owner.token).await;
    assert_eq!(open.body.as_array().unwrap().len(), 1);

    let accept = format!("/v1/invitations/{second}/accept");
    app.anon_post(&accept, json!({"password": "short"})).await.expect(422, "validation_failed");
    app.anon_post(&accept, json!({})).await.expect(422, "validation_failed");
    let r = app.anon_post(&accept, json!({"password": PASSWORD, "name": "Sue"})).await;
    r.expect(201, "");
    let sue = r.str("/tokens/access_token");
    app.get(&format!("/v1/restaurants/{}", owner.rid), &sue).await.expect(200, "");
    app.anon_post(&accept, json!({"password": PASSWORD})).await.expect(404, "not_found");
    app.login("sue@example.com", PASSWORD).await.expect(200, "");

    let taken_back = app.invite(&owner, "tom@example.com", "kitchen").await;
    let open = app.get(&format!("/v1/restaurants/{}/invitations", owner.rid), &owner.token).await;
    let id = open.body[0]["id"].as_str().unwrap().to_owned();
    app.delete(&format!("/v1/restaurants/{}/invitations/{id}", owner.rid), &owner.token).await.expect(204, "");
    app.anon_post(&format!("/v1/invitations/{taken_back}/accept"), json!({"password": PASSWORD}))
        .await
        .expect(404, "not_found");
}

/// Only the person changes their password, knowing the current one; their sessions end.
#[tokio::test]
async fn people_change_their_own_password() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (_, sue) = app.add_member(&owner, "sue@example.com", "staff").await;
    let other = app.login("sue@example.com", PASSWORD).await.str("/access_token");
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    app.post("/v1/auth/password", &sue, change("wrong password!", "a brand new password"))
        .await
        .expect(422, "validation_failed");
    app.post("/v1/auth/password", &sue, change(PASSWORD, "short")).await.expect(422, "validation_failed");
    app.post("/v1/auth/password", &sue, change(PASSWORD, "a brand new password")).await.expect(204, "");
    app.get("/v1/auth/me", &sue).await.expect(401, "token_revoked");
    app.get("/v1/auth/me", &other).await.expect(401, "token_revoked");
    app.login("sue@example.com", PASSWORD).await.expect(401, "invalid_credentials");
    app.login("sue@example.com", "a brand new password").await.expect(200, "");
}

/// Defect 2: a staff token replayed the whole log over the WebSocket (rates, sign-in
/// addresses, keys, webhooks, guests' phones). Each event now reaches a subscriber as
/// its REST counterpart would: in full, redacted to its type, or not at all.
#[tokio::test]
async fn the_event_stream_shows_each_member_what_their_role_may_read() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    let staff = app
        .post(
            &format!("{rest}/users"),
            &owner.token,
            json!({"name": "Sam", "role": "staff", "phone": "5550100001", "pin": "1234"}),
        )
        .await;
    let sam = staff.id("/id");
    app.put(
        &format!("{rest}/users/{sam}/positions"),
        &owner.token,
        json!({"positions": [{"position": "Server", "hourly_rate": 1850}]}),
    )
    .await
    .expect(200, "");
    app.post(&format!("{rest}/api-keys"), &owner.token, json!({"name": "Secret bridge", "permissions": ["menu:read"]}))
        .await
        .expect(201, "");
    let sam_token = app
        .anon_post("/v1/auth/pin-login", json!({"restaurant_id": owner.rid, "phone": "5550100001", "pin": "1234"}))
        .await
        .str("/access_token");
    let menu = app.menu(&owner).await;
    let body = json!({"channel": "phone", "type": "takeout", "customer": {"name": "Guest Person", "phone": "5550109999"},
        "items": [{"item_id": menu.burger, "quantity": 1, "modifiers": [menu.single]}]});
    app.post(&format!("{rest}/orders"), &owner.token, body).await.expect(201, "");

    let replay = |token: String| {
        let app = &app;
        let channel = format!("restaurant:{}", owner.rid);
        async move {
            let mut ws = app.ws(Some(&token)).await;
            ws.subscribe(&channel, Some(0)).await;
            let mut seen = Vec::new();
            loop {
                let (kind, m) = ws.event().await;
                seen.push(m);
                if kind == "order.new" {
                    return seen;
                }
            }
        }
    };
    let for_staff = replay(sam_token).await;
    let types: Vec<&str> = for_staff.iter().map(|m| m["event"]["type"].as_str().unwrap()).collect();
    for hidden in ["user.", "api_key.", "auth.", "webhook.", "integration."] {
        assert!(!types.iter().any(|t| t.starts_with(hidden)), "staff saw {hidden}: {types:?}");
    }
    let rates =
        for_staff.iter().find(|m| m["event"]["type"] == "staff.positions_updated").expect("the change, redacted");
    assert_eq!(rates["event"]["redacted"], true);
    assert!(rates["event"].get("data").is_none() && rates["event"].get("actor").is_none(), "{rates}");
    assert!(!rates.to_string().contains("1850"));
    let order = for_staff.last().unwrap();
    assert_eq!(order["event"]["data"]["customer"]["name"], "Guest Person", "staff read orders, guests included");

    let for_owner = replay(owner.token.clone()).await;
    let key = for_owner.iter().find(|m| m["event"]["type"] == "api_key.created").expect("owners see keys");
    assert_eq!(key["event"]["data"]["name"], "Secret bridge");
    assert!(for_owner
        .iter()
        .any(|m| m["event"]["type"] == "staff.positions_updated" && m["event"]["data"].is_object()));
}

/// Defect 3: a revoked key, a removed member and a signed-out session went on receiving
/// live events. Now the socket says so and closes; and a key may lapse by itself.
#[tokio::test]
async fn revoking_access_closes_the_sockets_it_opened() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    let channel = format!("restaurant:{}", owner.rid);
    let key = app
        .post(&format!("{rest}/api-keys"), &owner.token, json!({"name": "k", "permissions": ["restaurant:read"]}))
        .await;
    let (key_id, key) = (key.id("/id"), key.str("/key"));
    let (max, max_token) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, sue_token) = app.add_member(&owner, "sue@example.com", "staff").await;

    let closed = |mut ws: crate::support::Ws| async move {
        loop {
            match ws.next().await {
                None => return true,
                Some(m) if m["op"] == "error" => {
                    assert_eq!(m["code"], "access_revoked", "{m}");
                    assert!(ws.next().await.is_none(), "closed after saying why");
                    return true;
                }
                Some(_) => continue,
            }
        }
    };
    let mut by_key = app.ws(Some(&key)).await;
    assert_eq!(by_key.subscribe(&channel, None).await["op"], "subscribed");
    app.delete(&format!("{rest}/api-keys/{key_id}"), &owner.token).await.expect(204, "");
    assert!(closed(by_key).await);

    let mut removed = app.ws(Some(&max_token)).await;
    assert_eq!(removed.subscribe(&channel, None).await["op"], "subscribed");
    app.delete(&format!("{rest}/users/{max}"), &owner.token).await.expect(204, "");
    assert!(closed(removed).await);

    let mut signed_out = app.ws(Some(&sue_token)).await;
    assert_eq!(signed_out.subscribe(&channel, None).await["op"], "subscribed");
    app.post("/v1/auth/logout", &sue_token, json!({})).await.expect(204, "");
    assert!(closed(signed_out).await);

    // The owner's own socket is untouched by all that.
    let mut mine = app.ws(Some(&owner.token)).await;
    mine.subscribe(&channel, None).await;
    app.put(&rest, &owner.token, json!({"name": "Diner 2"})).await.expect(200, "");
    assert_eq!(mine.until("restaurant.updated").await["event"]["type"], "restaurant.updated");

    // A key that lapses: refused from then on, by REST and on its socket.
    let now = app.clock.now();
    let body =
        json!({"name": "temp", "permissions": ["restaurant:read"], "expires_at": now + chrono::Duration::hours(1)});
    let temp = app.post(&format!("{rest}/api-keys"), &owner.token, body).await;
    temp.expect(201, "");
    let temp = temp.str("/key");
    app.get(&rest, &temp).await.expect(200, "");
    let past =
        json!({"name": "old", "permissions": ["restaurant:read"], "expires_at": now - chrono::Duration::hours(1)});
    app.post(&format!("{rest}/api-keys"), &owner.token, past).await.expect(422, "validation_failed");
    app.clock.advance(chrono::Duration::hours(2));
    app.get(&rest, &temp).await.expect(401, "api_key_expired");
}

/// Defect 5: a page elsewhere signed a browser into another account by posting
/// `text/plain` to `/web/session`. Cookie-setting routes take JSON from our own pages only.
#[tokio::test]
async fn cookie_setting_routes_refuse_other_sites_and_non_json() {
    let app = TestApp::spawn().await;
    app.signup("ana@example.com", "Diner").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let creds = json!({"email": "ana@example.com", "password": PASSWORD}).to_string();
    let post = |path: &str, headers: &[(&str, &str)], body: &str| {
        let mut req = client.post(app.url(path)).body(body.to_owned());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let plain = post("/web/session", &[("content-type", "text/plain")], &creds).await.unwrap();
    assert_eq!(plain.status(), 415);
    assert!(plain.headers().get("set-cookie").is_none());
    assert_eq!(plain.json::<serde_json::Value>().await.unwrap()["error"]["code"], "unsupported_media_type");
    let form = post("/web/signup", &[("content-type", "application/x-www-form-urlencoded")], "a=b").await.unwrap();
    assert_eq!(form.status(), 415);
    for headers in [
        &[("content-type", "application/json"), ("origin", "https://evil.example")][..],
        &[("content-type", "application/json"), ("origin", "null")][..],
        &[("content-type", "application/json"), ("sec-fetch-site", "cross-site")][..],
        &[("content-type", "application/json"), ("sec-fetch-site", "same-site")][..],
    ] {
        let r = post("/web/session", headers, &creds).await.unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        assert!(r.headers().get("set-cookie").is_none());
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"]["code"], "cross_site");
    }
    let own_origin = app.addr.clone();
    let ok = post(
        "/web/session",
        &[
            ("content-type", "application/json; charset=utf-8"),
            ("origin", &own_origin),
            ("sec-fetch-site", "same-origin"),
        ],
        &creds,
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.headers().get("set-cookie").is_some());
}

/// Defects 7, 8, 13: input the server cannot read is the caller's mistake, in the JSON
/// error shape, never a 500 or a panic: undecodable path segments, dates at chrono's
/// extremes, a body over the limit on the webhook route.
#[tokio::test]
async fn unreadable_paths_extreme_dates_and_big_bodies_are_clear_errors() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    for path in ["/v1/restaurants/%FF/menu/items", "/v1/restaurants/%FF", "/v1/public/restaurants/%FF/menu", "/t/%FF"] {
        let r = app.get(path, &owner.token).await;
        assert!(matches!(r.status.as_u16(), 400 | 404), "{path}: {} {}", r.status, r.body);
        assert!(r.body["error"]["code"].is_string(), "{path}: {}", r.body);
    }
    for extreme in ["-262143-01-01", "+262142-12-31"] {
        for path in [
            format!("{rest}/schedule?week={extreme}"),
            format!("{rest}/tasks/report?to={extreme}"),
            format!("{rest}/tasks?day={extreme}"),
            format!("{rest}/inventory/variance?to={}T00:00:00Z", extreme.replace('+', "%2B")),
        ] {
            let r = app.get(&path.replace("=+", "=%2B"), &owner.token).await;
            r.expect(422, "validation_failed");
        }
        for body in [
            json!({"from_week": extreme, "to_week": "2026-11-30"}),
            json!({"from_week": "2026-11-30", "to_week": extreme}),
        ] {
            app.post(&format!("{rest}/schedule/copy"), &owner.token, body).await.expect(422, "validation_failed");
        }
    }
    let big = vec![b'x'; 2 * 1024 * 1024];
    let r = app.hook(&format!("/v1/hooks/ubereats/{}", uuid::Uuid::now_v7()), &[], &big).await;
    assert_eq!(r.status.as_u16(), 413);
    assert_eq!(r.body["error"]["code"], "payload_too_large", "{}", r.body);
    let r = app.call(reqwest::Method::PATCH, "/v1/auth/login", None, Some(json!({}))).await;
    assert_eq!(r.status.as_u16(), 405);
    assert_eq!(r.body["error"]["code"], "method_not_allowed", "{}", r.body);
}

/// Defect 9: a NUL (or another control character) in any text was a 500 on PostgreSQL
/// and stored on SQLite. Both now answer 422 naming the field, or 404 in a path.
#[tokio::test]
async fn control_characters_are_refused_the_same_on_both_backends() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    let menu = app.menu(&owner).await;
    let table = app.post(&format!("{rest}/tables"), &owner.token, json!({"name": "T1"})).await;
    let token = table.str("/qr_url").rsplit('/').next().unwrap().to_owned();
    let order = json!({"customer": {"name": "Ana\u{0}", "phone": "5550100001"},
        "items": [{"item_id": menu.cola, "quantity": 1}]});
    let r = app.anon_post(&format!("/v1/public/tables/{token}/orders"), order).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "customer.name");
    let r = app.post(&format!("{rest}/menu/categories"), &owner.token, json!({"name": "Ma\u{7}ins"})).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "name");
    app.put(&rest, &owner.token, json!({"name": "Diner\u{1b}[31m"})).await.expect(422, "validation_failed");
    let r = app.get(&format!("{rest}/audit?type=user%00"), &owner.token).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "type");
    let r = app.call(reqwest::Method::GET, "/v1/public/restaurants/%00/menu", None, None).await;
    r.expect(404, "not_found");
    // Line breaks and tabs are text.
    app.post(&format!("{rest}/menu/categories"), &owner.token, json!({"name": "Mains", "description": "a\nb\tc"}))
        .await
        .expect(201, "");
    let items = app.get(&format!("{rest}/orders"), &owner.token).await;
    assert!(items.body["items"].as_array().unwrap().is_empty(), "a refused order left something behind");
}

/// Defects 15, 16, 17: a leap second is no due time; optional bodies are optional in the
/// document too; a malformed checkout body is 400 (tested with Stripe in inbound.rs);
/// token responses are never cached and the docs page has its own policy.
#[tokio::test]
async fn times_bodies_and_headers_say_what_they_mean() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    let template = |due: &str| json!({"name": "Close", "frequency": "daily", "due_time": due});
    let r = app.post(&format!("{rest}/task-templates"), &owner.token, template("23:59:60")).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "due_time");
    app.post(&format!("{rest}/task-templates"), &owner.token, template("23:59:59")).await.expect(201, "");
    // No body and a null body both mean "nothing to add".
    let clock_in = app.client.post(app.url(&format!("{rest}/time-clock/clock-in"))).bearer_auth(&owner.token);
    assert_eq!(clock_in.send().await.unwrap().status(), 201);
    let out = app.client.post(app.url(&format!("{rest}/time-clock/clock-out"))).bearer_auth(&owner.token);
    assert!(out.send().await.unwrap().status().is_success());
    let doc: serde_json::Value =
        app.client.get(app.url("/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let body = &doc["paths"]["/v1/restaurants/{rid}/time-clock/clock-in"]["post"]["requestBody"];
    assert_ne!(body["required"], true, "the document says the body is optional, as the handler takes it");

    let login = app.anon_post("/v1/auth/login", json!({"email": "ana@example.com", "password": PASSWORD})).await;
    assert_eq!(login.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    let docs = app.client.get(app.url("/docs")).send().await.unwrap();
    let csp = docs.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'sha256-"), "{csp}");
    assert_eq!(docs.headers()["x-content-type-options"], "nosniff");
}

/// Defect 19: started as the PostgreSQL superuser, Brigade said nothing, though
/// row-level security does not bind a superuser. It warns at start and in `/health`.
#[tokio::test]
async fn health_says_whether_row_level_security_binds_the_database_role() {
    let app = TestApp::spawn().await;
    let health = app.call(reqwest::Method::GET, "/health", None, None).await;
    let crate::support::Store::Postgres(url) = &app.store else {
        assert_eq!(health.body["row_level_security"], "not_applicable");
        return;
    };
    // The suite connects as an ordinary role that owns its database (scripts/test makes
    // brigade_app): the wall stands, and nothing is to be warned of.
    if app.state.db.rls_enforced().await.unwrap() == Some(true) {
        assert_eq!(health.body["row_level_security"], "enforced", "{}", health.body);
        assert_eq!(health.body["warnings"], json!([]));
    } else {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI must run the PostgreSQL suite as an ordinary role");
        assert_eq!(health.body["row_level_security"], "bypassed", "{}", health.body);
    }

    // A superuser (the admin connection scripts/test gives, if any): the wall is down, and
    // /health says so.
    let Some(admin) = std::env::var("BRIGADE_TEST_ADMIN_DATABASE_URL").ok().filter(|u| !u.is_empty()) else {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI gives the tests an admin connection");
        eprintln!("SKIPPED: the superuser half; set BRIGADE_TEST_ADMIN_DATABASE_URL");
        return;
    };
    let _ = url;
    let mut superuser = TestApp::builder().postgres_url(crate::support::fresh_pg_database(&admin).await).spawn().await;
    let health = superuser.call(reqwest::Method::GET, "/health", None, None).await;
    assert_eq!(health.body["row_level_security"], "bypassed", "{}", health.body);
    assert!(health.body["warnings"][0].as_str().unwrap().contains("row-level security"));
    superuser.stop().await;
}

/// Defect 6: 1,000 idle connections were never closed and a request sending one header
/// line a second was held for 40 s. The head must arrive within the header timeout, and
/// an address holds a bounded number of connections.
#[tokio::test]
async fn slow_and_idle_connections_are_closed_and_capped_per_address() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder()
        .config(|c| {
            c.header_timeout_secs = 2;
            c.max_connections_per_ip = 3;
        })
        .spawn()
        .await;
    let addr = app.addr.trim_start_matches("http://").to_owned();
    let closed_within = |mut s: tokio::net::TcpStream, secs: u64| async move {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(secs), s.read(&mut buf)).await;
        matches!(read, Ok(Ok(0)) | Ok(Err(_)))
    };
    // Idle: opened, nothing sent, closed by the server.
    let idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(idle, 10).await, "an idle connection is closed");
    // Slowloris: a header line now and then never completes the head in time.
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut closed = false;
    for i in 0..20 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        if slow.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes()).await.is_err() {
            closed = true;
            break;
        }
    }
    assert!(closed || closed_within(slow, 5).await, "a head trickled in a line at a time is cut off");

    // The cap: three held open (each sends a whole request, then keeps the connection),
    // the fourth is closed at once: well before the 2 s header timeout would close it.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let fourth = tokio::net::TcpStream::connect(&addr).await.unwrap();
    assert!(closed_within(fourth, 1).await, "a fourth connection from one address is closed");
    drop(held);
    // Once they are gone, the address may connect again.
    app.call(reqwest::Method::GET, "/health/live", None, None).await.expect(200, "");
}

/// Defect 14: one modifier group took 20,000 options and 100 KB strings were taken as a
/// guest's name and as reasons. Counts and lengths are capped where they are parsed (and
/// in the OpenAPI document); a refused body changes nothing.
#[tokio::test]
async fn counts_and_lengths_are_capped() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    let menu = app.menu(&owner).await;
    let cat = app.post(&format!("{rest}/menu/categories"), &owner.token, json!({"name": "Big"})).await.id("/id");
    let options: Vec<_> = (0..101).map(|i| json!({"name": format!("o{i}"), "price_delta": 0})).collect();
    let item = |groups: serde_json::Value| json!({"category_id": cat, "name": "Huge", "price": 100, "modifier_groups": groups});
    let r = app
        .post(&format!("{rest}/menu/items"), &owner.token, item(json!([{"name": "G", "max": 1, "options": options}])))
        .await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "modifier_groups[0].options");
    let groups: Vec<_> = (0..21).map(|i| json!({"name": format!("g{i}"), "max": 1, "options": []})).collect();
    let r = app.post(&format!("{rest}/menu/items"), &owner.token, item(json!(groups))).await;
    assert_eq!(r.body["error"]["details"]["field"], "modifier_groups");
    let huge = "x".repeat(100_000);
    let order = |customer: &str, notes: &str| {
        json!({"channel": "phone", "type": "takeout", "customer": {"name": customer},
            "items": [{"item_id": menu.cola, "quantity": 1, "notes": notes}]})
    };
    let r = app.post(&format!("{rest}/orders"), &owner.token, order(&huge, "")).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "customer.name");
    let r = app.post(&format!("{rest}/orders"), &owner.token, order(&"n".repeat(201), "")).await;
    assert_eq!(r.body["error"]["details"]["field"], "customer.name");
    let r = app.post(&format!("{rest}/orders"), &owner.token, order("Ana", &"n".repeat(501))).await;
    assert_eq!(r.body["error"]["details"]["field"], "items[0].notes");
    let r = app
        .post(
            &format!("{rest}/menu/items/{}/availability", menu.cola),
            &owner.token,
            json!({"available": false, "reason": "r".repeat(501)}),
        )
        .await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "reason");
    let placed = app.post(&format!("{rest}/orders"), &owner.token, order("Ana", "no ice")).await;
    placed.expect(201, "");
    let cancel = json!({"status": "cancelled", "reason": huge});
    let r = app.post(&format!("{rest}/orders/{}/status", placed.id("/id")), &owner.token, cancel).await;
    r.expect(422, "validation_failed");
    // Nothing refused was kept: the one order, the cola still on.
    let orders = app.get(&format!("{rest}/orders"), &owner.token).await;
    assert_eq!(orders.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(orders.body["items"][0]["status"], "received");
    let cola = app.get(&format!("{rest}/menu/items/{}", menu.cola), &owner.token).await;
    assert_eq!(cola.body["availability"]["available"], true);
    // And the document says so.
    let doc: serde_json::Value =
        app.client.get(app.url("/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["components"]["schemas"]["GroupInput"]["properties"]["options"]["maxItems"], 100);
    assert_eq!(doc["components"]["schemas"]["CustomerInput"]["properties"]["name"]["maxLength"], 200);
}
