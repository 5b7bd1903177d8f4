//! What must hold after every case, checked through the trait alone: no organization has more
//! active accounts than seats, every member is an existing account of the group's organization
//! (no cross-organization membership, no dangling member), every visible account is found
//! again by its userName key, and an unfiltered listing's `totalResults` (kept, not counted)
//! is the number of rows it lists.

use roster_domain::{OrgScope, Page, Store, user_name_key};

use crate::support::group_filter;

pub async fn check_invariants(store: &dyn Store) {
    for org in store.orgs().await.unwrap() {
        let scope = OrgScope::trusted(org.id);
        let used = store.seats_used(scope).await.unwrap();
        assert!(
            used <= org.seats,
            "invariant: org {} has {used} active accounts for {} seats",
            org.id,
            org.seats
        );
        let (accounts, _) = store.accounts(scope, None, Page::ALL).await.unwrap();
        for account in &accounts {
            assert_eq!(
                account.org_id,
                Some(org.id),
                "invariant: account in its org"
            );
            assert!(
                account.version >= 1,
                "invariant: stored versions start at 1"
            );
            let by_name = store
                .account_by_user_name(&account.user_name_key())
                .await
                .unwrap();
            assert_eq!(
                by_name.map(|a| a.id),
                Some(account.id),
                "invariant: one account per userName key"
            );
            let with_account = group_filter(&format!("members eq \"{}\"", account.id));
            let (groups, _) = store
                .groups(scope, Some(&with_account), Page::ALL)
                .await
                .unwrap();
            for group in groups {
                assert_eq!(
                    group.org_id, org.id,
                    "invariant: member's groups in its org"
                );
                assert!(store.is_member(scope, group.id, account.id).await.unwrap());
            }
        }
        let (_, total) = store.accounts(scope, None, Page::new(0, 1)).await.unwrap();
        assert_eq!(
            total,
            accounts.len() as u64,
            "invariant: org {}'s account count is the number of accounts SCIM lists",
            org.id
        );
        let (groups, _) = store.groups(scope, None, Page::ALL).await.unwrap();
        let (_, total) = store.groups(scope, None, Page::new(0, 1)).await.unwrap();
        assert_eq!(
            total,
            groups.len() as u64,
            "invariant: org {}'s group count is the number of groups SCIM lists",
            org.id
        );
        let active = accounts.iter().filter(|a| a.active).count();
        assert!(
            active <= usize::try_from(used).unwrap(),
            "invariant: seats_used counts every active account SCIM sees"
        );
        for group in groups {
            assert_eq!(group.org_id, org.id, "invariant: group in its org");
            for member in store.group_members(scope, group.id).await.unwrap() {
                // Read as the suite reads any account: by userName key, then the id must match.
                let account = store
                    .account_by_user_name(&user_name_key(&member.user_name))
                    .await
                    .unwrap()
                    .filter(|a| a.id == member.account_id);
                let Some(account) = account else {
                    panic!(
                        "invariant: member {} of group {} is no account stored under its userName",
                        member.account_id, group.id
                    );
                };
                assert_eq!(
                    account.org_id,
                    Some(org.id),
                    "invariant: member {} of group {} belongs to another organization",
                    account.id,
                    group.id
                );
                assert_eq!(member.user_name, account.user_name);
                assert_eq!(member.account_scim_managed, account.scim_managed);
            }
        }
    }
}
