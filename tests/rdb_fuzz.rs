//! Property and fuzz tests for the compact encodings an RDB file carries
//! (ziplist, listpack, zipmap, intset): the validating decoders must never
//! panic, never read out of bounds and never trust a length, whatever the
//! bytes; what they accept must be safe for the trusting walkers
//! (`ziplist_next`, `lp_prev`, ...), which are what the rest of the
//! server calls; and corrupting a valid blob where a length lives must be
//! refused.
//!
//! The inputs come from a small deterministic PRNG (splitmix64), so a run
//! is reproducible: a failure prints the case number and the input. For a
//! longer fuzzing session set `RDB_FUZZ_ROUNDS` (default 300, which keeps
//! CI fast) and `RDB_FUZZ_SEED` (mixed into each test's fixed seed), e.g.
//! `RDB_FUZZ_SEED=7 RDB_FUZZ_ROUNDS=20000 cargo test --release --test
//! rdb_fuzz`. An input that once broke
//! a decoder goes into `regression_corpus` below.
//!
//! The whole loader (`rdb_load_rio`) is fuzzed at the end of the file with
//! the `rdb` target of `tests/fuzz_harness`: RDB files written by a server
//! holding a random dataset, then damaged; what loads must digest, save
//! and load back the same. Its corpus is `tests/fuzz-corpus/rdb` (seeds
//! and every crash found), and `scripts/fuzz rdb [seconds]` runs it
//! without a bound (AFL++ when `cargo afl` is installed).

mod fuzz_harness;

use std::collections::VecDeque;

use oxredis::intset::{intset_validate_integrity, Intset};
use oxredis::listpack::*;
use oxredis::ziplist::*;
use oxredis::zipmap::*;

/// splitmix64: small, fast, and good enough to drive a fuzzer.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }

    fn byte(&mut self) -> u8 {
        self.next() as u8
    }

    /// A length near one of the boundaries the encodings care about
    /// (6/12/14 bit string lengths, the 254 prevlen limit, backlen steps).
    fn interesting_len(&mut self) -> usize {
        const EDGES: [usize; 9] = [0, 1, 63, 127, 250, 253, 4095, 16383, 16384];
        match self.below(4) {
            0 => {
                EDGES[self.below(EDGES.len() as u64) as usize]
                    + self.below(4) as usize
            }
            1 => self.below(300) as usize,
            _ => self.below(20) as usize,
        }
    }

    /// An element: often an integer in one of the encodings' ranges, as
    /// its canonical string (so the encoders store it as an integer),
    /// sometimes a near-integer that must stay a string.
    fn element(&mut self) -> Vec<u8> {
        const INTS: [i64; 16] = [
            0,
            12,
            13,
            127,
            128,
            -1,
            -128,
            -4096,
            4095,
            32767,
            -32769,
            8388607,
            -8388609,
            2147483647,
            i64::MIN,
            i64::MAX,
        ];
        match self.below(6) {
            0 => INTS[self.below(INTS.len() as u64) as usize]
                .to_string()
                .into_bytes(),
            1 => {
                (self.next() as i64 >> self.below(64)).to_string().into_bytes()
            }
            2 => format!("0{}", self.below(100)).into_bytes(), // not canonical
            _ => {
                let len = self.interesting_len();
                (0..len).map(|_| b'a' + (self.below(26) as u8)).collect()
            }
        }
    }

    /// The generator of one test: its fixed seed, mixed with
    /// `RDB_FUZZ_SEED` when set (to explore beyond the fixed cases).
    fn seeded(base: u64) -> Rng {
        let extra = std::env::var("RDB_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0u64);
        Rng(base ^ extra.wrapping_mul(0x2545_f491_4f6c_dd1d))
    }

    fn rounds() -> u64 {
        std::env::var("RDB_FUZZ_ROUNDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(300)
    }
}

/// Ways to damage a blob: every decoder must survive them all.
fn mutate(rng: &mut Rng, blob: &[u8]) -> Vec<u8> {
    let mut b = blob.to_vec();
    let n = 1 + rng.below(3);
    for _ in 0..n {
        if b.is_empty() {
            b.push(rng.byte());
            continue;
        }
        let at = rng.below(b.len() as u64) as usize;
        match rng.below(8) {
            0 => b[at] ^= 1 << rng.below(8),
            1 => b[at] = rng.byte(),
            2 => {
                b[at] =
                    [0x00, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, 0xfe, 0xff]
                        [rng.below(10) as usize]
            }
            3 => b.truncate(at),
            4 => {
                b.remove(at);
            }
            5 => b.insert(at, rng.byte()),
            6 => {
                // Overwrite a little-endian u32 with something large.
                let v = [u32::MAX, 1 << 31, 0x7fff_ffff, b.len() as u32 + 1]
                    [rng.below(4) as usize];
                for (i, x) in v.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = b.get_mut(at + i) {
                        *slot = *x;
                    }
                }
            }
            _ => {
                let extra = rng.below(8) as usize;
                b.extend((0..extra).map(|_| rng.byte()));
            }
        }
    }
    b
}

