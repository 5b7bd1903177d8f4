//! The filter syntax tree (RFC 7644 §3.4.2.2) and the attribute path it is built on.
//!
//! Names are kept as the client wrote them (attribute names are case-insensitive, so `USERNAME` and
//! `userName` are different trees that mean the same thing); resolve a path against a schema with
//! [`AttrPath::resolve`](crate::filter::ResolvedPath) to get the canonical definition.

use serde_json::Number;

/// `attrPath` of RFC 7644 §3.10: `[URI ":"] ATTRNAME ["." subAttr]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    /// The schema URN when the path is qualified, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub urn: Option<String>,
    /// The top-level attribute, e.g. `name` or `employeeNumber`.
    pub attr: String,
    /// The sub-attribute after the `.`, e.g. `familyName`.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// An unqualified path to a top-level attribute.
    pub fn new(attr: impl Into<String>) -> Self {
        Self {
            urn: None,
            attr: attr.into(),
            sub_attr: None,
        }
    }

    /// The same path with a sub-attribute.
    #[must_use]
    pub fn with_sub(mut self, sub: impl Into<String>) -> Self {
        self.sub_attr = Some(sub.into());
        self
    }

    /// The same path qualified with a schema URN.
    #[must_use]
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }
}

/// The comparison operators of RFC 7644 §3.4.2.2, Table 3 (`pr` is [`Filter::Present`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        Self::Eq,
        Self::Ne,
        Self::Co,
        Self::Sw,
        Self::Ew,
        Self::Gt,
        Self::Ge,
        Self::Lt,
        Self::Le,
    ];

    /// The canonical (lower-case) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Co => "co",
            Self::Sw => "sw",
            Self::Ew => "ew",
            Self::Gt => "gt",
            Self::Ge => "ge",
            Self::Lt => "lt",
            Self::Le => "le",
        }
    }

    /// Reads an operator ignoring case (`EQ`, `Eq` and `eq` are the same operator).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// `gt`, `ge`, `lt`, `le`: the operators RFC 7644 §3.4.2.2 refuses on booleans and binaries.
    pub fn is_ordering(self) -> bool {
        matches!(self, Self::Gt | Self::Ge | Self::Lt | Self::Le)
    }

    /// `co`, `sw`, `ew`: substring operators, meaningful on strings only.
    pub fn is_substring(self) -> bool {
        matches!(self, Self::Co | Self::Sw | Self::Ew)
    }
}

/// `compValue` of RFC 7644 §3.4.2.2: a JSON literal. Date-times are strings; they are compared as
/// instants when the attribute's type is `dateTime`.
#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
}

/// A parsed filter.
///
/// `and`/`or` chains are left-associative binary trees (`a and b and c` is `And(And(a, b), c)`);
/// parentheses only group and leave no node. Consumers such as the SQL compilers walk it by
/// matching on the public variants.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`, e.g. `userName eq "ada"`.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `path pr`.
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// `attr[filter]`: some element of the complex attribute `attr` matches `filter`, whose paths are
    /// relative to the element (`emails[type eq "work" and value co "@x.org"]`). `attr` has no
    /// sub-attribute, and `filter` contains no further `ValuePath`.
    ValuePath {
        attr: AttrPath,
        filter: Box<Filter>,
    },
}

impl Filter {
    /// Visits every attribute path of the filter, outside brackets with `None`, inside a value path
    /// with `Some(parent)`.
    pub fn for_each_path<'a>(&'a self, f: &mut impl FnMut(&'a AttrPath, Option<&'a AttrPath>)) {
        self.walk_paths(None, f);
    }

    fn walk_paths<'a>(
        &'a self,
        parent: Option<&'a AttrPath>,
        f: &mut impl FnMut(&'a AttrPath, Option<&'a AttrPath>),
    ) {
        match self {
            Self::Compare { path, .. } | Self::Present(path) => f(path, parent),
            Self::And(a, b) | Self::Or(a, b) => {
                a.walk_paths(parent, f);
                b.walk_paths(parent, f);
            }
            Self::Not(inner) => inner.walk_paths(parent, f),
            Self::ValuePath { attr, filter } => {
                f(attr, parent);
                filter.walk_paths(Some(attr), f);
            }
        }
    }

    /// The number of nodes of the tree (what the parser's node limit counts).
    pub fn node_count(&self) -> usize {
        match self {
            Self::Compare { .. } | Self::Present(_) => 1,
            Self::And(a, b) | Self::Or(a, b) => 1 + a.node_count() + b.node_count(),
            Self::Not(inner) | Self::ValuePath { filter: inner, .. } => 1 + inner.node_count(),
        }
    }
}
