//! Whom a HAProxy frontend lets in and whom it believes about the client address, as the graph's
//! component-neutral [`AccessList`] and [`Trust`]:
//!
//! * `acl NAME src ADDR... [-f FILE]`: address ACLs. Lines with the same name are ORed. `-f` files
//!   are read from the linted tree (one pattern a line; `#` in the first column starts a comment,
//!   leading blanks are skipped, trailing ones are an error; `a.b.c.d/255.255.0.0` masks work);
//!   a file that is not there is a [`ProblemKind::MissingInclude`] and a pattern HAProxy rejects
//!   an [`ProblemKind::InvalidValue`]: HAProxy refuses to start in both cases ("failed to open
//!   pattern file", "is not a valid IPv4 or IPv6 address"). Predefined `TRUE`, `FALSE` and
//!   `LOCALHOST` are known; any other criterion (`hdr(host)`, `path_beg`) is "unknown".
//! * Conditions (`if`/`unless`, implicit AND, `||`/`or`, `!`, anonymous `{ src ... }`) are
//!   evaluated on address sets with three values: the addresses a condition surely matches and
//!   those it may match (an unknown ACL may match anything).
//! * `http-request allow|deny|reject|tarpit|silent-drop` and `tcp-request connection|session|content
//!   accept|reject|silent-drop`: each phase is a first-match chain with default allow. Every
//!   refusing rule becomes one [`AccessList`]: the earlier allow rules of its phase (whatever they
//!   may let through), then what the rule surely refuses. A rule after an `http-request set-src`
//!   sees the restored client address (`sees_client`).
//! * `http-request set-src hdr(H)` / `hdr_ip(H,-1)` / `req.hdr(H)` / `req.fhdr(H)`: a [`Trust`]
//!   with header `H`, trusted from the peers its condition may match that the earlier refusing
//!   rules let through; with no condition and no such rule, from any peer.
//!
//! Rules in `backend` sections and `defaults` are not read.

use super::ast::{Arg, File, Instance, Line, Section};
use crate::cdn;
use crate::cdn::trust::nets_of;
use crate::diag::LoadError;
use crate::files::{clean, Ctx};
use crate::graph::{
    AccessList, AccessRule, AddrEntry, AddrSpec, ClientHeader, Component, Problem, ProblemKind, ServerId, StackBuilder,
    Trust, Verdict,
};
use crate::source::{SourceFile, Span};
use ipnet::{IpNet, Ipv4Net};
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A `-f FILE` argument and what it names in the linted tree.
#[derive(Debug, Clone)]
pub struct PatternFile {
    /// The file-name word after `-f`.
    pub arg: Span,
    pub written: String,
    /// `None`: no such file in the tree.
    pub source: Option<Arc<SourceFile>>,
    /// Where stacklint looked, for the finding.
    pub looked_in: Vec<String>,
}

/// Finds the `-f FILE` words of a file's ACLs (named and anonymous) and reads the files from the
/// linted tree. `path` is the config file's path as discovered.
pub fn pattern_files(ctx: &Ctx, file: &File, path: &Path) -> (Vec<PatternFile>, Vec<LoadError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let dir = path.canonicalize().ok().and_then(|p| p.parent().map(Path::to_path_buf)).unwrap_or_default();
    for l in file.sections.iter().flat_map(|s| s.lines.iter()) {
        for (i, w) in l.words.iter().enumerate() {
            if w.value != "-f" || !in_acl_flags(l, i) {
                continue;
            }
            let Some(name) = l.words.get(i + 1) else { continue };
            if name.unresolved {
                continue;
            }
            let candidates = candidates(ctx, &dir, &name.value);
            let found = candidates.iter().find_map(|c| exists(ctx, c));
            let source = match found {
                Some(p) => match ctx.read(&p) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                },
                None => None,
            };
            out.push(PatternFile {
                arg: name.span,
                written: name.value.clone(),
                source,
                looked_in: candidates.iter().map(|c| ctx.display(c)).collect(),
            });
        }
    }
    (out, errors)
}

