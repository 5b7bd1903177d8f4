//! Identifiers. Ids are random UUIDs so that a tenant URL or a SCIM id reveals nothing about
//! other tenants or how many there are. Accounts and groups are given time-ordered ones
//! ([`AccountId::new_time_ordered`]): their creation millisecond, then 74 random bits.

use std::{fmt, str::FromStr};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

uuid_id!(
    /// An organization's id, as it appears in its tenant URL.
    OrgId
);
uuid_id!(
    /// An account's id: its SCIM `id`, which identity providers keep forever.
    AccountId
);
uuid_id!(
    /// A group's id: its SCIM `id`.
    GroupId
);

/// UUID version 7 (RFC 9562) without a counter: the creation millisecond, which a resource's
/// `meta.created` tells anyway, then random bits, so nothing links two tenants' ids. Ids made
/// close in time sort close together, so a new row lands on the same index pages as the rows
/// created just before it; with random ids each insert dirtied a page of its own in every index
/// keyed by id, which the commit then wrote to the WAL (and the checkpoint to the database).
fn time_ordered() -> Uuid {
    Uuid::new_v7(uuid::Timestamp::now(uuid::NoContext))
}

impl AccountId {
    /// A new account's id (see [`time_ordered`]).
    pub fn new_time_ordered() -> Self {
        Self(time_ordered())
    }
}

impl GroupId {
    /// A new group's id (see [`time_ordered`]).
    pub fn new_time_ordered() -> Self {
        Self(time_ordered())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_accounts_and_groups_get_ids_in_creation_order_with_random_bits() {
        let first = AccountId::new_time_ordered();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = AccountId::new_time_ordered();
        assert!(first < later);
        assert!(
            first.to_string() < later.to_string(),
            "the text sorts as the id does"
        );
        assert_eq!(Uuid::from(first).get_version_num(), 7);
        assert_eq!(Uuid::from(GroupId::new_time_ordered()).get_version_num(), 7);
        // Many ids within a millisecond or two: their random bits keep them apart.
        let same_ms: Vec<Uuid> = (0..64)
            .map(|_| AccountId::new_time_ordered().into())
            .collect();
        let mut distinct = same_ms.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), same_ms.len());
        assert_eq!(Uuid::from(OrgId::new_random()).get_version_num(), 4);
    }
}
