//! The poll(2) selector's registration table: one slot per registered
//! descriptor, a `pollfd` array kept in step with it, and a map from
//! descriptor to slot.
//!
//! Plain data, no system calls: the caller identifies descriptors (`fstat`)
//! before taking the lock and passes the result in, and the checks that
//! need to look at a descriptor again take a function that does it. That
//! keeps the table testable against a model with made-up files, on every
//! host (`selector/mod.rs` compiles it in tests even where another selector
//! is in use).
//!
//! Slot 0 is the selector's wake descriptor. Registering appends;
//! deregistering is a swap-remove plus one map update; nothing here scans
//! the table except `adopt_orphans`, which runs only while there are
//! orphans.

use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;

use crate::Token;

/// The type of `pollfd.events` and `pollfd.revents`.
pub(super) type Flags = libc::c_short;

/// How a registration is turned into events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// An `IoSource`: edge emulation, re-armed by `WouldBlock`.
    Edge,
    /// Anything registered through the plain `register` (`SourceFd`).
    Level,
    /// A `Waker`'s descriptor: level, drained when reported.
    Waker,
    /// The selector's own wake descriptor, slot 0; never reported.
    Wake,
}

/// Which file a descriptor number referred to when it was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ident {
    pub(super) dev: libc::dev_t,
    pub(super) ino: libc::ino_t,
}

/// One registered descriptor.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) fd: RawFd,
    pub(super) token: Token,
    /// The events the registration asked for.
    pub(super) interests: Flags,
    /// The subset currently polled for.
    pub(super) armed: Flags,
    /// Out of the poll set after a reported hang-up or error (edge mode).
    pub(super) parked: bool,
    /// Out of the poll set since its owner was dropped, until the next
    /// `select` call checks whether the descriptor is still open.
    pub(super) orphan: bool,
    pub(super) mode: Mode,
    pub(super) ident: Ident,
    /// Tells this registration apart from a later one of the same number.
    pub(super) serial: u64,
}

impl Entry {
    /// What this entry asks poll(2) for.
    pub(super) fn pollfd(&self) -> libc::pollfd {
        libc::pollfd {
            // poll(2) skips negative descriptors.
            fd: if self.parked || self.orphan {
                -1
            } else {
                self.fd
            },
            events: self.armed,
            revents: 0,
        }
    }
}

/// Whether a dropped source's entry is removed at once instead of becoming
/// an orphan. On WASI it is: there the only sources that own a registration
/// are the crate's sockets, whose descriptor is closed with them (or handed
/// to a standard library type, which no mio call could deregister), and
/// `fstat` cannot tell one socket from another (every socket has the same
/// identity), so an orphan's number reused by a new socket would be taken
/// for the same file: adopted under the old token, and the new socket's
/// registration refused with `EEXIST`.
pub(super) const RELEASE_REMOVES: bool = cfg!(target_os = "wasi");

pub(super) struct Table {
    /// `pollfds[i]` is what `entries[i]` currently asks poll(2) for.
    pub(super) pollfds: Vec<libc::pollfd>,
    pub(super) entries: Vec<Entry>,
    /// Descriptor -> slot, for every slot but 0.
    slots: HashMap<RawFd, usize>,
    next_serial: u64,
    /// How many entries are orphans.
    orphans: usize,
    /// `pollfds` changed since `clean` was last called (the poller's copy
    /// is out of date).
    dirty: bool,
}

impl Table {
    /// A table holding only the wake descriptor (which may be -1: none).
    pub(super) fn new(wake_fd: RawFd) -> Table {
        let wake = Entry {
            fd: wake_fd,
            token: Token(usize::MAX),
            interests: libc::POLLIN,
            armed: libc::POLLIN,
            parked: false,
            orphan: false,
            mode: Mode::Wake,
            ident: Ident { dev: 0, ino: 0 },
            serial: 0,
        };
        Table {
            pollfds: vec![wake.pollfd()],
            entries: vec![wake],
            slots: HashMap::new(),
            next_serial: 1,
            orphans: 0,
            dirty: false,
        }
    }

