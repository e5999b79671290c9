//! Property tests of what takes arbitrary input: `Interest` combination
//! laws, tokens through a registration, and Unix socket addresses (paths of
//! any bytes and length, abstract names on Linux).
//!
//! Cases that make syscalls are kept few (64) so the file runs in seconds.
#![cfg(all(unix, feature = "os-poll", feature = "net"))]
#![cfg_attr(miri, allow(unused))]

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::net::{UnixDatagram, UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token};
use proptest::prelude::*;

/// The interests this platform has, with the name `Debug` prints.
fn named() -> Vec<(Interest, &'static str)> {
    #[allow(unused_mut)]
    let mut all = vec![
        (Interest::READABLE, "READABLE"),
        (Interest::WRITABLE, "WRITABLE"),
    ];
    #[cfg(any(target_os = "linux", target_os = "android"))]
    all.push((Interest::PRIORITY, "PRIORITY"));
    all
}

/// A non-empty interest made of the basic interests picked by `mask`.
fn from_mask(mask: u8) -> Option<Interest> {
    named()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, (interest, _))| interest)
        .reduce(|a, b| a | b)
}

fn interest() -> impl Strategy<Value = Interest> {
    let n = named().len();
    (1u8..(1 << n)).prop_map(|m| from_mask(m).unwrap())
}

fn has(i: Interest, basic: Interest) -> bool {
    i.add(basic) == i
}

proptest! {
    #[test]
    fn interest_add_is_bitor_commutative_associative_idempotent(
        a in interest(), b in interest(), c in interest()
    ) {
        prop_assert_eq!(a.add(b), a | b);
        prop_assert_eq!(a | b, b | a);
        prop_assert_eq!((a | b) | c, a | (b | c));
        prop_assert_eq!(a | a, a);
        let mut d = a;
        d |= b;
        prop_assert_eq!(d, a | b);
    }

    #[test]
    fn interest_is_queries_match_members(a in interest(), b in interest()) {
        let ab = a | b;
        prop_assert_eq!(ab.is_readable(), a.is_readable() || b.is_readable());
        prop_assert_eq!(ab.is_writable(), a.is_writable() || b.is_writable());
        prop_assert_eq!(ab.is_priority(), a.is_priority() || b.is_priority());
        prop_assert_eq!(ab.is_aio(), a.is_aio() || b.is_aio());
        prop_assert_eq!(ab.is_lio(), a.is_lio() || b.is_lio());
        prop_assert_eq!(a.is_readable(), has(a, Interest::READABLE));
        prop_assert_eq!(a.is_writable(), has(a, Interest::WRITABLE));
    }

    #[test]
    fn interest_remove_laws(a in interest(), b in interest()) {
        match (a | b).remove(b) {
            // Removing everything leaves nothing, which `Interest` cannot hold.
            None => {
                for (basic, _) in named() {
                    prop_assert!(!has(a, basic) || has(b, basic));
                }
            }
            Some(rest) => {
                for (basic, _) in named() {
                    prop_assert_eq!(has(rest, basic), has(a, basic) && !has(b, basic));
                }
                prop_assert_eq!(rest | b, a | b);
                prop_assert_eq!(rest.remove(b), Some(rest));
            }
        }
        prop_assert_eq!(a.remove(a), None);
    }

    #[test]
    fn interest_debug_names_round_trip(mask in 1u8..(1 << 3)) {
        if let Some(i) = from_mask(mask) {
            let text = format!("{i:?}");
            let mut back: Option<Interest> = None;
            for part in text.split(" | ") {
                let basic = named()
                    .into_iter()
                    .find(|(_, name)| *name == part)
                    .map(|(basic, _)| basic);
                prop_assert!(basic.is_some(), "unknown name {:?} in {:?}", part, text);
                let basic = basic.unwrap();
                back = Some(back.map_or(basic, |b| b | basic));
            }
            prop_assert_eq!(back, Some(i));
        }
    }
}

