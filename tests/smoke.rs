//! Smoke test: the built server starts, answers PING, SET and GET through
//! a real client, and the real `redis-cli` can talk to it.

mod util;

use util::Server;

#[test]
fn server_answers_ping_set_get_and_redis_cli() {
    let server = Server::start(&[]);
    let mut con = server.client();

    let pong: String = redis::cmd("PING").query(&mut con).unwrap();
    assert_eq!(pong, "PONG");

    let ok: String =
        redis::cmd("SET").arg("foo").arg("bar").query(&mut con).unwrap();
    assert_eq!(ok, "OK");
    let got: Option<String> =
        redis::cmd("GET").arg("foo").query(&mut con).unwrap();
    assert_eq!(got.as_deref(), Some("bar"));

    let (out, status) = util::redis_cli(server.port(), &["ping"]);
    assert!(status.success(), "redis-cli exited with {status}: {out}");
    assert_eq!(out.trim_end(), "PONG");
}
