//! The byte streams the soak sends and the checks made on what arrives.
//!
//! Each direction of each connection carries its own deterministic stream:
//! byte `p` is a pure function of (run seed, connection id, direction, `p`),
//! so a receiver computes what it must see at any offset without any state
//! from the sender, and every byte is compared in order. Lost, duplicated,
//! reordered or corrupted bytes show up as a mismatch at a known offset; the
//! error message says which of those it looks like.
//!
//! A stream ends with a trailer of [`TRAILER_LEN`] bytes: the stream's length
//! and a position-sensitive checksum of all its bytes, both as computed by
//! the sender over what its `write` calls actually accepted. The receiver
//! holds back the last [`TRAILER_LEN`] bytes it has seen (they might be the
//! trailer) and checks the trailer at end-of-file, which catches a stream
//! cut short at the end and, independently of the byte comparison, any bug
//! in the verifier itself.

use std::fmt;

/// Bytes the client sends first on each connection: magic, then its id.
pub const HEADER_LEN: usize = 8;
/// "SOAK", little-endian, at the start of the header.
pub const HEADER_MAGIC: u32 = 0x4b41_4f53;
/// Length then checksum, both little-endian `u64`.
pub const TRAILER_LEN: usize = 16;
/// Largest single read or write the soak issues.
pub const MAX_IO: usize = 64 * 1024;

/// The two streams of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ClientToServer => "client->server",
            Direction::ServerToClient => "server->client",
        })
    }
}

/// The splitmix64 output function: a bijective 64-bit mixer.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// One stream's contents: word `k` is `mix(key + k * GOLDEN)`, its bytes in
/// little-endian order are stream bytes `8k .. 8k + 8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    key: u64,
}

impl Pattern {
    pub fn new(run_seed: u64, conn: u32, dir: Direction) -> Pattern {
        let lane: u64 = match dir {
            Direction::ClientToServer => 0xc2,
            Direction::ServerToClient => 0x2c,
        };
        Pattern {
            key: mix(run_seed ^ mix((u64::from(conn) << 8) | lane)),
        }
    }

    fn word(&self, index: u64) -> u64 {
        mix(self.key.wrapping_add(index.wrapping_mul(GOLDEN)))
    }

    pub fn byte_at(&self, pos: u64) -> u8 {
        (self.word(pos / 8) >> (8 * (pos % 8))) as u8
    }

    /// Writes stream bytes `pos .. pos + out.len()` into `out`.
    pub fn fill(&self, pos: u64, out: &mut [u8]) {
        let mut p = pos;
        let mut start = 0;
        while start < out.len() && p & 7 != 0 {
            out[start] = self.byte_at(p);
            start += 1;
            p += 1;
        }
        let mut words = out[start..].chunks_exact_mut(8);
        for chunk in &mut words {
            chunk.copy_from_slice(&self.word(p / 8).to_le_bytes());
            p += 8;
        }
        for byte in words.into_remainder() {
            *byte = self.byte_at(p);
            p += 1;
        }
    }

    /// Whether `data` equals the stream at `pos`.
    fn matches_at(&self, pos: u64, data: &[u8]) -> bool {
        data.iter()
            .enumerate()
            .all(|(i, &b)| self.byte_at(pos + i as u64) == b)
    }
}

/// A Fletcher-style running checksum: sensitive to every byte's value and
/// to its position, so a reordering changes it as well.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    a: u64,
    b: u64,
}

impl Checksum {
    pub fn update(&mut self, data: &[u8]) {
        let (mut a, mut b) = (self.a, self.b);
        for &x in data {
            // +1 so that zero bytes move the sum too.
            a = a.wrapping_add(u64::from(x) + 1);
            b = b.wrapping_add(a);
        }
        self.a = a;
        self.b = b;
    }

    pub fn value(&self) -> u64 {
        self.a ^ self.b.rotate_left(32).wrapping_mul(GOLDEN)
    }
}

/// The sending side of one stream.
#[derive(Debug)]
pub struct Outgoing {
    pattern: Pattern,
    pos: u64,
    sum: Checksum,
    trailer: Option<[u8; TRAILER_LEN]>,
    trailer_sent: usize,
}

impl Outgoing {
    pub fn new(pattern: Pattern) -> Outgoing {
        Outgoing {
            pattern,
            pos: 0,
            sum: Checksum::default(),
            trailer: None,
            trailer_sent: 0,
        }
    }

