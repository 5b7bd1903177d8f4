//! Member values a SCIM group write skipped (SPEC §2.7: values that are not accounts of the
//! organization are never linked) and the provisioning-log entries that tell administrators who
//! was left out and why (SPEC §2.8).
//!
//! What is recorded is decided in one place, [`skipped_member_entries`]; the caller only chooses
//! when the entries are written ([`SkippedMembers::record`]), so the client never waits on them.

use time::OffsetDateTime;

use crate::{GroupOutcome, LogEntry, OrgScope, Outcome, Roster};

/// Provisioning-log entries about the members a group write skipped, not yet written.
#[derive(Debug)]
#[must_use = "the entries are only written by `record`"]
pub struct SkippedMembers {
    roster: Roster,
    scope: OrgScope,
    entries: Vec<LogEntry>,
}

impl SkippedMembers {
    /// Writes the entries. The request they describe has already been answered, so a failure is
    /// logged here and not returned.
    pub async fn record(self) {
        for entry in self.entries {
            if let Err(e) = self.roster.record(self.scope, entry).await {
                tracing::warn!(org.id = %self.scope.org_id(), error = %e, "could not record a skipped member");
            }
        }
    }
}

impl Roster {
    /// The log entries for the members `outcome` skipped, or `None` when it skipped none.
    /// `operation` names the request as the provisioning log does (`PATCH /Groups/{id}`).
    ///
    /// The caller runs [`SkippedMembers::record`] after answering, where shutdown waits for it
    /// (the web layer's background task tracker), so no entry of an answered request is lost.
    pub fn skipped_members(
        &self,
        scope: OrgScope,
        operation: &str,
        outcome: &GroupOutcome,
    ) -> Option<SkippedMembers> {
        let entries = skipped_member_entries(scope, operation, outcome, self.now());
        (!entries.is_empty()).then(|| SkippedMembers {
            roster: self.clone(),
            scope,
            entries,
        })
    }
}

/// The entries describing what `outcome` skipped: today one per skipped value, accounts of no
/// or another organization first, then values that are not account ids at all.
fn skipped_member_entries(
    scope: OrgScope,
    operation: &str,
    outcome: &GroupOutcome,
    at: OffsetDateTime,
) -> Vec<LogEntry> {
    let skipped = outcome
        .members
        .skipped
        .iter()
        .map(ToString::to_string)
        .chain(outcome.invalid_members.iter().cloned());
    skipped
        .map(|value| LogEntry {
            org_id: scope.org_id(),
            at,
            operation: operation.to_owned(),
            resource_type: "Group".into(),
            resource_id: Some(outcome.group.id.to_string()),
            name: Some(outcome.group.display_name.clone()),
            outcome: Outcome::Skipped,
            status: 200,
            detail: Some(format!(
                "member '{value}' was not added: it is not a user of this organization"
            )),
            duration_ms: 0,
            client_request_id: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{AccountId, Group, GroupId, MembershipOutcome, OrgId};

    fn outcome(skipped: Vec<AccountId>, invalid: Vec<String>) -> GroupOutcome {
        let at = datetime!(2026-01-01 0:00 UTC);
        GroupOutcome {
            group: Group {
                id: GroupId::new_random(),
                org_id: OrgId::new_random(),
                display_name: "Team".into(),
                external_id: None,
                scim_managed: true,
                attributes: serde_json::Map::new(),
                created_at: at,
                updated_at: at,
                version: 1,
            },
            members: MembershipOutcome {
                skipped,
                ..MembershipOutcome::default()
            },
            invalid_members: invalid,
            adopted: false,
        }
    }

    #[test]
    fn one_skipped_entry_per_value_with_the_group_and_the_value() {
        let scope = OrgScope::new(OrgId::new_random());
        let foreign = AccountId::new_random();
        let outcome = outcome(vec![foreign], vec!["not-an-id".into()]);
        let at = datetime!(2026-01-02 3:04 UTC);
        let entries = skipped_member_entries(scope, "PATCH /Groups/{id}", &outcome, at);
        let details: Vec<_> = entries.iter().filter_map(|e| e.detail.clone()).collect();
        assert_eq!(
            details,
            [
                format!("member '{foreign}' was not added: it is not a user of this organization"),
                "member 'not-an-id' was not added: it is not a user of this organization".into(),
            ]
        );
        for entry in &entries {
            assert_eq!(entry.org_id, scope.org_id());
            assert_eq!(entry.at, at);
            assert_eq!(entry.operation, "PATCH /Groups/{id}");
            assert_eq!(entry.resource_type, "Group");
            assert_eq!(entry.resource_id, Some(outcome.group.id.to_string()));
            assert_eq!(entry.name.as_deref(), Some("Team"));
            assert_eq!(entry.outcome, Outcome::Skipped);
            assert_eq!(entry.status, 200);
        }
    }

    #[test]
    fn nothing_skipped_means_no_entries() {
        let scope = OrgScope::new(OrgId::new_random());
        let at = datetime!(2026-01-02 3:04 UTC);
        assert!(
            skipped_member_entries(scope, "PUT /Groups/{id}", &outcome(vec![], vec![]), at)
                .is_empty()
        );
    }
}