/// Makes the size field and the end byte agree with the length, so that
/// the mutation reaches the entry decoder instead of the header check.
fn fix_header(b: &mut [u8], size_at_start: bool) {
    if b.len() < 2 {
        return;
    }
    if let Some(last) = b.last_mut() {
        *last = 0xff;
    }
    if size_at_start && b.len() >= 4 {
        let n = b.len() as u32;
        b[0..4].copy_from_slice(&n.to_le_bytes());
    }
}

// ---------------------------------- ziplist ----------------------------------

/// A random ziplist built by pushes at both ends (head pushes exercise
/// the cascade update), with the strings it holds in order.
fn random_ziplist(rng: &mut Rng) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut zl = ziplist_new();
    let mut model: VecDeque<Vec<u8>> = VecDeque::new();
    for _ in 0..rng.below(24) {
        let e = rng.element();
        if rng.below(3) == 0 {
            assert!(ziplist_push(&mut zl, &e, ZIPLIST_HEAD));
            model.push_front(e);
        } else {
            assert!(ziplist_push(&mut zl, &e, ZIPLIST_TAIL));
            model.push_back(e);
        }
    }
    (zl, model.into())
}

/// What a ziplist that passed validation must give the trusting walkers:
/// the same entries forwards (ziplist_next), backwards (ziplist_prev) and
/// by index, and a length that matches.
fn check_accepted_ziplist(zl: &[u8], ctx: &str) {
    let entries: Vec<Vec<u8>> = match ziplist_entries(zl) {
        Ok(v) => v.iter().map(ZlValue::to_vec).collect(),
        Err(_) => return,
    };
    assert_eq!(ziplist_blob_len(zl), zl.len(), "{ctx}");
    assert_eq!(ziplist_len(zl) as usize, entries.len(), "{ctx}");
    let mut fwd = vec![];
    let mut p = ziplist_index(zl, 0);
    while let Some(q) = p {
        fwd.push(ziplist_get(zl, q).expect("an entry").to_vec());
        p = ziplist_next(zl, q);
    }
    assert_eq!(fwd, entries, "forward walk, {ctx}");
    let mut back = vec![];
    let mut p = zl.len() - 1;
    while let Some(q) = ziplist_prev(zl, p) {
        back.push(ziplist_get(zl, q).expect("an entry").to_vec());
        p = q;
    }
    back.reverse();
    assert_eq!(back, entries, "backward walk, {ctx}");
    for (i, e) in entries.iter().enumerate() {
        let p = ziplist_index(zl, -(i as i32) - 1).expect("negative index");
        assert_eq!(
            &ziplist_get(zl, p).expect("entry").to_vec(),
            &entries[entries.len() - 1 - i]
        );
        let p = ziplist_index(zl, i as i32).expect("index");
        assert_eq!(&ziplist_get(zl, p).expect("entry").to_vec(), e);
    }
    // Rebuilding from the values gives a ziplist with the same values.
    let rebuilt =
        ziplist_from_items(entries.iter().map(|e| &e[..])).expect("fits");
    let again: Vec<Vec<u8>> = ziplist_entries(&rebuilt)
        .expect("rebuilt is valid")
        .iter()
        .map(ZlValue::to_vec)
        .collect();
    assert_eq!(again, entries, "{ctx}");
    let _ = ziplist_pairs(zl);
}

