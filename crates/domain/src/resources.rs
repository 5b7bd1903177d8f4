//! The SCIM representation of accounts and groups (RFC 7643 §4), and reading an account's or a
//! group's fields back from a normalised resource.

use roster_scim::{
    SubAttributes,
    schema::{ENTERPRISE_USER, GROUP, USER},
};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value, json};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{Account, AccountId, Group};

/// Attributes kept in their own columns rather than in `attributes`.
const ACCOUNT_COLUMNS: &[&str] = &[
    "id",
    "meta",
    "schemas",
    "userName",
    "externalId",
    "displayName",
    "active",
    "groups",
];
/// Accepted and dropped, never stored: people sign in through their organization's identity
/// provider, so a password an identity provider pushes (Okta can) has no use here and would only
/// be a secret to leak.
const NEVER_STORED: &[&str] = &["password"];
const GROUP_COLUMNS: &[&str] = &[
    "id",
    "meta",
    "schemas",
    "displayName",
    "externalId",
    "members",
];

/// `meta.version`, also the `ETag` header (RFC 7644 §3.14): weak, since the representation can
/// vary with `attributes`.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn timestamp(t: OffsetDateTime) -> Value {
    t.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

fn meta(
    resource_type: &str,
    created: OffsetDateTime,
    modified: OffsetDateTime,
    version: i64,
    location: Option<String>,
) -> Value {
    let mut meta = json!({
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(modified),
        "version": etag(version),
    });
    if let (Some(location), Some(object)) = (location, meta.as_object_mut()) {
        object.insert("location".into(), Value::String(location));
    }
    meta
}

/// The account as a SCIM User. `base` is the tenant URL, for `meta.location`.
pub fn user_resource(account: &Account, base: Option<&str>) -> Map<String, Value> {
    let columns = UserColumns::of(account, base);
    columns
        .entries(account)
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.clone()))
        .collect()
}

/// The attributes of a SCIM User that an [`Account`] keeps in fields of its own, as JSON: with
/// the account's stored `attributes` they make the whole resource, which
/// [`UserColumns::entries`] lends out without copying the stored ones (a response is written
/// straight from them).
#[derive(Debug)]
pub struct UserColumns {
    schemas: Value,
    id: Value,
    external_id: Option<Value>,
    user_name: Value,
    display_name: Option<Value>,
    active: Option<Value>,
    meta: Value,
}

impl UserColumns {
    /// `base` is the tenant URL, for `meta.location`.
    pub fn of(account: &Account, base: Option<&str>) -> Self {
        let mut schemas = vec![Value::String(USER.id.into())];
        if account.attributes.contains_key(ENTERPRISE_USER.id) {
            schemas.push(Value::String(ENTERPRISE_USER.id.into()));
        }
        let location = base.map(|b| format!("{b}/Users/{}", account.id));
        Self {
            schemas: Value::Array(schemas),
            id: Value::String(account.id.to_string()),
            external_id: account.external_id.clone().map(Value::String),
            user_name: Value::String(account.user_name.clone()),
            display_name: account.display_name.clone().map(Value::String),
            active: (!account.active_unassigned).then_some(Value::Bool(account.active)),
            meta: meta(
                "User",
                account.created_at,
                account.updated_at,
                account.version,
                location,
            ),
        }
    }

    /// Every top-level attribute of `account`'s resource, by name as in a JSON object. Should a
    /// stored attribute share a name with a column, the stored one is kept, except over `meta`.
    pub fn entries<'a>(&'a self, account: &'a Account) -> Vec<(&'a str, &'a Value)> {
        let columns = [
            Some(("schemas", &self.schemas)),
            Some(("id", &self.id)),
            self.external_id.as_ref().map(|v| ("externalId", v)),
            Some(("userName", &self.user_name)),
            self.display_name.as_ref().map(|v| ("displayName", v)),
            self.active.as_ref().map(|v| ("active", v)),
        ];
        let mut entries: Vec<(&str, &Value)> = columns
            .into_iter()
            .flatten()
            .chain(account.attributes.iter().map(|(k, v)| (k.as_str(), v)))
            .chain([("meta", &self.meta)])
            .collect();
        // Stable: of entries with one name, the last one put in stays last, and is kept (moved
        // into the place of the first, which `dedup_by` keeps).
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        entries
    }
}

