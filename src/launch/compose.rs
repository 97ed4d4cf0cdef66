//! docker-compose files: services, their commands, environment and names (host aliases).
//!
//! Read with saphyr's [`MarkedYaml`] so every node keeps its position. saphyr counts positions in
//! characters; they are turned into byte offsets of the source file here, so every span is a
//! global [`Span`] that slices back to the text as written.

use crate::component::{ComponentDef, Phase, Recogniser, Step};
use crate::diag::LoadError;
use crate::files::{clean, Comments, Ctx, Found, Kind, Layer};
use crate::launch::{self, Word};
use crate::source::{SourceFile, Span};
use crate::yaml::CharOffsets;
use saphyr::{MarkedYaml, Scalar, YamlData};
use std::path::{Path, PathBuf};

/// `docker-compose.yml`, `compose.yaml`, ...
pub const KIND: Kind = Kind::new("compose", Layer::App, Comments::Hash);

/// docker-compose: adds no server; publishes its [`Project`] (commands for the launch sources)
/// and its service names (hosts a proxy's target may name).
pub static COMPONENT: ComponentDef = ComponentDef {
    name: "compose",
    kinds: &[KIND],
    recognise: &[Recogniser {
        rank: 30,
        step: |c, _| {
            let l = c.lower;
            Step::when(
                matches!(l, "docker-compose.yml" | "docker-compose.yaml" | "compose.yml" | "compose.yaml")
                    || ((l.starts_with("docker-compose.") || l.starts_with("compose."))
                        && (l.ends_with(".yml") || l.ends_with(".yaml"))),
                KIND,
            )
        },
    }],
    precommit: &[r"(^|/)(docker-)?compose[^/]*\.ya?ml$"],
    phase: Phase::Hosts,
    load: |ctx, found, shared| {
        let (project, errors) = load(ctx, found);
        shared.add_hosts(project.services.iter().map(|s| s.name.to_ascii_lowercase()));
        shared.publish(project);
        (None, errors)
    },
    graph_rank: u8::MAX,
    graph: None,
};

/// Every service of every compose file found.
#[derive(Clone, Debug, Default)]
pub struct Project {
    pub services: Vec<Service>,
}

/// A `command:` or `entrypoint:` value, split into words as compose does (string form: shell-like
/// split without a shell; list form: one word per element).
#[derive(Clone, Debug)]
pub struct Command {
    pub words: Vec<Word>,
    /// The whole value.
    pub span: Span,
    /// Written as a YAML list (exec form) rather than a string.
    pub list: bool,
}

/// A `ports:` entry as written (`"8000:8000"`, `8000`, `127.0.0.1:80:8000/tcp`, long syntax).
#[derive(Clone, Debug)]
pub struct Port {
    pub text: String,
    pub span: Span,
    /// The container port (the right-hand side), when it is a plain number.
    pub target: Option<u16>,
    /// The host port (the published one), when given.
    pub published: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub name_span: Span,
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    /// `environment:` as a map or a list; values carry the span of the value (or of the list item).
    pub environment: Vec<(String, Word)>,
    pub ports: Vec<Port>,
    /// `build:` (string) or `build.context`, resolved against the compose file's directory.
    pub build_context: Option<PathBuf>,
    /// The Dockerfile the build uses (`build.dockerfile`, default `Dockerfile`), resolved.
    pub dockerfile: Option<PathBuf>,
    /// `image:` as written.
    pub image: Option<String>,
    /// Display path of the compose file.
    pub file: String,
    /// The compose file (on disk, as found).
    pub path: PathBuf,
    /// Directory of the compose file (on disk, as found).
    pub dir: PathBuf,
}