/// Is word `i` of the line an ACL flag position (`acl NAME CRIT -f x`, `{ CRIT -f x }`)?
fn in_acl_flags(l: &Line, i: usize) -> bool {
    if l.keyword() == "acl" {
        return i >= 3;
    }
    // Inside braces: the nearest `{` before it has no `}` in between.
    l.words[..i]
        .iter()
        .rev()
        .map(|w| w.value.as_str())
        .find(|v| *v == "{" || *v == "}" || v.ends_with('{'))
        .is_some_and(|v| v != "}")
}

/// Where a pattern file may sit in the tree: an absolute path with leading components stripped
/// (`/etc/haproxy/cf.lst` -> `<root>/etc/haproxy/cf.lst`, `<root>/haproxy/cf.lst`, `<root>/cf.lst`,
/// and the same under the config's directory); a relative one (HAProxy opens it from its working
/// directory) under the config's directory, then under each root.
fn candidates(ctx: &Ctx, dir: &Path, written: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        let p = clean(&p);
        if !out.contains(&p) {
            out.push(p);
        }
    };
    let mut bases: Vec<&Path> = vec![dir];
    bases.extend(ctx.roots.iter().filter(|r| !r.is_file).map(|r| r.canonical.as_path()));
    match written.strip_prefix('/') {
        Some(rel) => {
            let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
            for skip in 0..comps.len() {
                let tail = comps[skip..].join("/");
                for b in bases.iter().rev() {
                    push(b.join(&tail));
                }
            }
        }
        None => {
            for b in &bases {
                push(b.join(written));
            }
        }
    }
    out
}

fn exists(ctx: &Ctx, cand: &Path) -> Option<PathBuf> {
    if ctx.all_files.contains(cand) {
        return Some(cand.to_path_buf());
    }
    let canon = cand.canonicalize().ok()?;
    (ctx.inside(&canon) && ctx.all_files.contains(&canon)).then_some(canon)
}

/// An address pattern as HAProxy's `src` ACL reads it.
enum Pattern {
    Addr(AddrSpec),
    /// HAProxy rejects it: "is not a valid IPv4 or IPv6 address".
    Invalid,
}

fn pattern(text: &str) -> Pattern {
    if text != text.trim() || text.is_empty() {
        return Pattern::Invalid;
    }
    if let Some((a, m)) = text.split_once('/') {
        if m.contains('.') {
            let (Ok(a), Ok(m)) = (a.parse::<Ipv4Addr>(), m.parse::<Ipv4Addr>()) else { return Pattern::Invalid };
            let bits = u32::from(m);
            if bits.leading_ones() + bits.trailing_zeros() != 32 {
                return Pattern::Invalid;
            }
            return match Ipv4Net::new(a, bits.leading_ones() as u8) {
                Ok(n) => Pattern::Addr(AddrSpec::Net(IpNet::V4(n.trunc()))),
                Err(_) => Pattern::Invalid,
            };
        }
    }
    if let Some(n) = cdn::parse_net(text) {
        return Pattern::Addr(AddrSpec::Net(n));
    }
    // A host name: HAProxy resolves it once, at start-up.
    let hostname = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && text.chars().any(|c| c.is_ascii_alphabetic());
    if hostname {
        Pattern::Addr(AddrSpec::Other)
    } else {
        Pattern::Invalid
    }
}

/// Addresses a condition matches: surely (`must`) and possibly (`may`).
#[derive(Clone, Debug)]
struct Tri {
    must: Vec<IpNet>,
    may: Vec<IpNet>,
    /// Depends on a pattern file stacklint could not read: the rule is not judged.
    opaque: bool,
    /// The `src` entries the condition names, for spans.
    entries: Vec<AddrEntry>,
}

fn all() -> Vec<IpNet> {
    cdn::everything().to_vec()
}
fn union(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    IpNet::aggregate(&a.iter().chain(b).copied().collect())
}
fn complement(a: &[IpNet]) -> Vec<IpNet> {
    cdn::uncovered(&all(), a)
}
fn minus(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    cdn::uncovered(a, b)
}
fn same(a: &[IpNet], b: &[IpNet]) -> bool {
    IpNet::aggregate(&a.to_vec()) == IpNet::aggregate(&b.to_vec())
}
fn is_all(a: &[IpNet]) -> bool {
    complement(a).is_empty()
}

