//! What a file is: a kind of file as data (name, layer, comment syntax), declared by the component
//! that reads it; and a file as reports list it.

/// What a file is, as far as stacklint is concerned: an id a component declares (its name, where
/// it sits in the request path, how comments are written in it), never a list of components.
/// Each component's folder defines its kinds as constants (`nginx::KIND`, `launch::SYSTEMD`, ...);
/// `Kind::Nginx`-style names are kept as aliases by the registry (`crate::registry`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind {
    /// The name reports and suppressions use (`"php-fpm"`).
    pub name: &'static str,
    /// Where it sits in the request path (see [`Layer`]).
    pub layer: Layer,
    /// How comments (and so `stacklint: ignore[...]` directives) are written in it.
    pub comments: Comments,
}

/// Where a component sits in the request path: files enter the source map outermost layer first,
/// so a diagnostic's labels read from the outermost layer inwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// Load balancers (HAProxy, Envoy).
    Balancer = 0,
    /// Reverse proxies (nginx).
    Proxy = 1,
    /// App servers and how they are started.
    App = 2,
}

/// How comments start in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comments {
    /// `# ...`
    Hash,
    /// `; ...` or `# ...`
    SemiHash,
    /// `// ...`
    Slash,
    /// No comments (JSON).
    None,
}

impl Kind {
    pub const fn new(name: &'static str, layer: Layer, comments: Comments) -> Kind {
        Kind { name, layer, comments }
    }

    pub fn as_str(&self) -> &'static str {
        self.name
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name)
    }
}

/// A file stacklint read, and as what.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileInfo {
    pub path: String,
    pub kind: Kind,
}
