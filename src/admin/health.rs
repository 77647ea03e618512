//! Health checks for load balancers and orchestrators, and the server's description
//! for `coffer admin info`.
//!
//! - `GET /health/live`: 200 while the process serves HTTP at all.
//! - `GET /health/ready`: 200 when requests may be sent here; 503 with the reason
//!   otherwise (see [`crate::store::Store::not_ready`]).
//!
//! Both answer without credentials and say nothing an outsider could use beyond
//! whether the server is up.

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::s3::AppState;

/// `GET /health/live`.
pub fn live() -> (StatusCode, Value) {
    (StatusCode::OK, json!({ "status": "live" }))
}

/// `GET /health/ready`. Blocking (a probe file per tier): called on the blocking pool.
pub fn ready(state: &AppState) -> (StatusCode, Value) {
    match state.store.not_ready() {
        None => (StatusCode::OK, json!({ "status": "ready" })),
        Some(reason) => (StatusCode::SERVICE_UNAVAILABLE, json!({ "status": "not ready", "reason": reason })),
    }
}

/// `GET /v1/info` (signed): version, uptime, where data lives and how full it is, what
/// is stored, and whether writes are durable.
pub fn info(state: &AppState) -> Result<Value, crate::store::StoreError> {
    let store = &state.store;
    let usage = store.all_usage()?;
    let total = usage.values().fold(crate::model::usage::BucketUsage::default(), |sum, u| sum.plus(u));
    let not_ready = store.not_ready();
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_secs": state.metrics.uptime().as_secs(),
        "data_root": state.config.storage.path,
        "tiers": store.tier_status(),
        "metadata_bytes_on_disk": store.meta_size_on_disk(),
        "buckets": store.list_buckets()?.len(),
        "objects": total.objects,
        "versions": total.versions,
        "bytes": total.bytes,
        "delete_markers": total.delete_markers,
        "uploads": total.uploads,
        "upload_bytes": total.upload_bytes,
        "durability_failure": store.durability_failure(),
        "ready": not_ready.is_none(),
        "not_ready_reason": not_ready,
    }))
}
