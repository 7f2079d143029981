//! The capabilities the WASI host granted this run, as python.wasm's start-up sees them: the
//! preopened directories, and the working directory chosen among them. The only module of ours
//! that asks the host (through raw WASI calls) what it granted; it grants nothing itself.

/// A directory the host preopened, by its guest path (`wasmtime run --dir HOST::GUEST`).
#[derive(Debug, Clone, PartialEq)]
pub struct Preopen {
    pub fd: u32,
    pub guest_path: String,
    /// Whether the host's rights on it allow creating files (None: the host did not say).
    pub writable: Option<bool>,
}

/// The preopened directories, in the host's order.
///
/// # Ambient Authority
/// Asks the host (`fd_prestat_get`, `fd_prestat_dir_name`) for its grants.
#[cfg(target_os = "wasi")]
pub fn preopens() -> Vec<Preopen> {
    let mut found = Vec::new();
    // Preopens are numbered from 3, after stdio, and end at the first descriptor that is not one.
    for fd in 3u32.. {
        // SAFETY: plain WASI calls; the name buffer is as long as the host said.
        let Ok(prestat) = (unsafe { wasi::fd_prestat_get(fd) }) else { break };
        if prestat.tag != wasi::PREOPENTYPE_DIR.raw() {
            continue;
        }
        let len = unsafe { prestat.u.dir.pr_name_len };
        let mut name = vec![0u8; len];
        if unsafe { wasi::fd_prestat_dir_name(fd, name.as_mut_ptr(), len) }.is_err() {
            continue;
        }
        // Some hosts count a trailing NUL in the length.
        while name.last() == Some(&0) {
            name.pop();
        }
        let writable = unsafe { wasi::fd_fdstat_get(fd) }
            .ok()
            .map(|stat| stat.fs_rights_inheriting & wasi::RIGHTS_PATH_CREATE_FILE != 0 || stat.fs_rights_base & wasi::RIGHTS_PATH_CREATE_FILE != 0);
        found.push(Preopen { fd, guest_path: String::from_utf8_lossy(&name).into_owned(), writable });
    }
    found
}

#[cfg(not(target_os = "wasi"))]
pub fn preopens() -> Vec<Preopen> {
    Vec::new()
}

/// Forgets what the build's host gave: a pre-initialised python.wasm starts with the memory the
/// build left (`snapshot.rs`), where wasi-libc holds the build's environment and preopens, and the
/// VM's random generator (rand's `ThreadRng`, which seeds `random.Random()`) the build's state.
/// wasi-libc reads its two again; the generator reseeds now.
///
/// # Ambient Authority
/// wasi-libc asks the host again (`environ_get`, `fd_prestat_get`) when it next needs them; the
/// generator asks for randomness (`random_get`).
#[cfg(target_os = "wasi")]
pub fn forget_build_host() {
    // Without randomness from the host nothing random can be trusted: CPython fails to start too.
    rand::rng().reseed().expect("failed to reseed the random generator from the host (random_get)");
    unsafe extern "C" {
        // wasi-libc, for pre-initialisers such as wizer.
        fn __wasilibc_deinitialize_environ();
        fn __wasilibc_initialize_environ();
        fn __wasilibc_reset_preopens();
    }
    // SAFETY: called first thing in main, before anything holds wasi-libc's environ or preopens.
    unsafe {
        __wasilibc_deinitialize_environ();
        __wasilibc_initialize_environ();
        __wasilibc_reset_preopens();
    }
}

#[cfg(not(target_os = "wasi"))]
pub fn forget_build_host() {}

/// The host's clocks and their resolutions in nanoseconds (`clock_res_get`); a clock the host does
/// not have is left out.
///
/// # Ambient Authority
/// Asks the host for its clocks.
#[cfg(target_os = "wasi")]
pub fn clock_resolutions() -> Vec<(&'static str, u64)> {
    let clocks = [
        ("realtime", wasi::CLOCKID_REALTIME),
        ("monotonic", wasi::CLOCKID_MONOTONIC),
        ("process_cputime", wasi::CLOCKID_PROCESS_CPUTIME_ID),
        ("thread_cputime", wasi::CLOCKID_THREAD_CPUTIME_ID),
    ];
    // SAFETY: a plain WASI call.
    clocks.into_iter().filter_map(|(name, id)| unsafe { wasi::clock_res_get(id) }.ok().map(|res| (name, res))).collect()
}

#[cfg(not(target_os = "wasi"))]
pub fn clock_resolutions() -> Vec<(&'static str, u64)> {
    Vec::new()
}

/// Creates the symbolic link `link` pointing at `target` (WASI `path_symlink`, through wasi-libc,
/// which resolves `link` against the preopens and the cwd). RustPython's `os` has no symlink on WASI.
///
/// # Ambient Authority
/// Writes into whichever granted directory holds `link`; the host checks the grant.
#[cfg(target_os = "wasi")]
pub fn symlink(target: &str, link: &str) -> std::io::Result<()> {
    use std::ffi::{CString, c_char, c_int};
    unsafe extern "C" {
        // wasi-libc <unistd.h>
        fn symlink(target: *const c_char, link: *const c_char) -> c_int;
    }
    let nul = |s: &str| CString::new(s).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput));
    let (target, link) = (nul(target)?, nul(link)?);
    // SAFETY: both are NUL-terminated strings that outlive the call.
    match unsafe { symlink(target.as_ptr(), link.as_ptr()) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(not(target_os = "wasi"))]
