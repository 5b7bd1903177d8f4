//! Console pages are keyset-paged with a bounded size: each page says where the next one starts,
//! and no page's cost grows with the organization.

use std::fmt::Display;

use serde::Serializer;

/// Entries of a console page of accounts, groups or members, at most.
pub const PAGE_MAX: u32 = 200;

/// A requested page size within `1..=PAGE_MAX`.
pub(crate) fn page_size(limit: u32) -> u32 {
    limit.clamp(1, PAGE_MAX)
}

/// Serializes a cursor as its text (`null` when there is no next page).
pub(crate) fn display<S: Serializer, T: Display>(
    value: &Option<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.collect_str(v),
        None => serializer.serialize_none(),
    }
}

/// Serializes a value as its text.
pub(crate) fn text<S: Serializer, T: Display>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// The first `limit` of `rows` (read with one more than asked), and the cursor of the page after
/// them when there was more.
pub(crate) fn split<T, C>(
    mut rows: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> C,
) -> (Vec<T>, Option<C>) {
    if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        let next = rows.last().map(cursor);
        (rows, next)
    } else {
        (rows, None)
    }
}
