//! What the Python app servers (gunicorn, uvicorn; uWSGI's Python options next) share beyond the
//! launch itself (command-line words and [`super::Setting`] with its origin are in
//! `crate::launch`): how Python turns a string into a value.

/// Python's `int(s)` (base 10) or `int(s, 0)` (`base0`: `0x`/`0o`/`0b` prefixes, no leading zeros).
pub fn py_int(s: &str, base0: bool) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let (radix, digits) = if base0 {
        if let Some(h) = lower.strip_prefix("0x") {
            (16, h.strip_prefix('_').unwrap_or(h))
        } else if let Some(o) = lower.strip_prefix("0o") {
            (8, o.strip_prefix('_').unwrap_or(o))
        } else if let Some(b) = lower.strip_prefix("0b") {
            (2, b.strip_prefix('_').unwrap_or(b))
        } else {
            if lower.len() > 1 && lower.starts_with('0') && lower.chars().any(|c| c != '0' && c != '_') {
                return None;
            }
            (10, lower.as_str())
        }
    } else {
        (10, lower.as_str())
    };
    let d = digits.replace('_', "");
    if d.is_empty() || !d.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i64::from_str_radix(&d, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// An option set through the environment, as click's `auto_envvar_prefix` reads it (uvicorn's
/// `UVICORN_`; uWSGI's `UWSGI_` works the same way): the prefix and the option's name in upper
/// case (`port` -> `UVICORN_PORT`), the last value set, and an empty value is no value. Returns
/// the variable's name and its value.
pub fn option_from_env<'a>(
    env: &'a [(String, super::Word)],
    prefix: &str,
    key: &str,
) -> Option<(String, &'a super::Word)> {
    let var = format!("{prefix}{}", key.to_ascii_uppercase());
    let (_, w) = env.iter().rev().find(|(k, w)| *k == var && !w.text.is_empty())?;
    Some((var, w))
}
