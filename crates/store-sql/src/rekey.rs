//! Recomputing the name keys of existing rows when what "the same name" means changes (migration
//! 0006: NFC and full Unicode case folding instead of lower-casing). Both stores load the rows,
//! let [`plan`] decide, and write its updates in the migration's transaction.
//!
//! Rows that would take a key another row already holds (`strasse` and `STRAßE`, two accounts
//! before, one name now) are not merged and do not stop the start: they keep their old key, and
//! the plan lists them as [`Conflict`]s for the store to log and record in `name_key_conflicts`.
//! Such a row can still be read and deleted; a write that recomputes its key is refused as a
//! duplicate until an operator renames one of the two.

use std::collections::HashMap;

use uuid::Uuid;

/// One row with a name key: an account (`scope` `None`: userNames are unique platform-wide) or a
/// group (`scope` its organization).
#[derive(Debug, Clone)]
pub struct KeyedRow {
    pub id: Uuid,
    pub scope: Option<Uuid>,
    pub name: String,
    pub key: String,
}

/// A row that kept its old key because another row holds its new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub id: Uuid,
    pub scope: Option<Uuid>,
    pub name: String,
    /// The row holding the key this one would take.
    pub holder: Uuid,
}

impl Conflict {
    /// Tells the operator, once, in the log (ids only: names are personal data).
    pub fn report(&self, kind: &str) {
        tracing::warn!(
            name.kind = kind,
            name.id = %self.id,
            name.holder = %self.holder,
            org.id = self.scope.map(|o| o.to_string()),
            "two names are now the same (NFC and full case folding): this one keeps its old key \
             until one of the two is renamed; listed in name_key_conflicts"
        );
    }
}

/// What to write: new keys by row, and the rows left with their old key.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub updates: Vec<(Uuid, String)>,
    pub conflicts: Vec<Conflict>,
}

/// Plans new keys for `rows`, given oldest first. Of rows sharing a new key, the row that already
/// holds it keeps it; otherwise the oldest takes it. The others keep their old keys.
pub fn plan(rows: &[KeyedRow], key_of: impl Fn(&str) -> String) -> Plan {
    let mut groups: HashMap<(Option<Uuid>, String), Vec<usize>> = HashMap::new();
    let mut order = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let slot = (row.scope, key_of(&row.name));
        let members = groups.entry(slot.clone()).or_default();
        if members.is_empty() {
            order.push(slot);
        }
        members.push(i);
    }
    let mut plan = Plan::default();
    // Keys that stay where they are (unchanged rows' and the conflicting rows'), with the row
    // holding each, so a taker's check is one lookup, not a scan of every row.
    let mut kept: HashMap<(Option<Uuid>, &str), usize> = HashMap::new();
    let mut takers = Vec::new();
    for slot in &order {
        let members = &groups[slot];
        let (scope, new_key) = slot;
        let holder = members
            .iter()
            .copied()
            .find(|&i| rows[i].key == *new_key)
            .unwrap_or(members[0]);
        for &i in members {
            let row = &rows[i];
            if i == holder {
                if row.key == *new_key {
                    kept.insert((*scope, row.key.as_str()), i);
                } else {
                    takers.push((i, new_key.as_str()));
                }
            } else {
                kept.insert((*scope, row.key.as_str()), i);
                plan.conflicts.push(Conflict {
                    id: row.id,
                    scope: row.scope,
                    name: row.name.clone(),
                    holder: rows[holder].id,
                });
            }
        }
    }
    for (i, new_key) in takers {
        let row = &rows[i];
        // A conflicting row keeps the key it has; should that be another row's new key, that
        // row keeps its old key too rather than fail the migration.
        if let Some(&j) = kept.get(&(row.scope, new_key)) {
            plan.conflicts.push(Conflict {
                id: row.id,
                scope: row.scope,
                name: row.name.clone(),
                holder: rows[j].id,
            });
            continue;
        }
        plan.updates.push((row.id, new_key.to_owned()));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: u128, scope: Option<u128>, name: &str) -> KeyedRow {
        KeyedRow {
            id: Uuid::from_u128(n),
            scope: scope.map(Uuid::from_u128),
            name: name.to_owned(),
            key: name.to_lowercase(),
        }
    }

    #[test]
    fn new_keys_are_written_and_collisions_keep_their_old_key() {
        let rows = [
            row(1, None, "STRAßE@x.org"),
            row(2, None, "strasse@x.org"),
            row(3, None, "Cafe\u{301}"),
            row(4, None, "SIGMAΣ"),
            row(5, None, "ada"),
        ];
        let plan = plan(&rows, roster_scim::text::fold);
        // `strasse@x.org` already holds its key; the older `STRAßE` keeps `straße@x.org`.
        assert_eq!(
            plan.conflicts,
            vec![Conflict {
                id: Uuid::from_u128(1),
                scope: None,
                name: "STRAßE@x.org".into(),
                holder: Uuid::from_u128(2),
            }]
        );
        assert_eq!(
            plan.updates,
            vec![
                (Uuid::from_u128(3), "caf\u{e9}".to_owned()),
                (Uuid::from_u128(4), "sigmaσ".to_owned()),
            ]
        );
    }

    #[test]
    fn the_oldest_row_takes_a_new_key_nobody_holds_and_scopes_are_apart() {
        let rows = [
            row(1, Some(9), "Maße"),
            row(2, Some(9), "Ma\u{17f}\u{17f}e"),
            row(3, Some(8), "MASSE"),
            row(4, Some(8), "Cafe\u{301}"),
            row(5, Some(8), "CAF\u{c9}"),
        ];
        let plan = plan(&rows, roster_scim::text::fold);
        assert_eq!(plan.updates, vec![(Uuid::from_u128(1), "masse".to_owned())]);
        let conflicts: Vec<(Uuid, Uuid)> =
            plan.conflicts.iter().map(|c| (c.id, c.holder)).collect();
        // Row 3 already holds `masse` in its own organization; row 5 already holds `café`.
        assert_eq!(
            conflicts,
            vec![
                (Uuid::from_u128(2), Uuid::from_u128(1)),
                (Uuid::from_u128(4), Uuid::from_u128(5)),
            ]
        );
    }
}