fn expect_token(poll: &mut Poll, token: Token) -> Result<(), TestCaseError> {
    let mut events = Events::with_capacity(8);
    for _ in 0..50 {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Some(event) = events.iter().next() {
            prop_assert_eq!(event.token(), token);
            prop_assert_eq!(usize::from(event.token()), token.0);
            return Ok(());
        }
    }
    Err(TestCaseError::fail("no event"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    #[cfg_attr(miri, ignore = "proptest's many cases are too slow under Miri")]
    fn token_round_trips_through_registration(token in any::<usize>(), reregister in any::<usize>()) {
        // usize::MAX is reserved by some backends for their waker; mio's
        // docs do not promise it for user tokens.
        prop_assume!(token != usize::MAX && reregister != usize::MAX);
        let mut poll = Poll::new().unwrap();
        let (mut a, mut b) = UnixStream::pair().unwrap();
        poll.registry().register(&mut a, Token(token), Interest::READABLE).unwrap();
        b.write_all(b"x").unwrap();
        expect_token(&mut poll, Token(token))?;
        poll.registry()
            .reregister(&mut a, Token(reregister), Interest::READABLE | Interest::WRITABLE)
            .unwrap();
        expect_token(&mut poll, Token(reregister))?;
        poll.registry().deregister(&mut a).unwrap();
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty, short directory for one case.
fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mio-prop-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What binding to `path` must give: `InvalidInput` for a NUL byte or a
/// path that does not fit `sun_path` (108 bytes with the terminator);
/// otherwise anything but a panic, and success with the same address for a
/// plain file name in an existing directory.
fn check_bind_result<T>(
    path: &PathBuf,
    name: &[u8],
    result: io::Result<T>,
    local: impl FnOnce(&T) -> io::Result<std::os::unix::net::SocketAddr>,
) -> Result<(), TestCaseError> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) || bytes.len() >= 108 {
        match result {
            Err(e) => prop_assert_eq!(e.kind(), io::ErrorKind::InvalidInput),
            Ok(_) => prop_assert!(false, "bound {:?}", path),
        }
        return Ok(());
    }
    let plain = !name.is_empty() && !name.contains(&b'/') && name != b"." && name != b"..";
    match result {
        Ok(socket) => {
            let addr = local(&socket).unwrap();
            prop_assert_eq!(addr.as_pathname(), Some(path.as_path()));
        }
        Err(e) => {
            prop_assert!(!plain, "binding {:?} failed: {}", path, e);
            prop_assert_ne!(e.kind(), io::ErrorKind::InvalidInput);
        }
    }
    Ok(())
}

fn path_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Mostly ordinary names, to exercise the success path.
        proptest::collection::vec(b'a'..=b'z', 0..120),
        proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    #[cfg_attr(miri, ignore = "Miri does not emulate bind(2) on Unix sockets")]
    fn unix_listener_bind_arbitrary_paths(name in path_bytes()) {
        let dir = scratch_dir();
        let path = dir.join(OsStr::from_bytes(&name));
        let result = UnixListener::bind(&path);
        check_bind_result(&path, &name, result, |s| s.local_addr())?;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri does not emulate bind(2) on Unix sockets")]
    fn unix_datagram_bind_arbitrary_paths(name in path_bytes()) {
        let dir = scratch_dir();
        let path = dir.join(OsStr::from_bytes(&name));
        let result = UnixDatagram::bind(&path);
        check_bind_result(&path, &name, result, |s| s.local_addr())?;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[cfg_attr(miri, ignore = "Miri does not emulate bind(2) on Unix sockets")]
    fn abstract_names_round_trip(name in proptest::collection::vec(any::<u8>(), 1..=107)) {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::net::SocketAddr;

        let addr = SocketAddr::from_abstract_name(&name).unwrap();
        match UnixListener::bind_addr(&addr) {
            Ok(listener) => {
                let local = listener.local_addr().unwrap();
                prop_assert_eq!(local.as_abstract_name(), Some(&name[..]));
                // The name is now taken (per socket type: a datagram socket
                // may still bind it).
                let again = UnixListener::bind_addr(&addr);
                prop_assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AddrInUse);
            }
            // Another process may hold the same name: rare but legitimate.
            Err(e) => prop_assert_eq!(e.kind(), io::ErrorKind::AddrInUse),
        }
        match UnixDatagram::bind_addr(&addr) {
            Ok(socket) => {
                let local = socket.local_addr().unwrap();
                prop_assert_eq!(local.as_abstract_name(), Some(&name[..]));
            }
            Err(e) => prop_assert_eq!(e.kind(), io::ErrorKind::AddrInUse),
        }
    }
}
