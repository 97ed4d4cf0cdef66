//! The command line: `stacklint [PATHS]` lints (in any output format, optionally only what changed, minus a
//! baseline); `graph`, `rules`, `explain`, `completions` and `man` show what it knows.

use crate::diag::Severity;
use crate::engine::{self, Options};
use crate::nginx::defaults::Version;
use crate::report;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "stacklint",
    version,
    about = "Lints nginx, gunicorn (and more) configs side by side for the mistakes behind 502 and 504",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub lint: LintArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint the configs under PATHS (the default command).
    Check(LintArgs),
    /// Print the layered stack graph: servers, listeners, routes, upstreams, app servers, timeouts.
    Graph(GraphArgs),
    /// List every rule: code, name, default severity, components.
    Rules,
    /// Parse one nginx config (and the files it includes) and print the tree.
    Parse(ParseArgs),
    /// Print a rule's documentation page.
    Explain {
        /// Rule code or name (`SL101`, `timeout-order`).
        rule: String,
    },
    /// Print a shell completion script (`stacklint completions bash > /etc/bash_completion.d/stacklint`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `stacklint man > /usr/local/share/man/man1/stacklint.1`.
    Man,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Files or directories to lint.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// nginx version to assume for version-dependent defaults (upstream keep-alive, HTTP/1.1);
    /// default: stacklint.toml `[versions] nginx`, else 1.30.0 (current stable).
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    pub nginx_version: Option<Version>,
    /// Project file (default: stacklint.toml at the first PATH that has one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The edge provider's address ranges (one CIDR per line), instead of the bundled list and
    /// stacklint.toml's `[edge] cdn_ranges`.
    #[arg(long, value_name = "FILE")]
    pub cdn_ranges: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LintArgs {
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when a finding at or above this severity is reported.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// Colour in human output (`auto` honours NO_COLOR and whether stdout is a terminal).
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print only the summary line (human format), or nothing when there is nothing to report.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print how many findings each rule produced instead of each finding (human format).
    #[arg(long)]
    pub statistics: bool,
    /// PATHS are changed files (as pre-commit passes them): lint the whole stack each belongs to
    /// (nearest stacklint.toml, else git work tree) and report only findings that label a changed file.
    #[arg(long, conflicts_with = "diff_base")]
    pub changed_only: bool,
    /// Report only findings that label a file changed since REV (`git diff --name-only` against
    /// the merge base of REV and HEAD); PATHS are linted whole.
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
    /// Report only findings not recorded in this baseline file (default: stacklint.toml `baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE (a baseline for `--baseline`) and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["baseline", "changed_only", "diff_base"])]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct GraphArgs {
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug, Clone)]
pub struct ParseArgs {
    /// Output format: `crossplane` prints the JSON payload `crossplane parse FILE` prints.
    #[arg(long, value_enum, default_value_t = ParseFormat::Crossplane)]
    pub format: ParseFormat,
    /// Include comments in the payload (`crossplane parse --include-comments`).
    #[arg(long)]
    pub include_comments: bool,
    /// The main nginx config. Only files in its directory (and below) are read.
    pub file: PathBuf,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseFormat {
    Crossplane,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Annotated snippets (miette).
    Human,
    /// Versioned JSON (stable within `version`).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML (GitLab, Jenkins test reports).
    Junit,
    /// GitLab Code Quality JSON.
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("`{s}` is not a version like 1.30.0"))
}

fn options(c: &Common) -> Options {
    Options { nginx_version: c.nginx_version, config: c.config.clone(), cdn_ranges: c.cdn_ranges.clone() }
}

/// Writes a report to standard output. A reader that went away (`stacklint | head`) is not an
/// error; any other failed write (a full disk, `> /dev/full`) is, and makes the run exit 2.
fn emit(bytes: &[u8]) -> Result<(), i32> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            Err(2)
        }
    }
}

/// [`emit`], then `code`.
fn emit_then(bytes: &[u8], code: i32) -> i32 {
    match emit(bytes) {
        Ok(()) => code,
        Err(c) => c,
    }
}

