//! Request metrics, counted as requests finish, and the Prometheus text format they
//! (and the store's gauges, read at scrape time) are written in.
//!
//! Per operation: requests by status class, time to first byte and total duration
//! histograms; per S3 error code: errors; per authentication failure code: failures;
//! bytes in and out, requests in flight, rejected connections. Everything is an atomic
//! or a short critical section (one map lookup), so counting costs a request next to
//! nothing. The admin listener's `GET /metrics` renders it (`crate::admin::metrics`);
//! `docs/metrics.md` lists every metric.
//!
//! This module knows nothing of HTTP or S3; it must not import `s3`, `store` or `auth`.

pub mod history;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the duration histograms' buckets: 1 ms to 5 min.
pub const DURATION_BUCKETS: [f64; 16] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

/// A cumulative histogram in Prometheus' shape.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    /// Observations at or under each bound of [`DURATION_BUCKETS`] (not cumulative here;
    /// summed when written).
    buckets: [u64; DURATION_BUCKETS.len()],
    /// Observations in all.
    count: u64,
    /// Sum of observations, seconds.
    sum: f64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&mut self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = DURATION_BUCKETS.iter().position(|&b| secs <= b) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum += secs;
    }

    /// Observations in all.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// What is counted per operation.
#[derive(Debug, Clone, Default)]
struct Operation {
    /// Requests by status class: index 1 = 1xx ... 5 = 5xx.
    by_class: [u64; 6],
    /// Time from the request's arrival to its response head.
    first_byte: Histogram,
    /// Time from the request's arrival to the last byte of its response (or the client
    /// going away).
    total: Histogram,
}

/// Request counters of one server.
pub struct Metrics {
    /// When the server started (uptime).
    started: Instant,
    /// Per operation name.
    operations: Mutex<BTreeMap<String, Operation>>,
    /// Error responses by S3 (or IAM/STS/KMS) error code.
    errors: Mutex<BTreeMap<&'static str, u64>>,
    /// Requests whose authentication failed, by error code.
    auth_failures: Mutex<BTreeMap<&'static str, u64>>,
    /// Bytes read from client connections (heads and bodies; TLS: before decryption).
    pub bytes_received: AtomicU64,
    /// Bytes written to client connections.
    pub bytes_sent: AtomicU64,
    /// Requests started and not yet finished (response sent or abandoned).
    pub in_flight: AtomicI64,
    /// Connections refused or closed at once because the server was at its limit.
    pub rejected_connections: AtomicU64,
    /// Client connections open (S3 and website listeners).
    pub open_connections: AtomicI64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            operations: Mutex::default(),
            errors: Mutex::default(),
            auth_failures: Mutex::default(),
            bytes_received: AtomicU64::new(0),
            bytes_sent: AtomicU64::new(0),
            in_flight: AtomicI64::new(0),
            rejected_connections: AtomicU64::new(0),
            open_connections: AtomicI64::new(0),
        }
    }
}

/// One unit of a gauge (`in_flight`, `open_connections`), held until dropped.
pub struct Held {
    metrics: std::sync::Arc<Metrics>,
    gauge: fn(&Metrics) -> &AtomicI64,
}

impl Drop for Held {
    fn drop(&mut self) {
        (self.gauge)(&self.metrics).fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts one in `gauge` until the returned guard is dropped (whatever ends it: the
    /// work done, or its future dropped).
    pub fn hold(metrics: &std::sync::Arc<Self>, gauge: fn(&Metrics) -> &AtomicI64) -> Held {
        gauge(metrics).fetch_add(1, Ordering::Relaxed);
        Held { metrics: std::sync::Arc::clone(metrics), gauge }
    }

    /// Time since the server started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Counts a response head: its operation, status and error code (if an error), and
    /// the time to it.
    pub fn response_head(&self, operation: &str, status: u16, error: Option<&'static str>, first_byte: Duration) {
        {
            let mut ops = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
            let op = match ops.get_mut(operation) {
                Some(op) => op,
                None => ops.entry(operation.to_owned()).or_default(),
            };
            op.by_class[usize::from(status / 100).min(5)] += 1;
            op.first_byte.observe(first_byte);
        }
        if let Some(code) = error {
            *self.errors.lock().unwrap_or_else(PoisonError::into_inner).entry(code).or_insert(0) += 1;
        }
    }

    /// Counts a response finished (sent whole, or abandoned by the client).
    pub fn response_end(&self, operation: &str, total: Duration) {
        let mut ops = self.operations.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(op) = ops.get_mut(operation) {
            op.total.observe(total);
        }
    }

    /// Counts a failed authentication.
    pub fn auth_failure(&self, code: &'static str) {
        *self.auth_failures.lock().unwrap_or_else(PoisonError::into_inner).entry(code).or_insert(0) += 1;
    }

    /// Writes the request metrics in Prometheus text format.
    pub fn render(&self, out: &mut Exposition) {
        let ops = self.operations.lock().unwrap_or_else(PoisonError::into_inner).clone();
        out.family("coffer_requests_total", "counter", "Requests answered, by operation and status class.");
        for (name, op) in &ops {
            for (class, n) in op.by_class.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
                out.sample("coffer_requests_total", &[("operation", name), ("status", &format!("{class}xx"))], *n);
            }
        }
        let errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner).clone();
        out.family("coffer_errors_total", "counter", "Error responses, by error code.");
        for (code, n) in &errors {
            out.sample("coffer_errors_total", &[("code", code)], *n);
        }
        let auth = self.auth_failures.lock().unwrap_or_else(PoisonError::into_inner).clone();
        out.family("coffer_auth_failures_total", "counter", "Requests whose authentication failed, by reason (the error code answered).");
        for (code, n) in &auth {
            out.sample("coffer_auth_failures_total", &[("reason", code)], *n);
        }
        out.family("coffer_request_first_byte_seconds", "histogram", "Time from a request's arrival to its response head, by operation.");
        for (name, op) in &ops {
            out.histogram("coffer_request_first_byte_seconds", &[("operation", name)], &op.first_byte);
        }
        out.family(
            "coffer_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to the last byte of its response, by operation.",
        );
        for (name, op) in &ops {
            out.histogram("coffer_request_duration_seconds", &[("operation", name)], &op.total);
        }
        out.counter(
            "coffer_received_bytes_total",
            "Bytes read from client connections (request heads and bodies).",
            self.bytes_received.load(Ordering::Relaxed),
        );
        out.counter(
            "coffer_sent_bytes_total",
            "Bytes written to client connections (response heads and bodies).",
            self.bytes_sent.load(Ordering::Relaxed),
        );
        out.gauge("coffer_requests_in_flight", "Requests being handled.", self.in_flight.load(Ordering::Relaxed).max(0));
        out.gauge("coffer_connections_open", "Client connections open.", self.open_connections.load(Ordering::Relaxed).max(0));
        out.counter(
            "coffer_rejected_connections_total",
            "Connections refused at the connection limits (server.max_connections, limits.max_connections_per_ip).",
            self.rejected_connections.load(Ordering::Relaxed),
        );
        out.gauge("coffer_uptime_seconds", "Seconds since the server started.", self.uptime().as_secs_f64());
    }
}

