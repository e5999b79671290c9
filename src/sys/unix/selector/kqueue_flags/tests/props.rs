//! Properties of the change lists and receipt judgement against a model of
//! the kernel's per-descriptor filter table, for every system's numbers.
//!
//! The model: a descriptor has a set of filters. With `EV_RECEIPT` every
//! change gets a receipt with `EV_ERROR` set and `data` 0 on success; an
//! add inserts (or updates) its filter; a delete of a filter that is not
//! there fails with `ENOENT`. Faults can be injected into any change (the
//! change then does nothing and its receipt carries the errno).

use std::fmt::Debug;

use proptest::prelude::*;

use super::*;

#[derive(Clone, Copy, Debug)]
enum Op {
    Register(Interest),
    Reregister(Interest),
    Deregister,
}

fn interest() -> impl Strategy<Value = Interest> {
    prop_oneof![
        Just(Interest::READABLE),
        Just(Interest::WRITABLE),
        Just(Interest::READABLE | Interest::WRITABLE),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        interest().prop_map(Op::Register),
        interest().prop_map(Op::Reregister),
        Just(Op::Deregister),
    ]
}

/// Errnos a kevent receipt can carry; `None` is success.
fn fault() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        6 => Just(None),
        1 => prop_oneof![
            Just(libc::ENOENT),
            Just(libc::EPIPE),
            Just(libc::EBADF),
            Just(libc::ENOMEM),
            Just(libc::EINVAL),
        ]
        .prop_map(Some),
    ]
}

fn filters_of<F: Int, L: Int>(c: &Consts<F, L>, interests: Interest) -> Vec<F> {
    let mut out = Vec::new();
    if interests.is_readable() {
        out.push(c.filt_read);
    }
    if interests.is_writable() {
        out.push(c.filt_write);
    }
    out
}

fn same_set<F: PartialEq>(a: &[F], b: &[F]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}

/// Runs `ops` through the selector's flag logic and the model kernel;
/// checks the change lists, the outcome of each call and the resulting
/// filter set.
fn check_sequence<F, L>(c: Consts<F, L>, ops: &[(Op, [Option<i32>; MAX_CHANGES])])
where
    F: Int + Debug,
    L: Int + Debug,
{
    let mut kernel: Vec<F> = Vec::new();
    for (op, faults) in ops {
        let changes = match op {
            Op::Register(i) => c.register(*i),
            Op::Reregister(i) => c.reregister(*i),
            Op::Deregister => c.deregister(),
        };
        let list = changes.as_slice();
        // The shape of every change list.
        assert!(list.len() <= MAX_CHANGES);
        for (k, change) in list.iter().enumerate() {
            assert!(has(change.flags, c.ev_receipt), "{op:?}: no EV_RECEIPT");
            let add = has(change.flags, c.ev_add);
            let delete = has(change.flags, c.ev_delete);
            assert!(add != delete, "{op:?}: add and delete in one change");
            assert_eq!(
                add,
                has(change.flags, c.ev_clear),
                "{op:?}: add without EV_CLEAR"
            );
            assert!(change.filter == c.filt_read || change.filter == c.filt_write);
            assert!(
                list[..k].iter().all(|other| other.filter != change.filter),
                "{op:?}: one filter twice"
            );
        }

        // The kernel applies each change and writes its receipt.
        let before = kernel.clone();
        let mut outcomes = Vec::new();
        let mut expected_error = None;
        for (change, fault) in list.iter().zip(faults) {
            let add = has(change.flags, c.ev_add);
            let errno = match fault {
                Some(errno) => Some(*errno),
                None if add => {
                    if !kernel.contains(&change.filter) {
                        kernel.push(change.filter);
                    }
                    None
                }
                None => match kernel.iter().position(|&f| f == change.filter) {
                    Some(at) => {
                        kernel.remove(at);
                        None
                    }
                    None => Some(libc::ENOENT),
                },
            };
            let outcome = c.judge(change, c.ev_error, errno.map_or(0, i64::from));
            // What the outcome must be, from first principles.
            let wanted = match errno {
                None => Outcome::Applied,
                Some(libc::ENOENT) if !add => Outcome::NotRegistered,
                Some(libc::EPIPE) if add && change.filter == c.filt_write => Outcome::Applied,
                Some(errno) => Outcome::Failed(errno),
            };
            assert_eq!(outcome, wanted, "{op:?} {change:?} errno {errno:?}");
            if let (None, Outcome::Failed(errno)) = (expected_error, outcome) {
                expected_error = Some(errno);
            }
            outcomes.push(outcome);
        }
        let deregistering = matches!(op, Op::Deregister);
        let result = settle(&outcomes, deregistering);
        let injected = faults[..list.len()].iter().any(Option::is_some);
        match expected_error {
            Some(errno) => assert_eq!(result, Err(errno), "{op:?}"),
            None if deregistering && outcomes.iter().all(|o| *o == Outcome::NotRegistered) => {
                assert_eq!(result, Err(libc::ENOENT), "{op:?}: nothing to deregister");
            }
            None => assert_eq!(result, Ok(()), "{op:?} {outcomes:?}"),
        }
        if injected {
            // A failed call leaves an unknown mix; start again from what
            // the kernel has.
            continue;
        }
        // Without faults, the filter set is what the call promised.
        match op {
            Op::Register(i) => {
                let mut want = before.clone();
                for f in filters_of(&c, *i) {
                    if !want.contains(&f) {
                        want.push(f);
                    }
                }
                assert!(same_set(&kernel, &want), "{op:?}: {kernel:?}");
            }
            Op::Reregister(i) => {
                assert!(same_set(&kernel, &filters_of(&c, *i)), "{op:?}: {kernel:?}");
            }
            Op::Deregister => {
                assert!(kernel.is_empty(), "{op:?}: {kernel:?}");
                assert_eq!(result.is_err(), before.is_empty(), "{op:?}");
            }
        }
    }
}

