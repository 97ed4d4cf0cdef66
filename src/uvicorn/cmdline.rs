//! uvicorn's command line (a click command, `uvicorn/main.py`): the options that matter for the
//! stack graph, with the value words and their spans. click accepts `--opt value` and
//! `--opt=value`, options anywhere among the arguments, `--` to end them; the one positional
//! argument is the app (`module:attr`). Options stacklint does not model are skipped with their
//! values.

use crate::launch::Word;
use crate::source::Span;

/// Settings read from a command line.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// `(setting, value, span of option and value)`, in order (the last one wins).
    pub settings: Vec<(&'static str, Word, Span)>,
    /// The positional argument: the ASGI app (`module:app`).
    pub app: Option<Word>,
    /// `--reload` as written.
    pub reload: Option<Word>,
}

impl Args {
    /// The last value given for a setting.
    pub fn get(&self, setting: &str) -> Option<&(&'static str, Word, Span)> {
        self.settings.iter().rev().find(|s| s.0 == setting)
    }
}

/// Options that take a value and map to a setting stacklint reads (by `uvicorn.run` keyword).
pub const VALUED: &[(&str, &str)] = &[
    ("--host", "host"),
    ("--port", "port"),
    ("--uds", "uds"),
    ("--fd", "fd"),
    ("--workers", "workers"),
    ("--timeout-keep-alive", "timeout_keep_alive"),
];

/// Options that take no value (click `is_flag`, boolean `--x/--no-x` pairs).
const FLAGS: &[&str] = &[
    "--reload",
    "--access-log",
    "--no-access-log",
    "--use-colors",
    "--no-use-colors",
    "--proxy-headers",
    "--no-proxy-headers",
    "--server-header",
    "--no-server-header",
    "--date-header",
    "--no-date-header",
    "--factory",
    "--version",
    "--help",
];

/// Parses the words after the program name.
pub fn parse(words: &[Word]) -> Args {
    let mut a = Args::default();
    let mut i = 0;
    let mut only_positional = false;
    while i < words.len() {
        let w = &words[i];
        let t = w.text.as_str();
        if only_positional || !t.starts_with('-') || t == "-" {
            if a.app.is_none() {
                a.app = Some(w.clone());
            }
            i += 1;
            continue;
        }
        if t == "--" {
            only_positional = true;
            i += 1;
            continue;
        }
        let (name, inline) = match t.split_once('=') {
            Some((n, _)) if t.starts_with("--") => (n, Some(n.len() + 1)),
            _ => (t, None),
        };
        if let Some((_, setting)) = VALUED.iter().find(|(o, _)| *o == name) {
            match inline {
                Some(k) => a.settings.push((setting, w.suffix(k), w.span)),
                None => {
                    if let Some(v) = words.get(i + 1) {
                        a.settings.push((setting, v.clone(), w.span.to(v.span)));
                        i += 1;
                    }
                }
            }
        } else if name == "--reload" {
            a.reload = Some(w.clone());
        } else if inline.is_none() && !FLAGS.contains(&name) && t.starts_with("--") {
            // An option we don't model takes a value (every other uvicorn option does).
            if words.get(i + 1).is_some() {
                i += 1;
            }
        }
        i += 1;
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Word> {
        Word::split_for_test(s)
    }

    #[test]
    fn options() {
        let a = parse(&words("--log-level debug main:app --port=8080 --reload --host 0.0.0.0 --port 9000"));
        assert_eq!(a.app.as_ref().unwrap().text, "main:app");
        assert_eq!(a.get("port").unwrap().1.text, "9000");
        assert_eq!(a.get("host").unwrap().1.text, "0.0.0.0");
        assert!(a.reload.is_some());
        // `--port=8080`: the value's span starts after `=`.
        let p = &a.settings[0].1;
        assert_eq!((p.text.as_str(), p.span), ("8080", Span::new(34, 38)));
    }

    #[test]
    fn unknown_options_skip_their_value() {
        let a = parse(&words("--env-file .env --no-access-log app:api"));
        assert_eq!(a.app.unwrap().text, "app:api");
        let a = parse(&words("-- --weird"));
        assert_eq!(a.app.unwrap().text, "--weird");
    }
}
