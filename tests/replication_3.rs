//! tests/integration/replication-3.tcl's replica-side expiry, in Rust:
//! a replica never expires its master's keys by itself (it waits for the
//! master's DELs), but keys that a writable replica's own clients created
//! with an expire are tracked (expire.c's slaveKeysWithExpire) and reclaimed
//! by expire_slave_keys() from databases_cron.

mod util;

use std::time::Duration;

use util::*;

const T: Duration = Duration::from_secs(30);

fn info_i64(s: &Server, field: &str) -> i64 {
    let v = s.info(field);
    v.parse().unwrap_or_else(|_| panic!("INFO {field} is not a number: {v:?}"))
}

#[test]
fn slave_is_able_to_evict_keys_created_in_writable_slaves() {
    let master = Server::start(&[]);
    let replica =
        Server::start(&["--replicaof", "127.0.0.1", &master.port_str()]);
    wait_for(T, || replica.info("master_link_status") == "up");

    // A key of the master with a short TTL: the replica must keep it until
    // the master's DEL arrives, so with the master's expiry off it stays.
    master.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    master.cmd(&["SET", "from-master", "1", "PX", "100"]);
    wait_for(T, || replica.cmd_str(&["DBSIZE"]) == "1");

    let mut r = replica.client();
    let mut q = |args: &[&str]| -> redis::Value {
        redis::cmd(args[0]).arg(&args[1..]).query(&mut r).expect(args[0])
    };
    let ok = redis::Value::Okay;
    let int = |n| redis::Value::Int(n);
    assert_eq!(q(&["CONFIG", "SET", "slave-read-only", "no"]), ok);
    assert_eq!(q(&["SELECT", "5"]), ok);
    for k in ["key1", "key2", "key3"] {
        assert_eq!(q(&["SET", k, "1", "PX", "300"]), ok);
    }
    assert_eq!(q(&["DBSIZE"]), int(3));
    assert_eq!(info_i64(&replica, "slave_expires_tracked_keys"), 3);

    wait_for(T, || q(&["DBSIZE"]) == int(0));
    assert_eq!(info_i64(&replica, "slave_expires_tracked_keys"), 0);
    // The master's key is still there: only the replica's own keys were
    // expired by the replica.
    assert_eq!(replica.cmd_str(&["DBSIZE"]), "1");

    // FLUSHALL (here from the master's stream) forgets the tracked keys.
    assert_eq!(q(&["SET", "key4", "1", "EX", "100"]), ok);
    assert_eq!(info_i64(&replica, "slave_expires_tracked_keys"), 1);
    master.cmd(&["FLUSHALL"]);
    wait_for(T, || info_i64(&replica, "slave_expires_tracked_keys") == 0);
}
