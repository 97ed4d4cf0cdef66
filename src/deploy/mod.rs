//! The deployment model: which **machine** (a compose service's container, or the bare host) each
//! server runs on, what that machine answers to, and which of the tree's files it sees.
//!
//! Real repositories wire their layers through containers, not through one config tree: nginx in
//! service `proxy` sends to `web:3000`, a Node app built from `./web`; `127.0.0.1` inside the nginx
//! container reaches nothing in another container; a PHP-FPM socket is shared only through a
//! volume. So every server is placed on a machine, from where its config file sits:
//!
//! - under a service's **build context** (`build: ./web`): the image is built from it;
//! - under a service's **bind mount** source (`./nginx/conf.d:/etc/nginx/conf.d`);
//! - launched by a service's `command:` (the launch sources say so themselves).
//!
//! A file that no service claims, or that several claim, has no single machine: linking falls back
//! to what the addresses alone say. A machine's names are the service name, `hostname:`,
//! `container_name:`, network `aliases:` and `ipv4_address`es; `network_mode: service:x` (or
//! `container:x`) puts it in `x`'s network namespace, `network_mode: host` on the host's.

pub mod image;

use std::path::{Path, PathBuf};

pub use image::{Image, Product};

pub type MachineId = usize;

/// Which network namespace a machine's processes are in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Network {
    /// Its own (a compose service's default).
    Own,
    /// The host's (`network_mode: host`).
    Host,
    /// Another service's (`network_mode: service:x` / `container:x`).
    Of(String),
}

/// One service of a compose project, as the deployment model needs it.
#[derive(Clone, Debug, Default)]
pub struct ServiceFacts {
    pub name: String,
    /// `hostname:`, `container_name:`, network `aliases:`, `ipv4_address`/`ipv6_address`.
    pub names: Vec<String>,
    /// `network_mode:` as written (`host`, `service:web`, `container:web`, `bridge`, ...).
    pub network_mode: Option<String>,
    /// Canonical build context directory.
    pub build_context: Option<PathBuf>,
    /// `image:` as written.
    pub image: Option<String>,
    /// Bind mounts: canonical source on disk (file or directory) and the path in the container.
    pub binds: Vec<(PathBuf, String)>,
    /// Named volumes: volume name and the path in the container.
    pub volumes: Vec<(String, String)>,
    /// The compose file (display path) and where the service is declared, for messages.
    pub file: String,
}

/// A machine: a compose service's container (or the host, for `network_mode: host`).
#[derive(Clone, Debug)]
pub struct Machine {
    pub service: String,
    /// Names that reach it (service name first).
    pub names: Vec<String>,
    pub network: Network,
    pub image: Option<Image>,
    /// Where the tree's files come from: build context and bind mount sources (canonical).
    pub roots: Vec<PathBuf>,
    pub binds: Vec<(PathBuf, String)>,
    pub volumes: Vec<(String, String)>,
    pub file: String,
}

/// Every machine of the tree.
#[derive(Clone, Debug, Default)]
pub struct Deployment {
    pub machines: Vec<Machine>,
}

impl Deployment {
    pub fn from_services(services: &[ServiceFacts]) -> Deployment {
        let mut machines: Vec<Machine> = Vec::new();
        for s in services {
            // Two compose files (base + override) may declare the same service: one machine.
            let i = match machines.iter().position(|m| m.service == s.name) {
                Some(i) => i,
                None => {
                    machines.push(Machine {
                        service: s.name.clone(),
                        names: vec![s.name.to_ascii_lowercase()],
                        network: Network::Own,
                        image: None,
                        roots: Vec::new(),
                        binds: Vec::new(),
                        volumes: Vec::new(),
                        file: s.file.clone(),
                    });
                    machines.len() - 1
                }
            };
            let m = &mut machines[i];
            for n in &s.names {
                let n = n.to_ascii_lowercase();
                if !m.names.contains(&n) {
                    m.names.push(n);
                }
            }
            if let Some(mode) = &s.network_mode {
                m.network = match mode.split_once(':') {
                    Some(("service" | "container", other)) => Network::Of(other.to_string()),
                    _ if mode == "host" => Network::Host,
                    _ => Network::Own,
                };
            }
            if let Some(img) = s.image.as_deref().and_then(Image::parse) {
                m.image = Some(img);
            }
            if let Some(c) = &s.build_context {
                m.roots.push(c.clone());
            }
            for (src, dst) in &s.binds {
                m.roots.push(src.clone());
                m.binds.push((src.clone(), dst.clone()));
            }
            m.volumes.extend(s.volumes.iter().cloned());
        }
        Deployment { machines }
    }

    /// The machines whose build context or bind mounts hold `file` (canonical path), deepest
    /// root first: a file under `./nginx/conf.d` mounted into `proxy` belongs to `proxy`, even
    /// when `.` is also another service's build context.
    pub fn claims(&self, file: &Path) -> Vec<MachineId> {
        let mut best: Vec<(usize, MachineId)> = Vec::new();
        for (i, m) in self.machines.iter().enumerate() {
            let depth = m.roots.iter().filter(|r| file.starts_with(r)).map(|r| r.components().count()).max();
            if let Some(d) = depth {
                best.push((d, i));
            }
        }
        let Some(deepest) = best.iter().map(|b| b.0).max() else { return Vec::new() };
        best.into_iter().filter(|b| b.0 == deepest).map(|b| b.1).collect()
    }

