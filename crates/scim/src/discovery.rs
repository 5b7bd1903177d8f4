//! The discovery documents of RFC 7644 §4: `/ServiceProviderConfig` (RFC 7643 §5),
//! `/ResourceTypes` (§6) and `/Schemas` (§7).
//!
//! Every document is rendered from the statics in [`crate::schema`]; nothing here is a hand-written
//! copy of a schema, so the documents cannot drift from what Roster validates. `base_url` is the
//! tenant URL (`https://roster.example.edu/scim/v2/<org>`), with or without a trailing slash; it
//! only feeds `meta.location`.

use serde_json::{Map, Value, json};

use crate::schema::{
    AttrType, Attribute, RESOURCE_TYPES, ResourceType, SCHEMAS, SERVICE_PROVIDER_CONFIG, Schema,
};

/// `schemas` of the service provider configuration (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_URN: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// `schemas` of a resource type document (RFC 7643 §6).
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// `schemas` of a schema document (RFC 7643 §7).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

fn trim(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// The `/ServiceProviderConfig` document (RFC 7643 §5).
pub fn service_provider_config(base_url: &str) -> Value {
    let config = &SERVICE_PROVIDER_CONFIG;
    let schemes: Vec<Value> = config
        .authentication_schemes
        .iter()
        .map(|s| {
            json!({
                "type": s.kind,
                "name": s.name,
                "description": s.description,
                "specUri": s.spec_uri,
                "primary": s.primary,
            })
        })
        .collect();
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_URN],
        "patch": { "supported": config.patch },
        // §5 makes maxOperations and maxPayloadSize REQUIRED even when bulk is unsupported.
        "bulk": { "supported": config.bulk, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": config.filter, "maxResults": config.max_results },
        "changePassword": { "supported": config.change_password },
        "sort": { "supported": config.sort },
        "etag": { "supported": config.etag },
        // RFC 9865 §4. Cursors hold a place in the listing, not a snapshot: they never expire,
        // so no cursorTimeout is given.
        "pagination": {
            "cursor": true,
            "index": true,
            "defaultPaginationMethod": "index",
            "defaultPageSize": config.default_page_size,
            "maxPageSize": config.max_results,
        },
        "authenticationSchemes": schemes,
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{}/ServiceProviderConfig", trim(base_url)),
        },
    })
}

/// Every resource type document (RFC 7643 §6), in a stable order: User, Group.
pub fn resource_types(base_url: &str) -> Vec<Value> {
    RESOURCE_TYPES
        .iter()
        .map(|rt| resource_type_json(rt, base_url))
        .collect()
}

/// The resource type document whose `id` is `id`, ignoring case (`user` finds `User`).
pub fn resource_type(id: &str, base_url: &str) -> Option<Value> {
    RESOURCE_TYPES
        .iter()
        .find(|rt| rt.id.eq_ignore_ascii_case(id))
        .map(|rt| resource_type_json(rt, base_url))
}

fn resource_type_json(rt: &ResourceType, base_url: &str) -> Value {
    let mut doc = json!({
        "schemas": [RESOURCE_TYPE_URN],
        "id": rt.id,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", trim(base_url), rt.id),
        },
    });
    // §6: `schemaExtensions` is OPTIONAL; omitted when there are none, as in the §8.6 Group example.
    if !rt.extensions.is_empty()
        && let Some(map) = doc.as_object_mut()
    {
        let extensions = rt
            .extensions
            .iter()
            .map(|(schema, required)| json!({ "schema": schema.id, "required": required }))
            .collect();
        map.insert("schemaExtensions".into(), Value::Array(extensions));
    }
    doc
}

/// Every schema document (RFC 7643 §7), in a stable order: User, Enterprise User, Group.
pub fn schemas(base_url: &str) -> Vec<Value> {
    SCHEMAS.iter().map(|s| schema_json(s, base_url)).collect()
}

