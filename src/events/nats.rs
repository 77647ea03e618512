//! The NATS target: publish to a subject with the official `async-nats` client; with
//! JetStream, a publish counts as delivered only once the stream acknowledged it.

use tokio::sync::OnceCell;

/// A configured NATS destination.
pub struct Nats {
    /// Server URL (`nats://host:port`).
    pub url: String,
    /// Subject to publish to.
    pub subject: String,
    /// Wait for a JetStream acknowledgement.
    pub jetstream: bool,
    /// The connection, made on first use (the client reconnects by itself after that).
    client: OnceCell<async_nats::Client>,
}

impl Nats {
    /// A destination; nothing connects until the first event.
    pub fn new(url: String, subject: String, jetstream: bool) -> Self {
        Self { url, subject, jetstream, client: OnceCell::new() }
    }

    /// Publishes `body`; `Ok` once the server has it (flushed, or acknowledged by JetStream).
    pub async fn send(&self, body: Vec<u8>) -> Result<(), String> {
        let client = self.client.get_or_try_init(|| async_nats::connect(self.url.as_str())).await.map_err(|e| e.to_string())?;
        if self.jetstream {
            let js = async_nats::jetstream::new(client.clone());
            let ack = js.publish(self.subject.clone(), body.into()).await.map_err(|e| e.to_string())?;
            ack.await.map_err(|e| e.to_string())?;
        } else {
            client.publish(self.subject.clone(), body.into()).await.map_err(|e| e.to_string())?;
            client.flush().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
