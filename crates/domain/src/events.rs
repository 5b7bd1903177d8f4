//! The change feed's events (SPEC §7): what each committed write produced, written by the store
//! in the same transaction as the write. What a write produces is decided here, once, as pure
//! functions of the state before and after (and, for memberships, of the rows the store really
//! added or removed), so both stores emit the same events.

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Account, AccountId, Group, GroupId, LogDraft, MemberSource, Org, OrgId};

/// Who made a change, and through which interface: it travels with every write to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub source: ChangeSource,
    pub actor: Option<Actor>,
    /// A SCIM request's success entry: the store inserts it (completed with what the write
    /// skipped) in the write's transaction, only when the write commits.
    pub log: Option<Box<LogDraft>>,
}

impl Change {
    /// A SCIM request, authenticated with the token `token`.
    pub fn scim(token: Option<Uuid>) -> Self {
        Self {
            source: ChangeSource::Scim,
            actor: token.map(Actor::ScimToken),
            log: None,
        }
    }

    pub fn console(admin: AccountId) -> Self {
        Self {
            source: ChangeSource::Console,
            actor: Some(Actor::Admin(admin)),
            log: None,
        }
    }

    pub fn cli() -> Self {
        Self {
            source: ChangeSource::Cli,
            actor: Some(Actor::Cli),
            log: None,
        }
    }

    pub fn sso() -> Self {
        Self {
            source: ChangeSource::Sso,
            actor: None,
            log: None,
        }
    }

    pub fn retention() -> Self {
        Self {
            source: ChangeSource::Retention,
            actor: None,
            log: None,
        }
    }

    /// This change, carrying its request's success entry (see [`Change::log`]).
    pub fn logged(self, draft: Option<LogDraft>) -> Self {
        Self {
            log: draft.map(Box::new),
            ..self
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSource {
    Scim,
    Console,
    Cli,
    Sso,
    Retention,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim => "scim",
            Self::Console => "console",
            Self::Cli => "cli",
            Self::Sso => "sso",
            Self::Retention => "retention",
        }
    }

    /// The source [`as_str`](Self::as_str) names; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Scim,
            Self::Console,
            Self::Cli,
            Self::Sso,
            Self::Retention,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// Who acted: never a secret (a SCIM token is named by its id, not its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    ScimToken(Uuid),
    Admin(AccountId),
    Cli,
}

impl Actor {
    /// As stored and shown: `token:<id>`, `admin:<account id>`, `cli`.
    pub fn text(self) -> String {
        match self {
            Self::ScimToken(id) => format!("token:{id}"),
            Self::Admin(id) => format!("admin:{id}"),
            Self::Cli => "cli".to_owned(),
        }
    }
}

/// The stable, dotted event types (documented in README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    AccountCreated,
    AccountUpdated,
    AccountDeactivated,
    AccountReactivated,
    AccountRemoved,
    GroupCreated,
    GroupAdopted,
    GroupRenamed,
    GroupUpdated,
    GroupDeleted,
    MembershipAdded,
    MembershipRemoved,
    OrgScimEnabled,
    OrgScimTokenRotated,
    OrgScimDisabled,
    OrgSsoConfigured,
    OrgSsoDisabled,
    OrgUpdated,
}

impl EventType {
    pub const ALL: [Self; 18] = [
        Self::AccountCreated,
        Self::AccountUpdated,
        Self::AccountDeactivated,
        Self::AccountReactivated,
        Self::AccountRemoved,
        Self::GroupCreated,
        Self::GroupAdopted,
        Self::GroupRenamed,
        Self::GroupUpdated,
        Self::GroupDeleted,
        Self::MembershipAdded,
        Self::MembershipRemoved,
        Self::OrgScimEnabled,
        Self::OrgScimTokenRotated,
        Self::OrgScimDisabled,
        Self::OrgSsoConfigured,
        Self::OrgSsoDisabled,
        Self::OrgUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account.created",
            Self::AccountUpdated => "account.updated",
            Self::AccountDeactivated => "account.deactivated",
            Self::AccountReactivated => "account.reactivated",
            Self::AccountRemoved => "account.removed",
            Self::GroupCreated => "group.created",
            Self::GroupAdopted => "group.adopted",
            Self::GroupRenamed => "group.renamed",
            Self::GroupUpdated => "group.updated",
            Self::GroupDeleted => "group.deleted",
            Self::MembershipAdded => "membership.added",
            Self::MembershipRemoved => "membership.removed",
            Self::OrgScimEnabled => "org.scim_enabled",
            Self::OrgScimTokenRotated => "org.scim_token_rotated",
            Self::OrgScimDisabled => "org.scim_disabled",
            Self::OrgSsoConfigured => "org.sso_configured",
            Self::OrgSsoDisabled => "org.sso_disabled",
            Self::OrgUpdated => "org.updated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// An event as a write produces it; the store adds its position in the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// `None` only for an account outside every organization (an independent account).
    pub org_id: Option<OrgId>,
    pub kind: EventType,
    pub source: ChangeSource,
    pub actor: Option<String>,
    pub account_id: Option<AccountId>,
    pub group_id: Option<GroupId>,
    pub occurred_at: OffsetDateTime,
    /// The resulting state (see the README's event types).
    pub data: Value,
}

/// Where an event sits in the feed. SQLite: `xid` is 0 and `id` (the rowid) is commit order.
/// PostgreSQL: the writing transaction's id, then the row's sequence number (ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventPosition {
    pub xid: i64,
    pub id: i64,
}

