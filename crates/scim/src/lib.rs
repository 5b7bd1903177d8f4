//! The SCIM 2.0 protocol core (RFC 7643 schemas, RFC 7644 protocol).
//!
//! Everything here is pure: no I/O, no async, no clocks. It parses and evaluates filters, attribute
//! paths and PATCH requests, describes the User, Enterprise User and Group schemas, and renders
//! protocol documents and errors. The domain and HTTP layers depend on this crate; it depends on
//! nothing of theirs.

pub mod error;
pub mod schema;

pub use error::{ScimError, ScimType};
