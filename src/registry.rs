//! The registry of components, like `rules::RULES`: one line per component. Discovery, the
//! engine, suppressions and the pre-commit hook's file pattern all walk it; nothing else names a
//! component. What an entry holds is [`ComponentDef`] (`crate::component`).
//!
//! **Order** is the load order within a phase (see [`Phase`]): the files a loader reads beyond
//! the ones discovery classified (includes, ACL files, scripts) enter the source map in this
//! order, so it decides global offsets and, through them, the order of findings. Graph order is
//! each entry's `graph_rank`.
//!
//! **Recognition** runs every component's steps in rank order; the first step that does not
//! pass decides. The ranks in use:
//!
//! | rank | component | what |
//! |---|---|---|
//! | 10, 20 | launch | `Procfile*`, `Dockerfile*`/`*.dockerfile` |
//! | 30 | compose | `docker-compose*.y(a)ml`, `compose*.y(a)ml` |
//! | 40 | node | `package.json`, `.nvmrc`, `.node-version`, `ecosystem.config.*` |
//! | 50, 60 | launch | `.env*`, `*.service` |
//! | 70 | gunicorn | `gunicorn*.py` |
//! | 80 | nginx | `nginx.conf` |
//! | 90, 100, 110 | php-fpm | `php.ini` and php `conf.d/*.ini`; `php-fpm*.conf`, pool dirs; `*.conf` with pool content (not nginx) |
//! | 120 | haproxy | `haproxy.cfg`, `haproxy(.d)/`; other `*.cfg`, `haproxy*.conf` by content |
//! | 130 | nginx | `conf.d/`, `sites-*/` |
//! | 140 | envoy | any YAML/JSON (by name or top-level keys) |
//! | 150 | nginx | other `*.conf`, extension-less files in `nginx/`, by content |
//! | 1000 | node | JS/TS sources under a `package.json` |

use crate::component::{Candidate, ComponentDef, Phase, Recogniser, Step};
use crate::files::{Ctx, Found, Kind, Root};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Every component, in load order.
pub static COMPONENTS: &[&ComponentDef] = &[
    &crate::nginx::COMPONENT,
    &crate::launch::compose::COMPONENT,
    &crate::haproxy::COMPONENT,
    &crate::launch::COMPONENT,
    &crate::gunicorn::COMPONENT,
    &crate::uvicorn::COMPONENT,
    &crate::node::COMPONENT,
    &crate::phpfpm::COMPONENT,
    &crate::envoy::COMPONENT,
];

/// The kinds by the names they had as an enum (`Kind::Nginx`), for callers of the library.
#[allow(non_upper_case_globals)]
impl Kind {
    pub const Nginx: Kind = crate::nginx::KIND;
    pub const Haproxy: Kind = crate::haproxy::KIND;
    pub const Gunicorn: Kind = crate::gunicorn::KIND;
    pub const Systemd: Kind = crate::launch::SYSTEMD;
    pub const Procfile: Kind = crate::launch::PROCFILE;
    pub const Dockerfile: Kind = crate::launch::DOCKERFILE;
    pub const Compose: Kind = crate::launch::compose::KIND;
    pub const DotEnv: Kind = crate::launch::DOTENV;
    pub const Envoy: Kind = crate::envoy::KIND;
    pub const PhpFpm: Kind = crate::phpfpm::KIND;
    pub const PhpIni: Kind = crate::phpfpm::PHP_INI;
    pub const Node: Kind = crate::node::KIND;
    pub const Python: Kind = crate::uvicorn::PYTHON;
}

/// The components of one phase, in load order.
pub fn in_phase(phase: Phase) -> impl Iterator<Item = &'static ComponentDef> {
    COMPONENTS.iter().copied().filter(move |c| c.phase == phase)
}

/// Every recognition step, in rank order.
fn steps() -> &'static [&'static Recogniser] {
    static STEPS: OnceLock<Vec<&'static Recogniser>> = OnceLock::new();
    STEPS.get_or_init(|| {
        let mut steps: Vec<&'static Recogniser> = COMPONENTS.iter().flat_map(|c| c.recognise.iter()).collect();
        steps.sort_by_key(|r| r.rank);
        steps
    })
}

/// Recognises a file by its name, then (for ambiguous names) by its content; `on_disk` (the
/// canonical path and the roots) lets steps look around the file (a Node source needs a
/// `package.json` above it). `head` is called at most once.
pub fn recognise(
    path: &Path,
    on_disk: Option<(&Path, &[Root])>,
    head: &mut dyn FnMut() -> Option<String>,
) -> Option<Kind> {
    // A template is recognised as the file it renders to (`nginx.conf.j2`, `default.conf.template`).
    let name = crate::template::strip_suffix(path.file_name()?.to_str()?);
    let lower = name.to_ascii_lowercase();
    let parent = path.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
    let c = Candidate { path, lower: &lower, parent, on_disk };
    let mut text: Option<Option<String>> = None;
    let mut head = || text.get_or_insert_with(&mut *head).clone();
    for r in steps() {
        match (r.step)(&c, &mut head) {
            Step::Is(kind) => return Some(kind),
            Step::Skip => return None,
            Step::Pass => {}
        }
    }
    None
}

