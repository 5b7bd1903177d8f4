//! ID token validation edge cases, with keys the test holds: every way a token can be wrong
//! is refused, with a reason for the sign-in log; a token signed by a rotated key asks for a
//! key refresh; a good Entra-shaped token yields who signed in.

#![expect(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use openidconnect::{
    Audience, EndUserUsername, IdTokenClaims, IssuerUrl, JsonWebKeyId, Nonce, PrivateSigningKey,
    StandardClaims, SubjectIdentifier,
    core::{CoreGenderClaim, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey},
};
use roster_domain::{ClientSecret, OrgId, SsoClient, SsoProvider};
use roster_oidc::{EntraClaims, EntraIdToken, Expected, Rejected, validate_id_token};
use uuid::Uuid;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER_TENANT: &str = "00000000-1111-2222-3333-444444444444";
const CLIENT_ID: &str = "app-1";
const NONCE: &str = "the-nonce";

fn key(file: &str, kid: &str) -> CoreRsaPrivateSigningKey {
    let pem = std::fs::read_to_string(format!(
        "{}/tests/keys/{file}.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.into()))).unwrap()
}

fn keys(of: &[&CoreRsaPrivateSigningKey]) -> CoreJsonWebKeySet {
    CoreJsonWebKeySet::new(of.iter().map(|k| k.as_verification_key()).collect())
}

fn issuer(tenant: &str) -> String {
    format!("https://login.example/{tenant}/v2.0")
}

fn client() -> SsoClient {
    SsoClient {
        org_id: OrgId::new_random(),
        provider: SsoProvider::Microsoft,
        issuer: issuer(TENANT),
        tenant_id: Some(Uuid::parse_str(TENANT).unwrap()),
        client_id: CLIENT_ID.into(),
        client_secret: ClientSecret::new("secret".into()),
    }
}

/// Entra-shaped claims, valid unless a test changes them.
struct Token {
    issuer: String,
    audience: String,
    expires_in: Duration,
    tid: Option<String>,
    oid: Option<String>,
    nonce: String,
}

impl Default for Token {
    fn default() -> Self {
        Self {
            issuer: issuer(TENANT),
            audience: CLIENT_ID.into(),
            expires_in: Duration::minutes(60),
            tid: Some(TENANT.into()),
            oid: Some("oid-ada".into()),
            nonce: NONCE.into(),
        }
    }
}

impl Token {
    fn claims(&self) -> IdTokenClaims<EntraClaims, CoreGenderClaim> {
        let now = Utc::now();
        IdTokenClaims::new(
            IssuerUrl::new(self.issuer.clone()).unwrap(),
            vec![Audience::new(self.audience.clone())],
            now + self.expires_in,
            now - Duration::minutes(1),
            StandardClaims::new(SubjectIdentifier::new("pairwise-sub".into()))
                .set_preferred_username(Some(EndUserUsername::new("ada@contoso.com".into()))),
            EntraClaims {
                tid: self.tid.clone(),
                oid: self.oid.clone(),
                idp: None,
            },
        )
        .set_nonce(Some(Nonce::new(self.nonce.clone())))
    }

    fn signed(&self, key: &CoreRsaPrivateSigningKey) -> String {
        EntraIdToken::new(
            self.claims(),
            key,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
        .to_string()
    }
}

fn check(raw: &str, keys: &CoreJsonWebKeySet) -> Result<roster_domain::SsoIdentity, Rejected> {
    let client = client();
    validate_id_token(
        raw,
        Expected {
            client: &client,
            nonce: NONCE,
            now: Utc::now(),
        },
        keys,
    )
}

fn refused_because(result: Result<roster_domain::SsoIdentity, Rejected>, words: &str) {
    match result {
        Err(Rejected::Invalid(why)) => assert!(
            why.to_lowercase().contains(words),
            "refused, but for '{why}' (expected '{words}')"
        ),
        other => panic!("expected a refusal about {words}, got {other:?}"),
    }
}

#[test]
fn a_good_entra_token_says_who_signed_in() {
    let k1 = key("signing", "k1");
    let who = check(&Token::default().signed(&k1), &keys(&[&k1])).unwrap();
    assert_eq!(who.tid.as_deref(), Some(TENANT));
    assert_eq!(who.oid.as_deref(), Some("oid-ada"));
    assert_eq!(who.preferred_username.as_deref(), Some("ada@contoso.com"));
    assert_eq!(who.subject, "pairwise-sub");
    assert_eq!(who.issuer, issuer(TENANT));
}

#[test]
fn a_token_signed_by_another_key_under_the_same_kid_is_refused() {
    let k1 = key("signing", "k1");
    let impostor = key("stranger", "k1");
    refused_because(
        check(&Token::default().signed(&impostor), &keys(&[&k1])),
        "signature",
    );
}

#[test]
fn an_unsigned_token_with_alg_none_is_refused() {
    let k1 = key("signing", "k1");
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Token::default().claims()).unwrap());
    let raw = format!("{header}.{payload}.");
    assert!(check(&raw, &keys(&[&k1])).is_err());
    // Even with a forged signature part, `none` is never an accepted algorithm.
    let forged = format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(b"x"));
    assert!(check(&forged, &keys(&[&k1])).is_err());
}

