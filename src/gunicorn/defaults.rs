//! gunicorn's documented defaults (benoitc/gunicorn `gunicorn/config.py`, checked against 26.1.0;
//! /work/shared/knowledge/defaults.md section 5). Settings are integers in seconds; `timeout = 0`
//! disables the worker timeout. Non-duration facts (bind, workers, ...) carry `value_ms: None` and
//! exist so that a default value can name its source.

use crate::duration::DefaultFact;

const VERSIONS: &str = "all (26.1.0 checked)";
const SOURCE: &str = "gunicorn/config.py";

/// `timeout`: workers silent for longer are killed (arbiter `murder_workers`), the request dies.
pub static TIMEOUT: DefaultFact = DefaultFact {
    component: "gunicorn",
    setting: "timeout",
    value_ms: Some(30_000),
    versions: VERSIONS,
    source: SOURCE,
};
pub static GRACEFUL_TIMEOUT: DefaultFact = DefaultFact {
    component: "gunicorn",
    setting: "graceful_timeout",
    value_ms: Some(30_000),
    versions: VERSIONS,
    source: SOURCE,
};
/// `keepalive`: idle wait for the next request on a kept-alive connection (not used by `sync`).
pub static KEEPALIVE: DefaultFact = DefaultFact {
    component: "gunicorn",
    setting: "keepalive",
    value_ms: Some(2_000),
    versions: VERSIONS,
    source: SOURCE,
};
/// `bind`: `127.0.0.1:8000`, or `0.0.0.0:$PORT` when `PORT` is set (util.py `parse_address`).
pub static BIND: DefaultFact = DefaultFact {
    component: "gunicorn",
    setting: "bind",
    value_ms: None,
    versions: VERSIONS,
    source: "gunicorn/config.py (Bind), gunicorn/util.py (parse_address)",
};
/// `workers`: `$WEB_CONCURRENCY` or 1.
pub static WORKERS: DefaultFact =
    DefaultFact { component: "gunicorn", setting: "workers", value_ms: None, versions: VERSIONS, source: SOURCE };
/// `worker_class`: `sync` (closes every connection after its response: workers/sync.py).
pub static WORKER_CLASS: DefaultFact = DefaultFact {
    component: "gunicorn",
    setting: "worker_class",
    value_ms: None,
    versions: VERSIONS,
    source: "gunicorn/config.py, gunicorn/workers/sync.py",
};
pub static THREADS: DefaultFact =
    DefaultFact { component: "gunicorn", setting: "threads", value_ms: None, versions: VERSIONS, source: SOURCE };

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8000;
pub const DEFAULT_TIMEOUT_S: u64 = 30;
pub const DEFAULT_GRACEFUL_TIMEOUT_S: u64 = 30;
pub const DEFAULT_KEEPALIVE_S: u64 = 2;
pub const DEFAULT_WORKERS: u64 = 1;
pub const DEFAULT_WORKER_CLASS: &str = "sync";
pub const DEFAULT_THREADS: u64 = 1;
pub const DEFAULT_WORKER_CONNECTIONS: u64 = 1000;
pub const DEFAULT_BACKLOG: u64 = 2048;
/// The config file gunicorn reads when no `-c` is given (relative to its working directory).
pub const DEFAULT_CONFIG: &str = "gunicorn.conf.py";
