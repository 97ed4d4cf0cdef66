//! nginx: the pest grammar (`grammars/nginx.pest`) and parser, include resolution, nginx's stock
//! files, defaults with their versions and sources, and the model that puts servers, locations
//! and upstreams into the stack graph.

pub mod ast;
pub mod crossplane;
mod crossplane_directives;
pub mod defaults;
pub mod directives;
pub mod load;
pub mod model;
pub mod parser;
pub mod stock;
pub mod trust;

/// Does the top level of this text look like an nginx config (for files whose name says nothing)?
pub fn looks_like_nginx(text: &str) -> bool {
    parser::looks_like_nginx(text)
}

use crate::component::{Claim, ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step};
use crate::files::{Comments, Kind, Layer};
use crate::graph::StackBuilder;
use crate::source::SourceFile;

pub const KIND: Kind = Kind::new("nginx", Layer::Proxy, Comments::Hash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "nginx",
    kinds: &[KIND],
    recognise: &[
        Recogniser { rank: 80, step: |c, _| Step::when(c.lower == "nginx.conf", KIND) },
        Recogniser { rank: 130, step: by_directory },
        Recogniser { rank: 150, step: by_content },
    ],
    precommit: &[r"\.conf$", r"(^|/)(conf\.d|sites-[^/]+|nginx)/[^/.]+$", r"(^|/)mime\.types$"],
    phase: Phase::Front,
    load: |ctx, found, _| {
        let files: Vec<_> = found.iter().filter(|f| f.kind == KIND).cloned().collect();
        let (tree, errors) = load::load(ctx, &files);
        (Some(Box::new(Nginx { tree: Some(tree) })), errors)
    },
    graph_rank: 0,
    graph: Some(GraphFacts {
        component: crate::graph::Component::Nginx,
        drains_idle_http2: false,
        trust: Some(&trust::WORDS),
    }),
};

/// Names that are documentation, not configuration, even in a config directory.
fn not_config(lower: &str) -> bool {
    ["license", "readme", "copying", "changelog", "notice", "authors"].iter().any(|p| lower.starts_with(p))
}

/// `conf.d/`, `sites-*/`: nginx's by name under an nginx directory; elsewhere (supervisor/conf.d,
/// fail2ban, ...) only when the content is nginx, so other tools' conf.d files are skipped, not
/// reported broken.
fn by_directory(c: &crate::component::Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    let (lower, parent) = (c.lower, c.parent);
    let nginx_dir = matches!(parent, "conf.d" | "sites-enabled" | "sites-available") || parent.starts_with("sites-");
    let decides = nginx_dir && !not_config(lower) && (lower.ends_with(".conf") || !lower.contains('.'));
    if !decides {
        return Step::Pass;
    }
    let under_nginx = c
        .path
        .ancestors()
        .skip(1)
        .any(|a| a.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.to_ascii_lowercase().contains("nginx")));
    if under_nginx || head().is_some_and(|t| looks_like_nginx(&t)) {
        Step::Is(KIND)
    } else {
        Step::Skip
    }
}

/// Any other `.conf`, and extension-less files in an `nginx/` directory (fastcgi_params,
/// mime.types-like snippets), only when their content says so.
fn by_content(c: &crate::component::Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    let lower = c.lower;
    let decides = lower.ends_with(".conf") || (c.parent == "nginx" && !lower.contains('.') && !not_config(lower));
    if !decides {
        return Step::Pass;
    }
    match head() {
        Some(text) if looks_like_nginx(&text) => Step::Is(KIND),
        Some(_) => Step::Pass,
        None => Step::Skip,
    }
}

/// The loaded tree, until the model has read it.
struct Nginx {
    tree: Option<ast::Tree>,
}

impl Loaded for Nginx {
    fn add_to_graph(&mut self, b: &mut StackBuilder, shared: &Shared) {
        let version = shared.versions.get("nginx").and_then(|v| defaults::Version::parse(v));
        let opts = model::Options {
            version: version.unwrap_or(defaults::Version::CURRENT_STABLE),
            known_hosts: shared.hosts(),
        };
        if let Some(tree) = self.tree.take() {
            model::add(&tree, &opts, b);
            // The syntax tree is not needed any more; freeing its ~100k small allocations is a
            // few percent of a big run, so it happens beside the rest.
            rayon::spawn(move || drop(tree));
        }
    }

    /// Files pulled in by includes are nginx files, even when their names say nothing.
    fn claims(&self, _file: &SourceFile) -> Claim {
        Claim::Fallback(KIND)
    }
}
