//! SCIM `/Groups` and the group rules of SPEC §2: adoption by name, SCIM writes touching only
//! what SCIM may touch, atomic idempotent membership changes, members never across organizations.

use roster_scim::{
    ScimError, check_required,
    filter::{CompValue, CompareOp, Filter},
    normalize,
    patch::{MemberChanges, apply_patch, parse_patch},
    schema::GROUP_RESOURCE,
};
use serde_json::{Map, Value, json};

use crate::{
    AccountId, Conflict, Error, Group, GroupExpect, GroupId, GroupWrite, MemberSource,
    MembershipChange, MembershipOutcome, OrgScope, Page, RequestLog, Roster, StoreFilter, Unique,
    display_name_key,
    error::Result,
    listing::{ListPage, ListRequest, Plan},
    resources::{check_if_match, group_fields, group_resource},
    retry::{MAX_ATTEMPTS, until_written},
};

/// Most members one list response carries in all (see [`Roster::scim_list_group_members`]).
pub const LIST_MEMBERS_BUDGET: u64 = 10_000;

/// What a group write did, for the answer and the provisioning log.
#[derive(Debug, Clone)]
pub struct GroupOutcome {
    pub group: Group,
    pub members: MembershipOutcome,
    /// Member values that are not account ids at all (skipped like foreign accounts).
    pub invalid_members: Vec<String>,
    /// POST adopted an existing group of the organization instead of creating one.
    pub adopted: bool,
}

