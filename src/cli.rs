//! The command line: `stacklint [PATHS]` lints; `graph`, `rules` and `explain` show what it knows.

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
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
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
    Human,
    Json,
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

/// Runs the CLI; returns the exit code (0 clean, 1 findings, 2 errors).
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        None => lint(&cli.lint),
        Some(Command::Check(a)) => lint(&a),
        Some(Command::Graph(a)) => graph(&a),
        Some(Command::Parse(a)) => parse(&a),
        Some(Command::Rules) => {
            print!("{}", rules_table());
            0
        }
        Some(Command::Explain { rule }) => match crate::rules::find(&rule) {
            Some(r) => {
                print!("{}", r.doc);
                0
            }
            None => {
                eprintln!("error: no rule `{rule}`; `stacklint rules` lists them");
                2
            }
        },
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
    let out = match engine::lint(&a.common.paths, &options(&a.common)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    match a.format {
        Format::Json => {
            let _ = w.write_all(report::json::render(&out.map, &out.findings, &out.errors, &out.files).as_bytes());
        }
        Format::Human => {
            let color = match a.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
            let text = report::human::render(&out.map, &out.findings, &out.errors, color);
            let _ = w.write_all(text.as_bytes());
            let _ = writeln!(w, "{}", report::human::summary(&out.findings, &out.errors, out.files.len()));
        }
    }
    exit_code(&out.findings, !out.errors.is_empty(), a.fail_on)
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
    let _ = std::io::stdout().lock().write_all(payload.to_json().as_bytes());
    i32::from(payload.status != "ok")
}

fn graph(a: &GraphArgs) -> i32 {
    match engine::lint(&a.common.paths, &options(&a.common)) {
        Ok(out) => {
            print!("{}", crate::graph::print::render(&out.stack, &out.map));
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
    }
}