    /// Whether the poll set changed since the last call; the poller calls it
    /// when it copies `pollfds`, registrations to decide whether to wake it.
    pub(super) fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Registers `fd`, which is the file `ident`; returns the registration's
    /// serial. `EEXIST` if that file is registered already. An entry of the
    /// same number for another file is stale (closed without being
    /// deregistered, number reused) and is replaced.
    pub(super) fn insert(
        &mut self,
        fd: RawFd,
        token: Token,
        interests: Flags,
        mode: Mode,
        ident: Ident,
    ) -> io::Result<u64> {
        if let Some(slot) = self.slots.get(&fd).copied() {
            if self.entries[slot].ident == ident {
                return Err(io::Error::from_raw_os_error(libc::EEXIST));
            }
            self.remove(slot);
        }
        let serial = self.next_serial;
        self.next_serial += 1;
        self.push(Entry {
            fd,
            token,
            interests,
            armed: interests,
            parked: false,
            orphan: false,
            mode,
            ident,
            serial,
        });
        Ok(serial)
    }

    /// Gives `fd` (now the file `ident`, or not open) a new token and
    /// interests, armed afresh; an orphan is adopted.
    pub(super) fn reregister(
        &mut self,
        fd: RawFd,
        token: Token,
        interests: Flags,
        ident: io::Result<Ident>,
    ) -> io::Result<()> {
        let slot = self.live_slot(fd, ident)?;
        self.adopt(slot);
        let entry = &mut self.entries[slot];
        entry.token = token;
        entry.interests = interests;
        entry.armed = interests;
        entry.parked = false;
        self.sync(slot);
        Ok(())
    }

    /// Ends the registration of `fd` (now the file `ident`, or not open).
    pub(super) fn deregister(&mut self, fd: RawFd, ident: io::Result<Ident>) -> io::Result<()> {
        let slot = self.live_slot(fd, ident)?;
        self.remove(slot);
        Ok(())
    }

    /// The slot of a registered, still open `fd`, after epoll's checks:
    /// the identification's error (`EBADF` for a closed descriptor, `EPERM`
    /// for a file), `ENOENT` for one that is not registered. A stale entry
    /// found on the way (the number names another file now, or nothing) is
    /// removed.
    fn live_slot(&mut self, fd: RawFd, ident: io::Result<Ident>) -> io::Result<usize> {
        match (self.slots.get(&fd).copied(), ident) {
            (Some(slot), Ok(ident)) if self.entries[slot].ident == ident => Ok(slot),
            (Some(slot), ident) => {
                self.remove(slot);
                Err(ident.err().unwrap_or_else(not_found))
            }
            (None, ident) => Err(ident.err().unwrap_or_else(not_found)),
        }
    }

    /// The owner of registration `serial` of `fd` is gone. A waker's entry
    /// is removed; on WASI every entry is (see `RELEASE_REMOVES`); any other
    /// becomes an orphan (out of the poll set until `adopt_orphans` settles
    /// it). Whether the registration was found.
    pub(super) fn release(&mut self, fd: RawFd, serial: u64) -> bool {
        let Some(slot) = self.slot_of(fd, serial) else {
            return false;
        };
        if self.entries[slot].mode == Mode::Waker || RELEASE_REMOVES {
            self.remove(slot);
        } else if !self.entries[slot].orphan {
            self.entries[slot].orphan = true;
            self.orphans += 1;
            self.sync(slot);
        }
        true
    }

    fn push(&mut self, entry: Entry) {
        self.slots.insert(entry.fd, self.entries.len());
        self.pollfds.push(entry.pollfd());
        self.entries.push(entry);
        self.dirty = true;
    }

    /// Swap-removes `slot`: the last entry moves into it.
    pub(super) fn remove(&mut self, slot: usize) {
        debug_assert!(slot > 0, "the wake descriptor is never removed");
        let entry = self.entries.swap_remove(slot);
        self.pollfds.swap_remove(slot);
        self.slots.remove(&entry.fd);
        if entry.orphan {
            self.orphans -= 1;
        }
        if let Some(moved) = self.entries.get(slot) {
            if let Some(index) = self.slots.get_mut(&moved.fd) {
                *index = slot;
            }
        }
        self.dirty = true;
    }

    /// Copies `entries[slot]`'s state into its `pollfd`.
    pub(super) fn sync(&mut self, slot: usize) {
        self.pollfds[slot] = self.entries[slot].pollfd();
        self.dirty = true;
    }

    /// The slot of the registration `serial` of `fd`, if it still exists.
    pub(super) fn slot_of(&self, fd: RawFd, serial: u64) -> Option<usize> {
        let slot = *self.slots.get(&fd)?;
        (self.entries[slot].serial == serial).then_some(slot)
    }