/// The group as a SCIM Group, with `members` when given.
pub fn group_resource(
    group: &Group,
    members: Option<Vec<Value>>,
    base: Option<&str>,
) -> Map<String, Value> {
    let mut resource = Map::new();
    resource.insert("schemas".into(), json!([GROUP.id]));
    resource.insert("id".into(), Value::String(group.id.to_string()));
    if let Some(external) = &group.external_id {
        resource.insert("externalId".into(), Value::String(external.clone()));
    }
    resource.insert(
        "displayName".into(),
        Value::String(group.display_name.clone()),
    );
    for (key, value) in &group.attributes {
        resource.insert(key.clone(), value.clone());
    }
    if let Some(members) = members {
        resource.insert("members".into(), Value::Array(members));
    }
    let location = base.map(|b| format!("{b}/Groups/{}", group.id));
    resource.insert(
        "meta".into(),
        meta(
            "Group",
            group.created_at,
            group.updated_at,
            group.version,
            location,
        ),
    );
    resource
}

/// A group's SCIM `members` (RFC 7643 §4.2: `value`, `$ref`, `type`), each with only the
/// sub-attributes in `kept`, for [`roster_scim::StreamedResource`]. Each entry is written straight
/// from its member id: no JSON value and no string per member. `base` is the tenant URL, for
/// `$ref`.
pub fn member_entries<'a>(
    members: &'a [AccountId],
    base: &'a str,
    kept: &SubAttributes,
) -> impl Iterator<Item = MemberEntry<'a>> + Clone + 'a {
    let fields = MemberFields {
        value: kept.contains("value"),
        reference: kept.contains("$ref"),
        kind: kept.contains("type"),
    };
    members
        .iter()
        .map(move |&id| MemberEntry { id, base, fields })
}

/// One entry of a group's `members`, see [`member_entries`].
#[derive(Debug, Clone, Copy)]
pub struct MemberEntry<'a> {
    id: AccountId,
    base: &'a str,
    fields: MemberFields,
}

/// Which member sub-attributes are written.
#[derive(Debug, Clone, Copy)]
struct MemberFields {
    value: bool,
    reference: bool,
    kind: bool,
}

impl Serialize for MemberEntry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut entry = serializer.serialize_map(None)?;
        if self.fields.value {
            entry.serialize_entry("value", &self.id)?;
        }
        if self.fields.reference {
            entry.serialize_entry(
                "$ref",
                &UserLocation {
                    base: self.base,
                    id: self.id,
                },
            )?;
        }
        if self.fields.kind {
            entry.serialize_entry("type", "User")?;
        }
        entry.end()
    }
}

/// `{base}/Users/{id}`, written into the output without a string of its own.
struct UserLocation<'a> {
    base: &'a str,
    id: AccountId,
}

impl Serialize for UserLocation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}/Users/{}", self.base, self.id))
    }
}

/// The fields of a User resource that live in their own columns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UserFields {
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub active: Option<bool>,
    pub attributes: Map<String, Value>,
}

