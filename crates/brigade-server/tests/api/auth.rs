//! Sign-up, sign-in, tokens: happy paths and every way they should fail.

use crate::support::{TestApp, PASSWORD};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn first_signup_opens_the_server_and_then_it_closes() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Ana's Diner").await;
    let me = app.get("/v1/auth/me", &owner.token).await;
    me.expect(200, "");
    assert_eq!(me.body["email"], "ana@example.com");
    assert_eq!(me.body["memberships"][0]["role"], "owner");
    assert_eq!(me.body["memberships"][0]["restaurant_id"], owner.rid.to_string());

    let again = json!({"email": "bob@example.com", "password": PASSWORD, "name": "Bob",
        "restaurant": {"name": "Bob's", "timezone": "UTC", "currency": "USD"}});
    app.anon_post("/v1/auth/signup", again).await.expect(403, "signup_closed");
}

#[tokio::test]
async fn open_signup_refuses_duplicates_and_bad_fields() {
    let app = TestApp::builder().config(|c| c.open_signup = true).spawn().await;
    let ana = app.signup("ana@example.com", "One").await;
    let body = |email: &str, password: &str, tz: &str| {
        json!({"email": email, "password": password, "name": "X",
               "restaurant": {"name": "R", "timezone": tz, "currency": "USD"}})
    };
    // Defect 11: an email with an account is not announced. Another password is a failed
    // sign-in, as for any wrong password; the account's own adds the restaurant to it.
    let r = app.anon_post("/v1/auth/signup", body("ANA@example.com", "someone else's guess", "UTC")).await;
    r.expect(401, "invalid_credentials");
    assert!(!r.body.to_string().contains("already has an account"));
    let r = app.anon_post("/v1/auth/signup", body("ANA@example.com", PASSWORD, "UTC")).await;
    r.expect(201, "");
    assert_eq!(r.id("/user/id"), ana.user_id);
    let mine = app.get("/v1/restaurants", &r.str("/access_token")).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 2);
    let r = app.anon_post("/v1/auth/signup", body("not-an-email", PASSWORD, "UTC")).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "email");
    let r = app.anon_post("/v1/auth/signup", body("c@example.com", "short", "UTC")).await;
    assert_eq!(r.body["error"]["details"]["field"], "password");
    let r = app.anon_post("/v1/auth/signup", body("c@example.com", PASSWORD, "Mars/Base")).await;
    r.expect(422, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "restaurant.timezone");
    // A 128-character password is fine: no upper limit below that.
    let long = "p".repeat(128);
    let r = app.anon_post("/v1/auth/signup", body("long@example.com", &long, "UTC")).await;
    r.expect(201, "");
    app.login("long@example.com", &long).await.expect(200, "");
}

#[tokio::test]
async fn wrong_or_unknown_credentials_are_401_and_audited() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.login("ana@example.com", "wrong password!!").await.expect(401, "invalid_credentials");
    app.login("nobody@example.com", PASSWORD).await.expect(401, "invalid_credentials");
    app.login("ana@example.com", PASSWORD).await.expect(200, "");
    let audit = app.get(&format!("/v1/restaurants/{}/audit?type=auth.", owner.rid), &owner.token).await;
    audit.expect(200, "");
    let types: Vec<&str> =
        audit.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["auth.login", "auth.login_failed"]);
    assert_eq!(audit.body["items"][1]["data"]["reason"], "wrong_password");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let first = app.anon_post("/v1/auth/refresh", json!({"refresh_token": owner.refresh})).await;
    first.expect(200, "");
    let (access2, refresh2) = (first.str("/access_token"), first.str("/refresh_token"));
    assert_ne!(refresh2, owner.refresh);
    app.get("/v1/auth/me", &access2).await.expect(200, "");

    // The spent token comes back: someone copied it. Everything of that session dies.
    app.anon_post("/v1/auth/refresh", json!({"refresh_token": owner.refresh}))
        .await
        .expect(401, "refresh_token_reused");
    app.anon_post("/v1/auth/refresh", json!({"refresh_token": refresh2})).await.expect(401, "invalid_refresh_token");
    app.get("/v1/auth/me", &access2).await.expect(401, "token_revoked");
    app.get("/v1/auth/me", &owner.token).await.expect(401, "token_revoked");

    // Another sign-in is unaffected.
    let other = app.login("ana@example.com", PASSWORD).await;
    app.get("/v1/auth/me", &other.str("/access_token")).await.expect(200, "");
    app.anon_post("/v1/auth/refresh", json!({"refresh_token": "brt_made-up"}))
        .await
        .expect(401, "invalid_refresh_token");
}

