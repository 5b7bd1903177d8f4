//! Isolation between organizations (issue 16): random SCIM, console-domain, CLI-domain and feed
//! operations across three organizations whose `userName`s, `externalId`s and group names are
//! drawn from the same small pools, checked after every step: nothing an organization reads —
//! resources, filters, memberships, errors, its provisioning log, its events — names an id or
//! name that only another organization has, and an operation on another organization's id is
//! not found and changes nothing anywhere.

use std::collections::HashSet;

use proptest::prelude::*;
use roster_domain::{AccountId, Admin, GroupId, LogQuery, OrgKind};
use serde_json::{Value, json};

use crate::support::{Tenant, TestApp, TestResponse};

const ORGS: usize = 3;
/// No name is a part of another, so finding one in a response means that name.
const USER_NAMES: &[&str] = &[
    "kilo@x.edu",
    "lima@x.edu",
    "mike@x.edu",
    "oscar@x.edu",
    "papa@x.edu",
];
const EXTERNAL_IDS: &[&str] = &["ext-kilo", "ext-lima", "ext-mike", "ext-oscar"];
const GROUP_NAMES: &[&str] = &["Team Alpha", "Team Bravo", "Team Charlie"];
/// What a target resolves to when its organization has created nothing of that kind yet.
const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

/// A user or group of organization `org` (any the test ever created there, deleted or not).
#[derive(Debug, Clone, Copy)]
struct Target {
    org: usize,
    index: usize,
}

#[derive(Debug, Clone)]
enum UserChange {
    Active(bool),
    ExternalId(usize),
    UserName(usize),
}

#[derive(Debug, Clone)]
enum Filter {
    UserName(usize),
    ExternalId(usize),
    DisplayName(usize),
    MembersValue(Target),
}

#[derive(Debug, Clone)]
enum Op {
    CreateUser {
        name: usize,
        external: Option<usize>,
    },
    PatchUser(Target, UserChange),
    DeleteUser(Target),
    GetUser(Target),
    CreateGroup {
        name: usize,
        member: Option<Target>,
    },
    AddMember(Target, Target),
    RemoveMember(Target, Target),
    DeleteGroup(Target),
    GetGroup(Target),
    Filter(Filter),
    ListAll,
    ConsoleReads(Target, Target),
    ConsoleAddMember(Target, usize),
    CliAddMember(usize, usize),
    CliGroupView(usize),
    Feed,
}

/// Mostly the acting organization's own objects, so its writes succeed and build state; the
/// rest another organization's.
impl Op {
    fn writes(&self) -> bool {
        !matches!(
            self,
            Op::GetUser(_)
                | Op::GetGroup(_)
                | Op::Filter(_)
                | Op::ListAll
                | Op::ConsoleReads(..)
                | Op::CliGroupView(_)
                | Op::Feed
        )
    }
}

fn target(actor: usize) -> impl Strategy<Value = Target> {
    let org = prop_oneof![
        4 => Just(actor),
        1 => Just((actor + 1) % ORGS),
        1 => Just((actor + 2) % ORGS),
    ];
    (org, 0..4usize).prop_map(|(org, index)| Target { org, index })
}

