//! gunicorn's command-line options (argparse, built from `gunicorn/config.py`): the ones that
//! matter for the stack graph, with the value words and their spans. Options stacklint does not
//! model are skipped with their values.

use crate::launch::Word;
use crate::source::Span;

/// Settings read from a command line, by config name (`bind`, `timeout`, ...).
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// `(setting, value, span of option and value)`, in order.
    pub settings: Vec<(&'static str, Word, Span)>,
    /// `-c/--config` value (the last one wins).
    pub config: Option<Word>,
    /// The first positional argument: the WSGI app (`module:app`).
    pub app: Option<Word>,
    /// `--chdir` value.
    pub chdir: Option<Word>,
}

/// Options that take a value and map to a setting stacklint reads.
const VALUED: &[(&str, &str)] = &[
    ("-b", "bind"),
    ("--bind", "bind"),
    ("-t", "timeout"),
    ("--timeout", "timeout"),
    ("--graceful-timeout", "graceful_timeout"),
    ("--keep-alive", "keepalive"),
    ("-w", "workers"),
    ("--workers", "workers"),
    ("-k", "worker_class"),
    ("--worker-class", "worker_class"),
    ("--threads", "threads"),
    ("--worker-connections", "worker_connections"),
    ("--max-requests", "max_requests"),
    ("--backlog", "backlog"),
    ("--forwarded-allow-ips", "forwarded_allow_ips"),
    ("-e", "raw_env"),
    ("--env", "raw_env"),
    ("-c", "config"),
    ("--config", "config"),
    ("--chdir", "chdir"),
];

/// Options that take no value (argparse `store_true`/`store_const` and friends).
const FLAGS: &[&str] = &[
    "-D",
    "--daemon",
    "-R",
    "--enable-stdio-inheritance",
    "--reload",
    "--preload",
    "--no-sendfile",
    "--reuse-port",
    "--spew",
    "--check-config",
    "--print-config",
    "--capture-output",
    "--log-syslog",
    "--disable-redirect-access-to-syslog",
    "--proxy-protocol",
    "--suppress-ragged-eofs",
    "--do-handshake-on-connect",
    "--strip-header-spaces",
    "--permit-unconventional-http-method",
    "--permit-unconventional-http-version",
    "--casefold-http-method",
    "--header-map",
    "--no-control-socket",
    "--dirty-disable",
    "-v",
    "--version",
    "-h",
    "--help",
];

/// Short options that take a value but that stacklint does not read.
const SHORT_VALUED: &[&str] = &["-p", "-u", "-g", "-m", "-n"];

/// Parses the words after the program name.
pub fn parse(words: &[Word]) -> Args {
    let mut a = Args::default();
    let mut i = 0;
    let mut only_positional = false;
    let record = |a: &mut Args, setting: &'static str, value: Word, span: Span| match setting {
        "config" => a.config = Some(value),
        "chdir" => a.chdir = Some(value),
        _ => a.settings.push((setting, value, span)),
    };
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
        if let Some(rest) = t.strip_prefix("--") {
            let (name, inline) = match rest.split_once('=') {
                Some((n, _)) => (format!("--{n}"), Some(n.len() + 3)),
                None => (t.to_string(), None),
            };
            if let Some((_, setting)) = VALUED.iter().find(|(o, _)| *o == name) {
                match inline {
                    Some(k) => record(&mut a, setting, w.suffix(k), w.span),
                    None => {
                        if let Some(v) = words.get(i + 1) {
                            record(&mut a, setting, v.clone(), w.span.to(v.span));
                            i += 1;
                        }
                    }
                }
            } else if inline.is_none() && !FLAGS.contains(&name.as_str()) {
                // An option we don't model: assume it takes a value unless the next word is an option.
                if words.get(i + 1).is_some_and(|n| !n.text.starts_with('-')) {
                    i += 1;
                }
            }
            i += 1;
            continue;
        }
        // Short option, possibly with its value attached (`-b0.0.0.0:80`, `-w4`).
        let opt = &t[..t.char_indices().nth(2).map(|(k, _)| k).unwrap_or(t.len())];
        if let Some((_, setting)) = VALUED.iter().find(|(o, _)| *o == opt) {
            if t.len() > opt.len() {
                let k = if t.as_bytes().get(2) == Some(&b'=') { 3 } else { 2 };
                record(&mut a, setting, w.suffix(k), w.span);
            } else if let Some(v) = words.get(i + 1) {
                record(&mut a, setting, v.clone(), w.span.to(v.span));
                i += 1;
            }
        } else if SHORT_VALUED.contains(&opt) && t.len() == opt.len() {
            i += 1;
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
        let a = parse(&words(
            "-b 0.0.0.0:80 --bind=unix:/s -b:9 -w4 --threads 8 --reload app:wsgi -c g.py --log-level debug",
        ));
        let binds: Vec<&str> = a.settings.iter().filter(|s| s.0 == "bind").map(|s| s.1.text.as_str()).collect();
        assert_eq!(binds, ["0.0.0.0:80", "unix:/s", ":9"]);
        assert_eq!(a.settings.iter().find(|s| s.0 == "workers").unwrap().1.text, "4");
        assert_eq!(a.settings.iter().find(|s| s.0 == "threads").unwrap().1.text, "8");
        assert_eq!(a.app.unwrap().text, "app:wsgi");
        assert_eq!(a.config.unwrap().text, "g.py");
        // `--bind=unix:/s` value span starts after `=`.
        let b = &a.settings[1].1;
        assert_eq!(b.span, Span::new(21, 28));
    }
}