/// The schema document whose `id` (its URN) is `id`, ignoring case.
pub fn schema(id: &str, base_url: &str) -> Option<Value> {
    SCHEMAS
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .map(|s| schema_json(s, base_url))
}

fn schema_json(schema: &Schema, base_url: &str) -> Value {
    json!({
        "schemas": [SCHEMA_URN],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", trim(base_url), schema.id),
        },
    })
}

/// One attribute definition as RFC 7643 §7 renders it. `canonicalValues` appears only when the
/// attribute has some, `referenceTypes` only on references, `subAttributes` only on complex ones.
pub fn attribute_json(attribute: &Attribute) -> Value {
    let mut map = Map::new();
    map.insert("name".into(), attribute.name.into());
    map.insert("type".into(), attribute.kind.as_str().into());
    map.insert("multiValued".into(), attribute.multi_valued.into());
    map.insert("description".into(), attribute.description.into());
    map.insert("required".into(), attribute.required.into());
    map.insert("caseExact".into(), attribute.case_exact.into());
    map.insert("mutability".into(), attribute.mutability.as_str().into());
    map.insert("returned".into(), attribute.returned.as_str().into());
    map.insert("uniqueness".into(), attribute.uniqueness.as_str().into());
    if !attribute.canonical_values.is_empty() {
        map.insert("canonicalValues".into(), attribute.canonical_values.into());
    }
    if attribute.kind == AttrType::Reference {
        map.insert("referenceTypes".into(), attribute.reference_types.into());
    }
    if attribute.kind == AttrType::Complex {
        let subs = attribute
            .sub_attributes
            .iter()
            .map(attribute_json)
            .collect();
        map.insert("subAttributes".into(), Value::Array(subs));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ENTERPRISE_USER, GROUP, USER};

    const BASE: &str = "https://roster.example.edu/scim/v2/org1";

    fn user_attribute(name: &str) -> Value {
        let doc = schema(USER.id, BASE).unwrap();
        doc["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap()
    }

    fn sub<'a>(attribute: &'a Value, name: &str) -> &'a Value {
        attribute["subAttributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
    }

    #[test]
    fn user_name_is_required_and_unique_per_server() {
        let user_name = user_attribute("userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["required"], true);
        assert_eq!(user_name["type"], "string");
        assert_eq!(user_name["caseExact"], false);
    }

    #[test]
    fn password_is_write_only_and_never_returned() {
        let password = user_attribute("password");
        assert_eq!(password["mutability"], "writeOnly");
        assert_eq!(password["returned"], "never");
    }

    #[test]
    fn groups_and_all_their_sub_attributes_are_read_only() {
        let groups = user_attribute("groups");
        assert_eq!(groups["mutability"], "readOnly");
        assert_eq!(groups["multiValued"], true);
        for s in groups["subAttributes"].as_array().unwrap() {
            assert_eq!(s["mutability"], "readOnly", "groups.{}", s["name"]);
        }
        assert_eq!(
            sub(&groups, "$ref")["referenceTypes"],
            json!(["User", "Group"])
        );
        assert_eq!(
            sub(&groups, "type")["canonicalValues"],
            json!(["direct", "indirect"])
        );
    }

    #[test]
    fn canonical_values_and_reference_types_appear_only_where_defined() {
        let emails = user_attribute("emails");
        assert_eq!(
            sub(&emails, "type")["canonicalValues"],
            json!(["work", "home", "other"])
        );
        assert!(sub(&emails, "value").get("canonicalValues").is_none());
        assert!(sub(&emails, "value").get("referenceTypes").is_none());
        assert!(sub(&emails, "value").get("subAttributes").is_none());
        assert_eq!(
            user_attribute("profileUrl")["referenceTypes"],
            json!(["external"])
        );
        assert_eq!(
            user_attribute("x509Certificates")["subAttributes"][0]["type"],
            "binary"
        );
    }

    #[test]
    fn schema_documents_do_not_list_common_attributes() {
        for doc in schemas(BASE) {
            for name in ["id", "externalId", "meta"] {
                assert!(
                    !doc["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|a| a["name"] == name),
                    "{} lists {name}",
                    doc["id"]
                );
            }
        }
    }

    #[test]
    fn group_members_are_immutable_references_to_users_and_groups() {
        let doc = schema(GROUP.id, BASE).unwrap();
        let members = &doc["attributes"][1];
        assert_eq!(members["name"], "members");
        assert_eq!(sub(members, "value")["mutability"], "immutable");
        assert_eq!(sub(members, "$ref")["mutability"], "immutable");
        assert_eq!(
            sub(members, "type")["canonicalValues"],
            json!(["User", "Group"])
        );
        assert_eq!(doc["attributes"][0]["required"], true);
    }

    #[test]
    fn enterprise_manager_display_name_is_read_only() {
        let doc = schema(ENTERPRISE_USER.id, BASE).unwrap();
        let names: Vec<&str> = doc["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "employeeNumber",
                "costCenter",
                "organization",
                "division",
                "department",
                "manager"
            ]
        );
        let manager = &doc["attributes"][5];
        assert_eq!(sub(manager, "displayName")["mutability"], "readOnly");
        assert_eq!(sub(manager, "$ref")["referenceTypes"], json!(["User"]));
    }

    #[test]
    fn lookups_by_id_ignore_case_and_locations_ignore_a_trailing_slash() {
        let doc = schema(
            "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER",
            "https://h/scim/v2/o/",
        )
        .unwrap();
        assert_eq!(doc["id"], USER.id);
        assert_eq!(
            doc["meta"],
            json!({
                "resourceType": "Schema",
                "location": "https://h/scim/v2/o/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            })
        );
        let rt = resource_type("user", BASE).unwrap();
        assert_eq!(rt["id"], "User");
        assert!(resource_type("Widget", BASE).is_none());
        assert!(schema("urn:ietf:params:scim:schemas:core:2.0:Widget", BASE).is_none());
    }

    #[test]
    fn user_resource_type_declares_the_optional_enterprise_extension() {
        assert_eq!(
            resource_type("User", BASE).unwrap(),
            json!({
                "schemas": [RESOURCE_TYPE_URN],
                "id": "User",
                "name": "User",
                "endpoint": "/Users",
                "description": "User Account",
                "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
                "schemaExtensions": [{
                    "schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                    "required": false,
                }],
                "meta": {
                    "resourceType": "ResourceType",
                    "location": format!("{BASE}/ResourceTypes/User"),
                },
            })
        );
        assert!(
            resource_type("Group", BASE)
                .unwrap()
                .get("schemaExtensions")
                .is_none()
        );
    }

    #[test]
    fn service_provider_config_advertises_what_roster_supports() {
        let doc = service_provider_config(BASE);
        assert_eq!(doc["patch"]["supported"], true);
        assert_eq!(doc["bulk"]["supported"], false);
        assert_eq!(
            doc["filter"],
            json!({ "supported": true, "maxResults": 1000 })
        );
        assert_eq!(doc["changePassword"]["supported"], false);
        assert_eq!(doc["sort"]["supported"], true);
        assert_eq!(doc["etag"]["supported"], true);
        assert_eq!(doc["authenticationSchemes"][0]["type"], "oauthbearertoken");
        assert_eq!(doc["authenticationSchemes"][0]["primary"], true);
        assert_eq!(
            doc["meta"]["location"],
            format!("{BASE}/ServiceProviderConfig")
        );
    }

    #[test]
    fn service_provider_config_snapshot() {
        insta::assert_json_snapshot!(service_provider_config(BASE));
    }

    #[test]
    fn resource_types_snapshot() {
        insta::assert_json_snapshot!(resource_types(BASE));
    }

    #[test]
    fn schemas_snapshot() {
        insta::assert_json_snapshot!(schemas(BASE));
    }
}
