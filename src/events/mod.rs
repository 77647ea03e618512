//! Event delivery: Amazon S3's event message format and the targets events are sent to.
//! Events are recorded by the store in its outbox; `worker::delivery` reads the outbox
//! and hands each entry to its target here. Nothing here touches the store.

pub mod message;
pub mod nats;
pub mod redis;
pub mod webhook;

/// A notification destination.
pub enum Target {
    /// HTTP POST.
    Webhook(webhook::Webhook, webhook::WebhookClient),
    /// NATS publish.
    Nats(nats::Nats),
    /// Redis stream or list.
    Redis(redis::Redis),
}

impl Target {
    /// Delivers one message; `Ok` means the destination has it.
    pub async fn send(&self, body: Vec<u8>) -> Result<(), String> {
        match self {
            Target::Webhook(hook, client) => client.send(hook, body).await,
            Target::Nats(n) => n.send(body).await,
            Target::Redis(r) => r.send(body).await,
        }
    }
}
