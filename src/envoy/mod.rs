//! Envoy: v3 bootstrap configs in YAML or JSON (one reader: saphyr, since JSON is YAML 1.2) and
//! file-based LDS/CDS resource files, Envoy's duration syntax and defaults with their sources, and
//! the model that puts listeners, routes and clusters into the stack graph.
//!
//! An Envoy process is one bootstrap plus the `path_config_source` files it names; LDS/CDS files
//! that no bootstrap names are read as one process per directory whose clusters may come from
//! elsewhere (so a route to a cluster they lack is not reported).

pub mod config;
pub mod defaults;
pub mod duration;
pub mod model;
pub mod trust;
pub mod yaml;

use crate::diag::LoadError;
use crate::files::{Ctx, Found};
use config::{EnvoyFile, FileKind, XdsSource};
use std::path::Path;

/// One Envoy process: its bootstrap (if any) and the resource files it reads.
#[derive(Debug)]
pub struct Instance {
    pub files: Vec<EnvoyFile>,
    /// Clusters may also come from a control plane (ADS/gRPC CDS) or a file we could not find:
    /// a route to a cluster not defined here is then not a finding.
    pub open: bool,
}

/// Reads every Envoy file. Files that parse but hold no Envoy document are skipped quietly
/// (discovery already checked their content, so this is rare); malformed YAML/JSON is a
/// [`LoadError`] at the offending line and column.
pub fn load(ctx: &Ctx, files: &[Found]) -> (Vec<Instance>, Vec<LoadError>) {
    let mut errors = Vec::new();
    let mut read = Vec::new();
    for f in files {
        let source = match ctx.read(&f.path) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match yaml::parse(&source) {
            Ok(root) => {
                if let Some(kind) = config::kind_of(&root) {
                    read.push(config::read(source.clone(), &root, kind));
                }
            }
            Err(e) => {
                let lc = source.line_col(e.offset);
                let what = if f.path.extension().is_some_and(|x| x == "json") { "JSON" } else { "YAML" };
                errors.push(
                    LoadError::at(
                        source.span(e.offset, e.offset),
                        source.display.clone(),
                        format!("{}:{}:{}: invalid {what}: {}", source.display, lc.line, lc.column, e.message),
                    )
                    .with_help("Envoy refuses to start with a config it cannot parse"),
                );
            }
        }
    }
    (group(read), errors)
}

/// Groups files into processes: each bootstrap takes the LDS/CDS files its `path_config_source`
/// names (matched by file name, since the path is the one inside the container); the rest are
/// grouped by directory.
fn group(files: Vec<EnvoyFile>) -> Vec<Instance> {
    let (boots, mut rest): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| f.kind == FileKind::Bootstrap);
    let mut out = Vec::new();
    for b in boots {
        let mut open = false;
        let mut members = Vec::new();
        for (src, is_cds) in [(&b.dynamic.lds, false), (&b.dynamic.cds, true)] {
            let path = match src {
                None => continue,
                Some(XdsSource::Path { path, .. }) => path,
                Some(XdsSource::Remote) => {
                    open |= is_cds;
                    continue;
                }
            };
            let name = Path::new(path).file_name();
            let here = b.source.path.parent();
            // Prefer a file in the bootstrap's tree, then any file of that name.
            let pos = rest
                .iter()
                .position(|r| r.source.path.file_name() == name && here.is_some_and(|h| r.source.path.starts_with(h)))
                .or_else(|| rest.iter().position(|r| r.source.path.file_name() == name));
            match pos {
                Some(i) => members.push(rest.remove(i)),
                None => open |= is_cds,
            }
        }
        let mut files = vec![b];
        files.extend(members);
        out.push(Instance { files, open });
    }
    while let Some(first) = rest.pop() {
        let dir = first.source.path.parent().map(Path::to_path_buf);
        let mut files = vec![first];
        let mut i = 0;
        while i < rest.len() {
            if rest[i].source.path.parent().map(Path::to_path_buf) == dir {
                files.push(rest.remove(i));
            } else {
                i += 1;
            }
        }
        files.reverse();
        out.push(Instance { files, open: true });
    }
    out
}

/// Does this text look like an Envoy bootstrap or xDS resource file (for `*.yaml`/`*.json` whose
/// name says nothing)? Looks at top-level keys only, and never at docker-compose or Kubernetes
/// manifests (which may embed an Envoy config as a string).
pub fn looks_like_envoy(text: &str) -> bool {
    let text = text.trim_start_matches('\u{feff}');
    let top = top_level_keys(text);
    let has = |k: &str| top.iter().any(|t| t == k);
    if foreign(&top) {
        return false;
    }
    if has("static_resources") || has("dynamic_resources") {
        return true;
    }
    if has("admin") && (has("node") || text.contains("listeners")) {
        return true;
    }
    has("resources") && text.contains("type.googleapis.com/envoy.")
}

