//! What a component is: the shape every entry of the registry (`crate::registry::COMPONENTS`)
//! has. A component (nginx, HAProxy, gunicorn, compose, ...) is one folder that defines one
//! `pub static COMPONENT: ComponentDef`: how it recognises its files, the kinds of file it reads
//! (with their comment syntax), its pre-commit file pattern, how it loads, and how it adds
//! itself to the stack graph. The engine and discovery walk the registry and name no component.
//!
//! This module names no component either: components depend on it, the registry on them.

use crate::diag::LoadError;
use crate::files::{Ctx, Found, Kind, Root};
use crate::graph::StackBuilder;
use crate::source::SourceFile;
use std::any::Any;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One component: everything the engine, discovery, suppressions and the pre-commit hook need.
pub struct ComponentDef {
    pub name: &'static str,
    /// The kinds of file it reads (each with its layer and comment syntax).
    pub kinds: &'static [Kind],
    /// How it recognises its files, by name and by content (see [`Recogniser`]).
    pub recognise: &'static [Recogniser],
    /// Alternatives of the pre-commit hook's `files` pattern (Python `re`, verbose, case-blind)
    /// that match the files it reads (`.pre-commit-hooks.yaml` is checked against them).
    pub precommit: &'static [&'static str],
    /// When it loads (see [`Phase`]); within a phase, components load in registry order, which
    /// is the order the files they read beyond discovery's enter the source map.
    pub phase: Phase,
    /// Reads its files; `None` from a component that only publishes what later ones read.
    pub load: LoadFn,
    /// Where its servers go in the graph (lower first): server ids, and so the graph's printed
    /// order, follow it.
    pub graph_rank: u8,
    /// What it is in the graph, and how its trust and access lists are written; `None` for
    /// components that add no server (launch sources).
    pub graph: Option<GraphFacts>,
}

/// A component as the graph and the rules see it.
pub struct GraphFacts {
    pub component: crate::graph::Component,
    /// Ends an idle HTTP/2 connection with GOAWAY and a drain before it closes it, so a caller
    /// pooling HTTP/2 connections to it stops sending on one in time: no keep-alive race.
    pub drains_idle_http2: bool,
    /// How it writes trust and access lists, for messages and fixes.
    pub trust: Option<&'static TrustWords>,
}

/// How a component writes what the CDN rules suggest.
pub struct TrustWords {
    /// How it names its trust list (`` `set_real_ip_from` ``).
    pub trust_word: &'static str,
    /// One trusted network (`set_real_ip_from {net};`).
    pub trust_line: fn(&ipnet::IpNet) -> String,
    /// The header it takes the client address from (`real_ip_header {header};`).
    pub header_line: fn(&str) -> String,
    /// How it skips trusted addresses at the end of X-Forwarded-For: the setting as messages name
    /// it, and the line that turns it on.
    pub recursive_setting: Option<(&'static str, &'static str)>,
    /// One allowed network (`allow {net};`).
    pub allow_line: fn(&ipnet::IpNet) -> String,
}

/// When a component loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Loaded first; its graph is built beside the [`Phase::Main`] loaders (nginx: the bulk of a
    /// big tree).
    Front,
    /// Says which hosts exist (compose services), before any graph is built.
    Hosts,
    /// Everything else, one after the other, in registry order (beside the front's graph).
    Main,
}

/// Reads a component's files (it picks its own from `found`) and what earlier ones published.
pub type LoadFn = fn(&Ctx, &[Found], &Shared) -> (Option<Box<dyn Loaded>>, Vec<LoadError>);

/// What a component loaded.
pub trait Loaded: Send {
    /// Adds its servers, listeners, routes and groups to the graph.
    fn add_to_graph(&mut self, b: &mut StackBuilder, shared: &Shared);
    /// Whether it read `file` (a file discovery did not classify: an include, an ACL file).
    fn claims(&self, _file: &SourceFile) -> Claim {
        Claim::No
    }
    /// Files it read that discovery did not classify, to list with their kind (display paths).
    fn listed_files(&self) -> Vec<(String, Kind)> {
        Vec::new()
    }
}

/// Whose is a file read beyond discovery's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This component read it.
    Mine(Kind),
    /// This component's, unless another says [`Claim::Mine`] (nginx includes carry no name that
    /// says nginx).
    Fallback(Kind),
    No,
}

/// A file to recognise.
pub struct Candidate<'a> {
    pub path: &'a Path,
    /// The file name, lower case.
    pub lower: &'a str,
    /// The parent directory's name, as written.
    pub parent: &'a str,
    /// The canonical path and the roots, when the file is on disk in a walked tree.
    pub on_disk: Option<(&'a Path, &'a [Root])>,
}

/// One recognition step. Steps of all components run in `rank` order (today's precedence is
/// written down in `crate::registry`); the first that does not [`Step::Pass`] decides.
pub struct Recogniser {
    pub rank: u16,
    pub step: fn(&Candidate<'_>, &mut dyn FnMut() -> Option<String>) -> Step,
}

/// What a recognition step decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The file is this kind.
    Is(Kind),
    /// The name says this step decides, and the file is not recognised: no later step runs.
    Skip,
    /// Not decided here.
    Pass,
}

impl Step {
    /// A step that decides by name only: [`Step::Is`] when `yes`, else [`Step::Pass`].
    pub fn when(yes: bool, kind: Kind) -> Step {
        if yes {
            Step::Is(kind)
        } else {
            Step::Pass
        }
    }
}

/// What components loaded earlier publish for later ones (compose's services, the launch
/// sources' command lines), by type, and what the user said about the whole stack.
#[derive(Default)]
pub struct Shared {
    /// `[versions]` in stacklint.toml, overridden by command-line flags: component -> version.
    pub versions: BTreeMap<String, String>,
    /// Host names a target may name: stacklint.toml `[hosts]`, and what components add.
    hosts: Mutex<HashSet<String>>,
    parts: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

impl Shared {
    pub fn new(versions: BTreeMap<String, String>, hosts: HashSet<String>) -> Shared {
        Shared { versions, hosts: Mutex::new(hosts), parts: Mutex::default() }
    }

    /// Makes `value` available to the components that load later (one value per type).
    pub fn publish<T: Any + Send + Sync>(&self, value: T) {
        let mut parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.retain(|p| !p.is::<T>());
        parts.push(Arc::new(value));
    }

    /// What an earlier component published, if it did.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts.iter().find_map(|p| p.clone().downcast::<T>().ok())
    }

    pub fn add_hosts(&self, names: impl IntoIterator<Item = String>) {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner()).extend(names);
    }

    pub fn hosts(&self) -> HashSet<String> {
        self.hosts.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
