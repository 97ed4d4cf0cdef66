//! What Envoy does when a setting is not written, with the sources the facts come from
//! (`knowledge/defaults.md` §3: data-plane-api @ 2026-01-29, the timeouts FAQ, router.cc).

use crate::duration::DefaultFact;

const V3: &str = "Envoy v3 API";

/// `RouteAction.timeout`: from the end of the downstream request until the upstream response is
/// complete, all retries included. `0s` disables it. On expiry: 504 `upstream request timeout`.
pub static ROUTE_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "route.timeout",
    value_ms: Some(15_000),
    versions: V3,
    source: "api/envoy/config/route/v3/route_components.proto (RouteAction.timeout); docs/root/faq/configuration/timeouts.rst",
};

/// `Cluster.connect_timeout`.
pub static CONNECT_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "connect_timeout",
    value_ms: Some(5_000),
    versions: V3,
    source: "api/envoy/config/cluster/v3/cluster.proto (Cluster.connect_timeout)",
};

/// Upstream `HttpProtocolOptions.common_http_protocol_options.idle_timeout`: an idle pooled
/// connection to a cluster host is closed after this long. `0s` disables the timer.
pub static UPSTREAM_IDLE_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "common_http_protocol_options.idle_timeout (cluster)",
    value_ms: Some(3_600_000),
    versions: V3,
    source: "api/envoy/config/core/v3/protocol.proto (HttpProtocolOptions.idle_timeout); docs/root/faq/configuration/timeouts.rst",
};

/// The note on a cluster's pool when nothing switches it on: Envoy always pools.
pub const UPSTREAM_POOL_NOTE: &str = "Envoy pools upstream HTTP connections by default and keeps idle ones for `idle_timeout` (1 h unless set in the cluster's HttpProtocolOptions)";

/// Envoy drains a downstream HTTP/2 connection that reaches its idle timeout (GOAWAY, then
/// `drain_timeout`, 5 s by default) before it closes it, so a pooling caller stops sending on it
/// in time; HTTP/1 connections are closed at once. Source: docs/root/faq/configuration/timeouts.rst
/// ("For HTTP/2 downstream connections, when idle timeout is reached, a drain sequence begins
/// immediately, lasting for the configured drain_timeout period").
pub const DRAINS_IDLE_HTTP2: bool = true;

/// HCM `common_http_protocol_options.idle_timeout`: idle downstream connections.
pub static DOWNSTREAM_IDLE_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "common_http_protocol_options.idle_timeout (http_connection_manager)",
    value_ms: Some(3_600_000),
    versions: V3,
    source: "api/envoy/config/core/v3/protocol.proto (HttpProtocolOptions.idle_timeout); docs/root/faq/configuration/timeouts.rst",
};

/// HCM `stream_idle_timeout`: a stream with no activity is reset (408 before response headers).
pub static STREAM_IDLE_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "stream_idle_timeout",
    value_ms: Some(300_000),
    versions: V3,
    source: "api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto (stream_idle_timeout)",
};

/// HCM `request_timeout`: disabled unless set.
pub static REQUEST_TIMEOUT: DefaultFact = DefaultFact {
    component: "envoy",
    setting: "request_timeout",
    value_ms: None,
    versions: V3,
    source: "api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto (request_timeout)",
};

/// Every default, for `stacklint explain` style listings and tests.
pub static ALL: &[&DefaultFact] = &[
    &ROUTE_TIMEOUT,
    &CONNECT_TIMEOUT,
    &UPSTREAM_IDLE_TIMEOUT,
    &DOWNSTREAM_IDLE_TIMEOUT,
    &STREAM_IDLE_TIMEOUT,
    &REQUEST_TIMEOUT,
];