#[test]
fn a_token_for_another_audience_is_refused() {
    let k1 = key("signing", "k1");
    let token = Token {
        audience: "another-app".into(),
        ..Token::default()
    };
    refused_because(check(&token.signed(&k1), &keys(&[&k1])), "audience");
}

#[test]
fn a_token_from_another_issuer_or_the_common_endpoint_is_refused() {
    let k1 = key("signing", "k1");
    for wrong in [
        issuer(OTHER_TENANT),
        "https://login.example/common/v2.0".to_owned(),
        "https://login.example/{tenantid}/v2.0".to_owned(),
    ] {
        let token = Token {
            issuer: wrong,
            ..Token::default()
        };
        refused_because(check(&token.signed(&k1), &keys(&[&k1])), "issuer");
    }
}

#[test]
fn a_token_of_another_tenant_or_without_tid_or_oid_is_refused() {
    let k1 = key("signing", "k1");
    let other = Token {
        tid: Some(OTHER_TENANT.into()),
        ..Token::default()
    };
    refused_because(check(&other.signed(&k1), &keys(&[&k1])), "tenant");
    let none = Token {
        tid: None,
        ..Token::default()
    };
    refused_because(check(&none.signed(&k1), &keys(&[&k1])), "tenant");
    let no_oid = Token {
        oid: None,
        ..Token::default()
    };
    refused_because(check(&no_oid.signed(&k1), &keys(&[&k1])), "oid");
}

#[test]
fn an_expired_token_is_refused_beyond_the_leeway_only() {
    let k1 = key("signing", "k1");
    let expired = Token {
        expires_in: -Duration::minutes(5),
        ..Token::default()
    };
    refused_because(check(&expired.signed(&k1), &keys(&[&k1])), "expired");
    let just = Token {
        expires_in: -Duration::seconds(30),
        ..Token::default()
    };
    assert!(check(&just.signed(&k1), &keys(&[&k1])).is_ok());
}

#[test]
fn a_token_with_another_nonce_is_refused() {
    let k1 = key("signing", "k1");
    let token = Token {
        nonce: "replayed-from-another-sign-in".into(),
        ..Token::default()
    };
    refused_because(check(&token.signed(&k1), &keys(&[&k1])), "nonce");
}

#[test]
fn a_token_signed_by_a_rotated_key_asks_for_new_keys_and_validates_with_them() {
    let k1 = key("signing", "k1");
    let k2 = key("rotated", "k2");
    let raw = Token::default().signed(&k2);
    assert_eq!(check(&raw, &keys(&[&k1])), Err(Rejected::UnknownKey));
    assert!(check(&raw, &keys(&[&k1, &k2])).is_ok());
}
