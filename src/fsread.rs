//! The one way stacklint reads a file's bytes: regular files only, never more than a cap, and never
//! blocking on a FIFO or a device. Every reader (discovery, includes, stacklint.toml, baselines,
//! CDN range files, `stacklint parse`) goes through [`read_regular`], so a tree cannot make
//! stacklint hang (a FIFO), grow without bound (`/dev/zero`) or read a terminal.
//!
//! Whether a path may be read at all (inside the linted tree) is decided before, by
//! [`crate::discover::Ctx::read`] or [`confine`].

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: what it is instead ("directory", "FIFO", "character device", ...).
    NotRegular(&'static str),
    /// Larger than the cap (the size found).
    TooLarge(u64),
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(what) => {
                write!(f, "it is a {what}, not a regular file; stacklint reads regular files only")
            }
            ReadError::TooLarge(n) => write!(f, "it is larger than stacklint reads ({n} bytes or more)"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// What a file type is, in words, for messages.
pub fn kind_name(ft: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "directory"
    } else if ft.is_fifo() {
        "FIFO"
    } else if ft.is_char_device() {
        "character device"
    } else if ft.is_block_device() {
        "block device"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_symlink() {
        "symbolic link"
    } else {
        "regular file"
    }
}

/// Opens without blocking: opening a FIFO for reading would otherwise wait for a writer forever.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

/// Reads `path` if it is a regular file of at most `cap` bytes. The type is checked on the open
/// file (no window between a check and the open), and the read stops at `cap + 1` bytes whatever
/// the size said (a file that grows while read is refused, not followed).
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let f = open_nonblocking(path).map_err(ReadError::Io)?;
    let meta = f.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_name(meta.file_type())));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge(meta.len()));
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    let mut limited = f.take(cap + 1);
    loop {
        match limited.read_to_end(&mut buf) {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        }
    }
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(buf)
}

/// The first `n` bytes of a regular file (for content checks).
pub fn read_head(path: &Path, n: usize) -> Option<Vec<u8>> {
    let f = open_nonblocking(path).ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut buf = Vec::with_capacity(n);
    f.take(n as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// Lexically removes `.` and `..` components.
pub fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Why a path named inside the tree was refused. The message never says whether a file outside
/// the tree exists: an outside path is refused before the file system is asked about it, and a
/// path that leads outside through a link is refused the same way.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Outside,
    /// Inside the tree, but no such file.
    Missing,
}

/// Resolves `path` (relative to the current directory when relative) to its canonical path if it
/// lies inside one of `roots` (canonical directories or files). The check is lexical first (no
/// system call for a path that leaves the tree by `..` or is absolute elsewhere), then on the
/// canonical path (a link that leads outside); for a path that does not exist, on its deepest
/// existing ancestor, so that a missing file behind a link to the outside is still "outside".
pub fn confine(path: &Path, roots: &[PathBuf], shown_roots: &[PathBuf]) -> Result<PathBuf, Refusal> {
    let abs = if path.is_absolute() {
        clean(path)
    } else {
        match std::env::current_dir() {
            Ok(cwd) => clean(&cwd.join(path)),
            Err(_) => return Err(Refusal::Outside),
        }
    };
    let lexically_inside = roots.iter().chain(shown_roots).any(|r| abs.starts_with(r));
    if !lexically_inside {
        return Err(Refusal::Outside);
    }
    let inside = |c: &Path| roots.iter().any(|r| c.starts_with(r));
    match abs.canonicalize() {
        Ok(c) if inside(&c) => Ok(c),
        Ok(_) => Err(Refusal::Outside),
        Err(_) => {
            // The deepest ancestor that exists decides.
            for a in abs.ancestors().skip(1) {
                if let Ok(c) = a.canonicalize() {
                    return if inside(&c) { Err(Refusal::Missing) } else { Err(Refusal::Outside) };
                }
            }
            Err(Refusal::Outside)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_fifos_and_devices_without_blocking() {
        let dir = std::env::temp_dir().join(format!("stacklint-fsread-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read_regular(&fifo, 100), Err(ReadError::NotRegular("FIFO"))));
        assert!(read_head(&fifo, 10).is_none());
        assert!(matches!(read_regular(Path::new("/dev/zero"), 100), Err(ReadError::NotRegular("character device"))));
        assert!(matches!(read_regular(&dir, 100), Err(ReadError::NotRegular("directory"))));
        let f = dir.join("big");
        std::fs::write(&f, vec![b'x'; 101]).unwrap();
        assert!(matches!(read_regular(&f, 100), Err(ReadError::TooLarge(101))));
        assert_eq!(read_regular(&f, 101).unwrap().len(), 101);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn confine_is_lexical_first() {
        let root =
            std::env::temp_dir().canonicalize().unwrap().join(format!("stacklint-confine-{}", std::process::id()));
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/x"), "x").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("out")).unwrap();
        let roots = vec![root.clone()];
        assert_eq!(confine(&root.join("a/x"), &roots, &[]), Ok(root.join("a/x")));
        assert_eq!(confine(&root.join("a/../a/x"), &roots, &[]), Ok(root.join("a/x")));
        assert_eq!(confine(&root.join("a/missing"), &roots, &[]), Err(Refusal::Missing));
        assert_eq!(confine(&root.join("../../etc/passwd"), &roots, &[]), Err(Refusal::Outside));
        assert_eq!(confine(Path::new("/etc/passwd"), &roots, &[]), Err(Refusal::Outside));
        assert_eq!(confine(Path::new("/etc/no-such-file"), &roots, &[]), Err(Refusal::Outside));
        assert_eq!(confine(&root.join("out/passwd"), &roots, &[]), Err(Refusal::Outside));
        assert_eq!(confine(&root.join("out/no-such-file"), &roots, &[]), Err(Refusal::Outside));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
