//! uvicorn's documented defaults (encode/uvicorn 0.35.0 checked: `uvicorn/main.py` click options,
//! `uvicorn/config.py` `Config.__init__`, `docs/settings.md`; /work/shared/knowledge/defaults.md
//! section 6). uvicorn has no config file: it reads its command line, `UVICORN_*` environment
//! variables (click `auto_envvar_prefix="UVICORN"`) or the keyword arguments of `uvicorn.run()`.
//! It has no per-request timeout. Non-duration facts carry `value_ms: None` and exist so that a
//! default value can name its source.

use crate::duration::DefaultFact;

const VERSIONS: &str = "all (0.35.0 checked)";

/// `--timeout-keep-alive`: idle keep-alive connections are closed after this many seconds.
pub static TIMEOUT_KEEP_ALIVE: DefaultFact = DefaultFact {
    component: "uvicorn",
    setting: "timeout_keep_alive",
    value_ms: Some(5_000),
    versions: VERSIONS,
    source: "uvicorn/main.py (--timeout-keep-alive), uvicorn/config.py, docs/settings.md",
};
/// `--host`: `127.0.0.1`.
pub static HOST: DefaultFact = DefaultFact {
    component: "uvicorn",
    setting: "host",
    value_ms: None,
    versions: VERSIONS,
    source: "uvicorn/main.py (--host), uvicorn/config.py, docs/settings.md",
};
/// `--port`: 8000 (`PORT` is not read; only `UVICORN_PORT`).
pub static PORT: DefaultFact = DefaultFact {
    component: "uvicorn",
    setting: "port",
    value_ms: None,
    versions: VERSIONS,
    source: "uvicorn/main.py (--port), uvicorn/config.py, docs/settings.md",
};
/// `--workers`: `$WEB_CONCURRENCY` or 1.
pub static WORKERS: DefaultFact = DefaultFact {
    component: "uvicorn",
    setting: "workers",
    value_ms: None,
    versions: VERSIONS,
    source: "uvicorn/main.py (--workers), uvicorn/config.py",
};

pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8000;
pub const DEFAULT_TIMEOUT_KEEP_ALIVE_S: u64 = 5;
/// Prefix of the environment variables click maps onto options (`UVICORN_PORT` -> `--port`).
pub const ENV_PREFIX: &str = "UVICORN_";
