//! Slowing down repeated failed sign-ins: per client address and per account name
//! tried, so that neither one client guessing many users nor many clients guessing one
//! user get more than a few tries a minute. Refused tries are answered at once (429
//! with the wait), never by parking a task or a thread.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures allowed before waits start.
const FREE_FAILURES: u32 = 5;

/// The longest wait between tries.
const MAX_WAIT: Duration = Duration::from_secs(300);

/// Failures are forgotten after this long without one.
const FORGET_AFTER: Duration = Duration::from_secs(900);

/// Most entries kept (the oldest are dropped past it: a flood of new addresses or names
/// cannot grow memory without bound).
const MAX_ENTRIES: usize = 10_000;

/// Who failed: the client's address (IPv6 by /64) or the name tried.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Subject {
    /// A client address.
    Client(IpAddr),
    /// The SHA-256 of an access key id or `account id/user name key` (a digest: a name
    /// of any length costs the table 32 bytes).
    Name([u8; 32]),
}

/// The throttling subject of a name tried.
pub fn name(canonical: &str) -> Subject {
    use sha2::Digest;
    Subject::Name(sha2::Sha256::digest(canonical.as_bytes()).into())
}

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed sign-ins by subject.
#[derive(Default)]
pub struct Throttle {
    failures: HashMap<Subject, Failures>,
}

impl Failures {
    /// When the next try is allowed.
    fn next_allowed(&self) -> Instant {
        let over = self.count.saturating_sub(FREE_FAILURES);
        if over == 0 {
            return self.last;
        }
        let wait = Duration::from_secs(1u64 << over.min(16)).min(MAX_WAIT);
        self.last + wait
    }
}

impl Throttle {
    /// How long `subjects` must wait before a try is allowed (zero: go ahead).
    pub fn wait(&mut self, subjects: &[Subject], now: Instant) -> Duration {
        self.failures.retain(|_, f| now.duration_since(f.last) < FORGET_AFTER);
        subjects
            .iter()
            .filter_map(|s| self.failures.get(s))
            .map(|f| f.next_allowed().saturating_duration_since(now))
            .max()
            .unwrap_or_default()
    }

    /// Records a failed try by `subjects`.
    pub fn failed(&mut self, subjects: &[Subject], now: Instant) {
        // Past the bound, the entries with the fewest failures go first (a flood of new
        // names cannot wipe the count of a name under attack).
        while self.failures.len() + subjects.len() > MAX_ENTRIES {
            let Some(least) = self.failures.iter().min_by_key(|(_, f)| (f.count, f.last)).map(|(s, _)| s.clone()) else { break };
            self.failures.remove(&least);
        }
        for s in subjects {
            let f = self.failures.entry(s.clone()).or_insert(Failures { count: 0, last: now });
            f.count += 1;
            f.last = now;
        }
    }

    /// Forgets the failures of `subjects` after a successful sign-in.
    pub fn succeeded(&mut self, subjects: &[Subject]) {
        for s in subjects {
            self.failures.remove(s);
        }
    }
}

/// The throttling subject of a client address: IPv6 clients by their /64 (one host
/// holds a whole /64).
pub fn client(ip: IpAddr) -> Subject {
    Subject::Client(crate::server::client_key(ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_after_five_failures_and_reset_on_success() {
        let mut t = Throttle::default();
        let now = Instant::now();
        let who = [name("alice"), client("192.0.2.1".parse().unwrap())];
        for _ in 0..FREE_FAILURES {
            assert_eq!(t.wait(&who, now), Duration::ZERO);
            t.failed(&who, now);
        }
        assert_eq!(t.wait(&who, now), Duration::ZERO, "five failures are free");
        t.failed(&who, now);
        assert_eq!(t.wait(&who, now), Duration::from_secs(2));
        t.failed(&who, now);
        assert_eq!(t.wait(&who, now), Duration::from_secs(4));
        // Another client trying the same name waits too, and the same client trying
        // another name.
        assert_eq!(t.wait(&[name("alice")], now), Duration::from_secs(4));
        assert_eq!(t.wait(&[client("192.0.2.1".parse().unwrap()), name("bob")], now), Duration::from_secs(4));
        assert_eq!(t.wait(&who, now + Duration::from_secs(4)), Duration::ZERO);
        for _ in 0..30 {
            t.failed(&who, now);
        }
        assert_eq!(t.wait(&who, now), MAX_WAIT);
        t.succeeded(&who);
        assert_eq!(t.wait(&who, now), Duration::ZERO);
        t.failed(&who, now);
        assert_eq!(t.wait(&who, now + FORGET_AFTER), Duration::ZERO, "forgotten");
    }

    #[test]
    fn the_table_stays_bounded_and_keeps_the_most_failed() {
        let mut t = Throttle::default();
        let now = Instant::now();
        for _ in 0..10 {
            t.failed(&[name("victim")], now);
        }
        for i in 0..(MAX_ENTRIES + 50) {
            t.failed(&[name(&format!("n{i}"))], now);
        }
        assert!(t.failures.len() <= MAX_ENTRIES);
        assert!(t.wait(&[name("victim")], now) > Duration::ZERO, "the most-failed name is kept");
    }
}
