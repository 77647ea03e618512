//! Who may hold a connection, and for how long: admission at accept (a global and a
//! per-client-IP limit, reaping idle connections to make room), and each
//! connection's watchdog (idle, request-head and response-write timeouts).
//!
//! Connections are a shared, finite resource, and the cheapest attack on a server is
//! to hold them: open a thousand and send nothing, send a request head a byte at a
//! time, or stop reading a response. So an idle connection is never worth more than a
//! new one: at the limit the connection idle longest is closed to make room, and
//! connections that never made an authenticated request go first (see
//! `docs/security.md`). Request bodies keep their own pace (`s3::body::Paced`).
//!
//! Knows nothing of S3: the front end reports what happens on each connection
//! ([`Activity`]) and this module decides.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::Config;

/// How often a watchdog looks at its connection.
const WATCH_TICK: Duration = Duration::from_millis(500);

/// The connection limits, from `[server]` and `[limits]`.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections in all (`server.max_connections`).
    pub max: usize,
    /// Connections per client IP (`limits.max_connections_per_ip`).
    pub per_ip: usize,
    /// Idle time between requests (`limits.idle_timeout_secs`).
    pub idle: Duration,
    /// Idle time of a connection without an authenticated request (`limits.unauthenticated_idle_secs`).
    pub unauthenticated_idle: Duration,
    /// From the first byte of a request head to its end (`limits.header_timeout_secs`).
    pub header: Duration,
    /// A response write without progress (`limits.write_timeout_secs`).
    pub write: Duration,
}

impl Limits {
    /// The limits a configuration sets.
    pub fn from_config(config: &Config) -> Self {
        let l = &config.limits;
        Self {
            max: config.server.max_connections,
            per_ip: l.max_connections_per_ip,
            idle: Duration::from_secs(l.idle_timeout_secs),
            unauthenticated_idle: Duration::from_secs(l.unauthenticated_idle_secs),
            header: Duration::from_secs(l.header_timeout_secs),
            write: Duration::from_secs(l.write_timeout_secs),
        }
    }
}

/// What one connection is doing, reported by the front end.
#[derive(Debug)]
pub struct Activity {
    /// The client's address.
    pub ip: IpAddr,
    /// The mutable part.
    state: Mutex<ActivityState>,
    /// Wakes the watchdog when the connection is chosen to make room.
    evict: Notify,
}

#[derive(Debug)]
#[allow(clippy::struct_excessive_bools)] // independent facts about one connection, not a mode
struct ActivityState {
    /// A request is being handled or its response written.
    busy: bool,
    /// When the connection last became idle (accept, or the end of a response).
    idle_since: Instant,
    /// When the first byte of the next request head arrived, while idle.
    head_since: Option<Instant>,
    /// Some request on this connection was authenticated.
    authenticated: bool,
    /// Since when a write of the response has been waiting for the client to read.
    write_blocked_since: Option<Instant>,
    /// Chosen to make room: closes as soon as it is idle.
    evicted: bool,
    /// A response was started and hyper has not yet flushed its last bytes.
    unflushed: bool,
}

