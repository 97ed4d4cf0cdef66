//! One address space for every file stacklint reads.
//!
//! Every file loaded gets a base offset; a [`Span`] is a global `(start, end)` byte range, so a
//! single finding can carry labels in several files (nginx.conf and gunicorn.conf.py) and miette
//! renders them in one diagnostic. Loading happens through [`SourceMapBuilder`] (shared between
//! parser threads); reporting reads the frozen [`SourceMap`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A global byte range: `start..end` in the address space of a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Span {
        Span { start, end }
    }
    pub fn len(&self) -> u32 {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// The smallest span covering both (only meaningful within one file).
    pub fn to(&self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A loaded file: its text and where it sits in the global address space.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// Path on disk (as found by the walk; absolute when the root was absolute).
    pub path: PathBuf,
    /// Path as shown to the user: relative to the CLI argument it was found under.
    pub display: String,
    pub text: Arc<str>,
    /// Global offset of the first byte.
    pub base: u32,
    line_starts: Vec<u32>,
    /// True for built-in stand-ins (nginx stock files that the repo leaves out).
    pub builtin: bool,
    /// A file outside the linted trees that the user named on the command line (`--config`,
    /// `--cdn-ranges`): reports give positions in it, never its text.
    pub private: bool,
    /// For a template (see [`crate::template`]): the text as written, shown in snippets; `text`
    /// is then the masked text the parsers read (same length, same line breaks).
    pub original: Option<Arc<str>>,
    /// Local byte ranges of the template's unknown values (placeholders in `text`).
    pub unknown: Vec<std::ops::Range<u32>>,
    /// Characters before every [`CHAR_MARK`]-th byte, so that a column costs a short count, not
    /// a scan of its line (80,000 findings on one long line were quadratic). Built on the first
    /// column asked; empty for an ASCII file, whose columns are byte counts.
    char_marks: OnceLock<Vec<u32>>,
    /// The text as snippets show it: [`shown_text`](SourceFile::shown_text).
    shown: OnceLock<Option<Box<str>>>,
}

/// Spacing, in bytes, of [`SourceFile`]'s character-count marks.
const CHAR_MARK: usize = 256;

/// Characters (non-continuation bytes) in `b`.
fn chars_in(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c as i8) >= -0x40).count()
}

