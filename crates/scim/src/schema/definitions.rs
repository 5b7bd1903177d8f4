//! The User, Enterprise User and Group schemas of RFC 7643 §4 and §8.7.
//!
//! PLACEHOLDER: a handful of attributes so the crate compiles; the full definitions replace this.

use super::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness};

pub static COMMON_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        ..Attribute::new("id", AttrType::String)
    },
    Attribute {
        case_exact: true,
        ..Attribute::new("externalId", AttrType::String)
    },
    Attribute {
        mutability: Mutability::ReadOnly,
        sub_attributes: &[Attribute::new("lastModified", AttrType::DateTime)],
        ..Attribute::new("meta", AttrType::Complex)
    },
];

pub static USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:User",
    name: "User",
    description: "User Account",
    attributes: &[
        Attribute {
            required: true,
            uniqueness: Uniqueness::Server,
            ..Attribute::new("userName", AttrType::String)
        },
        Attribute {
            sub_attributes: &[Attribute::new("givenName", AttrType::String)],
            ..Attribute::new("name", AttrType::Complex)
        },
        Attribute::new("displayName", AttrType::String),
        Attribute::new("active", AttrType::Boolean),
        Attribute {
            multi_valued: true,
            sub_attributes: &[
                Attribute::new("value", AttrType::String),
                Attribute::new("type", AttrType::String),
                Attribute::new("primary", AttrType::Boolean),
            ],
            ..Attribute::new("emails", AttrType::Complex)
        },
    ],
};

pub static ENTERPRISE_USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[Attribute::new("employeeNumber", AttrType::String)],
};

pub static GROUP: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:Group",
    name: "Group",
    description: "Group",
    attributes: &[
        Attribute {
            required: true,
            ..Attribute::new("displayName", AttrType::String)
        },
        Attribute {
            multi_valued: true,
            sub_attributes: &[Attribute {
                mutability: Mutability::Immutable,
                ..Attribute::new("value", AttrType::String)
            }],
            ..Attribute::new("members", AttrType::Complex)
        },
    ],
};

pub static USER_RESOURCE: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

pub static GROUP_RESOURCE: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};
