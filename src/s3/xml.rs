//! S3's XML documents, as serde types: responses serialized with quick-xml, request
//! bodies parsed with it (any parse failure is `MalformedXML`).

use serde::{Deserialize, Serialize};

use super::error::{S3Error, S3ErrorCode, S3Result};

/// The S3 XML namespace.
pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Characters left as-is when URL-encoding keys in listings: unreserved ones and `/`.
const KEY_SET: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// A key (or prefix, delimiter) as listings show it: URL-encoded with `encoding-type=url`.
pub fn encode_key(s: &str, url: bool) -> String {
    if url {
        percent_encoding::utf8_percent_encode(s, KEY_SET).to_string()
    } else {
        s.to_owned()
    }
}

/// Serializes `value` as the document element `root`, with the XML declaration.
pub fn to_xml<T: Serialize>(root: &str, value: &T) -> S3Result<String> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut ser = quick_xml::se::Serializer::with_root(&mut out, Some(root)).map_err(S3Error::internal)?;
    ser.expand_empty_elements(false);
    value.serialize(ser).map_err(S3Error::internal)?;
    Ok(out)
}

/// Parses a request body whose document element must be `root`; failures are
/// `MalformedXML`.
pub fn from_xml<T: serde::de::DeserializeOwned>(body: &[u8], root: &str) -> S3Result<T> {
    let text = std::str::from_utf8(body).map_err(|_| S3Error::new(S3ErrorCode::MalformedXML))?;
    crate::model::xmldoc::parse_strict(text, root).map_err(|m| S3Error::with_message(S3ErrorCode::MalformedXML, m))
}

/// An owner element.
#[derive(Serialize, Clone)]
pub struct Owner {
    /// Canonical id (we use the access key).
    #[serde(rename = "ID")]
    pub id: String,
    /// Display name.
    #[serde(rename = "DisplayName")]
    pub display_name: String,
}

/// ListBuckets response.
#[derive(Serialize)]
pub struct ListAllMyBucketsResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Owner.
    #[serde(rename = "Owner")]
    pub owner: Owner,
    /// Buckets.
    #[serde(rename = "Buckets")]
    pub buckets: Buckets,
    /// Where the next page starts, when this one is truncated.
    #[serde(rename = "ContinuationToken", skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// The prefix asked for.
    #[serde(rename = "Prefix", skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// The `<Buckets>` list.
#[derive(Serialize)]
pub struct Buckets {
    /// Entries.
    #[serde(rename = "Bucket", default)]
    pub bucket: Vec<BucketEntry>,
}

/// One bucket of ListBuckets.
#[derive(Serialize)]
pub struct BucketEntry {
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// ISO 8601 creation date.
    #[serde(rename = "CreationDate")]
    pub creation_date: String,
    /// Region.
    #[serde(rename = "BucketRegion")]
    pub bucket_region: String,
}

/// GetBucketLocation response (`<LocationConstraint>region</LocationConstraint>`).
#[derive(Serialize)]
pub struct LocationConstraint {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Region; empty for us-east-1 as S3 does.
    #[serde(rename = "$text")]
    pub region: String,
}

/// GetBucketVersioning response.
#[derive(Serialize)]
pub struct VersioningConfiguration {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Enabled / Suspended; absent if never enabled.
    #[serde(rename = "Status", skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
}

/// PutBucketVersioning request body.
#[derive(Deserialize)]
pub struct VersioningConfigurationIn {
    /// Enabled or Suspended.
    #[serde(rename = "Status")]
    pub status: Option<String>,
    /// MFA Delete (not supported).
    #[serde(rename = "MfaDelete")]
    pub mfa_delete: Option<String>,
}

