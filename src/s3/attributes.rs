//! GetObjectAttributes: an object's ETag, checksum, parts, storage class and size in
//! one XML answer, without its body; `x-amz-object-attributes` picks which.

use serde::Serialize;

use super::dispatch::{xml, Ctx};
use super::error::{S3Error, S3ErrorCode, S3Result};
use super::headers::{self, http_date};
use super::object_get::find_version;
use super::xml::{self as x, NS};
use super::Response;
use crate::blob::{checksum_to_base64, ChecksumAlgorithm};
use crate::model::object::NULL_VERSION;
use crate::model::ObjectVersion;

/// The attributes a request asks for.
#[derive(Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
struct Wanted {
    etag: bool,
    checksum: bool,
    parts: bool,
    storage_class: bool,
    size: bool,
}

/// Parses `x-amz-object-attributes` (comma-separated, possibly repeated).
fn wanted(values: &[&str]) -> S3Result<Wanted> {
    let mut w = Wanted::default();
    for name in values.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
        match name {
            "ETag" => w.etag = true,
            "Checksum" => w.checksum = true,
            "ObjectParts" => w.parts = true,
            "StorageClass" => w.storage_class = true,
            "ObjectSize" => w.size = true,
            other => return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid attribute name specified: {other}"))),
        }
    }
    if w == Wanted::default() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty",
        ));
    }
    Ok(w)
}

/// `<GetObjectAttributesResponse>`.
#[derive(Serialize)]
struct AttributesXml {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(rename = "ETag", skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(rename = "Checksum", skip_serializing_if = "Option::is_none")]
    checksum: Option<ChecksumXml>,
    #[serde(rename = "ObjectParts", skip_serializing_if = "Option::is_none")]
    parts: Option<PartsXml>,
    #[serde(rename = "StorageClass", skip_serializing_if = "Option::is_none")]
    storage_class: Option<String>,
    #[serde(rename = "ObjectSize", skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
}

