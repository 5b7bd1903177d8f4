//! Cursor paging of SCIM lists (RFC 9865): `?cursor` (empty for the first page) instead of
//! `startIndex`, and `nextCursor` in every page but the last.
//!
//! A cursor is where the next page starts, opaque to the client: base64url (RFC 9865 allows only
//! unreserved characters) of a small JSON document. Where the store answers the query alone in
//! an order each row has a value in, it is the last row's place in that order, and the next page
//! is an index seek (keyset), however deep; otherwise it is an offset, as `startIndex` is. It
//! names the organization's own rows only (the token decides the organization), so a forged
//! cursor can reach nothing a request could not; it carries a fingerprint of the query so that
//! one reused with another filter or order is refused rather than answered wrongly. It holds no
//! snapshot, so it never expires.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use roster_scim::{ScimError, schema::ResourceType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Bound, Order, Position, SortColumn};

/// Longer than any cursor Roster writes (a keyset cursor with a 256-character userName key is
/// under 600 characters), so decoding a hostile one costs little.
const MAX_CURSOR_CHARS: usize = 1_500;

/// Where a cursor-paged request resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resume {
    /// After this row, in the listing's order.
    After(Position),
    /// After this many matches.
    Offset(u64),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    /// The query's fingerprint.
    q: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<Key>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Key {
    /// The row's value of a text order column (a folded name key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<String>,
    /// The row's value of a time order column, in Unix nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m: Option<i64>,
    /// Creation time, Unix nanoseconds.
    c: i64,
    /// Id, as 32 hex digits.
    i: String,
}

/// What identifies a query across its pages: the resource type, the filter (its canonical
/// form) and the order.
pub(crate) fn fingerprint(
    rt: &ResourceType,
    filter: Option<&roster_scim::filter::Filter>,
    sort_by: Option<&roster_scim::filter::AttrPath>,
    descending: bool,
) -> String {
    let mut hash = Sha256::new();
    hash.update(rt.name.as_bytes());
    for part in [
        filter.map(ToString::to_string),
        sort_by.map(ToString::to_string),
    ] {
        hash.update([0]);
        hash.update(part.unwrap_or_default().as_bytes());
    }
    hash.update([u8::from(descending)]);
    URL_SAFE_NO_PAD.encode(&hash.finalize()[..9])
}

pub(crate) fn encode(fingerprint: &str, resume: &Resume) -> String {
    let wire = match resume {
        Resume::Offset(n) => Wire {
            q: fingerprint.to_owned(),
            o: Some(*n),
            k: None,
        },
        Resume::After(position) => Wire {
            q: fingerprint.to_owned(),
            o: None,
            k: Some(Key {
                t: match &position.value {
                    Some(Bound::Text(t)) => Some(t.clone()),
                    _ => None,
                },
                m: match &position.value {
                    Some(Bound::Time(at)) => Some(nanos(*at)),
                    _ => None,
                },
                c: nanos(position.created),
                i: position.id.simple().to_string(),
            }),
        },
    };
    // A struct of strings and integers always serializes.
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// The place `text` names in the query `fingerprint` ordered by `order`; `None` for the first
/// page (an empty cursor).
pub(crate) fn decode(
    text: &str,
    fingerprint: &str,
    order: Option<Order>,
) -> Result<Option<Resume>, ScimError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        ScimError::invalid_cursor(
            "the cursor is not one Roster gave: send an empty cursor for the first page, then each \
             response's nextCursor",
        )
    };
    if text.len() > MAX_CURSOR_CHARS {
        return Err(invalid());
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if wire.q != fingerprint {
        return Err(ScimError::invalid_cursor(
            "the cursor belongs to another query: repeat the filter, sortBy and sortOrder of the \
             first page unchanged, or start again with an empty cursor",
        ));
    }
    match (wire.o, wire.k) {
        (Some(offset), None) => Ok(Some(Resume::Offset(offset))),
        (None, Some(key)) => {
            let value = match (order.map(|o| o.column), key.t, key.m) {
                (None | Some(SortColumn::Id | SortColumn::Created), None, None) => None,
                (Some(SortColumn::UserName | SortColumn::DisplayName), Some(t), None) => {
                    Some(Bound::Text(t))
                }
                (Some(SortColumn::LastModified), None, Some(m)) => {
                    Some(Bound::Time(time_of(m).ok_or_else(invalid)?))
                }
                _ => return Err(invalid()),
            };
            Ok(Some(Resume::After(Position {
                order,
                value,
                created: time_of(key.c).ok_or_else(invalid)?,
                id: Uuid::try_parse(&key.i).map_err(|_| invalid())?,
            })))
        }
        _ => Err(invalid()),
    }
}

fn nanos(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

fn time_of(nanos: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(nanos)).ok()
}

#[cfg(test)]
mod tests {
    use roster_scim::schema::USER_RESOURCE;

    use super::*;

    fn position(order: Option<Order>, value: Option<Bound>) -> Position {
        Position {
            order,
            value,
            created: OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_000).unwrap(),
            id: Uuid::new_v4(),
        }
    }

    #[test]
    fn a_cursor_names_the_place_it_was_made_for() {
        let q = fingerprint(&USER_RESOURCE, None, None, false);
        let by_name = Some(Order {
            column: SortColumn::UserName,
            descending: true,
        });
        for (order, at) in [
            (None, position(None, None)),
            (
                by_name,
                position(by_name, Some(Bound::Text("ådå@x.org".into()))),
            ),
        ] {
            let cursor = encode(&q, &Resume::After(at.clone()));
            assert!(
                cursor
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)),
                "{cursor}: RFC 9865 allows unreserved characters only"
            );
            assert_eq!(decode(&cursor, &q, order), Ok(Some(Resume::After(at))));
        }
        let offset = encode(&q, &Resume::Offset(300));
        assert_eq!(decode(&offset, &q, None), Ok(Some(Resume::Offset(300))));
        assert_eq!(decode("", &q, None), Ok(None));
    }

    #[test]
    fn a_cursor_of_another_query_or_not_of_roster_is_refused() {
        let q = fingerprint(&USER_RESOURCE, None, None, false);
        let other = fingerprint(&USER_RESOURCE, None, None, true);
        assert_ne!(q, other);
        let cursor = encode(&other, &Resume::Offset(1));
        let refused = decode(&cursor, &q, None).unwrap_err();
        assert_eq!(
            refused.scim_type,
            Some(roster_scim::ScimType::InvalidCursor)
        );
        assert!(
            refused.detail.contains("another query"),
            "{}",
            refused.detail
        );
        for forged in [
            "!!",
            "bm90IGpzb24",
            &URL_SAFE_NO_PAD.encode(format!(r#"{{"q":"{q}"}}"#)),
            &URL_SAFE_NO_PAD.encode(format!(r#"{{"q":"{q}","o":1,"x":2}}"#)),
            // A text key where the order has none.
            &URL_SAFE_NO_PAD.encode(format!(
                r#"{{"q":"{q}","k":{{"t":"a","c":0,"i":"{}"}}}}"#,
                Uuid::nil()
            )),
            &"A".repeat(MAX_CURSOR_CHARS + 1),
        ] {
            let refused = decode(forged, &q, None).unwrap_err();
            assert_eq!(refused.status, 400, "{forged}");
            assert_eq!(
                refused.scim_type,
                Some(roster_scim::ScimType::InvalidCursor)
            );
        }
    }
}