    /// Stream bytes sent (accepted by `write`) so far, trailer excluded.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The next `len` stream bytes, generated into `buf`.
    pub fn next_chunk<'a>(&self, len: usize, buf: &'a mut [u8]) -> &'a [u8] {
        let chunk = &mut buf[..len];
        self.pattern.fill(self.pos, chunk);
        chunk
    }

    /// Records that `data` (a prefix of the last chunk) was written.
    pub fn advance(&mut self, data: &[u8]) {
        assert!(self.trailer.is_none(), "stream data after the trailer");
        self.sum.update(data);
        self.pos += data.len() as u64;
    }

    /// Ends the stream: from now on only the trailer is sent.
    pub fn finish(&mut self) {
        if self.trailer.is_none() {
            let mut t = [0u8; TRAILER_LEN];
            t[..8].copy_from_slice(&self.pos.to_le_bytes());
            t[8..].copy_from_slice(&self.sum.value().to_le_bytes());
            self.trailer = Some(t);
        }
    }

    pub fn is_finished(&self) -> bool {
        self.trailer.is_some()
    }

    /// What is left of the trailer to send (empty before `finish`).
    pub fn trailer_left(&self) -> &[u8] {
        match &self.trailer {
            Some(t) => &t[self.trailer_sent..],
            None => &[],
        }
    }

    pub fn trailer_advance(&mut self, n: usize) {
        self.trailer_sent += n;
        assert!(self.trailer_sent <= TRAILER_LEN);
    }
}

/// The receiving side of one stream: compares every byte with the pattern.
#[derive(Debug)]
pub struct Incoming {
    pattern: Pattern,
    dir: Direction,
    conn: u32,
    /// Stream bytes verified so far.
    pos: u64,
    sum: Checksum,
    /// The last bytes seen, not yet verified: they may be the trailer.
    hold: [u8; TRAILER_LEN],
    hold_len: usize,
}

impl Incoming {
    pub fn new(run_seed: u64, conn: u32, dir: Direction) -> Incoming {
        Incoming {
            pattern: Pattern::new(run_seed, conn, dir),
            dir,
            conn,
            pos: 0,
            sum: Checksum::default(),
            hold: [0; TRAILER_LEN],
            hold_len: 0,
        }
    }

    /// Stream bytes verified so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Whether any byte has arrived.
    pub fn received_any(&self) -> bool {
        self.pos > 0 || self.hold_len > 0
    }

    /// Copies the held-back bytes to the front of `buf` and returns how many;
    /// the caller reads new data into `buf` right after them and passes the
    /// whole to [`accept`](Incoming::accept).
    pub fn stage(&self, buf: &mut [u8]) -> usize {
        buf[..self.hold_len].copy_from_slice(&self.hold[..self.hold_len]);
        self.hold_len
    }

    /// Takes `buf` (staged bytes plus new ones), verifies all but the last
    /// [`TRAILER_LEN`] bytes and holds those back. `expect` is scratch space
    /// at least as long as `buf`.
    pub fn accept(&mut self, buf: &[u8], expect: &mut [u8]) -> Result<(), String> {
        let verify = buf.len().saturating_sub(TRAILER_LEN);
        let (data, tail) = buf.split_at(verify);
        if !data.is_empty() {
            let expected = &mut expect[..data.len()];
            self.pattern.fill(self.pos, expected);
            if data != &expected[..] {
                let at = data
                    .iter()
                    .zip(expected.iter())
                    .position(|(a, b)| a != b)
                    .expect("slices differ");
                return Err(self.mismatch(at, buf));
            }
            self.sum.update(data);
            self.pos += data.len() as u64;
        }
        self.hold[..tail.len()].copy_from_slice(tail);
        self.hold_len = tail.len();
        Ok(())
    }

    /// End-of-file: the held-back bytes must be a trailer that agrees with
    /// what was verified.
    pub fn finish(&self) -> Result<(), String> {
        if self.hold_len < TRAILER_LEN {
            return Err(format!(
                "connection {} {}: end-of-file after {} verified bytes with only {} \
                 trailer bytes (stream cut short or trailer lost)",
                self.conn, self.dir, self.pos, self.hold_len
            ));
        }
        if self.pattern.matches_at(self.pos, &self.hold) {
            return Err(format!(
                "connection {} {}: end-of-file after {} bytes without a trailer: the \
                 sender closed in the middle of the stream",
                self.conn,
                self.dir,
                self.pos + TRAILER_LEN as u64
            ));
        }
        let len = u64::from_le_bytes(self.hold[..8].try_into().unwrap());
        let sum = u64::from_le_bytes(self.hold[8..].try_into().unwrap());
        if len != self.pos {
            return Err(format!(
                "connection {} {}: the sender wrote {} bytes but {} arrived \
                 ({} bytes lost{})",
                self.conn,
                self.dir,
                len,
                self.pos,
                len as i128 - self.pos as i128,
                if len < self.pos {
                    ": more arrived than sent"
                } else {
                    ""
                }
            ));
        }
        if sum != self.sum.value() {
            return Err(format!(
                "connection {} {}: checksum mismatch over {} bytes: sender {:#018x}, \
                 receiver {:#018x}",
                self.conn,
                self.dir,
                len,
                sum,
                self.sum.value()
            ));
        }
        Ok(())
    }