impl Tri {
    fn known(nets: Vec<IpNet>, entries: Vec<AddrEntry>) -> Tri {
        let nets = IpNet::aggregate(&nets);
        Tri { must: nets.clone(), may: nets, opaque: false, entries }
    }
    fn unknown() -> Tri {
        Tri { must: Vec::new(), may: all(), opaque: false, entries: Vec::new() }
    }
    fn not(self) -> Tri {
        Tri { must: complement(&self.may), may: complement(&self.must), ..self }
    }
    fn and(self, o: Tri) -> Tri {
        Tri {
            must: cdn::intersection(&self.must, &o.must),
            may: cdn::intersection(&self.may, &o.may),
            opaque: self.opaque || o.opaque,
            entries: [self.entries, o.entries].concat(),
        }
    }
    fn or(self, o: Tri) -> Tri {
        Tri {
            must: union(&self.must, &o.must),
            may: union(&self.may, &o.may),
            opaque: self.opaque || o.opaque,
            entries: [self.entries, o.entries].concat(),
        }
    }
}

/// Reads ACLs and turns conditions into address sets, for one section.
struct Acls<'a> {
    files: &'a [PatternFile],
    named: HashMap<String, Tri>,
}

impl<'a> Acls<'a> {
    fn new(sec: &Section, files: &'a [PatternFile]) -> Acls<'a> {
        let mut a = Acls { files, named: HashMap::new() };
        for l in sec.lines_named("acl") {
            let Some(name) = l.arg(0) else { continue };
            let t = a.criterion(&l.words[2.min(l.words.len())..], None);
            let t = match a.named.remove(name) {
                Some(prev) => prev.or(t),
                None => t,
            };
            a.named.insert(name.to_string(), t);
        }
        a
    }

    fn file(&self, arg: &Arg) -> Option<&PatternFile> {
        self.files.iter().find(|f| f.arg == arg.span)
    }

    /// `src [flags] patterns...` (the words after the ACL name, or inside `{ }`). Patterns
    /// HAProxy rejects are pushed to `bad` when given, and make the ACL opaque: HAProxy would not
    /// start, so what it lets in is not judged.
    fn criterion(&self, words: &[Arg], bad: Option<&mut Vec<(Span, String)>>) -> Tri {
        let Some(crit) = words.first() else { return Tri::unknown() };
        let mut i = 1;
        let mut is_ip = crit.value == "src";
        let mut opaque = false;
        let mut raw: Vec<(&str, Span)> = Vec::new();
        while i < words.len() {
            match words[i].value.as_str() {
                "-i" | "-n" | "-M" => i += 1,
                "-u" => i += 2,
                "-m" => {
                    if words.get(i + 1).is_some_and(|m| m.value != "ip") {
                        is_ip = false;
                    }
                    i += 2;
                }
                "-f" => {
                    match words.get(i + 1).and_then(|f| self.file(f)).and_then(|p| p.source.as_ref()) {
                        Some(src) => raw.extend(file_patterns(src)),
                        None => opaque = true,
                    }
                    i += 2;
                }
                "--" => {
                    i += 1;
                    break;
                }
                _ => break,
            }
        }
        if !is_ip {
            return Tri { opaque, ..Tri::unknown() };
        }
        for w in &words[i.min(words.len())..] {
            if w.unresolved {
                opaque = true;
            } else {
                raw.push((&w.value, w.span));
            }
        }
        let mut entries = Vec::new();
        let mut invalid = Vec::new();
        for (text, span) in raw {
            match pattern(text) {
                Pattern::Addr(spec) => entries.push(AddrEntry { spec, text: text.to_string(), span }),
                Pattern::Invalid => invalid.push((span, text.to_string())),
            }
        }
        opaque |= !invalid.is_empty();
        if let Some(b) = bad {
            b.extend(invalid);
        }
        let nets: Vec<IpNet> = entries.iter().flat_map(|e| nets_of(&e.spec)).collect();
        Tri { opaque, ..Tri::known(nets, entries) }
    }

    /// Evaluates the words of a condition (after `if`/`unless`).
    fn condition(&self, words: &[Arg]) -> Tri {
        let mut or: Option<Tri> = None;
        let mut and: Option<Tri> = None;
        let mut neg = false;
        let mut i = 0;
        while i < words.len() {
            let w = words[i].value.as_str();
            if w == "||" || w == "or" {
                let t = and.take().unwrap_or_else(Tri::unknown);
                or = Some(match or.take() {
                    Some(o) => o.or(t),
                    None => t,
                });
                neg = false;
                i += 1;
                continue;
            }
            let name = w.trim_start_matches('!');
            if (w.len() - name.len()) % 2 == 1 {
                neg = !neg;
            }
            if name.is_empty() {
                i += 1;
                continue;
            }
            let operand = if name == "{" {
                let end = words[i + 1..].iter().position(|x| x.value == "}").map(|p| i + 1 + p).unwrap_or(words.len());
                let t = self.criterion(&words[i + 1..end], None);
                i = end + 1;
                t
            } else {
                i += 1;
                self.named.get(name).cloned().unwrap_or_else(|| predefined(name, words[i - 1].span))
            };
            let operand = if neg { operand.not() } else { operand };
            neg = false;
            and = Some(match and.take() {
                Some(a) => a.and(operand),
                None => operand,
            });
        }
        let t = and.unwrap_or_else(|| Tri::known(all(), Vec::new()));
        match or {
            Some(o) => o.or(t),
            None => t,
        }
    }
}

/// HAProxy's predefined ACLs that depend on the address alone (or on nothing).
fn predefined(name: &str, span: Span) -> Tri {
    match name {
        "TRUE" => Tri::known(all(), Vec::new()),
        "FALSE" => Tri::known(Vec::new(), Vec::new()),
        "LOCALHOST" => {
            let entries: Vec<AddrEntry> = ["127.0.0.1/8", "::1"]
                .iter()
                .filter_map(|t| {
                    cdn::parse_net(t).map(|n| AddrEntry { spec: AddrSpec::Net(n), text: t.to_string(), span })
                })
                .collect();
            let nets = entries.iter().flat_map(|e| nets_of(&e.spec)).collect();
            Tri::known(nets, entries)
        }
        _ => Tri::unknown(),
    }
}

/// The patterns of a pattern file with their spans.
fn file_patterns(src: &SourceFile) -> Vec<(&str, Span)> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for raw in src.text.split('\n') {
        let start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.starts_with('#') {
            continue;
        }
        let body = line.trim_start_matches([' ', '\t']);
        if body.trim().is_empty() {
            continue;
        }
        let s = start + (line.len() - body.len());
        out.push((body, src.span(s, s + body.len())));
    }
    out
}

