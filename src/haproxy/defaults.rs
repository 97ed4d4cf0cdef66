//! HAProxy defaults and unit rules, each with its source (`/work/shared/knowledge/defaults.md` §0
//! and §2; HAProxy's `doc/configuration.txt`, `src/tools.c`, `src/proxy.c`, `src/cfgparse-listen.c`,
//! `src/mux_h1.c`, `src/server.c`). Checked against Debian's haproxy 2.6.12 (`haproxy -c`).

use crate::duration::DefaultFact;

macro_rules! fact {
    ($name:ident, $setting:expr, $ms:expr, $source:expr) => {
        pub static $name: DefaultFact = DefaultFact {
            component: "haproxy",
            setting: $setting,
            value_ms: $ms,
            versions: "all versions",
            source: $source,
        };
    };
}

// configuration.txt §4.2: "timeout client/server/connect ... By default, [the timeout] is not
// set" = infinite; proxy.c warns "missing timeouts for frontend/backend ... 'client', 'connect',
// 'server'".
fact!(
    TIMEOUT_CLIENT,
    "timeout client",
    None,
    "configuration.txt §4.2 `timeout client` (unset: no limit); proxy.c missing-timeouts warning"
);
fact!(
    TIMEOUT_SERVER,
    "timeout server",
    None,
    "configuration.txt §4.2 `timeout server` (unset: no limit); proxy.c missing-timeouts warning"
);
fact!(
    TIMEOUT_CONNECT,
    "timeout connect",
    None,
    "configuration.txt §4.2 `timeout connect` (unset: no limit); proxy.c missing-timeouts warning"
);
// configuration.txt `timeout http-keep-alive`: "If this parameter is not set, the 'timeout
// http-request' applies, and if both are not set, 'timeout client' still applies".
fact!(
    TIMEOUT_HTTP_KEEP_ALIVE,
    "timeout http-keep-alive",
    None,
    "configuration.txt §4.2 `timeout http-keep-alive` (falls back to http-request, then client)"
);
// configuration.txt §5.2 `pool-purge-delay`: "Sets the delay to start purging idle connections.
// Each <delay> interval, half of the idle connections are closed. 0 means we don't keep any idle
// connection. The default is 5s." Idle backend H1 connections have no timer of their own
// (mux_h1.c `h1_refresh_timeout`: TICK_ETERNITY for idle server-side connections).
fact!(
    POOL_PURGE_DELAY,
    "pool-purge-delay",
    Some(5_000),
    "configuration.txt §5.2 `pool-purge-delay` (default 5s); mux_h1.c h1_refresh_timeout"
);

/// What the default pool note says (Pool::default_note).
pub const POOL_NOTE: &str = "HAProxy keeps idle server connections for reuse (`http-reuse safe` is the default) with no idle timer: every `pool-purge-delay` (5 s unless set) it closes half of them";

/// The largest timer HAProxy accepts (tools.c `parse_time_err`: "timer overflow").
pub const MAX_TIMER_MS: u64 = 2_147_483_647;

/// A time value as HAProxy reads it (`tools.c` `parse_time_err`, called with a default unit of
/// milliseconds by `proxy.c` `proxy_parse_timeout`): one integer, then at most one unit among
/// `us ms s m h d`. A bare number is milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Time {
    pub ms: u64,
    /// The unit as written, `None` for a bare number (milliseconds).
    pub unit: Option<&'static str>,
    /// Text after the unit that HAProxy ignores with a warning ("unexpected character '3' after
    /// the timer value '1m30s'"): `1m30s` is one minute. Byte offset of the ignored tail.
    pub ignored_tail: Option<usize>,
}

/// Why HAProxy rejects a time value (an alert: HAProxy does not start).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeError {
    /// `1.5s`, `30x`, `s`: "unexpected character '.' in 'timeout server'". Byte offset of the
    /// character.
    Unexpected {
        at: usize,
        ch: char,
    },
    /// More than 2147483647 ms: "timer overflow".
    Overflow,
    Empty,
}

impl std::fmt::Display for TimeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeError::Unexpected { ch, .. } => write!(
                f,
                "unexpected character '{ch}': HAProxy times are one integer and one unit (us, ms, s, m, h, d)"
            ),
            TimeError::Overflow => {
                write!(f, "timer overflow (HAProxy's maximum is 2147483647 ms, ~24.8 days)")
            }
            TimeError::Empty => write!(f, "missing time value"),
        }
    }
}

/// Parses an HAProxy time (`30s`, `500`, `1m`, `100us`).
pub fn parse_time(s: &str) -> Result<Time, TimeError> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    if digits == 0 {
        let ch = s.chars().next().unwrap_or(' ');
        return Err(TimeError::Unexpected { at: 0, ch });
    }
    let n: u128 = s[..digits].parse().unwrap_or(u128::MAX);
    let rest = &s[digits..];
    let units: [(&'static str, u128, u128); 6] =
        [("us", 1, 1000), ("ms", 1, 1), ("s", 1000, 1), ("m", 60_000, 1), ("h", 3_600_000, 1), ("d", 86_400_000, 1)];
    let (unit, mul, div) = match units.iter().find(|(u, _, _)| rest.starts_with(u)) {
        Some(&(u, m, d)) => (Some(u), m, d),
        None if rest.is_empty() => (None, 1, 1),
        None => {
            let ch = rest.chars().next().unwrap_or(' ');
            return Err(TimeError::Unexpected { at: digits, ch });
        }
    };
    let after = digits + unit.map_or(0, str::len);
    let ms = n.saturating_mul(mul) / div;
    if ms > MAX_TIMER_MS as u128 {
        return Err(TimeError::Overflow);
    }
    Ok(Time { ms: ms as u64, unit, ignored_tail: (after < s.len()).then_some(after) })
}

/// Below this, a bare number is almost certainly seconds written without a unit (HAProxy 2.8+
/// itself warns below 100: "... is suspiciously small for a value in milliseconds").
pub const SUSPICIOUS_BARE_MS: u64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn units() {
        let ms = |s: &str| parse_time(s).map(|t| t.ms);
        assert_eq!(ms("30"), Ok(30));
        assert_eq!(ms("30s"), Ok(30_000));
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("2m"), Ok(120_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1d"), Ok(86_400_000));
        assert_eq!(ms("1500us"), Ok(1));
        assert_eq!(parse_time("30").unwrap().unit, None);
        let t = parse_time("1m30s").unwrap();
        assert_eq!((t.ms, t.ignored_tail), (60_000, Some(2)));
        assert_eq!(parse_time("1.5s"), Err(TimeError::Unexpected { at: 1, ch: '.' }));
        assert!(matches!(parse_time("s"), Err(TimeError::Unexpected { .. })));
        assert_eq!(parse_time("30d"), Err(TimeError::Overflow));
        assert_eq!(ms("24d"), Ok(2_073_600_000));
    }
}
