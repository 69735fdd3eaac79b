//! AFL++ harness: the `repl` target of tests/fuzz_harness, in persistent
//! mode. Built and run by `scripts/fuzz repl`.

#[path = "../../../tests/fuzz_harness/mod.rs"]
mod fuzz_harness;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fuzz_harness::repl_target(data);
    });
}
