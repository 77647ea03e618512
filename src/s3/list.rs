//! ListObjects (V1) and ListObjectsV2: a page of current versions under a prefix,
//! with delimiter roll-up into common prefixes. A page costs O(page): the scan starts
//! at the marker and jumps over each common prefix instead of walking its keys.

use base64::Engine as _;

use super::dispatch::{xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::iso8601;
use super::xml::{self as x, NS};
use super::Response;
use crate::meta::keys::prefix_successor;
use crate::model::ObjectVersion;
use crate::store::Store;

/// What to list.
struct ListParams {
    prefix: String,
    delimiter: Option<String>,
    /// Object key bytes to start at (inclusive).
    start: Vec<u8>,
    max_keys: usize,
}

/// One page.
#[derive(Default)]
struct Page {
    entries: Vec<(String, ObjectVersion)>,
    prefixes: Vec<String>,
    truncated: bool,
    /// Where the next page starts (inclusive), when truncated.
    next_start: Option<Vec<u8>>,
    /// The last key or prefix returned (V1 NextMarker).
    last: Option<String>,
}

/// The first key strictly after `marker`, skipping the whole common prefix if the
/// marker is one (as returned as NextMarker by a delimited V1 listing).
fn start_after(marker: &str, prefix: &str, delimiter: Option<&str>) -> Vec<u8> {
    if let Some(d) = delimiter.filter(|d| !d.is_empty()) {
        if marker.len() > prefix.len()
            && marker.starts_with(prefix)
            && marker.ends_with(d)
            && marker[prefix.len()..].find(d) == Some(marker.len() - prefix.len() - d.len())
        {
            return prefix_successor(marker.as_bytes()).unwrap_or_else(|| marker.as_bytes().to_vec());
        }
    }
    let mut s = marker.as_bytes().to_vec();
    s.push(0);
    s
}

fn list_page(store: &Store, bucket: &str, p: &ListParams) -> S3Result<Page> {
    let mut page = Page::default();
    // max-keys=0 asks for nothing: S3 answers an empty, untruncated page.
    if p.max_keys == 0 {
        return Ok(page);
    }
    let mut cursor = if p.start.as_slice() < p.prefix.as_bytes() { p.prefix.as_bytes().to_vec() } else { p.start.clone() };
    let delimiter = p.delimiter.as_deref().filter(|d| !d.is_empty());
    // With a delimiter, a scan stops at the first common prefix and seeks past it, so
    // records read beyond it are wasted: read one record after each jump and double
    // the batch while plain keys keep coming (many prefixes cost one seek and one
    // record each; long runs of plain keys still come in large batches).
    let mut delimited_batch = 1;
    loop {
        let want = if delimiter.is_some() { delimited_batch } else { p.max_keys.saturating_sub(page.entries.len()) + 1 };
        delimited_batch = (delimited_batch * 2).min(1024);
        let batch = store.scan_current(bucket, &cursor, want)?;
        if batch.is_empty() {
            return Ok(page);
        }
        for (key, version) in batch {
            if !key.starts_with(&p.prefix) {
                return Ok(page);
            }
            if version.delete_marker {
                cursor = next_key(&key);
                continue;
            }
            let common = delimiter.and_then(|d| key[p.prefix.len()..].find(d).map(|i| key[..p.prefix.len() + i + d.len()].to_owned()));
            if page.entries.len() + page.prefixes.len() >= p.max_keys {
                page.truncated = true;
                page.next_start = Some(cursor);
                return Ok(page);
            }
            if let Some(cp) = common {
                let next = prefix_successor(cp.as_bytes());
                page.prefixes.push(cp.clone());
                page.last = Some(cp);
                // No successor: the prefix is all 0xFF bytes, nothing can follow it.
                let Some(next) = next else { return Ok(page) };
                cursor = next;
                delimited_batch = 1;
                break;
            }
            cursor = next_key(&key);
            page.last = Some(key.clone());
            page.entries.push((key, version));
        }
    }
}

fn next_key(key: &str) -> Vec<u8> {
    let mut k = key.as_bytes().to_vec();
    k.push(0);
    k
}

fn encoder(url: bool) -> impl Fn(&str) -> String {
    move |s: &str| x::encode_key(s, url)
}

fn entries(ctx: &Ctx<'_>, page: &Page, enc: &dyn Fn(&str) -> String, owner: bool) -> S3Result<Vec<x::ListEntry>> {
    let bucket_owner = if owner { Some(ctx.bucket_owner_element(ctx.route.bucket.as_deref().unwrap_or_default())?) } else { None };
    Ok(page
        .entries
        .iter()
        .map(|(key, v)| x::ListEntry {
            key: enc(key),
            last_modified: iso8601(v.last_modified_ms),
            etag: v.quoted_etag(),
            checksum_algorithm: v.checksums.iter().map(|(a, _)| a.s3_name()).collect(),
            checksum_type: (!v.checksums.is_empty()).then(|| v.checksum_type()),
            size: v.size,
            owner: bucket_owner.as_ref().map(|b| ctx.version_owner(b, v)),
            storage_class: v.storage_class.clone(),
        })
        .collect())
}

/// GET /bucket (V1).
pub fn list_objects_v1(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let url = ctx.url_encoding()?;
    let prefix = ctx.param("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx.param("delimiter").filter(|d| !d.is_empty()).map(str::to_owned);
    let marker = ctx.param("marker").unwrap_or_default().to_owned();
    let params = ListParams {
        start: if marker.is_empty() { Vec::new() } else { start_after(&marker, &prefix, delimiter.as_deref()) },
        prefix,
        delimiter,
        max_keys: ctx.page_size("max-keys")?,
    };
    let page = list_page(&ctx.state.store, bucket, &params)?;
    let enc = encoder(url);
    let result = x::ListBucketResultV1 {
        xmlns: NS,
        name: bucket.to_owned(),
        prefix: enc(&params.prefix),
        marker: enc(&marker),
        // S3 sends NextMarker only with a delimiter; clients otherwise use the last key.
        next_marker: if page.truncated && params.delimiter.is_some() { page.last.as_deref().map(&enc) } else { None },
        max_keys: params.max_keys,
        delimiter: params.delimiter.as_deref().map(&enc),
        is_truncated: page.truncated,
        encoding_type: url.then_some("url"),
        contents: entries(ctx, &page, &enc, true)?,
        common_prefixes: page.prefixes.iter().map(|p| x::CommonPrefix { prefix: enc(p) }).collect(),
    };
    Ok(xml(x::to_xml("ListBucketResult", &result)?))
}

/// GET /bucket?list-type=2.
pub fn list_objects_v2(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let url = ctx.url_encoding()?;
    let prefix = ctx.param("prefix").unwrap_or_default().to_owned();
    let delimiter = ctx.param("delimiter").filter(|d| !d.is_empty()).map(str::to_owned);
    let token = ctx.param("continuation-token").map(str::to_owned);
    let start_after_param = ctx.param("start-after").map(str::to_owned);
    let start = match (&token, &start_after_param) {
        (Some(t), _) => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(t)
            .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "The continuation token provided is incorrect"))?,
        (None, Some(s)) if !s.is_empty() => start_after(s, &prefix, delimiter.as_deref()),
        _ => Vec::new(),
    };
    let params = ListParams { prefix, delimiter, start, max_keys: ctx.page_size("max-keys")? };
    let page = list_page(&ctx.state.store, bucket, &params)?;
    let enc = encoder(url);
    let fetch_owner = ctx.param("fetch-owner").is_some_and(|v| v == "true");
    let result = x::ListBucketResultV2 {
        xmlns: NS,
        name: bucket.to_owned(),
        prefix: enc(&params.prefix),
        max_keys: params.max_keys,
        key_count: page.entries.len() + page.prefixes.len(),
        delimiter: params.delimiter.as_deref().map(&enc),
        is_truncated: page.truncated,
        continuation_token: token,
        next_continuation_token: page.next_start.as_ref().map(|s| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)),
        start_after: start_after_param.as_deref().map(&enc),
        encoding_type: url.then_some("url"),
        contents: entries(ctx, &page, &enc, fetch_owner)?,
        common_prefixes: page.prefixes.iter().map(|p| x::CommonPrefix { prefix: enc(p) }).collect(),
    };
    Ok(xml(x::to_xml("ListBucketResult", &result)?))
}

#[cfg(test)]
mod tests {
    use super::start_after;

    #[test]
    fn markers() {
        assert_eq!(start_after("a", "", None), b"a\0".to_vec());
        assert_eq!(start_after("a/", "", Some("/")), b"a0".to_vec());
        assert_eq!(start_after("p/a/", "p/", Some("/")), b"p/a0".to_vec());
        // A key that merely ends with the delimiter deeper down is not a common prefix.
        assert_eq!(start_after("a/b/", "", Some("/")), b"a/b/\0".to_vec());
    }
}
