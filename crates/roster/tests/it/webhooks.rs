//! Webhooks against a receiver on 127.0.0.1: signatures verify (checked here with hmac and
//! sha2, not with the code that signs), a receiver failing for a while gets every event
//! afterwards in order with no gap, a retry and a resend carry the batch's `webhook-id`, an
//! organization's endpoint never sees another organization's events, an endpoint failing for
//! too long is paused (audited) and gets everything once resumed, and private addresses are
//! refused without `--webhook-allow-private-networks`.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use roster_domain::{
    Admin, AuditAction, DeliveryPolicy, NewOrg, OrgId, OrgKind, WebhookState, WebhookTransport,
};
use roster_web::WebhookClient;
use serde_json::Value;
use sha2::Sha256;

use crate::support::{Cli, TestApp};

/// One POST as the receiver got it, and what it answered.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) id: String,
    timestamp: String,
    signature: String,
    body: Bytes,
    pub(crate) answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn event_ids(&self) -> Vec<String> {
        self.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[derive(Clone, Default)]
pub(crate) struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
}

async fn receive(State(rx): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "application/json");
    let answered = rx.answer.load(Ordering::SeqCst);
    rx.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
        answered,
    });
    StatusCode::from_u16(answered).unwrap()
}

impl Receiver {
    pub(crate) async fn start() -> (Self, String) {
        let rx = Self::default();
        rx.answer.store(200, Ordering::SeqCst);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(rx.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (rx, url)
    }

    fn answer(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    pub(crate) fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Standard Webhooks verification, written from the specification.
fn verify(secret: &str, r: &Received) {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(r.signature, expected, "signature of {}", r.id);
    assert!(r.id.starts_with("msg_"));
}

pub(crate) fn transport() -> Arc<dyn WebhookTransport> {
    Arc::new(WebhookClient::new(Duration::from_secs(5), true))
}

pub(crate) fn policy() -> DeliveryPolicy {
    DeliveryPolicy {
        give_up: time::Duration::hours(24),
        ..DeliveryPolicy::default()
    }
}

async fn org(app: &TestApp, name: &str) -> OrgId {
    app.roster
        .create_org(NewOrg {
            name: name.into(),
            kind: OrgKind::Business,
            seats: 50,
        })
        .await
        .unwrap()
        .org
        .id
}

async fn account(app: &TestApp, org: OrgId, name: &str) {
    app.roster
        .add_account(Some(org), &format!("{name}@example.com"), None, None)
        .await
        .unwrap();
}

/// The ids of the organization's events in the feed, in order, once at least `n` are readable
/// (on PostgreSQL a committed event can take a moment to become readable).
async fn feed(app: &TestApp, org: OrgId, n: usize) -> Vec<String> {
    let key = app.roster.create_api_key("test", Some(org)).await.unwrap();
    let key = app
        .roster
        .authenticate_api_key(Some(&key.key))
        .await
        .unwrap();
    for _ in 0..500 {
        let page = app
            .roster
            .events_feed(
                &key,
                roster_domain::FeedQuery {
                    limit: Some(1000),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let roster_domain::FeedPage::Page { events, .. } = page else {
            panic!("the feed is gone");
        };
        if events.len() >= n {
            return events
                .iter()
                .map(|e| {
                    roster_domain::event_json(e)["id"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the feed never held {n} events");
}

/// One delivery round, and the deliveries it started, to their end.
pub(crate) async fn round(app: &TestApp) {
    app.roster
        .deliver_webhooks(transport(), policy(), "test-instance")
        .await
        .unwrap();
    app.roster.deliveries_settled().await;
}

/// Delivery rounds until `done` holds (events may take a moment to become readable on
/// PostgreSQL), advancing the fixed clock by `step` before each.
async fn deliver_until(app: &TestApp, step: time::Duration, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        app.clock.advance(step);
        round(app).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(done(), "deliveries never reached the expected state");
}

/// The events the receiver accepted (2xx), in the order it got them.
fn accepted(rx: &Receiver) -> Vec<String> {
    rx.got()
        .iter()
        .filter(|r| (200..300).contains(&r.answered))
        .flat_map(Received::event_ids)
        .collect()
}

#[tokio::test]
async fn a_failing_receiver_gets_every_event_in_order_with_stable_ids_once_it_recovers() {
    let app = TestApp::with_webhooks().await;
    let a = org(&app, "Alpha").await;
    let b = org(&app, "Beta").await;
    let (rx_a, url_a) = Receiver::start().await;
    let (rx_b, url_b) = Receiver::start().await;
    let hook_a = app
        .roster
        .add_webhook(Some(a), &url_a, Some("content"))
        .await
        .unwrap();
    let hook_b = app.roster.add_webhook(Some(b), &url_b, None).await.unwrap();
    assert!(hook_a.secret.starts_with("whsec_"));

    rx_a.answer(500);
    account(&app, a, "ada").await;
    account(&app, a, "alan").await;
    account(&app, b, "bea").await;
    deliver_until(&app, time::Duration::ZERO, || !rx_a.got().is_empty()).await;
    let first = rx_a.got()[0].clone();
    assert_eq!(first.answered, 500);

    // More happens while the first batch is failing; a retry still sends exactly that batch.
    account(&app, a, "grace").await;
    round(&app).await;
    assert_eq!(
        rx_a.got().len(),
        1,
        "no retry before the backoff has passed"
    );
    app.clock.advance(time::Duration::seconds(6));
    deliver_until(&app, time::Duration::ZERO, || rx_a.got().len() >= 2).await;
    let retry = rx_a.got()[1].clone();
    assert_eq!(retry.id, first.id, "a retry carries the batch's webhook-id");
    assert_eq!(retry.event_ids(), first.event_ids());

    let hook = app
        .roster
        .webhook(&hook_a.webhook.id.to_string())
        .await
        .unwrap();
    assert_eq!(hook.attempts, 2);
    assert!(hook.failing_since.is_some());

    // Recovered: everything arrives, in feed order, each event once.
    rx_a.answer(204);
    let expected = feed(&app, a, 3).await;
    deliver_until(&app, time::Duration::hours(1), || {
        accepted(&rx_a).len() >= expected.len()
    })
    .await;
    assert_eq!(accepted(&rx_a), expected);
    let got = rx_a.got();
    let recovered = got.iter().find(|r| r.answered == 204).unwrap();
    assert_eq!(
        recovered.id, first.id,
        "the recovered batch is the one that failed"
    );
    for r in &got {
        verify(&hook_a.secret, r);
        for event in r.json()["events"].as_array().unwrap() {
            assert_eq!(event["org"], a.to_string());
        }
    }
    let last = got.last().unwrap().json();
    assert_eq!(
        last["next"],
        *last["events"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .get("id")
            .unwrap()
    );
    let hook = app
        .roster
        .webhook(&hook_a.webhook.id.to_string())
        .await
        .unwrap();
    assert_eq!((hook.attempts, hook.failing_since), (0, None));

    // The other organization's endpoint got its own events only.
    let expected_b = feed(&app, b, 1).await;
    deliver_until(&app, time::Duration::ZERO, || {
        accepted(&rx_b).len() >= expected_b.len()
    })
    .await;
    assert_eq!(accepted(&rx_b), expected_b);
    for r in rx_b.got() {
        verify(&hook_b.secret, &r);
        for event in r.json()["events"].as_array().unwrap() {
            assert_eq!(event["org"], b.to_string());
        }
    }

    // The delivery log has every attempt; a resend re-sends one with its webhook-id.
    let log = app
        .roster
        .webhook_deliveries(&hook_a.webhook.id.to_string(), 50)
        .await
        .unwrap();
    assert_eq!(log.len(), got.len());
    assert_eq!(
        log.iter().filter(|d| d.status == Some(500)).count(),
        got.iter().filter(|r| r.answered == 500).count()
    );
    let original = log.iter().rev().find(|d| d.succeeded()).unwrap();
    let before = rx_a.got().len();
    let resent = app
        .roster
        .resend_webhook_delivery(&original.id.to_string(), &*transport())
        .await
        .unwrap();
    assert!(resent.resend && resent.succeeded());
    let again = rx_a.got()[before].clone();
    assert_eq!(again.id, original.message_id);
    assert_eq!(again.id, first.id);
    assert_eq!(again.event_ids(), first.event_ids());
    verify(&hook_a.secret, &again);
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_paused_audited_and_gets_everything_when_resumed() {
    let app = TestApp::with_webhooks().await;
    let a = org(&app, "Alpha").await;
    let (rx, url) = Receiver::start().await;
    let hook = app.roster.add_webhook(Some(a), &url, None).await.unwrap();
    let id = hook.webhook.id.to_string();
    rx.answer(503);
    account(&app, a, "ada").await;
    deliver_until(&app, time::Duration::ZERO, || !rx.got().is_empty()).await;
    // Retries back off up to an hour apart; after a day of failures the endpoint is paused.
    for _ in 0..40 {
        if app.roster.webhook(&id).await.unwrap().state == WebhookState::Paused {
            break;
        }
        app.clock.advance(time::Duration::hours(1));
        round(&app).await;
    }
    let paused = app.roster.webhook(&id).await.unwrap();
    assert!(rx.got().len() > 20, "retried until it gave up");
    assert!(rx.got().iter().all(|r| r.id == rx.got()[0].id));
    assert_eq!(paused.state, WebhookState::Paused, "{paused:?}");
    let admin = Admin::trusted(roster_domain::AccountId::new_random(), a, "ops@example.com");
    let audit = app.roster.audit_page(&admin, None, 50).await.unwrap();
    assert!(
        audit
            .entries
            .iter()
            .any(|e| e.action == AuditAction::WebhookPaused
                && e.target.as_deref() == Some(url.as_str())),
        "{audit:?}"
    );
    // Paused: nothing more is sent.
    let sent = rx.got().len();
    account(&app, a, "alan").await;
    app.clock.advance(time::Duration::hours(3));
    round(&app).await;
    assert_eq!(rx.got().len(), sent);

    // Resumed: what it missed, from where it stood.
    rx.answer(200);
    app.roster.resume_webhook(&id).await.unwrap();
    let expected = feed(&app, a, 2).await;
    deliver_until(&app, time::Duration::ZERO, || {
        accepted(&rx).len() >= expected.len()
    })
    .await;
    assert_eq!(accepted(&rx), expected);
}

#[tokio::test]
async fn private_addresses_are_refused_without_the_flag() {
    let app = TestApp::with_secret_key().await;
    let a = org(&app, "Alpha").await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://localhost:9/hooks",
        "http://169.254.169.254/latest",
        "http://[::1]:9/",
        "http://10.0.0.7/",
    ] {
        let refused = app
            .roster
            .add_webhook(Some(a), url, None)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, roster_domain::Error::Invalid(m) if m.contains("--webhook-allow-private-networks")),
            "{url}: {refused:?}"
        );
    }
    let refused = app
        .roster
        .add_webhook(Some(a), "ftp://hooks.example.com/", None)
        .await
        .unwrap_err();
    assert!(matches!(refused, roster_domain::Error::Invalid(_)));
    assert!(app.roster.webhooks().await.unwrap().is_empty());

    // The delivery side checks again (DNS may answer differently later).
    let (rx, url) = Receiver::start().await;
    let refused = WebhookClient::new(Duration::from_secs(2), false)
        .post(&url, &[], b"{}".to_vec())
        .await
        .unwrap_err();
    assert!(refused.contains("private"), "{refused}");
    assert!(rx.got().is_empty());
}

#[tokio::test]
async fn the_cli_adds_lists_pauses_and_removes_webhooks_and_shows_the_secret_once() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let org = org["id"].as_str().unwrap();
    let refused = cli.fails(&[
        "webhook",
        "add",
        "--url",
        "http://127.0.0.1:9/",
        "--org",
        org,
    ]);
    assert!(
        refused.contains("--webhook-allow-private-networks"),
        "{refused}"
    );
    let added = cli.json(&[
        "--webhook-allow-private-networks",
        "webhook",
        "add",
        "--url",
        "http://127.0.0.1:9/hooks",
        "--org",
        org,
        "--description",
        "content",
    ]);
    let secret = added["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(STANDARD.decode(&secret[6..]).unwrap().len(), 32);
    let id = added["id"].as_str().unwrap();
    let listed = cli.json(&["webhook", "list"]);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["org"], org);
    assert_eq!(listed[0]["state"], "active");
    assert!(listed[0].get("secret").is_none());
    assert!(!listed.to_string().contains(&secret[6..]));
    assert_eq!(cli.json(&["webhook", "pause", id])["state"], "paused");
    assert_eq!(cli.json(&["webhook", "resume", id])["state"], "active");
    assert_eq!(
        cli.json(&["webhook", "deliveries", id]),
        serde_json::json!([])
    );
    cli.json(&["webhook", "remove", id]);
    assert_eq!(cli.json(&["webhook", "list"]), serde_json::json!([]));
    assert!(cli.fails(&["webhook", "remove", id]).contains("no webhook"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roster_serve_delivers_what_the_cli_changes_to_a_signed_receiver() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let org = org["id"].as_str().unwrap().to_owned();
    let (rx, url) = Receiver::start().await;
    let added = cli.json(&[
        "--webhook-allow-private-networks",
        "webhook",
        "add",
        "--url",
        &url,
        "--org",
        &org,
    ]);
    let secret = added["secret"].as_str().unwrap().to_owned();
    let server = cli.serve(&[
        "--webhook-allow-private-networks",
        "--webhook-tick-ms",
        "50",
    ]);
    cli.json(&[
        "user",
        "add",
        "--org",
        &org,
        "--user-name",
        "ada@example.com",
    ]);
    for _ in 0..300 {
        if !accepted(&rx).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got = rx.got();
    assert_eq!(got.len(), 1, "{}", server.log());
    verify(&secret, &got[0]);
    let body = got[0].json();
    assert_eq!(body["events"][0]["type"], "account.created");
    assert!(
        body["events"][0]["data"]
            .to_string()
            .contains("ada@example.com"),
        "{body}"
    );
    let log = cli.json(&["webhook", "deliveries", added["id"].as_str().unwrap()]);
    assert_eq!(log[0]["status"], 200);
    assert_eq!(log[0]["message_id"], got[0].id.as_str());
    server.terminate();
}

#[tokio::test]
async fn without_the_servers_secret_key_no_webhook_is_added() {
    let app = TestApp::new().await;
    let a = org(&app, "Alpha").await;
    let refused = app
        .roster
        .add_webhook(Some(a), "https://hooks.example.com/", None)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, roster_domain::Error::Invalid(m) if m.contains("--secret-key-file")),
        "{refused:?}"
    );
    assert!(app.roster.webhooks().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_delivering_at_once_send_each_batch_once() {
    let app = TestApp::with_webhooks().await;
    let a = org(&app, "Alpha").await;
    let (rx, url) = Receiver::start().await;
    app.roster.add_webhook(Some(a), &url, None).await.unwrap();
    for name in ["ada", "alan", "grace", "edsger"] {
        account(&app, a, name).await;
    }
    let expected = feed(&app, a, 4).await;
    for _ in 0..300 {
        if accepted(&rx).len() >= expected.len() {
            break;
        }
        // Three instances run a round at the same moment; the lease lets one deliver.
        let rounds = ["one", "two", "three"].map(|instance| {
            let roster = app.roster.clone();
            tokio::spawn(async move {
                roster
                    .deliver_webhooks(transport(), policy(), instance)
                    .await
                    .unwrap()
            })
        });
        for round in rounds {
            round.await.unwrap();
        }
        app.roster.deliveries_settled().await;
    }
    assert_eq!(accepted(&rx), expected, "each event once, in order");
    let ids: Vec<String> = rx.got().iter().map(|r| r.id.clone()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "no batch was sent twice");
}

/// A receiver that accepts connections and never answers: each POST to it waits for the
/// transport's timeout. Counts the connections it got.
async fn hanging_receiver() -> (Arc<std::sync::atomic::AtomicUsize>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (connections, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_hangs_delays_no_other_organizations_deliveries() {
    let app = TestApp::with_webhooks().await;
    let a = org(&app, "Alpha").await;
    let b = org(&app, "Beta").await;
    let (hanging, url_a) = hanging_receiver().await;
    let (rx_b, url_b) = Receiver::start().await;
    app.roster.add_webhook(Some(a), &url_a, None).await.unwrap();
    app.roster.add_webhook(Some(b), &url_b, None).await.unwrap();
    account(&app, a, "ada").await;
    account(&app, b, "bea").await;
    let first_b = feed(&app, b, 1).await;
    let feed_a = feed(&app, a, 1).await;
    assert_eq!(feed_a.len(), 1);

    // The transport gives up after 5 s; everything below must happen well before that.
    let started = std::time::Instant::now();
    let ticks = async {
        loop {
            let tick = app
                .roster
                .deliver_webhooks(transport(), policy(), "test-instance")
                .await
                .unwrap();
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "a tick waited for the hanging receiver: {tick:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let delivered = async {
        while accepted(&rx_b).len() < first_b.len() || hanging.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // More happens in B while A's POST still hangs: it is delivered at once too.
        account(&app, b, "bob").await;
        let both_b = feed(&app, b, 2).await;
        while accepted(&rx_b).len() < both_b.len() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        both_b
    };
    let both_b = tokio::select! {
        both_b = delivered => both_b,
        () = ticks => unreachable!(),
    };
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "B's batches took {:?}",
        started.elapsed()
    );
    assert_eq!(accepted(&rx_b), both_b);
    // A's delivery is still under way, and later ticks did not start another one beside it.
    assert_eq!(hanging.load(Ordering::SeqCst), 1);
    let log_a = app.roster.webhooks().await.unwrap();
    let hook_a = log_a.iter().find(|h| h.org_id == Some(a)).unwrap();
    assert_eq!(hook_a.claimed_by.as_deref(), Some("test-instance"));
}

#[tokio::test]
async fn an_organization_has_at_most_twenty_endpoints_and_the_deployment_twenty_of_its_own() {
    let app = TestApp::with_webhooks().await;
    let a = org(&app, "Alpha").await;
    let b = org(&app, "Beta").await;
    let (_rx, url) = Receiver::start().await;
    for owner in [Some(a), None] {
        for _ in 0..20 {
            app.roster.add_webhook(owner, &url, None).await.unwrap();
        }
        let refused = app.roster.add_webhook(owner, &url, None).await.unwrap_err();
        let expected = match owner {
            Some(_) => {
                "this organization already has 20 webhook endpoints; remove one before adding another"
            }
            None => {
                "this deployment already has 20 deployment-wide webhook endpoints; remove one before adding another"
            }
        };
        assert!(
            matches!(&refused, roster_domain::Error::Conflict(roster_domain::Conflict::State(m)) if m == expected),
            "{refused:?}"
        );
    }
    let hooks = app.roster.webhooks().await.unwrap();
    assert_eq!(hooks.iter().filter(|h| h.org_id == Some(a)).count(), 20);
    assert_eq!(hooks.iter().filter(|h| h.org_id.is_none()).count(), 20);
    // Another organization is not held back by A's endpoints, and removing one makes room.
    app.roster.add_webhook(Some(b), &url, None).await.unwrap();
    let one_of_a = hooks.iter().find(|h| h.org_id == Some(a)).unwrap();
    app.roster
        .remove_webhook(&one_of_a.id.to_string())
        .await
        .unwrap();
    app.roster.add_webhook(Some(a), &url, None).await.unwrap();
}

#[tokio::test]
async fn the_cli_refuses_a_twenty_first_endpoint_and_a_hundred_and_first_key() {
    let cli = Cli::new();
    let org = cli.json(&[
        "org", "create", "--name", "Acme", "--kind", "business", "--seats", "5",
    ]);
    let org = org["id"].as_str().unwrap().to_owned();
    let add = [
        "--webhook-allow-private-networks",
        "webhook",
        "add",
        "--url",
        "http://127.0.0.1:9/hooks",
        "--org",
        &org,
    ];
    for _ in 0..20 {
        cli.json(&add);
    }
    let refused = cli.fails(&add);
    assert!(
        refused.contains(
            "this organization already has 20 webhook endpoints; remove one before adding another"
        ),
        "{refused}"
    );
    assert_eq!(cli.json(&["webhook", "list"]).as_array().unwrap().len(), 20);

    // 99 keys written directly, the 100th and 101st through the CLI.
    {
        let store: Arc<dyn roster_domain::Store> =
            Arc::new(roster_store_sqlite::SqliteStore::open(&cli.database).unwrap());
        let roster = roster_domain::Roster::new(store, Arc::new(roster_domain::SystemClock));
        let id: OrgId = org.parse().unwrap();
        for i in 0..99 {
            roster
                .create_api_key(&format!("key {i}"), Some(id))
                .await
                .unwrap();
        }
    }
    let create = ["api-key", "create", "--name", "one more", "--org", &org];
    cli.json(&create);
    let refused = cli.fails(&create);
    assert!(
        refused.contains(
            "this organization already has 100 API keys that are not revoked; revoke one before creating another"
        ),
        "{refused}"
    );
    let keys = cli.json(&["api-key", "list"]);
    assert_eq!(keys.as_array().unwrap().len(), 100);
    // A revoked key frees its place.
    let first = keys[0]["id"].as_str().unwrap();
    cli.json(&["api-key", "revoke", first]);
    cli.json(&create);
}
