//! The common attributes, the User, Enterprise User and Group schemas, their resource types and the
//! service provider configuration: RFC 7643 §3.1, §4, §5, §6 and the schema representations of
//! §8.7.1 and §8.7.2.
//!
//! These statics are the only description of the schemas in Roster. Validation, normalisation,
//! projection, PATCH, filters and the `/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig`
//! documents are all derived from them; never write a second copy as JSON.
//!
//! Where §8.7.1 and the prose of §4 disagree, the choice is noted beside the attribute.

use crate::text::TextKind;

use super::{AttrType, Attribute, Mutability, ResourceType, Returned, Schema, Uniqueness};

// Small constructors so the tables below read like the RFC's: name, type, description, and only the
// characteristics that differ from the §2.2 defaults.

const fn string(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        description,
        ..Attribute::new(name, AttrType::String)
    }
}

const fn boolean(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        description,
        ..Attribute::new(name, AttrType::Boolean)
    }
}

const fn reference(
    name: &'static str,
    reference_types: &'static [&'static str],
    description: &'static str,
) -> Attribute {
    Attribute {
        description,
        reference_types,
        ..Attribute::new(name, AttrType::Reference)
    }
}

const fn complex(
    name: &'static str,
    sub_attributes: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    Attribute {
        description,
        sub_attributes,
        ..Attribute::new(name, AttrType::Complex)
    }
}

const fn multi_complex(
    name: &'static str,
    sub_attributes: &'static [Attribute],
    description: &'static str,
) -> Attribute {
    Attribute {
        multi_valued: true,
        ..complex(name, sub_attributes, description)
    }
}

/// A string that names something: no control characters, at most
/// [`NAME_MAX_CHARS`](crate::text::NAME_MAX_CHARS) characters.
const fn name_string(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        text: TextKind::Name,
        ..string(name, description)
    }
}

const fn read_only(attribute: Attribute) -> Attribute {
    Attribute {
        mutability: Mutability::ReadOnly,
        ..attribute
    }
}

const fn immutable(attribute: Attribute) -> Attribute {
    Attribute {
        mutability: Mutability::Immutable,
        ..attribute
    }
}

const fn canonical(attribute: Attribute, values: &'static [&'static str]) -> Attribute {
    Attribute {
        canonical_values: values,
        ..attribute
    }
}

/// The `type` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
const fn plural_type(
    canonical_values: &'static [&'static str],
    description: &'static str,
) -> Attribute {
    canonical(string("type", description), canonical_values)
}

/// The `display` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
const DISPLAY: Attribute = string(
    "display",
    "A human-readable name, primarily used for display purposes.",
);

/// The `primary` sub-attribute of a multi-valued attribute (RFC 7643 §2.4).
const PRIMARY: Attribute = boolean(
    "primary",
    "A Boolean value indicating the 'primary' or preferred attribute value for this attribute. \
     The primary attribute value 'true' MUST appear no more than once.",
);

/// Attributes every resource has (RFC 7643 §3.1). They are not part of any schema document
/// (§7: "id", "externalId" and "meta" are not listed in `/Schemas`), but resolve against the
/// core schema of every resource type.
pub static COMMON_ATTRIBUTES: &[Attribute] = &[
    Attribute {
        case_exact: true,
        mutability: Mutability::ReadOnly,
        returned: Returned::Always,
        uniqueness: Uniqueness::Server,
        ..string(
            "id",
            "A unique identifier for a SCIM resource as defined by the service provider.",
        )
    },
    Attribute {
        case_exact: true,
        ..name_string(
            "externalId",
            "A String that is an identifier for the resource as defined by the provisioning client.",
        )
    },
    read_only(complex(
        "meta",
        &[
            read_only(Attribute {
                case_exact: true,
                ..string(
                    "resourceType",
                    "The name of the resource type of the resource.",
                )
            }),
            read_only(Attribute {
                description: "The DateTime that the resource was added to the service provider.",
                ..Attribute::new("created", AttrType::DateTime)
            }),
            read_only(Attribute {
                description: "The most recent DateTime that the details of this resource were \
                              updated at the service provider.",
                ..Attribute::new("lastModified", AttrType::DateTime)
            }),
            read_only(reference(
                "location",
                &["uri"],
                "The URI of the resource being returned.",
            )),
            read_only(Attribute {
                case_exact: true,
                ..string(
                    "version",
                    "The version (ETag) of the resource being returned.",
                )
            }),
        ],
        "A complex attribute containing resource metadata.",
    )),
];

