//! Which identity provider the simulator plays, and in which dialect.

use std::{fmt, str::FromStr};

/// Entra ID's two SCIM dialects (ENTRA.md, "Two dialects").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// The Tenant URL without a flag: capitalised ops, string booleans, `Remove` of members
    /// with a value array, one op per attribute.
    Default,
    /// The Tenant URL with `?aadOptscim062020`: RFC-style lower-case ops, real booleans,
    /// `members[value eq "..."]` removals, path-less replace with dotted keys.
    Flag,
}

/// The identity provider being simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    Entra(Dialect),
    /// Okta: creates with POST, updates with PUT, deactivates with a PATCH of `active`, pushes
    /// groups with PATCH of `members`, never deletes users.
    Okta,
}

impl Profile {
    /// The query flag appended to every request (Entra keeps the Tenant URL's query string).
    pub fn query_flag(self) -> Option<&'static str> {
        match self {
            Self::Entra(Dialect::Flag) => Some("aadOptscim062020"),
            Self::Entra(Dialect::Default) | Self::Okta => None,
        }
    }

    /// Whether a hard deletion in the directory is sent as `DELETE` (Entra) or as a
    /// deactivation (Okta, which never deletes users in the application).
    pub fn deletes_users(self) -> bool {
        matches!(self, Self::Entra(_))
    }

    /// The `Content-Type` of request bodies.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Entra(_) => "application/scim+json",
            Self::Okta => "application/json; charset=utf-8",
        }
    }

    pub fn user_agent(self) -> &'static str {
        match self {
            Self::Entra(_) => "Microsoft.Identity.Provisioning (roster-sim)",
            Self::Okta => "Okta SCIM Client 1.0.0 (roster-sim)",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Entra(Dialect::Default) => "entra",
            Self::Entra(Dialect::Flag) => "entra-aadOptscim062020",
            Self::Okta => "okta",
        })
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "entra" | "entra-default" => Ok(Self::Entra(Dialect::Default)),
            "entra-flag" | "entra-aadoptscim062020" | "aadoptscim062020" => {
                Ok(Self::Entra(Dialect::Flag))
            }
            "okta" => Ok(Self::Okta),
            _ => Err(format!(
                "unknown profile '{s}': expected entra, entra-flag or okta"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_from_their_display_names() {
        for profile in [
            Profile::Entra(Dialect::Default),
            Profile::Entra(Dialect::Flag),
            Profile::Okta,
        ] {
            assert_eq!(profile.to_string().parse::<Profile>(), Ok(profile));
        }
    }
}
