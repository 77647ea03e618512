//! Key encoding: how records map onto the store's single ordered key space.
//!
//! Every key starts with a one-byte record kind. Within a kind, byte order is the order
//! the records are listed in: S3 lists object keys in UTF-8 binary order, and versions of
//! one key newest first.
//!
//! | kind | key | value |
//! |---|---|---|
//! | `B` | bucket name | `BucketRecord` |
//! | `O` | bucket, 0x00, object key | current `ObjectVersion` (the latest, for listing/GET) |
//! | `V` | bucket, 0x00, escaped key, 0x00 0x01, !seq (8 bytes BE) | every `ObjectVersion` |
//! | `D` | seq (8 bytes BE) | the bytes of the object version with that seq, stored inline (small objects) |
//! | `R` | blob hash (32 bytes) | reference count, u64 BE |
//! | `S` | counter name | u64 BE |
//! | `K` | bucket, 0x00, document name | a bucket configuration (tagging, lifecycle) |
//! | `W` | worker name | a background worker's resume point |
//! | `E` | seq (8 bytes BE) | `OutboxEntry`: an event awaiting delivery |
//! | `U` | bucket, 0x00, escaped key, 0x00 0x01, upload id | `UploadRecord` |
//! | `P` | upload id, 0x00, part number (4 bytes BE) | `PartRecord` |
//! | `C` | upload id | completed upload (for retried Complete) |
//! | `I` | account id | an account and its IAM entities (`iam::model::AccountData`) |
//! | `M` | account id | the account's KMS keys and aliases (`kms::model::KmsAccount`) |
//! | `G` | bucket name | the bucket's `BucketUsage`, kept current by every batch |
//! | `Q` | account id | the account's `Quota` (a bucket's is its `quota` configuration document) |
//! | `A` | seq (8 bytes BE) | a server access log record awaiting delivery to its target bucket |
//!
//! Bucket names never contain 0x00 (S3 naming rules), so `bucket 0x00` delimits a bucket's
//! range. In `V` keys the object key may itself contain 0x00, so it is escaped (0x00 →
//! 0x00 0xFF) and terminated by 0x00 0x01, which keeps "a" before "a\0" before "ab".

/// Record kind prefix of buckets.
const BUCKET: u8 = b'B';
/// Record kind prefix of current versions.
const CURRENT: u8 = b'O';
/// Record kind prefix of all versions.
const VERSION: u8 = b'V';
/// Record kind prefix of inline object bytes.
const INLINE: u8 = b'D';
/// Record kind prefix of blob reference counts.
const REFCOUNT: u8 = b'R';
/// Record kind prefix of counters.
const COUNTER: u8 = b'S';
/// Record kind prefix of per-bucket configuration documents.
const BUCKET_CONFIG: u8 = b'K';
/// Record kind prefix of the event outbox.
const OUTBOX: u8 = b'E';
/// Record kind prefix of background-worker progress.
const PROGRESS: u8 = b'W';
/// Record kind prefix of multipart uploads.
const UPLOAD: u8 = b'U';
/// Record kind prefix of uploaded parts.
const PART: u8 = b'P';
/// Record kind prefix of completed uploads.
const COMPLETED: u8 = b'C';
/// Record kind prefix of accounts (with their IAM entities).
const ACCOUNT: u8 = b'I';

/// Record kind prefix of KMS records (an account's keys and aliases).
const KMS: u8 = b'M';
/// Record kind prefix of per-bucket usage.
const USAGE: u8 = b'G';
/// Record kind prefix of account quotas.
const QUOTA: u8 = b'Q';

/// Key of a bucket's usage record.
pub fn usage(bucket: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + bucket.len());
    k.push(USAGE);
    k.extend_from_slice(bucket.as_bytes());
    k
}

/// Range `[start, end)` of all usage records.
pub fn usage_range() -> (Vec<u8>, Vec<u8>) {
    (vec![USAGE], vec![USAGE + 1])
}

/// Bucket name from a usage record key.
pub fn usage_bucket(key: &[u8]) -> Option<&str> {
    key.strip_prefix(&[USAGE]).and_then(|n| std::str::from_utf8(n).ok())
}

/// Record kind prefix of server access log records awaiting delivery.
const ACCESS_RECORD: u8 = b'A';

/// Key of an access log record awaiting delivery; records sort in arrival order.
pub fn access_record(seq: u64) -> Vec<u8> {
    let mut k = vec![ACCESS_RECORD];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Range `[start, end)` of the access log records awaiting delivery.
pub fn access_record_range() -> (Vec<u8>, Vec<u8>) {
    (vec![ACCESS_RECORD], vec![ACCESS_RECORD + 1])
}

/// The seq of an access log record's key.
pub fn access_record_seq(key: &[u8]) -> Option<u64> {
    key.strip_prefix(&[ACCESS_RECORD]).and_then(|b| <[u8; 8]>::try_from(b).ok()).map(u64::from_be_bytes)
}

/// Key of an account's quota.
pub fn account_quota(account: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + account.len());
    k.push(QUOTA);
    k.extend_from_slice(account.as_bytes());
    k
}

