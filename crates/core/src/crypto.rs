//! Every secret-dependent operation: share tokens, link password encryption
//! and proofs, API key and session hashing, account password hashing.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// Keys derived from the one server secret. `Debug` never prints them.
#[derive(Clone)]
pub struct Secrets {
    token_key: [u8; 32],
    proof_key: [u8; 32],
    csrf_key: [u8; 32],
    /// Shared: the expanded AES key schedule is large, and the app state
    /// holding these keys is cloned for every request.
    aead: std::sync::Arc<Aes256Gcm>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl Secrets {
    /// Derives separate keys per purpose so that no value made for one use
    /// (a share token) is ever valid for another (a password proof).
    pub fn from_master(master: &[u8]) -> Self {
        let aead_key = hmac(master, &[b"spacelinks/link-password-aead"]);
        Secrets {
            token_key: hmac(master, &[b"spacelinks/share-token"]),
            proof_key: hmac(master, &[b"spacelinks/password-proof"]),
            csrf_key: hmac(master, &[b"spacelinks/web-csrf"]),
            aead: std::sync::Arc::new(Aes256Gcm::new_from_slice(&aead_key).expect("32-byte key")),
        }
    }

    /// The share token of a link: base64url(uuid ‖ salt ‖ first 16 bytes
    /// of HMAC(uuid ‖ salt)), 54 characters. The salt is the link's random
    /// `token_salt`, so a link created again with a deleted link's id gets
    /// a different token and the deleted one never works again. Forged
    /// tokens are rejected without touching the database; the lookup that
    /// follows checks that the link still carries this salt. Links made
    /// before salts existed (empty salt) keep their 43-character tokens,
    /// base64url(uuid ‖ HMAC(uuid)[..16]).
    pub fn share_token(&self, link_id: &str, salt_hex: &str) -> String {
        let id = uuid::Uuid::parse_str(link_id).map(|u| *u.as_bytes()).unwrap_or_default();
        let salt = hex::decode(salt_hex).unwrap_or_default();
        let tag = hmac(&self.token_key, &[&id, &salt]);
        let mut raw = Vec::with_capacity(16 + salt.len() + 16);
        raw.extend_from_slice(&id);
        raw.extend_from_slice(&salt);
        raw.extend_from_slice(&tag[..16]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The link id and salt (hex) inside a token, if the token is genuine.
    pub fn verify_share_token(&self, token: &str) -> Option<(String, String)> {
        let salt_len = match token.len() {
            43 => 0,
            54 => TOKEN_SALT_BYTES,
            _ => return None,
        };
        let raw = URL_SAFE_NO_PAD.decode(token.as_bytes()).ok()?;
        let (id, rest) = raw.split_at(16);
        let (salt, tag) = rest.split_at(salt_len);
        let want = hmac(&self.token_key, &[id, salt]);
        if bool::from(want[..16].ct_eq(tag)) {
            Some((uuid::Uuid::from_slice(id).ok()?.hyphenated().to_string(), hex::encode(salt)))
        } else {
            None
        }
    }

    /// Encrypts a link password; the link id is bound in as associated data
    /// so a ciphertext copied onto another link does not decrypt.
    pub fn encrypt_password(&self, link_id: &str, password: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: password.as_bytes(), aad: link_id.as_bytes() })
            .expect("AES-GCM encryption does not fail for small inputs");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        STANDARD.encode(out)
    }

    pub fn decrypt_password(&self, link_id: &str, stored: &str) -> Result<String> {
        let raw = STANDARD.decode(stored).map_err(Error::internal)?;
        if raw.len() < 12 {
            return Err(Error::internal("stored link password is truncated"));
        }
        let (nonce, ct) = raw.split_at(12);
        let pt = self
            .aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: link_id.as_bytes() })
            .map_err(|_| Error::internal("stored link password does not decrypt with this server secret"))?;
        String::from_utf8(pt).map_err(Error::internal)
    }

    /// The value of the `sharelink{linkId}` cookie after a correct password.
    /// It changes when the password changes, so old proofs stop working.
    pub fn password_proof(&self, link_id: &str, password: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.proof_key, &[link_id.as_bytes(), b"\0", password.as_bytes()]))
    }

    /// The CSRF token of the web app's forms: an HMAC of the browser's
    /// session (or pre-session) token, so it is bound to that session and
    /// needs no storage.
    pub fn csrf_token(&self, session_token: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac(&self.csrf_key, &[session_token.as_bytes()]))
    }

    pub fn check_csrf_token(&self, session_token: &str, token: &str) -> bool {
        !session_token.is_empty() && bool::from(self.csrf_token(session_token).as_bytes().ct_eq(token.as_bytes()))
    }

    pub fn check_password_proof(&self, link_id: &str, password: &str, proof: &str) -> bool {
        bool::from(self.password_proof(link_id, password).as_bytes().ct_eq(proof.as_bytes()))
    }
}

