//! A small school directory whose assignments overlap in every way the scenarios need.

use roster_sim::{
    Directory, UserSpec,
    directory::{GroupId, UserId},
};

pub const DOMAIN: &str = "ridgemont.example.edu";

/// Groups A ("Year 9 Science") and B ("Chess Club"), both assigned, and users reached every way:
/// `both` (member of A and B), `only_a`, `a_direct` (member of A and assigned directly), `via_b`,
/// `solo` (assigned directly, no group), plus `fillers` split between A and B.
#[derive(Debug)]
pub struct School {
    pub dir: Directory,
    pub a: GroupId,
    pub b: GroupId,
    pub both: UserId,
    pub only_a: UserId,
    pub a_direct: UserId,
    pub via_b: UserId,
    pub solo: UserId,
    pub fillers: Vec<UserId>,
}

pub fn school() -> School {
    let mut dir = Directory::new();
    let a = dir.add_group("Year 9 Science");
    let b = dir.add_group("Chess Club");
    let mut user = |login: &str| dir.add_user(UserSpec::simple(login, DOMAIN));
    let both = user("barbara.both");
    let only_a = user("olive.only");
    let a_direct = user("dora.direct");
    let via_b = user("victor.bishop");
    let solo = user("sol.solo");
    let fillers: Vec<UserId> = (0..12).map(|i| user(&format!("fill.er{i}"))).collect();
    for u in [&both, &only_a, &a_direct] {
        dir.add_member(&a, u);
    }
    for u in [&both, &via_b] {
        dir.add_member(&b, u);
    }
    for (i, u) in fillers.iter().enumerate() {
        dir.add_member(if i % 2 == 0 { &a } else { &b }, u);
    }
    dir.assign_group(&a);
    dir.assign_group(&b);
    dir.assign_user(&a_direct);
    dir.assign_user(&solo);
    School {
        dir,
        a,
        b,
        both,
        only_a,
        a_direct,
        via_b,
        solo,
        fillers,
    }
}
