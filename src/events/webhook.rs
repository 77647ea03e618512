//! The webhook target: an HTTP POST of the JSON message; any 2xx is delivered.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A configured webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Destination ARN (`arn:coffer:sqs::1:<name>`).
    pub arn: String,
    /// URL to POST to (http).
    pub url: hyper::Uri,
    /// Optional `Authorization` header value (never logged).
    pub authorization: Option<String>,
}

/// Sends messages to webhooks.
#[derive(Clone)]
pub struct WebhookClient {
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl WebhookClient {
    /// A client with a per-request timeout.
    pub fn new(timeout: Duration) -> Self {
        Self { client: Client::builder(TokioExecutor::new()).build_http(), timeout }
    }

    /// POSTs `body`; `Ok` only for a 2xx answer within the timeout.
    pub async fn send(&self, hook: &Webhook, body: Vec<u8>) -> Result<(), String> {
        let mut req = hyper::Request::post(hook.url.clone()).header("content-type", "application/json");
        if let Some(auth) = &hook.authorization {
            req = req.header("authorization", auth);
        }
        let req = req.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        match tokio::time::timeout(self.timeout, self.client.request(req)).await {
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(resp)) if resp.status().is_success() => Ok(()),
            Ok(Ok(resp)) => Err(format!("answered {}", resp.status())),
        }
    }
}