/// Loads every compose file found.
pub fn load(ctx: &Ctx, found: &[Found]) -> (Project, Vec<LoadError>) {
    let mut project = Project::default();
    let mut errors = Vec::new();
    for f in found.iter().filter(|f| f.kind == KIND) {
        let file = match ctx.read(&f.path) {
            Ok(file) => file,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let dir = f.path.parent().map(Path::to_path_buf).unwrap_or_default();
        match load_file(&file, &f.path, &dir) {
            Ok(mut services) => project.services.append(&mut services),
            Err(e) => errors.push(e),
        }
    }
    (project, errors)
}

struct Doc<'a> {
    file: &'a SourceFile,
    chars: CharOffsets,
}

impl Doc<'_> {
    fn span(&self, node: &MarkedYaml) -> Span {
        let s = self.chars.byte(node.span.start.index());
        let mut e = self.chars.byte(node.span.end.index()).max(s);
        // Trailing whitespace/newlines that some scalar styles include.
        let text = &self.file.text;
        while e > s && matches!(text.as_bytes()[e - 1], b' ' | b'\n' | b'\r' | b'\t') {
            e -= 1;
        }
        self.file.span(s, e)
    }

    /// A scalar as a string (numbers and booleans as written).
    fn scalar(&self, node: &MarkedYaml) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Integer(_))
            | YamlData::Value(Scalar::FloatingPoint(_))
            | YamlData::Value(Scalar::Boolean(_)) => Some(self.file.slice(self.span(node)).to_string()),
            YamlData::Value(Scalar::Null) => None,
            YamlData::Representation(s, _, _) => Some(s.to_string()),
            YamlData::Tagged(_, inner) => self.scalar(inner),
            _ => None,
        }
    }

    /// A scalar as a word whose span is the exact text when the value appears verbatim in the
    /// source (plain or quoted without escapes), else the whole node.
    fn word(&self, node: &MarkedYaml, text: String) -> Word {
        let whole = self.span(node);
        let src = self.file.slice(whole);
        let span = match src.find(text.as_str()) {
            Some(i) if !text.is_empty() => Span::new(whole.start + i as u32, whole.start + (i + text.len()) as u32),
            _ => whole,
        };
        Word { text, span }
    }

    fn command(&self, node: &MarkedYaml) -> Option<Command> {
        let span = self.span(node);
        match &node.data {
            YamlData::Sequence(items) => {
                let words = items.iter().filter_map(|n| self.scalar(n).map(|t| self.word(n, t))).collect();
                Some(Command { words, span, list: true })
            }
            _ => {
                let text = self.scalar(node)?;
                // Compose splits a string command like a shell would, without running one.
                let words = launch::split_plain(self.file, &text, span);
                Some(Command { words, span, list: false })
            }
        }
    }
}

fn key_str<'a>(node: &'a MarkedYaml) -> Option<&'a str> {
    match &node.data {
        YamlData::Value(Scalar::String(s)) => Some(s.as_ref()),
        YamlData::Representation(s, _, _) => Some(s.as_ref()),
        _ => None,
    }
}

fn get<'a, 'b>(node: &'a MarkedYaml<'b>, key: &str) -> Option<&'a MarkedYaml<'b>> {
    match &node.data {
        YamlData::Mapping(m) => m.iter().find(|(k, _)| key_str(k) == Some(key)).map(|(_, v)| v),
        _ => None,
    }
}

