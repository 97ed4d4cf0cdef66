//! The nginx syntax tree: what `parser` produces and `load` links across files. Every directive
//! and argument keeps its span; `include` directives keep the indices of the files they pulled in,
//! so the tree can be walked as nginx sees it ([`Tree::expand`]) or per file (crossplane payload).

use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// How an argument was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quote {
    None,
    Single,
    Double,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The value as nginx sees it: quotes removed, `\"`/`\'`/`\\` and `\n`/`\t`/`\r` escapes
    /// processed as `ngx_conf_file.c` does.
    pub value: String,
    /// The argument as written, quotes included.
    pub span: Span,
    pub quote: Quote,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    /// From the first byte of the name to the `;` or the closing `}` of the block.
    pub span: Span,
    /// 1-based line of the name (what crossplane and nginx report).
    pub line: usize,
    /// `Some` for block directives (`http { ... }`), including raw `*_by_lua_block` blocks, whose
    /// body is kept as one argument and no children.
    pub block: Option<Vec<Directive>>,
    /// For `include`: indices into [`Tree::files`] of the files it pulled in, in nginx's order
    /// (glob matches sorted). Empty for a glob that matched nothing, a missing file, or a cycle.
    pub includes: Vec<usize>,
}

impl Directive {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|a| a.value.as_str())
    }
    pub fn children(&self) -> &[Directive] {
        self.block.as_deref().unwrap_or(&[])
    }
}

/// A comment, kept for crossplane's `--include-comments` and inline suppressions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Text after `#`.
    pub text: String,
    pub span: Span,
    pub line: usize,
}

/// One parsed file.
#[derive(Debug)]
pub struct File {
    pub source: Arc<SourceFile>,
    pub directives: Vec<Directive>,
    pub comments: Vec<Comment>,
}

/// An `include` that names a file that does not exist (a glob matching nothing is fine).
#[derive(Clone, Debug)]
pub struct MissingInclude {
    /// The include directive.
    pub span: Span,
    /// The argument as written.
    pub pattern: String,
    /// Where stacklint looked, for the message.
    pub looked_in: Vec<String>,
}

/// Every nginx file reached from the main files, parsed once each.
#[derive(Debug, Default)]
pub struct Tree {
    pub files: Vec<File>,
    /// Indices of main files (top level holds `http`/`events`, or a file nothing includes that
    /// looks like nginx), in discovery order.
    pub mains: Vec<usize>,
    pub missing_includes: Vec<MissingInclude>,
}

impl Tree {
    /// Calls `f` on every directive of `dirs` as nginx sees them: `include` directives are
    /// replaced by the directives of the files they include (recursively). Block bodies are not
    /// entered; call `expand` again on [`Directive::children`].
    pub fn expand<'a>(&'a self, dirs: &'a [Directive], f: &mut dyn FnMut(&'a Directive)) {
        self.expand_depth(dirs, f, 0)
    }

    fn expand_depth<'a>(&'a self, dirs: &'a [Directive], f: &mut dyn FnMut(&'a Directive), depth: usize) {
        for d in dirs {
            if d.name == "include" && !d.includes.is_empty() && depth < 64 {
                for &i in &d.includes {
                    self.expand_depth(&self.files[i].directives, f, depth + 1);
                }
            } else {
                f(d);
            }
        }
    }

    /// The directives of `dirs` with includes expanded, collected.
    pub fn expanded<'a>(&'a self, dirs: &'a [Directive]) -> Vec<&'a Directive> {
        let mut out = Vec::new();
        self.expand(dirs, &mut |d| out.push(d));
        out
    }
}
