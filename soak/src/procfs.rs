//! What the soak reads about its own process: descriptors and memory, from
//! `/proc/self` (Linux), plus the descriptor limit and socket buffer sizes.

use std::io;
use std::os::unix::io::AsRawFd;

/// Open descriptors of this process. The directory handle used to count
/// them is one of them, on every call alike.
pub fn fd_count() -> Result<usize, String> {
    std::fs::read_dir("/proc/self/fd")
        .map(Iterator::count)
        .map_err(|e| format!("cannot read /proc/self/fd: {e}"))
}

/// Every open descriptor and what it refers to, for a leak report.
pub fn fd_listing() -> String {
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        for entry in dir.flatten() {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.display().to_string())
                .unwrap_or_else(|e| format!("? ({e})"));
            out.push(format!(
                "{} -> {}",
                entry.file_name().to_string_lossy(),
                target
            ));
        }
    }
    out.sort();
    out.join(", ")
}

/// Resident set size now and its high-water mark, in KiB
/// (`VmRSS`, `VmHWM` of `/proc/self/status`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

pub fn memory() -> Result<Memory, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    let field = |name: &str| -> Result<u64, String> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| format!("no {name} in /proc/self/status"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// The soft `RLIMIT_NOFILE`.
pub fn fd_limit() -> Result<u64, String> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct it is given.
    let res = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    if res != 0 {
        return Err(format!("getrlimit: {}", io::Error::last_os_error()));
    }
    // `rlim_t` is `u64` on Linux, not on every Unix.
    #[allow(clippy::unnecessary_cast)]
    Ok(lim.rlim_cur as u64)
}

/// Sets `SO_SNDBUF` (when `sndbuf > 0`) and `SO_RCVBUF` (when
/// `rcvbuf > 0`); Linux doubles the value for its own bookkeeping.
///
/// A small send buffer makes large writes partial, which the soak wants to
/// exercise. A small receive buffer is a bad idea on loopback, where the
/// MTU is 64 KiB: many small segments overrun it by their overhead, the
/// kernel prunes the queue and drops, and the senders wait for
/// retransmission timeouts.
pub fn set_socket_buffers<S: AsRawFd>(
    socket: &S,
    sndbuf: usize,
    rcvbuf: usize,
) -> Result<(), String> {
    for (option, name, bytes) in [
        (libc::SO_SNDBUF, "SO_SNDBUF", sndbuf),
        (libc::SO_RCVBUF, "SO_RCVBUF", rcvbuf),
    ] {
        if bytes == 0 {
            continue;
        }
        let value = bytes.min(i32::MAX as usize) as libc::c_int;
        // SAFETY: the option value is a live `c_int` of the size given.
        let res = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if res != 0 {
            return Err(format!(
                "setsockopt({name}): {}",
                io::Error::last_os_error()
            ));
        }
    }
    Ok(())
}

/// `n` bytes in a human unit.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}
