//! The `oxredis-server` binary: C's main() lives in server.rs.

// Redis links jemalloc; RSS comparisons with it are only fair with the
// same allocator.
#[global_allocator]
// While a signal handler writes a bug report or a watchdog trace, its
// allocations go to an arena of their own (debug.rs).
static GLOBAL: oxredis::debug::HandlerSafeAlloc =
    oxredis::debug::HandlerSafeAlloc;

fn main() {
    oxredis::server::main();
}
