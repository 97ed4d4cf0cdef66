//! One address space for every file stacklint reads.
//!
//! Every file loaded gets a base offset; a [`Span`] is a global `(start, end)` byte range, so a
//! single finding can carry labels in several files (nginx.conf and gunicorn.conf.py) and miette
//! renders them in one diagnostic. Loading happens through [`SourceMapBuilder`] (shared between
//! parser threads); reporting reads the frozen [`SourceMap`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
#[derive(Debug)]
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
        SourceFile { id, path, display, text, base, line_starts, builtin }
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
        let column = self.text[start..end].chars().count() + 1;
        LineCol { line: line + 1, column }
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
        let id = FileId(inner.files.len() as u32);
        let base = inner.next_base;
        // One byte of gap so that an empty span at the end of a file is still inside it.
        inner.next_base = base.saturating_add(text.len() as u32 + 1);
        let file = Arc::new(SourceFile::new(id, path.to_path_buf(), display, text, base, builtin));
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
        let window = &file.text.as_bytes()[window_start..window_end];
        let local = miette::SourceSpan::new((local_start - window_start).into(), span.len());
        let contents = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data_offset = contents.span().offset() + window_start + file.base as usize;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            file.display.clone(),
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
}

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct At<T> {
    pub value: T,
    pub span: Span,
}
