//! Domain types and pure logic: buckets, object versions and their manifests, byte
//! ranges. No I/O, no HTTP: this module must not import hyper, the `s3` layer, `meta`
//! or blob file handling (it uses only the blob *types* `BlobHash` and
//! `ChecksumAlgorithm`).

pub mod acl;
pub mod bucket;
pub mod cors;
pub mod encryption;
pub mod event;
pub mod lifecycle;
pub mod lock;
pub mod logging;
pub mod multipart;
pub mod notification;
pub mod object;
pub mod range;
pub mod stored;
pub mod tags;
pub mod usage;
pub mod website;
pub mod xmldoc;

pub use bucket::{BucketRecord, Versioning};
pub use object::{ContentHeaders, ManifestEntry, ObjectVersion};
