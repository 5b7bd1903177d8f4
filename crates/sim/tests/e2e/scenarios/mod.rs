//! The scenarios of issue 6, one module per theme. Each takes the profile it runs as.

pub mod assignments;
pub mod deletion;
pub mod edits;
pub mod initial;
pub mod locations;
pub mod members;
pub mod okta;
pub mod seats;
