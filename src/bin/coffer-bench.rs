//! `coffer-bench`: an S3 load generator for coffer (or any S3 endpoint).
//!
//! `cargo run --release --bin coffer-bench -- --endpoint URL --access-key … --secret-key …
//! --bucket … <put|get|mixed|list|delete>`; `--help` lists every flag and
//! `docs/performance.md` the runs behind the published figures.
//!
//! Requests are signed with `aws-sigv4` (the SDK's signer) and sent over hyper's pooled
//! HTTP/1 client; no SDK, so the client's own cost stays small beside the server's on a
//! shared machine. `--concurrency` tasks each run one operation at a time until the
//! `--count` or `--duration` budget is spent.
//!
//! # Layout
//!
//! | module | job |
//! |---|---|
//! | `args` | the command line, sizes, durations, mixes (pure, unit-tested) |
//! | `body` | generated, unique object bytes streamed zero-copy |
//! | `s3` | signing client: one call per S3 operation, errors as S3 codes |
//! | `report` | statistics, text and JSON output, server memory |

#[path = "coffer_bench/args.rs"]
mod args;
#[path = "coffer_bench/body.rs"]
mod body;
#[path = "coffer_bench/report.rs"]
mod report;
#[path = "coffer_bench/s3.rs"]
mod s3;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use args::{Args, Command, Workload};
use body::Pattern;
use report::{OpStats, Phase, Report, ServerMemory};
use s3::S3;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(Command::Run(a)) => a,
        Ok(Command::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("coffer-bench: {e}\n\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("coffer-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Arc::new(*args))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("coffer-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prepares the bucket (and the key space, for reading workloads), runs the workload,
/// prints the report.
async fn run(args: Arc<Args>) -> Result<(), String> {
    let s3 = Arc::new(S3::new(&args, Pattern::new())?);
    s3.ensure_bucket().await.map_err(|e| format!("bucket {}: {e}", args.bucket))?;
    // Distinguishes this run's object bytes from earlier runs' (no dedup across runs).
    let nonce = rand::random::<u64>();
    let mut phases = Vec::new();
    if args.prepare && matches!(args.workload, Workload::Get | Workload::List | Workload::Mixed) {
        if !args.json {
            eprintln!("preparing: PUT {} keys of {} (skip with --no-prepare)", args.keys, args.size);
        }
        let plan = Plan { workload: Workload::Put, count: Some(args.keys), duration: None, nonce };
        phases.push(run_phase(&s3, &args, "prepare", plan).await);
    }
    let reset = args.server_pid.is_some_and(report::reset_peak);
    let plan = Plan { workload: args.workload, count: args.count, duration: args.duration, nonce: nonce ^ 0x5eed };
    phases.push(run_phase(&s3, &args, args.workload.name(), plan).await);
    let server = args.server_pid.and_then(report::read_memory).map(|(peak_kib, rss_kib)| ServerMemory { peak_kib, rss_kib, reset });
    let report = Report { args: &args, phases, server };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(())
}

/// What one phase runs.
#[derive(Clone, Copy)]
struct Plan {
    /// The operation (or the mix).
    workload: Workload,
    /// Stop after this many operations.
    count: Option<u64>,
    /// Stop after this long.
    duration: Option<Duration>,
    /// Mixed into every object seed.
    nonce: u64,
}

/// Runs `--concurrency` workers over a shared operation counter until the plan's budget
/// is spent; returns the merged results.
async fn run_phase(s3: &Arc<S3>, args: &Arc<Args>, name: &str, plan: Plan) -> Phase {
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = plan.duration.map(|d| start + d);
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (s3, args, next) = (Arc::clone(s3), Arc::clone(args), Arc::clone(&next));
            tokio::spawn(async move { worker(&s3, &args, &next, plan, deadline).await })
        })
        .collect();
    let mut ops: BTreeMap<Workload, OpStats> = BTreeMap::new();
    for w in workers {
        // A panicking worker is a bug in this program: let it show.
        for (kind, stats) in w.await.expect("benchmark worker panicked") {
            ops.entry(kind).or_default().merge(stats);
        }
    }
    Phase { name: name.to_owned(), elapsed: start.elapsed(), ops }.finish()
}

/// One client: takes operation numbers until the budget is spent.
async fn worker(s3: &S3, args: &Args, next: &AtomicU64, plan: Plan, deadline: Option<Instant>) -> BTreeMap<Workload, OpStats> {
    let mut stats: BTreeMap<Workload, OpStats> = BTreeMap::new();
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let n = next.fetch_add(1, Ordering::Relaxed);
        if plan.count.is_some_and(|c| n >= c) {
            break;
        }
        let mixed = splitmix(n ^ plan.nonce);
        let op = match plan.workload {
            Workload::Mixed => args.mix.pick(splitmix(mixed)),
            w => w,
        };
        let began = Instant::now();
        let outcome = match op {
            // Writes walk the key space in order (a prepare pass fills it exactly once);
            // reads pick keys at random.
            Workload::Put => s3.put(&args.key(n % args.keys), mixed, args.size.pick(splitmix(mixed ^ 1))).await,
            Workload::Delete => s3.delete(&args.key(n % args.keys)).await,
            Workload::Get => s3.get(&args.key(mixed % args.keys)).await,
            Workload::List => {
                let from = mixed % args.keys;
                // Start after a random key, but at least a full page before the end.
                let from = from.min(args.keys.saturating_sub((u64::from(args.max_keys) + 1) * args.keys_per_item()));
                let after = if from == 0 { String::new() } else { args.key(from) };
                s3.list(&args.prefix, &after, args.max_keys, args.delimiter.as_deref()).await
            }
            Workload::Mixed => unreachable!("a mix picks concrete operations"),
        };
        let s = stats.entry(op).or_default();
        match outcome {
            Ok(done) => {
                s.ops += 1;
                s.bytes += done.bytes;
                s.items += done.items;
                s.latencies_ns.push(u64::try_from(began.elapsed().as_nanos()).unwrap_or(u64::MAX));
            }
            Err(code) => *s.errors.entry(code).or_default() += 1,
        }
    }
    stats
}

/// A well-mixed 64-bit function of `x` (SplitMix64's finaliser): random-looking key
/// choices and seeds that are still reproducible from the operation number.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
