//! A small, fixed schema for unit tests of filters, paths and PATCH, so their expectations do not
//! move when the real definitions change. It mirrors the RFC 7643 attributes the tests use and adds
//! an integer and an immutable attribute, which the real User schema lacks. Common attributes (`id`,
//! `externalId`, `meta`) come from the real definitions: `ResourceType::resolve` shares them.

use crate::schema::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness};

const MULTI_VALUE_SUBS: &[Attribute] = &[
    Attribute::new("value", AttrType::String),
    Attribute::new("display", AttrType::String),
    Attribute::new("type", AttrType::String),
    Attribute::new("primary", AttrType::Boolean),
];

pub static USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:User",
    name: "User",
    description: "test user",
    attributes: &[
        Attribute {
            required: true,
            uniqueness: Uniqueness::Server,
            ..Attribute::new("userName", AttrType::String)
        },
        Attribute {
            sub_attributes: &[
                Attribute::new("formatted", AttrType::String),
                Attribute::new("familyName", AttrType::String),
                Attribute::new("givenName", AttrType::String),
            ],
            ..Attribute::new("name", AttrType::Complex)
        },
        Attribute::new("displayName", AttrType::String),
        Attribute::new("title", AttrType::String),
        Attribute::new("active", AttrType::Boolean),
        Attribute::new("loginCount", AttrType::Integer),
        Attribute::new("score", AttrType::Decimal),
        Attribute {
            mutability: Mutability::Immutable,
            ..Attribute::new("badge", AttrType::String)
        },
        Attribute {
            case_exact: true,
            returned: Returned::Never,
            ..Attribute::new("password", AttrType::String)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: MULTI_VALUE_SUBS,
            ..Attribute::new("emails", AttrType::Complex)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: MULTI_VALUE_SUBS,
            ..Attribute::new("phoneNumbers", AttrType::Complex)
        },
        Attribute {
            multi_valued: true,
            mutability: Mutability::ReadOnly,
            sub_attributes: MULTI_VALUE_SUBS,
            ..Attribute::new("groups", AttrType::Complex)
        },
        Attribute {
            multi_valued: true,
            ..Attribute::new("nicknames", AttrType::String)
        },
    ],
};

pub static ENTERPRISE: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    name: "EnterpriseUser",
    description: "test enterprise user",
    attributes: &[
        Attribute::new("employeeNumber", AttrType::String),
        Attribute::new("department", AttrType::String),
        Attribute {
            sub_attributes: &[
                Attribute::new("value", AttrType::String),
                Attribute::new("$ref", AttrType::Reference),
                Attribute {
                    mutability: Mutability::ReadOnly,
                    ..Attribute::new("displayName", AttrType::String)
                },
            ],
            ..Attribute::new("manager", AttrType::Complex)
        },
    ],
};

pub static GROUP: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:Group",
    name: "Group",
    description: "test group",
    attributes: &[
        Attribute {
            required: true,
            ..Attribute::new("displayName", AttrType::String)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[
                Attribute {
                    mutability: Mutability::Immutable,
                    ..Attribute::new("value", AttrType::String)
                },
                Attribute {
                    mutability: Mutability::Immutable,
                    ..Attribute::new("$ref", AttrType::Reference)
                },
                Attribute {
                    mutability: Mutability::Immutable,
                    ..Attribute::new("type", AttrType::String)
                },
                Attribute {
                    mutability: Mutability::ReadOnly,
                    ..Attribute::new("display", AttrType::String)
                },
            ],
            ..Attribute::new("members", AttrType::Complex)
        },
    ],
};

pub static USER_RT: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "test",
    schema: &USER,
    extensions: &[(&ENTERPRISE, false)],
};

pub static GROUP_RT: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "test",
    schema: &GROUP,
    extensions: &[],
};

/// Property-test settings: `default_cases` unless `PROPTEST_CASES` asks for more (long runs).
pub fn proptest_config(default_cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default_cases);
    proptest::test_runner::Config {
        cases,
        ..Default::default()
    }
}