/// Range `[start, end)` of all account quotas.
pub fn account_quota_range() -> (Vec<u8>, Vec<u8>) {
    (vec![QUOTA], vec![QUOTA + 1])
}

/// What a record counts toward in a bucket's usage (see `store::usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted<'a> {
    /// The current version of a key in this bucket.
    Current(&'a str),
    /// A version in this bucket.
    Version(&'a str),
    /// A multipart upload in this bucket.
    Upload(&'a str),
    /// A part of an upload (whose bucket the key does not say).
    Part,
    /// The bucket record itself.
    Bucket(&'a str),
}

/// What the record at `key` counts toward, if anything.
pub fn counted(key: &[u8]) -> Option<Counted<'_>> {
    let (&kind, rest) = key.split_first()?;
    let bucket = || {
        let end = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..end]).ok()
    };
    match kind {
        CURRENT => bucket().map(Counted::Current),
        VERSION => bucket().map(Counted::Version),
        UPLOAD => bucket().map(Counted::Upload),
        PART => Some(Counted::Part),
        BUCKET => std::str::from_utf8(rest).ok().map(Counted::Bucket),
        _ => None,
    }
}

/// Key of an account's KMS record.
pub fn kms(account: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + account.len());
    k.push(KMS);
    k.extend_from_slice(account.as_bytes());
    k
}

/// Range `[start, end)` of all KMS records.
pub fn kms_range() -> (Vec<u8>, Vec<u8>) {
    (vec![KMS], vec![KMS + 1])
}

/// Key of an account record.
pub fn account(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + id.len());
    k.push(ACCOUNT);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Range `[start, end)` of all account records.
pub fn account_range() -> (Vec<u8>, Vec<u8>) {
    (vec![ACCOUNT], vec![ACCOUNT + 1])
}

/// Key of a bucket record.
pub fn bucket(name: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + name.len());
    k.push(BUCKET);
    k.extend_from_slice(name.as_bytes());
    k
}

/// Range `[start, end)` of all bucket records.
pub fn bucket_range() -> (Vec<u8>, Vec<u8>) {
    (vec![BUCKET], vec![BUCKET + 1])
}

/// Bucket name from a bucket record key.
pub fn bucket_name(key: &[u8]) -> Option<&str> {
    key.strip_prefix(&[BUCKET]).and_then(|n| std::str::from_utf8(n).ok())
}

fn with_bucket(kind: u8, bucket: &str, extra: usize) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + bucket.len() + extra);
    k.push(kind);
    k.extend_from_slice(bucket.as_bytes());
    k.push(0);
    k
}

/// Key of the current version of `key` in `bucket`.
pub fn current(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = with_bucket(CURRENT, bucket, key.len());
    k.extend_from_slice(key.as_bytes());
    k
}

/// Range `[start, end)` of the current versions in `bucket`.
pub fn current_range(bucket: &str) -> (Vec<u8>, Vec<u8>) {
    let start = with_bucket(CURRENT, bucket, 0);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 1;
    (start, end)
}

/// The object key inside a current-version record key of `bucket`.
pub fn current_object_key<'a>(bucket: &str, key: &'a [u8]) -> Option<&'a str> {
    let rest = key.get(2 + bucket.len()..)?;
    std::str::from_utf8(rest).ok()
}

fn escaped_key(bucket: &str, key: &str) -> Vec<u8> {
    escaped(VERSION, bucket, key)
}

fn escaped(kind: u8, bucket: &str, key: &str) -> Vec<u8> {
    let mut k = with_bucket(kind, bucket, key.len() + 10);
    for &b in key.as_bytes() {
        k.push(b);
        if b == 0 {
            k.push(0xFF);
        }
    }
    k.extend_from_slice(&[0, 1]);
    k
}

/// Key of version number `seq` of `key` in `bucket`; newer (higher) seqs sort first.
pub fn version(bucket: &str, key: &str, seq: u64) -> Vec<u8> {
    let mut k = escaped_key(bucket, key);
    k.extend_from_slice(&(!seq).to_be_bytes());
    k
}

/// Key of the inline bytes of the version with (store-wide unique) sequence number
/// `seq`. Keyed by seq alone, so new records always append at the end of the key space:
/// sled then writes each leaf page of them once, instead of rewriting pages of 4 KiB
/// values scattered over the whole key space as keys arrive in any order.
pub fn inline(seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    k.push(INLINE);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The sequence number of an inline record key.
pub fn decode_inline(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.strip_prefix(&[INLINE])?.try_into().ok()?))
}

