//! Phase timings for profiling: `STACKLINT_TIMINGS=1 stacklint DIR` prints how long each step of
//! the pipeline took to standard error. Off by default; costs one env lookup per run.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("STACKLINT_TIMINGS").is_some_and(|v| v != "0" && !v.is_empty()))
}

/// Measures consecutive phases: each [`Phases::done`] reports the time since the previous one.
pub struct Phases {
    last: Option<Instant>,
}

impl Phases {
    pub fn start() -> Self {
        Phases { last: enabled().then(Instant::now) }
    }

    /// Ends the phase called `name`.
    pub fn done(&mut self, name: &str) {
        if let Some(last) = self.last {
            let now = Instant::now();
            eprintln!("stacklint: timing: {name:<12} {:>8.2} ms", (now - last).as_secs_f64() * 1e3);
            self.last = Some(now);
        }
    }
}