/// Missing pattern files and address patterns HAProxy rejects, in every section.
pub fn problems(inst: &Instance, b: &mut StackBuilder) {
    for f in &inst.pattern_files {
        if f.source.is_some() {
            continue;
        }
        b.add_problem(Problem {
            kind: ProblemKind::MissingInclude,
            component: Component::Haproxy,
            span: f.arg,
            message: format!(
                "`-f {}` names a pattern file that is not in the linted tree; HAProxy refuses to start (\"failed to open pattern file\")",
                f.written
            ),
            help: format!(
                "add the file to the tree (or fix the path){}",
                if f.looked_in.is_empty() { String::new() } else { format!(" (looked in: {})", f.looked_in.join(", ")) }
            ),
        });
    }
    let mut bad: Vec<(Span, String)> = Vec::new();
    for sec in inst.sections() {
        let acls = Acls { files: &inst.pattern_files, named: HashMap::new() };
        for l in &sec.lines {
            if l.keyword() == "acl" && l.words.len() > 2 {
                acls.criterion(&l.words[2..], Some(&mut bad));
            }
            // Anonymous ACLs.
            let mut i = 0;
            while i < l.words.len() {
                if l.words[i].value.trim_start_matches('!') == "{" {
                    let end = l.words[i + 1..]
                        .iter()
                        .position(|x| x.value == "}")
                        .map(|p| i + 1 + p)
                        .unwrap_or(l.words.len());
                    acls.criterion(&l.words[i + 1..end], Some(&mut bad));
                    i = end;
                }
                i += 1;
            }
        }
    }
    bad.sort();
    bad.dedup();
    for (span, text) in bad {
        b.add_problem(Problem {
            kind: ProblemKind::InvalidValue,
            component: Component::Haproxy,
            span,
            message: format!("`{text}` is not a valid IPv4 or IPv6 address: HAProxy refuses to start"),
            help:
                "one address or network a line, with nothing after it (no trailing comment or blank): `173.245.48.0/20`"
                    .into(),
        });
    }
}

