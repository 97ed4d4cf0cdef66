//! PHP-FPM and php.ini defaults and unit rules, each with its source.
//!
//! Sources: php-src `sapi/fpm/www.conf.in`, `sapi/fpm/php-fpm.conf.in`, `sapi/fpm/fpm/fpm_conf.c`
//! (`fpm_conf_set_time`, `fpm_conf_set_integer`), `sapi/fpm/fpm/fpm_request.c`, php.net ini docs
//! for `max_execution_time`; checked against Debian 12's `php-fpm8.2 -t` (8.2.x).

use crate::duration::DefaultFact;

/// `request_terminate_timeout`: 0 (off) unless set. Wall-clock limit per request; when it fires
/// the master kills the worker ("execution timed out ... terminating").
pub static REQUEST_TERMINATE_TIMEOUT: DefaultFact = DefaultFact {
    component: "php-fpm",
    setting: "request_terminate_timeout",
    value_ms: None,
    versions: "all versions; 0 = off",
    source: "php-src sapi/fpm/www.conf.in (`;request_terminate_timeout = 0`); fpm_request.c",
};

/// The same default, said when `max_execution_time` is set: that setting is no substitute.
pub static REQUEST_TERMINATE_TIMEOUT_CPU_ONLY: DefaultFact = DefaultFact {
    component: "php-fpm",
    setting: "request_terminate_timeout",
    value_ms: None,
    versions: "all versions; 0 = off. `max_execution_time` is set, but on Linux it counts CPU time only (not time spent waiting on the database, the network or sleep), so it does not bound the wall-clock time of a request",
    source: "php-src sapi/fpm/www.conf.in; php.net set_time_limit (\"only affect the execution time of the script itself\")",
};

/// php.ini `max_execution_time`: 30 s (PHP's built-in default and the shipped php.ini files;
/// 0 under the CLI). CPU time on Linux, wall-clock on Windows.
pub static MAX_EXECUTION_TIME: DefaultFact = DefaultFact {
    component: "php",
    setting: "max_execution_time",
    value_ms: Some(30_000),
    versions: "all versions (0 for the CLI); counts CPU time only on Linux",
    source: "php-src main/main.c (`max_execution_time` \"30\"); php.ini-production",
};

/// PHP-FPM ends the FastCGI connection after each response unless the web server asks it to keep
/// it (`FCGI_KEEP_CONN`, nginx `fastcgi_keep_conn on`). It has no idle keep-alive timer of its own.
pub static CLOSES_EACH: DefaultFact = DefaultFact {
    component: "php-fpm",
    setting: "FCGI_KEEP_CONN",
    value_ms: None,
    versions: "all versions",
    source: "php-src main/fastcgi.c (`fcgi_finish_request`: closes unless keep-conn was requested)",
};

/// Reads a PHP-FPM time value as `fpm_conf_set_time` does: the LAST character is the unit
/// (`s`, `m`, `h`, `d`; a digit means seconds), the rest goes through `atoi` (so `1.5m` is 60 s,
/// `30ms` is 30 s, ` 30 s` is 30 s). An empty value is "invalid time value"; any other last
/// character is "unknown suffix used in time value". Returns milliseconds (may be negative).
pub fn parse_time(value: &str) -> Result<i64, &'static str> {
    let Some(last) = value.chars().last() else {
        return Err("invalid time value");
    };
    let head = &value[..value.len() - last.len_utf8()];
    let secs = match last {
        's' => atoi(value),
        'm' => 60 * atoi(head),
        'h' => 3600 * atoi(head),
        'd' => 86_400 * atoi(head),
        c if c.is_ascii_digit() => atoi(value),
        _ => return Err("unknown suffix used in time value"),
    };
    Ok(secs.saturating_mul(1000))
}

/// C `atoi`: leading blanks, an optional sign, digits; stops at the first other character.
pub fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes() {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    if neg {
        -n
    } else {
        n
    }
}

/// `fpm_conf_set_integer`: digits only ("is not a valid number (greater or equal than zero)").
pub fn parse_count(value: &str) -> Result<u64, &'static str> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err("is not a valid number (greater or equal than zero)");
    }
    value.parse().map_err(|_| "is not a valid number (greater or equal than zero)")
}

/// php.ini integers (`max_execution_time`): PHP's `ZEND_STRTOL`, so leading digits count and
/// anything else reads as 0.
pub fn php_ini_int(value: &str) -> i64 {
    atoi(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fpm_time_units() {
        assert_eq!(parse_time("30"), Ok(30_000));
        assert_eq!(parse_time("30s"), Ok(30_000));
        assert_eq!(parse_time("5m"), Ok(300_000));
        assert_eq!(parse_time("2h"), Ok(7_200_000));
        assert_eq!(parse_time("1d"), Ok(86_400_000));
        // The traps fpm_conf_set_time really has (checked with php-fpm8.2 -t).
        assert_eq!(parse_time("1.5m"), Ok(60_000));
        assert_eq!(parse_time("30ms"), Ok(30_000));
        assert_eq!(parse_time("30 s"), Ok(30_000));
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("-5"), Ok(-5_000));
        assert_eq!(parse_time("30x"), Err("unknown suffix used in time value"));
        assert_eq!(parse_time("5M"), Err("unknown suffix used in time value"));
        assert_eq!(parse_time("abc"), Err("unknown suffix used in time value"));
        assert_eq!(parse_time(""), Err("invalid time value"));
    }

    #[test]
    fn counts_and_ints() {
        assert_eq!(parse_count("5"), Ok(5));
        assert!(parse_count("5 # c").is_err());
        assert!(parse_count("-1").is_err());
        assert_eq!(php_ini_int("30"), 30);
        assert_eq!(php_ini_int("abc"), 0);
    }
}