/// See [`SourceFile::shown_text`]; `None` when nothing needs replacing.
fn shown(text: &str) -> Option<Box<str>> {
    let b = text.as_bytes();
    let bad = |i: usize, c: char| unsafe_char(c) && c != '\n' && !(c == '\r' && b.get(i + 1) == Some(&b'\n'));
    if !text.char_indices().any(|(i, c)| bad(i, c)) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if bad(i, c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Some(out.into())
}

/// 1-based line and column (columns count characters, as editors do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    fn new(id: FileId, path: PathBuf, display: String, text: Arc<str>, base: u32, builtin: bool) -> Self {
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            id,
            path,
            display,
            text,
            base,
            line_starts,
            builtin,
            private: false,
            original: None,
            unknown: Vec::new(),
            char_marks: OnceLock::new(),
            shown: OnceLock::new(),
        }
    }

    /// A global span for a local byte range of this file.
    pub fn span(&self, local_start: usize, local_end: usize) -> Span {
        Span::new(self.base + local_start as u32, self.base + local_end as u32)
    }

    /// Local byte offset for a global offset inside this file.
    pub fn local(&self, global: u32) -> usize {
        (global - self.base) as usize
    }

    pub fn contains(&self, span: Span) -> bool {
        span.start >= self.base && span.end <= self.base + self.text.len() as u32
    }

    /// Line and column (1-based) of a local byte offset.
    pub fn line_col(&self, local: usize) -> LineCol {
        let local = local.min(self.text.len());
        let line = self.line_index(local);
        let start = self.line_starts[line] as usize;
        let mut end = local;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.chars_before(end) - self.chars_before(start) + 1;
        LineCol { line: line + 1, column }
    }

    /// Characters before local byte offset `at` (a character boundary).
    fn chars_before(&self, at: usize) -> usize {
        let b = self.text.as_bytes();
        let marks = self.char_marks.get_or_init(|| {
            if b.is_ascii() {
                return Vec::new();
            }
            let mut acc = 0u32;
            let mut v = Vec::with_capacity(b.len() / CHAR_MARK + 1);
            for chunk in b.chunks(CHAR_MARK) {
                v.push(acc);
                acc += chars_in(chunk) as u32;
            }
            // The end of a text whose length is a multiple of CHAR_MARK has its own mark.
            v.push(acc);
            v
        });
        if marks.is_empty() {
            return at;
        }
        let k = at / CHAR_MARK;
        marks.get(k).map_or(0, |&m| m as usize) + chars_in(&b[k * CHAR_MARK..at])
    }

    /// The text as a snippet shows it: each control character but tab, LF and the CR of a CRLF
    /// (a lone CR, ESC, NUL, DEL, NEL and the other C1 controls) replaced by as many `?` as it
    /// has bytes, so that offsets stay put and a config line can neither start a new line of the
    /// report (`\r::error ...`, which the GitHub runner executes) nor drive the terminal.
    pub fn shown_text(&self) -> &str {
        // A template shows as written (same length and line breaks as the masked text parsed).
        let as_written: &str = self.original.as_deref().unwrap_or(&self.text);
        self.shown.get_or_init(|| shown(as_written)).as_deref().unwrap_or(as_written)
    }

    /// 0-based index of the line holding a local byte offset.
    fn line_index(&self, local: usize) -> usize {
        match self.line_starts.binary_search(&(local.min(self.text.len()) as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Length in bytes of the longest line a global span touches, counting `context` lines
    /// before and after it too (what a snippet of the span prints).
    pub fn longest_line_around(&self, span: Span, context: usize) -> usize {
        let first = self.line_index(self.local(span.start)).saturating_sub(context);
        let last = (self.line_index(self.local(span.end)) + context).min(self.line_starts.len() - 1);
        (first..=last)
            .map(|i| {
                let end = self.line_starts.get(i + 1).map_or(self.text.len(), |&s| s as usize);
                end - self.line_starts[i] as usize
            })
            .max()
            .unwrap_or(0)
    }

    /// Text of a global span.
    pub fn slice(&self, span: Span) -> &str {
        let s = self.local(span.start);
        let e = self.local(span.end);
        self.text.get(s..e).unwrap_or("")
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// A resolved location, as reporters print it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Shared, append-only map used while files are being loaded (possibly from several threads).
#[derive(Default)]
pub struct SourceMapBuilder {
    inner: Mutex<BuilderInner>,
}

#[derive(Default)]
struct BuilderInner {
    files: Vec<Arc<SourceFile>>,
    next_base: u32,
    by_path: std::collections::HashMap<PathBuf, FileId>,
}

impl SourceMapBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file (or returns the one already loaded from that path).
    /// Bytes that are not UTF-8 are replaced (U+FFFD), as nginx configs may hold Latin-1 text.
    pub fn add(&self, path: &Path, display: String, bytes: Vec<u8>) -> Arc<SourceFile> {
        self.add_inner(path, display, bytes, false)
    }

    /// Adds a file from outside the linted trees that the user named (see [`SourceFile::private`]).
    pub fn add_private(&self, path: &Path, display: String, bytes: Vec<u8>) -> Arc<SourceFile> {
        let f = self.add_inner(path, display, bytes, false);
        if f.private {
            return f;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = f.id.0 as usize;
        let mut copy = (*inner.files[id]).clone();
        copy.private = true;
        let copy = Arc::new(copy);
        inner.files[id] = copy.clone();
        copy
    }

    /// Adds a built-in stand-in for a file the tree does not have.
    pub fn add_builtin(&self, path: &Path, display: String, text: &str) -> Arc<SourceFile> {
        self.add_inner(path, display, text.as_bytes().to_vec(), true)
    }

    fn add_inner(&self, path: &Path, display: String, bytes: Vec<u8>, builtin: bool) -> Arc<SourceFile> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(id) = inner.by_path.get(path) {
            return inner.files[id.0 as usize].clone();
        }
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(s) => s.into(),
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned().into(),
        };
        // Templates are read as the config they render to, with what they leave open unknown.
        let masked = if builtin {
            None
        } else {
            crate::template::syntax_for(path).and_then(|syn| crate::template::mask(&text, syn))
        };
        let id = FileId(inner.files.len() as u32);
        let base = inner.next_base;
        // One byte of gap so that an empty span at the end of a file is still inside it.
        inner.next_base = base.saturating_add(text.len() as u32 + 1);
        let file = match masked {
            None => SourceFile::new(id, path.to_path_buf(), display, text, base, builtin),
            Some(m) => {
                let mut f = SourceFile::new(id, path.to_path_buf(), display, m.text.into(), base, builtin);
                f.original = Some(text);
                f.unknown = m.unknown;
                f
            }
        };
        let file = Arc::new(file);
        inner.files.push(file.clone());
        inner.by_path.insert(path.to_path_buf(), id);
        file
    }

    /// The file already loaded from `path`, if any.
    pub fn get_by_path(&self, path: &Path) -> Option<Arc<SourceFile>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.by_path.get(path).map(|id| inner.files[id.0 as usize].clone())
    }

    pub fn get(&self, id: FileId) -> Arc<SourceFile> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.files[id.0 as usize].clone()
    }

    /// The file already loaded that holds `span` (by its global offset, no path look-up).
    pub fn file_of(&self, span: Span) -> Option<Arc<SourceFile>> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        holding(&inner.files, span.start).cloned()
    }

    pub fn freeze(self) -> SourceMap {
        let inner = self.inner.into_inner().unwrap_or_else(|e| e.into_inner());
        SourceMap { files: inner.files }
    }
}

