//! The last hour of the main request and storage figures, sampled every
//! [`INTERVAL`], for the web console's charts: what a Prometheus server would keep,
//! for users who run none. Counters are kept cumulative (the page takes differences);
//! latency percentiles are computed per interval from the duration histograms.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::{json, Value};

use super::{Histogram, Metrics, DURATION_BUCKETS};

/// Time between samples.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// Samples kept: one hour.
const KEEP: usize = 360;

/// Figures read outside the request metrics (the store, the workers).
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreFigures {
    /// Events waiting in the outbox.
    pub outbox_backlog: u64,
    /// Lifecycle actions done since start.
    pub lifecycle_actions: u64,
    /// Logical bytes stored.
    pub stored_bytes: u64,
}

/// One sample.
#[derive(Debug, Clone)]
struct Point {
    t_ms: i64,
    requests: BTreeMap<String, u64>,
    errors: u64,
    bytes_in: u64,
    bytes_out: u64,
    /// p50, p90, p99 of the requests finished in the interval, ms.
    latency_ms: Option<[f64; 3]>,
    in_flight: i64,
    store: StoreFigures,
}

/// The samples, oldest first.
#[derive(Default)]
pub struct History {
    points: Mutex<VecDeque<Point>>,
    /// Every operation's total-duration histogram summed, at the previous sample.
    previous: Mutex<Histogram>,
}

impl Histogram {
    /// Adds `other`'s observations.
    fn add(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(other.buckets) {
            *a += b;
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    /// The observations since `earlier` (a previous state of the same histogram).
    fn since(&self, earlier: &Histogram) -> Histogram {
        let mut d = Histogram::default();
        for (i, b) in d.buckets.iter_mut().enumerate() {
            *b = self.buckets[i].saturating_sub(earlier.buckets[i]);
        }
        d.count = self.count.saturating_sub(earlier.count);
        d.sum = (self.sum - earlier.sum).max(0.0);
        d
    }

    /// The `q` quantile (0–1), in seconds, interpolated within its bucket as Prometheus'
    /// `histogram_quantile` does; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)] // counts far below 2^52
        let rank = q * self.count as f64;
        let mut seen = 0u64;
        let mut lower = 0.0;
        for (i, &n) in self.buckets.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            if n > 0 && (seen + n) as f64 >= rank {
                let into = (rank - seen as f64) / n as f64;
                return Some(lower + (DURATION_BUCKETS[i] - lower) * into.clamp(0.0, 1.0));
            }
            seen += n;
            lower = DURATION_BUCKETS[i];
        }
        // Past the last bound.
        Some(DURATION_BUCKETS[DURATION_BUCKETS.len() - 1])
    }
}

impl History {
    /// Takes one sample of `metrics` and `store` at `t_ms`.
    pub fn sample(&self, metrics: &Metrics, store: StoreFigures, t_ms: i64) {
        let (requests, total) = {
            let ops = metrics.operations.lock().unwrap_or_else(PoisonError::into_inner);
            let mut total = Histogram::default();
            let mut requests = BTreeMap::new();
            for (name, op) in ops.iter() {
                requests.insert(name.clone(), op.by_class.iter().sum());
                total.add(&op.total);
            }
            (requests, total)
        };
        let errors = metrics.errors.lock().unwrap_or_else(PoisonError::into_inner).values().sum();
        let interval = {
            let mut previous = self.previous.lock().unwrap_or_else(PoisonError::into_inner);
            let d = total.since(&previous);
            *previous = total;
            d
        };
        let ms = |q| interval.quantile(q).map(|s| (s * 1000.0 * 100.0).round() / 100.0);
        let latency_ms = match (ms(0.5), ms(0.9), ms(0.99)) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            _ => None,
        };
        let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let point = Point {
            t_ms,
            requests,
            errors,
            bytes_in: load(&metrics.bytes_received),
            bytes_out: load(&metrics.bytes_sent),
            latency_ms,
            in_flight: metrics.in_flight.load(std::sync::atomic::Ordering::Relaxed),
            store,
        };
        let mut points = self.points.lock().unwrap_or_else(PoisonError::into_inner);
        if points.len() >= KEEP {
            points.pop_front();
        }
        points.push_back(point);
    }

    /// The samples as JSON: `{"interval_secs", "samples": [...]}`, oldest first.
    pub fn json(&self) -> Value {
        let points = self.points.lock().unwrap_or_else(PoisonError::into_inner);
        let samples: Vec<Value> = points
            .iter()
            .map(|p| {
                json!({
                    "t": p.t_ms,
                    "requests": p.requests,
                    "errors": p.errors,
                    "bytes_in": p.bytes_in,
                    "bytes_out": p.bytes_out,
                    "latency_ms": p.latency_ms.map(|[a, b, c]| json!({"p50": a, "p90": b, "p99": c})),
                    "in_flight": p.in_flight,
                    "outbox_backlog": p.store.outbox_backlog,
                    "lifecycle_actions": p.store.lifecycle_actions,
                    "stored_bytes": p.store.stored_bytes,
                })
            })
            .collect();
        json!({ "interval_secs": INTERVAL.as_secs(), "samples": samples })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_within_buckets() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for _ in 0..100 {
            h.observe(Duration::from_micros(1500)); // the (1 ms, 2.5 ms] bucket
        }
        let p50 = h.quantile(0.5).unwrap();
        assert!((0.001..=0.0025).contains(&p50), "{p50}");
        h.observe(Duration::from_secs(1000));
        assert_eq!(h.quantile(1.0), Some(300.0));
    }

    #[test]
    fn samples_keep_one_hour_and_latency_per_interval() {
        let metrics = Metrics::default();
        let history = History::default();
        metrics.response_head("GetObject", 200, None, Duration::from_millis(1));
        metrics.response_end("GetObject", Duration::from_millis(3));
        metrics.response_head("PutObject", 404, Some("NoSuchBucket"), Duration::from_millis(1));
        history.sample(&metrics, StoreFigures { outbox_backlog: 2, lifecycle_actions: 0, stored_bytes: 7 }, 1000);
        history.sample(&metrics, StoreFigures::default(), 11_000);
        let json = history.json();
        let samples = json["samples"].as_array().unwrap();
        assert_eq!(samples.len(), 2);
        assert_eq!(samples[0]["requests"]["GetObject"], 1);
        assert_eq!(samples[0]["errors"], 1);
        assert_eq!(samples[0]["outbox_backlog"], 2);
        assert!(samples[0]["latency_ms"]["p50"].as_f64().unwrap() > 2.0);
        assert!(samples[1]["latency_ms"].is_null(), "nothing finished in the second interval");
        for i in 0..400 {
            history.sample(&metrics, StoreFigures::default(), i);
        }
        assert_eq!(history.json()["samples"].as_array().unwrap().len(), KEEP);
    }
}