#[test]
fn ziplist_round_trip_of_random_pushes() {
    let mut rng = Rng::seeded(0x5eed_0001);
    for case in 0..Rng::rounds() {
        let (zl, model) = random_ziplist(&mut rng);
        let got: Vec<Vec<u8>> = ziplist_entries(&zl)
            .unwrap_or_else(|e| {
                panic!("case {case}: built ziplist rejected: {e}")
            })
            .iter()
            .map(ZlValue::to_vec)
            .collect();
        assert_eq!(got, model, "case {case}");
        check_accepted_ziplist(&zl, &format!("case {case}"));
    }
}

#[test]
fn ziplist_mutations_never_panic_and_accepted_ones_walk() {
    let mut rng = Rng::seeded(0x5eed_0002);
    for case in 0..Rng::rounds() {
        let (zl, _) = random_ziplist(&mut rng);
        for m in 0..20 {
            let mut bad = mutate(&mut rng, &zl);
            if m % 2 == 1 {
                fix_header(&mut bad, true);
            }
            check_accepted_ziplist(
                &bad,
                &format!("case {case} mutation {m}: {bad:02x?}"),
            );
        }
    }
}

/// Random bytes behind a header that agrees with the size: the entry
/// decoder sees garbage from the first entry on.
#[test]
fn ziplist_random_bodies_never_panic() {
    let mut rng = Rng::seeded(0x5eed_0003);
    for case in 0..Rng::rounds() * 20 {
        let len = rng.below(40) as usize;
        let mut zl = vec![0u8; 10];
        zl.extend((0..len).map(|_| rng.byte()));
        zl.push(ZIP_END);
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        let tail = 10 + rng.below(len as u64 + 1) as u32;
        zl[4..8].copy_from_slice(&tail.to_le_bytes());
        zl[8..10].copy_from_slice(&(rng.below(4) as u16).to_le_bytes());
        check_accepted_ziplist(&zl, &format!("case {case}: {zl:02x?}"));
    }
}

/// The corruptions the issue names, on every entry of random ziplists:
/// truncation at every byte, a wrong total-bytes header, a wrong entry
/// count, a prevlen that lies, a missing end byte, a tail offset that
/// does not point at the last entry, a string length that grows.
#[test]
fn ziplist_targeted_corruptions_are_rejected() {
    let mut rng = Rng::seeded(0x5eed_0004);
    for case in 0..Rng::rounds() / 3 {
        let (zl, model) = random_ziplist(&mut rng);
        let ctx = format!("case {case}: {zl:02x?}");
        for cut in 0..zl.len() {
            assert!(
                ziplist_entries(&zl[..cut]).is_err(),
                "cut at {cut}, {ctx}"
            );
        }
        let mut b = zl.clone();
        b[0] ^= 1;
        assert!(ziplist_entries(&b).is_err(), "zlbytes, {ctx}");
        let mut b = zl.clone();
        *b.last_mut().expect("end") = 0;
        assert!(ziplist_entries(&b).is_err(), "end byte, {ctx}");
        let mut b = zl.clone();
        b[8] = b[8].wrapping_add(1);
        assert!(ziplist_entries(&b).is_err(), "zllen, {ctx}");
        if !model.is_empty() {
            let mut b = zl.clone();
            b[4] ^= 1;
            assert!(ziplist_entries(&b).is_err(), "zltail, {ctx}");
        }
        // Each entry's prevlen, and each string entry's length.
        let mut p = ziplist_index(&zl, 0);
        while let Some(q) = p {
            let mut b = zl.clone();
            b[q] ^= 1;
            assert!(ziplist_entries(&b).is_err(), "prevlen at {q}, {ctx}");
            let enc_at = q + if zl[q] == ZIP_BIG_PREVLEN { 5 } else { 1 };
            if zl[enc_at] < 0xc0 && zl[enc_at] & 0xc0 != 0x80 {
                // A 6 or 14 bit string length one larger.
                let mut b = zl.clone();
                let low =
                    if zl[enc_at] & 0xc0 == 0 { enc_at } else { enc_at + 1 };
                if b[low] & 0x3f != 0x3f || zl[enc_at] & 0xc0 != 0 {
                    b[low] = b[low].wrapping_add(1);
                    assert!(
                        ziplist_entries(&b).is_err(),
                        "string length at {enc_at}, {ctx}"
                    );
                }
            }
            p = ziplist_next(&zl, q);
        }
    }
}

