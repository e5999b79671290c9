//! The errors of misused registrations, shared by every source on every
//! platform (the portable `IoSource` and the Windows sources that track
//! their registration themselves), so that each case reads the same
//! everywhere.
//!
//! | case | kind |
//! |------|------|
//! | `register` of a source already registered | `AlreadyExists` |
//! | `reregister`/`deregister` through a `Registry` of another `Poll` | `AlreadyExists` |
//! | `reregister`/`deregister` of a source not registered | `NotFound` |

// Builds without any source (only `os-poll`) use none of this.
#![allow(dead_code)]

use std::io;

/// `register` of a source that is already registered (with any `Poll`).
pub(crate) fn already_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "I/O source already registered with a `Registry`",
    )
}

/// `reregister` or `deregister` through a `Registry` of another `Poll`
/// than the one the source is registered with.
pub(crate) fn registered_elsewhere() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "I/O source already registered with a different `Registry`",
    )
}

/// `reregister` or `deregister` of a source that is not registered.
pub(crate) fn not_registered() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "I/O source not registered with `Registry`",
    )
}

/// Checks a `reregister` or `deregister` through the selector `id` of a
/// source registered with the selector `current` (0: not registered).
/// Selector ids are never 0.
pub(crate) fn check(current: usize, id: usize) -> io::Result<()> {
    if current == 0 {
        Err(not_registered())
    } else if current != id {
        Err(registered_elsewhere())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_tells_the_cases_apart() {
        assert!(check(3, 3).is_ok());
        let err = check(0, 3).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert_eq!(err.to_string(), "I/O source not registered with `Registry`");
        let err = check(4, 3).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            err.to_string(),
            "I/O source already registered with a different `Registry`"
        );
        let err = already_registered();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(
            err.to_string(),
            "I/O source already registered with a `Registry`"
        );
    }
}
