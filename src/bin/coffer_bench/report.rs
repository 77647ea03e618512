//! What a run measured, and how it is printed: a text table or one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{json, Value};

use super::args::{Args, Payload, Workload};

/// Results of one kind of operation within a phase.
#[derive(Debug, Default, Clone)]
pub struct OpStats {
    /// Successful operations.
    pub ops: u64,
    /// Body bytes moved by the successful operations.
    pub bytes: u64,
    /// Keys returned (list pages).
    pub items: u64,
    /// Latency of each successful operation, nanoseconds (sorted by [`OpStats::merge`]
    /// callers before percentiles are read).
    pub latencies_ns: Vec<u64>,
    /// Failed operations by S3 error code.
    pub errors: BTreeMap<String, u64>,
}

impl OpStats {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: OpStats) {
        self.ops += other.ops;
        self.bytes += other.bytes;
        self.items += other.items;
        self.latencies_ns.extend(other.latencies_ns);
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    /// Nearest-rank percentile of the latencies (`p` in 0..=100), in milliseconds;
    /// expects sorted latencies.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_ns.is_empty() {
            return 0.0;
        }
        let n = self.latencies_ns.len();
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let rank = ((p / 100.0 * n as f64).ceil() as usize).clamp(1, n);
        ns_to_ms(self.latencies_ns[rank - 1])
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

#[allow(clippy::cast_precision_loss)]
fn ns_to_ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// One timed phase (the optional prepare pass, then the workload itself).
#[derive(Debug, Clone)]
pub struct Phase {
    /// `prepare` or the workload name.
    pub name: String,
    /// Wall-clock time from the first request to the last response.
    pub elapsed: Duration,
    /// Results per operation kind.
    pub ops: BTreeMap<Workload, OpStats>,
}

impl Phase {
    /// Sorts latencies so percentiles can be read.
    pub fn finish(mut self) -> Self {
        for s in self.ops.values_mut() {
            s.latencies_ns.sort_unstable();
        }
        self
    }

    fn total(&self) -> OpStats {
        let mut t = OpStats::default();
        for s in self.ops.values() {
            t.merge(s.clone());
        }
        t.latencies_ns.sort_unstable();
        t
    }

    fn rates(&self, s: &OpStats) -> (f64, f64) {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        #[allow(clippy::cast_precision_loss)]
        (s.ops as f64 / secs, s.bytes as f64 / secs / 1e6)
    }
}

/// Peak and current resident memory of the server process, KiB.
#[derive(Debug, Clone, Copy)]
pub struct ServerMemory {
    /// `VmHWM`: peak RSS since start or since the reset at the beginning of the run.
    pub peak_kib: u64,
    /// `VmRSS` at the end of the run.
    pub rss_kib: u64,
    /// Whether the peak was reset at the start (writing 5 to `clear_refs`).
    pub reset: bool,
}

/// Everything to print about a run.
pub struct Report<'a> {
    /// The command line.
    pub args: &'a Args,
    /// The prepare pass and the workload.
    pub phases: Vec<Phase>,
    /// Server memory, when `--server-pid` was given.
    pub server: Option<ServerMemory>,
}

