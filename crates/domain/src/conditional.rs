//! Conditional requests (RFC 7644 §3.14, RFC 7232): the one entity-tag matcher behind `If-Match`
//! on writes and `If-None-Match` on reads.
//!
//! A resource's entity tag is `W/"<version>"` ([`crate::etag`]). Both headers compare tags with
//! the weak comparison of RFC 7232 §2.3.2 (the opaque parts are equal, `W/` or not). RFC 7232
//! §3.1 asks `If-Match` for the strong comparison, but Roster's tags are all weak, so a strong
//! comparison could never succeed; RFC 7644 §3.14 itself shows `If-Match: W/"..."`.

use crate::{Account, Group, OrgScope, Roster, error::Result, etag};

/// What a read with `If-None-Match` found (RFC 7232 §3.2).
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<T> {
    /// The client's copy is missing or out of date: here is the resource.
    Modified(T),
    /// The client holds the current version: answer 304 with this entity tag.
    NotModified { etag: String },
}

impl Roster {
    /// `GET /Users/{id}` with the client's `If-None-Match`, if it sent one.
    pub async fn scim_user_if_modified(
        &self,
        scope: OrgScope,
        id: &str,
        if_none_match: Option<&str>,
    ) -> Result<Conditional<Account>> {
        let account = self.scim_user(scope, id).await?;
        Ok(unless_current(account.version, if_none_match, account))
    }

    /// `GET /Groups/{id}` with the client's `If-None-Match`, if it sent one.
    pub async fn scim_group_if_modified(
        &self,
        scope: OrgScope,
        id: &str,
        if_none_match: Option<&str>,
    ) -> Result<Conditional<Group>> {
        let group = self.scim_group(scope, id).await?;
        Ok(unless_current(group.version, if_none_match, group))
    }
}

fn unless_current<T>(version: i64, if_none_match: Option<&str>, resource: T) -> Conditional<T> {
    match if_none_match {
        Some(header) if etag_matches(header, version) => Conditional::NotModified {
            etag: etag(version),
        },
        _ => Conditional::Modified(resource),
    }
}

/// Whether an `If-Match` or `If-None-Match` value names the current version: `*`, or a list of
/// entity tags one of which equals `W/"<version>"` under the weak comparison.
///
/// Lenient where that costs nothing: a tag without quotes (`3`) is read as `"3"`, and `*` counts
/// inside a list too. An unterminated quoted tag runs to the end of the value.
pub(crate) fn etag_matches(header: &str, version: i64) -> bool {
    let current = version.to_string();
    entity_tags(header).any(|tag| match tag {
        Tag::Any => true,
        Tag::Opaque(opaque) => opaque == current,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag<'a> {
    /// `*`
    Any,
    /// The opaque part of an entity tag, without `W/` and quotes (RFC 7232 §2.3).
    Opaque(&'a str),
}

/// The entity tags of a header value, in order. A quoted tag may contain commas
/// (RFC 7232 §2.3 `etagc`), so the list is read tag by tag rather than split on commas.
fn entity_tags(header: &str) -> impl Iterator<Item = Tag<'_>> {
    let mut rest = header;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let tag = rest.strip_prefix("W/").unwrap_or(rest);
        if let Some(quoted) = tag.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            rest = quoted.get(end + 1..).unwrap_or("");
            return Some(Tag::Opaque(&quoted[..end]));
        }
        let end = tag.find(',').unwrap_or(tag.len());
        rest = &tag[end..];
        Some(match tag[..end].trim() {
            "*" => Tag::Any,
            bare => Tag::Opaque(bare),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(header: &str) -> Vec<Tag<'_>> {
        entity_tags(header).collect()
    }

    #[test]
    fn a_list_is_read_tag_by_tag_with_commas_inside_quotes() {
        assert_eq!(
            tags(r#" W/"1" ,"2",, W/"a,b", *"#),
            [
                Tag::Opaque("1"),
                Tag::Opaque("2"),
                Tag::Opaque("a,b"),
                Tag::Any
            ]
        );
        assert_eq!(tags("*"), [Tag::Any]);
        assert_eq!(tags(""), []);
        assert_eq!(tags(" , "), []);
        assert_eq!(tags(r#""unterminated"#), [Tag::Opaque("unterminated")]);
        assert_eq!(tags("3, 4"), [Tag::Opaque("3"), Tag::Opaque("4")]);
    }

    #[test]
    fn weak_and_strong_forms_of_the_current_version_match() {
        assert!(etag_matches(r#"W/"7""#, 7));
        assert!(etag_matches(r#""7""#, 7));
        assert!(etag_matches("7", 7));
        assert!(etag_matches(&etag(7), 7));
        assert!(!etag_matches(r#"W/"6""#, 7));
        assert!(!etag_matches(r#""77""#, 7));
        assert!(!etag_matches(r#"W/"7"#, 77), "a tag is compared whole");
    }

    #[test]
    fn star_or_any_tag_of_a_list_matches() {
        assert!(etag_matches("*", 1));
        assert!(etag_matches(r#"W/"1", W/"2""#, 2));
        assert!(etag_matches(r#""9", *"#, 2));
        assert!(!etag_matches(r#"W/"1", "3""#, 2));
        assert!(!etag_matches("", 2));
        assert!(!etag_matches("W/", 2));
    }

    #[test]
    fn not_modified_only_for_the_current_version() {
        assert_eq!(
            unless_current(3, Some(r#"W/"3""#), "r"),
            Conditional::NotModified {
                etag: r#"W/"3""#.into()
            }
        );
        assert_eq!(
            unless_current(4, Some(r#"W/"3""#), "r"),
            Conditional::Modified("r")
        );
        assert_eq!(unless_current(4, None, "r"), Conditional::Modified("r"));
    }
}