#[tokio::test]
async fn access_tokens_expire_and_refresh_tokens_too() {
    let app = TestApp::builder().config(|c| c.access_token_ttl_secs = 60).spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.clock.advance(chrono::Duration::seconds(59));
    app.get("/v1/auth/me", &owner.token).await.expect(200, "");
    app.clock.advance(chrono::Duration::seconds(1));
    app.get("/v1/auth/me", &owner.token).await.expect(401, "token_expired");
    let r = app.anon_post("/v1/auth/refresh", json!({"refresh_token": owner.refresh})).await;
    r.expect(200, "");
    assert_eq!(r.body["expires_in"], 60);
    app.clock.advance(chrono::Duration::days(8));
    let old = r.str("/refresh_token");
    app.anon_post("/v1/auth/refresh", json!({"refresh_token": old})).await.expect(401, "invalid_refresh_token");
}

#[tokio::test]
async fn logout_ends_the_session_at_once_and_all_ends_every_one() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let phone = app.login("ana@example.com", PASSWORD).await.str("/access_token");
    app.call(Method::POST, "/v1/auth/logout", Some(&owner.token), None).await.expect(204, "");
    app.get("/v1/auth/me", &owner.token).await.expect(401, "token_revoked");
    app.anon_post("/v1/auth/refresh", json!({"refresh_token": owner.refresh}))
        .await
        .expect(401, "invalid_refresh_token");
    app.get("/v1/auth/me", &phone).await.expect(200, "");

    let tablet = app.login("ana@example.com", PASSWORD).await.str("/access_token");
    app.post("/v1/auth/logout", &phone, json!({"all": true})).await.expect(204, "");
    app.get("/v1/auth/me", &tablet).await.expect(401, "token_revoked");
    app.call(Method::POST, "/v1/auth/logout", None, None).await.expect(401, "unauthenticated");
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    app.call(Method::GET, "/v1/auth/me", None, None).await.expect(401, "unauthenticated");
    app.get("/v1/auth/me", "not.a.token").await.expect(401, "invalid_token");
    // A token signed with another key.
    let mut forged = owner.token.clone();
    forged.pop();
    forged.push(if owner.token.ends_with('A') { 'B' } else { 'A' });
    app.get("/v1/auth/me", &forged).await.expect(401, "invalid_token");
    let r = app
        .client
        .get(app.url("/v1/auth/me"))
        .header("authorization", format!("Basic {}", owner.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn failed_logins_slow_the_account_down_but_not_its_known_devices() {
    let app = TestApp::builder().config(|c| c.login_attempts_per_account = 3).spawn().await;
    app.signup("ana@example.com", "Diner").await;
    let device = app.login("ana@example.com", PASSWORD).await.str("/device_token");
    assert!(device.starts_with("bdv_"));
    // Defect 10: a stranger fails on purpose, in every spelling of her email...
    for email in ["ana@example.com", "ANA@example.com", " Ana@Example.com "] {
        app.login(email, "wrong password!!").await.expect(401, "invalid_credentials");
    }
    for _ in 0..6 {
        let r = app.login("ana@example.com", "wrong password!!").await;
        if r.status == 429 {
            let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
            app.clock.advance(chrono::Duration::seconds(retry));
            app.login("ana@example.com", "wrong password!!").await.expect(401, "invalid_credentials");
        }
    }
    // ...so a new device waits, ever longer, even with the right password...
    let r = app.login("ana@example.com", PASSWORD).await;
    r.expect(429, "rate_limited");
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((2..=900).contains(&retry), "{retry}");
    // ...but Ana's own device gets in with her password (and not with a wrong one).
    let with = |password: &str| json!({"email": "ana@example.com", "password": password, "device_token": device});
    app.anon_post("/v1/auth/login", with("wrong password!!")).await.expect(401, "invalid_credentials");
    let r = app.anon_post("/v1/auth/login", with(PASSWORD)).await;
    r.expect(200, "");
    assert_eq!(r.str("/device_token"), device);
    // Her getting in leaves the slow-down on the stranger; a forged device token is no help.
    let forged = json!({"email": "ana@example.com", "password": "guess guess", "device_token": "bdv_forged"});
    app.anon_post("/v1/auth/login", forged).await.expect(429, "rate_limited");
    app.login("ana@example.com", "another guess").await.expect(429, "rate_limited");
}

#[tokio::test]
async fn failed_logins_slow_an_address_down_for_a_minute_at_most() {
    let app = TestApp::builder().config(|c| c.login_attempts_per_ip = 4).spawn().await;
    app.signup("ana@example.com", "Diner").await;
    for i in 0..4 {
        app.login(&format!("guess{i}@example.com"), PASSWORD).await.expect(401, "invalid_credentials");
    }
    let r = app.login("ana@example.com", PASSWORD).await;
    r.expect(429, "rate_limited");
    app.clock.advance(chrono::Duration::seconds(r.headers["retry-after"].to_str().unwrap().parse().unwrap()));
    app.login("ana@example.com", PASSWORD).await.expect(200, "");
    for i in 0..30 {
        app.clock.advance(chrono::Duration::seconds(61));
        app.login(&format!("more{i}@example.com"), PASSWORD).await.expect(401, "invalid_credentials");
    }
    let r = app.login("ana@example.com", PASSWORD).await;
    let retry: u64 = r.headers.get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap()).unwrap_or(0);
    assert!(retry <= 60, "an address shared by many waits a minute at most: {retry}");
}

#[tokio::test]
async fn staff_sign_in_with_phone_and_pin() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let users = format!("/v1/restaurants/{}/users", owner.rid);
    let r = app
        .post(
            &users,
            &owner.token,
            json!({"name": "Sam", "role": "staff", "phone": "+1 (555) 010-2000", "pin": "4321"}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["phone"], "+15550102000");
    assert_eq!(r.body["has_pin"], true);
    assert!(r.body.get("pin_hash").is_none());

    let pin = |phone: &str, pin: &str| json!({"restaurant_id": owner.rid, "phone": phone, "pin": pin});
    let ok = app.anon_post("/v1/auth/pin-login", pin("+15550102000", "4321")).await;
    ok.expect(200, "");
    let staff = ok.str("/access_token");
    let me = app.get("/v1/auth/me", &staff).await;
    assert_eq!(me.body["memberships"][0]["role"], "staff");
    app.anon_post("/v1/auth/pin-login", pin("+15550102000", "0000")).await.expect(401, "invalid_credentials");
    app.anon_post("/v1/auth/pin-login", pin("+15550109999", "4321")).await.expect(401, "invalid_credentials");
    let other = json!({"restaurant_id": uuid::Uuid::now_v7(), "phone": "+15550102000", "pin": "4321"});
    app.anon_post("/v1/auth/pin-login", other).await.expect(401, "invalid_credentials");

    // Staff may not do an owner's work.
    app.post(&users, &staff, json!({"name": "X", "role": "staff", "phone": "5550103000", "pin": "1111"}))
        .await
        .expect(403, "forbidden");
    app.put(&format!("/v1/restaurants/{}", owner.rid), &staff, json!({"name": "Mine now"}))
        .await
        .expect(403, "forbidden");
    app.get(&format!("/v1/restaurants/{}/audit", owner.rid), &staff).await.expect(403, "forbidden");
    app.post(
        &format!("/v1/restaurants/{}/api-keys", owner.rid),
        &staff,
        json!({"name": "k", "permissions": ["menu:read"]}),
    )
    .await
    .expect(403, "forbidden");
    app.post("/v1/restaurants", &staff, json!({"name": "Mine", "timezone": "UTC", "currency": "USD"}))
        .await
        .expect(403, "pin_session");
    app.get(&format!("/v1/restaurants/{}", owner.rid), &staff).await.expect(200, "");
}

#[tokio::test]
async fn a_pin_alone_signs_in_when_it_is_one_persons_and_the_last_four_digits_tell_two_apart() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let users = format!("/v1/restaurants/{}/users", owner.rid);
    for (name, phone, pin) in
        [("Sam", "+15550102000", "4321"), ("Kim", "+15550103111", "8888"), ("Lee", "+15550104222", "8888")]
    {
        let body = json!({ "name": name, "role": "staff", "phone": phone, "pin": pin });
        app.post(&users, &owner.token, body).await.expect(201, "");
    }
    let login = |body: serde_json::Value| app.anon_post("/v1/auth/pin-login", body);
    let rid = owner.rid;

    // Sam's PIN is his alone: it is enough.
    let ok = login(json!({ "restaurant_id": rid, "pin": "4321" })).await;
    ok.expect(200, "");
    let me = app.get("/v1/auth/me", &ok.str("/access_token")).await;
    assert_eq!(me.body["name"], "Sam");
    // Kim and Lee share one: the last four digits of the phone tell them apart.
    login(json!({ "restaurant_id": rid, "pin": "8888" })).await.expect(409, "pin_ambiguous");
    let kim = login(json!({ "restaurant_id": rid, "pin": "8888", "phone_last4": "3111" })).await;
    kim.expect(200, "");
    assert_eq!(app.get("/v1/auth/me", &kim.str("/access_token")).await.body["name"], "Kim");
    // A wrong PIN, the wrong digits, digits that are not four, another restaurant.
    login(json!({ "restaurant_id": rid, "pin": "0000" })).await.expect(401, "invalid_credentials");
    login(json!({ "restaurant_id": rid, "pin": "8888", "phone_last4": "2000" }))
        .await
        .expect(401, "invalid_credentials");
    login(json!({ "restaurant_id": rid, "pin": "8888", "phone_last4": "31" })).await.expect(422, "validation_failed");
    let elsewhere = json!({ "restaurant_id": uuid::Uuid::now_v7(), "pin": "4321" });
    login(elsewhere).await.expect(401, "invalid_credentials");
}