/// What a refusing action answers.
fn denial(l: &Line, action: &str) -> String {
    // `http-request deny`, `tcp-request connection reject`.
    let upto = l.words.iter().position(|w| w.value == action).unwrap_or(0);
    let kw = format!("`{}`", l.words[..=upto].iter().map(|w| w.value.as_str()).collect::<Vec<_>>().join(" "));
    match action {
        "deny" => {
            let status = l.words.iter().position(|w| w.value == "deny_status").and_then(|i| l.words.get(i + 1));
            format!("{} ({kw})", status.map(|s| s.value.as_str()).unwrap_or("403"))
        }
        "tarpit" => format!("500 after `timeout tarpit` ({kw})"),
        "silent-drop" => format!("a silently dropped connection ({kw})"),
        _ => format!("a closed connection ({kw})"),
    }
}

/// The written entries whose union is exactly `set`, if there are such.
fn exact(set: &[IpNet], cands: &[AddrEntry]) -> Option<Vec<AddrEntry>> {
    if set.is_empty() {
        return None;
    }
    let mut chosen: Vec<AddrEntry> = Vec::new();
    for e in cands {
        let nets = nets_of(&e.spec);
        let inside = !nets.is_empty() && nets.iter().all(|n| cdn::covered(n, set));
        if inside && !chosen.iter().any(|c| c.span == e.span && c.text == e.text) {
            chosen.push(e.clone());
        }
    }
    let got: Vec<IpNet> = chosen.iter().flat_map(|e| nets_of(&e.spec)).collect();
    same(&got, set).then_some(chosen)
}

/// The written entries that make up `set`, else `set` itself anchored at `span`.
fn entries_for(set: &[IpNet], cands: &[AddrEntry], span: Span) -> Vec<AddrEntry> {
    exact(set, cands).unwrap_or_else(|| {
        set.iter().map(|n| AddrEntry { spec: AddrSpec::Net(*n), text: n.to_string(), span }).collect()
    })
}

/// The `if`/`unless` condition of a rule line, as a set of addresses it applies to, or `None`
/// when it cannot be judged. No condition: every address.
fn rule_condition(acls: &Acls<'_>, l: &Line) -> Option<Tri> {
    let at = l.words.iter().position(|w| !w.quoted && (w.value == "if" || w.value == "unless"));
    let t = match at {
        None => Tri::known(all(), Vec::new()),
        Some(i) => {
            let t = acls.condition(&l.words[i + 1..]);
            if l.words[i].value == "unless" {
                t.not()
            } else {
                t
            }
        }
    };
    (!t.opaque).then_some(t)
}

/// `hdr(NAME[,occ])`, `hdr_ip(...)`, `req.hdr(...)`, `req.fhdr(...)`, `req.hdr_ip(...)`, with
/// converters after it: the header name.
fn header_of(expr: &str) -> Option<&str> {
    let e = expr.strip_prefix("req.").unwrap_or(expr);
    let (fetch, rest) = e.split_once('(')?;
    if !matches!(fetch, "hdr" | "hdr_ip" | "fhdr") {
        return None;
    }
    let args = &rest[..rest.find(')')?];
    let name = args.split(',').next()?.trim();
    (!name.is_empty()).then_some(name)
}

