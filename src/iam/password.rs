//! Console passwords (IAM login profiles): the password rule, and Argon2id hashing.
//!
//! A password is stored only as an Argon2id PHC string (random 16-byte salt, the
//! argon2 crate's default cost: 19 MiB, 2 passes), so a copy of the metadata store
//! does not reveal it and each guess costs an attacker the same. Hashing is slow on
//! purpose (tens of ms of one core): callers run it on the blocking pool, and the
//! console bounds how many run at once.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use super::{IamError, IamErrorCode, IamResult};

/// Shortest password accepted (IAM's default password policy: 8).
pub const MIN_LENGTH: usize = 8;

/// Longest password accepted (IAM: 128).
pub const MAX_LENGTH: usize = 128;

/// Checks `password` against the password policy: its length, and IAM's character set
/// (`[\u0009\u000A\u000D\u0020-\u00FF]+`).
pub fn check_policy(password: &str) -> IamResult<()> {
    let chars = password.chars().count();
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}');
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&chars) || !password.chars().all(allowed) {
        return Err(IamError::new(
            IamErrorCode::PasswordPolicyViolation,
            format!(
                "Password should have a minimum length of {MIN_LENGTH} and at most {MAX_LENGTH} characters, of U+0020 to U+00FF, tab, line feed or carriage return"
            ),
        ));
    }
    Ok(())
}

/// The PHC string of `password` under a fresh random salt.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    super::secrets::fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("default Argon2 parameters hash any password").to_string()
}

/// Whether `password` matches `phc` (constant time in the comparison of the digests).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Hashes or verifications running at once: each holds ~19 MiB and a core for tens of
/// ms, so a burst of sign-ins waits its turn (asynchronously, holding no thread)
/// instead of taking every core and the blocking pool.
static SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Runs `f` (a hash or a verification) on the blocking pool, at most [`SLOTS`] at once.
pub async fn run_slow<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let permit = SLOTS.acquire().await.expect("the semaphore is never closed");
    // The permit goes with the work: a caller that goes away (its future dropped) does
    // not free the slot while the hash still runs.
    let work = move || {
        let _permit = permit;
        f()
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A PHC string no password matches, hashed once: verifying against it costs what a real
/// verification costs, so an unknown user name answers as slowly as a wrong password.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 32];
        super::secrets::fill_random(&mut random);
        hash(&hex::encode(random))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse");
        let b = hash("correct horse");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert!(verify(&a, "correct horse") && verify(&b, "correct horse"));
        assert!(!verify(&a, "correct horsE") && !verify(&a, ""));
        assert!(!verify("not a phc string", "x"));
        assert!(!verify(decoy(), "correct horse"));
    }

    #[test]
    fn policy() {
        assert_eq!(check_policy("short").unwrap_err().code, IamErrorCode::PasswordPolicyViolation);
        assert!(check_policy("12345678").is_ok());
        assert!(check_policy(&"x".repeat(129)).is_err());
        assert!(check_policy("tab\there!").is_ok(), "IAM allows tab, LF and CR");
        assert!(check_policy("bell\u{7}here!").is_err());
        assert!(check_policy("ünïcødé!").is_ok(), "Latin-1");
        assert!(check_policy("emoji 🙂 here").is_err(), "past U+00FF");
    }
}