fn load_file(file: &SourceFile, path: &Path, dir: &Path) -> Result<Vec<Service>, LoadError> {
    let docs = crate::yaml::load(&file.text).map_err(|e| {
        let at = e.offset;
        let lc = file.line_col(at);
        LoadError::at(
            file.span(at, at),
            &file.display,
            format!("{}: invalid YAML at line {} column {}: {}", file.display, lc.line, lc.column, e.message),
        )
    })?;
    let doc = Doc { file, chars: CharOffsets::new(&file.text) };
    let mut out = Vec::new();
    let Some(root) = docs.first() else {
        return Ok(out);
    };
    let Some(services) = get(root, "services") else {
        return Ok(out);
    };
    let YamlData::Mapping(services) = &services.data else {
        return Ok(out);
    };
    for (k, v) in services.iter() {
        let Some(name) = key_str(k) else { continue };
        let mut svc = Service {
            name: name.to_string(),
            name_span: doc.span(k),
            command: get(v, "command").and_then(|n| doc.command(n)),
            entrypoint: get(v, "entrypoint").and_then(|n| doc.command(n)),
            environment: Vec::new(),
            ports: Vec::new(),
            build_context: None,
            dockerfile: None,
            image: get(v, "image").and_then(|n| doc.scalar(n)),
            file: file.display.clone(),
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        };
        if let Some(env) = get(v, "environment") {
            match &env.data {
                YamlData::Mapping(m) => {
                    for (ek, ev) in m.iter() {
                        let Some(key) = doc.scalar(ek) else { continue };
                        let text = doc.scalar(ev).unwrap_or_default();
                        let w = if doc.scalar(ev).is_some() {
                            doc.word(ev, text)
                        } else {
                            Word { text, span: doc.span(ek) }
                        };
                        svc.environment.push((key, w));
                    }
                }
                YamlData::Sequence(items) => {
                    for item in items {
                        let Some(t) = doc.scalar(item) else { continue };
                        let whole = doc.word(item, t.clone());
                        // `- NAME` (no `=`) passes the host's value through: unknown here.
                        if let Some((key, val)) = t.split_once('=') {
                            let start = whole.span.start + key.len() as u32 + 1;
                            let span = if whole.span.len() as usize == t.len() {
                                Span::new(start, whole.span.end)
                            } else {
                                whole.span
                            };
                            svc.environment.push((key.to_string(), Word { text: val.to_string(), span }));
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(YamlData::Sequence(items)) = get(v, "ports").map(|n| &n.data) {
            for item in items {
                let span = doc.span(item);
                if let YamlData::Mapping(_) = item.data {
                    let target = get(item, "target").and_then(|n| doc.scalar(n)).and_then(|t| t.parse().ok());
                    let published = get(item, "published").and_then(|n| doc.scalar(n));
                    svc.ports.push(Port { text: file.slice(span).to_string(), span, target, published });
                } else if let Some(t) = doc.scalar(item) {
                    let (published, target) = parse_port(&t);
                    svc.ports.push(Port { text: t, span, target, published });
                }
            }
        }
        if let Some(b) = get(v, "build") {
            let (ctx_dir, dockerfile) = match &b.data {
                YamlData::Mapping(_) => (
                    get(b, "context").and_then(|n| doc.scalar(n)).unwrap_or_else(|| ".".into()),
                    get(b, "dockerfile").and_then(|n| doc.scalar(n)),
                ),
                _ => (doc.scalar(b).unwrap_or_else(|| ".".into()), None),
            };
            // Remote contexts (git URLs) are not on disk.
            if !ctx_dir.contains("://") && !ctx_dir.starts_with("git@") {
                let c = clean(&dir.join(&ctx_dir));
                svc.dockerfile = Some(clean(&c.join(dockerfile.as_deref().unwrap_or("Dockerfile"))));
                svc.build_context = Some(c);
            }
        }
        out.push(svc);
    }
    Ok(out)
}

/// `"127.0.0.1:8080:8000/tcp"` -> (Some("127.0.0.1:8080"), Some(8000)).
fn parse_port(t: &str) -> (Option<String>, Option<u16>) {
    let t = t.split('/').next().unwrap_or(t);
    match t.rsplit_once(':') {
        Some((host, target)) => (Some(host.to_string()), target.parse().ok()),
        None => (None, t.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ports() {
        assert_eq!(parse_port("8003:8000"), (Some("8003".into()), Some(8000)));
        assert_eq!(parse_port("127.0.0.1:80:8000/tcp"), (Some("127.0.0.1:80".into()), Some(8000)));
        assert_eq!(parse_port("8000"), (None, Some(8000)));
    }
}
