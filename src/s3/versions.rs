//! ListObjectVersions: every version and delete marker, by key then newest first, with
//! prefix, delimiter, key-marker / version-id-marker pagination. A page costs O(page).

use serde::Serialize;

use super::dispatch::{xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::iso8601;
use super::xml::{self as x, CommonPrefix, Owner, NS};
use super::Response;
use crate::meta::keys;
use crate::store::VersionEntry;

/// ListObjectVersions response.
#[derive(Serialize)]
struct ListVersionsResult {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Prefix")]
    prefix: String,
    #[serde(rename = "KeyMarker")]
    key_marker: String,
    #[serde(rename = "VersionIdMarker")]
    version_id_marker: String,
    #[serde(rename = "NextKeyMarker", skip_serializing_if = "Option::is_none")]
    next_key_marker: Option<String>,
    #[serde(rename = "NextVersionIdMarker", skip_serializing_if = "Option::is_none")]
    next_version_id_marker: Option<String>,
    #[serde(rename = "MaxKeys")]
    max_keys: usize,
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    delimiter: Option<String>,
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    encoding_type: Option<&'static str>,
    /// Versions and delete markers, interleaved in listing order.
    #[serde(rename = "$value")]
    rows: Vec<Row>,
    #[serde(rename = "CommonPrefixes")]
    common_prefixes: Vec<CommonPrefix>,
}

/// One listed entry; the variant name is the element name.
#[derive(Serialize)]
enum Row {
    Version(VersionItem),
    DeleteMarker(MarkerItem),
}

#[derive(Serialize)]
struct VersionItem {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "VersionId")]
    version_id: String,
    #[serde(rename = "IsLatest")]
    is_latest: bool,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "ETag")]
    etag: String,
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Vec::is_empty")]
    checksum_algorithm: Vec<&'static str>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    checksum_type: Option<&'static str>,
    #[serde(rename = "Size")]
    size: u64,
    #[serde(rename = "StorageClass")]
    storage_class: String,
    #[serde(rename = "Owner")]
    owner: Owner,
}

#[derive(Serialize)]
struct MarkerItem {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "VersionId")]
    version_id: String,
    #[serde(rename = "IsLatest")]
    is_latest: bool,
    #[serde(rename = "LastModified")]
    last_modified: String,
    #[serde(rename = "Owner")]
    owner: Owner,
}

/// Where the listing starts (a version-record key, inclusive).
fn start_key(ctx: &Ctx<'_>, bucket: &str, prefix: &str, delimiter: Option<&str>) -> S3Result<Vec<u8>> {
    let floor = keys::versions_with_prefix(bucket, prefix);
    let key_marker = ctx.param("key-marker").unwrap_or_default();
    if key_marker.is_empty() {
        if ctx.param("version-id-marker").is_some_and(|v| !v.is_empty()) {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "A version-id marker cannot be specified without a key marker.",
            ));
        }
        return Ok(floor);
    }
    let after = match ctx.param("version-id-marker").filter(|v| !v.is_empty()) {
        Some(id) => {
            let v = ctx
                .state
                .store
                .version(bucket, key_marker, id)?
                .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid version id specified"))?;
            let mut k = keys::version(bucket, key_marker, v.seq);
            k.push(0);
            k
        }
        // A key marker that is a common prefix skips everything under it.
        None if delimiter.is_some_and(|d| key_marker.ends_with(d)) => {
            keys::prefix_successor(&keys::versions_with_prefix(bucket, key_marker)).unwrap_or_default()
        }
        None => keys::versions_of(bucket, key_marker).1,
    };
    Ok(if after > floor { after } else { floor })
}

/// GET /bucket?versions.
pub fn list_object_versions(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let prefix = ctx.param("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx.param("delimiter").filter(|d| !d.is_empty()).map(str::to_owned);
    let url = ctx.url_encoding()?;
    let max = ctx.page_size("max-keys")?;
    let mut cursor = start_key(ctx, bucket, &prefix, delimiter.as_deref())?;
    let mut rows: Vec<VersionEntry> = Vec::new();
    let mut latest: Vec<bool> = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut truncated = false;
    let mut current: Option<(String, Option<u64>)> = None;
    let store = &ctx.state.store;
    // max-keys=0 asks for nothing: an empty, untruncated page, as S3 answers.
    'scan: loop {
        if max == 0 {
            break;
        }
        let batch = store.scan_versions(bucket, &cursor, 256)?;
        if batch.is_empty() {
            break;
        }
        for e in batch {
            if !e.key.starts_with(&prefix) {
                break 'scan;
            }
            if rows.len() + prefixes.len() >= max {
                truncated = true;
                break 'scan;
            }
            let common =
                delimiter.as_deref().and_then(|d| e.key[prefix.len()..].find(d).map(|i| e.key[..prefix.len() + i + d.len()].to_owned()));
            if let Some(cp) = common {
                let next = keys::prefix_successor(&keys::versions_with_prefix(bucket, &cp));
                prefixes.push(cp);
                match next {
                    Some(n) => cursor = n,
                    None => break 'scan,
                }
                continue 'scan;
            }
            if current.as_ref().is_none_or(|(k, _)| *k != e.key) {
                current = Some((e.key.clone(), store.current(bucket, &e.key)?.map(|c| c.seq)));
            }
            latest.push(current.as_ref().and_then(|(_, s)| *s) == Some(e.version.seq));
            cursor = keys::version(bucket, &e.key, e.version.seq);
            cursor.push(0);
            rows.push(e);
        }
    }
    let enc = |s: &str| x::encode_key(s, url);
    let owner = ctx.bucket_owner_element(bucket)?;
    let (next_key, next_version) = match (truncated, rows.last(), prefixes.last()) {
        (true, Some(r), p) if p.is_none_or(|p| *p < r.key) => (Some(enc(&r.key)), Some(r.version.version_id.clone())),
        (true, _, Some(p)) => (Some(enc(p)), None),
        _ => (None, None),
    };
    let result = ListVersionsResult {
        xmlns: NS,
        name: bucket.to_owned(),
        prefix: enc(&prefix),
        key_marker: enc(ctx.param("key-marker").unwrap_or_default()),
        version_id_marker: ctx.param("version-id-marker").unwrap_or_default().to_owned(),
        next_key_marker: next_key,
        next_version_id_marker: next_version,
        max_keys: max,
        delimiter: delimiter.as_deref().map(enc),
        is_truncated: truncated,
        encoding_type: url.then_some("url"),
        rows: rows
            .iter()
            .zip(latest)
            .map(|(e, is_latest)| {
                let v = &e.version;
                if v.delete_marker {
                    Row::DeleteMarker(MarkerItem {
                        key: enc(&e.key),
                        version_id: v.version_id.clone(),
                        is_latest,
                        last_modified: iso8601(v.last_modified_ms),
                        owner: owner.clone(),
                    })
                } else {
                    Row::Version(VersionItem {
                        key: enc(&e.key),
                        version_id: v.version_id.clone(),
                        is_latest,
                        last_modified: iso8601(v.last_modified_ms),
                        etag: v.quoted_etag(),
                        checksum_algorithm: v.checksums.iter().map(|(a, _)| a.s3_name()).collect(),
                        checksum_type: (!v.checksums.is_empty()).then(|| v.checksum_type()),
                        size: v.size,
                        storage_class: v.storage_class.clone(),
                        owner: ctx.version_owner(&owner, v),
                    })
                }
            })
            .collect(),
        common_prefixes: prefixes.iter().map(|p| CommonPrefix { prefix: enc(p) }).collect(),
    };
    Ok(xml(x::to_xml("ListVersionsResult", &result)?))
}