    /// The current slot of `fd`, which was at `hint` when the poller copied
    /// the table.
    pub(super) fn find(&self, fd: RawFd, hint: usize) -> Option<usize> {
        match self.entries.get(hint) {
            Some(entry) if entry.fd == fd && entry.mode != Mode::Wake => Some(hint),
            _ => self.slots.get(&fd).copied(),
        }
    }

    /// poll(2) said `POLLNVAL`: the descriptor was closed. Drop the entry,
    /// unless the number was meanwhile registered again for the same file
    /// (`identify` says which file a number is now).
    pub(super) fn closed(&mut self, slot: usize, identify: impl Fn(RawFd) -> io::Result<Ident>) {
        let entry = self.entries[slot];
        match identify(entry.fd) {
            Ok(ident) if ident == entry.ident => {}
            _ => self.remove(slot),
        }
    }

    /// Takes an orphan back into the poll set, level-triggered: nothing
    /// re-arms it any more.
    fn adopt(&mut self, slot: usize) {
        let entry = &mut self.entries[slot];
        if entry.orphan {
            entry.orphan = false;
            entry.mode = Mode::Level;
            entry.armed = entry.interests;
            entry.parked = false;
            self.orphans -= 1;
            self.sync(slot);
        }
    }

    /// Settles the orphans: removed if their descriptor was closed (or its
    /// number reused), adopted if it is still the same open file. Scans the
    /// table only when there are orphans, which takes a dropped source.
    pub(super) fn adopt_orphans(&mut self, identify: impl Fn(RawFd) -> io::Result<Ident>) {
        let mut slot = 1;
        while self.orphans > 0 && slot < self.entries.len() {
            let entry = self.entries[slot];
            if !entry.orphan {
                slot += 1;
            } else if identify(entry.fd).ok() == Some(entry.ident) {
                self.adopt(slot);
                slot += 1;
            } else {
                // The last entry moves into `slot`: look at it next.
                self.remove(slot);
            }
        }
    }

    /// Panics unless the slots, the map, the `pollfd`s and the orphan count
    /// agree.
    #[cfg(test)]
    fn check(&self) {
        assert_eq!(self.entries.len(), self.pollfds.len());
        assert_eq!(self.entries[0].mode, Mode::Wake);
        assert_eq!(self.slots.len(), self.entries.len() - 1);
        for (slot, entry) in self.entries.iter().enumerate() {
            let pfd = entry.pollfd();
            let have = self.pollfds[slot];
            assert_eq!((have.fd, have.events), (pfd.fd, pfd.events), "slot {slot}");
            if slot > 0 {
                assert_eq!(self.slots.get(&entry.fd), Some(&slot), "fd {}", entry.fd);
                assert_ne!(entry.mode, Mode::Wake);
            }
        }
        let orphans = self.entries.iter().filter(|e| e.orphan).count();
        assert_eq!(orphans, self.orphans);
    }
}

