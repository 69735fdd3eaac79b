//! The `oxredis-server` binary: C's main() lives in server.rs.

// Redis links jemalloc; RSS comparisons with it are only fair with the
// same allocator.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    oxredis::server::main();
}