/// Range `[start, end)` of every inline record.
pub fn inline_range() -> (Vec<u8>, Vec<u8>) {
    (vec![INLINE], vec![INLINE + 1])
}

/// Range `[start, end)` of all versions of `key` in `bucket`, newest first.
pub fn versions_of(bucket: &str, key: &str) -> (Vec<u8>, Vec<u8>) {
    let start = escaped_key(bucket, key);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 2;
    (start, end)
}

/// Range `[start, end)` of all versions in `bucket`.
pub fn version_range(bucket: &str) -> (Vec<u8>, Vec<u8>) {
    let start = with_bucket(VERSION, bucket, 0);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 1;
    (start, end)
}

/// Key of a multipart upload.
pub fn upload(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    let mut k = escaped(UPLOAD, bucket, key);
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// Start of the uploads of `key` in `bucket` (for markers).
pub fn uploads_of(bucket: &str, key: &str) -> Vec<u8> {
    escaped(UPLOAD, bucket, key)
}

/// Start of the uploads whose key begins with `prefix` in `bucket`; every such upload
/// key begins with these bytes (escaping is per byte, so it preserves prefixes).
pub fn uploads_with_prefix(bucket: &str, prefix: &str) -> Vec<u8> {
    let mut k = escaped(UPLOAD, bucket, prefix);
    k.truncate(k.len() - 2);
    k
}

/// Range `[start, end)` of all multipart uploads in `bucket`, by key then upload id.
pub fn upload_range(bucket: &str) -> (Vec<u8>, Vec<u8>) {
    let start = with_bucket(UPLOAD, bucket, 0);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 1;
    (start, end)
}

/// Decodes the object key and upload id of an upload record key of `bucket`.
pub fn decode_upload(bucket: &str, key: &[u8]) -> Option<(String, String)> {
    let (object, rest) = decode_escaped(bucket, key)?;
    Some((object, std::str::from_utf8(rest).ok()?.to_owned()))
}

/// Decodes the object key and seq of a version record key of `bucket`.
pub fn decode_version(bucket: &str, key: &[u8]) -> Option<(String, u64)> {
    let (object, rest) = decode_escaped(bucket, key)?;
    Some((object, !u64::from_be_bytes(rest.try_into().ok()?)))
}

/// Start of the versions whose key begins with `prefix` in `bucket`.
pub fn versions_with_prefix(bucket: &str, prefix: &str) -> Vec<u8> {
    let mut k = escaped(VERSION, bucket, prefix);
    k.truncate(k.len() - 2);
    k
}

/// Splits a record key of an escaped-key kind into the object key and what follows its
/// terminator.
fn decode_escaped<'a>(bucket: &str, key: &'a [u8]) -> Option<(String, &'a [u8])> {
    let rest = key.get(2 + bucket.len()..)?;
    let mut object = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (0, Some(0xFF)) => {
                object.push(0);
                i += 2;
            }
            (0, Some(1)) => return Some((String::from_utf8(object).ok()?, &rest[i + 2..])),
            (b, _) => {
                object.push(b);
                i += 1;
            }
        }
    }
    None
}

/// Key of part `number` of an upload.
pub fn part(upload_id: &str, number: u32) -> Vec<u8> {
    let mut k = part_prefix(upload_id);
    k.extend_from_slice(&number.to_be_bytes());
    k
}

fn part_prefix(upload_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(6 + upload_id.len());
    k.push(PART);
    k.extend_from_slice(upload_id.as_bytes());
    k.push(0);
    k
}

/// Range `[start, end)` of the parts of an upload, by part number.
pub fn part_range(upload_id: &str) -> (Vec<u8>, Vec<u8>) {
    let start = part_prefix(upload_id);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 1;
    (start, end)
}

/// Key of a completed upload's record.
pub fn completed(upload_id: &str) -> Vec<u8> {
    let mut k = vec![COMPLETED];
    k.extend_from_slice(upload_id.as_bytes());
    k
}

/// Range `[start, end)` of every completed upload's record.
pub fn completed_range() -> (Vec<u8>, Vec<u8>) {
    (vec![COMPLETED], vec![COMPLETED + 1])
}

/// Key of the reference count of a blob in a tier: `tier` is empty for the main blob
/// directory, else the tier's storage class name.
pub fn refcount(hash: &[u8; 32], tier: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(33 + tier.len());
    k.push(REFCOUNT);
    k.extend_from_slice(hash);
    k.extend_from_slice(tier);
    k
}

/// Splits a reference-count key into the blob hash and the tier suffix.
pub fn decode_refcount(key: &[u8]) -> Option<([u8; 32], &[u8])> {
    let rest = key.strip_prefix(&[REFCOUNT])?;
    let hash = rest.get(..32)?.try_into().ok()?;
    Some((hash, &rest[32..]))
}