    /// The one machine a file belongs to, when exactly one claims it.
    pub fn machine_of(&self, file: &Path) -> Option<MachineId> {
        match self.claims(file).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// The network namespace a machine's processes are in: the machine itself, the service it
    /// shares (`network_mode: service:x`), or `None` for the host's.
    pub fn namespace(&self, m: MachineId) -> Option<MachineId> {
        let mut cur = m;
        for _ in 0..self.machines.len() {
            match &self.machines[cur].network {
                Network::Own => return Some(cur),
                Network::Host => return None,
                Network::Of(other) => match self.by_name(other) {
                    Some(o) => cur = o,
                    None => return Some(cur),
                },
            }
        }
        Some(cur)
    }

    /// The machine a service name (or alias) names.
    pub fn by_name(&self, name: &str) -> Option<MachineId> {
        let n = name.to_ascii_lowercase();
        self.machines.iter().position(|m| m.names.contains(&n))
    }

    /// The path a machine sees a file of the tree at (through its bind mounts), if it sees it.
    pub fn seen_at(&self, m: MachineId, file: &Path) -> Option<String> {
        self.machines[m].binds.iter().find_map(|(src, dst)| {
            let rel = file.strip_prefix(src).ok()?;
            let base = dst.trim_end_matches('/');
            Some(if rel.as_os_str().is_empty() { base.to_string() } else { format!("{base}/{}", rel.display()) })
        })
    }
}

/// The same file as two machines see it: `/var/run` is `/run` on Debian, Ubuntu, Alpine and every
/// official image (a symlink since the FHS 3.0 move), and `./` and `..` are resolved.
pub fn same_socket_path(a: &str, b: &str) -> bool {
    canonical_run(a) == canonical_run(b)
}

/// A socket path with `/var/run` read as `/run`, `.`/`..` resolved and repeated `/` folded.
pub fn canonical_run(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    if p.starts_with('/') && out.first() == Some(&"var") && out.get(1) == Some(&"run") {
        out.remove(0);
    }
    let joined = out.join("/");
    if p.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(name: &str) -> ServiceFacts {
        ServiceFacts { name: name.into(), file: "docker-compose.yml".into(), ..Default::default() }
    }

    #[test]
    fn files_belong_to_the_deepest_claim() {
        let mut web = svc("web");
        web.build_context = Some(PathBuf::from("/r"));
        let mut proxy = svc("proxy");
        proxy.image = Some("nginx:1.25-alpine".into());
        proxy.binds = vec![(PathBuf::from("/r/nginx/conf.d"), "/etc/nginx/conf.d".into())];
        let mut worker = svc("worker");
        worker.build_context = Some(PathBuf::from("/r"));
        let d = Deployment::from_services(&[web, proxy, worker]);
        assert_eq!(d.machine_of(Path::new("/r/nginx/conf.d/site.conf")), Some(1));
        assert_eq!(
            d.seen_at(1, Path::new("/r/nginx/conf.d/site.conf")).as_deref(),
            Some("/etc/nginx/conf.d/site.conf")
        );
        // `.` is built into two services: no single machine.
        assert_eq!(d.claims(Path::new("/r/app/gunicorn.conf.py")), vec![0, 2]);
        assert_eq!(d.machine_of(Path::new("/r/app/gunicorn.conf.py")), None);
        assert_eq!(d.machine_of(Path::new("/elsewhere/x")), None);
        assert_eq!(d.machines[1].image.as_ref().unwrap().nginx_version(), Some("1.25"));
    }

    #[test]
    fn names_and_network_namespaces() {
        let mut app = svc("app");
        app.names = vec!["api.internal".into(), "10.5.0.3".into()];
        let mut side = svc("side");
        side.network_mode = Some("service:app".into());
        let mut hosty = svc("hosty");
        hosty.network_mode = Some("host".into());
        let d = Deployment::from_services(&[app, side, hosty]);
        assert_eq!(d.by_name("API.internal"), Some(0));
        assert_eq!(d.by_name("10.5.0.3"), Some(0));
        assert_eq!(d.namespace(1), Some(0));
        assert_eq!(d.namespace(2), None);
        assert_eq!(d.namespace(0), Some(0));
    }

    #[test]
    fn var_run_is_run() {
        assert!(same_socket_path("/var/run/php/php8.2-fpm.sock", "/run/php/php8.2-fpm.sock"));
        assert!(same_socket_path("/run/php//x.sock", "/run/php/./x.sock"));
        assert!(!same_socket_path("/srv/var/run/x.sock", "/srv/run/x.sock"));
        assert!(!same_socket_path("/run/php/a.sock", "/run/php/b.sock"));
    }
}
