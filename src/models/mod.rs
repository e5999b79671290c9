//! Loom models (`--cfg loom`, run by `scripts/loom.sh`) of the code that
//! routes its synchronisation through `crate::sync`.
//!
//! * `channel`: senders, the receiver and disconnection, on the real
//!   `mio::channel` types with the descriptor replaced by a flag.
//! * The signal table's models live next to it, in
//!   `sys/unix/signal/table.rs`, because the table is private to that
//!   module.
//! * The `Waker`'s coalescing flag (`sys/unix/waker`): its model goes in a
//!   `waker` module here once the flag routes its atomics through
//!   `crate::sync`: "a wake after the poller cleared the flag always
//!   reaches the descriptor; wakes while it is set write nothing".

#[cfg(feature = "channel")]
mod channel;

/// Runs `f` under loom with a preemption bound (3 unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise), so that every model finishes in
/// seconds while still covering every interleaving with up to that many
/// forced switches.
#[allow(dead_code)]
pub(crate) fn check<F>(f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}