/// `<Checksum>` (also the checksum fields of one `<Part>`): one element per algorithm.
#[derive(Serialize, Default)]
struct ChecksumXml {
    #[serde(rename = "ChecksumCRC32", skip_serializing_if = "Option::is_none")]
    crc32: Option<String>,
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    crc32c: Option<String>,
    #[serde(rename = "ChecksumCRC64NVME", skip_serializing_if = "Option::is_none")]
    crc64nvme: Option<String>,
    #[serde(rename = "ChecksumSHA1", skip_serializing_if = "Option::is_none")]
    sha1: Option<String>,
    #[serde(rename = "ChecksumSHA256", skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

impl ChecksumXml {
    fn set(&mut self, alg: ChecksumAlgorithm, value: String) {
        let slot = match alg {
            ChecksumAlgorithm::Crc32 => &mut self.crc32,
            ChecksumAlgorithm::Crc32c => &mut self.crc32c,
            ChecksumAlgorithm::Crc64Nvme => &mut self.crc64nvme,
            ChecksumAlgorithm::Sha1 => &mut self.sha1,
            ChecksumAlgorithm::Sha256 => &mut self.sha256,
        };
        *slot = Some(value);
    }
}

/// `<ObjectParts>`.
#[derive(Serialize)]
struct PartsXml {
    #[serde(rename = "IsTruncated")]
    is_truncated: bool,
    #[serde(rename = "MaxParts")]
    max_parts: usize,
    #[serde(rename = "NextPartNumberMarker", skip_serializing_if = "Option::is_none")]
    next_part_number_marker: Option<usize>,
    #[serde(rename = "PartNumberMarker")]
    part_number_marker: usize,
    #[serde(rename = "Part")]
    parts: Vec<PartXml>,
    #[serde(rename = "PartsCount")]
    parts_count: usize,
}

/// One `<Part>`.
#[derive(Serialize)]
struct PartXml {
    #[serde(flatten)]
    checksum: ChecksumXml,
    #[serde(rename = "PartNumber")]
    part_number: usize,
    #[serde(rename = "Size")]
    size: u64,
}

/// A page of the object's parts: those after `marker`, at most `max`. A part is listed
/// with its checksum; objects whose part checksums are not known (written before they
/// were kept) report only the count, as S3 does for parts without checksums.
fn parts_page(v: &ObjectVersion, marker: usize, max: usize) -> PartsXml {
    let count = v.part_sizes.len();
    let alg = v.checksums.first().map(|(a, _)| *a);
    let known = alg.is_some() && v.part_checksums.len() == count;
    let mut parts = Vec::new();
    if known {
        for (i, size) in v.part_sizes.iter().enumerate().skip(marker).take(max) {
            let mut checksum = ChecksumXml::default();
            if let Some(alg) = alg {
                checksum.set(alg, checksum_to_base64(&v.part_checksums[i]));
            }
            parts.push(PartXml { checksum, part_number: i + 1, size: *size });
        }
    }
    let last = parts.last().map(|p| p.part_number);
    let is_truncated = known && last.is_some_and(|n| n < count);
    PartsXml {
        is_truncated,
        max_parts: max,
        next_part_number_marker: if is_truncated { last } else { None },
        part_number_marker: marker,
        parts,
        parts_count: count,
    }
}

/// A non-negative integer header, with a default.
fn number(ctx: &Ctx<'_>, name: &str, default: usize) -> S3Result<usize> {
    match ctx.header(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid {name}: {v}"))),
    }
}

/// GET /bucket/key?attributes.
pub fn get_object_attributes(ctx: &Ctx<'_>) -> S3Result<Response> {
    let bucket = ctx.existing_bucket()?;
    let key = ctx.key()?;
    let values: Vec<&str> = ctx.headers().get_all("x-amz-object-attributes").iter().filter_map(|v| v.to_str().ok()).collect();
    let want = wanted(&values)?;
    let max = number(ctx, "x-amz-max-parts", 1000)?.min(1000);
    let marker = number(ctx, "x-amz-part-number-marker", 0)?;
    let v = find_version(ctx, bucket, key)?;
    super::encryption::check_read(ctx, &v)?;
    if want.checksum || want.parts {
        super::encryption::check_kms_decrypt(ctx, v.encryption.as_ref())?;
    }
    let checksum = want.checksum.then(|| v.checksums.first()).flatten().map(|(alg, raw)| {
        let mut c = ChecksumXml { kind: Some(v.checksum_type()), ..ChecksumXml::default() };
        c.set(*alg, v.checksum_value(raw));
        c
    });
    let doc = AttributesXml {
        xmlns: NS,
        etag: want.etag.then(|| v.etag.clone()),
        checksum,
        parts: (want.parts && !v.part_sizes.is_empty()).then(|| parts_page(&v, marker, max)),
        storage_class: want.storage_class.then(|| v.storage_class.clone()),
        size: want.size.then_some(v.size),
    };
    let mut r = xml(x::to_xml("GetObjectAttributesResponse", &doc)?);
    let h = r.headers_mut();
    headers::put(h, "last-modified", &http_date(v.last_modified_ms));
    if v.version_id != NULL_VERSION {
        headers::put(h, "x-amz-version-id", &v.version_id);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names() {
        assert_eq!(wanted(&["ETag,ObjectSize"]).unwrap(), Wanted { etag: true, size: true, ..Wanted::default() });
        assert_eq!(
            wanted(&["ETag", " Checksum , ObjectParts"]).unwrap(),
            Wanted { etag: true, checksum: true, parts: true, ..Wanted::default() }
        );
        assert_eq!(wanted(&["Bogus"]).unwrap_err().code, S3ErrorCode::InvalidArgument);
        assert_eq!(wanted(&[]).unwrap_err().code, S3ErrorCode::InvalidRequest);
    }

    #[test]
    fn part_pages() {
        let v = ObjectVersion {
            part_sizes: vec![5, 5, 1],
            part_checksums: vec![vec![0, 0, 0, 1], vec![0, 0, 0, 2], vec![0, 0, 0, 3]],
            checksums: vec![(ChecksumAlgorithm::Crc32, vec![0, 0, 0, 9])],
            ..ObjectVersion::empty_for_test(0)
        };
        let first = parts_page(&v, 0, 2);
        assert_eq!(first.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(), [1, 2]);
        assert!(first.is_truncated);
        assert_eq!(first.next_part_number_marker, Some(2));
        let rest = parts_page(&v, 2, 2);
        assert_eq!(rest.parts.iter().map(|p| (p.part_number, p.size)).collect::<Vec<_>>(), [(3, 1)]);
        assert!(!rest.is_truncated);
        let text = x::to_xml("ObjectParts", &rest).unwrap();
        assert!(text.contains("<Part><ChecksumCRC32>AAAAAw==</ChecksumCRC32><PartNumber>3</PartNumber><Size>1</Size></Part>"), "{text}");
        let unknown = parts_page(&ObjectVersion { part_checksums: vec![], ..v }, 0, 2);
        assert!(unknown.parts.is_empty());
        assert_eq!(unknown.parts_count, 3);
    }
}
