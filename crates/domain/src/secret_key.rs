//! The server's secret key, and the one way Roster keeps a secret it must use again later (an
//! OpenID Connect client secret is sent to the provider's token endpoint, so it cannot be
//! hashed): XChaCha20-Poly1305 under this key, with the owner's id as associated data, so a
//! sealed value copied to another organization's row does not open.

use std::fmt;

use chacha20poly1305::{
    KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};

use crate::{Error, Internal, error::Result};

const NONCE_LEN: usize = 24;
/// The key file holds exactly this many bytes.
pub const SECRET_KEY_LEN: usize = 32;

/// The key secrets are sealed under. Every instance of a deployment must hold the same one.
/// `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey([u8; SECRET_KEY_LEN]);

impl SecretKey {
    /// A key from the bytes of a key file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let key = <[u8; SECRET_KEY_LEN]>::try_from(bytes).map_err(|_| {
            Error::Invalid(format!(
                "the secret key file must hold exactly {SECRET_KEY_LEN} bytes, not {}",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    /// A new random key, for a key file created on first use.
    pub fn generate() -> Result<Self> {
        let mut key = [0u8; SECRET_KEY_LEN];
        fill_random(&mut key)?;
        Ok(Self(key))
    }

    /// The bytes to write to a new key file.
    pub fn as_bytes(&self) -> &[u8; SECRET_KEY_LEN] {
        &self.0
    }

    /// Seals `plaintext` for `owner`: a random nonce, then the ciphertext and its tag.
    pub(crate) fn seal(&self, owner: &str, plaintext: &str) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| internal("sealing a secret", "encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`SecretKey::seal`] made for `owner`. Fails when the key is not the one it
    /// was sealed with, or the value was changed or moved.
    pub(crate) fn open(&self, owner: &str, sealed: &[u8]) -> Result<String> {
        let not_this_key = || {
            internal(
                "opening a sealed secret",
                "it was sealed under another key, or changed: is the secret key file the one \
                 every instance had when SSO was configured?"
                    .into(),
            )
        };
        let (nonce, ciphertext) = sealed
            .split_first_chunk::<NONCE_LEN>()
            .ok_or_else(not_this_key)?;
        let plaintext = self
            .cipher()
            .decrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: ciphertext,
                    aad: owner.as_bytes(),
                },
            )
            .map_err(|_| not_this_key())?;
        String::from_utf8(plaintext).map_err(|_| not_this_key())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(&self.0.into())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

fn fill_random(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes)
        .map_err(|e| internal("reading the OS random number generator", e.to_string()))
}

fn internal(what: &'static str, cause: String) -> Error {
    Error::Internal(Internal::new(what, cause))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_owner_only() {
        let key = SecretKey::generate().unwrap();
        let sealed = key.seal("org-a", "client secret").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"client"));
        assert_eq!(key.open("org-a", &sealed).unwrap(), "client secret");
        assert!(key.open("org-b", &sealed).is_err());
        let other = SecretKey::generate().unwrap();
        assert!(other.open("org-a", &sealed).is_err());
        let mut changed = sealed.clone();
        let last = changed.len() - 1;
        changed[last] ^= 1;
        assert!(key.open("org-a", &changed).is_err());
        assert!(key.open("org-a", &sealed[..10]).is_err());
    }

    #[test]
    fn sealing_twice_gives_different_bytes() {
        let key = SecretKey::generate().unwrap();
        assert_ne!(key.seal("o", "s").unwrap(), key.seal("o", "s").unwrap());
    }

    #[test]
    fn a_key_file_must_hold_thirty_two_bytes_and_debug_hides_it() {
        assert!(SecretKey::from_bytes(&[0; 31]).is_err());
        let key = SecretKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }
}
