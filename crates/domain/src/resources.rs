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
    let mut resource = Map::new();
    let mut schemas = vec![Value::String(USER.id.into())];
    if account.attributes.contains_key(ENTERPRISE_USER.id) {
        schemas.push(Value::String(ENTERPRISE_USER.id.into()));
    }
    resource.insert("schemas".into(), Value::Array(schemas));
    resource.insert("id".into(), Value::String(account.id.to_string()));
    if let Some(external) = &account.external_id {
        resource.insert("externalId".into(), Value::String(external.clone()));
    }
    resource.insert("userName".into(), Value::String(account.user_name.clone()));
    if let Some(display) = &account.display_name {
        resource.insert("displayName".into(), Value::String(display.clone()));
    }
    if !account.active_unassigned {
        resource.insert("active".into(), Value::Bool(account.active));
    }
    for (key, value) in &account.attributes {
        resource.insert(key.clone(), value.clone());
    }
    let location = base.map(|b| format!("{b}/Users/{}", account.id));
    resource.insert(
        "meta".into(),
        meta(
            "User",
            account.created_at,
            account.updated_at,
            account.version,
            location,
        ),
    );
    resource
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
}