/// Runs the CLI; returns the exit code (0 clean, 1 findings, 2 errors).
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        None => lint(&cli.lint),
        Some(Command::Check(a)) => lint(&a),
        Some(Command::Graph(a)) => graph(&a),
        Some(Command::Parse(a)) => parse(&a),
        Some(Command::Rules) => emit_then(rules_table().as_bytes(), 0),
        Some(Command::Explain { rule }) => match crate::rules::find(&rule) {
            Some(r) => emit_then(r.doc.as_bytes(), 0),
            None => {
                eprintln!("error: no rule `{}`; `stacklint rules` lists them", crate::report::printable(&rule));
                2
            }
        },
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "stacklint", &mut buf);
            emit_then(&buf, 0)
        }
        Some(Command::Man) => {
            use clap::CommandFactory;
            let mut buf = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut buf) {
                Ok(()) => emit_then(&buf, 0),
                Err(e) => {
                    eprintln!("error: {e}");
                    2
                }
            }
        }
    }
}

/// Says on stderr what discovery passed over (special files, names that are not UTF-8).
fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("stacklint: note: {}", crate::report::printable(n));
    }
}

/// The rule table printed by `stacklint rules`.
pub fn rules_table() -> String {
    let rules = crate::rules::RULES;
    let comps: Vec<String> = rules.iter().map(|r| r.components.join(",")).collect();
    let wn = rules.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let wc = comps.iter().map(|c| c.len()).max().unwrap_or(10).max(10);
    let mut s = format!("{:<6} {:<wn$} {:<8} {:<wc$} {}\n", "CODE", "NAME", "SEVERITY", "COMPONENTS", "SUMMARY");
    for (r, c) in rules.iter().zip(&comps) {
        s.push_str(&format!("{:<6} {:<wn$} {:<8} {:<wc$} {}\n", r.code, r.name, r.severity.as_str(), c, r.summary));
    }
    s
}

