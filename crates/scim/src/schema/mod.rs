//! Attribute definitions (RFC 7643 §2, §7): the single source for input validation, case-insensitive
//! attribute lookup, PATCH, projection, filters and the `/Schemas` discovery documents.

mod definitions;

use crate::text::TextKind;

pub use definitions::{
    AuthenticationScheme, COMMON_ATTRIBUTES, ENTERPRISE_USER, GROUP, GROUP_RESOURCE,
    RESOURCE_TYPES, SCHEMAS, SERVICE_PROVIDER_CONFIG, ServiceProviderConfig, USER, USER_RESOURCE,
};

/// `type` of RFC 7643 §2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// `mutability` of RFC 7643 §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// `returned` of RFC 7643 §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// `uniqueness` of RFC 7643 §7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

impl AttrType {
    /// The name RFC 7643 §7 uses in schema documents (`"dateTime"`, `"complex"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Binary => "binary",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }
}

impl Mutability {
    /// The name RFC 7643 §7 uses in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadOnly => "readOnly",
            Self::ReadWrite => "readWrite",
            Self::Immutable => "immutable",
            Self::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// The name RFC 7643 §7 uses in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::Never => "never",
            Self::Default => "default",
            Self::Request => "request",
        }
    }
}

impl Uniqueness {
    /// The name RFC 7643 §7 uses in schema documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Server => "server",
            Self::Global => "global",
        }
    }
}

/// One attribute definition. Build them in `const` context with [`Attribute::new`] and struct update
/// syntax: `Attribute { required: true, ..Attribute::new("userName", AttrType::String) }`.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub name: &'static str,
    pub kind: AttrType,
    pub multi_valued: bool,
    pub description: &'static str,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    pub canonical_values: &'static [&'static str],
    pub reference_types: &'static [&'static str],
    pub sub_attributes: &'static [Attribute],
    /// For string values: a name or free text ([`crate::text`] says what each may hold).
    pub text: TextKind,
}

/// Most values Roster keeps in one multi-valued attribute (`emails`, `phoneNumbers`, `roles`, ...).
/// RFC 7643 sets no bound; real directories send a handful, and a bound keeps every request's
/// work and every stored row small. Group `members` is not bounded here: memberships are rows,
/// changed one by one, never a value held in the resource.
pub const MAX_VALUES: usize = 1_000;

impl Attribute {
    /// The most values this attribute may hold, when it is bounded (see [`MAX_VALUES`]).
    pub fn max_values(&self) -> Option<usize> {
        (self.multi_valued && !self.name.eq_ignore_ascii_case("members")).then_some(MAX_VALUES)
    }

    /// 400 `invalidValue` when `count` values are more than the attribute may hold.
    pub fn check_value_count(&self, count: usize, path: &str) -> Result<(), crate::ScimError> {
        match self.max_values() {
            Some(max) if count > max => Err(crate::ScimError::invalid_value(format!(
                "{path} holds {count} values; Roster keeps at most {max} values of one attribute"
            ))),
            _ => Ok(()),
        }
    }

    /// RFC 7643 §2.2 defaults: single-valued, optional, case-insensitive, readWrite, returned by
    /// default, not unique.
    pub const fn new(name: &'static str, kind: AttrType) -> Self {
        Self {
            name,
            kind,
            multi_valued: false,
            description: "",
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: &[],
            reference_types: &[],
            sub_attributes: &[],
            text: TextKind::Free,
        }
    }

    /// The sub-attribute called `name`, ignoring case (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static Attribute> {
        find(self.sub_attributes, name)
    }
}

/// A schema: its URN and its top-level attributes.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: &'static [Attribute],
}

impl Schema {
    /// The top-level attribute called `name`, ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&'static Attribute> {
        find(self.attributes, name)
    }
}

/// A resource type (RFC 7643 §6): a core schema plus its extensions.
#[derive(Debug, Clone, Copy)]
pub struct ResourceType {
    pub id: &'static str,
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub schema: &'static Schema,
    /// Extension schemas and whether each is required.
    pub extensions: &'static [(&'static Schema, bool)],
}

