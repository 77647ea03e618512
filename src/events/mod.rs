//! Event delivery: Amazon S3's event message format and the targets events are sent to.
//! Events are recorded by the store in its outbox; `worker::delivery` reads the outbox
//! and hands each entry to its target here. Nothing here touches the store.

pub mod message;
pub mod webhook;