/// Classifies a file by its name, then (for ambiguous names) by its content, as discovery does
/// for a file whose surroundings are unknown.
pub fn classify(path: &Path, head: impl FnOnce() -> Option<String>) -> Option<Kind> {
    let mut head = Some(head);
    recognise(path, None, &mut || head.take().and_then(|h| h()))
}

/// Walks the roots and classifies every file with the registry. Unknown files are skipped.
pub fn discover(paths: &[PathBuf]) -> Result<(Ctx, Vec<Found>), String> {
    crate::files::discover(paths, &recognise)
}

/// The `files` pattern of the pre-commit hook (`.pre-commit-hooks.yaml`): stacklint.toml, then
/// one line per component with its alternatives (Python `re`, `(?ix)`).
pub fn precommit_pattern() -> String {
    let mut out = String::from("(?ix)(\n    (^|/)stacklint\\.toml$\n");
    for c in COMPONENTS.iter().filter(|c| !c.precommit.is_empty()) {
        out.push_str(&format!("  | {}  # {}\n", c.precommit.join(" | "), c.name));
    }
    out.push_str(")\n");
    out
}

/// Whether servers of this graph component drain idle HTTP/2 connections (GOAWAY) before they
/// close them (see `crate::component::GraphFacts`).
pub fn drains_idle_http2(c: crate::graph::Component) -> bool {
    COMPONENTS.iter().filter_map(|d| d.graph.as_ref()).any(|g| g.component == c && g.drains_idle_http2)
}

/// How each component writes trust and access lists, for the CDN rules' messages and fixes;
/// generic wording for components that declare none.
pub mod trust {
    use super::COMPONENTS;
    use crate::component::TrustWords;
    use crate::graph::Component;
    use ipnet::IpNet;

    pub use crate::cdn::trust::allowed;

    fn words(c: Component) -> Option<&'static TrustWords> {
        COMPONENTS.iter().filter_map(|d| d.graph.as_ref()).find(|g| g.component == c).and_then(|g| g.trust)
    }

    /// How a component names its trust list, for messages.
    pub fn trust_word(c: Component) -> &'static str {
        words(c).map_or("the trusted-proxy list", |w| w.trust_word)
    }

    /// How a component writes one trusted network, for fixes.
    pub fn trust_line(c: Component, net: &IpNet) -> String {
        words(c).map_or_else(|| net.to_string(), |w| (w.trust_line)(net))
    }

    /// How a component names the header it takes the client address from, for fixes.
    pub fn header_line(c: Component, header: &str) -> String {
        words(c).map_or_else(|| header.to_string(), |w| (w.header_line)(header))
    }

    /// How a component skips trusted addresses at the end of X-Forwarded-For, when it can.
    pub fn recursive_setting(c: Component) -> Option<(&'static str, &'static str)> {
        words(c).and_then(|w| w.recursive_setting)
    }

    /// How a component writes one allowed network, for fixes.
    pub fn allow_line(c: Component, net: &IpNet) -> String {
        words(c).map_or_else(|| net.to_string(), |w| (w.allow_line)(net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_kinds_and_ranks_are_unique() {
        let mut names: Vec<&str> = COMPONENTS.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COMPONENTS.len());
        let mut kinds: Vec<&str> = COMPONENTS.iter().flat_map(|c| c.kinds.iter().map(|k| k.name)).collect();
        kinds.sort();
        let n = kinds.len();
        kinds.dedup();
        assert_eq!(kinds.len(), n, "a kind declared twice");
        let mut ranks: Vec<u16> = steps().iter().map(|r| r.rank).collect();
        let n = ranks.len();
        ranks.dedup();
        assert_eq!(ranks.len(), n, "two recognition steps with one rank: their order would be arbitrary");
    }

    #[test]
    fn precommit_hook_pattern_is_the_registrys() {
        let hooks = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml")).unwrap();
        let want: String = precommit_pattern().lines().map(|l| format!("    {l}\n")).collect();
        assert!(
            hooks.contains(&format!("  files: |\n{want}")),
            "`.pre-commit-hooks.yaml` `files` is not the registry's; replace it with:\n  files: |\n{want}"
        );
    }

    #[test]
    fn recognised_kinds_are_declared() {
        for c in COMPONENTS {
            for k in c.kinds {
                assert!(!k.name.is_empty());
            }
        }
        assert_eq!(classify(Path::new("etc/nginx/nginx.conf"), || None), Some(Kind::Nginx));
        assert_eq!(classify(Path::new("app/server.js"), || None), None, "a Node source needs its surroundings");
    }
}
