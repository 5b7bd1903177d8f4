//! The scenarios (the request bodies Entra ID sends, in its default dialect) and the closed-loop
//! driver: a fixed number of workers, each with one request in flight, for a fixed time.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use clap::ValueEnum;
use hyper::body::Bytes;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::{
    lean::Connection,
    server::{Target, Tenant},
};

const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Entra's match: `GET /Users?filter=userName eq "..."` for a random existing user.
    FilterUser,
    /// `GET /Users/{id}` for a random existing user.
    GetUser,
    /// `POST /Users` of a new user.
    CreateUser,
    /// `PATCH /Users/{id}` with `active` "False" / "True" (offboarding and re-assignment).
    ToggleActive,
    /// Single-member `PATCH /Groups/{id}` adds and removes, all on one group.
    GroupMembers,
    /// `GET /Groups/{id}?excludedAttributes=members` for a random group.
    GetGroup,
}

impl Scenario {
    /// The scenarios also run against peers (`--peer`).
    pub fn for_peers(self) -> bool {
        matches!(self, Self::FilterUser | Self::GetUser | Self::CreateUser)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::FilterUser => "`GET /Users?filter=userName eq` (match)",
            Self::GetUser => "`GET /Users/{id}`",
            Self::CreateUser => "`POST /Users`",
            Self::ToggleActive => "`PATCH /Users/{id}` active toggle",
            Self::GroupMembers => "`PATCH /Groups/{id}` one member add/remove",
            Self::GetGroup => "`GET /Groups/{id}?excludedAttributes=members`",
        }
    }
}

#[derive(Debug)]
pub struct Settings {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one scenario on one store measured.
#[derive(Debug, Default)]
pub struct Stats {
    /// Latency of every measured request that got the expected status, in microseconds.
    latencies_us: Vec<u32>,
    measured: Duration,
    /// Requests answered with another status, or not answered.
    pub errors: u64,
    pub error_sample: Option<String>,
}

impl Stats {
    /// Successful requests per second of the measured window.
    pub fn rate(&self) -> f64 {
        self.latencies_us.len() as f64 / self.measured.as_secs_f64().max(f64::EPSILON)
    }

    /// The `p`th percentile latency in milliseconds (nearest rank; 0 without samples).
    pub fn percentile_ms(&self, p: usize) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = (self.latencies_us.len() * p).div_ceil(100).max(1) - 1;
        f64::from(self.latencies_us[rank.min(self.latencies_us.len() - 1)]) / 1000.0
    }

    fn merge(&mut self, other: Self) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        if self.error_sample.is_none() {
            self.error_sample = other.error_sample;
        }
    }
}

/// Runs `scenario` against `target`: `concurrency` workers loop until warm-up plus duration
/// have passed; requests that start inside the measured window are counted.
pub async fn run(
    target: &Target,
    scenario: Scenario,
    settings: &Settings,
) -> anyhow::Result<Stats> {
    let start = Instant::now();
    let measure_from = start + settings.warmup;
    let end = measure_from + settings.duration;
    // A run tag keeps created userNames unique across scenarios and stores on one database.
    let run_tag = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let (addr, base_path) = target.tenant.address_and_path()?;
    let mut workers = JoinSet::new();
    for worker in 0..settings.concurrency {
        let mut state = Worker {
            index: worker,
            workers: settings.concurrency,
            sent: 0,
            rng: Rng::new(worker as u64 + 1),
            run_tag,
            tenant: Arc::clone(&target.tenant),
        };
        let (addr, base_path) = (addr.to_owned(), base_path.to_owned());
        let mut connection = Connection::open(&addr).await?;
        workers.spawn(async move {
            let mut stats = Stats::default();
            while Instant::now() < end {
                let (method, path, body, expected) = state.next_request(scenario);
                let body = body.map(|b| Bytes::from(b.to_string()));
                let began = Instant::now();
                let result = connection
                    .send(
                        method.clone(),
                        &format!("{base_path}{path}"),
                        state.tenant.token(),
                        body,
                    )
                    .await;
                let took = began.elapsed();
                if result.is_err() {
                    // The connection is gone: a new one for the next request.
                    if let Ok(fresh) = Connection::open(&addr).await {
                        connection = fresh;
                    }
                }
                if began < measure_from {
                    continue;
                }
                match result {
                    Ok((status, _)) if expected.contains(&status.as_u16()) => stats
                        .latencies_us
                        .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
                    Ok((status, body)) => {
                        stats.errors += 1;
                        stats.error_sample.get_or_insert_with(|| {
                            format!(
                                "{method} {path} -> {status} {}",
                                String::from_utf8_lossy(&body)
                            )
                        });
                    }
                    Err(e) => {
                        stats.errors += 1;
                        stats
                            .error_sample
                            .get_or_insert_with(|| format!("{method} {path} -> {e:#}"));
                    }
                }
            }
            stats
        });
    }
    let mut total = Stats::default();
    while let Some(stats) = workers.join_next().await {
        total.merge(stats?);
    }
    total.measured = settings.duration;
    total.latencies_us.sort_unstable();
    Ok(total)
}

