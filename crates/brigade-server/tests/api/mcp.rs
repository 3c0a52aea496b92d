//! MCP over streamable HTTP: the protocol's documented messages by hand, then the
//! official Python SDK as a real client.

use crate::support::{long_tokens, Owner, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn kitchen() -> (TestApp, Owner, String) {
    let app = TestApp::builder().config(long_tokens).spawn().await;
    let owner = app.signup("ana@example.com", "Trattoria").await;
    let r = |p: &str| format!("/v1/restaurants/{}/{p}", owner.rid);
    let cat = app.post(&r("menu/categories"), &owner.token, json!({ "name": "Mains" })).await.id("/id");
    for name in ["Grilled Salmon", "Tiramisu", "Penne Arrabbiata", "Caesar Salad", "Garlic Bread"] {
        app.post(&r("menu/items"), &owner.token, json!({ "category_id": cat, "name": name, "price": 1000 }))
            .await
            .expect(201, "");
    }
    let perms = json!(["restaurant:read", "menu:read", "menu:86", "orders:read", "orders:write"]);
    let key =
        app.post(&r("api-keys"), &owner.token, json!({ "name": "agent", "permissions": perms })).await.str("/key");
    (app, owner, key)
}

async fn rpc(app: &TestApp, key: &str, body: Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/v1/mcp"))
        .bearer_auth(key)
        .header("Accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!(text)) })
}

#[tokio::test]
async fn an_agent_uses_the_tools_with_its_keys_permissions() {
    let (app, owner, key) = kitchen().await;
    let (s, init) = rpc(&app, &key, json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "test", "version": "1" } } }))
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["capabilities"]["tools"]["listChanged"], false);
    let (s, none) = rpc(&app, &key, json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
    assert_eq!((s, none), (StatusCode::ACCEPTED, Value::Null));

    let (_, list) = rpc(&app, &key, json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" })).await;
    let names: Vec<&str> =
        list["result"]["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"eighty_six") && names.contains(&"set_order_status") && names.contains(&"queue_status"));
    assert!(!names.contains(&"labor_summary"), "the key has no users:read");
    assert!(!names.contains(&"clock_in"), "a key has no time clock");
    let eighty_six = list["result"]["tools"].as_array().unwrap().iter().find(|t| t["name"] == "eighty_six").unwrap();
    assert_eq!(eighty_six["inputSchema"]["properties"]["confirm"]["type"], "boolean");
    assert_eq!(eighty_six["annotations"]["destructiveHint"], true);

    let call = |id: i64, name: &str, args: Value| json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": name, "arguments": args } });
    let (_, done) = rpc(&app, &key, call(3, "eighty_six", json!({ "items": ["salmon"], "until": "end_of_day" }))).await;
    assert_eq!(done["result"]["isError"], false, "{done}");
    assert_eq!(done["result"]["structuredContent"]["status"], "done");
    assert_eq!(done["result"]["structuredContent"]["result"][0]["name"], "Grilled Salmon");
    let audit =
        app.get(&format!("/v1/restaurants/{}/audit?type=menu.availability_changed", owner.rid), &owner.token).await;
    assert!(audit.body["items"][0]["actor"].as_str().unwrap().starts_with("api_key:"), "audited as the key");

    // More than three at once waits for "confirm": true; nothing changes before.
    let four = json!({ "items": ["tiramisu", "arrabbiata", "caesar salad", "garlic bread"] });
    let (_, held) = rpc(&app, &key, call(4, "eighty_six", four.clone())).await;
    assert_eq!(held["result"]["structuredContent"]["status"], "needs_confirmation");
    let public = app
        .public_items(&app.get(&format!("/v1/restaurants/{}", owner.rid), &owner.token).await.str("/slug"), "web")
        .await;
    assert!(public.contains(&"Tiramisu".to_owned()));
    let mut confirmed = four;
    confirmed["confirm"] = json!(true);
    let (_, done) = rpc(&app, &key, call(5, "eighty_six", confirmed)).await;
    assert_eq!(done["result"]["structuredContent"]["status"], "done");

    // Bad calls.
    let (_, unknown) = rpc(&app, &key, call(6, "payroll", json!({}))).await;
    assert_eq!(unknown["error"]["code"], -32602);
    let (_, refused) = rpc(&app, &key, call(7, "labor_summary", json!({}))).await;
    assert_eq!(refused["result"]["isError"], true);
    let (_, lobster) = rpc(&app, &key, call(8, "restore", json!({ "items": ["lobster"] }))).await;
    assert_eq!(lobster["result"]["isError"], true);
    let (_, bad) = rpc(&app, &key, call(9, "eighty_six", json!({ "items": [] }))).await;
    assert_eq!(bad["result"]["isError"], true);
    let (_, method) = rpc(&app, &key, json!({ "jsonrpc": "2.0", "id": 10, "method": "resources/list" })).await;
    assert_eq!(method["error"]["code"], -32601);
    let (_, old) = rpc(&app, &key, json!({ "jsonrpc": "1.0", "id": 11, "method": "ping" })).await;
    assert_eq!(old["error"]["code"], -32600);
    let (_, batch) = rpc(
        &app,
        &key,
        json!([{ "jsonrpc": "2.0", "id": 12, "method": "ping" }, { "jsonrpc": "2.0", "method": "notifications/x" }]),
    )
    .await;
    assert_eq!(batch, json!([{ "jsonrpc": "2.0", "id": 12, "result": {} }]));
    let raw = reqwest::Client::new()
        .post(app.url("/v1/mcp"))
        .bearer_auth(&key)
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.json::<Value>().await.unwrap()["error"]["code"], -32700);

    // The transport's walls.
    let anon = reqwest::Client::new()
        .post(app.url("/v1/mcp"))
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    let (s, _) = rpc(&app, &owner.token, json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a person's token is not an MCP credential");
    let foreign = reqwest::Client::new()
        .post(app.url("/v1/mcp"))
        .bearer_auth(&key)
        .header("Origin", "https://evil.example")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let version = reqwest::Client::new()
        .post(app.url("/v1/mcp"))
        .bearer_auth(&key)
        .header("MCP-Protocol-Version", "1999-01-01")
        .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": "ping" }))
        .send()
        .await
        .unwrap();
    assert_eq!(version.status(), StatusCode::BAD_REQUEST);
    let get = reqwest::Client::new().get(app.url("/v1/mcp")).bearer_auth(&key).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_official_python_sdk_connects_and_calls() {
    let ok = std::process::Command::new("python3")
        .args(["-c", "import mcp.client.streamable_http"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI must test MCP with the Python SDK (pip install mcp)"
        );
        eprintln!("!!! SKIPPED: the MCP SDK test (pip install \"mcp==2.3.0\") !!!");
        return;
    }
    let (app, owner, key) = kitchen().await;
    let items = app.get(&format!("/v1/restaurants/{}/menu/items", owner.rid), &owner.token).await;
    let tiramisu =
        items.body["items"].as_array().unwrap().iter().find(|i| i["name"] == "Tiramisu").unwrap()["id"].clone();
    app.order(&owner, &owner.token, "pos", json!([{ "item_id": tiramisu, "quantity": 1 }])).await.expect(201, "");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/mcp/client.py");
    let url = app.url("/v1/mcp");
    // The server runs on this test's runtime: wait for the client off it.
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new("python3").args([script, &url, &key]).output())
            .await
            .unwrap()
            .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["server"], "brigade");
    assert!(brigade_server::mcp::VERSIONS.contains(&r["protocol"].as_str().unwrap()), "{}", r["protocol"]);
    assert!(r["tools"].as_array().unwrap().contains(&json!("eighty_six")));
    assert_eq!(r["done"]["error"], false);
    assert_eq!(r["done"]["structured"]["result"][0]["name"], "Grilled Salmon");
    assert_eq!(r["held"]["structured"]["status"], "needs_confirmation");
    assert_eq!(r["missing"]["error"], true);
    assert!(r["listed"].as_str().unwrap().contains("Grilled Salmon"));
    let order = app.get(&format!("/v1/restaurants/{}/orders?limit=1", owner.rid), &owner.token).await;
    assert_eq!(order.body["items"][0]["status"], "received", "not cancelled without the confirmation");
}
