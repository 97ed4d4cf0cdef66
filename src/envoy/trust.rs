//! Whom an Envoy listener lets in and whom it believes about the client address: the HCM's
//! `xff_num_trusted_hops` (a hop count: trusted from any peer) and RBAC filters on the peer
//! address (`direct_remote_ip`, `source_ip`, `remote_ip`), as the graph's [`Trust`] and
//! [`AccessList`].

use crate::cdn::trust::{addr_entry, allowed, nets_of};
use crate::cdn::{covered, everything, intersection};
use crate::component::TrustWords;
use crate::graph::{AccessList, AccessRule, AddrEntry, AddrSpec, ClientHeader, ServerId, StackBuilder, Trust, Verdict};

/// One Envoy listener: RBAC filters become access lists (network RBAC and HTTP RBAC on
/// `direct_remote_ip`/`source_ip` see the peer; HTTP RBAC on `remote_ip` sees the client address
/// after X-Forwarded-For processing); `xff_num_trusted_hops` (or an explicit
/// `use_remote_address: false`) is a trust list: from any peer, or from the peers a peer-address
/// allow list lets in.
pub fn listener(l: &crate::envoy::config::ListenerCfg, sid: ServerId, b: &mut StackBuilder) {
    let mut lists: Vec<AccessList> = Vec::new();
    let rbacs = l
        .rbac
        .iter()
        .map(|r| (r, "a closed connection (network RBAC)"))
        .chain(l.hcms.iter().flat_map(|h| h.rbac.iter().map(|r| (r, "403 (\"RBAC: access denied\")"))));
    for (r, denial) in rbacs {
        if r.opaque || r.prefixes.is_empty() {
            continue;
        }
        let verdict = if r.deny { Verdict::Deny } else { Verdict::Allow };
        let sees_client = r.prefixes.iter().all(|(_, _, k)| k == "remote_ip");
        lists.push(AccessList {
            server: sid,
            scope: "listener".into(),
            span: r.prefixes[0].1,
            rules: r
                .prefixes
                .iter()
                .map(|(text, span, _)| AccessRule { verdict, addr: addr_entry(text, *span) })
                .collect(),
            otherwise: if r.deny { Verdict::Allow } else { Verdict::Deny },
            sees_client,
            satisfy_any: None,
            denial: denial.to_string(),
        });
    }
    for h in &l.hcms {
        let trusted = match (h.xff_num_trusted_hops, h.use_remote_address) {
            (Some((n, span)), _) if n > 0 => Some(span),
            (_, Some((false, span))) => Some(span),
            _ => None,
        };
        let Some(span) = trusted else { continue };
        // Peers that get in at all: a peer allow list narrows "any peer".
        let peer_lists: Vec<&AccessList> = lists.iter().filter(|a| !a.sees_client).collect();
        let from = if peer_lists.is_empty() {
            vec![AddrEntry { spec: AddrSpec::All, text: "any peer".into(), span }]
        } else {
            let mut nets = everything().to_vec();
            for a in &peer_lists {
                nets = intersection(&nets, &allowed(a));
            }
            // Keep the written entries (with their spans) that make up the admitted peers.
            peer_lists
                .iter()
                .flat_map(|a| a.rules.iter())
                .filter(|r| r.verdict == Verdict::Allow)
                .filter(|r| nets_of(&r.addr.spec).iter().all(|n| covered(n, &nets)))
                .map(|r| r.addr.clone())
                .collect()
        };
        b.stack.trust.push(Trust {
            server: sid,
            scope: "listener".into(),
            span,
            from,
            header: ClientHeader { name: "X-Forwarded-For".into(), span: Some(span) },
            recursive: Some(span),
        });
    }
    b.stack.access.extend(lists);
}

/// How Envoy's trust list is named in messages (fixes are written generically).
pub static WORDS: TrustWords = TrustWords {
    trust_word: "`xff_num_trusted_hops`",
    trust_line: |net| net.to_string(),
    header_line: |header| header.to_string(),
    recursive_setting: None,
    allow_line: |net| net.to_string(),
};