fn op(actor: usize) -> impl Strategy<Value = Op> {
    let user_change = prop_oneof![
        any::<bool>().prop_map(UserChange::Active),
        (0..EXTERNAL_IDS.len()).prop_map(UserChange::ExternalId),
        (0..USER_NAMES.len()).prop_map(UserChange::UserName),
    ];
    let filter = prop_oneof![
        (0..USER_NAMES.len()).prop_map(Filter::UserName),
        (0..EXTERNAL_IDS.len()).prop_map(Filter::ExternalId),
        (0..GROUP_NAMES.len()).prop_map(Filter::DisplayName),
        target(actor).prop_map(Filter::MembersValue),
    ];
    prop_oneof![
        5 => (0..USER_NAMES.len(), proptest::option::of(0..EXTERNAL_IDS.len()))
            .prop_map(|(name, external)| Op::CreateUser { name, external }),
        2 => (target(actor), user_change).prop_map(|(t, c)| Op::PatchUser(t, c)),
        1 => target(actor).prop_map(Op::DeleteUser),
        2 => target(actor).prop_map(Op::GetUser),
        4 => (0..GROUP_NAMES.len(), proptest::option::of(target(actor)))
            .prop_map(|(name, member)| Op::CreateGroup { name, member }),
        3 => (target(actor), target(actor)).prop_map(|(g, u)| Op::AddMember(g, u)),
        1 => (target(actor), target(actor)).prop_map(|(g, u)| Op::RemoveMember(g, u)),
        1 => target(actor).prop_map(Op::DeleteGroup),
        2 => target(actor).prop_map(Op::GetGroup),
        3 => filter.prop_map(Op::Filter),
        1 => Just(Op::ListAll),
        2 => (target(actor), target(actor)).prop_map(|(u, g)| Op::ConsoleReads(u, g)),
        2 => (target(actor), 0..USER_NAMES.len()).prop_map(|(g, u)| Op::ConsoleAddMember(g, u)),
        1 => (0..GROUP_NAMES.len(), 0..USER_NAMES.len()).prop_map(|(g, u)| Op::CliAddMember(g, u)),
        1 => (0..GROUP_NAMES.len()).prop_map(Op::CliGroupView),
        1 => Just(Op::Feed),
    ]
}

/// What one organization has, and has been told: the test's knowledge of who may see what.
#[derive(Default)]
struct Known {
    /// Ids of accounts and groups created through this organization.
    users: Vec<String>,
    groups: Vec<String>,
    /// Every id and name this organization created or sent: what it may read back.
    own: HashSet<String>,
    /// Ids of other organizations this organization named in a request: an error or its log
    /// may repeat them.
    named: HashSet<String>,
}

struct World {
    app: TestApp,
    tenants: Vec<Tenant>,
    admins: Vec<Admin>,
    keys: Vec<String>,
    known: Vec<Known>,
}

fn user_id(world: &World, t: Target) -> String {
    let users = &world.known[t.org].users;
    users
        .get(t.index % users.len().max(1))
        .cloned()
        .unwrap_or_else(|| NOBODY.to_owned())
}

fn group_id(world: &World, t: Target) -> String {
    let groups = &world.known[t.org].groups;
    groups
        .get(t.index % groups.len().max(1))
        .cloned()
        .unwrap_or_else(|| NOBODY.to_owned())
}

impl World {
    async fn new() -> Self {
        let app = TestApp::new().await;
        let mut tenants = Vec::new();
        let mut admins = Vec::new();
        let mut keys = Vec::new();
        let mut known = Vec::new();
        for _ in 0..ORGS {
            let tenant = app.tenant(OrgKind::School, 100).await;
            admins.push(Admin::trusted(
                AccountId::new_random(),
                tenant.org,
                "admin@x.edu",
            ));
            keys.push(
                app.roster
                    .create_api_key("isolation", Some(tenant.org))
                    .await
                    .unwrap()
                    .key,
            );
            let mut k = Known::default();
            k.own.insert(tenant.org.to_string());
            known.push(k);
            tenants.push(tenant);
        }
        Self {
            app,
            tenants,
            admins,
            keys,
            known,
        }
    }

    /// Ids and names only organizations other than `org` have, less those `org` named itself
    /// when `named_allowed`.
    fn foreign(&self, org: usize, named_allowed: bool) -> Vec<String> {
        let mine = &self.known[org];
        (0..ORGS)
            .filter(|&o| o != org)
            .flat_map(|o| self.known[o].own.iter())
            .filter(|t| !mine.own.contains(*t) && (!named_allowed || !mine.named.contains(*t)))
            .map(|t| t.to_lowercase())
            .collect()
    }

