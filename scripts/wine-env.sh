#!/usr/bin/env bash
# Makes this Linux machine able to build for x86_64-pc-windows-gnu and run
# the result under wine, then prints the environment to `eval`:
#
#   eval "$(scripts/wine-env.sh)"
#   cargo test --target x86_64-pc-windows-gnu
#
# Installs (as root, with apt) the mingw-w64 cross compiler and wine if they
# are missing, adds the Rust target, creates the wine prefix, and gives
# wine 8 the one export Rust's Windows std needs that it lacks:
# `ProcessPrng` in bcryptprimitives.dll, here a tiny DLL forwarding to
# advapi32's RtlGenRandom. Safe to run again: every step checks first.
set -euo pipefail

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || missing+=(gcc-mingw-w64-x86-64)
command -v wine >/dev/null 2>&1 || missing+=(wine64)
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1

prefix="${WINEPREFIX:-$HOME/.wine}"
if [ ! -d "$prefix/drive_c/windows/system32" ]; then
    WINEDEBUG=-all WINEPREFIX="$prefix" wineboot --init >/dev/null 2>&1 || true
fi

shim="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ]; then
    src=$(mktemp -d)
    cat >"$src/shim.c" <<'C'
#include <windows.h>
/* advapi32's RtlGenRandom, exported under this name. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `buf` with `len` random bytes, in pieces RtlGenRandom accepts. */
BOOL WINAPI ProcessPrng(PBYTE buf, SIZE_T len) {
    for (;;) {
        if (len == 0) return TRUE;
        ULONG piece = len < 0x40000000 ? (ULONG)len : 0x40000000;
        if (!SystemFunction036(buf, piece)) return FALSE;
        buf += piece;
        len -= piece;
    }
}
C
    printf 'LIBRARY bcryptprimitives\nEXPORTS\n    ProcessPrng\n' >"$src/shim.def"
    x86_64-w64-mingw32-gcc -O2 -shared "$src/shim.c" "$src/shim.def" -ladvapi32 -o "$shim"
    rm -rf "$src"
fi

echo "export WINEDEBUG=-all"
echo "export WINEPREFIX=$prefix"
echo "export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc"
echo "export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine"