// ---------------------------------- listpack ---------------------------------

fn random_listpack(rng: &mut Rng) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut lp = lp_new();
    let mut model: Vec<Vec<u8>> = vec![];
    for _ in 0..rng.below(24) {
        let e = rng.element();
        if model.is_empty() || rng.below(4) != 0 {
            assert!(lp_append(&mut lp, &e));
            model.push(e);
        } else {
            // Insert before a random element, or delete one.
            let i = rng.below(model.len() as u64) as usize;
            let p = lp_seek(&lp, i as i64).expect("in range");
            if rng.below(3) == 0 {
                lp_delete(&mut lp, p);
                model.remove(i);
            } else {
                lp_insert(&mut lp, Some(&e), p, LP_BEFORE).expect("fits");
                model.insert(i, e);
            }
        }
    }
    (lp, model)
}

fn check_accepted_listpack(lp: &[u8], ctx: &str) {
    let entries: Vec<Vec<u8>> = match lp_entries(lp) {
        Ok(v) => v.iter().map(LpValue::to_vec).collect(),
        Err(_) => return,
    };
    assert_eq!(lp_bytes(lp) as usize, lp.len(), "{ctx}");
    assert_eq!(lp_length(lp) as usize, entries.len(), "{ctx}");
    let mut back = vec![];
    let mut p = lp_last(lp);
    while let Some(q) = p {
        back.push(lp_get(lp, q).to_vec());
        p = lp_prev(lp, q);
    }
    back.reverse();
    assert_eq!(back, entries, "backward walk, {ctx}");
    for (i, e) in entries.iter().enumerate() {
        let p = lp_seek(lp, i as i64).expect("index");
        assert_eq!(&lp_get(lp, p).to_vec(), e, "{ctx}");
        let p = lp_seek(lp, -(i as i64) - 1).expect("negative index");
        assert_eq!(
            &lp_get(lp, p).to_vec(),
            &entries[entries.len() - 1 - i],
            "{ctx}"
        );
    }
    let _ = lp_pairs(lp);
}

#[test]
fn listpack_round_trip_of_random_edits() {
    let mut rng = Rng::seeded(0x5eed_0011);
    for case in 0..Rng::rounds() {
        let (lp, model) = random_listpack(&mut rng);
        let got: Vec<Vec<u8>> = lp_entries(&lp)
            .unwrap_or_else(|e| {
                panic!("case {case}: built listpack rejected: {e}")
            })
            .iter()
            .map(LpValue::to_vec)
            .collect();
        assert_eq!(got, model, "case {case}");
        check_accepted_listpack(&lp, &format!("case {case}"));
    }
}

#[test]
fn listpack_mutations_never_panic_and_accepted_ones_walk() {
    let mut rng = Rng::seeded(0x5eed_0012);
    for case in 0..Rng::rounds() {
        let (lp, _) = random_listpack(&mut rng);
        for m in 0..20 {
            let mut bad = mutate(&mut rng, &lp);
            if m % 2 == 1 {
                fix_header(&mut bad, true);
            }
            check_accepted_listpack(
                &bad,
                &format!("case {case} mutation {m}: {bad:02x?}"),
            );
        }
    }
}

#[test]
fn listpack_random_bodies_never_panic() {
    let mut rng = Rng::seeded(0x5eed_0013);
    for case in 0..Rng::rounds() * 20 {
        let len = rng.below(40) as usize;
        let mut lp = vec![0u8; 6];
        lp.extend((0..len).map(|_| rng.byte()));
        lp.push(LP_EOF);
        let n = lp.len() as u32;
        lp[0..4].copy_from_slice(&n.to_le_bytes());
        lp[4..6].copy_from_slice(&(rng.below(4) as u16).to_le_bytes());
        check_accepted_listpack(&lp, &format!("case {case}: {lp:02x?}"));
    }
}

