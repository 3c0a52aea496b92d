//! The demo restaurant loads once, completely, and can be signed into.

use crate::support::TestApp;
use reqwest::Method;

#[tokio::test]
async fn the_demo_loads_once_with_a_month_of_orders() {
    let app = TestApp::spawn().await;
    let info = brigade_server::demo::load(&app.state).await.unwrap();
    assert!(info.created);
    assert!((2500..=5000).contains(&info.orders), "{} orders", info.orders);
    let again = brigade_server::demo::load(&app.state).await.unwrap();
    assert!(!again.created, "loading twice must not duplicate");
    assert_eq!(again.restaurant_id, info.restaurant_id);

    let login = app.login(brigade_server::demo::OWNER_EMAIL, brigade_server::demo::PASSWORD).await;
    login.expect(200, "");
    let token = login.str("/access_token");
    let rid = info.restaurant_id;
    let items = app.get(&format!("/v1/restaurants/{rid}/menu/items?limit=500"), &token).await;
    assert_eq!(items.body["items"].as_array().unwrap().len(), 60);
    let cats = app.get(&format!("/v1/restaurants/{rid}/menu/categories"), &token).await;
    assert_eq!(cats.body["items"].as_array().unwrap().len(), 6);
    let stations = app.get(&format!("/v1/restaurants/{rid}/kds/stations"), &token).await;
    assert_eq!(stations.body["items"].as_array().unwrap().len(), 3);
    let tables = app.get(&format!("/v1/restaurants/{rid}/tables"), &token).await;
    assert_eq!(tables.body["items"].as_array().unwrap().len(), 12);
    let people = app.get(&format!("/v1/restaurants/{rid}/users"), &token).await;
    assert_eq!(people.body["items"].as_array().unwrap().len(), 7);
    let (_, _, phone, pin) = &info.pin_users[3];
    let cook = app
        .anon_post("/v1/auth/pin-login", serde_json::json!({ "restaurant_id": rid, "phone": phone, "pin": pin }))
        .await;
    cook.expect(200, "");
    let menu =
        app.call(Method::GET, &format!("/v1/public/restaurants/{}/menu?channel=qr", info.slug), None, None).await;
    menu.expect(200, "");
    let history = app.get(&format!("/v1/restaurants/{rid}/orders?limit=500"), &token).await;
    let orders = history.body["items"].as_array().unwrap();
    assert_eq!(orders.len(), 500);
    let channels: std::collections::HashSet<&str> = orders.iter().map(|o| o["channel"].as_str().unwrap()).collect();
    assert!(channels.len() >= 6, "a channel mix: {channels:?}");
    assert!(orders.iter().all(|o| o["total"].as_i64().unwrap() > 0));
}