fn not_found() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOENT)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    fn ident(ino: u32) -> Ident {
        Ident {
            dev: 1,
            ino: ino.into(),
        }
    }

    fn entry(fd: RawFd) -> Entry {
        Entry {
            fd,
            token: Token(fd as usize),
            interests: libc::POLLIN,
            armed: libc::POLLIN,
            parked: false,
            orphan: false,
            mode: Mode::Level,
            ident: ident(fd as u32),
            serial: fd as u64,
        }
    }

    #[test]
    fn swap_remove_keeps_the_map_in_step() {
        let mut table = Table::new(100);
        for fd in 10..14 {
            table.push(entry(fd));
        }
        table.remove(table.slots[&11]);
        table.check();
        assert_eq!(table.entries.len(), 4);
        assert_eq!(table.find(13, 2), Some(2), "moved into the freed slot");
        assert_eq!(table.find(11, 2), None);
        assert_eq!(table.slot_of(12, 12), Some(table.slots[&12]));
        assert_eq!(table.slot_of(12, 99), None, "another registration");
        // Slot 0 is the wake descriptor, never found as a user entry.
        assert_eq!(table.find(100, 0), None);
    }

    fn errno(result: io::Result<impl Sized>) -> Option<i32> {
        result.err().map(|err| err.raw_os_error().unwrap())
    }

    #[test]
    fn registering_a_reused_number_replaces_the_stale_entry() {
        let mut table = Table::new(-1);
        let one = table
            .insert(5, Token(1), libc::POLLIN, Mode::Edge, ident(1))
            .unwrap();
        assert_eq!(
            errno(table.insert(5, Token(2), libc::POLLIN, Mode::Edge, ident(1))),
            Some(libc::EEXIST)
        );
        let two = table
            .insert(5, Token(2), libc::POLLOUT, Mode::Edge, ident(2))
            .unwrap();
        table.check();
        assert_eq!(table.slot_of(5, one), None);
        let slot = table.slot_of(5, two).unwrap();
        assert_eq!(table.entries[slot].token, Token(2));
        // The first owner letting go does not touch the new registration.
        assert!(!table.release(5, one));
        assert!(!table.entries[slot].orphan);
    }

    #[test]
    fn stale_entries_are_dropped_by_reregister_and_deregister() {
        let mut table = Table::new(-1);
        table
            .insert(5, Token(1), libc::POLLIN, Mode::Level, ident(1))
            .unwrap();
        let ebadf = || Err(io::Error::from_raw_os_error(libc::EBADF));
        assert_eq!(
            errno(table.reregister(5, Token(1), libc::POLLIN, ebadf())),
            Some(libc::EBADF)
        );
        assert_eq!(errno(table.deregister(5, Ok(ident(1)))), Some(libc::ENOENT));
        table.check();
        assert_eq!(table.entries.len(), 1);
    }

    /// One step of a random sequence of table operations. Descriptor numbers
    /// come from a small range so that they collide and get reused.
    #[derive(Clone, Debug)]
    enum Op {
        /// The number `fd` now names a new file (closing whatever it named).
        Open(RawFd),
        /// `fd` is closed.
        Close(RawFd),
        Register {
            fd: RawFd,
            token: usize,
            interests: Flags,
            edge: bool,
        },
        Reregister {
            fd: RawFd,
            token: usize,
            interests: Flags,
        },
        Deregister(RawFd),
        /// The source that owns `fd`'s current registration is dropped.
        Release(RawFd),
        /// A `select` call settles the orphans.
        Settle,
        /// poll(2) reported `POLLNVAL` for `fd`.
        Invalid(RawFd),
    }

    fn op() -> impl Strategy<Value = Op> {
        let fd = 3..9 as RawFd;
        let interests = prop_oneof![
            Just(libc::POLLIN),
            Just(libc::POLLOUT),
            Just(libc::POLLIN | libc::POLLOUT),
        ];
        prop_oneof![
            2 => fd.clone().prop_map(Op::Open),
            1 => fd.clone().prop_map(Op::Close),
            4 => (fd.clone(), 0..4usize, interests.clone(), any::<bool>())
                .prop_map(|(fd, token, interests, edge)| Op::Register { fd, token, interests, edge }),
            2 => (fd.clone(), 0..4usize, interests)
                .prop_map(|(fd, token, interests)| Op::Reregister { fd, token, interests }),
            2 => fd.clone().prop_map(Op::Deregister),
            2 => fd.clone().prop_map(Op::Release),
            1 => Just(Op::Settle),
            1 => fd.prop_map(Op::Invalid),
        ]
    }

    /// What the table should hold for one descriptor number.
    #[derive(Clone, Copy, Debug)]
    struct Expected {
        token: Token,
        interests: Flags,
        mode: Mode,
        ident: Ident,
        serial: u64,
        orphan: bool,
    }

    /// The model: which file each number names, and the registrations.
    #[derive(Default)]
    struct Model {
        files: HashMap<RawFd, Ident>,
        next_ino: u32,
        registered: HashMap<RawFd, Expected>,
    }

    impl Model {
        fn identify(&self, fd: RawFd) -> io::Result<Ident> {
            self.files
                .get(&fd)
                .copied()
                .ok_or_else(|| io::Error::from_raw_os_error(libc::EBADF))
        }

        /// The model's answer for reregister/deregister: the entry if it is
        /// live, else the error, dropping a stale entry.
        fn live(&mut self, fd: RawFd) -> Result<(), i32> {
            let ident = self.identify(fd);
            match (self.registered.get(&fd), ident) {
                (Some(e), Ok(ident)) if e.ident == ident => Ok(()),
                (Some(_), ident) => {
                    self.registered.remove(&fd);
                    Err(ident
                        .err()
                        .map_or(libc::ENOENT, |e| e.raw_os_error().unwrap()))
                }
                (None, ident) => Err(ident
                    .err()
                    .map_or(libc::ENOENT, |e| e.raw_os_error().unwrap())),
            }
        }
    }

    fn run(ops: &[Op]) {
        let mut table = Table::new(100);
        let mut model = Model::default();
        for op in ops {
            match *op {
                Op::Open(fd) => {
                    model.next_ino += 1;
                    model.files.insert(fd, ident(model.next_ino));
                }
                Op::Close(fd) => {
                    model.files.remove(&fd);
                }
                Op::Register {
                    fd,
                    token,
                    interests,
                    edge,
                } => {
                    let mode = if edge { Mode::Edge } else { Mode::Level };
                    let got = match model.identify(fd) {
                        Ok(id) => table.insert(fd, Token(token), interests, mode, id),
                        Err(err) => Err(err),
                    };
                    match (model.identify(fd), model.registered.get(&fd)) {
                        (Err(_), _) => assert_eq!(errno(got), Some(libc::EBADF)),
                        (Ok(id), Some(e)) if e.ident == id => {
                            assert_eq!(errno(got), Some(libc::EEXIST))
                        }
                        (Ok(id), _) => {
                            let serial = got.expect("register");
                            let expected = Expected {
                                token: Token(token),
                                interests,
                                mode,
                                ident: id,
                                serial,
                                orphan: false,
                            };
                            model.registered.insert(fd, expected);
                        }
                    }
                }
                Op::Reregister {
                    fd,
                    token,
                    interests,
                } => {
                    let got = table.reregister(fd, Token(token), interests, model.identify(fd));
                    match model.live(fd) {
                        Ok(()) => {
                            got.expect("reregister");
                            let e = model.registered.get_mut(&fd).unwrap();
                            e.token = Token(token);
                            e.interests = interests;
                            if e.orphan {
                                e.orphan = false;
                                e.mode = Mode::Level;
                            }
                        }
                        Err(code) => assert_eq!(errno(got), Some(code)),
                    }
                }
                Op::Deregister(fd) => {
                    let got = table.deregister(fd, model.identify(fd));
                    match model.live(fd) {
                        Ok(()) => {
                            got.expect("deregister");
                            model.registered.remove(&fd);
                        }
                        Err(code) => assert_eq!(errno(got), Some(code)),
                    }
                }
                Op::Release(fd) => {
                    let Some(e) = model.registered.get_mut(&fd) else {
                        // Nobody owns a registration of this number: an
                        // old serial finds nothing.
                        assert!(!table.release(fd, u64::MAX));
                        continue;
                    };
                    assert!(table.release(fd, e.serial));
                    if RELEASE_REMOVES {
                        model.registered.remove(&fd);
                    } else {
                        e.orphan = true;
                    }
                }
                Op::Settle => {
                    table.adopt_orphans(|fd| model.identify(fd));
                    let files = &model.files;
                    model.registered.retain(|fd, e| {
                        if !e.orphan {
                            return true;
                        }
                        if files.get(fd) == Some(&e.ident) {
                            e.orphan = false;
                            e.mode = Mode::Level;
                            true
                        } else {
                            false
                        }
                    });
                }
                Op::Invalid(fd) => {
                    let Some(slot) = table.find(fd, 1) else {
                        assert!(!model.registered.contains_key(&fd));
                        continue;
                    };
                    table.closed(slot, |fd| model.identify(fd));
                    let e = model.registered[&fd];
                    if model.files.get(&fd) != Some(&e.ident) {
                        model.registered.remove(&fd);
                    }
                }
            }
            table.check();
            compare(&table, &model);
        }
    }

    fn compare(table: &Table, model: &Model) {
        assert_eq!(table.entries.len() - 1, model.registered.len());
        for (&fd, e) in &model.registered {
            let slot = table.slot_of(fd, e.serial).expect("registered");
            assert_eq!(table.find(fd, 0), Some(slot));
            let got = &table.entries[slot];
            assert_eq!(got.token, e.token, "fd {fd}");
            assert_eq!(got.interests, e.interests, "fd {fd}");
            assert_eq!(got.mode, e.mode, "fd {fd}");
            assert_eq!(got.ident, e.ident, "fd {fd}");
            assert_eq!(got.orphan, e.orphan, "fd {fd}");
            let pfd = table.pollfds[slot];
            assert_eq!(pfd.fd, if e.orphan { -1 } else { fd }, "fd {fd}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 2 } else { 2000 }))]

        #[test]
        fn table_matches_a_model(ops in proptest::collection::vec(op(), 0..60)) {
            run(&ops);
        }
    }
}