pub fn symlink(_target: &str, _link: &str) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// One entry of a directory read by descriptor: its name, WASI file type and inode.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryEntry {
    pub name: String,
    /// WASI `filetype`: 3 directory, 4 regular file, 7 symbolic link, 0 unknown…
    pub file_type: u8,
    pub inode: u64,
}

/// The entries of the open directory `fd` (WASI `fd_readdir`), `.` and `..` included as the host
/// gives them. `os.listdir(fd)` and `os.scandir(fd)`: RustPython's `os` cannot take a descriptor on WASI.
///
/// # Ambient Authority
/// Reads whatever directory the descriptor names; the host opened it within a grant.
#[cfg(target_os = "wasi")]
pub fn read_directory(fd: u32) -> std::io::Result<Vec<DirectoryEntry>> {
    // wasi::Dirent: d_next u64, d_ino u64, d_namlen u32, d_type u8, padded to 24 bytes.
    const HEADER: usize = 24;
    let mut entries = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    let mut cookie: u64 = 0;
    loop {
        // SAFETY: the buffer is valid for `buffer.len()` bytes of writes.
        let used = unsafe { wasi::fd_readdir(fd, buffer.as_mut_ptr(), buffer.len(), cookie) }
            .map_err(|errno| std::io::Error::from_raw_os_error(errno.raw() as i32))?;
        let mut at = 0;
        let mut progressed = false;
        while at + HEADER <= used {
            let field = |offset: usize, len: usize| &buffer[at + offset..at + offset + len];
            let next = u64::from_le_bytes(field(0, 8).try_into().unwrap());
            let inode = u64::from_le_bytes(field(8, 8).try_into().unwrap());
            let name_len = u32::from_le_bytes(field(16, 4).try_into().unwrap()) as usize;
            let file_type = field(20, 1)[0];
            if at + HEADER + name_len > used {
                break; // cut off by the end of the buffer: read again from this entry's cookie
            }
            let name = String::from_utf8_lossy(&buffer[at + HEADER..at + HEADER + name_len]).into_owned();
            entries.push(DirectoryEntry { name, file_type, inode });
            cookie = next;
            progressed = true;
            at += HEADER + name_len;
        }
        if used < buffer.len() {
            return Ok(entries);
        }
        if !progressed {
            // One entry larger than the whole buffer: make room for it.
            buffer.resize(buffer.len() * 2, 0);
        }
    }
}

#[cfg(not(target_os = "wasi"))]
pub fn read_directory(_fd: u32) -> std::io::Result<Vec<DirectoryEntry>> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The status `proc_exit` can carry for a requested exit code. As with C's exit(), only the low 8
/// bits count (CPython: `sys.exit(257)` exits 1). WASI hosts accept 0–125 only: wasmtime turns 126
/// and above into a trap with a backtrace, so those (KeyboardInterrupt's 130 among them) exit with
/// 1, the generic failure, after the traceback that says what happened.
pub fn exit_status(code: i64) -> i32 {
    match code & 0xff {
        status @ 0..=125 => status as i32,
        _ => 1,
    }
}

/// The working directory a run starts in: the host's `PWD` when it names a place inside a grant,
/// else the first preopened directory, else `/` (wasi-libc's default). A `.` preopen (`--dir .`) is
/// already what relative paths resolve against, so it needs no change.
pub fn initial_cwd(pwd: Option<&str>, preopens: &[Preopen]) -> Option<String> {
    let inside = |path: &str| {
        preopens.iter().any(|p| {
            let root = p.guest_path.trim_end_matches('/');
            path == p.guest_path || root.is_empty() || path.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'))
        })
    };
    if let Some(pwd) = pwd.filter(|p| p.starts_with('/') && inside(p)) {
        return Some(pwd.to_owned());
    }
    let first = preopens.first()?;
    (first.guest_path.starts_with('/')).then(|| first.guest_path.clone())
}

/// Moves into the initial working directory. A failure leaves wasi-libc's default (`/`).
pub fn enter_initial_cwd(pwd: Option<&str>) {
    if let Some(dir) = initial_cwd(pwd, &preopens()) {
        let _ = std::env::set_current_dir(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(paths: &[&str]) -> Vec<Preopen> {
        paths.iter().enumerate().map(|(i, p)| Preopen { fd: 3 + i as u32, guest_path: p.to_string(), writable: None }).collect()
    }

    #[test]
    fn pwd_inside_a_grant_wins() {
        assert_eq!(initial_cwd(Some("/work/sub"), &grants(&["/tmp", "/work"])), Some("/work/sub".into()));
    }

    #[test]
    fn pwd_outside_every_grant_falls_back_to_the_first() {
        assert_eq!(initial_cwd(Some("/home/me"), &grants(&["/work"])), Some("/work".into()));
        assert_eq!(initial_cwd(Some("/workshop"), &grants(&["/work"])), Some("/work".into()));
    }

    #[test]
    fn exit_status_wraps_like_c_and_stays_in_wasi_range() {
        assert_eq!([0, 3, 125, 256, 257, -1, 126, 130, 255].map(exit_status), [0, 3, 125, 0, 1, 1, 1, 1, 1]);
    }

    #[test]
    fn dot_preopen_needs_no_change() {
        assert_eq!(initial_cwd(None, &grants(&["."])), None);
        assert_eq!(initial_cwd(None, &[]), None);
    }
}
