//! stacklint: reads the configs of every layer of a web stack (CDN, load balancer, reverse proxy,
//! app server) side by side and reports the mistakes behind 502 and 504 before deploy.
//!
//! Pipeline (one module per arrow):
//! `discover` (walk the trees, `files`, and recognise each file with the components of
//! `registry`) -> component parsers (`nginx`, `gunicorn`, ...; spans on every node) -> component
//! models (facts with units and defaults) -> `graph` (listeners, routes, upstream groups, app
//! servers, joined by address) -> `rules` (findings) -> `report`.

// pest is built without its `std` feature (Cargo.toml says why); its derive then names `alloc`.
extern crate alloc;

pub mod baseline;
pub mod cdn;
pub mod changed;
pub mod cli;
pub mod component;
pub mod config;
pub mod deploy;
pub mod diag;
pub mod duration;
pub mod edge;
pub mod engine;
pub mod envoy;
pub mod files;
pub mod fsread;
pub mod graph;
pub mod gunicorn;
pub mod haproxy;
pub mod kind;
pub mod launch;
pub mod nginx;
pub mod node;
pub mod phpfpm;
pub mod registry;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod template;
pub mod timing;
pub mod uvicorn;
pub mod yaml;

/// docker-compose files are a launch source (`launch::compose`).
pub use launch::compose;

/// Finding and classifying files: the walk and confined reads of [`files`], with the
/// recognisers of the component [`registry`].
pub mod discover {
    pub use crate::files::{clean, Ctx, FileInfo, Found, Kind, Root, MAX_FILE_BYTES};
    pub use crate::registry::{classify, discover, recognise};
}