    /// Describes a mismatch at `buf[at]` (stream offset `pos + at`).
    fn mismatch(&self, at: usize, buf: &[u8]) -> String {
        let offset = self.pos + at as u64;
        let got = &buf[at..buf.len().min(at + 32)];
        let expected = self.pattern.byte_at(offset);
        format!(
            "connection {} {}: wrong byte at stream offset {}: got {:#04x}, expected {:#04x}; {}",
            self.conn,
            self.dir,
            offset,
            got[0],
            expected,
            diagnose(&self.pattern, offset, got)
        )
    }
}

/// How far around a mismatch to look for where the received bytes belong.
const SEARCH: u64 = 1 << 20;

/// Guesses what went wrong at `offset`, where `got` (the bytes received from
/// there on) stopped matching: a skip forward means bytes were lost, a match
/// earlier in the stream means bytes were duplicated or reordered.
fn diagnose(pattern: &Pattern, offset: u64, got: &[u8]) -> String {
    if got.len() < 8 {
        return format!(
            "only {} bytes to compare from there: corrupted, lost or reordered",
            got.len()
        );
    }
    let probe = &got[..got.len().min(16)];
    for d in 1..=SEARCH {
        if pattern.matches_at(offset + d, probe) {
            return format!(
                "the data continues at offset {}: {} bytes lost",
                offset + d,
                d
            );
        }
        if d <= offset && pattern.matches_at(offset - d, probe) {
            return format!(
                "the data is that of offset {}: bytes duplicated or reordered ({} bytes back)",
                offset - d,
                d
            );
        }
    }
    format!(
        "no match within {} bytes either way: corrupted data (first bytes {:02x?})",
        SEARCH, probe
    )
}