/// A stored event, as the feed reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub position: EventPosition,
    pub event: NewEvent,
}

/// What [`Store::events_page`](crate::Store::events_page) reads, in one snapshot.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventsPage {
    pub events: Vec<Event>,
    /// The newest event a reader may see now (of any organization).
    pub head: Option<EventPosition>,
    /// The newest position trimmed away: a cursor before it missed events.
    pub horizon: EventPosition,
}

/// The platform's view of an account, as events carry it.
pub fn account_data(account: &Account) -> Value {
    json!({
        "id": account.id,
        "org": account.org_id,
        "userName": account.user_name,
        "displayName": account.display_name,
        "externalId": account.external_id,
        "active": account.active,
        "role": account.role,
        "scim_managed": account.scim_managed && !account.scim_deleted,
        "version": account.version,
    })
}

/// The platform's view of a group (never its members: those are membership events).
pub fn group_data(group: &Group) -> Value {
    json!({
        "id": group.id,
        "org": group.org_id,
        "displayName": group.display_name,
        "externalId": group.external_id,
        "scim_managed": group.scim_managed,
        "version": group.version,
    })
}

/// The platform's view of an organization, as `org.updated` carries it.
pub fn org_data(org: &Org) -> Value {
    json!({
        "id": org.id,
        "name": org.name,
        "seats": org.seats,
        "retention_days": org.retention_days,
        "domains": org.domains,
    })
}

fn event(
    change: &Change,
    org_id: Option<OrgId>,
    kind: EventType,
    at: OffsetDateTime,
    data: Value,
) -> NewEvent {
    NewEvent {
        org_id,
        kind,
        source: change.source,
        actor: change.actor.map(Actor::text),
        account_id: None,
        group_id: None,
        occurred_at: at,
        data,
    }
}

/// The names of the account's attributes a write changed (its version and times aside).
fn account_changes(before: &Account, after: &Account) -> Vec<String> {
    let mut changed: Vec<String> = Vec::new();
    let mut differs = |name: &str, differ: bool| {
        if differ {
            changed.push(name.to_owned());
        }
    };
    differs("org", before.org_id != after.org_id);
    differs("userName", before.user_name != after.user_name);
    differs("displayName", before.display_name != after.display_name);
    differs("externalId", before.external_id != after.external_id);
    differs("active", before.active != after.active);
    differs("role", before.role != after.role);
    differs(
        "scim_managed",
        (before.scim_managed && !before.scim_deleted)
            != (after.scim_managed && !after.scim_deleted),
    );
    let mut keys: Vec<&String> = before
        .attributes
        .keys()
        .chain(after.attributes.keys())
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        differs(key, before.attributes.get(key) != after.attributes.get(key));
    }
    changed
}

/// The events of an account write: `before` is the stored row it replaced (`None` for an
/// insert), `ended` the memberships the write ended with it (group, source). A write that
/// changed nothing visible emits nothing.
pub fn account_events(
    change: &Change,
    before: Option<&Account>,
    after: &Account,
    ended: &[(GroupId, MemberSource)],
) -> Vec<NewEvent> {
    let org = after.org_id;
    let at = after.updated_at;
    let mut events = Vec::new();
    let (kind, changed) = match before {
        None => (Some(EventType::AccountCreated), Vec::new()),
        Some(before) => {
            let changed = account_changes(before, after);
            let kind = if changed.is_empty() {
                None
            } else if before.org_id != after.org_id && after.org_id.is_some() {
                // Brought into the organization (an invitation): new to its readers.
                Some(EventType::AccountCreated)
            } else if before.active && !after.active {
                Some(EventType::AccountDeactivated)
            } else if !before.active && after.active {
                Some(EventType::AccountReactivated)
            } else {
                Some(EventType::AccountUpdated)
            };
            (kind, changed)
        }
    };
    if let Some(kind) = kind {
        let mut data = json!({ "account": account_data(after) });
        if before.is_some() && kind != EventType::AccountCreated {
            data["changed"] = json!(changed);
        }
        let mut e = event(change, org, kind, at, data);
        e.account_id = Some(after.id);
        events.push(e);
    }
    for &(group, source) in ended {
        events.push(membership(
            change,
            EventType::MembershipRemoved,
            org,
            group,
            after.id,
            source,
            at,
        ));
    }
    events
}

fn membership(
    change: &Change,
    kind: EventType,
    org: Option<OrgId>,
    group: GroupId,
    account: AccountId,
    source: MemberSource,
    at: OffsetDateTime,
) -> NewEvent {
    let mut e = event(
        change,
        org,
        kind,
        at,
        json!({ "group_id": group, "account_id": account, "source": source }),
    );
    e.account_id = Some(account);
    e.group_id = Some(group);
    e
}