impl Activity {
    /// A connection from `ip`, idle.
    pub(super) fn new(ip: IpAddr) -> Self {
        let state = ActivityState {
            busy: false,
            idle_since: Instant::now(),
            head_since: None,
            authenticated: false,
            write_blocked_since: None,
            evicted: false,
            unflushed: false,
        };
        Self { ip, state: Mutex::new(state), evict: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived from the client.
    pub fn on_read(&self) {
        let mut s = self.lock();
        if !s.busy && s.head_since.is_none() {
            s.head_since = Some(Instant::now());
        }
    }

    /// A write either made progress (`blocked == false`) or has to wait for the client.
    pub fn on_write(&self, blocked: bool) {
        let mut s = self.lock();
        if !blocked {
            s.write_blocked_since = None;
        } else if s.write_blocked_since.is_none() {
            s.write_blocked_since = Some(Instant::now());
        }
    }

    /// Whether a response written now can only be one hyper made up itself (a request
    /// it could not parse): no request is being handled, the last response has been
    /// flushed whole, and a new head has begun.
    pub fn between_requests(&self) -> bool {
        let s = self.lock();
        !s.busy && !s.unflushed && s.head_since.is_some()
    }

    /// hyper flushed everything it had written.
    pub fn flushed(&self) {
        let mut s = self.lock();
        if !s.busy {
            // The body was done before this flush: the response is out whole.
            s.unflushed = false;
        }
    }

    /// A request head was parsed: the request is being handled.
    pub fn request_started(&self) {
        let mut s = self.lock();
        s.busy = true;
        s.unflushed = true;
        s.head_since = None;
    }

    /// The request was authenticated (its connection earns the normal limits).
    pub fn authenticated(&self) {
        self.lock().authenticated = true;
    }

    /// The response was written (or abandoned): the connection is idle again.
    pub fn response_finished(&self) {
        let mut s = self.lock();
        s.busy = false;
        s.idle_since = Instant::now();
        if s.evicted {
            // Chosen to make room while busy: close in this idle moment.
            self.evict.notify_one();
        }
    }

    /// Why the connection must close now, if it must.
    fn verdict(&self, limits: &Limits, now: Instant) -> Option<Close> {
        let s = self.lock();
        if s.evicted && !s.busy {
            // Its place is taken already: a head in progress is cut, not awaited.
            return Some(if s.head_since.is_some() { Close::Abort } else { Close::Graceful });
        }
        if s.busy {
            // Handlers may take their time (a flush, a large completion); request
            // bodies keep their own pace. Only a client that stops reading is cut off.
            return s.write_blocked_since.is_some_and(|t| now - t > limits.write).then_some(Close::Abort);
        }
        if let Some(head) = s.head_since {
            return (now - head > limits.header).then_some(Close::Abort);
        }
        let idle = if s.authenticated { limits.idle } else { limits.unauthenticated_idle };
        (now - s.idle_since > idle).then_some(Close::Graceful)
    }
}

/// How a connection is to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// Let a request in flight finish, then close (idle connections close at once).
    Graceful,
    /// Drop it now: the client is not keeping up its side.
    Abort,
}

/// Waits until the connection must close, and says how.
pub async fn watch(activity: &Activity, limits: &Limits) -> Close {
    loop {
        if let Some(close) = activity.verdict(limits, Instant::now()) {
            return close;
        }
        tokio::select! {
            () = activity.evict.notified() => {}
            () = tokio::time::sleep(WATCH_TICK) => {}
        }
    }
}

/// The connections being served.
#[derive(Debug)]
pub struct Registry {
    /// The limits new connections are admitted under (SIGHUP may replace them).
    limits: std::sync::RwLock<Arc<Limits>>,
    inner: Mutex<RegistryInner>,
    /// Notified when the last connection closes.
    empty: Notify,
}

#[derive(Debug, Default)]
struct RegistryInner {
    next_id: u64,
    /// Every open connection, evicted ones included until they close.
    conns: HashMap<u64, Arc<Activity>>,
    /// Connections counted against the limits (evicted ones are not).
    counted: usize,
    /// Counted connections per client address ([`client_key`]).
    per_ip: HashMap<IpAddr, usize>,
}

/// The address a per-client limit counts against: an IPv4 address, or an IPv6
/// address's /64 (one subscriber's network: anyone with one has 2^64 addresses).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `server.max_connections` are busy.
    Full,
    /// The client's IP holds `limits.max_connections_per_ip` busy connections.
    PerIp,
}

