//! Background work: tokio tasks with a module each, bounded in memory, resumable after
//! a restart and stopped by the server's shutdown signal. Workers act through
//! [`crate::store::Store`] like any request would; they never import the S3 layer.

pub mod delivery;
pub mod lifecycle;
pub mod scrub;