/// A small, fast, seeded generator (splitmix64) for sizes.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// An I/O size from 1 to [`MAX_IO`], log-uniform: as many sizes around
    /// 1 byte as around 64 KiB, so tiny and huge writes both happen often.
    pub fn io_size(&mut self) -> usize {
        let bits = self.below(17) as u32; // 2^0 ..= 2^16
        if bits == 0 {
            1
        } else {
            let low = 1u64 << (bits - 1);
            (low + 1 + self.below(low)) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: u64 = 0x1234_5678_9abc_def0;

    /// A whole stream of `len` bytes plus its trailer, as a sender makes it.
    fn sent_stream(len: usize) -> Vec<u8> {
        let mut out = Outgoing::new(Pattern::new(SEED, 7, Direction::ClientToServer));
        let mut buf = vec![0u8; MAX_IO];
        let mut wire = Vec::new();
        let mut rng = Rng::new(1);
        while wire.len() < len {
            let size = rng.io_size().min(len - wire.len());
            let chunk = out.next_chunk(size, &mut buf);
            // A partial write: only part of the chunk is accepted.
            let accepted = 1 + rng.below(size as u64) as usize;
            wire.extend_from_slice(&chunk[..accepted]);
            out.advance(&chunk[..accepted]);
        }
        out.finish();
        wire.extend_from_slice(out.trailer_left());
        wire
    }

    /// Feeds `wire` to a receiver in reads of random sizes; returns the
    /// first error.
    fn receive(wire: &[u8], seed: u64) -> Result<(), String> {
        let mut inc = Incoming::new(SEED, 7, Direction::ClientToServer);
        let mut buf = vec![0u8; MAX_IO + TRAILER_LEN];
        let mut expect = vec![0u8; MAX_IO + TRAILER_LEN];
        let mut rng = Rng::new(seed);
        let mut rest = wire;
        while !rest.is_empty() {
            let n = rng.io_size().min(rest.len());
            let h = inc.stage(&mut buf);
            buf[h..h + n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
            inc.accept(&buf[..h + n], &mut expect)?;
        }
        inc.finish()
    }

    #[test]
    fn fill_agrees_with_byte_at_at_every_alignment() {
        let p = Pattern::new(SEED, 3, Direction::ServerToClient);
        for start in 0..20u64 {
            for len in 0..40usize {
                let mut buf = vec![0u8; len];
                p.fill(start, &mut buf);
                for (i, &b) in buf.iter().enumerate() {
                    assert_eq!(b, p.byte_at(start + i as u64));
                }
            }
        }
    }

    #[test]
    fn streams_differ_by_connection_and_direction() {
        let mut a = [0u8; 64];
        let mut b = [0u8; 64];
        Pattern::new(SEED, 1, Direction::ClientToServer).fill(0, &mut a);
        Pattern::new(SEED, 2, Direction::ClientToServer).fill(0, &mut b);
        assert_ne!(a, b);
        Pattern::new(SEED, 1, Direction::ServerToClient).fill(0, &mut b);
        assert_ne!(a, b);
        Pattern::new(SEED + 1, 1, Direction::ClientToServer).fill(0, &mut b);
        assert_ne!(a, b);
    }

    #[test]
    fn intact_streams_pass_whatever_the_chunking() {
        for (len, seed) in [(0, 1), (1, 2), (15, 3), (16, 4), (17, 5), (300_000, 6)] {
            let wire = sent_stream(len);
            assert_eq!(wire.len(), len + TRAILER_LEN);
            receive(&wire, seed).unwrap();
        }
    }

    #[test]
    fn lost_bytes_are_caught() {
        let mut wire = sent_stream(100_000);
        wire.drain(5_000..5_010);
        let err = receive(&wire, 9).unwrap_err();
        assert!(
            err.contains("offset 5000") && err.contains("10 bytes lost"),
            "{err}"
        );
    }

    #[test]
    fn duplicated_bytes_are_caught() {
        let mut wire = sent_stream(100_000);
        let copy = wire[40_000..40_100].to_vec();
        wire.splice(40_100..40_100, copy);
        let err = receive(&wire, 10).unwrap_err();
        assert!(
            err.contains("offset 40100") && err.contains("duplicated or reordered"),
            "{err}"
        );
    }

    #[test]
    fn reordered_bytes_are_caught() {
        let mut wire = sent_stream(100_000);
        let (a, b) = wire[60_000..60_400].split_at_mut(200);
        a.swap_with_slice(b);
        let err = receive(&wire, 11).unwrap_err();
        assert!(
            err.contains("offset 60000") && err.contains("200 bytes lost"),
            "{err}"
        );
    }

    #[test]
    fn corrupted_bytes_are_caught() {
        let mut wire = sent_stream(100_000);
        wire[77_777] ^= 0x10;
        let err = receive(&wire, 12).unwrap_err();
        assert!(err.contains("offset 77777"), "{err}");
    }

    #[test]
    fn a_lost_tail_is_caught_by_the_trailer() {
        let mut wire = sent_stream(10_000);
        let end = wire.len() - TRAILER_LEN;
        wire.drain(end - 5..end);
        let err = receive(&wire, 13).unwrap_err();
        assert!(err.contains("wrote 10000 bytes but 9995 arrived"), "{err}");
    }

    #[test]
    fn a_missing_trailer_is_caught() {
        let mut wire = sent_stream(10_000);
        wire.truncate(wire.len() - 3);
        assert!(receive(&wire, 14).is_err());
        assert!(receive(&[], 15).unwrap_err().contains("cut short"));
    }

    #[test]
    fn a_stream_cut_without_trailer_is_named_so() {
        let mut wire = sent_stream(10_000);
        wire.truncate(wire.len() - TRAILER_LEN - 100);
        let err = receive(&wire, 17).unwrap_err();
        assert!(err.contains("without a trailer"), "{err}");
    }

    #[test]
    fn a_checksum_mismatch_is_caught() {
        let mut wire = sent_stream(10_000);
        let n = wire.len();
        wire[n - 1] ^= 1;
        assert!(receive(&wire, 16).unwrap_err().contains("checksum"));
    }

    #[test]
    fn io_sizes_cover_the_whole_range() {
        let mut rng = Rng::new(5);
        let (mut min, mut max) = (usize::MAX, 0);
        for _ in 0..100_000 {
            let s = rng.io_size();
            assert!((1..=MAX_IO).contains(&s));
            min = min.min(s);
            max = max.max(s);
        }
        assert_eq!(min, 1);
        assert!(max > MAX_IO - 1024);
    }
}