/// `urn:ietf:params:scim:schemas:core:2.0:User` (RFC 7643 §4.1, §8.7.1).
pub static USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:User",
    name: "User",
    description: "User Account",
    attributes: &[
        Attribute {
            required: true,
            uniqueness: Uniqueness::Server,
            ..name_string(
                "userName",
                "Unique identifier for the User, typically used by the user to directly \
                 authenticate to the service provider. Each User MUST include a non-empty \
                 userName value. This identifier MUST be unique across the service provider's \
                 entire set of Users.",
            )
        },
        complex(
            "name",
            &[
                name_string(
                    "formatted",
                    "The full name, including all middle names, titles, and suffixes as \
                     appropriate, formatted for display.",
                ),
                name_string("familyName", "The family name of the User, or last name."),
                name_string("givenName", "The given name of the User, or first name."),
                name_string("middleName", "The middle name(s) of the User."),
                name_string(
                    "honorificPrefix",
                    "The honorific prefix(es) of the User, or title in most Western languages.",
                ),
                name_string(
                    "honorificSuffix",
                    "The honorific suffix(es) of the User, or suffix in most Western languages.",
                ),
            ],
            "The components of the user's real name.",
        ),
        name_string(
            "displayName",
            "The name of the User, suitable for display to end-users.",
        ),
        string(
            "nickName",
            "The casual way to address the user in real life.",
        ),
        reference(
            "profileUrl",
            &["external"],
            "A fully qualified URL pointing to a page representing the User's online profile.",
        ),
        string("title", "The user's title, such as \"Vice President\"."),
        string(
            "userType",
            "Used to identify the relationship between the organization and the user.",
        ),
        string(
            "preferredLanguage",
            "Indicates the User's preferred written or spoken language (RFC 7231 \
             Accept-Language format).",
        ),
        string(
            "locale",
            "Used to indicate the User's default location for purposes of localizing items \
             such as currency, date time format, or numerical representations.",
        ),
        string(
            "timezone",
            "The User's time zone in the 'Olson' time zone database format, e.g., \
             'America/Los_Angeles'.",
        ),
        boolean(
            "active",
            "A Boolean value indicating the User's administrative status.",
        ),
        Attribute {
            mutability: Mutability::WriteOnly,
            returned: Returned::Never,
            ..string(
                "password",
                "The User's cleartext password. This attribute is intended to be used as a means \
                 to specify an initial password when creating a new User or to reset an existing \
                 User's password.",
            )
        },
        multi_complex(
            "emails",
            &[
                string("value", "Email addresses for the user."),
                DISPLAY,
                plural_type(
                    &["work", "home", "other"],
                    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                ),
                PRIMARY,
            ],
            "Email addresses for the user.",
        ),
        multi_complex(
            "phoneNumbers",
            &[
                string("value", "Phone number of the User."),
                DISPLAY,
                plural_type(
                    &["work", "home", "mobile", "fax", "pager", "other"],
                    "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
                ),
                PRIMARY,
            ],
            "Phone numbers for the User.",
        ),
        multi_complex(
            "ims",
            &[
                string("value", "Instant messaging address for the User."),
                DISPLAY,
                plural_type(
                    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                    "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
                ),
                PRIMARY,
            ],
            "Instant messaging addresses for the User.",
        ),
        multi_complex(
            "photos",
            &[
                reference("value", &["external"], "URL of a photo of the User."),
                DISPLAY,
                plural_type(
                    &["photo", "thumbnail"],
                    "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
                ),
                PRIMARY,
            ],
            "URLs of photos of the User.",
        ),
        multi_complex(
            "addresses",
            &[
                string(
                    "formatted",
                    "The full mailing address, formatted for display or use with a mailing label.",
                ),
                string(
                    "streetAddress",
                    "The full street address component, which may include house number, street \
                     name, P.O. box, and multi-line extended street address information.",
                ),
                string("locality", "The city or locality component."),
                string("region", "The state or region component."),
                string("postalCode", "The zip code or postal code component."),
                string("country", "The country name component."),
                plural_type(
                    &["work", "home", "other"],
                    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
                ),
                // §8.7.1 omits `primary` here, but §4.1.2 and §2.4 give every multi-valued
                // attribute one, and clients (Entra among them) send it.
                PRIMARY,
            ],
            "A physical mailing address for this User.",
        ),
        // Server-computed from group membership (§4.1.2): "readOnly", changed through the Group
        // resource only.
        read_only(multi_complex(
            "groups",
            &[
                read_only(string("value", "The identifier of the User's group.")),
                read_only(reference(
                    "$ref",
                    &["User", "Group"],
                    "The URI of the corresponding 'Group' resource to which the user belongs.",
                )),
                read_only(DISPLAY),
                read_only(plural_type(
                    &["direct", "indirect"],
                    "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
                )),
            ],
            "A list of groups to which the user belongs, either through direct membership, \
             through nested groups, or dynamically calculated.",
        )),
        multi_complex(
            "entitlements",
            &[
                string("value", "The value of an entitlement."),
                DISPLAY,
                string("type", "A label indicating the attribute's function."),
                PRIMARY,
            ],
            "A list of entitlements for the User that represent a thing the User has.",
        ),
        multi_complex(
            "roles",
            &[
                string("value", "The value of a role."),
                DISPLAY,
                string("type", "A label indicating the attribute's function."),
                PRIMARY,
            ],
            "A list of roles for the User that collectively represent who the User is, e.g., \
             'Student', 'Faculty'.",
        ),
        multi_complex(
            "x509Certificates",
            &[
                Attribute {
                    description: "The value of an X.509 certificate.",
                    ..Attribute::new("value", AttrType::Binary)
                },
                DISPLAY,
                string("type", "A label indicating the attribute's function."),
                PRIMARY,
            ],
            "A list of certificates issued to the User.",
        ),
    ],
};

