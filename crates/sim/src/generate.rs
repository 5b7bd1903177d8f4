//! A realistic organization, generated deterministically from a seed: people with plausible
//! names, class and staff groups with overlapping memberships, some users assigned directly,
//! some groups left unassigned, one group nesting others (which provisioning must not expand).

use crate::directory::{Directory, GroupId, UserId, UserSpec};

const GIVEN: [&str; 24] = [
    "ada", "alan", "grace", "edsger", "barbara", "donald", "margaret", "john", "frances", "ken",
    "radia", "niklaus", "sophie", "tim", "karen", "leslie", "hedy", "dennis", "shafi", "robin",
    "annie", "linus", "mary", "claude",
];
const FAMILY: [&str; 24] = [
    "lovelace",
    "turing",
    "hopper",
    "dijkstra",
    "liskov",
    "knuth",
    "hamilton",
    "backus",
    "allen",
    "thompson",
    "perlman",
    "wirth",
    "wilson",
    "berners",
    "jones",
    "lamport",
    "lamarr",
    "ritchie",
    "goldwasser",
    "milner",
    "easley",
    "torvalds",
    "keller",
    "shannon",
];
const SUBJECTS: [&str; 12] = [
    "Biology",
    "Chemistry",
    "Physics",
    "Mathematics",
    "History",
    "Geography",
    "Literature",
    "Art",
    "Music",
    "Computing",
    "Economics",
    "Languages",
];

/// How big an organization to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgShape {
    pub users: usize,
    pub groups: usize,
    pub domain: String,
    pub seed: u64,
}

impl OrgShape {
    pub fn new(users: usize, groups: usize) -> Self {
        Self {
            users,
            groups,
            domain: "ridgemont.example.edu".into(),
            seed: 2026,
        }
    }
}

/// The generated directory and its objects in creation order.
#[derive(Debug, Clone)]
pub struct GeneratedOrg {
    pub directory: Directory,
    pub users: Vec<UserId>,
    pub groups: Vec<GroupId>,
    /// Groups deliberately left unassigned (their members are out of scope unless assigned
    /// another way).
    pub unassigned_groups: Vec<GroupId>,
    /// A group that only nests other groups.
    pub umbrella: Option<GroupId>,
}

/// xorshift64*: small, deterministic, good enough to spread memberships.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

pub fn generate_org(shape: &OrgShape) -> GeneratedOrg {
    let mut rng = Rng(shape.seed.max(1));
    let mut directory = Directory::new();

    let users: Vec<UserId> = (0..shape.users)
        .map(|i| {
            let given = GIVEN[rng.below(GIVEN.len())];
            let family = FAMILY[rng.below(FAMILY.len())];
            let mut spec = UserSpec::simple(&format!("{given}.{family}{i}"), &shape.domain);
            if i % 2 == 0 {
                spec.employee_id = Some(format!("{}", 10_000 + i));
            }
            directory.add_user(spec)
        })
        .collect();

    let groups: Vec<GroupId> = (0..shape.groups)
        .map(|i| {
            let subject = SUBJECTS[i % SUBJECTS.len()];
            directory.add_group(&format!("{subject} {}", 101 + i))
        })
        .collect();

    // Each user joins one to three groups: overlapping memberships.
    if !groups.is_empty() {
        for user in &users {
            for _ in 0..=rng.below(3) {
                let group = &groups[rng.below(groups.len())];
                directory.add_member(group, user);
            }
        }
    }

    // Every fifth user is also assigned directly; one group in eight stays unassigned.
    for (i, user) in users.iter().enumerate() {
        if i % 5 == 0 {
            directory.assign_user(user);
        }
    }
    let mut unassigned_groups = Vec::new();
    for (i, group) in groups.iter().enumerate() {
        if i % 8 == 7 {
            unassigned_groups.push(group.clone());
        } else {
            directory.assign_group(group);
        }
    }

    // An unassigned umbrella group nesting two assigned ones: nesting must change nothing.
    let umbrella = (groups.len() >= 2).then(|| {
        let umbrella = directory.add_group("All Sciences");
        directory.nest_group(&umbrella, &groups[0]);
        directory.nest_group(&umbrella, &groups[1]);
        umbrella
    });

    GeneratedOrg {
        directory,
        users,
        groups,
        unassigned_groups,
        umbrella,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope::Scope;

    #[test]
    fn generation_is_deterministic_for_a_seed() {
        let a = generate_org(&OrgShape::new(50, 6));
        let b = generate_org(&OrgShape::new(50, 6));
        let names = |o: &GeneratedOrg| -> Vec<String> {
            o.users
                .iter()
                .map(|u| o.directory.users[u].spec.user_principal_name.clone())
                .collect()
        };
        assert_eq!(names(&a), names(&b));
    }

    #[test]
    fn a_generated_org_has_out_of_scope_users_and_overlapping_groups() {
        let org = generate_org(&OrgShape::new(200, 16));
        let scope = Scope::of(&org.directory);
        assert_eq!(org.unassigned_groups.len(), 2);
        assert!(scope.users.len() < 200, "some users are out of scope");
        assert!(scope.users.len() > 150);
        let memberships: usize = org.directory.groups.values().map(|g| g.members.len()).sum();
        assert!(memberships > 200, "users belong to several groups");
        assert!(org.users.iter().all(|u| {
            org.directory.users[u]
                .spec
                .user_principal_name
                .ends_with(".example.edu")
        }));
    }
}