/// Range `[start, end)` of all reference counts.
pub fn refcount_range() -> (Vec<u8>, Vec<u8>) {
    (vec![REFCOUNT], vec![REFCOUNT + 1])
}

/// Key of a bucket configuration document (`tagging`, `lifecycle`).
pub fn bucket_config(bucket: &str, name: &str) -> Vec<u8> {
    let mut k = with_bucket(BUCKET_CONFIG, bucket, name.len());
    k.extend_from_slice(name.as_bytes());
    k
}

/// Range `[start, end)` of a bucket's configuration documents.
pub fn bucket_config_range(bucket: &str) -> (Vec<u8>, Vec<u8>) {
    let start = with_bucket(BUCKET_CONFIG, bucket, 0);
    let mut end = start.clone();
    *end.last_mut().expect("non-empty") = 1;
    (start, end)
}

/// Whether `key` is an outbox entry's.
pub fn is_outbox(key: &[u8]) -> bool {
    key.first() == Some(&OUTBOX)
}

/// Key of an outbox entry; entries sort in commit order.
pub fn outbox(seq: u64) -> Vec<u8> {
    let mut k = vec![OUTBOX];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Range `[start, end)` of the outbox.
pub fn outbox_range() -> (Vec<u8>, Vec<u8>) {
    (vec![OUTBOX], vec![OUTBOX + 1])
}

/// Key of a background worker's progress record.
pub fn progress(worker: &str) -> Vec<u8> {
    let mut k = vec![PROGRESS];
    k.extend_from_slice(worker.as_bytes());
    k
}

/// Key of a named counter.
pub fn counter(name: &str) -> Vec<u8> {
    let mut k = vec![COUNTER];
    k.extend_from_slice(name.as_bytes());
    k
}

/// The smallest byte string greater than every string starting with `prefix`, or `None`
/// if there is none (all 0xFF). Used to skip a whole common prefix in one scan.
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < 0xFF {
            p.push(last + 1);
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_records_name_their_bucket() {
        assert_eq!(counted(&current("b1", "k\0x")), Some(Counted::Current("b1")));
        assert_eq!(counted(&version("b1", "k\0x", 7)), Some(Counted::Version("b1")));
        assert_eq!(counted(&upload("b1", "k", "u")), Some(Counted::Upload("b1")));
        assert_eq!(counted(&part("u", 3)), Some(Counted::Part));
        assert_eq!(counted(&bucket("b1")), Some(Counted::Bucket("b1")));
        assert_eq!(counted(&bucket_config("b1", "quota")), None);
        assert_eq!(counted(&usage("b1")), None);
        assert_eq!(counted(&[]), None);
    }

    #[test]
    fn version_keys_sort_by_object_key_then_newest_first() {
        let mut ks = vec![version("b", "ab", 1), version("b", "a\0", 5), version("b", "a", 1), version("b", "a", 9), version("b", "a/", 3)];
        ks.sort();
        assert_eq!(
            ks,
            vec![version("b", "a", 9), version("b", "a", 1), version("b", "a\0", 5), version("b", "a/", 3), version("b", "ab", 1)]
        );
        let (s, e) = versions_of("b", "a");
        assert!(version("b", "a", 0) >= s && version("b", "a", 0) < e);
        assert!(version("b", "a\0", 0) >= e);
    }

    #[test]
    fn inline_keys_append_in_seq_order() {
        assert!(inline(1) < inline(2) && inline(255) < inline(256));
        assert_eq!(decode_inline(&inline(7)), Some(7));
        assert_eq!(decode_inline(&version("b", "k", 7)), None);
        let (start, end) = inline_range();
        assert!(inline(0) >= start && inline(u64::MAX) < end);
    }

    #[test]
    fn buckets_do_not_overlap() {
        let (s, e) = current_range("ab");
        assert!(current("ab", "") >= s && current("ab", "\u{10FFFF}") < e);
        assert!(current("abc", "") >= e || current("abc", "") < s);
        assert_eq!(current_object_key("ab", &current("ab", "x/y")), Some("x/y"));
    }

    #[test]
    fn upload_keys_round_trip_and_order() {
        assert_eq!(decode_version("b", &version("b", "k\0/x", 42)), Some(("k\0/x".to_owned(), 42)));
        let a = upload("b", "k\0x", "0001");
        assert_eq!(decode_upload("b", &a), Some(("k\0x".to_owned(), "0001".to_owned())));
        assert!(upload("b", "k", "0002") < upload("b", "k\0", "0001"));
        let (s, e) = upload_range("b");
        assert!(a >= s && a < e);
        let (ps, pe) = part_range("u1");
        assert!(part("u1", 1) >= ps && part("u1", 10_000) < pe && part("u10", 1) >= pe);
    }

    #[test]
    fn successor() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff"), None);
    }
}
