//! The LZF compressor RDB uses for strings longer than 20 bytes: a fast
//! LZ77 variant with a hash table of the last position of each 3-byte
//! sequence. Its output is byte for byte liblzf's, so our dumps compress
//! exactly as Redis's do.
//!
//! Ports lzf_c.c of the liblzf (API 1.5) that Redis 5.0.14 bundles, built
//! as Redis builds it (VERY_FAST, HLOG 16). The decompressor, lzf_d.c, is
//! the `lzf` crate's `decompress`, as DESIGN.md has it. This module shares
//! the crate's name: write the crate as `::lzf` where both are in scope.

// ------------------------- lzf_c.c: the compressor -------------------------

/// Size of the compressor's hash table, as log2 (lzfP.h HLOG).
const LZF_HLOG: u32 = 16;
const LZF_HSIZE: usize = 1 << LZF_HLOG;
const LZF_MAX_LIT: usize = 1 << 5;
const LZF_MAX_OFF: usize = 1 << 13;
const LZF_MAX_REF: usize = (1 << 8) + (1 << 3);

/// The hash table of `lzf_compress`, kept by the rio for the whole save so
/// it is allocated once, not once per string. Each slot holds the
/// position it saw tagged with the number of the call that stored it, so
/// a new call starts with an (in effect) empty table without clearing
/// 64K slots. (no C twin: liblzf keeps the table on the C stack and,
/// with INIT_HTAB 0, does not clear it either)
pub(crate) struct LzfState {
    htab: Vec<u64>,
    gen: u64,
}

impl LzfState {
    pub fn new() -> LzfState {
        LzfState { htab: vec![0; LZF_HSIZE], gen: 0 }
    }

    /// A new call: every slot stored before is now empty.
    fn begin(&mut self) {
        self.gen += 1;
        if self.gen > u32::MAX as u64 {
            self.htab.iter_mut().for_each(|s| *s = 0);
            self.gen = 1;
        }
    }

    fn get(&self, slot: usize) -> Option<usize> {
        let e = self.htab[slot];
        (e >> 32 == self.gen).then_some((e & 0xffff_ffff) as usize)
    }

    fn set(&mut self, slot: usize, pos: usize) {
        self.htab[slot] = (self.gen << 32) | pos as u64;
    }
}

impl Default for LzfState {
    fn default() -> Self {
        Self::new()
    }
}

/// C: lzf_c.c FRST()
fn lzf_frst(p: &[u8], i: usize) -> u32 {
    ((p[i] as u32) << 8) | p[i + 1] as u32
}

/// C: lzf_c.c NEXT()
fn lzf_next(v: u32, p: &[u8], i: usize) -> u32 {
    (v << 8) | p[i + 2] as u32
}