impl Registry {
    /// An empty registry.
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self { limits: std::sync::RwLock::new(Arc::new(limits)), inner: Mutex::default(), empty: Notify::new() })
    }

    /// The limits new connections get.
    pub fn limits(&self) -> Arc<Limits> {
        Arc::clone(&self.limits.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the limits: connections admitted from now on are held to `limits`
    /// (open ones keep theirs).
    pub fn set_limits(&self, limits: Limits) {
        *self.limits.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(limits);
    }

    fn lock(&self) -> MutexGuard<'_, RegistryInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a connection from `ip`, closing an idle one to make room where a limit
    /// is reached; refuses it when every connection in its way is busy.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnGuard, Refusal> {
        let ip = client_key(ip);
        let limits = self.limits();
        let mut inner = self.lock();
        if inner.per_ip.get(&ip).copied().unwrap_or(0) >= limits.per_ip && !inner.evict_idle(|a| a.ip == ip) {
            return Err(Refusal::PerIp);
        }
        if inner.counted >= limits.max && !inner.evict_idle(|_| true) {
            return Err(Refusal::Full);
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let activity = Arc::new(Activity::new(ip));
        inner.conns.insert(id, Arc::clone(&activity));
        inner.counted += 1;
        *inner.per_ip.entry(ip).or_default() += 1;
        Ok(ConnGuard { registry: Arc::clone(self), id, activity, limits })
    }

    /// Open connections (evicted ones that have not closed yet included).
    pub fn open(&self) -> usize {
        self.lock().conns.len()
    }

    /// Waits until every connection has closed.
    pub async fn closed(&self) {
        loop {
            let notified = self.empty.notified();
            if self.lock().conns.is_empty() {
                return;
            }
            notified.await;
        }
    }
}

impl RegistryInner {
    /// Chooses the idle connection (among those `eligible`) that is worth least: one
    /// that never authenticated before one that did, then the one idle longest. Marks
    /// it evicted (no longer counted) and wakes its watchdog. False if none is idle.
    fn evict_idle(&mut self, eligible: impl Fn(&Activity) -> bool) -> bool {
        let victim = self
            .conns
            .iter()
            .filter(|(_, a)| eligible(a))
            .filter_map(|(id, a)| {
                let s = a.lock();
                (!s.busy && !s.evicted).then_some((s.authenticated, s.head_since.is_some(), s.idle_since, *id))
            })
            .min();
        let Some((.., id)) = victim else { return false };
        let activity = Arc::clone(&self.conns[&id]);
        // Marked even if a request began since it was chosen: then it closes as soon
        // as that request is answered (see `response_finished`).
        activity.lock().evicted = true;
        activity.evict.notify_one();
        self.uncount(activity.ip);
        tracing::debug!(ip = %activity.ip, "closing an idle connection to make room");
        true
    }

    fn uncount(&mut self, ip: IpAddr) {
        self.counted -= 1;
        if let Some(n) = self.per_ip.get_mut(&ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }
}

/// An admitted connection; dropping it gives its place back.
#[derive(Debug)]
pub struct ConnGuard {
    registry: Arc<Registry>,
    id: u64,
    /// What the connection is doing.
    pub activity: Arc<Activity>,
    /// The limits it was admitted under.
    limits: Arc<Limits>,
}

impl ConnGuard {
    /// The limits the connection is held to.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut inner = self.registry.lock();
        if inner.conns.remove(&self.id).is_some() && !self.activity.lock().evicted {
            inner.uncount(self.activity.ip);
        }
        if inner.conns.is_empty() {
            self.registry.empty.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize, per_ip: usize) -> Limits {
        Limits {
            max,
            per_ip,
            idle: Duration::from_secs(60),
            unauthenticated_idle: Duration::from_secs(5),
            header: Duration::from_secs(10),
            write: Duration::from_secs(60),
        }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[tokio::test]
    async fn idle_connections_make_room_unauthenticated_first() {
        let registry = Registry::new(limits(3, 10));
        let authed = registry.admit(ip(1)).expect("room");
        authed.activity.authenticated();
        let anon = registry.admit(ip(2)).expect("room");
        let busy = registry.admit(ip(3)).expect("room");
        busy.activity.request_started();
        // Full: the never-authenticated idle connection goes first...
        let fourth = registry.admit(ip(4)).expect("an idle connection made room");
        assert_eq!(anon.activity.verdict(&registry.limits(), Instant::now()), Some(Close::Graceful));
        assert_eq!(authed.activity.verdict(&registry.limits(), Instant::now()), None);
        // ...then the authenticated idle one; busy connections are never chosen.
        fourth.activity.request_started();
        let fifth = registry.admit(ip(5)).expect("room");
        fifth.activity.request_started();
        assert_eq!(authed.activity.verdict(&registry.limits(), Instant::now()), Some(Close::Graceful));
        assert_eq!(registry.admit(ip(6)).expect_err("all busy"), Refusal::Full);
        assert_eq!(busy.activity.verdict(&registry.limits(), Instant::now()), None);
        drop((anon, authed));
        assert_eq!(registry.open(), 3);
    }

    #[tokio::test]
    async fn per_ip_limit() {
        let registry = Registry::new(limits(100, 2));
        let a = registry.admit(ip(1)).expect("room");
        let b = registry.admit(ip(1)).expect("room");
        a.activity.request_started();
        b.activity.request_started();
        assert_eq!(registry.admit(ip(1)).expect_err("per ip"), Refusal::PerIp);
        let _other = registry.admit(ip(2)).expect("another client is not affected");
        b.activity.response_finished();
        let _c = registry.admit(ip(1)).expect("the idle one made room");
        assert_eq!(b.activity.verdict(&registry.limits(), Instant::now()), Some(Close::Graceful));
    }

    #[tokio::test]
    async fn evicted_mid_head_is_cut_and_ipv6_counts_by_64() {
        let registry = Registry::new(limits(1, 10));
        let slow = registry.admit(ip(1)).expect("room");
        slow.activity.on_read();
        let _next = registry.admit(ip(2)).expect("the slow head made room");
        assert_eq!(slow.activity.verdict(&registry.limits(), Instant::now()), Some(Close::Abort));

        let registry = Registry::new(limits(100, 1));
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ipv6");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ipv6");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ipv6");
        let first = registry.admit(a).expect("room");
        first.activity.request_started();
        assert_eq!(registry.admit(b).expect_err("same /64"), Refusal::PerIp);
        let _other = registry.admit(c).expect("another /64");
    }

    #[tokio::test(start_paused = true)]
    async fn timeouts() {
        let l = limits(10, 10);
        let a = Activity::new(ip(1));
        assert_eq!(a.verdict(&l, Instant::now()), None);
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(a.verdict(&l, Instant::now()), Some(Close::Graceful), "unauthenticated idle");
        let a = Activity::new(ip(1));
        a.authenticated();
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(a.verdict(&l, Instant::now()), None);
        a.on_read();
        tokio::time::advance(Duration::from_secs(11)).await;
        assert_eq!(a.verdict(&l, Instant::now()), Some(Close::Abort), "slow request head");
        a.request_started();
        assert_eq!(a.verdict(&l, Instant::now()), None);
        a.on_write(true);
        tokio::time::advance(Duration::from_secs(59)).await;
        a.on_write(true);
        assert_eq!(a.verdict(&l, Instant::now()), None);
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(a.verdict(&l, Instant::now()), Some(Close::Abort), "client stopped reading");
        a.on_write(false);
        a.response_finished();
        assert_eq!(a.verdict(&l, Instant::now()), None);
    }
}