/// What a group write did to the group row itself.
#[derive(Debug, Clone, Copy)]
pub enum GroupBefore<'a> {
    /// The write inserted it.
    New,
    /// It replaced this stored row.
    Was(&'a Group),
    /// Only memberships changed: the row's fields are as they were.
    MembersOnly,
}

/// The events of a group write: the group's own (created, adopted by SCIM, renamed, updated)
/// and one per membership the store really added or removed (`added` with the write's source,
/// `removed` with the source each removed membership had).
pub fn group_events(
    change: &Change,
    before: GroupBefore<'_>,
    after: &Group,
    added: &[(AccountId, MemberSource)],
    removed: &[(AccountId, MemberSource)],
) -> Vec<NewEvent> {
    let org = Some(after.org_id);
    let at = after.updated_at;
    let mut events = Vec::new();
    let own = match before {
        GroupBefore::New => Some((EventType::GroupCreated, None)),
        GroupBefore::MembersOnly => None,
        GroupBefore::Was(before) => {
            let mut changed = Vec::new();
            if before.display_name != after.display_name {
                changed.push("displayName".to_owned());
            }
            if before.external_id != after.external_id {
                changed.push("externalId".to_owned());
            }
            if before.scim_managed != after.scim_managed {
                changed.push("scim_managed".to_owned());
            }
            let mut keys: Vec<&String> = before
                .attributes
                .keys()
                .chain(after.attributes.keys())
                .collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                if before.attributes.get(key) != after.attributes.get(key) {
                    changed.push(key.clone());
                }
            }
            let kind = if changed.is_empty() {
                None
            } else if !before.scim_managed && after.scim_managed {
                Some(EventType::GroupAdopted)
            } else if before.display_name != after.display_name {
                Some(EventType::GroupRenamed)
            } else {
                Some(EventType::GroupUpdated)
            };
            kind.map(|k| (k, Some(changed)))
        }
    };
    if let Some((kind, changed)) = own {
        let mut data = json!({ "group": group_data(after) });
        if let Some(changed) = changed {
            data["changed"] = json!(changed);
        }
        let mut e = event(change, org, kind, at, data);
        e.group_id = Some(after.id);
        events.push(e);
    }
    for &(account, source) in removed {
        events.push(membership(
            change,
            EventType::MembershipRemoved,
            org,
            after.id,
            account,
            source,
            at,
        ));
    }
    for &(account, source) in added {
        events.push(membership(
            change,
            EventType::MembershipAdded,
            org,
            after.id,
            account,
            source,
            at,
        ));
    }
    events
}

/// The events of a group's deletion: each membership it ended, then the group.
pub fn group_deleted_events(
    change: &Change,
    group: &Group,
    members: &[(AccountId, MemberSource)],
    at: OffsetDateTime,
) -> Vec<NewEvent> {
    let org = Some(group.org_id);
    let mut events: Vec<NewEvent> = members
        .iter()
        .map(|&(account, source)| {
            membership(
                change,
                EventType::MembershipRemoved,
                org,
                group.id,
                account,
                source,
                at,
            )
        })
        .collect();
    let mut e = event(
        change,
        org,
        EventType::GroupDeleted,
        at,
        json!({ "group": group_data(group) }),
    );
    e.group_id = Some(group.id);
    events.push(e);
    events
}

/// The events of an account's permanent removal (retention): its memberships, then itself.
pub fn account_removed_events(
    change: &Change,
    account: &Account,
    memberships: &[(GroupId, MemberSource)],
    at: OffsetDateTime,
) -> Vec<NewEvent> {
    let org = account.org_id;
    let mut events: Vec<NewEvent> = memberships
        .iter()
        .map(|&(group, source)| {
            membership(
                change,
                EventType::MembershipRemoved,
                org,
                group,
                account.id,
                source,
                at,
            )
        })
        .collect();
    let mut e = event(
        change,
        org,
        EventType::AccountRemoved,
        at,
        json!({ "account": account_data(account) }),
    );
    e.account_id = Some(account.id);
    events.push(e);
    events
}

/// An organization-level event (SCIM and SSO settings), with the organization's id as data.
pub fn org_event(change: &Change, org: OrgId, kind: EventType, at: OffsetDateTime) -> NewEvent {
    event(change, Some(org), kind, at, json!({ "org": org }))
}

/// `org.updated`, with the settings that changed; nothing when none did.
pub fn org_updated(change: &Change, before: &Org, after: &Org) -> Option<NewEvent> {
    let mut changed = Vec::new();
    if before.name != after.name {
        changed.push("name");
    }
    if before.seats != after.seats {
        changed.push("seats");
    }
    if before.retention_days != after.retention_days {
        changed.push("retention_days");
    }
    if before.domains != after.domains {
        changed.push("domains");
    }
    (!changed.is_empty()).then(|| {
        event(
            change,
            Some(after.id),
            EventType::OrgUpdated,
            after.updated_at,
            json!({ "org": org_data(after), "changed": changed }),
        )
    })
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
