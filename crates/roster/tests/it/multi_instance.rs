//! Two `roster serve` processes on one PostgreSQL database, driven at once with the requests
//! Microsoft Entra ID sends in parallel: seat-limited creates, duplicate creates, single-member
//! group PATCHes and duplicate group creates, each race spread over both instances. Afterwards
//! every invariant is checked through the CLI and through SCIM, and the provisioning log must
//! hold the refusals answered by each instance.
//!
//! Needs `ROSTER_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`, a user
//! who may create databases); without it the test prints that it is skipped and passes. It works
//! in a fresh database of its own, dropped at the end even when the test fails.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    time::Duration,
};

use reqwest::{Client, Method};
use roster_store_postgres::testing;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::support::{Cli, Server};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_keep_seats_names_and_memberships_exact_under_parallel_load()
{
    let Some(admin_url) = testing::server_url() else {
        return;
    };
    let db = testing::TestDatabase::create(&admin_url).await.unwrap();
    let mut cli = Cli::new();
    // The helper passes `database` as `--database`; a URL is as good as a path there.
    cli.database = PathBuf::from(&db.url);

    let org = cli.json(&[
        "org",
        "create",
        "--name",
        "Two Rivers High",
        "--kind",
        "school",
        "--seats",
        "15",
    ]);
    let org_id = org["id"].as_str().unwrap().to_owned();
    let token = cli.json(&["scim", "enable", &org_id])["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let server_a = cli.serve(&[]);
    let server_b = cli.serve(&[]);
    let t = Tenants::new(&server_a, &server_b, &org_id, &token);

    // (a) 40 creates for 15 seats, alternating instances, all in flight at once.
    let mut creates = JoinSet::new();
    for i in 0..40 {
        let t = t.clone();
        creates.spawn(async move {
            let name = format!("seat{i:02}@tworivers.example");
            let (status, body) = t
                .send(i, "seat", Method::POST, "/Users", Some(entra_user(&name)))
                .await;
            (i, name, status, body)
        });
    }
    let mut seated = BTreeMap::new();
    let mut refused_for_seats = Vec::new();
    // The client-request-ids of every refused request, for the provisioning log check.
    let mut refused_ids = BTreeSet::new();
    for (i, name, status, body) in creates.join_all().await {
        match status {
            201 => {
                assert_eq!(body["userName"], name.as_str());
                seated.insert(name, body["id"].as_str().unwrap().to_owned());
            }
            409 => {
                let detail = body["detail"].as_str().unwrap();
                assert!(
                    detail.starts_with("seat limit reached: 15 of 15 seats in use"),
                    "{body:#}"
                );
                assert_eq!(body["scimType"], Value::Null, "{body:#}");
                refused_for_seats.push(name);
                refused_ids.insert(request_id("seat", i));
            }
            other => panic!("create of {name}: unexpected {other} {body:#}"),
        }
    }
    assert_eq!(seated.len(), 15, "exactly the seats are filled");
    assert_eq!(refused_for_seats.len(), 25);

    // Room for what follows; the running instances read the new limit from the database.
    let raised = cli.json(&["org", "update", &org_id, "--seats", "40"]);
    assert_eq!(raised["seats"], 40);
    assert_eq!(raised["seats_used"], 15);

    // (b) One userName created ten times at once, five times on each instance, in two cases
    // (uniqueness ignores case; Entra's values may differ in case from what was stored).
    let dup_name = "dup@tworivers.example";
    let mut dups = JoinSet::new();
    for i in 0..10_usize {
        let t = t.clone();
        let name = if i % 4 < 2 {
            dup_name.to_owned()
        } else {
            dup_name.to_uppercase()
        };
        dups.spawn(async move {
            let (status, body) = t
                .send(i, "dup", Method::POST, "/Users", Some(entra_user(&name)))
                .await;
            (i, status, body)
        });
    }
    let mut dup_id = None;
    let mut dup_refusals = 0;
    for (i, status, body) in dups.join_all().await {
        match status {
            201 => {
                assert!(dup_id.is_none(), "a second 201 for {dup_name}: {body:#}");
                let stored = body["userName"].as_str().unwrap().to_owned();
                dup_id = Some((stored, body["id"].as_str().unwrap().to_owned()));
            }
            409 => {
                assert_eq!(body["scimType"], "uniqueness", "{body:#}");
                dup_refusals += 1;
                refused_ids.insert(request_id("dup", i));
            }
            other => panic!("duplicate create: unexpected {other} {body:#}"),
        }
    }
    let dup = dup_id.expect("one of the duplicate creates succeeds");
    assert_eq!(dup.0.to_lowercase(), dup_name);
    assert_eq!(dup_refusals, 9);

    // (c) A group made through instance A, then 50 single-member PATCHes in parallel over both
    // instances: adds (re-sent for members already present) for the first eight accounts,
    // removes (repeated for members already gone) for the other eight, which start as members.
    let mut accounts: Vec<(String, String)> = seated.clone().into_iter().collect();
    accounts.push(dup);
    let (to_add, to_remove) = accounts.split_at(8);
    assert_eq!(to_remove.len(), 8);
    let (status, group) =
        t.a.send(
            "group-create@A",
            Method::POST,
            "/Groups",
            Some(json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Biology 101",
                "externalId": "bio-101",
                "members": [],
            })),
        )
        .await;
    assert_eq!(status, 201, "{group:#}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let group_path = format!("/Groups/{group_id}");
    let initial: Vec<Value> = to_remove
        .iter()
        .map(|(_, id)| json!({"value": id}))
        .collect();
    let (status, body) =
        t.b.send(
            "group-seed@B",
            Method::PATCH,
            &group_path,
            Some(member_patch("Add", initial)),
        )
        .await;
    assert_eq!(status, 204, "{body:#}");
    let mut patches = JoinSet::new();
    for i in 0..50_usize {
        let (op, (_, member)) = if i.is_multiple_of(2) {
            ("Add", &to_add[(i / 2) % to_add.len()])
        } else {
            ("Remove", &to_remove[(i / 2) % to_remove.len()])
        };
        let body = member_patch(op, vec![json!({"value": member})]);
        let (t, path) = (t.clone(), group_path.clone());
        patches.spawn(async move { t.send(i, "member", Method::PATCH, &path, Some(body)).await });
    }
    for (status, body) in patches.join_all().await {
        assert_eq!(status, 204, "member PATCH: {body:#}");
    }
    let expected_members: BTreeSet<&str> = to_add.iter().map(|(name, _)| name.as_str()).collect();
    let shown = cli.json(&["group", "show", "--org", &org_id, "--group", "Biology 101"]);
    assert_eq!(shown["id"], group_id.as_str());
    assert_eq!(shown["scim_managed"], true);
    let members = shown["members"].as_array().unwrap();
    let shown_members: BTreeSet<&str> = members
        .iter()
        .map(|m| m["user_name"].as_str().unwrap())
        .collect();
    assert_eq!(shown_members, expected_members);
    assert_eq!(members.len(), 8, "no member listed twice");
    assert!(members.iter().all(|m| m["source"] == "scim"), "{shown:#}");
    let expected_ids: BTreeSet<&str> = to_add.iter().map(|(_, id)| id.as_str()).collect();
    for instance in [&t.a, &t.b] {
        let (status, body) = instance
            .send("group-read", Method::GET, &group_path, None)
            .await;
        assert_eq!(status, 200, "{body:#}");
        let ids: BTreeSet<&str> = body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids, expected_ids,
            "instance {} sees the same members",
            instance.label
        );
    }

    // (d) The same displayName POSTed to both instances at once (in two cases), for five names.
    let mut group_creates = JoinSet::new();
    for i in 0..10_usize {
        let t = t.clone();
        group_creates.spawn(async move {
            let name = format!("Chemistry {}", 200 + i / 2);
            let sent = if i.is_multiple_of(2) {
                name.clone()
            } else {
                name.to_uppercase()
            };
            let body = json!({"schemas": [GROUP_SCHEMA], "displayName": sent, "members": []});
            let (status, body) = t
                .send(i, "group", Method::POST, "/Groups", Some(body))
                .await;
            (i, name, status, body)
        });
    }
    let mut outcomes: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    let mut stored_names = BTreeMap::new();
    for (i, name, status, body) in group_creates.join_all().await {
        if status == 409 {
            assert_eq!(body["scimType"], "uniqueness", "{body:#}");
            refused_ids.insert(request_id("group", i));
        } else {
            assert_eq!(status, 201, "{body:#}");
            let stored = body["displayName"].as_str().unwrap().to_owned();
            stored_names.insert(name.clone(), stored);
        }
        outcomes.entry(name).or_default().push(status);
    }
    assert_eq!(outcomes.len(), 5);
    for (name, mut statuses) in outcomes {
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [201, 409],
            "{name}: one create wins, one is refused"
        );
        let stored = &stored_names[&name];
        assert_eq!(stored.to_lowercase(), name.to_lowercase());
        let shown = cli.json(&["group", "show", "--org", &org_id, "--group", stored]);
        assert_eq!(shown["display_name"], stored.as_str());
        assert_eq!(shown["scim_managed"], true);
        assert_eq!(shown["members"], json!([]));
    }

    // Invariants through the CLI: seats, every account, and no trace of the refused ones.
    let org_status = cli.json(&["org", "show", &org_id]);
    assert_eq!(org_status["seats"], 40);
    assert_eq!(
        org_status["seats_used"], 16,
        "15 seat racers and one duplicate"
    );
    for (name, id) in &accounts {
        let account = cli.json(&["user", "show", name]);
        assert_eq!(account["id"], id.as_str());
        assert_eq!(account["org"], org_id.as_str());
        assert_eq!(account["role"], "student", "a school's lowest role");
        assert_eq!(account["active"], true);
        assert_eq!(account["scim_managed"], true);
    }
    for name in &refused_for_seats {
        let error = cli.fails(&["user", "show", name]);
        assert!(!error.is_empty(), "a refused create wrote nothing: {name}");
    }

    // Invariants through SCIM, as each instance answers them.
    for instance in [&t.a, &t.b] {
        let (status, list) = instance
            .send("list", Method::GET, "/Users?count=1000", None)
            .await;
        assert_eq!(status, 200, "{list:#}");
        assert_eq!(list["totalResults"], 16);
        let resources = list["Resources"].as_array().unwrap();
        let names: BTreeSet<String> = resources
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_lowercase())
            .collect();
        assert_eq!(names.len(), resources.len(), "no duplicate userNames");
        let active = resources.iter().filter(|u| u["active"] == true).count();
        assert_eq!(
            json!(active),
            org_status["seats_used"],
            "seats used = active accounts"
        );
        let (status, groups) = instance
            .send(
                "list",
                Method::GET,
                "/Groups?count=1000&excludedAttributes=members",
                None,
            )
            .await;
        assert_eq!(status, 200, "{groups:#}");
        assert_eq!(
            groups["totalResults"], 6,
            "Biology 101 and five Chemistry groups"
        );
    }

    // Both instances recorded their refusals: each request carried a client-request-id that
    // names the instance it was sent to, and the log holds exactly the refused ones. Entries are
    // written after the answer, so poll briefly.
    assert_eq!(refused_ids.len(), 25 + 9 + 5);
    let mut logged = BTreeSet::new();
    let mut log = Vec::new();
    for _ in 0..100 {
        log = cli
            .json(&["log", &org_id, "--limit", "1000"])
            .as_array()
            .unwrap()
            .clone();
        logged = log
            .iter()
            .filter(|e| e["status"].as_u64().is_some_and(|s| s >= 400))
            .filter_map(|e| e["client_request_id"].as_str().map(str::to_owned))
            .collect();
        if logged == refused_ids {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        logged, refused_ids,
        "the log records every refusal, and only those"
    );
    for label in ["A", "B"] {
        // 20 seat creates went to each instance and at most 15 succeeded in all.
        assert!(
            logged
                .iter()
                .any(|id| id.starts_with("seat-") && id.ends_with(&format!("@{label}"))),
            "instance {label} logged seat refusals"
        );
    }
    for entry in log
        .iter()
        .filter(|e| e["status"].as_u64().is_some_and(|s| s >= 400))
    {
        assert_eq!(entry["outcome"], "failure", "{entry:#}");
        assert_eq!(entry["status"], 409, "{entry:#}");
        let id = entry["client_request_id"].as_str().unwrap();
        let detail = entry["detail"].as_str().unwrap();
        if id.starts_with("seat-") {
            assert!(
                detail.starts_with("seat limit reached: 15 of 15 seats in use"),
                "{entry:#}"
            );
            assert_eq!(entry["operation"], "POST /Users");
        }
    }

    drop((server_a, server_b));
    drop(db);
}

