//! The Redis target: `XADD <key> * message <json>` to a stream (default), or
//! `RPUSH <key> <json>` to a list, with the `redis` crate.

use redis::AsyncCommands;
use tokio::sync::Mutex;

/// How events are stored in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisMode {
    /// A stream entry with one field, `message`.
    Stream,
    /// A list element.
    List,
}

/// A configured Redis destination.
pub struct Redis {
    /// The client (holds the URL).
    client: redis::Client,
    /// Stream or list key.
    pub key: String,
    /// Stream or list.
    pub mode: RedisMode,
    /// The connection, made on first use and remade after an error.
    conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl Redis {
    /// A destination for `url` (`redis://host:port/db`); nothing connects yet.
    pub fn new(url: &str, key: String, mode: RedisMode) -> Result<Self, String> {
        Ok(Self { client: redis::Client::open(url).map_err(|e| e.to_string())?, key, mode, conn: Mutex::new(None) })
    }

    /// Stores `body`; `Ok` once Redis answered.
    pub async fn send(&self, body: Vec<u8>) -> Result<(), String> {
        let mut slot = self.conn.lock().await;
        if slot.is_none() {
            *slot = Some(self.client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?);
        }
        let conn = slot.as_mut().expect("connected above");
        let result: Result<(), redis::RedisError> = match self.mode {
            RedisMode::Stream => conn.xadd(&self.key, "*", &[("message", body)]).await.map(|_: String| ()),
            RedisMode::List => conn.rpush(&self.key, body).await.map(|_: i64| ()),
        };
        if let Err(e) = result {
            // Reconnect next time: the connection may be broken.
            *slot = None;
            return Err(e.to_string());
        }
        Ok(())
    }
}
