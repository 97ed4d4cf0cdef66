//! HAProxy: the pest grammar (`grammars/haproxy.pest`) and parser, defaults and unit rules with
//! their sources, and the model that puts frontends, backends and `listen` sections into the
//! stack graph.
//!
//! Files are grouped into instances, the way `haproxy -f haproxy.cfg -f conf.d/` loads them: the
//! HAProxy files of one directory (and of its `*.d` sub-directories) in lexical order. Sections
//! never span files; `defaults` inheritance and `use_backend` names resolve within an instance.

pub mod ast;
pub mod defaults;
pub mod model;
pub mod parser;
pub mod trust;

use crate::diag::LoadError;
use crate::files::{Ctx, Found};
use ast::{Config, Instance, SectionKind};
use std::path::{Path, PathBuf};

pub use parser::looks_like_haproxy;

/// The instance a file belongs to: its directory, or the parent of a `*.d` directory.
fn instance_dir(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new(""));
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".d") {
        dir.parent().unwrap_or(dir).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

/// Reads and parses every HAProxy file. Files with errors are kept (their readable lines count);
/// the errors make the run fail.
pub fn load(ctx: &Ctx, found: &[Found]) -> (Config, Vec<LoadError>) {
    let mut errors = Vec::new();
    let mut cfg = Config::default();
    let mut keys: Vec<PathBuf> = Vec::new();
    let mut files: Vec<&Found> = found.iter().collect();
    // Lexical order within a directory, as HAProxy reads a directory given to -f; files directly
    // in the instance directory before its `*.d` sub-directories.
    files.sort_by(|a, b| {
        let (pa, pb) = (instance_dir(&a.path), instance_dir(&b.path));
        let depth = |p: &Path, root: &Path| p.parent() != Some(root);
        pa.cmp(&pb).then(depth(&a.path, &pa).cmp(&depth(&b.path, &pb))).then(a.path.cmp(&b.path))
    });
    for f in files {
        let source = match ctx.read(&f.path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let (file, errs) = parser::parse(source);
        errors.extend(errs);
        let (patterns, errs) = trust::pattern_files(ctx, &file, &f.path);
        errors.extend(errs);
        let key = instance_dir(&f.path);
        let idx = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key.clone());
                cfg.instances.push(Instance { dir: ctx.display(&key), files: Vec::new(), pattern_files: Vec::new() });
                keys.len() - 1
            }
        };
        cfg.instances[idx].files.push(file);
        cfg.instances[idx].pattern_files.extend(patterns);
    }
    for inst in &cfg.instances {
        check_from(inst, &mut errors);
    }
    (cfg, errors)
}

/// `from NAME` must name a `defaults` section read earlier: "defaults section 'x' not found for
/// frontend 'f'" (HAProxy refuses to start).
fn check_from(inst: &Instance, errors: &mut Vec<LoadError>) {
    let mut seen: Vec<&str> = Vec::new();
    for f in &inst.files {
        for s in &f.sections {
            if let Some(from) = &s.from {
                if !seen.contains(&from.value.as_str()) {
                    errors.push(
                        LoadError::at(
                            from.span,
                            &f.source.display,
                            format!(
                                "defaults section '{}' not found for {} '{}'",
                                from.value,
                                s.keyword(),
                                s.name().unwrap_or("")
                            ),
                        )
                        .with_help("a `from` must name a `defaults` section that appears earlier"),
                    );
                }
            }
            if s.kind == SectionKind::Defaults {
                if let Some(n) = s.name() {
                    seen.push(n);
                }
            }
        }
    }
}

use crate::component::{
    Candidate, Claim, ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step, TrustWords,
};
use crate::files::{Comments, Kind, Layer};
use crate::graph::StackBuilder;
use crate::source::SourceFile;

/// `haproxy.cfg`, `*.cfg` files with HAProxy sections, files in `haproxy/` or `haproxy.d/`.
pub const KIND: Kind = Kind::new("haproxy", Layer::Balancer, Comments::Hash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "haproxy",
    kinds: &[KIND],
    recognise: &[Recogniser { rank: 120, step: recognise }],
    precommit: &[r"\.cfg$", r"(^|/)haproxy/[^/.]+$", r"\.(lst|acl)$"],
    phase: Phase::Main,
    load: |ctx, found, _| {
        let files: Vec<_> = found.iter().filter(|f| f.kind == KIND).cloned().collect();
        let (cfg, errors) = load(ctx, &files);
        (Some(Box::new(Haproxy(cfg))), errors)
    },
    graph_rank: 1,
    graph: Some(GraphFacts {
        component: crate::graph::Component::Haproxy,
        drains_idle_http2: false,
        trust: Some(&WORDS),
    }),
};

/// How HAProxy writes what the CDN rules suggest.
pub static WORDS: TrustWords = TrustWords {
    trust_word: "the `http-request set-src` condition",
    trust_line: |net| format!("acl from_edge src {net}"),
    header_line: |header| format!("http-request set-src hdr({header}) if from_edge"),
    recursive_setting: None,
    allow_line: |net| format!("acl from_edge src {net}"),
};

fn recognise(c: &Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    let (lower, parent) = (c.lower, c.parent);
    if lower == "haproxy.cfg" || (matches!(parent, "haproxy" | "haproxy.d") && lower.ends_with(".cfg")) {
        return Step::Is(KIND);
    }
    if lower.ends_with(".cfg")
        || (matches!(parent, "haproxy" | "haproxy.d") && !lower.contains('.'))
        || (lower.starts_with("haproxy") && lower.ends_with(".conf"))
    {
        return match head() {
            Some(text) if looks_like_haproxy(&text) => Step::Is(KIND),
            _ => Step::Skip,
        };
    }
    Step::Pass
}

struct Haproxy(Config);

impl Loaded for Haproxy {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }

    /// ACL pattern files (`acl ... -f FILE`).
    fn claims(&self, file: &SourceFile) -> Claim {
        let acl_file = self
            .0
            .instances
            .iter()
            .flat_map(|i| &i.pattern_files)
            .any(|p| p.source.as_ref().is_some_and(|s| s.id == file.id));
        if acl_file {
            Claim::Mine(KIND)
        } else {
            Claim::No
        }
    }
}
