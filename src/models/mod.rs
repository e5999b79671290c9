//! Loom models (`--cfg loom`, run by `scripts/loom.sh`) of the code that
//! routes its synchronisation through `crate::sync`.
//!
//! * `channel`: senders, the receiver and disconnection, on the real
//!   `mio::channel` types with the descriptor replaced by a flag.
//! * The signal table's models live next to it, in
//!   `sys/unix/signal/table.rs`, because the table is private to that
//!   module.
//! * `wake_flag`: the `Waker`s' coalescing flags (`sys/wake_flag.rs`) with
//!   the descriptor replaced by a flag: no wake is lost (after a wake
//!   returned, some poll sees a signal after which the waking thread's
//!   writes are visible), and a pending wake of one `Waker` never swallows
//!   another's.

#[cfg(feature = "channel")]
mod channel;
#[cfg(feature = "os-poll")]
mod wake_flag;

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