impl Roster {
    /// `POST /Groups`. A `displayName` equal to an unmanaged group of the organization adopts
    /// that group (201, its id); one equal to a SCIM-managed group is 409.
    pub async fn scim_create_group(
        &self,
        scope: OrgScope,
        body: &Value,
        log: Option<&RequestLog>,
    ) -> Result<GroupOutcome> {
        let resource = normalize(&GROUP_RESOURCE, body)?;
        check_required(&GROUP_RESOURCE, &resource)?;
        let (members, invalid_members) = member_ids(resource.get("members"));
        let fields = group_fields(resource);
        let display_name = fields.display_name.clone().ok_or_else(|| {
            ScimError::invalid_value("displayName is required and must not be empty")
        })?;
        for _ in 0..MAX_ATTEMPTS {
            let key = display_name_key(&display_name);
            let existing = self
                .group_where(scope, StoreFilter::display_name_key(key))
                .await?;
            let now = self.now();
            let (group, expect, adopted) = match existing {
                Some(group) if group.scim_managed => {
                    return Err(Conflict::State(format!(
                        "a group named '{}' is already provisioned in this organization (id {}); match it with a filter instead of creating it again",
                        group.display_name, group.id
                    ))
                    .into());
                }
                Some(mut group) => {
                    let version = group.version;
                    group.scim_managed = true;
                    group.external_id = fields.external_id.clone().or(group.external_id);
                    group.attributes.extend(fields.attributes.clone());
                    group.updated_at = now;
                    (group, GroupExpect::Version(version), true)
                }
                None => (
                    Group {
                        id: GroupId::new_time_ordered(),
                        org_id: scope.org_id(),
                        display_name: display_name.clone(),
                        external_id: fields.external_id.clone(),
                        scim_managed: true,
                        attributes: fields.attributes.clone(),
                        created_at: now,
                        updated_at: now,
                        version: 0,
                    },
                    GroupExpect::New,
                    false,
                ),
            };
            let draft = self.log_draft(
                scope,
                log,
                &group.id.to_string(),
                &group.display_name,
                &invalid_members,
            );
            let write = GroupWrite {
                group,
                expect,
                members: MembershipChange {
                    source: MemberSource::Scim,
                    replace: None,
                    add: members.clone(),
                    remove: Vec::new(),
                },
                change: scope.scim_change().logged(draft),
            };
            match self.write_group(scope, write).await {
                Ok((group, outcome)) => {
                    tracing::info!(org.id = %scope.org_id(), group.id = %group.id, adopted, "group provisioned");
                    return Ok(GroupOutcome {
                        group,
                        members: outcome,
                        invalid_members,
                        adopted,
                    });
                }
                // Created or adopted concurrently: decide again on what is there now.
                Err(Error::Conflict(
                    Conflict::Concurrent
                    | Conflict::Taken {
                        what: Unique::GroupName,
                        ..
                    },
                )) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Conflict::Concurrent.into())
    }

    /// `GET /Groups/{id}`.
    pub async fn scim_group(&self, scope: OrgScope, id: &str) -> Result<Group> {
        let id = parse_group_id(id)?;
        // By primary key, not through a generated listing (see `scim_user`).
        self.store
            .group(scope, id)
            .await?
            .ok_or_else(|| group_not_found(&id.to_string()))
    }

    /// The group `filter` finds (a lookup by a unique key).
    pub(crate) async fn group_where(
        &self,
        scope: OrgScope,
        filter: StoreFilter,
    ) -> Result<Option<Group>> {
        let (found, _) = self.store.groups(scope, Some(&filter), Page::ALL).await?;
        Ok(found.into_iter().next())
    }

    /// The ids of a group's members, all a SCIM representation needs (`value`, `$ref`, `type`):
    /// read from the membership index alone; the web layer writes them out without building a
    /// JSON value per member.
    pub async fn scim_group_member_ids(
        &self,
        scope: OrgScope,
        group: &Group,
    ) -> Result<Vec<AccountId>> {
        Ok(self
            .store
            .group_member_ids(scope, group.id, u64::MAX)
            .await?)
    }

    /// Members for a page of listed groups, within [`LIST_MEMBERS_BUDGET`]: the page is cut
    /// before the first group whose members would not fit in what the groups before it left
    /// (the first group always comes whole), so a list response's size is bounded and the
    /// client goes on from the shorter page's end (`itemsPerPage` says how many came, RFC 7644
    /// §3.4.2.4). A group of any size can always be read alone.
    pub async fn scim_list_group_members(
        &self,
        scope: OrgScope,
        groups: Vec<Group>,
    ) -> Result<Vec<(Group, Vec<AccountId>)>> {
        let mut left = self.list_members_budget;
        let mut page = Vec::with_capacity(groups.len());
        for group in groups {
            // One bounded read per group: one more than fits says it does not.
            let limit = if page.is_empty() {
                u64::MAX
            } else {
                left.saturating_add(1)
            };
            let members = self.store.group_member_ids(scope, group.id, limit).await?;
            if !page.is_empty() && members.len() as u64 > left {
                break;
            }
            left = left.saturating_sub(members.len() as u64);
            page.push((group, members));
        }
        Ok(page)
    }

    /// `GET /Groups` and `POST /Groups/.search`.
    pub async fn scim_list_groups(
        &self,
        scope: OrgScope,
        request: &ListRequest,
    ) -> Result<ListPage<Group>> {
        let mut candidates = match request.plan(&GROUP_RESOURCE, self.candidate_limit) {
            Plan::Store { filter, page } => {
                let (items, total) = self.store.groups(scope, filter.as_ref(), page).await?;
                return Ok(request.page(items, total));
            }
            Plan::Keyset(keyset) => {
                let list = |filter: Option<StoreFilter>, page| async move {
                    self.store.groups(scope, filter.as_ref(), page).await
                };
                return Ok(keyset.read(request, list).await?);
            }
            Plan::Memory(candidates) => candidates,
        };
        let needed = request.filter().map_or(MembersNeeded::None, members_needed);
        let mut selection = request.selection(&GROUP_RESOURCE);
        while let Some((filter, page)) = candidates.next_batch() {
            crate::listing::yield_now().await;
            let (batch, _) = self.store.groups(scope, filter.as_ref(), page).await?;
            candidates.read(page, &batch)?;
            for group in batch {
                let members = match &needed {
                    MembersNeeded::None => None,
                    // Only `members eq X` tests: listing exactly the X that are members evaluates
                    // them the same as the full list would, without loading a large group.
                    // Each lookup counts against the request's bound, as a row read.
                    MembersNeeded::Values(values) => {
                        candidates.spend(values.len() as u64)?;
                        let mut present = Vec::new();
                        for value in values {
                            if let Ok(account) = value.parse::<AccountId>()
                                && self.store.is_member(scope, group.id, account).await?
                            {
                                present.push(json!({"value": value}));
                            }
                        }
                        Some(present)
                    }
                    // Every member as a SCIM value (`value`, `$ref`, `type`), the rows counted
                    // against the request's bound.
                    MembersNeeded::All => {
                        let ids = self
                            .store
                            .group_member_ids(scope, group.id, candidates.left() + 1)
                            .await?;
                        candidates.spend(ids.len() as u64)?;
                        Some(
                            ids.into_iter()
                                .map(|id| {
                                    json!({
                                        "value": id.to_string(),
                                        "$ref": format!("/Users/{id}"),
                                        "type": "User",
                                    })
                                })
                                .collect(),
                        )
                    }
                };
                selection.offer(&group_resource(&group, members, None), group);
            }
        }
        let (items, total) = selection.finish();
        Ok(request.page(items, total))
    }

    /// `PATCH /Groups/{id}`: attribute changes with the version check, membership changes
    /// row by row (see [`GroupExpect::MembersOnly`]).
    pub async fn scim_patch_group(
        &self,
        scope: OrgScope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<GroupOutcome> {
        let request = &parse_patch(body)?;
        until_written(if_match, || async move {
            let current = self.scim_group(scope, id).await?;
            check_if_match(current.version, if_match)?;
            // The engine never needs the member list: membership operations come back as a change
            // set, so a patch costs the same for a group of ten or of a hundred thousand.
            let (patched, changes) = apply_patch(
                &GROUP_RESOURCE,
                &group_resource(&current, None, None),
                request,
            )?;
            let (members, invalid_members) = membership_change(&changes.members);
            let fields = group_fields(patched);
            let attributes_changed = changes.attributes.iter().any(|a| a != "members");
            let mut group = current.clone();
            group.display_name = fields.display_name.ok_or_else(|| {
                ScimError::mutability("displayName is required and cannot be removed")
            })?;
            group.external_id = fields.external_id;
            group.attributes = fields.attributes;
            group.scim_managed = true;
            group.updated_at = self.now();
            let expect = if attributes_changed || !current.scim_managed || if_match.is_some() {
                GroupExpect::Version(current.version)
            } else if members.is_empty() {
                let id = current.id.to_string();
                self.record_unwritten(scope, log, &id, &current.display_name, &invalid_members)
                    .await;
                return Ok(GroupOutcome {
                    group: current,
                    members: MembershipOutcome::default(),
                    invalid_members,
                    adopted: false,
                });
            } else {
                GroupExpect::MembersOnly
            };
            let draft = self.log_draft(
                scope,
                log,
                &group.id.to_string(),
                &group.display_name,
                &invalid_members,
            );
            let write = GroupWrite {
                group,
                expect,
                members,
                change: scope.scim_change().logged(draft),
            };
            let (group, outcome) = self.write_group(scope, write).await?;
            Ok(GroupOutcome {
                group,
                members: outcome,
                invalid_members,
                adopted: false,
            })
        })
        .await
    }

    /// `PUT /Groups/{id}`: replaces attributes and the SCIM-managed members.
    pub async fn scim_replace_group(
        &self,
        scope: OrgScope,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<GroupOutcome> {
        let resource = normalize(&GROUP_RESOURCE, body)?;
        check_required(&GROUP_RESOURCE, &resource)?;
        let (members, invalid_members) = member_ids(resource.get("members"));
        let (members, invalid_members) = (&members, &invalid_members);
        let fields = &group_fields(resource);
        until_written(if_match, || async move {
            let current = self.scim_group(scope, id).await?;
            check_if_match(current.version, if_match)?;
            let mut group = current.clone();
            group.display_name = fields
                .display_name
                .clone()
                .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
            group.external_id.clone_from(&fields.external_id);
            group.attributes.clone_from(&fields.attributes);
            group.scim_managed = true;
            group.updated_at = self.now();
            let draft = self.log_draft(
                scope,
                log,
                &group.id.to_string(),
                &group.display_name,
                invalid_members,
            );
            let write = GroupWrite {
                group,
                expect: GroupExpect::Version(current.version),
                members: MembershipChange {
                    source: MemberSource::Scim,
                    replace: Some(members.clone()),
                    add: Vec::new(),
                    remove: Vec::new(),
                },
                change: scope.scim_change().logged(draft),
            };
            let (group, outcome) = self.write_group(scope, write).await?;
            Ok(GroupOutcome {
                group,
                members: outcome,
                invalid_members: invalid_members.clone(),
                adopted: false,
            })
        })
        .await
    }

    /// `DELETE /Groups/{id}`: deletes the Roster group and its memberships; accounts stay. With
    /// `If-Match`, the store deletes only the version checked here: a write that lands between
    /// the check and the delete makes it a conflict, not a silent loss.
    pub async fn scim_delete_group(
        &self,
        scope: OrgScope,
        id: &str,
        if_match: Option<&str>,
        log: Option<&RequestLog>,
    ) -> Result<()> {
        until_written(if_match, || async move {
            let group = self.scim_group(scope, id).await?;
            check_if_match(group.version, if_match)?;
            let expected = if_match.map(|_| group.version);
            let draft =
                self.log_draft(scope, log, &group.id.to_string(), &group.display_name, &[]);
            let change = scope.scim_change().logged(draft);
            if self
                .store
                .delete_group(scope, group.id, expected, &change, self.now())
                .await? {
                tracing::info!(org.id = %scope.org_id(), group.id = %group.id, "group deleted by SCIM");
                Ok(())
            } else {
                Err(group_not_found(id))
            }
        })
        .await
    }

    /// Every group write, whoever asks: a refusal names the group it is about.
    pub(crate) async fn write_group(
        &self,
        scope: OrgScope,
        write: GroupWrite,
    ) -> Result<(Group, MembershipOutcome)> {
        let name = write.group.display_name.clone();
        self.store
            .write_group(scope, write)
            .await
            .map_err(|e| Error::from(e).naming(&name))
    }
}

/// Member ids of a `members` value; values that are not ids are returned apart, to be skipped.
fn member_ids(members: Option<&Value>) -> (Vec<AccountId>, Vec<String>) {
    let mut ids = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut invalid = Vec::new();
    for member in members.and_then(Value::as_array).into_iter().flatten() {
        let value = member
            .as_object()
            .and_then(|m: &Map<String, Value>| m.get("value"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        match value.parse() {
            Ok(id) if seen.insert(id) => ids.push(id),
            Ok(_) => {}
            Err(_) => invalid.push(value.to_owned()),
        }
    }
    (ids, invalid)
}

fn parse_values(values: &[String], invalid: &mut Vec<String>) -> Vec<AccountId> {
    let mut ids = Vec::new();
    for value in values {
        match value.parse() {
            Ok(id) => ids.push(id),
            Err(_) => invalid.push(value.clone()),
        }
    }
    ids
}

fn membership_change(changes: &MemberChanges) -> (MembershipChange, Vec<String>) {
    let mut invalid = Vec::new();
    let change = MembershipChange {
        source: MemberSource::Scim,
        replace: changes
            .replaced
            .as_ref()
            .map(|r| parse_values(r, &mut invalid)),
        add: parse_values(&changes.added, &mut invalid),
        remove: parse_values(&changes.removed, &mut Vec::new()),
    };
    (change, invalid)
}

enum MembersNeeded {
    None,
    Values(Vec<String>),
    All,
}

/// Which members a filter needs to be evaluated.
fn members_needed(filter: &Filter) -> MembersNeeded {
    let mut values = Vec::new();
    let mut all = false;
    visit(filter, &mut |f| match f {
        Filter::Compare { path, op, value } if path.attr.eq_ignore_ascii_case("members") => {
            let on_value = path
                .sub_attr
                .as_deref()
                .is_none_or(|s| s.eq_ignore_ascii_case("value"));
            match (op, value) {
                (CompareOp::Eq, CompValue::String(v)) if on_value => {
                    if !values.contains(v) {
                        values.push(v.clone());
                    }
                }
                _ => all = true,
            }
        }
        Filter::Present(path) | Filter::ValuePath { attr: path, .. }
            if path.attr.eq_ignore_ascii_case("members") =>
        {
            all = true;
        }
        _ => {}
    });
    if all {
        MembersNeeded::All
    } else if values.is_empty() {
        MembersNeeded::None
    } else {
        MembersNeeded::Values(values)
    }
}

fn visit(filter: &Filter, f: &mut impl FnMut(&Filter)) {
    f(filter);
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            visit(a, f);
            visit(b, f);
        }
        Filter::Not(inner) => visit(inner, f),
        Filter::ValuePath { filter: inner, .. } => visit(inner, f),
        Filter::Compare { .. } | Filter::Present(_) => {}
    }
}

fn parse_group_id(id: &str) -> Result<GroupId> {
    id.parse().map_err(|_| group_not_found(id))
}

fn group_not_found(id: &str) -> Error {
    Error::NotFound(format!("no group with id '{id}' in this organization"))
}
