//! Differential scenario runner: see `run.rs`. Unix only (it checks each
//! backend against poll(2) on the same descriptors); elsewhere it builds to
//! an empty program.

#[cfg(unix)]
mod run;
#[cfg(unix)]
mod sources;

fn main() {
    #[cfg(unix)]
    run::main();
}