impl Report<'_> {
    /// The human-readable report.
    pub fn text(&self) -> String {
        let a = self.args;
        let mut out = String::new();
        let payload = match a.payload {
            Payload::Unsigned => "unsigned",
            Payload::Signed => "signed",
        };
        let _ = writeln!(
            out,
            "coffer-bench {}: size {} concurrency {} keys {} payload {payload} endpoint {} bucket {}",
            a.workload.name(),
            a.size,
            a.concurrency,
            a.keys,
            a.endpoint,
            a.bucket
        );
        for phase in &self.phases {
            let total = phase.total();
            let _ =
                writeln!(out, "\n[{}] {:.2} s, {} ops, {} errors", phase.name, phase.elapsed.as_secs_f64(), total.ops, total.error_count());
            let _ = writeln!(
                out,
                "  {:<7} {:>9} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9}",
                "op", "ops", "ops/s", "MB/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
            );
            let mut rows: Vec<(&str, &OpStats)> = phase.ops.iter().map(|(w, s)| (w.name(), s)).collect();
            if rows.len() > 1 {
                rows.push(("total", &total));
            }
            for (name, s) in rows {
                let (ops_s, mb_s) = phase.rates(s);
                let _ = writeln!(
                    out,
                    "  {name:<7} {:>9} {ops_s:>10.1} {mb_s:>10.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                    s.ops,
                    s.percentile_ms(50.0),
                    s.percentile_ms(90.0),
                    s.percentile_ms(99.0),
                    s.percentile_ms(100.0)
                );
            }
            if let Some(list) = phase.ops.get(&Workload::List).filter(|s| s.ops > 0) {
                #[allow(clippy::cast_precision_loss)]
                let per_page = list.items as f64 / list.ops as f64;
                let _ = writeln!(out, "  list pages held {per_page:.1} keys on average");
            }
            if !total.errors.is_empty() {
                let errors: Vec<String> = total.errors.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
                let _ = writeln!(out, "  errors: {}", errors.join(", "));
            }
        }
        if let Some(m) = self.server {
            let since = if m.reset { "since the start of this run" } else { "since server start" };
            let _ = writeln!(
                out,
                "\nserver peak RSS (VmHWM, {since}): {:.1} MiB; RSS now {:.1} MiB",
                kib_to_mib(m.peak_kib),
                kib_to_mib(m.rss_kib)
            );
        }
        out
    }

    /// The machine-readable report.
    pub fn json(&self) -> Value {
        let a = self.args;
        let phases: Vec<Value> = self
            .phases
            .iter()
            .map(|phase| {
                let total = phase.total();
                let mut ops = serde_json::Map::new();
                for (w, s) in &phase.ops {
                    ops.insert(w.name().to_owned(), op_json(phase, s));
                }
                json!({
                    "name": phase.name,
                    "seconds": phase.elapsed.as_secs_f64(),
                    "total": op_json(phase, &total),
                    "ops": ops,
                })
            })
            .collect();
        json!({
            "workload": a.workload.name(),
            "endpoint": a.endpoint,
            "bucket": a.bucket,
            "size": a.size.to_string(),
            "concurrency": a.concurrency,
            "keys": a.keys,
            "payload": match a.payload { Payload::Unsigned => "unsigned", Payload::Signed => "signed" },
            "phases": phases,
            "server_memory": self.server.map(|m| json!({"peak_kib": m.peak_kib, "rss_kib": m.rss_kib, "peak_reset_at_start": m.reset})),
        })
    }
}

fn op_json(phase: &Phase, s: &OpStats) -> Value {
    let (ops_s, mb_s) = phase.rates(s);
    json!({
        "ops": s.ops,
        "errors": s.errors,
        "bytes": s.bytes,
        "items": s.items,
        "ops_per_sec": ops_s,
        "mb_per_sec": mb_s,
        "latency_ms": {
            "p50": s.percentile_ms(50.0),
            "p90": s.percentile_ms(90.0),
            "p99": s.percentile_ms(99.0),
            "max": s.percentile_ms(100.0),
        },
    })
}

#[allow(clippy::cast_precision_loss)]
fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Reads `VmHWM` and `VmRSS` (KiB) from `/proc/<pid>/status`.
pub fn read_memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Resets the peak RSS of `pid` to its current RSS (Linux: `echo 5 > clear_refs`).
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let s = OpStats { latencies_ns: (1..=100).map(|ms| ms * 1_000_000).collect(), ..OpStats::default() };
        assert!((s.percentile_ms(50.0) - 50.0).abs() < 1e-9);
        assert!((s.percentile_ms(99.0) - 99.0).abs() < 1e-9);
        assert!((s.percentile_ms(100.0) - 100.0).abs() < 1e-9);
        assert!((s.percentile_ms(0.0) - 1.0).abs() < 1e-9);
        assert!(OpStats::default().percentile_ms(50.0).abs() < 1e-9);
    }

    #[test]
    fn merge_adds_errors() {
        let mut a = OpStats { ops: 1, errors: [("SlowDown".to_owned(), 2)].into(), ..OpStats::default() };
        a.merge(OpStats { ops: 2, errors: [("SlowDown".to_owned(), 1), ("HTTP 500".to_owned(), 1)].into(), ..OpStats::default() });
        assert_eq!(a.ops, 3);
        assert_eq!(a.errors["SlowDown"], 3);
        assert_eq!(a.error_count(), 4);
    }
}