#[test]
fn listpack_targeted_corruptions_are_rejected() {
    let mut rng = Rng::seeded(0x5eed_0014);
    for case in 0..Rng::rounds() / 3 {
        let (lp, _) = random_listpack(&mut rng);
        let ctx = format!("case {case}: {lp:02x?}");
        for cut in 0..lp.len() {
            assert!(lp_entries(&lp[..cut]).is_err(), "cut at {cut}, {ctx}");
        }
        let mut b = lp.clone();
        b[0] ^= 1;
        assert!(lp_entries(&b).is_err(), "total bytes, {ctx}");
        let mut b = lp.clone();
        *b.last_mut().expect("eof") = 0;
        assert!(lp_entries(&b).is_err(), "EOF byte, {ctx}");
        let mut b = lp.clone();
        b[4] = b[4].wrapping_add(1);
        assert!(lp_entries(&b).is_err(), "count, {ctx}");
        // Each element's backlen (its low bits, which always count).
        let mut p = lp_first(&lp);
        while let Some(q) = p {
            let next = lp_skip(&lp, q);
            for mask in [0x01u8, 0x02, 0x20] {
                let mut b = lp.clone();
                b[next - 1] ^= mask;
                assert!(
                    lp_entries(&b).is_err(),
                    "backlen before {next} ^ {mask}, {ctx}"
                );
            }
            p = lp_next(&lp, q);
        }
    }
}

// ----------------------------------- zipmap ----------------------------------

/// Key and value pairs in zipmap order.
type Model = Vec<(Vec<u8>, Vec<u8>)>;

fn random_zipmap(rng: &mut Rng) -> (Vec<u8>, Model) {
    let mut zm = zipmap_new();
    let mut model: Vec<(Vec<u8>, Vec<u8>)> = vec![];
    for _ in 0..1 + rng.below(16) {
        // Few distinct keys, so updates (and free bytes) and deletes happen.
        let key = format!("k{}", rng.below(8)).into_bytes();
        let key = if rng.below(8) == 0 {
            [key, vec![b'K'; 260]].concat()
        } else {
            key
        };
        if rng.below(5) == 0 {
            let had = zipmap_del(&mut zm, &key);
            let at = model.iter().position(|(k, _)| *k == key);
            assert_eq!(had, at.is_some());
            if let Some(at) = at {
                model.remove(at);
            }
        } else {
            let val = rng.element();
            let updated = zipmap_set(&mut zm, &key, &val);
            match model.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => {
                    assert!(updated);
                    slot.1 = val;
                }
                None => {
                    assert!(!updated);
                    model.push((key, val));
                }
            }
        }
    }
    (zm, model)
}

fn check_accepted_zipmap(zm: &[u8], ctx: &str) {
    let Ok(pairs) = zipmap_pairs(zm) else { return };
    // As in 7.0's zipmapValidateIntegrity(), the walk stops at the first
    // end byte: bytes after it are never read, so they are not refused.
    assert!(zipmap_blob_len(zm) <= zm.len(), "{ctx}");
    assert_eq!(zipmap_len(zm) as usize, pairs.len(), "{ctx}");
    for (k, v) in &pairs {
        assert_eq!(zipmap_get(zm, k), Some(*v), "{ctx}");
    }
}