/// Any receipt: without `EV_ERROR`, or with data 0, the change applied;
/// otherwise the errno decides, and data that is no errno is an error.
fn check_receipt<F: Int + Debug, L: Int + Debug>(c: Consts<F, L>, error: bool, data: i64) {
    for change in c
        .register(Interest::READABLE | Interest::WRITABLE)
        .as_slice()
        .iter()
        .chain(c.deregister().as_slice())
    {
        let flags = if error {
            c.ev_error | c.ev_receipt
        } else {
            c.ev_receipt
        };
        let outcome = c.judge(change, flags, data);
        if !error || data == 0 {
            assert_eq!(outcome, Outcome::Applied);
            continue;
        }
        match i32::try_from(data) {
            Err(_) => assert_eq!(outcome, Outcome::Failed(libc::EIO)),
            Ok(libc::ENOENT) if has(change.flags, c.ev_delete) => {
                assert_eq!(outcome, Outcome::NotRegistered)
            }
            Ok(libc::EPIPE) if change.filter == c.filt_write && has(change.flags, c.ev_add) => {
                assert_eq!(outcome, Outcome::Applied)
            }
            Ok(errno) => assert_eq!(outcome, Outcome::Failed(errno)),
        }
    }
}

/// What an event says follows its filter and flags only.
fn check_event<F: Int + Debug, L: Int + Debug>(
    c: Consts<F, L>,
    which: usize,
    bits: u8,
    fflags: u32,
) {
    let filters = [
        Some(c.filt_read),
        Some(c.filt_write),
        c.filt_user,
        c.filt_aio,
        c.filt_lio,
    ];
    let filter = match filters[which % filters.len()] {
        Some(filter) => filter,
        None => return,
    };
    let mut flags = L::default();
    for (k, bit) in [
        c.ev_add,
        c.ev_delete,
        c.ev_clear,
        c.ev_receipt,
        c.ev_eof,
        c.ev_error,
    ]
    .into_iter()
    .enumerate()
    {
        if bits & (1 << k) != 0 {
            flags = flags | bit;
        }
    }
    let eof = has(flags, c.ev_eof);
    assert!(!(c.is_readable(filter) && c.is_writable(filter)));
    assert_eq!(
        c.is_read_closed(filter, flags),
        filter == c.filt_read && eof
    );
    assert_eq!(
        c.is_write_closed(filter, flags),
        filter == c.filt_write && eof
    );
    assert_eq!(
        c.is_error(flags, fflags),
        has(flags, c.ev_error) || (eof && fflags != 0)
    );
    assert!(c.filter_name(filter).is_some());
    assert_eq!(
        c.flag_names(flags).count(),
        bits.count_ones() as usize,
        "{flags:?}"
    );
}

fn sequences() -> impl Strategy<Value = Vec<(Op, [Option<i32>; MAX_CHANGES])>> {
    prop::collection::vec((op(), [fault(), fault()]), 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 2 } else { 2000 }))]

    #[test]
    fn change_lists_follow_the_model(ops in sequences()) {
        check_sequence(FREEBSD, &ops);
        check_sequence(MACOS, &ops);
        check_sequence(NETBSD, &ops);
    }

    #[test]
    fn receipts_are_judged_by_errno(error in any::<bool>(), data in prop_oneof![
        Just(0i64),
        Just(i64::from(libc::ENOENT)),
        Just(i64::from(libc::EPIPE)),
        1i64..200,
        any::<i64>(),
    ]) {
        check_receipt(FREEBSD, error, data);
        check_receipt(NETBSD, error, data);
    }

    #[test]
    fn event_accessors_follow_filter_and_flags(which in 0usize..5, bits in 0u8..64, fflags in any::<u32>()) {
        check_event(FREEBSD, which, bits, fflags);
        check_event(MACOS, which, bits, fflags);
        check_event(NETBSD, which, bits, fflags);
    }
}