/// Bytes of a link's token salt: unique per link with overwhelming
/// probability, short enough to keep tokens short.
pub const TOKEN_SALT_BYTES: usize = 8;

/// A new link's token salt, hex.
pub fn new_token_salt() -> String {
    let mut b = [0u8; TOKEN_SALT_BYTES];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Constant-time string equality for secrets.
pub fn secret_eq(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// API keys and session tokens are stored only as this hash. They carry 256
/// bits of randomness, so a fast hash suffices (no salt or stretching).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// `sk-` followed by 64 lower-case hex digits, as DocSpace issues them.
pub fn new_api_key() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("sk-{}", hex::encode(b))
}

pub fn new_session_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// 15 characters from DocSpace's short-link alphabet (about 85 bits).
pub fn new_short_code() -> String {
    const ALPHABET: &[u8] = b"5XzpDt6wZRdsTrJkSY_cgPyxN4j-fnb9WKBF8vh3GH72QqmLVCM";
    let mut rng = rand::thread_rng();
    (0..15).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

pub fn new_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// Argon2id. Slow by design: call it from a blocking thread.
pub fn hash_account_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(Error::internal)
}

/// Argon2id verification. Slow by design: call it from a blocking thread.
pub fn verify_account_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets::from_master(b"test master key")
    }

    #[test]
    fn share_tokens_roundtrip_and_reject_forgeries() {
        let s = secrets();
        let id = "5f3c2a10-8e4b-4c7d-9f1e-2a3b4c5d6e7f";
        let salt = new_token_salt();
        let t = s.share_token(id, &salt);
        assert_eq!(t.len(), 54);
        assert_eq!(s.verify_share_token(&t), Some((id.to_string(), salt.clone())));
        let mut forged = t.clone().into_bytes();
        forged[50] = if forged[50] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify_share_token(std::str::from_utf8(&forged).unwrap()), None);
        assert_eq!(Secrets::from_master(b"other").verify_share_token(&t), None);
        assert_eq!(s.verify_share_token("short"), None);
        // Another salt, another token, for the same id.
        let other = s.share_token(id, &new_token_salt());
        assert_ne!(other, t);
        // Links without a salt keep the 43-character form.
        let legacy = s.share_token(id, "");
        assert_eq!(legacy.len(), 43);
        assert_eq!(s.verify_share_token(&legacy), Some((id.to_string(), String::new())));
    }

    #[test]
    fn passwords_encrypt_per_link() {
        let s = secrets();
        let enc = s.encrypt_password("a", "hunter2hunter2");
        assert!(!enc.contains("hunter2"));
        assert_eq!(s.decrypt_password("a", &enc).unwrap(), "hunter2hunter2");
        assert!(s.decrypt_password("b", &enc).is_err());
    }

    #[test]
    fn proofs_depend_on_link_and_password() {
        let s = secrets();
        let p = s.password_proof("a", "pw123456");
        assert!(s.check_password_proof("a", "pw123456", &p));
        assert!(!s.check_password_proof("b", "pw123456", &p));
        assert!(!s.check_password_proof("a", "pw1234567", &p));
    }

    #[test]
    fn api_keys_have_docspace_shape() {
        let k = new_api_key();
        assert_eq!(k.len(), 67);
        assert!(k.starts_with("sk-"));
        assert_eq!(new_short_code().len(), 15);
    }
}
