//! Properties of building and parsing `sockaddr_un`: every path and name
//! either round-trips or is refused with `InvalidInput`, and parsing any
//! bytes with any length the kernel might report never panics and never
//! reads past what the length allows.

use std::path::Path;

use proptest::prelude::*;

use super::*;

fn room() -> usize {
    RawAddr::unnamed().addr.sun_path.len()
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(b'a'..=b'z', 0..max),
        proptest::collection::vec(any::<u8>(), 0..max),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 2 } else { 2000 }))]

    #[test]
    fn paths_round_trip_or_are_refused(path in bytes(130)) {
        let result = RawAddr::from_path(Path::new(OsStr::from_bytes(&path)));
        let fits = !path.contains(&0) && path.len() < room();
        prop_assert_eq!(result.is_ok(), fits);
        match result {
            Err(e) => prop_assert_eq!(e.kind(), io::ErrorKind::InvalidInput),
            Ok(raw) if path.is_empty() => {
                prop_assert_eq!(raw.len() as usize, path_offset(&raw.addr));
                prop_assert!(matches!(raw.to_std(), Parsed::Unnamed));
            }
            Ok(raw) => {
                prop_assert_eq!(raw.len() as usize, path_offset(&raw.addr) + path.len() + 1);
                match raw.to_std() {
                    Parsed::Named(addr) => {
                        let back = addr.as_pathname().map(|p| p.as_os_str().as_bytes().to_vec());
                        prop_assert_eq!(back, Some(path.clone()));
                        // And back again through `from_std`.
                        let again = RawAddr::from_std(&addr).unwrap();
                        prop_assert_eq!(again.len(), raw.len());
                    }
                    _ => prop_assert!(false, "a valid path did not parse back"),
                }
            }
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn abstract_names_round_trip_or_are_refused(name in bytes(130)) {
        let result = RawAddr::from_abstract(&name);
        prop_assert_eq!(result.is_ok(), name.len() < room());
        if let Ok(raw) = result {
            prop_assert_eq!(raw.len() as usize, path_offset(&raw.addr) + 1 + name.len());
            match raw.to_std() {
                Parsed::Named(addr) => {
                    prop_assert_eq!(addr.as_abstract_name(), Some(&name[..]));
                    let again = RawAddr::from_std(&addr).unwrap();
                    prop_assert_eq!(again.len(), raw.len());
                }
                _ => prop_assert!(false, "a valid abstract name did not parse back"),
            }
        }
    }

    /// Whatever the kernel wrote and whatever length it reported (up to
    /// more than the struct holds, as after truncation).
    #[test]
    fn parsing_kernel_output_is_total(raw_bytes in proptest::collection::vec(any::<u8>(), 0..=108), extra in 0usize..24, cut in any::<prop::sample::Index>()) {
        let mut raw = RawAddr::unnamed();
        for (dst, src) in raw.addr.sun_path.iter_mut().zip(&raw_bytes) {
            *dst = *src as libc::c_char;
        }
        let offset = path_offset(&raw.addr);
        let max = mem::size_of::<libc::sockaddr_un>() + extra;
        let len = cut.index(max + 1);
        raw.len = len as libc::socklen_t;
        let mut path = [0u8; 256];
        for (dst, src) in path.iter_mut().zip(raw.addr.sun_path.iter()) {
            *dst = src.to_ne_bytes()[0];
        }
        let used = &path[..len.saturating_sub(offset).min(raw.addr.sun_path.len())];
        match raw.to_std() {
            Parsed::Unnamed => prop_assert!(used.is_empty() || used[0] == 0 && !cfg!(target_os = "linux")),
            Parsed::Named(addr) => {
                if let Some(p) = addr.as_pathname() {
                    let p = p.as_os_str().as_bytes();
                    prop_assert!(!p.contains(&0));
                    prop_assert!(used.starts_with(p), "path beyond the reported length");
                } else {
                    #[cfg(any(target_os = "linux", target_os = "android"))]
                    prop_assert_eq!(addr.as_abstract_name(), Some(&used[1..]));
                }
            }
            Parsed::Unknown => {}
        }
    }
}
