//! `GET /?coffer-stats`: operational counters as JSON for the authenticated operator —
//! the event outbox backlog and delivery counters, the metadata store's disk use,
//! whether a failed sync has made coffer refuse writes, damaged and missing blobs found
//! by reads, the scrubber's progress and findings, and free space with the reserve.

use std::sync::atomic::Ordering;

use http_body_util::{BodyExt, Full};

use super::dispatch::Ctx;
use super::error::{S3Error, S3Result};
use super::{headers, Response};

/// The stats document.
pub fn stats(ctx: &Ctx<'_>) -> S3Result<Response> {
    let store = &ctx.state.store;
    let d = &ctx.state.delivery;
    let doc = serde_json::json!({
        "events": {
            "outbox_backlog": store.outbox_len()?,
            "delivered": d.delivered.load(Ordering::Relaxed),
            "failed_attempts": d.failed_attempts.load(Ordering::Relaxed),
            "dropped": d.dropped.load(Ordering::Relaxed),
        },
        "metadata_bytes_on_disk": store.meta_size_on_disk(),
        // Damage found by reads since start-up (each damaged blob was quarantined), and
        // reads of blobs that were missing or truncated.
        "blobs": store.blob_health(),
        "scrub": store.scrub_report(),
        "disk": store.space_status().map(|s| serde_json::json!({
            "free_bytes": s.free_bytes,
            "reserve_bytes": s.reserve_bytes,
            "reserve_held": s.reserve_held,
        })),
        // null while writes are durable; else why every write now fails until restart.
        "durability_failure": store.durability_failure(),
    });
    let body = serde_json::to_vec_pretty(&doc).map_err(S3Error::internal)?;
    let mut r = hyper::Response::new(Full::new(bytes::Bytes::from(body)).map_err(|never| match never {}).boxed());
    headers::put(r.headers_mut(), "content-type", "application/json");
    Ok(r)
}
