//! The randomized, seeded workload: changes an administrator makes in each organization's
//! directory between provisioning cycles. Seeded, so a failure replays exactly (the random
//! user and group ids aside, which the simulator mints and nothing depends on).

use roster_sim::{Directory, GroupId, UserId, UserSpec};

/// splitmix64: small, seedable, good enough to pick operations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        (!items.is_empty()).then(|| items[self.below(items.len())].clone())
    }
}

/// One organization's directory and the names it has used.
pub struct OrgDirectory {
    pub dir: Directory,
    domain: String,
    users_made: usize,
    groups_made: usize,
}

impl OrgDirectory {
    /// `users` users, `groups` groups, each user in about half the groups; all assigned.
    pub fn new(domain: &str, users: usize, groups: usize, rng: &mut Rng) -> Self {
        let mut org = Self {
            dir: Directory::new(),
            domain: domain.to_owned(),
            users_made: 0,
            groups_made: 0,
        };
        for _ in 0..groups {
            org.new_group();
        }
        for _ in 0..users {
            let user = org.new_user();
            for group in org.group_ids() {
                if rng.below(2) == 0 {
                    org.dir.add_member(&group, &user);
                }
            }
        }
        org
    }

    fn user_ids(&self) -> Vec<UserId> {
        self.dir.users.keys().cloned().collect()
    }

    fn group_ids(&self) -> Vec<GroupId> {
        self.dir.groups.keys().cloned().collect()
    }

    fn new_user(&mut self) -> UserId {
        self.users_made += 1;
        let login = format!("learner{}.n{}", self.users_made, self.users_made);
        let user = self.dir.add_user(UserSpec::simple(&login, &self.domain));
        self.dir.assign_user(&user);
        user
    }

    fn new_group(&mut self) -> GroupId {
        self.groups_made += 1;
        let group = self.dir.add_group(&format!("Class {}", self.groups_made));
        self.dir.assign_group(&group);
        group
    }

    /// `ops` random changes.
    pub fn mutate(&mut self, rng: &mut Rng, ops: usize) {
        for _ in 0..ops {
            let users = self.user_ids();
            let groups = self.group_ids();
            match rng.below(10) {
                0..=2 => {
                    if let (Some(g), Some(u)) = (rng.pick(&groups), rng.pick(&users)) {
                        self.dir.add_member(&g, &u);
                    }
                }
                3 | 4 => {
                    if let Some(g) = rng.pick(&groups) {
                        let members: Vec<UserId> =
                            self.dir.groups[&g].members.iter().cloned().collect();
                        if let Some(u) = rng.pick(&members) {
                            self.dir.remove_member(&g, &u);
                        }
                    }
                }
                5 => {
                    // Leaves the school: out of scope, so deactivated.
                    if let Some(u) = rng.pick(&users) {
                        self.dir.unassign_user(&u);
                        for g in &groups {
                            self.dir.remove_member(g, &u);
                        }
                    }
                }
                6 => {
                    // Comes back: in scope again, so reactivated.
                    let away: Vec<UserId> = users
                        .iter()
                        .filter(|u| !self.dir.assigned_users.contains(*u))
                        .cloned()
                        .collect();
                    if let Some(u) = rng.pick(&away) {
                        self.dir.assign_user(&u);
                    }
                }
                7 => {
                    let user = self.new_user();
                    if let Some(g) = rng.pick(&groups) {
                        self.dir.add_member(&g, &user);
                    }
                }
                8 => {
                    if let Some(g) = rng.pick(&groups) {
                        let name = format!(
                            "{} (renamed {})",
                            self.dir.groups[&g].display_name,
                            rng.below(1000)
                        );
                        self.dir.rename_group(&g, &name);
                    }
                }
                _ => match rng.below(3) {
                    0 => {
                        if let Some(u) = rng.pick(&users) {
                            self.dir.delete_user(&u);
                        }
                    }
                    1 if groups.len() > 2 => {
                        if let Some(g) = rng.pick(&groups) {
                            self.dir.delete_group(&g);
                        }
                    }
                    _ => {
                        let group = self.new_group();
                        for u in &users {
                            if rng.below(3) == 0 {
                                self.dir.add_member(&group, u);
                            }
                        }
                    }
                },
            }
        }
    }
}