#[test]
fn zipmap_round_trip_and_mutations() {
    let mut rng = Rng::seeded(0x5eed_0021);
    for case in 0..Rng::rounds() {
        let (zm, model) = random_zipmap(&mut rng);
        let got: Vec<(Vec<u8>, Vec<u8>)> = match zipmap_pairs(&zm) {
            Ok(p) => p.iter().map(|(k, v)| (k.to_vec(), v.to_vec())).collect(),
            // Only an empty zipmap is refused (as by Redis 7.0).
            Err(e) => {
                assert!(model.is_empty(), "case {case}: {e}");
                continue;
            }
        };
        assert_eq!(got, model, "case {case}");
        check_accepted_zipmap(&zm, &format!("case {case}"));
        for m in 0..20 {
            let mut bad = mutate(&mut rng, &zm);
            if m % 2 == 1 {
                fix_header(&mut bad, false);
            }
            check_accepted_zipmap(
                &bad,
                &format!("case {case} mutation {m}: {bad:02x?}"),
            );
        }
        for cut in 0..zm.len() {
            assert!(
                zipmap_pairs(&zm[..cut]).is_err(),
                "case {case}: cut at {cut}"
            );
        }
    }
}

/// Random bytes between the count byte and the end byte, with length
/// prefixes (0xfe and its 4 bytes) planted often.
#[test]
fn zipmap_random_bodies_never_panic() {
    let mut rng = Rng::seeded(0x5eed_0022);
    for case in 0..Rng::rounds() * 20 {
        // 254 means "count unknown", which C does not check.
        let mut zm = vec![[0, 1, 2, 254][rng.below(4) as usize]];
        for _ in 0..rng.below(12) {
            match rng.below(4) {
                0 => zm.extend([
                    0xfe,
                    rng.below(300) as u8,
                    rng.below(2) as u8,
                    0,
                    0,
                ]),
                1 => zm.push(rng.below(8) as u8),
                _ => zm.push(rng.byte()),
            }
        }
        zm.push(ZIPMAP_END);
        check_accepted_zipmap(&zm, &format!("case {case}: {zm:02x?}"));
    }
}

// ----------------------------------- intset ----------------------------------

#[test]
fn intset_round_trip_and_mutations() {
    let mut rng = Rng::seeded(0x5eed_0031);
    for case in 0..Rng::rounds() {
        let mut is = Intset::intset_new();
        let mut model = std::collections::BTreeSet::new();
        let bits = [8, 16, 20, 33, 64][rng.below(5) as usize];
        for _ in 0..1 + rng.below(30) {
            let v = (rng.next() as i64) >> (64 - bits);
            is.intset_add(v);
            model.insert(v);
        }
        let blob = is.as_blob().to_vec();
        intset_validate_integrity(&blob, true)
            .unwrap_or_else(|e| panic!("case {case}: {e}"));
        let back = Intset::from_blob(blob.clone().into()).expect("valid");
        assert_eq!(
            back.iter().collect::<Vec<_>>(),
            model.iter().copied().collect::<Vec<_>>()
        );
        for cut in 0..blob.len() {
            assert!(
                intset_validate_integrity(&blob[..cut], true).is_err(),
                "case {case} cut {cut}"
            );
        }
        let mut b = blob.clone();
        b[4] = b[4].wrapping_add(1); // length
        assert!(intset_validate_integrity(&b, false).is_err());
        let mut b = blob.clone();
        b[0] = 3; // encoding
        assert!(intset_validate_integrity(&b, false).is_err());
        if model.len() > 1 {
            // Swap the first two records: out of order.
            let enc = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]])
                as usize;
            let mut b = blob.clone();
            let first = b[8..8 + enc].to_vec();
            b.copy_within(8 + enc..8 + 2 * enc, 8);
            b[8 + enc..8 + 2 * enc].copy_from_slice(&first);
            assert!(
                intset_validate_integrity(&b, false).is_ok(),
                "shallow does not sort"
            );
            assert!(
                intset_validate_integrity(&b, true).is_err(),
                "case {case}: unsorted"
            );
        }
        for _ in 0..20 {
            let bad = mutate(&mut rng, &blob);
            if intset_validate_integrity(&bad, true).is_ok() {
                let is = Intset::from_blob(bad.into())
                    .expect("validated blobs load");
                let v: Vec<i64> = is.iter().collect();
                assert!(v.windows(2).all(|w| w[0] < w[1]), "case {case}");
            }
        }
    }
}

// ------------------------------ regression corpus ----------------------------