/// CreateBucket request body.
#[derive(Deserialize, Default)]
pub struct CreateBucketConfiguration {
    /// Region requested.
    #[serde(rename = "LocationConstraint")]
    pub location_constraint: Option<String>,
    /// Directory-bucket location (not supported: refused).
    #[serde(rename = "Location")]
    pub location: Option<serde::de::IgnoredAny>,
    /// Directory-bucket type (not supported: refused).
    #[serde(rename = "Bucket")]
    pub bucket: Option<serde::de::IgnoredAny>,
    /// Tags set at creation (not supported yet: refused).
    #[serde(rename = "Tags")]
    pub tags: Option<serde::de::IgnoredAny>,
}

/// One object of a listing.
#[derive(Serialize)]
pub struct ListEntry {
    /// Key (URL-encoded if requested).
    #[serde(rename = "Key")]
    pub key: String,
    /// ISO 8601.
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    /// Quoted ETag.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Checksum algorithms stored with the object.
    #[serde(rename = "ChecksumAlgorithm", skip_serializing_if = "Vec::is_empty")]
    pub checksum_algorithm: Vec<&'static str>,
    /// Checksum type, if a checksum is stored.
    #[serde(rename = "ChecksumType", skip_serializing_if = "Option::is_none")]
    pub checksum_type: Option<&'static str>,
    /// Bytes.
    #[serde(rename = "Size")]
    pub size: u64,
    /// Owner (V1 always, V2 with fetch-owner).
    #[serde(rename = "Owner", skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Storage class.
    #[serde(rename = "StorageClass")]
    pub storage_class: String,
}

/// A common prefix of a delimited listing.
#[derive(Serialize)]
pub struct CommonPrefix {
    /// The prefix (URL-encoded if requested).
    #[serde(rename = "Prefix")]
    pub prefix: String,
}

/// ListObjects (V1) response.
#[derive(Serialize)]
pub struct ListBucketResultV1 {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Bucket.
    #[serde(rename = "Name")]
    pub name: String,
    /// Prefix.
    #[serde(rename = "Prefix")]
    pub prefix: String,
    /// Marker.
    #[serde(rename = "Marker")]
    pub marker: String,
    /// Next marker (only with a delimiter, as S3).
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Max keys.
    #[serde(rename = "MaxKeys")]
    pub max_keys: usize,
    /// Delimiter.
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Truncated?
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// "url" if keys are encoded.
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    /// Objects.
    #[serde(rename = "Contents")]
    pub contents: Vec<ListEntry>,
    /// Common prefixes.
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// ListObjectsV2 response.
#[derive(Serialize)]
pub struct ListBucketResultV2 {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Bucket.
    #[serde(rename = "Name")]
    pub name: String,
    /// Prefix.
    #[serde(rename = "Prefix")]
    pub prefix: String,
    /// Max keys.
    #[serde(rename = "MaxKeys")]
    pub max_keys: usize,
    /// Keys + common prefixes returned.
    #[serde(rename = "KeyCount")]
    pub key_count: usize,
    /// Delimiter.
    #[serde(rename = "Delimiter", skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Truncated?
    #[serde(rename = "IsTruncated")]
    pub is_truncated: bool,
    /// Token given.
    #[serde(rename = "ContinuationToken", skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// Token for the next page.
    #[serde(rename = "NextContinuationToken", skip_serializing_if = "Option::is_none")]
    pub next_continuation_token: Option<String>,
    /// StartAfter given.
    #[serde(rename = "StartAfter", skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    /// "url" if keys are encoded.
    #[serde(rename = "EncodingType", skip_serializing_if = "Option::is_none")]
    pub encoding_type: Option<&'static str>,
    /// Objects.
    #[serde(rename = "Contents")]
    pub contents: Vec<ListEntry>,
    /// Common prefixes.
    #[serde(rename = "CommonPrefixes")]
    pub common_prefixes: Vec<CommonPrefix>,
}

/// CopyObject response.
#[derive(Serialize)]
pub struct CopyObjectResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// ISO 8601.
    #[serde(rename = "LastModified")]
    pub last_modified: String,
    /// Quoted ETag.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// Checksums, as `(element name, base64)`.
    #[serde(flatten)]
    pub checksums: std::collections::BTreeMap<String, String>,
}

