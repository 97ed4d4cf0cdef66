//! Loading YAML (and JSON, which is YAML) with saphyr, for Envoy configs and docker-compose files.
//!
//! saphyr's scanner is patched (vendor/saphyr-parser/STACKLINT.md) to accept what libyaml, and so
//! docker compose, accepts where YAML 1.2 is stricter: a flow collection's lines (`]` included)
//! at any column, quoted scalars continued left of the key, `key:<TAB>value`. It still refuses
//! duplicate keys, as docker compose does. tests/yaml_differential.rs compares [`load`] with
//! PyYAML on every YAML file of the fixtures and the corpus.
//!
//! saphyr's loader recurses once per nesting level with no limit of its own, so a hostile file
//! (`- - - - ...` a hundred thousand times, a few hundred kilobytes) would exhaust the stack and
//! abort the process. [`load`] first bounds the nesting with a linear scan and refuses a file that
//! could nest deeper than [`MAX_NESTING`], with the position where the bound is crossed.

use saphyr::{LoadableYamlNode, MarkedYaml};

/// Deeper than any real config (Envoy's deepest documented configs nest about 40 levels). The
/// loader survives 2,000 levels on a debug build's 2 MiB thread stack, so this leaves a margin.
pub const MAX_NESTING: usize = 256;

/// A syntax error: saphyr's message and the byte offset it points at.
#[derive(Debug)]
pub struct LoadError {
    pub message: String,
    pub offset: usize,
}

/// Loads every document of `text`, with node positions (saphyr counts them in characters).
pub fn load(text: &str) -> Result<Vec<MarkedYaml<'_>>, LoadError> {
    if let Some(offset) = too_deep(text) {
        return Err(LoadError { message: format!("nesting deeper than {MAX_NESTING} levels; not read"), offset });
    }
    MarkedYaml::load_from_str(text).map_err(|e| LoadError {
        message: e.info().to_string(),
        offset: CharOffsets::new(text).byte(e.marker().index()),
    })
}

/// Maps saphyr's character indices to byte offsets of the text.
pub struct CharOffsets {
    /// Byte offset of every character (plus the end), or empty when the text is ASCII.
    table: Vec<u32>,
    len: usize,
}

impl CharOffsets {
    pub fn new(text: &str) -> CharOffsets {
        let table = if text.is_ascii() {
            Vec::new()
        } else {
            let mut t: Vec<u32> = text.char_indices().map(|(i, _)| i as u32).collect();
            t.push(text.len() as u32);
            t
        };
        CharOffsets { table, len: text.len() }
    }

    /// The byte offset of character `char_index` (the end of the text past the last one).
    pub fn byte(&self, char_index: usize) -> usize {
        if self.table.is_empty() {
            char_index.min(self.len)
        } else {
            self.table.get(char_index).map_or(self.len, |&b| b as usize)
        }
    }
}