/// The file of `files` (in the order they were added, so by ascending base) holding a global offset.
fn holding(files: &[Arc<SourceFile>], offset: u32) -> Option<&Arc<SourceFile>> {
    let i = match files.binary_search_by(|f| f.base.cmp(&offset)) {
        Ok(i) => i,
        Err(0) => return None,
        Err(i) => i - 1,
    };
    let f = &files[i];
    (offset <= f.base + f.text.len() as u32).then_some(f)
}

/// The frozen map: every file loaded, addressable by global offset.
#[derive(Default)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn files(&self) -> &[Arc<SourceFile>] {
        &self.files
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file holding a global offset.
    pub fn file_of(&self, offset: u32) -> Option<&SourceFile> {
        holding(&self.files, offset).map(|f| &**f)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.file_of(span.start).map(|f| f.slice(span)).unwrap_or("")
    }

    /// The file of a span and the line and column of both ends, without copying the file name.
    pub fn line_cols(&self, span: Span) -> Option<(&SourceFile, LineCol, LineCol)> {
        let f = self.file_of(span.start)?;
        let s = f.line_col(f.local(span.start));
        let e = f.line_col(f.local(span.end.max(span.start)));
        Some((f, s, e))
    }

    pub fn location(&self, span: Span) -> Option<Location> {
        let (f, s, e) = self.line_cols(span)?;
        Some(Location {
            file: f.display.clone(),
            line: s.line,
            column: s.column,
            end_line: e.line,
            end_column: e.column,
        })
    }
}

