//! Members and roles: who may add, change and remove whom.

use crate::support::{TestApp, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn owners_and_managers_build_the_team_within_their_rights() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let users = format!("/v1/restaurants/{}/users", owner.rid);
    let (manager_id, manager) = app.add_member(&owner, "max@example.com", "manager").await;
    let (_, kitchen) = app.add_member(&owner, "kim@example.com", "kitchen").await;

    // A manager adds staff and kitchen, never owners or managers.
    let r =
        app.post(&users, &manager, json!({"name": "Sam", "role": "staff", "phone": "5550100001", "pin": "1234"})).await;
    r.expect(201, "");
    let sam = r.id("/id");
    app.post(&users, &manager, json!({"name": "O", "role": "owner", "email": "o@example.com", "password": PASSWORD}))
        .await
        .expect(403, "forbidden");
    app.post(
        &users,
        &manager,
        json!({"name": "M", "role": "manager", "email": "m2@example.com", "password": PASSWORD}),
    )
    .await
    .expect(403, "forbidden");
    app.put(&format!("{users}/{sam}"), &manager, json!({"role": "manager"})).await.expect(403, "forbidden");
    app.delete(&format!("{users}/{manager_id}"), &manager).await.expect(403, "forbidden");
    // Kitchen reads nothing of people.
    app.get(&users, &kitchen).await.expect(403, "forbidden");

    let list = app.get(&format!("{users}?limit=2"), &owner.token).await;
    list.expect(200, "");
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    let cursor = list.str("/next_cursor");
    let rest = app.get(&format!("{users}?limit=2&cursor={cursor}"), &owner.token).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 2);
    assert!(rest.body["next_cursor"].is_null());

    // Role change is audited.
    let r = app.put(&format!("{users}/{sam}"), &owner.token, json!({"role": "kitchen"})).await;
    r.expect(200, "");
    assert_eq!(r.body["role"], "kitchen");
    let audit = app.get(&format!("/v1/restaurants/{}/audit?type=user.role_changed", owner.rid), &owner.token).await;
    assert_eq!(audit.body["items"][0]["data"], json!({"from": "staff", "to": "kitchen"}));
    assert_eq!(audit.body["items"][0]["actor"], format!("user:{}", owner.user_id));
}

#[tokio::test]
async fn invalid_members_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let users = format!("/v1/restaurants/{}/users", owner.rid);
    let bad = [
        (json!({"name": "X", "role": "chef", "email": "x@example.com", "password": PASSWORD}), "role"),
        (json!({"name": "X", "role": "staff", "pin": "1234"}), "phone"),
        (json!({"name": "X", "role": "staff", "phone": "5550100001", "pin": "12"}), "pin"),
        (json!({"name": "X", "role": "manager", "phone": "5550100001", "pin": "1234"}), "email"),
        (json!({"name": "X", "role": "staff", "email": "x@example.com", "password": PASSWORD}), "password"),
        (json!({"role": "staff", "phone": "5550100001", "pin": "1234"}), "name"),
        (json!({"name": "X", "role": "staff", "password": PASSWORD}), "password"),
        (json!({"name": "X", "role": "staff"}), "email"),
    ];
    for (body, field) in bad {
        let r = app.post(&users, &owner.token, body.clone()).await;
        r.expect(422, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{body}");
    }
    app.post(&users, &owner.token, json!({"name": "A", "role": "staff", "phone": "5550100001", "pin": "1234"}))
        .await
        .expect(201, "");
    app.post(&users, &owner.token, json!({"name": "B", "role": "staff", "phone": "555-010-0001", "pin": "9999"}))
        .await
        .expect(409, "phone_taken");
    app.post(&users, &owner.token, json!({"name": "Me", "role": "manager", "email": "ana@example.com"}))
        .await
        .expect(409, "already_member");
    let listed = app.get(&users, &owner.token).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2, "a refused add left something behind");
}

#[tokio::test]
async fn a_restaurant_keeps_an_owner() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let me = format!("/v1/restaurants/{}/users/{}", owner.rid, owner.user_id);
    app.put(&me, &owner.token, json!({"role": "manager"})).await.expect(409, "last_owner");
    app.delete(&me, &owner.token).await.expect(409, "last_owner");
    app.put(&me, &owner.token, json!({"is_active": false})).await.expect(409, "cannot_deactivate_self");
    let (second, _) = app.add_member(&owner, "bo@example.com", "owner").await;
    app.put(&me, &owner.token, json!({"role": "manager"})).await.expect(200, "");
    // Now a manager, Ana cannot touch the remaining owner.
    app.delete(&format!("/v1/restaurants/{}/users/{second}", owner.rid), &owner.token).await.expect(403, "forbidden");
}

#[tokio::test]
async fn removing_or_deactivating_someone_cuts_their_access_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Diner").await;
    let (mid, manager) = app.add_member(&owner, "max@example.com", "manager").await;
    let (sid, staff) = app.add_member(&owner, "sue@example.com", "staff").await;
    let rest = format!("/v1/restaurants/{}", owner.rid);
    app.get(&rest, &manager).await.expect(200, "");

    app.delete(&format!("{rest}/users/{mid}"), &owner.token).await.expect(204, "");
    app.get(&rest, &manager).await.expect(404, "not_found");
    app.delete(&format!("{rest}/users/{mid}"), &owner.token).await.expect(404, "not_found");

    app.put(&format!("{rest}/users/{sid}"), &owner.token, json!({"is_active": false})).await.expect(200, "");
    app.get(&rest, &staff).await.expect(401, "token_revoked");
    app.login("sue@example.com", PASSWORD).await.expect(401, "invalid_credentials");
    let events = app.get(&format!("{rest}/audit?type=user."), &owner.token).await;
    let types: Vec<&str> =
        events.body["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "user.updated",
            "user.removed",
            "user.created",
            "user.invited",
            "user.created",
            "user.invited",
            "user.created"
        ]
    );
}

#[tokio::test]
async fn one_person_can_work_at_two_locations() {
    let app = TestApp::spawn().await;
    let owner = app.signup("ana@example.com", "Downtown").await;
    let uptown = app
        .post("/v1/restaurants", &owner.token, json!({"name": "Uptown", "timezone": "UTC", "currency": "USD"}))
        .await;
    let uptown = uptown.id("/id");
    let (max, max_token) = app.add_member(&owner, "max@example.com", "manager").await;
    // Inviting the same email elsewhere: Max accepts with his own account and password.
    let r = app
        .post(
            &format!("/v1/restaurants/{uptown}/users"),
            &owner.token,
            json!({"role": "staff", "name": "Max", "email": "MAX@example.com"}),
        )
        .await;
    r.expect(201, "");
    assert_eq!(r.body["status"], "invited");
    let token = r.str("/invite_url").rsplit('/').next().unwrap().to_owned();
    let joined = app.post(&format!("/v1/invitations/{token}/accept"), &max_token, json!({})).await;
    joined.expect(200, "");
    assert_eq!(joined.id("/user_id"), max);
    let token = app.login("max@example.com", PASSWORD).await.str("/access_token");
    let me = app.get("/v1/auth/me", &token).await;
    assert_eq!(me.body["memberships"].as_array().unwrap().len(), 2);
}
