//! The list response of RFC 7644 §3.4.2. [`list_response`] builds one from JSON values, for the
//! discovery endpoints (`/Schemas`, `/ResourceTypes`). Lists and searches of Users and Groups,
//! whose resources are rendered to text one by one, write the same document around
//! [`LIST_RESPONSE_URN`] in the HTTP layer.

use serde_json::{Value, json};

/// The URN every list response carries in `schemas`.
pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// A `ListResponse` (RFC 7644 §3.4.2): `total` is the number of matches over all pages,
/// `start_index` the 1-based index of the first resource of this page, and `itemsPerPage` the
/// number of resources actually returned here.
pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_a_valid_list_response() {
        assert_eq!(
            list_response(Vec::new(), 0, 1),
            json!({
                "schemas": [LIST_RESPONSE_URN],
                "totalResults": 0,
                "startIndex": 1,
                "itemsPerPage": 0,
                "Resources": [],
            })
        );
    }

    #[test]
    fn items_per_page_counts_this_page_only() {
        let page = list_response(vec![json!({"id": "a"}), json!({"id": "b"})], 7, 3);
        assert_eq!(page["totalResults"], 7);
        assert_eq!(page["startIndex"], 3);
        assert_eq!(page["itemsPerPage"], 2);
        assert_eq!(page["Resources"][1]["id"], "b");
    }
}