impl miette::SourceCode for SourceMap {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let file = self.file_of(span.offset() as u32).ok_or(miette::MietteError::OutOfBounds)?;
        let local_start = span.offset() - file.base as usize;
        let local_end = (local_start + span.len()).min(file.text.len());
        // miette finds lines by scanning from the start of what it is given: give it only the
        // lines it will show (found with the line table), not the whole file, or every label
        // costs a scan of its file.
        let line_of = |off: usize| match file.line_starts.binary_search(&(off as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        // One line more on each side than shown: miette looks at the byte before an empty span.
        let first = line_of(local_start).saturating_sub(context_lines_before + 1);
        let last = line_of(local_end) + context_lines_after + 1;
        let window_start = file.line_starts[first] as usize;
        let window_end = file.line_starts.get(last + 1).map_or(file.text.len(), |&e| e as usize);
        let window = &file.shown_text().as_bytes()[window_start..window_end];
        let local = miette::SourceSpan::new((local_start - window_start).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data_offset = contents.span().offset() + window_start + file.base as usize;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            printable(&file.display).into_owned(),
            contents.data(),
            miette::SourceSpan::new(data_offset.into(), contents.span().len()),
            contents.line() + first,
            contents.column(),
            // miette's line_count is the number of line breaks from the start of its input to the
            // end of the data (what it compares to merge nearby labels): count from the file start.
            contents.line_count() + first,
        )))
    }
}

