//! The pseudo random generator behind the scripts' `math.random`: the
//! 48-bit linear congruential generator of drand48 (x' = a*x + c mod 2^48),
//! written out on 16-bit words so that it gives the same sequence on every
//! system, unlike libc's rand(). Scripts replicated as a whole must compute
//! the same values on the master, the replicas and the AOF reload.
//!
//! Ports rand.c and rand.h from Redis 5.0.14, in the same order.
//!
//! Before reading: C keeps the state in three static arrays (`x`, `a`) and
//! a static `c`. Only `x` ever changes (seeding resets `a` and `c` to the
//! constants they start with), so here `a` and `c` are constants and the
//! three 16-bit words of `x` live in one process-wide atomic, as global as
//! C's and as cheap to reach from `redis_math_random`.

use std::sync::atomic::{AtomicU64, Ordering};

// ----------------------------------- rand.h -----------------------------------

/// The largest value `redis_lrand48` returns. C: rand.h REDIS_LRAND48_MAX
pub(crate) const REDIS_LRAND48_MAX: i32 = i32::MAX;

// ----------------------------------- rand.c -----------------------------------

/// Bits in a word of the state. C: rand.c N
const N: u32 = 16;
/// C: rand.c MASK
const MASK: u32 = (1 << (N - 1)) + (1 << (N - 1)) - 1;
/// The state's words after seeding: x0 is fixed, the seed gives x1 and x2.
/// C: rand.c X0, X1, X2
const X0: u32 = 0x330E;
const X1: u32 = 0xABCD;
const X2: u32 = 0x1234;
/// The multiplier, 0x5DEECE66D, in words. C: rand.c A0, A1, A2
const A: [u32; 3] = [0xE66D, 0xDEEC, 0x5];
/// The addend. C: rand.c C
const C: u32 = 0xB;

/// C: rand.c LOW()
fn low(x: u32) -> u32 {
    x & MASK
}

/// C: rand.c HIGH()
fn high(x: u32) -> u32 {
    low(x >> N)
}

/// The product of two words, as its low and high words.
///
/// C: rand.c MUL()
fn mul(x: u32, y: u32) -> [u32; 2] {
    // C stores the product in an int32_t; its low 32 bits are the same.
    let l = x.wrapping_mul(y);
    [low(l), high(l)]
}

/// 1 if the sum of the two words carries out of a word.
///
/// C: rand.c CARRY()
fn carry(x: u32, y: u32) -> u32 {
    (x as i64 + y as i64 > MASK as i64) as u32
}

/// Adds `y` to the word `x` in place and returns the carry.
///
/// C: rand.c ADDEQU()
fn addequ(x: &mut u32, y: u32) -> u32 {
    let z = carry(*x, y);
    *x = low(x.wrapping_add(y));
    z
}

/// The state `x`, its three words packed low word first. C: rand.c x[3]
static X: AtomicU64 = AtomicU64::new(pack([X0, X1, X2]));

/// (no C twin: the three words of `x` as the atomic holds them)
const fn pack(x: [u32; 3]) -> u64 {
    x[0] as u64 | (x[1] as u64) << 16 | (x[2] as u64) << 32
}

/// (no C twin)
fn unpack(v: u64) -> [u32; 3] {
    [
        (v & 0xFFFF) as u32,
        ((v >> 16) & 0xFFFF) as u32,
        ((v >> 32) & 0xFFFF) as u32,
    ]
}

/// Advances the generator and returns the next value, in 0..=2^31-1: the
/// top 31 bits of the 48-bit state.
///
/// C: rand.c redisLrand48()
pub(crate) fn redis_lrand48() -> i32 {
    let old = X.load(Ordering::Relaxed);
    let x = next(unpack(old));
    X.store(pack(x), Ordering::Relaxed);
    ((x[2] << (N - 1)) + (x[1] >> 1)) as i32
}

/// Seeds the generator: the high 32 bits of the state become `seedval`.
///
/// C: rand.c redisSrand48()
pub(crate) fn redis_srand48(seedval: i32) {
    // C's SEED() also resets a[] and c, which never change here.
    X.store(
        pack([X0, low(seedval as u32), high(seedval as u32)]),
        Ordering::Relaxed,
    );
}

/// One step of the generator, x = a*x + c (mod 2^48), word by word.
///
/// C: rand.c next()
fn next(mut x: [u32; 3]) -> [u32; 3] {
    let mut p = mul(A[0], x[0]);
    let carry0 = addequ(&mut p[0], C);
    let carry1 = addequ(&mut p[1], carry0);
    let q = mul(A[0], x[1]);
    let carry0 = addequ(&mut p[1], q[0]);
    let r = mul(A[1], x[0]);
    x[2] = low(carry0
        .wrapping_add(carry1)
        .wrapping_add(carry(p[1], r[0]))
        .wrapping_add(q[1])
        .wrapping_add(r[1])
        .wrapping_add(A[0].wrapping_mul(x[2]))
        .wrapping_add(A[1].wrapping_mul(x[1]))
        .wrapping_add(A[2].wrapping_mul(x[0])));
    x[1] = low(p[1].wrapping_add(r[0]));
    x[0] = low(p[0]);
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// drand48's recurrence on whole 48-bit numbers, to check the words.
    fn next_48(x: u64) -> u64 {
        (x.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB)) & ((1 << 48) - 1)
    }

    #[test]
    fn next_is_the_48_bit_lcg() {
        let mut x = pack([X0, 0, 0]);
        for _ in 0..10_000 {
            let n = pack(next(unpack(x)));
            assert_eq!(n, next_48(x));
            x = n;
        }
    }

    #[test]
    fn redis_lrand48_after_redis_srand48_0_gives_5_0_14s_sequence() {
        // `local t = {} for i=1,10 do t[i] = math.random(1000000) end
        // return t` on 5.0.14, which seeds with 0 before every script.
        // (The only test that touches the process-wide state.)
        redis_srand48(0);
        let got: Vec<i64> = (0..10)
            .map(|_| {
                let r = (redis_lrand48() % REDIS_LRAND48_MAX) as f64
                    / REDIS_LRAND48_MAX as f64;
                (r * 1_000_000.0).floor() as i64 + 1
            })
            .collect();
        assert_eq!(
            got,
            [
                170829, 749902, 96372, 870466, 577304, 785800, 692195, 368767,
                873905, 745096
            ]
        );
    }
}
