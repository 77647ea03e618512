//! The S3 protocol layer: routing, authentication hand-off, one handler per operation,
//! XML, and the error surface. It turns HTTP into calls on [`crate::store::Store`] and
//! back; it never touches files or the metadata store directly.

pub mod access;
mod acl;
mod attributes;
pub mod body;
mod bucket;
mod bucket_access;
mod conditional;
pub mod conditions;
mod copy;
mod cors;
mod delete;
pub mod dispatch;
mod document;
mod encoded_words;
mod encryption;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod headers;
mod lifecycle;
mod list;
pub mod logging;
mod multipart;
mod multipart_complete;
mod multipart_xml;
mod notification;
pub(crate) mod object_get;
mod object_lock;
mod object_put;
mod post_object;
mod protection;
pub mod router;
mod stats;
mod tagging;
mod versions;
mod website;
pub mod xml;

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;

use crate::config::Config;
use crate::iam::api::WebIdentityConfig;
use crate::iam::Iam;
use crate::store::Store;

/// A response body: bytes, or an I/O error that aborts the connection mid-stream.
pub type ResponseBody = BoxBody<Bytes, std::io::Error>;

/// A response.
pub type Response = hyper::Response<ResponseBody>;

/// A clock, injectable so tests can move time.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Everything a request handler can reach.
pub struct AppState {
    /// The validated configuration.
    pub config: Config,
    /// Buckets and objects (shared with the background workers).
    pub store: Arc<Store>,
    /// Accounts, users, roles and policies; resolves access keys (the request's
    /// [`crate::auth::KeySource`]).
    pub iam: Arc<Iam>,
    /// OIDC settings of STS AssumeRoleWithWebIdentity.
    pub web_identity: WebIdentityConfig,
    /// Current time.
    pub clock: Clock,
    /// Event delivery counters (shared with the delivery worker).
    pub delivery: Arc<crate::worker::delivery::DeliveryStats>,
    /// Memory shared by request bodies read whole (`limits.buffer_budget_mib`).
    pub buffers: body::BufferBudget,
    /// Buckets' policies, ACLs, ownership and public access settings, parsed.
    pub access: Arc<crate::bucket_access::AccessCache>,
    /// HTTPS on the S3 listener, when `server.tls_cert` is set.
    pub tls: Option<Arc<crate::server::tls::Tls>>,
    /// The built-in KMS.
    pub kms: Arc<crate::kms::LocalKms>,
    /// The SSE-S3 key (derived from the server key): seals SSE-S3 objects.
    pub sse_s3: Arc<crate::crypto::ChunkKey>,
    /// Protects SSE-C objects' data keys together with the customers' keys (derived
    /// from the server key).
    pub sse_c: Arc<crate::crypto::customer::CustomerKeys>,
    /// Request counters and histograms (`GET /metrics` on the admin listener).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// What the lifecycle worker has done since start-up.
    pub lifecycle: Arc<crate::worker::lifecycle::LifecycleTotals>,
    /// The audit trail (`audit.path`).
    pub audit: Arc<crate::audit::AuditLog>,
    /// What SIGHUP rereads and changes (`crate::server::reload`).
    pub reload: crate::server::reload::Reloadable,
    /// Server access log records on their way to their target buckets.
    pub access_log: Arc<crate::access_log::AccessLog>,
    /// Web console sessions and failed sign-ins.
    pub console: Arc<crate::console::session::Sessions>,
    /// The last hour of request and storage figures (the console's charts).
    pub history: Arc<crate::metrics::history::History>,
}

impl AppState {
    /// The Block Public Access settings in force for a bucket: its own, with the
    /// server-wide `access.block_public_access` on top.
    pub fn public_block(&self, access: &crate::bucket_access::BucketAccess) -> crate::bucket_access::settings::PublicAccessBlock {
        use crate::bucket_access::settings::PublicAccessBlock;
        let own = access.public_block.unwrap_or_default();
        if self.config.access.block_public_access {
            own.or(PublicAccessBlock::ALL)
        } else {
            own
        }
    }
}