impl SourceMapBuilder {
    /// The on-disk path of the file holding a global offset.
    pub fn get_by_span(&self, span: Span) -> Option<PathBuf> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let i = match inner.files.binary_search_by(|f| f.base.cmp(&span.start)) {
            Ok(i) => i,
            Err(0) => return None,
            Err(i) => i - 1,
        };
        Some(inner.files[i].path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_global_and_resolve_to_their_file() {
        let b = SourceMapBuilder::new();
        let a = b.add(Path::new("a.conf"), "a.conf".into(), b"one\ntwo\n".to_vec());
        let c = b.add(Path::new("b.py"), "b.py".into(), b"x = 1\n".to_vec());
        assert_eq!(a.base, 0);
        assert_eq!(c.base, 9);
        let map = b.freeze();
        let loc = map.location(Span::new(4, 7)).unwrap();
        assert_eq!((loc.file.as_str(), loc.line, loc.column, loc.end_column), ("a.conf", 2, 1, 4));
        let loc = map.location(Span::new(13, 14)).unwrap();
        assert_eq!((loc.file.as_str(), loc.line, loc.column), ("b.py", 1, 5));
        assert_eq!(map.slice(Span::new(9, 10)), "x");
    }

    #[test]
    fn builder_finds_the_file_holding_a_span_while_loading() {
        let b = SourceMapBuilder::new();
        b.add(Path::new("a.conf"), "a.conf".into(), b"one\ntwo\n".to_vec()); // 0..=8
        b.add(Path::new("b.py"), "b.py".into(), b"x = 1\n".to_vec()); // 9..=15
        let name = |s, e| b.file_of(Span::new(s, e)).map(|f| f.display.clone());
        assert_eq!(name(0, 3).as_deref(), Some("a.conf"));
        assert_eq!(name(8, 8).as_deref(), Some("a.conf"), "an empty span at the end of a file is in it");
        assert_eq!(name(9, 10).as_deref(), Some("b.py"));
        assert_eq!(name(15, 15).as_deref(), Some("b.py"));
        assert_eq!(name(16, 16), None, "past every file");
    }

    #[test]
    fn same_path_is_loaded_once() {
        let b = SourceMapBuilder::new();
        let a = b.add(Path::new("a"), "a".into(), b"x".to_vec());
        let a2 = b.add(Path::new("a"), "a".into(), b"y".to_vec());
        assert_eq!(a.id, a2.id);
        assert_eq!(&*a2.text, "x");
    }

    #[test]
    fn read_span_gives_miette_what_the_whole_file_would() {
        // `SourceMap::read_span` hands miette only the lines around a span; the contents, their
        // place and miette's line numbers must be those miette finds on the whole file.
        use miette::SourceCode;
        let texts = [
            "a b;\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://x;\n    }\n}\n",
            "one\r\ntwo\r\nthree\r\nfour\r\nfive",
            "x",
            "\n\n\nlast line, no newline",
        ];
        let b = SourceMapBuilder::new();
        b.add(Path::new("pad"), "pad".into(), b"padding\n".to_vec());
        let files: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| b.add(Path::new(&format!("f{i}")), format!("f{i}"), t.as_bytes().to_vec()))
            .collect();
        let map = b.freeze();
        for (f, text) in files.iter().zip(texts) {
            for start in 0..text.len() {
                for len in [0, 1, 5, text.len() - start] {
                    let len = len.min(text.len() - start);
                    for ctx in [0, 1, 2] {
                        let whole = text.as_bytes().read_span(&(start, len).into(), ctx, ctx).unwrap();
                        let got = map.read_span(&(f.base as usize + start, len).into(), ctx, ctx).unwrap();
                        let at = format!("{:?} span {start}+{len} context {ctx}", f.display);
                        assert_eq!(got.data(), whole.data(), "{at}");
                        assert_eq!(got.span().offset(), whole.span().offset() + f.base as usize, "{at}");
                        assert_eq!(got.span().len(), whole.span().len(), "{at}");
                        assert_eq!(
                            (got.line(), got.column(), got.line_count()),
                            (whole.line(), whole.column(), whole.line_count()),
                            "{at}"
                        );
                        assert_eq!(got.name(), Some(f.display.as_str()), "{at}");
                    }
                }
            }
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x"), "x".into(), vec![b'a', 0xff, b'b']);
        assert_eq!(&*f.text, "a\u{fffd}b");
    }

    #[test]
    fn columns_count_characters_on_long_lines() {
        // Multibyte characters on both sides of several character-count marks.
        let line: String = (0..2000).map(|i| ['a', 'é', '€', '😀'][i % 4]).collect();
        let text = format!("x\n{line}\n{line}");
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x"), "x".into(), text.clone().into_bytes());
        let second = text.rfind('\n').unwrap() + 1;
        for (k, (i, _)) in line.char_indices().enumerate().step_by(37) {
            assert_eq!(f.line_col(2 + i), LineCol { line: 2, column: k + 1 });
            assert_eq!(f.line_col(second + i), LineCol { line: 3, column: k + 1 });
        }
        // Inside a character: that character's column.
        assert_eq!(f.line_col(2 + 2), LineCol { line: 2, column: 2 });
        assert_eq!(f.line_col(text.len()), LineCol { line: 3, column: 2001 });
        // The end of a file whose length is a multiple of the mark spacing (found by fuzzing).
        let even = b.add(Path::new("z"), "z".into(), "é".repeat(256).into_bytes());
        assert_eq!(even.line_col(512), LineCol { line: 1, column: 257 });
        let ascii = b.add(Path::new("y"), "y".into(), b"ab\ncdef".to_vec());
        assert_eq!(ascii.line_col(6), LineCol { line: 2, column: 4 });
    }

    #[test]
    fn snippets_show_no_control_characters() {
        let b = SourceMapBuilder::new();
        let f = b.add(Path::new("x"), "x".into(), "a\r\nb\r::error::x\x1b[2J\u{85}\tc\n".as_bytes().to_vec());
        assert_eq!(f.shown_text(), "a\r\nb?::error::x?[2J??\tc\n");
        assert_eq!(f.shown_text().len(), f.text.len());
        let plain = b.add(Path::new("y"), "y".into(), b"a\r\n\tb\n".to_vec());
        assert_eq!(plain.shown_text(), "a\r\n\tb\n");
    }
}

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct At<T> {
    pub value: T,
    pub span: Span,
}

use std::borrow::Cow;

/// `s` with every control character but tab written out as an escape (`\r`, `\n`, `\u{1b}`,
/// `\u{85}`), for text that came from config files or their names and is printed where a line
/// break or a terminal escape would do harm: a CR or LF could start a line the GitHub runner
/// executes as a workflow command (`::error ...`), an ESC could drive the terminal.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// C0 controls but tab, DEL, C1 controls (NEL, CSI, ...).
pub fn unsafe_char(c: char) -> bool {
    c.is_control() && c != '\t'
}