/// A Kubernetes manifest or a docker-compose file (whatever its name).
pub fn looks_foreign(text: &str) -> bool {
    foreign(&top_level_keys(text.trim_start_matches('\u{feff}')))
}

fn foreign(top: &[String]) -> bool {
    let has = |k: &str| top.iter().any(|t| t == k);
    (has("apiVersion") && has("kind")) || has("services")
}

/// Keys of the top-level mapping: unindented `key:` lines in YAML, depth-1 keys in JSON.
fn top_level_keys(text: &str) -> Vec<String> {
    let t = text.trim_start();
    if t.starts_with('{') {
        // JSON: scan strings at depth 1 followed by a colon.
        let mut keys = Vec::new();
        let mut depth = 0i32;
        let b = t.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'{' | b'[' => depth += 1,
                b'}' | b']' => depth -= 1,
                b'"' => {
                    let start = i + 1;
                    i += 1;
                    while i < b.len() && b[i] != b'"' {
                        if b[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                    let end = i.min(b.len());
                    let mut j = i + 1;
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if depth == 1 && j < b.len() && b[j] == b':' {
                        keys.push(String::from_utf8_lossy(&b[start..end]).into_owned());
                    }
                }
                _ => {}
            }
            i += 1;
        }
        return keys;
    }
    text.lines()
        .filter(|l| !l.starts_with([' ', '\t', '#', '-']) && !l.is_empty())
        .filter_map(|l| {
            let (k, _) = l.split_once(':')?;
            Some(k.trim().trim_matches(['"', '\'']).to_string())
        })
        .collect()
}

use crate::component::{Candidate, ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step};
use crate::files::{Comments, Kind, Layer};
use crate::graph::StackBuilder;

/// Envoy bootstrap (`envoy.yaml`, or YAML/JSON with Envoy's top-level keys) or LDS/CDS file.
pub const KIND: Kind = Kind::new("envoy", Layer::Balancer, Comments::Hash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "envoy",
    kinds: &[KIND],
    recognise: &[Recogniser { rank: 140, step: recognise }],
    precommit: &[r"\.(ya?ml|json)$"],
    phase: Phase::Main,
    load: |ctx, found, _| {
        let files: Vec<_> = found.iter().filter(|f| f.kind == KIND).cloned().collect();
        let (instances, errors) = load(ctx, &files);
        (Some(Box::new(Envoy(instances))), errors)
    },
    graph_rank: 4,
    graph: Some(GraphFacts {
        component: crate::graph::Component::Envoy,
        drains_idle_http2: defaults::DRAINS_IDLE_HTTP2,
        trust: Some(&trust::WORDS),
    }),
};

/// Any YAML or JSON file decides here: `envoy.yaml` by name (so a broken one is reported, not
/// skipped) unless it is a Kubernetes manifest or a compose file; any other by its top-level keys.
fn recognise(c: &Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    let lower = c.lower;
    if !(lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")) {
        return Step::Pass;
    }
    let Some(text) = head() else { return Step::Skip };
    let named = matches!(lower, "envoy.yaml" | "envoy.yml" | "envoy.json");
    let envoy = if named { !looks_foreign(&text) } else { looks_like_envoy(&text) };
    if envoy {
        Step::Is(KIND)
    } else {
        Step::Skip
    }
}

struct Envoy(Vec<Instance>);

impl Loaded for Envoy {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_envoy_and_nothing_else() {
        assert!(looks_like_envoy("static_resources:\n  listeners: []\n"));
        assert!(looks_like_envoy("# c\nadmin:\n  address: {}\nnode:\n  id: x\n"));
        assert!(looks_like_envoy("resources:\n- \"@type\": type.googleapis.com/envoy.config.cluster.v3.Cluster\n"));
        assert!(looks_like_envoy("{\"static_resources\": {\"listeners\": []}}"));
        assert!(looks_like_envoy(
            "{\"resources\": [{\"@type\": \"type.googleapis.com/envoy.config.listener.v3.Listener\"}]}"
        ));
        // docker-compose, Kubernetes (even with an embedded envoy.yaml), other YAML.
        assert!(!looks_like_envoy("services:\n  envoy:\n    image: envoyproxy/envoy\n"));
        assert!(!looks_like_envoy("apiVersion: v1\nkind: ConfigMap\ndata:\n  envoy.yaml: |\n    static_resources:\n"));
        assert!(!looks_like_envoy("resources:\n  limits:\n    cpu: 1\n"));
        assert!(!looks_like_envoy("{\"name\": \"x\", \"resources\": {}}"));
        assert!(!looks_like_envoy("name: CI\non: push\njobs: {}\n"));
    }
}
