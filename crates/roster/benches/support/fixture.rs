//! Set-up shared by the benchmarks: accounts written straight to the store, many at once so the
//! SQLite writer commits them in groups.

use std::sync::Arc;

use roster_domain::{Account, AccountId, AccountWrite, OrgId, Role, Store};

/// `count` active SCIM-managed accounts `user{i}@bench.example` in `org`; their ids in order.
pub async fn accounts(store: &Arc<dyn Store>, org: OrgId, count: usize) -> Vec<AccountId> {
    let now = time::OffsetDateTime::now_utc();
    let account = |i: usize| Account {
        id: AccountId::new_random(),
        org_id: Some(org),
        user_name: format!("user{i}@bench.example"),
        external_id: None,
        display_name: None,
        role: Role::Learner,
        active: true,
        active_unassigned: false,
        deactivated_at: None,
        scim_managed: true,
        scim_deleted: false,
        attributes: serde_json::Map::new(),
        created_at: now,
        updated_at: now,
        version: 0,
    };
    let mut ids = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(1024) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let store = store.clone();
                let write = AccountWrite {
                    account: account(i),
                    expected_version: None,
                    takes_seat: true,
                    end_scim_memberships: false,
                    change: roster_domain::Change::cli(),
                };
                tokio::spawn(async move { store.write_account(write).await })
            })
            .collect();
        for task in tasks {
            ids.push(task.await.expect("task").expect("account").id);
        }
    }
    ids
}