/// One worker's view: which users it owns, how many requests it sent, its random stream.
struct Worker {
    index: usize,
    workers: usize,
    sent: usize,
    rng: Rng,
    run_tag: u128,
    tenant: Arc<Tenant>,
}

type Request = (Method, String, Option<Value>, &'static [u16]);

impl Worker {
    fn next_request(&mut self, scenario: Scenario) -> Request {
        let n = self.sent;
        self.sent += 1;
        let t = &self.tenant;
        match scenario {
            Scenario::FilterUser => {
                let (_, name) = &t.users[self.rng.below(t.users.len())];
                // As Entra encodes it: `+` for spaces, `%22` quotes, `%40` for `@`.
                let path = format!(
                    "/Users?filter=userName+eq+%22{}%22",
                    name.replace('@', "%40")
                );
                (Method::GET, path, None, &[200])
            }
            Scenario::GetUser => {
                let (id, _) = &t.users[self.rng.below(t.users.len())];
                (Method::GET, format!("/Users/{id}"), None, &[200])
            }
            Scenario::CreateUser => {
                let name = format!(
                    "new-{:x}-{}-{n}@bench.example",
                    self.run_tag & 0xffff_ffff,
                    self.index
                );
                (
                    Method::POST,
                    "/Users".into(),
                    Some(user_body(&name, t.entra_dialect)),
                    &[201],
                )
            }
            Scenario::ToggleActive => {
                // Each worker owns every `workers`-th user, so no two workers race on one user
                // (Entra sends one change per user at a time), and flips them all off, then on.
                let owned = t.users.len().div_ceil(self.workers).max(1);
                let slot = n % owned;
                let user = (self.index + slot * self.workers) % t.users.len();
                let value = if (n / owned).is_multiple_of(2) {
                    "False"
                } else {
                    "True"
                };
                let body = json!({
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{"op": "Replace", "path": "active", "value": value}],
                });
                let path = format!("/Users/{}", t.users[user].0);
                (Method::PATCH, path, Some(body), &[200, 204])
            }
            Scenario::GroupMembers => {
                let (id, _) = &t.users[self.rng.below(t.users.len())];
                let op = if self.rng.below(2) == 0 {
                    "Add"
                } else {
                    "Remove"
                };
                let body = member_patch(op, [id.as_str()]);
                let path = format!("/Groups/{}", t.groups[0]);
                (Method::PATCH, path, Some(body), &[204])
            }
            Scenario::GetGroup => {
                let group = &t.groups[self.rng.below(t.groups.len())];
                let path = format!("/Groups/{group}?excludedAttributes=members");
                (Method::GET, path, None, &[200])
            }
        }
    }
}

/// A user as Entra's default dialect creates it: string boolean (a JSON one unless
/// `entra_dialect`, for peers that refuse the string), enterprise extension, nulls.
pub fn user_body(user_name: &str, entra_dialect: bool) -> Value {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let active = if entra_dialect {
        json!("True")
    } else {
        json!(true)
    };
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
        "externalId": user_name.split('@').next(),
        "userName": user_name,
        "active": active,
        "displayName": user_name,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "name": {"givenName": "Bench", "familyName": "User"},
        "roles": [],
        "title": null,
        enterprise: {"employeeNumber": null, "department": "Load"},
    })
}

/// Entra's default-dialect member PATCH: capitalised op, `path: members`, a list of values.
pub fn member_patch<'a>(op: &str, ids: impl IntoIterator<Item = &'a str>) -> Value {
    let members: Vec<Value> = ids.into_iter().map(|id| json!({"value": id})).collect();
    json!({
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": op, "path": "members", "value": members}],
    })
}

/// xorshift64*: enough randomness to spread requests, with no dependency.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A number in `0..n` (`n` > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x % n.max(1) as u64) as usize
    }
}