/// Byte offset where the nesting of `text` may exceed [`MAX_NESTING`], by an upper bound that
/// never undercounts. A level is opened by a line indented deeper than the open ones (a mapping
/// and the sequence it holds may share a column, hence two per column), by a block indicator on
/// the same line (`- - x`, `? `, `a: b: ...`), or by a flow bracket. Comments are skipped, and so
/// is quoted text within a line; brackets in multi-line quoted or block scalars are counted,
/// which can only raise the bound.
pub fn too_deep(text: &str) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut start = 0usize;
    for line in text.split_inclusive('\n') {
        let b = line.as_bytes();
        let indent = b.iter().take_while(|&&c| c == b' ').count();
        let rest = &b[indent..];
        let blank = rest.iter().all(|c| c.is_ascii_whitespace()) || rest.first() == Some(&b'#');
        if !blank {
            while indents.last().is_some_and(|&i| i >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut indicators = 0usize;
        let mut quote: Option<u8> = None;
        for (k, &c) in rest.iter().enumerate() {
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
                continue;
            }
            let after = rest.get(k + 1).copied();
            let before = if k == 0 { b' ' } else { rest[k - 1] };
            match c {
                b'#' if before == b' ' || before == b'\t' || k == 0 => break,
                b'"' | b'\'' if matches!(before, b' ' | b'\t' | b'[' | b'{' | b',' | b':') || k == 0 => quote = Some(c),
                b'[' | b'{' => flow += 1,
                b']' | b'}' => flow = flow.saturating_sub(1),
                b'-' | b'?' | b':' if after.is_none_or(|a| matches!(a, b' ' | b'\t' | b'\n' | b'\r')) => {
                    indicators += 1
                }
                _ => {}
            }
            if 2 * indents.len() + indicators + flow > MAX_NESTING {
                return Some(start + indent + k);
            }
        }
        start += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_shapes_pass() {
        let envoy = "static_resources:\n  listeners:\n  - name: x # a: b: c\n    address: {socket_address: {address: 0.0.0.0, port_value: 80}}\n    text: \"[[[[{{{{\"\n";
        assert_eq!(too_deep(envoy), None);
        assert!(load(envoy).is_ok());
        // 100 levels of real indentation, 4 spaces each.
        let mut deep = String::new();
        for i in 0..100 {
            deep.push_str(&format!("{}k{i}:\n", " ".repeat(4 * i)));
        }
        assert_eq!(too_deep(&deep), None);
        assert!(load(&deep).is_ok());
    }

    #[test]
    fn hostile_shapes_are_refused_where_they_cross_the_bound() {
        for (what, text) in [
            ("compact sequences", "- ".repeat(100_000)),
            ("flow", "[".repeat(100_000)),
            ("complex keys", "? ".repeat(100_000)),
            ("indentation", (0..1_000).map(|i| format!("{}- a\n", " ".repeat(i))).collect::<String>()),
        ] {
            let e = load(&text).err().unwrap_or_else(|| panic!("{what}: accepted"));
            assert!(e.message.contains("nesting deeper than 256"), "{what}: {}", e.message);
            assert!(e.offset > 0 && e.offset < 20_000, "{what}: offset {}", e.offset);
        }
    }

    fn get<'a, 'b>(node: &'a MarkedYaml<'b>, key: &str) -> &'a MarkedYaml<'b> {
        match &node.data {
            saphyr::YamlData::Mapping(m) => m
                .iter()
                .find(|(k, _)| matches!(&k.data, saphyr::YamlData::Value(saphyr::Scalar::String(s)) if s == key))
                .map(|(_, v)| v)
                .unwrap_or_else(|| panic!("no key {key}")),
            _ => panic!("not a mapping at {key}"),
        }
    }

    /// The node's text: its span's characters turned into bytes of `text`.
    fn slice<'t>(text: &'t str, node: &MarkedYaml) -> &'t str {
        let o = CharOffsets::new(text);
        &text[o.byte(node.span.start.index())..o.byte(node.span.end.index())]
    }

    #[test]
    fn flow_collections_may_close_at_the_key_column_with_exact_positions() {
        // docker compose (go-yaml) and PyYAML read this; saphyr 0.3.4 said "invalid indentation"
        // at the first `]` (vendor/saphyr-parser/STACKLINT.md).
        let text = "\u{feff}services:\n  wéb:\n    command: [\n      \"gunicorn\", \"app:app\"\n    ]\n    ports: [\"80:80\"\n  ]\n    environment: {\n  A: \"x\n y\",\n\tB: 2 }\n";
        let docs = load(text).unwrap_or_else(|e| panic!("{e:?}"));
        let web = get(get(&docs[0], "services"), "wéb");
        let command = get(web, "command");
        let saphyr::YamlData::Sequence(items) = &command.data else { panic!("{command:?}") };
        assert_eq!(items.iter().map(|n| slice(text, n)).collect::<Vec<_>>(), ["\"gunicorn\"", "\"app:app\""]);
        assert!(slice(text, command).starts_with("[\n      \"gunicorn\""), "{:?}", slice(text, command));
        let o = CharOffsets::new(text);
        let at = text.find("\"gunicorn\"").unwrap();
        assert_eq!(o.byte(items[0].span.start.index()), at);
        assert_eq!((items[0].span.start.line(), items[0].span.start.col()), (4, 6));
        let ports = get(web, "ports");
        let saphyr::YamlData::Sequence(ports) = &ports.data else { panic!() };
        assert_eq!(slice(text, &ports[0]), "\"80:80\"");
        let env = get(web, "environment");
        assert_eq!(slice(text, get(env, "A")), "\"x\n y\"");
        assert_eq!(slice(text, get(env, "B")), "2");
    }

    #[test]
    fn char_offsets_are_byte_offsets() {
        let o = CharOffsets::new("aé b");
        assert_eq!([o.byte(0), o.byte(1), o.byte(2), o.byte(3), o.byte(4), o.byte(99)], [0, 1, 3, 4, 5, 5]);
        let ascii = CharOffsets::new("ab");
        assert_eq!([ascii.byte(1), ascii.byte(9)], [1, 2]);
    }

    #[test]
    fn syntax_errors_point_at_bytes_not_chars() {
        let e = load("é: [\n").unwrap_err();
        assert!(e.offset <= "é: [\n".len(), "{e:?}");
        assert!(load("a: 'é\n  b").is_err());
    }
}
