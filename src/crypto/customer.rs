//! SSE-C: keys the customer sends with each request and coffer never stores.
//!
//! An object (or upload) gets a random data key, stored wrapped (AES-256-GCM) under a
//! key derived from both the customer's key and the server's SSE-C secret, with a
//! random salt; beside it, a salted MAC of the customer's key (keyed BLAKE3 under
//! another key derived from the server secret) recognizes the right key. Neither
//! reveals the customer's key, and without the server key neither can even be used to
//! test guesses of it offline.

use std::fmt;

use crate::iam::secrets::{fill_random, SealingKey};

/// The salt stored with each object's protection.
pub const SALT_LEN: usize = 16;

/// Derives what protects SSE-C data keys from the server's SSE-C secret.
pub struct CustomerKeys {
    /// Keys the recognizing MAC.
    check: [u8; 32],
    /// Mixed into the wrapping key.
    wrap: [u8; 32],
}

impl fmt::Debug for CustomerKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CustomerKeys(<redacted>)")
    }
}

/// A customer key's protection of one data key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    /// Random salt.
    pub salt: Vec<u8>,
    /// The salted MAC of the customer key.
    pub check: Vec<u8>,
    /// The data key, wrapped.
    pub wrapped: Vec<u8>,
}

/// Why a customer key does not open a protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Another key than the one the object was stored with.
    WrongKey,
    /// The right key, but the wrapped data key does not open: damage.
    Damaged,
}

impl CustomerKeys {
    /// From the server's 32-byte SSE-C secret.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self {
            check: blake3::derive_key("coffer 2026 sse-c key check", secret),
            wrap: blake3::derive_key("coffer 2026 sse-c data key wrap", secret),
        }
    }

    fn mac(&self, salt: &[u8], customer: &[u8; 32]) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.check);
        h.update(salt);
        h.update(customer);
        *h.finalize().as_bytes()
    }

    fn wrapping_key(&self, salt: &[u8], customer: &[u8; 32]) -> SealingKey {
        let mut h = blake3::Hasher::new_keyed(&self.wrap);
        h.update(salt);
        h.update(customer);
        SealingKey::from_bytes(*h.finalize().as_bytes())
    }

    /// Protects `data_key` under `customer`'s key with a fresh salt.
    pub fn protect(&self, customer: &[u8; 32], data_key: &[u8; 32]) -> Protected {
        let mut salt = [0u8; SALT_LEN];
        fill_random(&mut salt);
        Protected {
            salt: salt.to_vec(),
            check: self.mac(&salt, customer).to_vec(),
            wrapped: self.wrapping_key(&salt, customer).seal(b"coffer sse-c data key", data_key),
        }
    }

    /// Whether `customer` is the key `protected` was made with.
    pub fn matches(&self, customer: &[u8; 32], protected: &Protected) -> bool {
        let mac = self.mac(&protected.salt, customer);
        subtle::ConstantTimeEq::ct_eq(&mac[..], &protected.check[..]).into()
    }

    /// The data key `protected` holds, given the customer's key.
    pub fn open(&self, customer: &[u8; 32], protected: &Protected) -> Result<[u8; 32], OpenError> {
        if !self.matches(customer, protected) {
            return Err(OpenError::WrongKey);
        }
        let plain =
            self.wrapping_key(&protected.salt, customer).open(b"coffer sse-c data key", &protected.wrapped).ok_or(OpenError::Damaged)?;
        plain.try_into().map_err(|_| OpenError::Damaged)
    }
}

/// A fresh random data key.
pub fn random_data_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    fill_random(&mut key);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_key_opens_another_does_not() {
        let keys = CustomerKeys::from_secret(&[1; 32]);
        let data_key = random_data_key();
        let p = keys.protect(&[7; 32], &data_key);
        assert_eq!(keys.open(&[7; 32], &p), Ok(data_key));
        assert_eq!(keys.open(&[8; 32], &p), Err(OpenError::WrongKey));
        let other_server = CustomerKeys::from_secret(&[2; 32]);
        assert_eq!(other_server.open(&[7; 32], &p), Err(OpenError::WrongKey), "the server key is needed too");
        let mut damaged = p.clone();
        damaged.wrapped[20] ^= 1;
        assert_eq!(keys.open(&[7; 32], &damaged), Err(OpenError::Damaged));
        assert_ne!(keys.protect(&[7; 32], &data_key), p, "a fresh salt each time");
    }
}
