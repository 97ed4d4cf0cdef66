//! `stacklint.toml`: what no config file in the tree describes (the CDN or cloud load balancer in
//! front, host aliases, component versions) and how a team adopts the linter (rule selection,
//! severities, per-path overrides). Unknown keys are errors with a position and a suggestion.

use crate::diag::{LoadError, Severity};
use crate::graph::addr::edit_distance;
use crate::source::{SourceFile, Span};
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

pub use crate::edge::EdgeConfig;
pub use crate::source::At;

/// A `[[overrides]]` entry: rule selection for files matching a glob.
#[derive(Clone, Debug, Default)]
pub struct Override {
    pub path: At<String>,
    pub select: Vec<At<String>>,
    pub ignore: Vec<At<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub edge: EdgeConfig,
    /// `[hosts] NAME = "ADDRESS"`: a name callers use, and the address it stands for.
    pub hosts: Vec<(At<String>, At<String>)>,
    /// `[versions] nginx = "1.28.0"`.
    pub versions: BTreeMap<String, At<String>>,
    pub select: Vec<At<String>>,
    pub ignore: Vec<At<String>>,
    pub severity: Vec<(At<String>, At<Severity>)>,
    pub overrides: Vec<Override>,
    /// `baseline = "stacklint-baseline.json"`: known findings not to report (see `crate::baseline`).
    pub baseline: Option<At<String>>,
    /// Directory of the stacklint.toml this came from (canonical), for relative paths in it.
    pub dir: Option<std::path::PathBuf>,
}

const TOP: &[&str] = &["edge", "hosts", "versions", "rules", "overrides", "baseline"];
const EDGE: &[&str] = &["provider", "read_timeout", "idle_timeout", "targets", "cdn_ranges", "trusted_proxies"];
const RULES: &[&str] = &["select", "ignore", "severity"];
const OVERRIDE: &[&str] = &["path", "select", "ignore"];
const VERSIONS: &[&str] = &["nginx", "haproxy", "envoy", "gunicorn", "uvicorn", "php-fpm", "node"];

struct Reader<'f> {
    file: &'f SourceFile,
    errors: Vec<LoadError>,
}

impl Reader<'_> {
    fn span(&self, r: std::ops::Range<usize>) -> Span {
        self.file.span(r.start, r.end)
    }

    fn err(&mut self, r: std::ops::Range<usize>, msg: String, help: Option<String>) {
        let mut e = LoadError::at(self.span(r), &self.file.display, msg);
        if let Some(h) = help {
            e = e.with_help(h);
        }
        self.errors.push(e);
    }

    fn unknown(&mut self, key: &Spanned<std::borrow::Cow<'_, str>>, table: &str, known: &[&str]) {
        let k = key.get_ref().as_ref();
        let near = known.iter().map(|c| (edit_distance(k, c), *c)).filter(|(d, _)| *d <= 3).min();
        let help = match near {
            Some((_, c)) => format!("did you mean `{c}`? known keys in {table}: {}", known.join(", ")),
            None => format!("known keys in {table}: {}", known.join(", ")),
        };
        self.err(key.span(), format!("unknown key `{k}` in {table}"), Some(help));
    }

    fn string(&mut self, v: &Spanned<DeValue<'_>>, what: &str) -> Option<At<String>> {
        match v.get_ref().as_str() {
            Some(s) => Some(At { value: s.to_string(), span: self.span(v.span()) }),
            None => {
                self.err(v.span(), format!("{what} must be a string, not {}", v.get_ref().type_str()), None);
                None
            }
        }
    }

    fn strings(&mut self, v: &Spanned<DeValue<'_>>, what: &str) -> Vec<At<String>> {
        match v.get_ref().as_array() {
            Some(a) => a.iter().filter_map(|x| self.string(x, what)).collect(),
            None => self.string(v, what).into_iter().collect(),
        }
    }

    /// A duration: `"120s"`, `"2m"`, `"500ms"`, or an integer number of seconds.
    fn duration(&mut self, v: &Spanned<DeValue<'_>>, what: &str) -> Option<At<u64>> {
        let span = self.span(v.span());
        match v.get_ref() {
            DeValue::Integer(i) => match i.as_str().parse::<u64>() {
                Ok(n) => Some(At { value: n * 1000, span }),
                Err(_) => {
                    self.err(v.span(), format!("{what} must be a positive number of seconds"), None);
                    None
                }
            },
            DeValue::String(s) => match parse_duration(s) {
                Some(ms) => Some(At { value: ms, span }),
                None => {
                    self.err(
                        v.span(),
                        format!("{what}: `{s}` is not a duration"),
                        Some("write a number with a unit: \"120s\", \"2m\", \"500ms\"".into()),
                    );
                    None
                }
            },
            other => {
                self.err(v.span(), format!("{what} must be a duration, not {}", other.type_str()), None);
                None
            }
        }
    }

    fn table<'a, 'i>(&mut self, v: &'a Spanned<DeValue<'i>>, what: &str) -> Option<&'a DeTable<'i>> {
        match v.get_ref().as_table() {
            Some(t) => Some(t),
            None => {
                self.err(v.span(), format!("{what} must be a table"), None);
                None
            }
        }
    }
}

