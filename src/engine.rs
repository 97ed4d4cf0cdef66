//! Runs the pipeline: discover -> parse -> model -> link -> rules. The CLI, tests and benchmarks
//! all go through [`lint`].

use crate::diag::{Finding, LoadError};
use crate::discover::{self, Kind};
use crate::graph::{Component, Problem, ProblemKind, Stack, StackBuilder};
use crate::nginx;
use crate::source::SourceMap;
use std::collections::HashSet;
use std::path::PathBuf;

/// What the user told us about the world the configs run in.
#[derive(Clone, Debug)]
pub struct Options {
    pub nginx_version: nginx::defaults::Version,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            nginx_version: nginx::defaults::Version::CURRENT_STABLE,
        }
    }
}

/// A file stacklint read, and as what.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileInfo {
    pub path: String,
    pub kind: Kind,
}

/// Everything one run produced.
pub struct Outcome {
    pub map: SourceMap,
    pub stack: Stack,
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    pub files: Vec<FileInfo>,
}

/// Lints the trees under `paths`. `Err` only when a path cannot be opened at all.
pub fn lint(paths: &[PathBuf], opts: &Options) -> Result<Outcome, String> {
    let (ctx, found) = discover::discover(paths)?;
    let mut errors = Vec::new();

    let of = |k: Kind| {
        found
            .iter()
            .filter(|f| f.kind == k)
            .cloned()
            .collect::<Vec<_>>()
    };
    let nginx_files = of(Kind::Nginx);
    let (tree, errs) = nginx::load::load(&ctx, &nginx_files);
    errors.extend(errs);

    let node_files: Vec<_> = found
        .iter()
        .filter(|f| crate::node::wants(f))
        .cloned()
        .collect();
    let (node_tree, errs) = crate::node::load(&ctx, &node_files);
    errors.extend(errs);

    let mut b = StackBuilder::new();
    let known_hosts: HashSet<String> = HashSet::new();
    let nopts = nginx::model::Options {
        version: opts.nginx_version,
        known_hosts,
    };
    nginx::model::add(&tree, &nopts, &mut b);
    crate::node::model::add(&node_tree, &mut b);
    for m in &tree.missing_includes {
        b.add_problem(Problem {
            kind: ProblemKind::MissingInclude,
            component: Component::Nginx,
            span: m.span,
            message: format!("`include {}` names a file that is not in the linted tree; nginx refuses to start", m.pattern),
            help: if m.looked_in.is_empty() {
                "add the file, fix the path, or use a glob if the file is optional".to_string()
            } else {
                format!(
                    "add the file, fix the path, or use a glob if the file is optional (looked in: {})",
                    m.looked_in.join(", ")
                )
            },
        });
    }
    let stack = b.link();
    let findings = crate::rules::run(&stack);

    let mut files: Vec<FileInfo> = found
        .iter()
        .map(|f| FileInfo {
            path: f.display.clone(),
            kind: f.kind,
        })
        .collect();
    let map = ctx.map.freeze();
    // Files pulled in by includes are nginx files too, even when their names say nothing.
    for f in map.files() {
        if !f.builtin && !files.iter().any(|x| x.path == f.display) {
            files.push(FileInfo {
                path: f.display.clone(),
                kind: Kind::Nginx,
            });
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Outcome {
        map,
        stack,
        findings,
        errors,
        files,
    })
}