/// Inputs that once made a decoder misbehave, kept so they never do again.
/// Each must be rejected without a panic.
#[test]
fn regression_corpus() {
    // A listpack 32 bit string whose length, added to its 5 header bytes
    // in C's uint32_t, wraps to 2: C would then believe a 2 byte element
    // and read 4 GB past it in lpGet(). Here sizes are u64.
    let lp = [0x0d, 0, 0, 0, 1, 0, 0xf0, 0xfd, 0xff, 0xff, 0xff, 0x02, 0xff];
    assert!(lp_entries(&lp).is_err());
    // A ziplist whose first entry has a 5 byte prevlen pointing 4 GB back.
    let zl = [
        0x11, 0, 0, 0, 0x0a, 0, 0, 0, 1, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xf1,
        0xff,
    ];
    assert!(ziplist_entries(&zl).is_err());
    // A zipmap whose 5 byte key length would move a C pointer past the
    // end of the address space.
    let zm = [1, 0xfe, 0xff, 0xff, 0xff, 0xff, 0, 0, 0xff];
    assert!(zipmap_pairs(&zm).is_err());
    // Found by ziplist_mutations_never_panic_and_accepted_ones_walk: an
    // empty ziplist whose tail offset points into the header passed 7.0's
    // checks, and ziplist_prev() from the end byte then decoded the
    // header as an entry and stepped before the start of the buffer.
    let zl = [0x0b, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0xff];
    assert!(ziplist_validate_integrity(&zl, true, None).is_err());
    assert!(
        ziplist_validate_integrity(&zl, false, None).is_ok(),
        "shallow is C's"
    );
    // Found by zipmap_round_trip_and_mutations (RDB_FUZZ_SEED=6): a key
    // length written in 5 bytes (0xfe prefix) but holding 3 passed 7.0's
    // checks, which size it by its first byte, while zipmapNext() sizes it
    // by its value and read the key from inside the length bytes.
    let zm = [1, 0xfe, 3, 0, 0, 0, b'k', b'e', b'y', 1, 0, b'v', 0xff];
    assert!(zipmap_validate_integrity(&zm, true).is_err());
    let zm = [1, 3, b'k', b'e', b'y', 0xfe, 1, 0, 0, 0, 0, b'v', 0xff];
    assert!(zipmap_validate_integrity(&zm, true).is_err());
}

// ------------------------------ the whole loader -----------------------------

#[test]
fn rdb_loader_corpus_replays() {
    fuzz_harness::replay_corpus(&fuzz_harness::RDB);
}

/// Bounded run of the loader target: `RDB_FUZZ_ROUNDS` (default 300)
/// times 200 files, seed from `RDB_FUZZ_SEED`.
#[test]
fn rdb_loader_mutations_never_panic_and_accepted_files_round_trip() {
    let seed = Rng::seeded(0x5244_424c).next();
    let n = Rng::rounds() * 200;
    let start = std::time::Instant::now();
    let done = fuzz_harness::mutation_run(&fuzz_harness::RDB, seed, |i| i >= n);
    eprintln!(
        "rdb fuzz: {done} files, seed {seed}, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

/// The unbounded loader run behind `scripts/fuzz rdb` when AFL++ is not
/// there: `FUZZ_SECONDS` (default 60), `RDB_FUZZ_SEED`.
#[test]
#[ignore]
fn rdb_loader_fuzz_unbounded() {
    use std::time::{Duration, Instant};
    let secs: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let seed = Rng::seeded(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    )
    .next();
    eprintln!("rdb fuzz: seed {seed}, {secs} s");
    let start = Instant::now();
    let mut last = Instant::now();
    let total = fuzz_harness::mutation_run(&fuzz_harness::RDB, seed, |n| {
        if n % 256 == 0 && last.elapsed() >= Duration::from_secs(10) {
            last = Instant::now();
            let s = start.elapsed().as_secs_f64();
            eprintln!("rdb: {n} execs, {:.0} execs/s", n as f64 / s);
        }
        start.elapsed() >= Duration::from_secs(secs)
    });
    let s = start.elapsed().as_secs_f64();
    eprintln!(
        "rdb: total {total} executions in {s:.0} s, {:.0} execs/s",
        total as f64 / s
    );
}
