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
    // The CLI is another process: the server, which verified the token moments ago, refuses it
    // once its token cache's window has passed (README, token rotation).
    let disabled = std::time::Instant::now();
    loop {
        let after = http.get(&probe).bearer_auth(token).send().await.unwrap();
        if after.status() == 401 {
            break;
        }
        assert_eq!(after.status(), 200);
        assert!(
            disabled.elapsed() < roster_domain::TOKEN_CACHE_TTL + std::time::Duration::from_secs(1),
            "disabling takes effect on a running server within the cache's window"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

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

/// Writes `bytes` one at a time, `gap` apart, until the server closes the connection; returns how
/// long that took (at most `bound`, which fails the test).
fn trickle_until_closed(
    stream: &mut std::net::TcpStream,
    bytes: &[u8],
    gap: std::time::Duration,
    bound: std::time::Duration,
) -> std::time::Duration {
    use std::io::{Read, Write};

    let started = std::time::Instant::now();
    stream.set_read_timeout(Some(gap)).unwrap();
    let mut buf = [0_u8; 512];
    for byte in bytes.iter().cycle() {
        assert!(started.elapsed() < bound, "still open after {bound:?}");
        if stream.write_all(&[*byte]).is_err() {
            return started.elapsed();
        }
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return started.elapsed(),
        }
    }
    unreachable!("the byte source cycles forever")
}

fn healthz_status(addr: &str, bound: std::time::Duration) -> String {
    use std::io::{Read, Write};

    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(bound)).unwrap();
    write!(
        stream,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or("").to_owned()
}

#[test]
fn a_client_sending_its_headers_slowly_is_cut_off_after_the_header_timeout() {
    use std::{io::Write, time::Duration};

    let cli = Cli::new();
    let server = cli.serve(&["--header-timeout", "1"]);
    let mut slow = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(slow, "GET /healthz HTTP/1.1\r\nHost: {}\r\n", server.addr).unwrap();
    let open_for = trickle_until_closed(
        &mut slow,
        b"X-Slow: abcdefgh\r\n",
        Duration::from_millis(100),
        Duration::from_secs(10),
    );
    assert!(
        open_for >= Duration::from_millis(700),
        "cut off by the timeout, not at once: {open_for:?}"
    );
    assert_eq!(
        healthz_status(&server.addr, Duration::from_secs(10)),
        "HTTP/1.1 200 OK"
    );
    assert!(server.terminate().success());
}

#[test]
fn beyond_the_connection_cap_idle_connections_wait_and_healthz_answers_once_one_frees() {
    use std::time::{Duration, Instant};

    let cli = Cli::new();
    let server = cli.serve(&["--max-connections", "2", "--header-timeout", "1"]);
    // Twice the cap in idle connections: the first two are served (and closed by the timeout),
    // the others wait in the listen backlog for their turn.
    let idle: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(&server.addr).unwrap())
        .collect();
    let started = Instant::now();
    assert_eq!(
        healthz_status(&server.addr, Duration::from_secs(15)),
        "HTTP/1.1 200 OK"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    drop(idle);
    let log = server.log();
    assert_eq!(
        log.matches("connection limit reached").count(),
        1,
        "one warning for the burst: {log}"
    );
    assert!(server.terminate().success());
}

#[test]
fn sigterm_with_stalled_clients_exits_within_the_shutdown_deadline() {
    use std::{
        io::Write,
        time::{Duration, Instant},
    };

    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let id = org["id"].as_str().unwrap().to_owned();
    let token = cli.json(&["scim", "enable", &id])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Both timeouts that would otherwise end these clients are far longer than the deadline.
    let server = cli.serve(&["--shutdown-timeout", "1", "--header-timeout", "60"]);

    // One client stalls halfway through its headers, another halfway through its body.
    let mut in_head = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        in_head,
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Sl",
        server.addr
    )
    .unwrap();
    let mut in_body = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        in_body,
        "POST /scim/v2/{id}/Users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"schemas\":",
        server.addr
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    let stderr = std::sync::Arc::clone(&server.stderr);
    let started = Instant::now();
    let status = server.terminate();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "exited after {took:?}");
    let log = stderr.lock().unwrap().clone();
    assert!(log.contains("shutdown deadline passed"), "{log}");
    drop((in_head, in_body));
}

#[test]
fn running_out_of_file_descriptors_neither_stops_nor_spins_the_accept_loop() {
    use std::time::Duration;

    let cli = Cli::new();
    // A cap above what the descriptors allow, so `accept` itself fails with EMFILE.
    let server =
        cli.serve_with_open_files(64, &["--max-connections", "500", "--header-timeout", "1"]);
    let idle: Vec<_> = (0..80)
        .map(|_| std::net::TcpStream::connect(&server.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        healthz_status(&server.addr, Duration::from_secs(15)),
        "HTTP/1.1 200 OK",
        "served once the timeout freed descriptors"
    );
    drop(idle);
    let log = server.log();
    let errors = log.matches("cannot accept connections").count();
    assert!(
        (1..=3).contains(&errors),
        "logged, not once per attempt: {errors} in {log}"
    );
    assert!(server.terminate().success());
}
