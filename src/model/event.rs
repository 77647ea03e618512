//! Change events: what the store records in its outbox, in the same batch as the
//! change, for delivery to notification targets.

use serde::{Deserialize, Serialize};

/// Why a change happened: the operation and who asked (for the event's
/// `userIdentity`, `requestParameters` and `responseElements`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// The operation.
    pub kind: CauseKind,
    /// The request id (`x-amz-request-id`), empty for background work.
    pub request_id: String,
    /// The client's address, empty for background work.
    pub source_ip: String,
    /// Who caused it: the caller's `aws:userid` ("Anonymous" for an unsigned request; an
    /// access key in events recorded by earlier versions), empty for background work.
    pub principal: String,
}

/// The operation behind a change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CauseKind {
    /// PutObject.
    #[default]
    Put,
    /// CopyObject.
    Copy,
    /// CompleteMultipartUpload.
    CompleteMultipartUpload,
    /// DeleteObject / DeleteObjects.
    Delete,
    /// PutObjectTagging.
    TaggingPut,
    /// DeleteObjectTagging.
    TaggingDelete,
    /// The lifecycle worker.
    Lifecycle,
    /// PutObjectAcl.
    AclPut,
    /// PutObjectRetention.
    RetentionPut,
    /// PutObjectLegalHold.
    LegalHoldPut,
    /// POST Object (a browser form upload). Last: stored outbox entries name kinds by
    /// position.
    Post,
}

impl CauseKind {
    /// S3's event name for a change of this kind; `marker` says whether a delete
    /// created a delete marker.
    pub fn event_name(self, marker: bool) -> &'static str {
        match (self, marker) {
            (Self::Put, _) => "s3:ObjectCreated:Put",
            (Self::Post, _) => "s3:ObjectCreated:Post",
            (Self::Copy, _) => "s3:ObjectCreated:Copy",
            (Self::CompleteMultipartUpload, _) => "s3:ObjectCreated:CompleteMultipartUpload",
            (Self::Delete, false) => "s3:ObjectRemoved:Delete",
            (Self::Delete, true) => "s3:ObjectRemoved:DeleteMarkerCreated",
            (Self::TaggingPut, _) => "s3:ObjectTagging:Put",
            (Self::TaggingDelete, _) => "s3:ObjectTagging:Delete",
            (Self::Lifecycle, false) => "s3:LifecycleExpiration:Delete",
            (Self::Lifecycle, true) => "s3:LifecycleExpiration:DeleteMarkerCreated",
            (Self::AclPut, _) => "s3:ObjectAcl:Put",
            // Not in S3's event types: only a configuration naming it exactly gets it.
            (Self::RetentionPut, _) => "s3:ObjectRetention:Put",
            (Self::LegalHoldPut, _) => "s3:ObjectLegalHold:Put",
        }
    }
}

/// One event waiting in the outbox for one destination (schema v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    /// Destination ARN.
    pub arn: String,
    /// The notification configuration id that matched.
    pub config_id: String,
    /// S3 event name, or `s3:TestEvent`.
    pub event_name: String,
    /// Bucket.
    pub bucket: String,
    /// Object key (empty for test events).
    pub key: String,
    /// Object size.
    pub size: u64,
    /// ETag (unquoted).
    pub etag: String,
    /// Version id, if versioned.
    pub version_id: Option<String>,
    /// Per-key monotonic sequencer (the store's commit sequence).
    pub sequencer: u64,
    /// Event time, ms since the epoch.
    pub time_ms: i64,
    /// Who and why.
    pub cause: Cause,
}
