//! `roster serve` as a process: start-up, a token from the CLI working over real HTTP, and
//! graceful shutdown.

use crate::support::Cli;

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn token_from_the_cli_opens_the_tenant_url_of_a_running_server() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap().to_owned();
    let server = cli.serve(&[]);
    // Enabling while the server runs: the CLI and the server share the SQLite file.
    let enabled = cli.json(&["scim", "enable", &id, "--public-url", &server.url("")]);
    let tenant_url = enabled["tenant_url"].as_str().unwrap();
    let token = enabled["token"].as_str().unwrap();

    let http = client();
    let probe = format!("{tenant_url}/Users?filter=userName+eq+%22nobody%40example.org%22");
    let ok = http.get(&probe).bearer_auth(token).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "application/scim+json");
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["totalResults"], 0);

    let refused = http
        .get(&probe)
        .bearer_auth("roster_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    assert_eq!(
        http.get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http.get(server.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    cli.json(&["scim", "disable", &id]);
    let after = http.get(&probe).bearer_auth(token).send().await.unwrap();
    assert_eq!(
        after.status(),
        401,
        "disabling takes effect on a running server"
    );

    let status = server.terminate();
    assert!(status.success(), "SIGTERM is a clean shutdown: {status:?}");
}

#[test]
fn serve_refuses_an_address_in_use() {
    let cli = Cli::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = cli
        .command()
        .args(["serve", "--listen", &addr])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("listening on {addr}")), "{stderr}");
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_before_the_process_exits() {
    use std::io::{Read, Write};

    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap().to_owned();
    let token = cli.json(&["scim", "enable", &id])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = cli.serve(&[]);

    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "late@example.org"
    })
    .to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "POST /scim/v2/{id}/Users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        server.addr,
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    // The request is in flight (half its body sent) when the server is told to stop.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = server.child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    stream.write_all(tail.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert_eq!(
        cli.json(&["user", "show", "late@example.org"])["active"],
        true,
        "the write landed"
    );
    let log = cli.json(&["log", &id]);
    assert_eq!(
        log[0]["status"], 201,
        "and its provisioning log entry: {log:#}"
    );
    assert_eq!(log[0]["name"], "late@example.org");
}
