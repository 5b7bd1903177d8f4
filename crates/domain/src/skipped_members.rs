//! Member values a SCIM group write skipped (SPEC §2.7: values that are not accounts of the
//! organization are never linked), as the provisioning log tells administrators (SPEC §2.8).
//!
//! A request's skipped values go into that request's own log entry — counted, with a sample —
//! so a PATCH carrying twenty thousand unknown values writes one entry, not twenty thousand that
//! would crowd out the organization's real history.

use crate::{AccountId, GroupOutcome};

/// How many skipped values one entry names; the rest are counted.
pub const SKIPPED_SAMPLE: usize = 10;

impl GroupOutcome {
    /// What the request skipped, in words for its log entry; `None` when it skipped nothing.
    pub fn skipped_summary(&self) -> Option<String> {
        summary(&self.members.skipped, &self.invalid_members)
    }
}

/// Skipped values in words: accounts of no or another organization first, then values that are
/// not ids at all; `None` when there are none.
pub(crate) fn summary(skipped: &[AccountId], invalid: &[String]) -> Option<String> {
    let total = skipped.len() + invalid.len();
    if total == 0 {
        return None;
    }
    let sample: Vec<String> = skipped
        .iter()
        .map(ToString::to_string)
        .chain(invalid.iter().cloned())
        .take(SKIPPED_SAMPLE)
        .map(|value| format!("'{}'", value.chars().take(100).collect::<String>()))
        .collect();
    let more = total - sample.len();
    let (count, reason) = if total == 1 {
        (
            "1 member value was".to_owned(),
            "it is not a user of this organization",
        )
    } else {
        (
            format!("{total} member values were"),
            "they are not users of this organization",
        )
    };
    let mut text = format!("{count} not added ({reason}): {}", sample.join(", "));
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::{Group, GroupId, MembershipOutcome, OrgId};

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
    fn nothing_skipped_says_nothing() {
        assert_eq!(outcome(Vec::new(), Vec::new()).skipped_summary(), None);
    }

    #[test]
    fn skipped_values_are_counted_and_sampled_in_one_text() {
        let foreign = AccountId::new_random();
        assert_eq!(
            outcome(vec![foreign], Vec::new())
                .skipped_summary()
                .unwrap(),
            format!(
                "1 member value was not added (it is not a user of this organization): '{foreign}'"
            )
        );
        let invalid: Vec<String> = (0..20_000).map(|i| format!("v{i}")).collect();
        let summary = outcome(vec![foreign], invalid).skipped_summary().unwrap();
        assert!(
            summary.starts_with(&format!(
                "20001 member values were not added (they are not users of this organization): '{foreign}', 'v0', 'v1',"
            )),
            "{summary}"
        );
        assert!(summary.ends_with("'v8' and 19991 more"), "{summary}");
    }
}