/// Reads one frontend or listen section's access rules and `set-src` into the graph.
pub fn frontend(sec: &Section, files: &[PatternFile], http: bool, proxy: &str, sid: ServerId, b: &mut StackBuilder) {
    let acls = Acls::new(sec, files);
    let phases: [(&str, Option<&str>); 4] = [
        ("tcp-request", Some("connection")),
        ("tcp-request", Some("session")),
        ("tcp-request", Some("content")),
        ("http-request", None),
    ];
    // Peers that may get past the refusing rules so far, and the entries that say so.
    let mut peers = all();
    let mut peer_entries: Vec<AddrEntry> = Vec::new();
    let mut restored = false;
    for (kw, sub) in phases {
        if kw == "http-request" && !http {
            continue;
        }
        let skip = if sub.is_some() { 2 } else { 1 };
        // What the allow rules of this phase so far may let through, and their entries.
        let mut allowed: Vec<IpNet> = Vec::new();
        let mut allow_entries: Vec<AddrEntry> = Vec::new();
        for l in sec.lines.iter().filter(|l| l.keyword() == kw && (sub.is_none() || l.arg(0) == sub)) {
            let Some(action) = l.words.get(skip).map(|w| w.value.as_str()) else { continue };
            let scope = match sub {
                Some(s) => format!("{proxy}, {kw} {s}"),
                None => proxy.to_string(),
            };
            match action {
                "allow" | "accept" => {
                    let Some(t) = rule_condition(&acls, l) else {
                        // Unknown: it may let anything through from here on.
                        allowed = all();
                        continue;
                    };
                    allow_entries.extend(entries_for(&minus(&t.may, &allowed), &t.entries, l.span));
                    allowed = union(&allowed, &t.may);
                }
                "deny" | "reject" | "tarpit" | "silent-drop" => {
                    let Some(t) = rule_condition(&acls, l) else { continue };
                    let refused = minus(&t.must, &allowed);
                    if refused.is_empty() {
                        continue;
                    }
                    let mut rules: Vec<AccessRule> =
                        allow_entries.iter().map(|e| AccessRule { verdict: Verdict::Allow, addr: e.clone() }).collect();
                    let spared = minus(&complement(&allowed), &refused);
                    if is_all(&refused) {
                        rules.push(AccessRule { verdict: Verdict::Deny, addr: any(l.span, "every address") });
                    } else if let Some(kept) = exact(&spared, &t.entries) {
                        // `deny unless from_cf`: the list's own entries are spared, the rest refused.
                        rules.extend(kept.into_iter().map(|e| AccessRule { verdict: Verdict::Allow, addr: e }));
                        rules.push(AccessRule { verdict: Verdict::Deny, addr: any(l.span, "anything else") });
                    } else {
                        rules.extend(
                            entries_for(&refused, &t.entries, l.span)
                                .into_iter()
                                .map(|e| AccessRule { verdict: Verdict::Deny, addr: e }),
                        );
                    }
                    if !restored {
                        peers = minus(&peers, &refused);
                        peer_entries
                            .extend(rules.iter().filter(|r| r.verdict == Verdict::Allow).map(|r| r.addr.clone()));
                    }
                    b.stack.access.push(AccessList {
                        server: sid,
                        scope,
                        span: l.span,
                        rules,
                        otherwise: Verdict::Allow,
                        sees_client: restored,
                        satisfy_any: None,
                        denial: denial(l, action),
                    });
                }
                "set-src" if kw == "http-request" => {
                    let Some(expr) = l.words.get(2) else { continue };
                    let Some(header) = header_of(&expr.value) else {
                        restored = true;
                        continue;
                    };
                    let Some(t) = rule_condition(&acls, l) else {
                        restored = true;
                        continue;
                    };
                    let from_set = cdn::intersection(&t.may, &peers);
                    let from = if is_all(&from_set) {
                        vec![any(l.span, "any peer")]
                    } else {
                        let cands: Vec<AddrEntry> = t.entries.iter().chain(&peer_entries).cloned().collect();
                        entries_for(&from_set, &cands, l.span)
                    };
                    restored = true;
                    b.stack.trust.push(Trust {
                        server: sid,
                        scope: proxy.to_string(),
                        span: l.span,
                        from,
                        header: ClientHeader { name: header.to_string(), span: Some(expr.span) },
                        recursive: None,
                    });
                }
                _ => {}
            }
        }
    }
}

fn any(span: Span, text: &str) -> AddrEntry {
    AddrEntry { spec: AddrSpec::All, text: text.to_string(), span }
}