/// Where an attribute was found: which schema (core or an extension) and its definition.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedAttribute {
    pub schema: &'static Schema,
    /// `true` when the attribute lives in an extension, i.e. under the extension's URN key.
    pub in_extension: bool,
    pub attribute: &'static Attribute,
}

impl ResourceType {
    /// Every schema URN of this resource type, core first.
    pub fn schema_ids(&self) -> impl Iterator<Item = &'static str> + '_ {
        std::iter::once(self.schema.id).chain(self.extensions.iter().map(|(s, _)| s.id))
    }

    /// The extension schema whose URN is `urn`, ignoring case.
    pub fn extension(&self, urn: &str) -> Option<&'static Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| *s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Resolves a top-level attribute name, optionally URN-qualified
    /// (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`), to its
    /// definition. Common attributes (`id`, `externalId`, `meta`) resolve against the core schema.
    pub fn resolve(&self, name: &str) -> Option<ResolvedAttribute> {
        let (urn, attr) = split_urn(name);
        match urn {
            None => find(COMMON_ATTRIBUTES, attr)
                .or_else(|| self.schema.attribute(attr))
                .map(|attribute| ResolvedAttribute {
                    schema: self.schema,
                    in_extension: false,
                    attribute,
                }),
            Some(urn) if urn.eq_ignore_ascii_case(self.schema.id) => find(COMMON_ATTRIBUTES, attr)
                .or_else(|| self.schema.attribute(attr))
                .map(|attribute| ResolvedAttribute {
                    schema: self.schema,
                    in_extension: false,
                    attribute,
                }),
            Some(urn) => {
                let schema = self.extension(urn)?;
                schema.attribute(attr).map(|attribute| ResolvedAttribute {
                    schema,
                    in_extension: true,
                    attribute,
                })
            }
        }
    }
}

/// Splits `urn:...:Schema:attr` into the schema URN and the attribute name. A name that does not
/// start with `urn:` has no URN. The attribute is what follows the last `:`; a sub-attribute
/// (`attr.sub`) is left for the caller to split.
pub fn split_urn(name: &str) -> (Option<&str>, &str) {
    if starts_with_urn(name) {
        match name.rfind(':') {
            Some(i) => (Some(&name[..i]), &name[i + 1..]),
            None => (None, name),
        }
    } else {
        (None, name)
    }
}

/// Whether `name` starts with `urn:` (any case) and goes on. Its fifth byte may be inside a
/// multi-byte character (`abcé`): compared without slicing there.
pub(crate) fn starts_with_urn(name: &str) -> bool {
    name.len() > 4 && name.as_bytes()[..4].eq_ignore_ascii_case(b"urn:")
}

fn find(attributes: &'static [Attribute], name: &str) -> Option<&'static Attribute> {
    attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_lookup_ignores_case() {
        assert_eq!(USER.attribute("USERNAME").map(|a| a.name), Some("userName"));
        let name = USER
            .attribute("name")
            .and_then(|a| a.sub_attribute("givenname"));
        assert_eq!(name.map(|a| a.name), Some("givenName"));
    }

    #[test]
    fn a_name_with_a_multi_byte_character_across_its_fifth_byte_has_no_urn() {
        // Found by the hostile_http test: slicing at byte 4 panicked, and the request was a 500.
        assert_eq!(split_urn("abcé"), (None, "abcé"));
        assert_eq!(split_urn("urnﬀ:x"), (None, "urnﬀ:x"));
        assert!(USER_RESOURCE.resolve("abcé").is_none());
        assert_eq!(split_urn("URN:a:b"), (Some("URN:a"), "b"));
    }

    #[test]
    fn urn_qualified_names_resolve_to_their_extension() {
        let resolved = USER_RESOURCE
            .resolve("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber")
            .map(|r| (r.schema.id, r.in_extension, r.attribute.name));
        assert_eq!(resolved, Some((ENTERPRISE_USER.id, true, "employeeNumber")));
        let core = USER_RESOURCE
            .resolve("urn:ietf:params:scim:schemas:core:2.0:User:userName")
            .map(|r| r.attribute.name);
        assert_eq!(core, Some("userName"));
        assert_eq!(
            USER_RESOURCE.resolve("meta").map(|r| r.attribute.name),
            Some("meta")
        );
    }
}
