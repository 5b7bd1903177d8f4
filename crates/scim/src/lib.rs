//! The SCIM 2.0 protocol core (RFC 7643 schemas, RFC 7644 protocol).
//!
//! Everything here is pure: no I/O, no async, no clocks. It parses and evaluates filters, attribute
//! paths and PATCH requests, describes the User, Enterprise User and Group schemas, and renders
//! protocol documents and errors. The domain and HTTP layers depend on this crate; it depends on
//! nothing of theirs.

pub mod discovery;
pub mod error;
pub mod filter;
pub mod list;
pub mod normalize;
pub mod patch;
pub mod path;
pub mod projection;
pub mod schema;
pub mod text;

mod keys;
#[cfg(test)]
mod test_schema;

pub use error::{ScimError, ScimType};
pub use list::list_response;
pub use normalize::{check_required, normalize};
pub use projection::{Projected, Projection, StreamedResource, SubAttributes};
