//! The attribute mapping (directory user → SCIM user) and attribute diffs.
//!
//! The mapping is Entra's default one, restricted to what Roster keeps: `userPrincipalName` →
//! `userName`, `mailNickname` → `externalId`, `displayName`, `givenName`/`surname` →
//! `name.givenName`/`name.familyName`, `mail` → the work email, `employeeId` → the enterprise
//! extension's `employeeNumber`.

use serde_json::Value;

use crate::directory::UserSpec;

/// The enterprise user extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A SCIM user's mapped attributes, as the identity provider wants them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAttrs {
    pub user_name: String,
    pub external_id: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub employee_number: Option<String>,
}

impl From<&UserSpec> for UserAttrs {
    fn from(spec: &UserSpec) -> Self {
        Self {
            user_name: spec.user_principal_name.clone(),
            external_id: spec.mail_nickname.clone(),
            display_name: spec.display_name.clone(),
            given_name: spec.given_name.clone(),
            family_name: spec.surname.clone(),
            email: spec.mail.clone(),
            employee_number: spec.employee_id.clone(),
        }
    }
}

/// One mapped attribute, the unit of Entra's default-dialect PATCH (one op per attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    UserName,
    ExternalId,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    EmployeeNumber,
}

impl Attr {
    pub const ALL: [Self; 7] = [
        Self::UserName,
        Self::ExternalId,
        Self::DisplayName,
        Self::GivenName,
        Self::FamilyName,
        Self::Email,
        Self::EmployeeNumber,
    ];

    /// The SCIM attribute path Entra writes for it.
    pub fn path(self) -> String {
        match self {
            Self::UserName => "userName".into(),
            Self::ExternalId => "externalId".into(),
            Self::DisplayName => "displayName".into(),
            Self::GivenName => "name.givenName".into(),
            Self::FamilyName => "name.familyName".into(),
            Self::Email => "emails[type eq \"work\"].value".into(),
            Self::EmployeeNumber => format!("{ENTERPRISE_USER}:employeeNumber"),
        }
    }
}

impl UserAttrs {
    pub fn get(&self, attr: Attr) -> Option<&str> {
        match attr {
            Attr::UserName => Some(&self.user_name),
            Attr::ExternalId => Some(&self.external_id),
            Attr::DisplayName => Some(&self.display_name),
            Attr::GivenName => Some(&self.given_name),
            Attr::FamilyName => Some(&self.family_name),
            Attr::Email => Some(&self.email),
            Attr::EmployeeNumber => self.employee_number.as_deref(),
        }
    }

    /// The attributes whose values differ from `other`, in mapping order.
    pub fn changed_from(&self, other: &Self) -> Vec<Attr> {
        Attr::ALL
            .into_iter()
            .filter(|a| self.get(*a) != other.get(*a))
            .collect()
    }
}

/// What a SCIM server returned for a user, read leniently: every mapped attribute is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteUser {
    pub id: Option<String>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub employee_number: Option<String>,
    pub active: Option<bool>,
}

impl RemoteUser {
    pub fn from_resource(resource: &Value) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let email = resource["emails"].as_array().and_then(|emails| {
            emails
                .iter()
                .find(|e| e["type"].as_str() == Some("work"))
                .or_else(|| emails.iter().find(|e| e["primary"] == Value::Bool(true)))
                .or_else(|| emails.first())
                .and_then(|e| text(&e["value"]))
        });
        Self {
            id: text(&resource["id"]),
            user_name: text(&resource["userName"]),
            external_id: text(&resource["externalId"]),
            display_name: text(&resource["displayName"]),
            given_name: text(&resource["name"]["givenName"]),
            family_name: text(&resource["name"]["familyName"]),
            email,
            employee_number: text(&resource[ENTERPRISE_USER]["employeeNumber"]),
            active: read_bool(&resource["active"]),
        }
    }

    fn get(&self, attr: Attr) -> Option<&str> {
        match attr {
            Attr::UserName => self.user_name.as_deref(),
            Attr::ExternalId => self.external_id.as_deref(),
            Attr::DisplayName => self.display_name.as_deref(),
            Attr::GivenName => self.given_name.as_deref(),
            Attr::FamilyName => self.family_name.as_deref(),
            Attr::Email => self.email.as_deref(),
            Attr::EmployeeNumber => self.employee_number.as_deref(),
        }
    }

    /// The attributes Entra would update after matching this resource: those whose wanted value
    /// differs from what the server holds. An attribute the directory leaves empty is not sent.
    pub fn differs_from(&self, wanted: &UserAttrs) -> Vec<Attr> {
        Attr::ALL
            .into_iter()
            .filter(|a| wanted.get(*a).is_some() && wanted.get(*a) != self.get(*a))
            .collect()
    }
}

/// Reads a boolean the way a lenient client would: a JSON boolean or `"true"`/`"false"`.
pub fn read_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ada() -> UserAttrs {
        UserAttrs::from(&UserSpec::simple("ada.lovelace", "example.edu"))
    }

    #[test]
    fn changed_attributes_are_listed_in_mapping_order() {
        let old = ada();
        let mut new = ada();
        new.email = "ada@new.example.edu".into();
        new.display_name = "Ada L".into();

        assert_eq!(new.changed_from(&old), vec![Attr::DisplayName, Attr::Email]);
    }

    #[test]
    fn a_matched_hand_made_account_needs_every_attribute_it_lacks() {
        let remote = RemoteUser::from_resource(&json!({
            "id": "42",
            "userName": "ada.lovelace@example.edu",
            "displayName": "Ada Lovelace",
            "active": true
        }));

        assert_eq!(
            remote.differs_from(&ada()),
            vec![
                Attr::ExternalId,
                Attr::GivenName,
                Attr::FamilyName,
                Attr::Email
            ]
        );
    }

    #[test]
    fn remote_users_are_read_from_core_and_enterprise_attributes() {
        let remote = RemoteUser::from_resource(&json!({
            "id": "7",
            "userName": "a@x.org",
            "active": "False",
            "emails": [{"type": "home", "value": "h@x.org"}, {"type": "work", "value": "w@x.org"}],
            "name": {"givenName": "A", "familyName": "B"},
            ENTERPRISE_USER: {"employeeNumber": "12"}
        }));

        assert_eq!(remote.email.as_deref(), Some("w@x.org"));
        assert_eq!(remote.active, Some(false));
        assert_eq!(remote.employee_number.as_deref(), Some("12"));
        assert_eq!(remote.family_name.as_deref(), Some("B"));
    }
}