/// DeleteObjects request body.
#[derive(Deserialize)]
pub struct Delete {
    /// Quiet mode: report only errors.
    #[serde(rename = "Quiet", default)]
    pub quiet: Option<bool>,
    /// Objects to delete.
    #[serde(rename = "Object", default)]
    pub objects: Vec<ObjectIdentifier>,
}

/// One object of a DeleteObjects request.
#[derive(Deserialize)]
pub struct ObjectIdentifier {
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Version id.
    #[serde(rename = "VersionId")]
    pub version_id: Option<String>,
    /// Conditional delete: the ETag the version must have (or `*`).
    #[serde(rename = "ETag")]
    pub etag: Option<String>,
    /// Conditional delete: the version's Last-Modified (ISO 8601).
    #[serde(rename = "LastModifiedTime")]
    pub last_modified_time: Option<String>,
    /// Conditional delete: the version's size.
    #[serde(rename = "Size")]
    pub size: Option<String>,
}

/// DeleteObjects response.
#[derive(Serialize)]
pub struct DeleteResult {
    /// Namespace.
    #[serde(rename = "@xmlns")]
    pub xmlns: &'static str,
    /// Deleted keys.
    #[serde(rename = "Deleted")]
    pub deleted: Vec<Deleted>,
    /// Failures.
    #[serde(rename = "Error")]
    pub errors: Vec<DeleteError>,
}

/// A deleted key.
#[derive(Serialize)]
pub struct Deleted {
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Version id, if one was given.
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Whether a delete marker was created or removed.
    #[serde(rename = "DeleteMarker", skip_serializing_if = "Option::is_none")]
    pub delete_marker: Option<bool>,
    /// The created delete marker's version id.
    #[serde(rename = "DeleteMarkerVersionId", skip_serializing_if = "Option::is_none")]
    pub delete_marker_version_id: Option<String>,
}

/// A key that could not be deleted.
#[derive(Serialize)]
pub struct DeleteError {
    /// Key.
    #[serde(rename = "Key")]
    pub key: String,
    /// Version id, if one was given.
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// S3 code.
    #[serde(rename = "Code")]
    pub code: &'static str,
    /// Message.
    #[serde(rename = "Message")]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_result_shape() {
        let r = ListBucketResultV2 {
            xmlns: NS,
            name: "b".into(),
            prefix: String::new(),
            max_keys: 1000,
            key_count: 1,
            delimiter: Some("/".into()),
            is_truncated: false,
            continuation_token: None,
            next_continuation_token: None,
            start_after: None,
            encoding_type: None,
            contents: vec![ListEntry {
                key: "a&b".into(),
                last_modified: "2009-10-12T17:50:30.000Z".into(),
                etag: "\"x\"".into(),
                checksum_algorithm: vec!["CRC64NVME"],
                checksum_type: Some("FULL_OBJECT"),
                size: 3,
                owner: None,
                storage_class: "STANDARD".into(),
            }],
            common_prefixes: vec![CommonPrefix { prefix: "p/".into() }],
        };
        let xml = to_xml("ListBucketResult", &r).unwrap();
        assert!(xml.contains("<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix/>"), "{xml}");
        assert!(xml.contains("<Contents><Key>a&amp;b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"), "{xml}");
        assert!(
            xml.contains("<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>3</Size>"),
            "{xml}"
        );
        assert!(xml.contains("<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>"), "{xml}");
    }

    #[test]
    fn delete_request_parses_and_bad_xml_is_malformed() {
        let d: Delete = from_xml(b"<Delete xmlns=\"x\"><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v</VersionId></Object></Delete>", "Delete").unwrap();
        assert_eq!(d.quiet, Some(true));
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[1].version_id.as_deref(), Some("v"));
        assert_eq!(from_xml::<Delete>(b"<Delete><Object>", "Delete").err().unwrap().code, S3ErrorCode::MalformedXML);
    }
}
