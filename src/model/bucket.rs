//! Buckets: the stored record and S3's naming rules.

use serde::{Deserialize, Serialize};

/// Versioning state of a bucket. Buckets start `Unversioned` and, once enabled, can only
/// move between `Enabled` and `Suspended` (S3 semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Versioning {
    /// Never enabled: every write replaces the `null` version.
    Unversioned,
    /// Every write creates a new version.
    Enabled,
    /// Writes replace the `null` version; older versions stay.
    Suspended,
}

/// A bucket as stored (schema v1, see [`super::stored`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRecord {
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
    /// The LocationConstraint given at creation (the server region if none).
    pub region: String,
    /// Versioning state.
    pub versioning: Versioning,
    /// Access key of the owner.
    pub owner: String,
}

/// Checks a bucket name against S3's general-purpose bucket naming rules; the error is a
/// sentence saying which rule failed.
pub fn validate_name(name: &str) -> Result<(), &'static str> {
    const PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
    const SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return Err("Bucket names must be between 3 and 63 characters long");
    }
    if !bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return Err("Bucket names can consist only of lowercase letters, numbers, dots and hyphens");
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err("Bucket names must begin and end with a letter or number");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return Err("Bucket names must not contain two adjacent periods or a period next to a hyphen");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return Err("Bucket names must not be formatted as an IP address");
    }
    if PREFIXES.iter().any(|p| name.starts_with(p)) || SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Err("Bucket names must not use a prefix or suffix reserved by S3");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_name;

    #[test]
    fn naming_rules() {
        for ok in ["abc", "my-bucket.2", "a".repeat(63).as_str(), "1.2.3"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", &"a".repeat(64), "ABC", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "xn--abc", "abc-s3alias", "a_b", "a b"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }
}
