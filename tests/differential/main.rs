//! Differential scenario runner: see `run.rs`. Linux only (it checks each
//! backend against poll(2) on the same descriptors, with Linux's POLLRDHUP
//! and socket queue ioctls; the backends it compares all run on Linux);
//! elsewhere it builds to an empty program.

#[cfg(target_os = "linux")]
mod run;
#[cfg(target_os = "linux")]
mod sources;

fn main() {
    #[cfg(target_os = "linux")]
    run::main();
}
