//! No import cycles between the crate's top-level modules (`src/X.rs` or `src/X/`): every
//! `crate::X` path outside comments (including `use crate::{X, Y::Z}` groups) is an edge from the
//! module of the file it is written in to `X`. A cycle fails the test, naming each edge with the
//! file and line that makes it. The crate roots (`lib.rs`, `main.rs`) are left out: they name
//! every module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// module -> module it uses -> where (file:line), first occurrence.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The text without `//` comments (line and doc comments; `//` inside string literals is kept).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let b = line.as_bytes();
        let (mut i, mut in_str) = (0, false);
        let mut end = b.len();
        while i < b.len() {
            match b[i] {
                b'\\' if in_str => i += 1,
                // `'"'`: a quote character, not a string.
                b'\'' if !in_str && b.get(i + 1) == Some(&b'"') && b.get(i + 2) == Some(&b'\'') => i += 2,
                b'"' => in_str = !in_str,
                b'/' if !in_str && b.get(i + 1) == Some(&b'/') => {
                    end = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        out.push_str(&line[..end]);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segments of the items of a `{...}` group starting at `s` (just after `{`).
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = Vec::new();
    let (mut depth, mut at_item) = (0, true);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => at_item = true,
            c if at_item && depth == 0 && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(ident_at(&s[i..]));
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

/// Every `crate::X` use in one file: (X, line).
fn uses(text: &str) -> Vec<(String, usize)> {
    let text = strip_comments(text);
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        // `stacklint::crate::`-like false hits cannot occur; `$crate::` (macros) is the crate too.
        let line = text[..at].matches('\n').count() + 1;
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(group_heads(group).into_iter().map(|h| (h.to_string(), line)));
        } else {
            out.push((ident_at(rest).to_string(), line));
        }
    }
    out
}

fn module_graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let node = g.entry(module.clone()).or_default();
        for (to, line) in uses(&text) {
            if to != module && !to.is_empty() {
                node.entry(to).or_insert_with(|| format!("src/{}:{line}", rel.display()));
            }
        }
    }
    g
}

/// A cycle, as the modules on it (first repeated at the end), if there is one.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(n: &str, g: &Graph, stack: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for next in g.get(n).into_iter().flat_map(|m| m.keys()) {
            if let Some(c) = visit(next, g, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

fn describe(g: &Graph, cycle: &[String]) -> String {
    cycle.windows(2).map(|w| format!("  {} -> {} ({})", w[0], w[1], g[&w[0]][&w[1]])).collect::<Vec<_>>().join("\n")
}

#[test]
fn no_import_cycles_between_top_level_modules() {
    let g = module_graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(g.len() > 10, "modules not found: {g:?}");
    if let Some(cycle) = find_cycle(&g) {
        panic!("import cycle between modules:\n{}", describe(&g, &cycle));
    }
}

#[test]
fn the_checker_sees_uses_and_cycles() {
    let text = "//! crate::ignored\nuse crate::{a, b::{c, d}, e as f};\nlet x = crate::g::h(); // crate::nope\n\"// crate::kept\"; '\"' // crate::nope\n";
    let found: Vec<String> = uses(text).into_iter().map(|(m, _)| m).collect();
    assert_eq!(found, ["a", "b", "e", "g", "kept"]);
    let mut g = Graph::new();
    g.entry("x".into()).or_default().insert("y".into(), "src/x.rs:1".into());
    g.entry("y".into()).or_default().insert("z".into(), "src/y.rs:2".into());
    assert_eq!(find_cycle(&g), None);
    g.entry("z".into()).or_default().insert("x".into(), "src/z.rs:3".into());
    let cycle = find_cycle(&g).unwrap();
    assert_eq!(cycle, ["x", "y", "z", "x"]);
    assert!(describe(&g, &cycle).contains("z -> x (src/z.rs:3)"));
}
