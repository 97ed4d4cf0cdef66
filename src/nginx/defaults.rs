//! nginx defaults and unit rules, each with the versions it holds for and its source
//! (`/work/shared/knowledge/defaults.md` §0 and §1 has the facts; sources are nginx.org's
//! `xml/en/docs` and nginx's `src/`).

use crate::duration::DefaultFact;
use std::fmt;

/// An nginx version, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// The current stable release, assumed unless told otherwise.
    pub const CURRENT_STABLE: Version = Version(1, 30, 0);
    /// nginx 1.29.7 (mainline, 2026-03-24; in 1.30.0 stable): upstream blocks pool connections by
    /// default (`keepalive 32 local`) and `proxy_http_version` defaults to 1.1.
    pub const POOL_BY_DEFAULT: Version = Version(1, 29, 7);

    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.trim().trim_start_matches('v').split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().unwrap_or("0").parse().ok()?;
        let patch = it.next().unwrap_or("0").parse().ok()?;
        Some(Version(major, minor, patch))
    }

    pub fn pools_by_default(&self) -> bool {
        *self >= Version::POOL_BY_DEFAULT
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

const PROXY_DOC: &str = "nginx.org ngx_http_proxy_module";

macro_rules! fact {
    ($name:ident, $setting:expr, $ms:expr, $versions:expr, $source:expr) => {
        pub static $name: DefaultFact =
            DefaultFact { component: "nginx", setting: $setting, value_ms: $ms, versions: $versions, source: $source };
    };
}

fact!(PROXY_READ_TIMEOUT, "proxy_read_timeout", Some(60_000), "all versions", PROXY_DOC);
fact!(PROXY_CONNECT_TIMEOUT, "proxy_connect_timeout", Some(60_000), "all versions", PROXY_DOC);
fact!(FASTCGI_READ_TIMEOUT, "fastcgi_read_timeout", Some(60_000), "all versions", "nginx.org ngx_http_fastcgi_module");
fact!(
    FASTCGI_CONNECT_TIMEOUT,
    "fastcgi_connect_timeout",
    Some(60_000),
    "all versions",
    "nginx.org ngx_http_fastcgi_module"
);
fact!(UWSGI_READ_TIMEOUT, "uwsgi_read_timeout", Some(60_000), "all versions", "nginx.org ngx_http_uwsgi_module");
fact!(UWSGI_CONNECT_TIMEOUT, "uwsgi_connect_timeout", Some(60_000), "all versions", "nginx.org ngx_http_uwsgi_module");
fact!(GRPC_READ_TIMEOUT, "grpc_read_timeout", Some(60_000), "all versions", "nginx.org ngx_http_grpc_module");
fact!(GRPC_CONNECT_TIMEOUT, "grpc_connect_timeout", Some(60_000), "all versions", "nginx.org ngx_http_grpc_module");
fact!(SCGI_READ_TIMEOUT, "scgi_read_timeout", Some(60_000), "all versions", "nginx.org ngx_http_scgi_module");
fact!(SCGI_CONNECT_TIMEOUT, "scgi_connect_timeout", Some(60_000), "all versions", "nginx.org ngx_http_scgi_module");
fact!(
    KEEPALIVE_TIMEOUT,
    "keepalive_timeout",
    Some(75_000),
    "all versions (the shipped nginx.conf sets 65)",
    "nginx.org ngx_http_core_module"
);
fact!(
    UPSTREAM_KEEPALIVE_TIMEOUT,
    "keepalive_timeout (upstream)",
    Some(60_000),
    ">= 1.15.3",
    "nginx.org ngx_http_upstream_module; ngx_http_upstream_keepalive_module.c"
);

/// Default `keepalive` in an `upstream {}` block: `32 local` since 1.29.7, absent before.
pub static UPSTREAM_KEEPALIVE_DEFAULT_NOTE: &str =
    "nginx >= 1.29.7 (1.30 stable) keeps 32 idle connections per worker to every `upstream {}` block by default (CHANGES 1.29.7)";

/// The read/connect timeout settings and defaults for a `*_pass` kind.
pub struct PassTimeouts {
    pub read: &'static str,
    pub connect: &'static str,
    pub read_default: &'static DefaultFact,
    pub connect_default: &'static DefaultFact,
}

pub fn pass_timeouts(pass: &str) -> Option<PassTimeouts> {
    let t = |read, connect, read_default, connect_default| {
        Some(PassTimeouts { read, connect, read_default, connect_default })
    };
    match pass {
        "proxy_pass" => t("proxy_read_timeout", "proxy_connect_timeout", &PROXY_READ_TIMEOUT, &PROXY_CONNECT_TIMEOUT),
        "fastcgi_pass" => {
            t("fastcgi_read_timeout", "fastcgi_connect_timeout", &FASTCGI_READ_TIMEOUT, &FASTCGI_CONNECT_TIMEOUT)
        }
        "uwsgi_pass" => t("uwsgi_read_timeout", "uwsgi_connect_timeout", &UWSGI_READ_TIMEOUT, &UWSGI_CONNECT_TIMEOUT),
        "grpc_pass" => t("grpc_read_timeout", "grpc_connect_timeout", &GRPC_READ_TIMEOUT, &GRPC_CONNECT_TIMEOUT),
        "scgi_pass" => t("scgi_read_timeout", "scgi_connect_timeout", &SCGI_READ_TIMEOUT, &SCGI_CONNECT_TIMEOUT),
        _ => None,
    }
}

/// Parses an nginx time value (`ngx_parse_time`, src/core/ngx_parse.c): a number with an optional
/// unit, several may be combined most to least significant (`1h 30m`, `1m30s`); no unit means
/// seconds; units `ms s m h d w M y` (M = 30 days, y = 365 days); no decimals; a unit may not
/// repeat or go backwards. Returns milliseconds.
pub fn parse_time(s: &str) -> Result<u64, String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_rank = usize::MAX;
    let mut any = false;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!("invalid time value \"{s}\""));
        }
        let n: u64 = s[start..i].parse().map_err(|_| format!("time value \"{s}\" is too large"))?;
        let (mult, rank, len) = match &bytes[i..] {
            [b'm', b's', ..] => (1, 0, 2),
            [b'y', ..] => (365 * 86_400_000, 7, 1),
            [b'M', ..] => (30 * 86_400_000, 6, 1),
            [b'w', ..] => (7 * 86_400_000, 5, 1),
            [b'd', ..] => (86_400_000, 4, 1),
            [b'h', ..] => (3_600_000, 3, 1),
            [b'm', ..] => (60_000, 2, 1),
            [b's', ..] => (1000, 1, 1),
            [] | [b' ', ..] => (1000, 1, 0),
            _ => return Err(format!("invalid time value \"{s}\"")),
        };
        if last_rank != usize::MAX && rank >= last_rank {
            return Err(format!("invalid time value \"{s}\": units must go from most to least significant"));
        }
        last_rank = rank;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("time value \"{s}\" is too large"))?;
        i += len;
        any = true;
        if len == 0 && i < bytes.len() {
            // A bare number must be the last part.
            let rest = s[i..].trim();
            if !rest.is_empty() {
                return Err(format!("invalid time value \"{s}\""));
            }
        }
    }
    if !any {
        return Err(format!("invalid time value \"{s}\""));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn nginx_times() {
        assert_eq!(parse_time("30"), Ok(30_000));
        assert_eq!(parse_time("30s"), Ok(30_000));
        assert_eq!(parse_time("500ms"), Ok(500));
        assert_eq!(parse_time("1m30s"), Ok(90_000));
        assert_eq!(parse_time("1h 30m"), Ok(5_400_000));
        assert_eq!(parse_time("2d"), Ok(172_800_000));
        assert_eq!(parse_time("1M"), Ok(30 * 86_400_000));
        assert!(parse_time("1.5s").is_err());
        assert!(parse_time("30s1m").is_err());
        assert!(parse_time("1s1s").is_err());
        assert!(parse_time("abc").is_err());
        assert!(parse_time("").is_err());
        assert!(parse_time("99999999999999999999").is_err());
    }
    #[test]
    fn versions() {
        assert!(Version::parse("1.30").unwrap().pools_by_default());
        assert!(!Version::parse("1.28.0").unwrap().pools_by_default());
        assert!(Version::parse("1.29.7").unwrap().pools_by_default());
    }
}