/// `120s`, `2m`, `500ms`, `1h`, bare number = seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..split].parse().ok()?;
    let mult = match s[split..].trim() {
        "" | "s" => 1000,
        "ms" => 1,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Reads a stacklint.toml already loaded into the source map.
pub fn parse(file: &SourceFile) -> Result<Config, Vec<LoadError>> {
    let mut r = Reader { file, errors: Vec::new() };
    let doc = match DeTable::parse(&file.text) {
        Ok(d) => d,
        Err(e) => {
            let range = e.span().unwrap_or(0..0);
            r.err(range, format!("invalid TOML: {}", e.message()), None);
            return Err(r.errors);
        }
    };
    let mut c = Config { dir: file.path.parent().map(|p| p.to_path_buf()), ..Config::default() };
    for (k, v) in doc.get_ref() {
        match k.get_ref().as_ref() {
            "edge" => {
                c.edge.span = Some(r.span(k.span().start..v.span().end));
                if v.get_ref().is_str() {
                    c.edge.provider = r.string(v, "edge");
                } else if let Some(t) = r.table(v, "[edge]") {
                    for (ek, ev) in t {
                        match ek.get_ref().as_ref() {
                            "provider" => c.edge.provider = r.string(ev, "edge.provider"),
                            "read_timeout" => c.edge.read_timeout = r.duration(ev, "edge.read_timeout"),
                            "idle_timeout" => c.edge.idle_timeout = r.duration(ev, "edge.idle_timeout"),
                            "targets" => c.edge.targets = r.strings(ev, "edge.targets"),
                            "cdn_ranges" => c.edge.cdn_ranges = r.string(ev, "edge.cdn_ranges"),
                            "trusted_proxies" => {
                                c.edge.trusted_proxies = r.strings(ev, "edge.trusted_proxies");
                                for t in &c.edge.trusted_proxies {
                                    if crate::cdn::parse_net(&t.value).is_none() {
                                        let local =
                                            (t.span.start - file.base) as usize..(t.span.end - file.base) as usize;
                                        r.err(
                                            local,
                                            format!("`{}` is not an address or CIDR", t.value),
                                            Some("write networks like \"10.0.0.0/8\" or \"fd00::/8\"".into()),
                                        );
                                    }
                                }
                            }
                            _ => r.unknown(ek, "[edge]", EDGE),
                        }
                    }
                }
            }
            "hosts" => {
                if let Some(t) = r.table(v, "[hosts]") {
                    for (hk, hv) in t {
                        let name = At { value: hk.get_ref().to_ascii_lowercase(), span: r.span(hk.span()) };
                        if let Some(addr) = r.string(hv, "a host address") {
                            c.hosts.push((name, addr));
                        }
                    }
                }
            }
            "versions" => {
                if let Some(t) = r.table(v, "[versions]") {
                    for (vk, vv) in t {
                        if !VERSIONS.contains(&vk.get_ref().as_ref()) {
                            r.unknown(vk, "[versions]", VERSIONS);
                            continue;
                        }
                        let value = match vv.get_ref() {
                            DeValue::Integer(i) => Some(At { value: i.as_str().to_string(), span: r.span(vv.span()) }),
                            DeValue::Float(f) => Some(At { value: f.as_str().to_string(), span: r.span(vv.span()) }),
                            _ => r.string(vv, "a version"),
                        };
                        if let Some(value) = value {
                            c.versions.insert(vk.get_ref().to_string(), value);
                        }
                    }
                }
            }
            "rules" => {
                if let Some(t) = r.table(v, "[rules]") {
                    for (rk, rv) in t {
                        match rk.get_ref().as_ref() {
                            "select" => c.select = r.strings(rv, "rules.select"),
                            "ignore" => c.ignore = r.strings(rv, "rules.ignore"),
                            "severity" => {
                                if let Some(st) = r.table(rv, "[rules.severity]") {
                                    for (sk, sv) in st {
                                        let code = At { value: sk.get_ref().to_string(), span: r.span(sk.span()) };
                                        if let Some(s) = r.string(sv, "a severity") {
                                            match s.value.parse::<Severity>() {
                                                Ok(sev) => c.severity.push((code, At { value: sev, span: s.span })),
                                                Err(e) => r.err(sv.span(), e, None),
                                            }
                                        }
                                    }
                                }
                            }
                            _ => r.unknown(rk, "[rules]", RULES),
                        }
                    }
                }
            }
            "overrides" => match v.get_ref().as_array() {
                Some(arr) => {
                    for item in arr {
                        let Some(t) = r.table(item, "[[overrides]]") else { continue };
                        let mut o = Override::default();
                        let mut has_path = false;
                        for (ok, ov) in t {
                            match ok.get_ref().as_ref() {
                                "path" => {
                                    if let Some(p) = r.string(ov, "overrides.path") {
                                        o.path = p;
                                        has_path = true;
                                    }
                                }
                                "select" => o.select = r.strings(ov, "overrides.select"),
                                "ignore" => o.ignore = r.strings(ov, "overrides.ignore"),
                                _ => r.unknown(ok, "[[overrides]]", OVERRIDE),
                            }
                        }
                        if has_path {
                            c.overrides.push(o);
                        } else {
                            r.err(item.span(), "an [[overrides]] entry needs `path`".into(), None);
                        }
                    }
                }
                None => r.err(v.span(), "overrides must be an array of tables: [[overrides]]".into(), None),
            },
            "baseline" => c.baseline = r.string(v, "baseline"),
            _ => r.unknown(k, "stacklint.toml", TOP),
        }
    }
    // Rule names must exist.
    let all: Vec<&At<String>> = c
        .select
        .iter()
        .chain(&c.ignore)
        .chain(c.severity.iter().map(|(k, _)| k))
        .chain(c.overrides.iter().flat_map(|o| o.select.iter().chain(&o.ignore)))
        .collect();
    for name in all {
        if name.value != "ALL" && crate::rules::find(&name.value).is_none() {
            let near = crate::rules::RULES
                .iter()
                .flat_map(|x| [x.code, x.name])
                .map(|k| (edit_distance(&name.value.to_ascii_lowercase(), &k.to_ascii_lowercase()), k))
                .min()
                .map(|(_, k)| format!("did you mean `{k}`? `stacklint rules` lists them"));
            let local = (name.span.start - file.base) as usize..(name.span.end - file.base) as usize;
            r.err(local, format!("no rule `{}`", name.value), near);
        }
    }
    if let Some(p) = &c.edge.provider {
        if crate::edge::preset(&p.value).is_none() && p.value != "none" {
            let names: Vec<&str> = crate::edge::PRESETS.iter().map(|p| p.name).collect();
            let local = (p.span.start - file.base) as usize..(p.span.end - file.base) as usize;
            r.err(local, format!("unknown edge `{}`", p.value), Some(format!("known: {}, none", names.join(", "))));
        }
    }
    if r.errors.is_empty() {
        Ok(c)
    } else {
        Err(r.errors)
    }
}

/// Does a rule key (`SL101`, `timeout-order`, `ALL`) name this rule?
pub fn names(key: &str, code: &str, name: &str) -> bool {
    key == "ALL" || key.eq_ignore_ascii_case(code) || key.eq_ignore_ascii_case(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceMapBuilder;
    use std::path::Path;

    fn load(text: &str) -> (crate::source::SourceMap, Result<Config, Vec<LoadError>>) {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("stacklint.toml"), "stacklint.toml".into(), text.as_bytes().to_vec());
        let c = parse(&f);
        (b.freeze(), c)
    }

    #[test]
    fn reads_every_section() {
        let (_, c) = load(
            "edge = \"aws-alb\"\n[hosts]\napp = \"10.0.0.5\"\n[versions]\nnginx = \"1.28.0\"\n[rules]\nignore = [\"SL303\"]\n[rules.severity]\nkeepalive-race = \"error\"\n[[overrides]]\npath = \"legacy/**\"\nignore = [\"timeout-order\"]\n",
        );
        let c = c.unwrap();
        assert_eq!(c.edge.provider.unwrap().value, "aws-alb");
        assert_eq!(c.hosts[0].1.value, "10.0.0.5");
        assert_eq!(c.versions["nginx"].value, "1.28.0");
        assert_eq!(c.ignore[0].value, "SL303");
        assert_eq!(c.severity[0].1.value, Severity::Error);
        assert_eq!(c.overrides[0].path.value, "legacy/**");
    }

    #[test]
    fn baseline_key() {
        let (_, c) = load("baseline = \"stacklint-baseline.json\"\n");
        assert_eq!(c.unwrap().baseline.unwrap().value, "stacklint-baseline.json");
        let (_, c) = load("baseline = 1\n");
        assert!(c.unwrap_err()[0].message.contains("baseline must be a string"));
        let (_, c) = load("baselin = \"x\"\n");
        assert!(c.unwrap_err()[0].help.as_deref().unwrap().contains("`baseline`"));
    }

    #[test]
    fn edge_table_with_overrides() {
        let (_, c) = load("[edge]\nprovider = \"cloudflare\"\nread_timeout = \"100s\"\nidle_timeout = 900\n");
        let c = c.unwrap();
        assert_eq!(c.edge.read_timeout.unwrap().value, 100_000);
        assert_eq!(c.edge.idle_timeout.unwrap().value, 900_000);
    }

    #[test]
    fn unknown_keys_are_errors_with_position_and_suggestion() {
        let (map, c) = load("edge = \"aws-alb\"\n[rulez]\nselect = []\n");
        let errs = c.unwrap_err();
        assert_eq!(errs.len(), 1);
        let loc = map.location(errs[0].span.unwrap()).unwrap();
        assert_eq!((loc.line, loc.column), (2, 2));
        assert!(errs[0].message.contains("rulez"));
        assert!(errs[0].help.as_deref().unwrap().contains("did you mean `rules`"));
        let (_, c) = load("[edge]\nprovder = \"cloudflare\"\n");
        assert!(c.unwrap_err()[0].help.as_deref().unwrap().contains("`provider`"));
        let (_, c) = load("[rules]\nignore = [\"timeout-ordr\"]\n");
        assert!(c.unwrap_err()[0].help.as_deref().unwrap().contains("timeout-order"));
        let (_, c) = load("edge = \"akamia\"\n");
        assert!(c.unwrap_err()[0].message.contains("unknown edge"));
    }

    #[test]
    fn edge_cdn_keys() {
        let (_, c) = load(
            "[edge]\nprovider = \"cloudflare\"\ncdn_ranges = \"cf.txt\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        );
        let c = c.unwrap();
        assert_eq!(c.edge.cdn_ranges.unwrap().value, "cf.txt");
        assert_eq!(c.edge.trusted_proxies.len(), 2);
        let (_, c) = load("[edge]\nprovider = \"cloudflare\"\ntrusted_proxies = [\"10.0.0.0/33\"]\n");
        assert!(c.unwrap_err()[0].message.contains("not an address"));
        let (_, c) = load("[edge]\nprovider = \"cloudflare\"\ncdn_range = \"x\"\n");
        assert!(c.unwrap_err()[0].help.as_deref().unwrap().contains("`cdn_ranges`"));
    }

    #[test]
    fn invalid_toml_is_an_error_with_position() {
        let (map, c) = load("edge = \n");
        let errs = c.unwrap_err();
        assert!(map.location(errs[0].span.unwrap()).is_some());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("120s"), Some(120_000));
        assert_eq!(parse_duration("2m"), Some(120_000));
        assert_eq!(parse_duration("500ms"), Some(500));
        assert_eq!(parse_duration("60"), Some(60_000));
        assert_eq!(parse_duration("1.5s"), None);
    }
}
