//! Typed condition values: decimal numbers, dates and IP ranges.
//!
//! Policy values are parsed once, when the policy is parsed (a bad one is a
//! [`PolicyError`](super::PolicyError)); request values are parsed per evaluation (a bad
//! one makes the comparison undecidable, see `condition.rs`).

use std::cmp::Ordering;
use std::net::IpAddr;

use time::format_description::well_known::Iso8601;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// An exact decimal number (`NumericEquals` and friends take integers and decimals; exact
/// digits keep `9007199254740993` distinct from `9007199254740992`, which `f64` does not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Decimal {
    /// Below zero (never set for zero itself).
    negative: bool,
    /// Integer digits without leading zeros.
    int: String,
    /// Fraction digits without trailing zeros.
    frac: String,
}

impl Decimal {
    /// Reads `[+-]digits[.digits]` (either side of the point may be empty, not both).
    pub(super) fn parse(text: &str) -> Option<Decimal> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(body) => (true, body),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0').to_owned();
        let frac = frac.trim_end_matches('0').to_owned();
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Decimal { negative, int, frac })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        // Without leading zeros, more integer digits is larger; without trailing zeros,
        // fraction digits compare as text.
        self.int.len().cmp(&other.int.len()).then_with(|| self.int.cmp(&other.int)).then_with(|| self.frac.cmp(&other.frac))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Reads a date as nanoseconds since the Unix epoch. The IAM guide asks for "one of the
/// W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time":
/// - all digits (optionally `-`): epoch seconds (so a bare `2019` is a time in 1970, not
///   a year: the two readings collide and `aws:EpochTime` is the key that needs it);
/// - W3C: `YYYY-MM`, `YYYY-MM-DD`, `YYYY-MM-DDThh:mm[:ss[.s…]]` with `Z`, `±hh:mm`,
///   `±hhmm` or no zone (UTC);
/// - anything else the `time` crate reads as ISO 8601 (e.g. `20130930T231548Z`).
pub(super) fn parse_date(text: &str) -> Option<i128> {
    parse_epoch(text)
        .or_else(|| parse_w3c(text))
        .or_else(|| OffsetDateTime::parse(text, &Iso8601::DEFAULT).ok().map(OffsetDateTime::unix_timestamp_nanos))
}

fn parse_epoch(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = text.parse().ok()?;
    Some(i128::from(seconds) * 1_000_000_000)
}

/// A reading position in an ASCII date.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn number(&mut self, width: usize) -> Option<u32> {
        let digits = self.bytes.get(self.pos..self.pos + width)?;
        let mut value = 0u32;
        for &b in digits {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos += width;
        Some(value)
    }

    fn eat(&mut self, wanted: &[u8]) -> bool {
        match self.bytes.get(self.pos) {
            Some(b) if wanted.contains(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Fraction digits after the `.`, as nanoseconds (digits past the ninth are dropped).
    fn nanos(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut nanos = 0u32;
        while let Some(b) = self.bytes.get(self.pos).filter(|b| b.is_ascii_digit()) {
            if self.pos - start < 9 {
                nanos = nanos * 10 + u32::from(b - b'0');
            }
            self.pos += 1;
        }
        let len = self.pos - start;
        if len == 0 {
            return None;
        }
        Some(nanos * 10u32.pow(9 - u32::try_from(len.min(9)).ok()?))
    }

    /// The zone designator, as seconds east of UTC; no designator is UTC.
    fn zone(&mut self) -> Option<i64> {
        if self.pos == self.bytes.len() || self.eat(b"Zz") {
            return Some(0);
        }
        let sign = if self.eat(b"+") {
            1
        } else if self.eat(b"-") {
            -1
        } else {
            return None;
        };
        let hours = self.number(2)?;
        self.eat(b":");
        let minutes = self.number(2)?;
        (hours < 24 && minutes < 60).then(|| sign * i64::from(hours * 3600 + minutes * 60))
    }
}

fn parse_w3c(text: &str) -> Option<i128> {
    let mut c = Cursor { bytes: text.as_bytes(), pos: 0 };
    let year = c.number(4)?;
    if !c.eat(b"-") {
        return None;
    }
    let month = c.number(2)?;
    let (mut day, mut hour, mut minute, mut second, mut nanos, mut offset) = (1, 0, 0, 0, 0, 0);
    if c.eat(b"-") {
        day = c.number(2)?;
        if c.eat(b"Tt") {
            hour = c.number(2)?;
            if !c.eat(b":") {
                return None;
            }
            minute = c.number(2)?;
            if c.eat(b":") {
                second = c.number(2)?;
                if c.eat(b".") {
                    nanos = c.nanos()?;
                }
            }
            offset = c.zone()?;
        }
    }
    if c.pos != c.bytes.len() {
        return None;
    }
    let date =
        Date::from_calendar_date(i32::try_from(year).ok()?, Month::try_from(u8::try_from(month).ok()?).ok()?, u8::try_from(day).ok()?)
            .ok()?;
    let time = Time::from_hms_nano(u8::try_from(hour).ok()?, u8::try_from(minute).ok()?, u8::try_from(second).ok()?, nanos).ok()?;
    let local = PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp_nanos();
    Some(local - i128::from(offset) * 1_000_000_000)
}

/// An IPv4 or IPv6 range; a bare address is a `/32` or `/128` (IAM guide, "IP address
/// condition operators").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cidr {
    /// An IPv4 network: its address with host bits cleared, and its mask.
    V4 { net: u32, mask: u32 },
    /// An IPv6 network: its address with host bits cleared, and its mask.
    V6 { net: u128, mask: u128 },
}

impl Cidr {
    /// Reads `address[/prefix]` (`203.0.113.0/24`, `2001:DB8:1234:5678::/64`).
    pub(super) fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let bits = |max: u32| -> Option<u32> {
            let Some(prefix) = prefix else { return Some(max) };
            if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            prefix.parse().ok().filter(|&bits| bits <= max)
        };
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - bits(32)?).unwrap_or(0);
                Some(Cidr::V4 { net: u32::from(a) & mask, mask })
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - bits(128)?).unwrap_or(0);
                Some(Cidr::V6 { net: u128::from(a) & mask, mask })
            }
        }
    }

    /// Whether `ip` is in the range; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is
    /// its IPv4 address.
    pub(super) fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Cidr::V4 { net, mask }, IpAddr::V4(a)) => u32::from(a) & mask == net,
            (Cidr::V4 { .. }, IpAddr::V6(a)) => a.to_ipv4_mapped().is_some_and(|a| self.contains(IpAddr::V4(a))),
            (Cidr::V6 { net, mask }, IpAddr::V6(a)) => u128::from(a) & mask == net,
            (Cidr::V6 { .. }, IpAddr::V4(a)) => self.contains(IpAddr::V6(a.to_ipv6_mapped())),
        }
    }
}