/// C: lzf_c.c IDX() (the VERY_FAST variant Redis builds)
fn lzf_idx(h: u32) -> usize {
    ((h >> (3 * 8 - LZF_HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize)
        & (LZF_HSIZE - 1)
}

/// Compressed data of `in_data` if it fits in `out_len` bytes, else
/// `None`, exactly as liblzf (VERY_FAST, HLOG 16) with a cleared table
/// computes it.
///
/// Divergence from C: DESIGN.md has LZF come from the `lzf` crate; its
/// decompressor is used, but its compressor allocates and zeroes a 512 KB
/// table for every string, which made SAVE several times slower than
/// Redis on values over 20 bytes. This port keeps one table per save
/// (`LzfState`).
///
/// C: lzf_c.c lzf_compress()
pub(crate) fn lzf_compress(
    state: &mut LzfState,
    in_data: &[u8],
    out_len: usize,
) -> Option<Vec<u8>> {
    let in_len = in_data.len();
    if in_len == 0 || out_len == 0 || in_len > u32::MAX as usize {
        return None;
    }
    state.begin();
    // A little slack past out_end: the checks below keep `op` within
    // out_len as in C, the slack only turns a mistake into a wrong
    // length instead of a panic.
    let mut out = vec![0u8; out_len + 16];
    let out_end = out_len;
    let mut ip = 0usize;
    let mut lit = 0usize;
    let mut op = 1usize; // start run
    let mut hval = if in_len >= 2 { lzf_frst(in_data, ip) } else { 0 };

    while in_len > 2 && ip < in_len - 2 {
        hval = lzf_next(hval, in_data, ip);
        let slot = lzf_idx(hval);
        let r = state.get(slot);
        state.set(slot, ip);
        let m = match r {
            Some(rf)
                if rf < ip
                    && ip - rf - 1 < LZF_MAX_OFF
                    && rf > 0
                    && in_data[rf + 2] == in_data[ip + 2]
                    && in_data[rf] == in_data[ip]
                    && in_data[rf + 1] == in_data[ip + 1] =>
            {
                Some(rf)
            }
            _ => None,
        };
        if let Some(rf) = m {
            // match found at *ref++
            let off = ip - rf - 1;
            let mut len = 2usize;
            let maxlen = (in_len - ip - len).min(LZF_MAX_REF);

            // first a faster conservative test, then the exact but rare one
            if op + 3 + 1 >= out_end
                && op - (lit == 0) as usize + 3 + 1 >= out_end
            {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1); // stop run
            op -= (lit == 0) as usize; // undo run if length is zero

            'scan: {
                if maxlen > 16 {
                    for _ in 0..16 {
                        len += 1;
                        if in_data[rf + len] != in_data[ip + len] {
                            break 'scan;
                        }
                    }
                }
                loop {
                    len += 1;
                    if !(len < maxlen && in_data[rf + len] == in_data[ip + len])
                    {
                        break;
                    }
                }
            }

            len -= 2; // len is now #octets - 1
            ip += 1;

            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run

            ip += len + 1;
            if ip >= in_len - 2 {
                break;
            }
            ip -= 2;
            hval = lzf_frst(in_data, ip);
            hval = lzf_next(hval, in_data, ip);
            state.set(lzf_idx(hval), ip);
            ip += 1;
            hval = lzf_next(hval, in_data, ip);
            state.set(lzf_idx(hval), ip);
            ip += 1;
        } else {
            // one more literal byte we must copy
            if op >= out_end {
                return None;
            }
            lit += 1;
            out[op] = in_data[ip];
            op += 1;
            ip += 1;
            if lit == LZF_MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8; // stop run
                lit = 0;
                op += 1; // start run
            }
        }
    }

    if op + 3 > out_end {
        // at most 3 bytes can be missing here
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = in_data[ip];
        op += 1;
        ip += 1;
        if lit == LZF_MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8; // stop run
            lit = 0;
            op += 1; // start run
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1); // end run
    op -= (lit == 0) as usize; // undo run if length is zero
    if op > out_len {
        return None;
    }
    out.truncate(op);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn lzf_compress_matches_liblzf_and_roundtrips() {
        // Outputs of Redis 5.0.14's lzf_c.c (built with a cleared table)
        // for these inputs; the same state is reused on purpose.
        let mut state = LzfState::new();
        for (input, want) in [
            (
                "aaccbbbddacbaaccbbbddacbaaccbbbddacbab",
                "0c61616363626262646461636261e00e0b016162",
            ),
            (
                "hello world hello world hello world hello world hello world ",
                "0c68656c6c6f20776f726c642068e0240b016420",
            ),
            (
                "abcabcabdabcabcabdXabcabcabdabcabcabdabc",
                "0361626361400200646005200b0164586006400960056008016263",
            ),
        ] {
            let got =
                lzf_compress(&mut state, input.as_bytes(), input.len() - 4)
                    .unwrap();
            assert_eq!(got, unhex(want), "{input}");
            assert_eq!(
                ::lzf::decompress(&got, input.len()).unwrap(),
                input.as_bytes()
            );
        }
        // Random inputs round trip through the crate's decompressor, and
        // an output that would not fit is refused.
        let mut x: u64 = 12345;
        for round in 0..300 {
            let len = 1 + (round * 37) % 3000;
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if round % 3 == 0 {
                        (x % 4) as u8
                    } else {
                        b"abcabcabd"[(i + (x % 3) as usize) % 9]
                    }
                })
                .collect();
            if let Some(c) = lzf_compress(&mut state, &data, data.len()) {
                assert!(c.len() <= data.len());
                assert_eq!(
                    ::lzf::decompress(&c, data.len()).unwrap(),
                    data,
                    "round {round}"
                );
            }
        }
        assert_eq!(
            lzf_compress(&mut state, b"abcdefghijklmnopqrstuvwxyz", 22),
            None
        );
    }
}