    fn assert_no_leak(&self, org: usize, named_allowed: bool, what: &str, text: &str) {
        let text = text.to_lowercase();
        for token in self.foreign(org, named_allowed) {
            assert!(
                !text.contains(&token),
                "LEAK: {what} for organization {org} mentions '{token}' of another organization: {text}"
            );
        }
    }

    /// Checks a SCIM answer to `org`: never a 5xx; a success names nothing foreign, an error at
    /// most what the request named.
    fn check_answer(&self, org: usize, what: &str, response: &TestResponse) {
        assert!(
            response.status.as_u16() < 500,
            "{what}: {} {:#}",
            response.status,
            response.body
        );
        let ok = response.status.is_success();
        self.assert_no_leak(org, !ok, what, &response.body.to_string());
    }

    fn mark_own(&mut self, org: usize, token: &str) {
        self.known[org].own.insert(token.to_owned());
    }

    /// Notes an id the request names; another organization's is "named", not owned.
    fn name_id(&mut self, org: usize, t: Target, id: &str) {
        if t.org != org {
            self.known[org].named.insert(id.to_owned());
        }
    }

    async fn snapshot(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for tenant in &self.tenants {
            for path in ["/Users?count=1000", "/Groups?count=1000"] {
                let r = self.app.scim_get(tenant, path).await;
                assert_eq!(r.status, 200, "{:#}", r.body);
                all.push(r.body);
            }
        }
        all
    }