/// Reads a request's address (`aws:SourceIp`).
pub(super) fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{parse_date, parse_ip, Cidr, Decimal};

    #[test]
    fn decimals() {
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert_eq!(d("10"), d("010.000"));
        assert_eq!(d("-0"), d("0"));
        assert_eq!(d(".5"), d("0.5"));
        assert!(d("9007199254740993") > d("9007199254740992"));
        assert!(d("-1.5") < d("-1.25"));
        assert!(d("-1") < d("0.001"));
        assert!(d("2") > d("10.5").min(d("1.99")));
        assert!(d("100") > d("99.999"));
        for bad in ["", ".", "-", "1e3", "0x10", "1.2.3", " 1", "inf", "NaN", "+-1"] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        let t = |s: &str| parse_date(s).unwrap() / 1_000_000_000;
        assert_eq!(t("2019-07-16T12:00:00Z"), 1_563_278_400);
        assert_eq!(t("2019-07-16T14:00:00+02:00"), 1_563_278_400);
        assert_eq!(t("2019-07-16T14:00:00+0200"), 1_563_278_400);
        assert_eq!(t("2019-07-16T12:00Z"), 1_563_278_400);
        assert_eq!(t("2019-07-16T12:00:00"), 1_563_278_400);
        assert_eq!(t("2019-07-16T12:00:00.250Z"), 1_563_278_400);
        assert_eq!(parse_date("2019-07-16T12:00:00.25Z").unwrap() % 1_000_000_000, 250_000_000);
        assert_eq!(t("2019-07-16"), 1_563_235_200);
        assert_eq!(t("2019-07"), 1_561_939_200);
        assert_eq!(t("1563278400"), 1_563_278_400);
        assert_eq!(t("-1"), -1);
        assert_eq!(t("20190716T120000Z"), 1_563_278_400);
        for bad in ["", "2019-13-01", "2019-02-30", "2019-07-16T25:00:00Z", "2019-07-16T12:00:00+24:60", "yesterday", "2019-07-16T12", "-"]
        {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn cidrs() {
        let c = |s: &str| Cidr::parse(s).unwrap();
        let ip = |s: &str| parse_ip(s).unwrap();
        assert!(c("203.0.113.0/24").contains(ip("203.0.113.255")));
        assert!(!c("203.0.113.0/24").contains(ip("203.0.114.0")));
        assert!(c("203.0.113.7/24").contains(ip("203.0.113.1")));
        assert!(c("203.0.113.7").contains(ip("203.0.113.7")));
        assert!(!c("203.0.113.7").contains(ip("203.0.113.8")));
        assert!(c("0.0.0.0/0").contains(ip("8.8.8.8")));
        assert!(c("2001:DB8:1234:5678::/64").contains(ip("2001:db8:1234:5678::1")));
        assert!(!c("2001:DB8:1234:5678::/64").contains(ip("2001:db8:1234:5679::1")));
        assert!(c("::/0").contains(ip("::1")));
        assert!(c("203.0.113.0/24").contains(ip("::ffff:203.0.113.9")));
        assert!(c("::ffff:0:0/96").contains(ip("1.2.3.4")));
        for bad in ["", "1.2.3.4/33", "::/129", "1.2.3/24", "1.2.3.4/", "1.2.3.4/-1", "host", "1.2.3.4/0024"] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }
}