/// A user as Entra's default dialect creates it: string boolean, enterprise extension, nulls.
fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": user_name.split('@').next(),
        "userName": user_name,
        "active": "True",
        "displayName": user_name,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "roles": [],
        "title": null,
        ENTERPRISE_SCHEMA: {"employeeNumber": null},
    })
}

/// Entra's default-dialect member PATCH: capitalised op, `path: members`, a list of values.
fn member_patch(op: &str, members: Vec<Value>) -> Value {
    json!({
        "schemas": [PATCH_SCHEMA],
        "Operations": [{"op": op, "path": "members", "value": members}],
    })
}

/// The `client-request-id` of request number `i` of a race: `<kind>-<i>@<instance>`.
fn request_id(kind: &str, i: usize) -> String {
    format!("{kind}-{i}@{}", if i.is_multiple_of(2) { "A" } else { "B" })
}

/// The organization's tenant on each of the two instances.
#[derive(Clone)]
struct Tenants {
    a: Instance,
    b: Instance,
}

impl Tenants {
    fn new(a: &Server, b: &Server, org: &str, token: &str) -> Self {
        let http = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let instance = |server: &Server, label| Instance {
            label,
            base: server.url(&format!("/scim/v2/{org}")),
            token: token.to_owned(),
            http: http.clone(),
        };
        Self {
            a: instance(a, "A"),
            b: instance(b, "B"),
        }
    }

    /// Request number `i` of a race: even ones go to A, odd ones to B (see [`request_id`]).
    async fn send(
        &self,
        i: usize,
        kind: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let instance = if i.is_multiple_of(2) {
            &self.a
        } else {
            &self.b
        };
        instance
            .send(&request_id(kind, i), method, path, body)
            .await
    }
}

#[derive(Clone)]
struct Instance {
    label: &'static str,
    base: String,
    token: String,
    http: Client,
}

impl Instance {
    /// Sends with `id` as Entra's `client-request-id`, which the provisioning log records.
    async fn send(
        &self,
        id: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("client-request-id", id);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (status, body)
    }
}