/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (RFC 7643 §4.3, §8.7.1).
pub static ENTERPRISE_USER: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string(
            "employeeNumber",
            "Numeric or alphanumeric identifier assigned to a person, typically based on order \
             of hire or association with an organization.",
        ),
        string("costCenter", "Identifies the name of a cost center."),
        string("organization", "Identifies the name of an organization."),
        string("division", "Identifies the name of a division."),
        string("department", "Identifies the name of a department."),
        // §4.3 calls `value` and `$ref` "REQUIRED", but §8.7.1 declares them optional: a
        // manager given by `value` alone (what Entra sends) must be accepted.
        complex(
            "manager",
            &[
                string(
                    "value",
                    "The id of the SCIM resource representing the User's manager.",
                ),
                reference(
                    "$ref",
                    &["User"],
                    "The URI of the SCIM resource representing the User's manager.",
                ),
                read_only(string(
                    "displayName",
                    "The displayName of the User's manager.",
                )),
            ],
            "The User's manager. A complex type that optionally allows service providers to \
             represent organizational hierarchy by referencing the 'id' attribute of another \
             User.",
        ),
    ],
};

/// `urn:ietf:params:scim:schemas:core:2.0:Group` (RFC 7643 §4.2, §8.7.1).
pub static GROUP: Schema = Schema {
    id: "urn:ietf:params:scim:schemas:core:2.0:Group",
    name: "Group",
    description: "Group",
    attributes: &[
        // §4.2 says "REQUIRED" (§8.7.1 says optional); Roster needs a name to match groups by
        // and keeps it unique per organization, which the domain enforces case-insensitively.
        Attribute {
            required: true,
            ..name_string("displayName", "A human-readable name for the Group.")
        },
        multi_complex(
            "members",
            &[
                immutable(string("value", "Identifier of the member of this Group.")),
                immutable(reference(
                    "$ref",
                    &["User", "Group"],
                    "The URI corresponding to a SCIM resource that is a member of this Group.",
                )),
                immutable(canonical(
                    string(
                        "type",
                        "A label indicating the type of resource, e.g., 'User' or 'Group'.",
                    ),
                    &["User", "Group"],
                )),
            ],
            "A list of members of the Group.",
        ),
    ],
};

/// The User resource type (RFC 7643 §6): core User plus the optional Enterprise User extension.
pub static USER_RESOURCE: ResourceType = ResourceType {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
};

/// The Group resource type (RFC 7643 §6).
pub static GROUP_RESOURCE: ResourceType = ResourceType {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: &GROUP,
    extensions: &[],
};

/// Every resource type Roster serves, in `/ResourceTypes` order.
pub static RESOURCE_TYPES: &[&ResourceType] = &[&USER_RESOURCE, &GROUP_RESOURCE];

/// Every schema Roster serves, in `/Schemas` order.
pub static SCHEMAS: &[&Schema] = &[&USER, &ENTERPRISE_USER, &GROUP];

/// An authentication scheme of the service provider configuration (RFC 7643 §5).
#[derive(Debug, Clone, Copy)]
pub struct AuthenticationScheme {
    pub kind: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub spec_uri: &'static str,
    pub primary: bool,
}

/// What Roster's SCIM service supports (RFC 7643 §5), rendered at `/ServiceProviderConfig`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceProviderConfig {
    pub patch: bool,
    pub bulk: bool,
    pub filter: bool,
    /// The most resources one list response holds; also the largest `count` honoured.
    pub max_results: usize,
    /// The resources a list response holds when the request names no `count`.
    pub default_page_size: usize,
    pub change_password: bool,
    pub sort: bool,
    pub etag: bool,
    pub authentication_schemes: &'static [AuthenticationScheme],
}

pub static SERVICE_PROVIDER_CONFIG: ServiceProviderConfig = ServiceProviderConfig {
    patch: true,
    bulk: false,
    filter: true,
    max_results: 1000,
    default_page_size: 100,
    change_password: false,
    sort: true,
    etag: true,
    authentication_schemes: &[AuthenticationScheme {
        kind: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "Authentication scheme using the OAuth Bearer Token Standard",
        spec_uri: "https://www.rfc-editor.org/info/rfc6750",
        primary: true,
    }],
};
