//! The declared edge's published address ranges, as the graph carries them for the rules (read
//! and computed by `crate::cdn`).

use crate::source::Span;
use ipnet::IpNet;

/// What the declared edge connects from, ready for the rules.
#[derive(Clone, Debug)]
pub struct EdgeRanges {
    /// `Cloudflare`.
    pub provider: String,
    /// The edge preset name (`cloudflare`).
    pub preset: String,
    /// The provider's current ranges (both families), aggregated.
    pub current: Vec<IpNet>,
    /// Ranges the provider used to publish and has withdrawn.
    pub withdrawn: Vec<IpNet>,
    /// Where the lists came from, for messages: `rules/cdn/cloudflare-v4.txt, ... (bundled, 2024-06 mirror)`.
    pub source: String,
    /// Ranges the user declared as their own proxies (`[edge] trusted_proxies`).
    pub trusted_proxies: Vec<(IpNet, Span)>,
    /// Where the edge is declared in stacklint.toml.
    pub edge_span: Span,
}

impl EdgeRanges {
    /// The provider publishes IPv6 ranges (connects to origins over both families).
    pub fn dual_stack(&self) -> bool {
        self.current.iter().any(|n| matches!(n, IpNet::V6(_)))
    }
}