    /// Runs `op` as organization `org`.
    async fn step(&mut self, org: usize, op: &Op) {
        match op {
            Op::CreateUser { name, external } => {
                let mut body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": USER_NAMES[*name],
                    "active": true,
                });
                self.mark_own(org, USER_NAMES[*name]);
                if let Some(e) = external {
                    body["externalId"] = json!(EXTERNAL_IDS[*e]);
                    self.mark_own(org, EXTERNAL_IDS[*e]);
                }
                let r = self.app.post(&self.tenants[org], "/Users", &body).await;
                self.check_answer(org, "POST /Users", &r);
                if r.status == 201 {
                    let id = r.body["id"].as_str().unwrap().to_owned();
                    self.mark_own(org, &id);
                    if !self.known[org].users.contains(&id) {
                        self.known[org].users.push(id);
                    }
                }
            }
            Op::PatchUser(t, change) => {
                let id = user_id(self, *t);
                self.name_id(org, *t, &id);
                let operation = match change {
                    UserChange::Active(a) => json!({"op": "replace", "path": "active", "value": a}),
                    UserChange::ExternalId(e) => {
                        self.mark_own(org, EXTERNAL_IDS[*e]);
                        json!({"op": "replace", "path": "externalId", "value": EXTERNAL_IDS[*e]})
                    }
                    UserChange::UserName(n) => {
                        self.mark_own(org, USER_NAMES[*n]);
                        json!({"op": "replace", "path": "userName", "value": USER_NAMES[*n]})
                    }
                };
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [operation],
                });
                self.foreign_write(org, *t, "PATCH /Users", format!("/Users/{id}"), Some(body))
                    .await;
            }
            Op::DeleteUser(t) => {
                let id = user_id(self, *t);
                self.name_id(org, *t, &id);
                self.foreign_write(org, *t, "DELETE /Users", format!("/Users/{id}"), None)
                    .await;
            }
            Op::GetUser(t) => {
                let id = user_id(self, *t);
                self.name_id(org, *t, &id);
                let r = self
                    .app
                    .scim_get(&self.tenants[org], &format!("/Users/{id}"))
                    .await;
                self.check_answer(org, "GET /Users/{id}", &r);
                if t.org != org {
                    r.assert_scim_error(404, None);
                }
            }
            Op::CreateGroup { name, member } => {
                self.mark_own(org, GROUP_NAMES[*name]);
                let members: Vec<Value> = member
                    .iter()
                    .map(|m| {
                        let id = user_id(self, *m);
                        json!({"value": id})
                    })
                    .collect();
                if let Some(m) = member {
                    let id = user_id(self, *m);
                    self.name_id(org, *m, &id);
                }
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": GROUP_NAMES[*name],
                    "members": members,
                });
                let before = self.other_snapshot(org, member.map(|m| m.org)).await;
                let r = self.app.post(&self.tenants[org], "/Groups", &body).await;
                self.check_answer(org, "POST /Groups", &r);
                if r.status.is_success() {
                    let id = r.body["id"].as_str().unwrap().to_owned();
                    self.mark_own(org, &id);
                    if !self.known[org].groups.contains(&id) {
                        self.known[org].groups.push(id);
                    }
                }
                self.unchanged_elsewhere(org, before).await;
            }
            Op::AddMember(g, u) | Op::RemoveMember(g, u) => {
                let (gid, uid) = (group_id(self, *g), user_id(self, *u));
                self.name_id(org, *g, &gid);
                self.name_id(org, *u, &uid);
                let verb = if matches!(op, Op::AddMember(..)) {
                    "add"
                } else {
                    "remove"
                };
                let body = json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": verb, "path": "members", "value": [{"value": uid}]}],
                });
                let before = self.other_snapshot(org, Some(u.org)).await;
                self.foreign_write(
                    org,
                    *g,
                    "PATCH /Groups members",
                    format!("/Groups/{gid}"),
                    Some(body),
                )
                .await;
                self.unchanged_elsewhere(org, before).await;
            }
            Op::DeleteGroup(g) => {
                let gid = group_id(self, *g);
                self.name_id(org, *g, &gid);
                self.foreign_write(org, *g, "DELETE /Groups", format!("/Groups/{gid}"), None)
                    .await;
            }
            Op::GetGroup(g) => {
                let gid = group_id(self, *g);
                self.name_id(org, *g, &gid);
                let r = self
                    .app
                    .scim_get(&self.tenants[org], &format!("/Groups/{gid}"))
                    .await;
                self.check_answer(org, "GET /Groups/{id}", &r);
                if g.org != org {
                    r.assert_scim_error(404, None);
                }
            }
            Op::Filter(filter) => {
                let (path, expr) = match filter {
                    Filter::UserName(n) => {
                        ("/Users", format!("userName eq \"{}\"", USER_NAMES[*n]))
                    }
                    Filter::ExternalId(e) => {
                        ("/Users", format!("externalId eq \"{}\"", EXTERNAL_IDS[*e]))
                    }
                    Filter::DisplayName(n) => {
                        ("/Groups", format!("displayName eq \"{}\"", GROUP_NAMES[*n]))
                    }
                    Filter::MembersValue(t) => {
                        let id = user_id(self, *t);
                        self.name_id(org, *t, &id);
                        ("/Groups", format!("members.value eq \"{id}\""))
                    }
                };
                let query = serde_urlencoded::to_string([("filter", &expr)]).unwrap();
                let r = self
                    .app
                    .scim_get(&self.tenants[org], &format!("{path}?{query}"))
                    .await;
                assert_eq!(r.status, 200, "{expr}: {:#}", r.body);
                self.check_answer(org, &expr, &r);
                if let Filter::MembersValue(t) = filter
                    && t.org != org
                {
                    assert_eq!(r.body["totalResults"], 0, "{expr}: {:#}", r.body);
                }
            }
            Op::ListAll => {
                for path in ["/Users", "/Groups"] {
                    let r = self.app.scim_get(&self.tenants[org], path).await;
                    assert_eq!(r.status, 200);
                    self.check_answer(org, path, &r);
                }
            }
            Op::ConsoleReads(u, g) => {
                let admin = &self.admins[org];
                let roster = &self.app.roster;
                let page = roster.accounts_page(admin, None, None, 100).await.unwrap();
                self.check_value(org, false, "accounts page", &page);
                let page = roster.groups_page(admin, None, None, 100).await.unwrap();
                self.check_value(org, false, "groups page", &page);
                let query = LogQuery {
                    limit: 100,
                    ..LogQuery::default()
                };
                let page = roster.log_page(admin, query).await.unwrap();
                self.check_value(org, true, "log page", &page);
                let (uid, gid) = (user_id(self, *u), group_id(self, *g));
                let account: AccountId = uid.parse().unwrap();
                let group: GroupId = gid.parse().unwrap();
                let detail = roster.account_detail(admin, account).await;
                let page = roster.group_page(admin, group, None, 100).await;
                // The console names these ids in its URLs: it may repeat them.
                self.name_id(org, *u, &uid);
                self.name_id(org, *g, &gid);
                self.check_result(org, "account detail", u.org != org, detail);
                self.check_result(org, "group page", g.org != org, page);
            }
            Op::ConsoleAddMember(g, n) => {
                let gid = group_id(self, *g);
                self.name_id(org, *g, &gid);
                self.mark_own(org, USER_NAMES[*n]);
                let group: GroupId = gid.parse().unwrap();
                let before = self.other_snapshot(org, None).await;
                let result = self
                    .app
                    .roster
                    .console_add_member_by_user_name(&self.admins[org], group, USER_NAMES[*n])
                    .await;
                self.check_result(org, "console add member", g.org != org, result);
                self.unchanged_elsewhere(org, before).await;
            }
            Op::CliAddMember(g, n) => {
                self.mark_own(org, GROUP_NAMES[*g]);
                self.mark_own(org, USER_NAMES[*n]);
                let before = self.other_snapshot(org, None).await;
                let result = self
                    .app
                    .roster
                    .add_member(self.tenants[org].org, GROUP_NAMES[*g], USER_NAMES[*n])
                    .await;
                self.check_result(org, "CLI group add-member", false, result);
                self.unchanged_elsewhere(org, before).await;
            }
            Op::CliGroupView(g) => {
                self.mark_own(org, GROUP_NAMES[*g]);
                let result = self
                    .app
                    .roster
                    .group_view(self.tenants[org].org, GROUP_NAMES[*g])
                    .await;
                self.check_result(org, "CLI group view", false, result);
            }
            Op::Feed => {
                let mut after = String::new();
                for _ in 0..50 {
                    let r = self
                        .app
                        .get(
                            &format!("/api/v1/events?limit=100{after}"),
                            Some(&self.keys[org]),
                        )
                        .await;
                    assert_eq!(r.status, 200, "{:#}", r.body);
                    self.check_answer(org, "events feed", &r);
                    if r.body["events"].as_array().is_none_or(Vec::is_empty) {
                        break;
                    }
                    after = format!("&after={}", r.body["next"].as_str().unwrap());
                }
            }
        }
    }

    fn check_value(
        &self,
        org: usize,
        named_allowed: bool,
        what: &str,
        value: &impl serde::Serialize,
    ) {
        let text = serde_json::to_string(value).unwrap();
        self.assert_no_leak(org, named_allowed, what, &text);
    }

    /// A domain call's result: another organization's object is not found; an error names at
    /// most what the call named.
    fn check_result<T: serde::Serialize + std::fmt::Debug>(
        &self,
        org: usize,
        what: &str,
        foreign: bool,
        result: Result<T, roster_domain::Error>,
    ) {
        match result {
            Ok(value) => {
                assert!(
                    !foreign,
                    "{what}: another organization's object was found: {value:?}"
                );
                self.check_value(org, false, what, &value);
            }
            Err(error) => {
                assert!(
                    !foreign || matches!(error, roster_domain::Error::NotFound(_)),
                    "{what}: expected not found, got {error:?}"
                );
                assert!(
                    !matches!(
                        error,
                        roster_domain::Error::Internal(_) | roster_domain::Error::Unavailable(_)
                    ),
                    "{what}: {error:?}"
                );
                self.assert_no_leak(org, true, what, &format!("{error} {error:?}"));
            }
        }
    }

    /// Snapshot of every organization's state when the step may name another organization's
    /// object (or always, when `other` is `None`).
    async fn other_snapshot(&self, org: usize, other: Option<usize>) -> Option<Vec<Value>> {
        match other {
            Some(o) if o == org => None,
            _ => Some(self.snapshot().await),
        }
    }

    /// Other organizations' state is as before the step.
    async fn unchanged_elsewhere(&self, org: usize, before: Option<Vec<Value>>) {
        let Some(before) = before else { return };
        let after = self.snapshot().await;
        for o in (0..ORGS).filter(|&o| o != org) {
            assert_eq!(
                before[2 * o..2 * o + 2],
                after[2 * o..2 * o + 2],
                "organization {org}'s step changed organization {o}"
            );
        }
    }

    /// A write by id: on another organization's object, 404 and no change anywhere.
    async fn foreign_write(
        &self,
        org: usize,
        t: Target,
        what: &str,
        path: String,
        body: Option<Value>,
    ) {
        let before = if t.org != org {
            Some(self.snapshot().await)
        } else {
            None
        };
        let tenant = &self.tenants[org];
        let r = match &body {
            Some(body) => self.app.patch(tenant, &path, body).await,
            None => self.app.delete(tenant, &path).await,
        };
        self.check_answer(org, what, &r);
        if let Some(before) = before {
            r.assert_scim_error(404, None);
            assert_eq!(
                before,
                self.snapshot().await,
                "{what} on another organization's id changed something"
            );
        }
    }

    /// After each step: every organization's resources, memberships and log hold only its own.
    async fn check_invariants(&self) {
        for org in 0..ORGS {
            let tenant = &self.tenants[org];
            let known = &self.known[org];
            let users = self.app.scim_get(tenant, "/Users?count=1000").await;
            self.check_answer(org, "user list", &users);
            for u in users.body["Resources"].as_array().unwrap() {
                let id = u["id"].as_str().unwrap();
                assert!(
                    known.users.iter().any(|k| k == id),
                    "organization {org} lists user {id} it never created: {u:#}"
                );
            }
            let groups = self.app.scim_get(tenant, "/Groups?count=1000").await;
            self.check_answer(org, "group list", &groups);
            for g in groups.body["Resources"].as_array().unwrap() {
                let id = g["id"].as_str().unwrap();
                assert!(
                    known.groups.iter().any(|k| k == id),
                    "organization {org} lists group {id} it never created: {g:#}"
                );
                for m in g["members"].as_array().into_iter().flatten() {
                    let member = m["value"].as_str().unwrap();
                    assert!(
                        known.users.iter().any(|k| k == member),
                        "organization {org}'s group {id} has member {member} of another organization"
                    );
                }
            }
            let log = self
                .app
                .roster
                .provisioning_log(tenant.org, 200)
                .await
                .unwrap();
            for entry in &log {
                assert_eq!(entry.org_id, tenant.org);
            }
            self.check_value(org, true, "provisioning log", &log);
        }
    }
}

fn steps() -> impl Strategy<Value = Vec<(usize, Op)>> {
    proptest::collection::vec((0..ORGS).prop_flat_map(|org| (Just(org), op(org))), 1..40)
}

proptest! {
    // A fresh PostgreSQL database per case costs about a second: fewer cases there.
    #![proptest_config(ProptestConfig {
        cases: if std::env::var("ROSTER_TEST_STORE").as_deref() == Ok("postgres") { 12 } else { 24 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_read_write_or_log_crosses_an_organization(steps in steps()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut world = World::new().await;
            for (org, op) in &steps {
                world.step(*org, op).await;
                // A read changes nothing: what it may have leaked, the step itself checked.
                if op.writes() {
                    world.check_invariants().await;
                }
            }
            // The log is written after the answer: read it once more when it has settled.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            world.check_invariants().await;
            world.step(0, &Op::Feed).await;
            world.step(1, &Op::Feed).await;
            world.step(2, &Op::Feed).await;
        });
    }
}
