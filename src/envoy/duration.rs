//! `google.protobuf.Duration` as Envoy reads it from YAML/JSON: a string of seconds with the
//! suffix `s` and up to nine fractional digits (`"15s"`, `"0.250s"`, `"1.s"`), or the object
//! form `{seconds, nanos}`. A number without the suffix (`timeout: 15`) or any other unit
//! (`"15ms"`, `"1m"`) is rejected when Envoy loads the config (proto3 JSON mapping: "the suffix
//! \"s\" is required"). For Envoy timeouts `0s` means "disabled".

use super::yaml::{Node, Value};

/// A duration in nanoseconds (non-negative).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration {
    pub nanos: u128,
}

impl Duration {
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }
    /// Milliseconds, rounded up so that a non-zero duration never reads as 0 (= disabled).
    pub fn ms(&self) -> u64 {
        let ms = self.nanos.div_ceil(1_000_000);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }
}

/// Largest value protobuf accepts: 10,000 years in seconds.
const MAX_SECONDS: u128 = 315_576_000_000;

/// Parses the string form.
pub fn parse_str(s: &str) -> Result<Duration, String> {
    let Some(body) = s.strip_suffix('s') else {
        let hint = if s.chars().all(|c| c.is_ascii_digit() || c == '.') && !s.is_empty() {
            format!("; write `\"{s}s\"`")
        } else {
            String::new()
        };
        return Err(format!(
            "`{s}` is not a protobuf Duration: Envoy durations are seconds with an `s` suffix (`\"15s\"`, `\"0.250s\"`){hint}"
        ));
    };
    if body.starts_with('-') {
        return Err(format!("`{s}` is negative; Envoy timeouts must be 0s or more"));
    }
    let (whole, frac) = match body.split_once('.') {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(frac) {
        let other_unit = ["ms", "us", "m", "h", "ns"]
            .iter()
            .find(|u| s.ends_with(*u) && digits(s.trim_end_matches(*u).replace('.', "").as_str()));
        let hint = match other_unit {
            Some(_) => "; only seconds are accepted: `\"0.5s\"`, not `\"500ms\"`; `\"90s\"`, not `\"1m30s\"`",
            None => "",
        };
        return Err(format!(
            "`{s}` is not a protobuf Duration (seconds with an `s` suffix, like `\"15s\"` or `\"0.250s\"`){hint}"
        ));
    }
    if frac.len() > 9 {
        return Err(format!("`{s}` has more than nine fractional digits; protobuf Durations stop at nanoseconds"));
    }
    let secs: u128 = whole.parse().map_err(|_| format!("`{s}` is out of range for a protobuf Duration"))?;
    if secs > MAX_SECONDS {
        return Err(format!("`{s}` is out of range for a protobuf Duration"));
    }
    let mut nanos: u128 = 0;
    if !frac.is_empty() {
        let padded = format!("{frac:0<9}");
        nanos = padded.parse().unwrap_or(0);
    }
    Ok(Duration { nanos: secs * 1_000_000_000 + nanos })
}

/// Parses a config node: a string, or `{seconds, nanos}`.
pub fn parse_node(n: &Node) -> Result<Duration, String> {
    match &n.value {
        Value::Str(s) => parse_str(s),
        Value::Int(i) => Err(format!(
            "`{i}` is a bare number; Envoy durations are strings of seconds with an `s` suffix: write `\"{i}s\"`"
        )),
        Value::Float(f) => Err(format!(
            "`{f}` is a bare number; Envoy durations are strings of seconds with an `s` suffix: write `\"{f}s\"`"
        )),
        Value::Map(_) => {
            let int = |k: &str| -> Result<i128, String> {
                match n.get(k) {
                    None => Ok(0),
                    Some(v) => match &v.value {
                        Value::Int(i) => Ok(*i as i128),
                        Value::Str(s) => s.trim().parse::<i128>().map_err(|_| format!("`{k}: {s}` is not an integer")),
                        _ => Err(format!("`{k}` must be an integer")),
                    },
                }
            };
            if let Some((k, _)) = n.entries().iter().find(|(k, _)| k.text != "seconds" && k.text != "nanos") {
                return Err(format!("unknown field `{}` in a Duration (only `seconds` and `nanos`)", k.text));
            }
            let secs = int("seconds")?;
            let nanos = int("nanos")?;
            if secs < 0 || nanos < 0 {
                return Err("negative Duration; Envoy timeouts must be 0s or more".into());
            }
            if nanos > 999_999_999 {
                return Err("`nanos` must be below 1000000000".into());
            }
            if secs as u128 > MAX_SECONDS {
                return Err("`seconds` is out of range for a protobuf Duration".into());
            }
            Ok(Duration { nanos: secs as u128 * 1_000_000_000 + nanos as u128 })
        }
        Value::Null => Err("empty value where a Duration (`\"15s\"`) is expected".into()),
        Value::Bool(b) => Err(format!("`{b}` is not a Duration")),
        Value::Seq(_) => Err("a list where a Duration (`\"15s\"`) is expected".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> u64 {
        parse_str(s).unwrap().ms()
    }

    #[test]
    fn string_forms() {
        assert_eq!(ms("15s"), 15_000);
        assert_eq!(ms("0.250s"), 250);
        assert_eq!(ms("0.25s"), 250);
        assert_eq!(ms("1.s"), 1_000);
        assert_eq!(ms("3600s"), 3_600_000);
        assert_eq!(ms("0.000000001s"), 1, "non-zero never rounds to disabled");
        assert!(parse_str("0s").unwrap().is_zero());
        assert!(parse_str("0.000s").unwrap().is_zero());
    }

    #[test]
    fn rejected_forms() {
        for bad in [
            "15",
            "15ms",
            "1m",
            "1m30s",
            "1h",
            "",
            "s",
            ".5s",
            "-1s",
            "1.5.5s",
            "abc",
            " 15s",
            "1.0000000001s",
            "1e3s",
            "+1s",
        ] {
            assert!(parse_str(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_str("500ms").unwrap_err().contains("only seconds"));
        assert!(parse_str("15").unwrap_err().contains("\"15s\""));
        assert!(parse_str("315576000001s").is_err());
        assert!(parse_str("315576000000s").is_ok());
    }
}
