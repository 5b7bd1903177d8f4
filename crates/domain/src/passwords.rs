//! Console passwords: the policy (length, not a common password) and argon2id hashing, run on
//! the blocking pool so a sign-in never stalls the async workers that serve SCIM.

use std::sync::OnceLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::{Error, Internal, error::Result};

pub const PASSWORD_MIN_CHARS: usize = 12;
/// Long enough for any passphrase or password manager; bounds the hashing work per attempt.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// See the header of the file for its source.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Refuses a password an administrator must not choose, saying why.
pub(crate) fn check_policy(password: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(Error::Invalid(format!(
            "the password is too short: use at least {PASSWORD_MIN_CHARS} characters (a few unrelated words make a good one)"
        )));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(Error::Invalid(format!(
            "the password is too long: use at most {PASSWORD_MAX_CHARS} characters"
        )));
    }
    if is_common(password) {
        return Err(Error::Invalid(
            "this password is on a list of commonly used passwords that attackers try first; choose another".into(),
        ));
    }
    Ok(())
}

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON_PASSWORDS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .any(|line| line == lower)
}

/// The argon2id PHC string of `password`, with a fresh salt and the crate's default
/// parameters (OWASP's recommendation: 19 MiB, 2 passes).
pub(crate) async fn hash(password: String) -> Result<String> {
    blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|e| internal("hashing a password", e))
    })
    .await?
}

/// Whether `password` matches `stored`. Without a stored hash (an unknown email, or an
/// administrator still invited) it verifies against a dummy hash and answers `false`, so the
/// time taken does not tell which emails have a password.
pub(crate) async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    let dummy = stored.is_none();
    blocking(move || {
        let phc = match &stored {
            Some(phc) => phc.as_str(),
            None => dummy_hash()?,
        };
        let parsed = PasswordHash::new(phc).map_err(|e| internal("reading a password hash", e))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(matches && !dummy)
    })
    .await?
}

/// A hash with the same parameters as real ones, made once per process.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = Argon2::default()
        .hash_password(b"no account has this password")
        .map_err(|e| internal("hashing the dummy password", e))?
        .to_string();
    Ok(DUMMY.get_or_init(|| hash))
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| internal("running password hashing", e))
}

fn internal(context: &str, cause: impl std::fmt::Display) -> Error {
    Error::Internal(Internal::new(context, cause.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_shorter_than_twelve_characters_are_refused_with_the_minimum() {
        let err = check_policy("eleven chrs").unwrap_err();
        assert!(err.to_string().contains("at least 12 characters"), "{err}");
        // Characters, not bytes: twelve accented letters pass.
        check_policy("éééééééééééé").unwrap();
    }

    #[test]
    fn passwords_longer_than_256_characters_are_refused() {
        check_policy(&"correct horse ".repeat(19)[..256]).unwrap();
        let err = check_policy(&"x".repeat(257)).unwrap_err();
        assert!(err.to_string().contains("at most 256"), "{err}");
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in ["qwerty123456", "QWERTY123456", "1Qaz2Wsx3Edc"] {
            let err = check_policy(common).unwrap_err();
            assert!(matches!(err, Error::Invalid(_)));
            assert!(err.to_string().contains("commonly used"), "{err}");
        }
        check_policy("violet staple orbit cactus").unwrap();
    }

    #[test]
    fn the_list_has_its_source_and_only_lower_case_entries_of_twelve_or_more_characters() {
        assert!(COMMON_PASSWORDS.starts_with("# Common passwords"));
        let entries: Vec<_> = COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert!(entries.len() > 150);
        for entry in entries {
            assert!(entry.chars().count() >= PASSWORD_MIN_CHARS, "{entry}");
            assert_eq!(entry, entry.to_lowercase());
        }
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hash = hash("violet staple orbit cactus".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify("violet staple orbit cactus".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify("violet staple orbit cactuS".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !verify("no account has this password".into(), None)
                .await
                .unwrap(),
            "the dummy hash never signs anyone in"
        );
    }
}