fn lint(a: &LintArgs) -> i32 {
    // Which stacks to lint, and which files' findings to keep.
    let mut refused = Vec::new();
    let (paths, changed) = if a.changed_only {
        let (roots, changed, outside) = crate::changed::roots_for(&a.common.paths);
        refused = outside;
        if roots.is_empty() {
            for r in &refused {
                eprintln!("error: {}", crate::report::printable(&r.message));
            }
            return if refused.is_empty() { 0 } else { 2 }; // only deleted files: nothing to lint
        }
        (roots, Some(changed))
    } else if let Some(rev) = &a.diff_base {
        match crate::changed::since(rev) {
            Ok(c) => (a.common.paths.clone(), Some(c)),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    } else {
        (a.common.paths.clone(), None)
    };
    let mut out = match engine::lint(&paths, &options(&a.common)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {}", crate::report::printable(&e));
            return 2;
        }
    };
    print_notes(&out.notes);
    if let Some(file) = &a.write_baseline {
        return match crate::baseline::write(file, &out.map, &out.findings) {
            Ok(n) => {
                eprintln!("stacklint: wrote {n} finding{} to {}", plural(n), file.display());
                if out.errors.is_empty() {
                    0
                } else {
                    eprint!("{}", report::human::render(&out.map, &[], &out.errors, false));
                    2
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        };
    }
    // A broken baseline is said on stderr and makes the run exit 2, but the report still comes,
    // every finding in it: a broken baseline hides nothing.
    let baseline_failed = match engine::apply_baseline(&mut out, a.baseline.as_deref()) {
        Ok(()) => false,
        Err(e) => {
            eprintln!("error: {}", crate::report::printable(&e));
            true
        }
    };
    if let Some(changed) = &changed {
        crate::changed::filter(&mut out, changed);
    }
    out.errors.extend(refused);
    let base = std::env::current_dir().and_then(|d| d.canonicalize()).unwrap_or_default();
    let mut t = crate::timing::Phases::start();
    let text = match a.format {
        Format::Json => report::json::render(&out.map, &out.findings, &out.errors, &out.files),
        Format::Sarif => report::sarif::render(&out.map, &out.findings, &out.errors, &base),
        Format::Github => report::github::render(&out.map, &out.findings, &out.errors, &base),
        Format::Junit => report::junit::render(&out.map, &out.findings, &out.errors, &out.files),
        Format::Gitlab => report::gitlab::render(&out.map, &out.findings, &out.errors, &base),
        Format::Human => human(a, &out),
    };
    t.done("render");
    let written = match &a.output {
        Some(file) => {
            std::fs::write(file, text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", file.display()))
        }
        None => match emit(text.as_bytes()) {
            Ok(()) => Ok(()),
            Err(_) => return 2, // already said on stderr
        },
    };
    if let Err(e) = written {
        eprintln!("error: {e}");
        return 2;
    }
    let code = exit_code(&out.findings, !out.errors.is_empty() || baseline_failed, a.fail_on);
    // The process ends right after this: freeing the graph and every source file one by one
    // would only delay the exit (the OS takes the memory back at once).
    std::mem::forget(out);
    code
}

/// Human output: the findings (or `--statistics`), then the summary; `--quiet` keeps the summary
/// only, and prints nothing for a clean run.
fn human(a: &LintArgs, out: &engine::Outcome) -> String {
    let color = match a.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            let to_terminal = a.output.is_none() && std::io::stdout().is_terminal();
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let clean = out.findings.is_empty() && out.errors.is_empty();
    if a.quiet && clean {
        return String::new();
    }
    let mut text = String::new();
    if a.statistics {
        text.push_str(&report::human::render(&out.map, &[], &out.errors, color));
        text.push_str(&statistics(&out.findings));
    } else if !a.quiet {
        text.push_str(&report::human::render(&out.map, &out.findings, &out.errors, color));
    }
    text.push_str(&report::human::summary(&out.findings, &out.errors, out.files.len()));
    let mut extra = Vec::new();
    if out.suppressed > 0 {
        extra.push(format!("{} suppressed by comments", out.suppressed));
    }
    if !out.baselined.is_empty() {
        extra.push(format!("{} in the baseline", out.baselined.len()));
    }
    if !extra.is_empty() {
        text.push_str(&format!(" [{}]", extra.join(", ")));
    }
    text.push('\n');
    text
}

/// `--statistics`: findings per rule, most frequent first.
pub fn statistics(findings: &[crate::diag::Finding]) -> String {
    let mut counts: Vec<(usize, &str, &str, Severity)> = Vec::new();
    for f in findings {
        match counts.iter_mut().find(|c| c.1 == f.code) {
            Some(c) => {
                c.0 += 1;
                c.3 = c.3.max(f.severity);
            }
            None => counts.push((1, f.code, f.name, f.severity)),
        }
    }
    counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    counts.iter().map(|(n, code, name, sev)| format!("{n:>5}  {code:<6} {name:<20} {}\n", sev.as_str())).collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// 2 when any file could not be read, else 1 when a finding reaches `fail_on`, else 0.
pub fn exit_code(findings: &[crate::diag::Finding], errors: bool, fail_on: FailOn) -> i32 {
    if errors {
        return 2;
    }
    let threshold = match fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Error => Some(Severity::Error),
        FailOn::Never => None,
    };
    match threshold {
        Some(t) if findings.iter().any(|f| f.severity >= t) => 1,
        _ => 0,
    }
}

/// `stacklint parse`: 0 when the payload's status is `ok`, 1 when it holds errors.
fn parse(a: &ParseArgs) -> i32 {
    let ParseFormat::Crossplane = a.format;
    let opts = crate::nginx::crossplane::Options { comments: a.include_comments };
    let payload = crate::nginx::crossplane::parse(&a.file, &opts);
    emit_then(payload.to_json().as_bytes(), i32::from(payload.status != "ok"))
}

fn graph(a: &GraphArgs) -> i32 {
    match engine::lint(&a.common.paths, &options(&a.common)) {
        Ok(out) => {
            print_notes(&out.notes);
            let code = if out.errors.is_empty() {
                0
            } else {
                eprint!("{}", report::human::render(&out.map, &[], &out.errors, false));
                2
            };
            emit_then(crate::graph::print::render(&out.stack, &out.map).as_bytes(), code)
        }
        Err(e) => {
            eprintln!("error: {}", crate::report::printable(&e));
            2
        }
    }
}