pub(crate) fn user_fields(mut resource: Map<String, Value>) -> UserFields {
    let user_name = take_string(&mut resource, "userName");
    let external_id = take_string(&mut resource, "externalId");
    let display_name = take_string(&mut resource, "displayName");
    let active = resource.remove("active").and_then(|v| v.as_bool());
    for column in ACCOUNT_COLUMNS.iter().chain(NEVER_STORED) {
        resource.remove(*column);
    }
    UserFields {
        user_name,
        external_id,
        display_name,
        active,
        attributes: resource,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupFields {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub attributes: Map<String, Value>,
}

pub(crate) fn group_fields(mut resource: Map<String, Value>) -> GroupFields {
    let display_name = take_string(&mut resource, "displayName");
    let external_id = take_string(&mut resource, "externalId");
    for column in GROUP_COLUMNS {
        resource.remove(*column);
    }
    GroupFields {
        display_name,
        external_id,
        attributes: resource,
    }
}

/// A non-empty string attribute, trimmed; an empty one counts as absent.
fn take_string(resource: &mut Map<String, Value>, key: &str) -> Option<String> {
    match resource.remove(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// `If-Match` (RFC 7644 §3.14): `*` or a list of entity tags, one of which must be current
/// (the matcher shared with `If-None-Match`, [`crate::conditional`]).
pub(crate) fn check_if_match(version: i64, if_match: Option<&str>) -> Result<(), crate::Error> {
    let Some(header) = if_match else {
        return Ok(());
    };
    if crate::conditional::etag_matches(header, version) {
        Ok(())
    } else {
        Err(crate::Error::PreconditionFailed(format!(
            "the resource changed: its version is {} but If-Match asked for {header}; read it again and retry",
            etag(version)
        )))
    }
}

#[cfg(test)]
mod tests {
    use roster_scim::{Projection, StreamedResource, schema::GROUP_RESOURCE};

    use super::*;

    fn written(projection: &Projection, members: &[AccountId]) -> String {
        let kept = projection.kept_sub_attributes(&GROUP_RESOURCE, "members");
        let resource = Map::new();
        let entries = member_entries(members, "https://h/scim/v2/o", &kept);
        let projected = projection.view(&GROUP_RESOURCE, &resource);
        serde_json::to_string(&StreamedResource::new(projected, &kept, entries)).unwrap()
    }

    #[test]
    fn members_are_written_as_value_ref_and_type_in_that_order() {
        let (a, b) = (AccountId::new_random(), AccountId::new_random());
        assert_eq!(
            written(&Projection::default(), &[a, b]),
            format!(
                r#"{{"members":[{{"value":"{a}","$ref":"https://h/scim/v2/o/Users/{a}","type":"User"}},{{"value":"{b}","$ref":"https://h/scim/v2/o/Users/{b}","type":"User"}}]}}"#
            )
        );
    }

    #[test]
    fn members_keep_only_what_the_projection_keeps() {
        let a = AccountId::new_random();
        let values = Projection::parse(&GROUP_RESOURCE, Some("members.value"), None).unwrap();
        assert_eq!(
            written(&values, &[a]),
            format!(r#"{{"members":[{{"value":"{a}"}}]}}"#)
        );
        let no_ref = Projection::parse(&GROUP_RESOURCE, None, Some("MEMBERS.$REF")).unwrap();
        assert_eq!(
            written(&no_ref, &[a]),
            format!(r#"{{"members":[{{"value":"{a}","type":"User"}}]}}"#)
        );
        let none = Projection::parse(&GROUP_RESOURCE, None, Some("members")).unwrap();
        assert_eq!(written(&none, &[a]), "{}");
        assert_eq!(written(&Projection::default(), &[]), "{}");
    }

    fn account(attributes: Value, external: Option<&str>, unassigned: bool) -> Account {
        Account {
            id: AccountId::new_random(),
            org_id: None,
            user_name: "ada@x.edu".into(),
            external_id: external.map(str::to_owned),
            display_name: Some("Ada".into()),
            role: crate::Role::Student,
            active: false,
            active_unassigned: unassigned,
            deactivated_at: None,
            scim_managed: true,
            scim_deleted: false,
            attributes: attributes.as_object().cloned().unwrap_or_default(),
            created_at: time::macros::datetime!(2026-01-02 3:04 UTC),
            updated_at: time::macros::datetime!(2026-01-03 3:04 UTC),
            version: 7,
        }
    }

    #[test]
    fn a_user_written_from_its_columns_is_the_user_written_from_its_object() {
        use roster_scim::schema::USER_RESOURCE;
        let accounts = [
            account(json!({}), None, false),
            account(json!({}), Some("e-1"), true),
            account(
                json!({
                    "name": {"givenName": "Ada", "familyName": "Lovelace"},
                    "emails": [{"value": "ada@x.edu", "type": "work", "primary": true}],
                    "title": "Countess",
                    ENTERPRISE_USER.id: {"department": "Maths", "manager": {"value": "m"}},
                }),
                Some("e-2"),
                false,
            ),
        ];
        let projections = [
            (None, None),
            (Some("userName,emails.value"), None),
            (None, Some("emails,meta,name.givenName")),
            (Some(ENTERPRISE_USER.id), Some("externalId")),
        ];
        for account in &accounts {
            for base in [None, Some("https://h/scim/v2/o")] {
                let object = user_resource(account, base);
                let columns = UserColumns::of(account, base);
                let entries = columns.entries(account);
                for (attributes, excluded) in projections {
                    let projection =
                        Projection::parse(&USER_RESOURCE, attributes, excluded).unwrap();
                    assert_eq!(
                        serde_json::to_string(&projection.view_entries(&USER_RESOURCE, &entries))
                            .unwrap(),
                        serde_json::to_string(&projection.view(&USER_RESOURCE, &object)).unwrap(),
                        "{attributes:?} / {excluded:?}"
                    );
                }
            }
        }
        let full = user_resource(&accounts[2], Some("https://h/scim/v2/o"));
        assert_eq!(full["schemas"], json!([USER.id, ENTERPRISE_USER.id]));
        assert_eq!(full["externalId"], "e-2");
        assert_eq!(full["active"], false);
        assert_eq!(full["meta"]["version"], "W/\"7\"");
        assert!(!user_resource(&accounts[1], None).contains_key("active"));
    }

    #[test]
    fn a_stored_attribute_named_like_a_column_wins_over_it_but_not_over_meta() {
        let odd = account(json!({"userName": "stored", "meta": {"x": 1}}), None, false);
        let columns = UserColumns::of(&odd, None);
        let entries = columns.entries(&odd);
        let names: Vec<&str> = entries.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            names,
            ["active", "displayName", "id", "meta", "schemas", "userName"]
        );
        assert_eq!(entries[5].1, "stored");
        assert_eq!(entries[3].1["resourceType"], "User");
    }
}