/// A sample's value: counts exactly, measurements as floating point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// A count, a size, a state (0 or 1).
    Count(u64),
    /// A measurement (seconds).
    Measure(f64),
}

impl From<u64> for Sample {
    fn from(v: u64) -> Self {
        Sample::Count(v)
    }
}

impl From<usize> for Sample {
    fn from(v: usize) -> Self {
        Sample::Count(u64::try_from(v).unwrap_or(u64::MAX))
    }
}

impl From<i64> for Sample {
    /// Gauges kept as signed counters: never below 0.
    fn from(v: i64) -> Self {
        Sample::Count(u64::try_from(v).unwrap_or(0))
    }
}

impl From<bool> for Sample {
    fn from(v: bool) -> Self {
        Sample::Count(u64::from(v))
    }
}

impl From<f64> for Sample {
    fn from(v: f64) -> Self {
        Sample::Measure(v)
    }
}

impl std::fmt::Display for Sample {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sample::Count(n) => write!(f, "{n}"),
            Sample::Measure(v) if v.is_nan() => f.write_str("NaN"),
            Sample::Measure(v) if v.is_infinite() => f.write_str(if *v > 0.0 { "+Inf" } else { "-Inf" }),
            Sample::Measure(v) => write!(f, "{v}"),
        }
    }
}

/// A Prometheus text-format document being written (format 0.0.4).
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// The document.
    pub fn finish(self) -> String {
        self.text
    }

    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {}", help.replace('\\', "\\\\").replace('\n', "\\n"));
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<Sample>) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape_label(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", value.into());
    }

    /// Appends the samples written to `other` (one family's, collected apart).
    pub fn append(&mut self, other: &Exposition) {
        self.text.push_str(&other.text);
    }

    /// A family with one unlabelled counter sample.
    pub fn counter(&mut self, name: &str, help: &str, value: u64) {
        self.family(name, "counter", help);
        self.sample(name, &[], value);
    }

    /// A family with one unlabelled gauge sample.
    pub fn gauge(&mut self, name: &str, help: &str, value: impl Into<Sample>) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }

    /// The samples of one histogram (`_bucket` lines, `_sum`, `_count`).
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (bound, n) in DURATION_BUCKETS.iter().zip(h.buckets) {
            cumulative += n;
            let le = bound.to_string();
            let with_le: Vec<(&str, &str)> = labels.iter().copied().chain([("le", le.as_str())]).collect();
            self.sample(&bucket, &with_le, cumulative);
        }
        let with_inf: Vec<(&str, &str)> = labels.iter().copied().chain([("le", "+Inf")]).collect();
        self.sample(&bucket, &with_inf, h.count);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count);
    }
}

/// A label value escaped as the text format requires.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.response_head("PutObject", 200, None, Duration::from_millis(3));
        m.response_head("PutObject", 403, Some("AccessDenied"), Duration::from_millis(300));
        m.response_end("PutObject", Duration::from_millis(4));
        m.auth_failure("SignatureDoesNotMatch");
        let mut out = Exposition::default();
        m.render(&mut out);
        let text = out.finish();
        assert!(text.contains("coffer_requests_total{operation=\"PutObject\",status=\"2xx\"} 1\n"), "{text}");
        assert!(text.contains("coffer_requests_total{operation=\"PutObject\",status=\"4xx\"} 1\n"));
        assert!(text.contains("coffer_errors_total{code=\"AccessDenied\"} 1\n"));
        assert!(text.contains("coffer_auth_failures_total{reason=\"SignatureDoesNotMatch\"} 1\n"));
        assert!(text.contains("coffer_request_first_byte_seconds_bucket{operation=\"PutObject\",le=\"0.005\"} 1\n"));
        assert!(text.contains("coffer_request_first_byte_seconds_bucket{operation=\"PutObject\",le=\"0.5\"} 2\n"));
        assert!(text.contains("coffer_request_first_byte_seconds_bucket{operation=\"PutObject\",le=\"+Inf\"} 2\n"));
        assert!(text.contains("coffer_request_duration_seconds_count{operation=\"PutObject\"} 1\n"));
        let mut labels = Exposition::default();
        labels.sample("x", &[("k", "a\"b\\c\nd")], 0.5);
        assert_eq!(labels.finish(), "x{k=\"a\\\"b\\\\c\\nd\"} 0.5\n");
    }
}
