//! Telling wine from Windows, for the few tests that check behaviour wine
//! does not reproduce (each use names the behaviour).

/// Whether this Windows program runs under wine: wine's ntdll exports
/// `wine_get_version`, Windows' does not.
#[cfg(windows)]
pub fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    let name: Vec<u16> = "ntdll.dll".encode_utf16().chain(Some(0)).collect();
    // SAFETY: `name` is NUL-terminated; ntdll is loaded in every process and
    // its handle is not freed; the symbol name is NUL-terminated.
    unsafe {
        let ntdll = GetModuleHandleW(name.as_ptr());
        !ntdll.is_null() && GetProcAddress(ntdll, b"wine_get_version\0".as_ptr()).is_some()
    }
}

/// Not Windows, so not wine either.
#[cfg(not(windows))]
pub fn under_wine() -> bool {
    false
}
