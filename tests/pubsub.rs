//! Pub/Sub and keyspace notifications, paraphrasing Redis 5.0.14's
//! tests/unit/pubsub.tcl, plus byte-exact checks of the reply shapes
//! (captured from a real 5.0.14 server).
//!
//! Subscribers are raw sockets, as the Tcl suite's deferring clients; the
//! publisher is another raw connection. Like the Tcl suite, clients work
//! in DB 9, which shows in the keyspace channel names.

mod util;

use std::time::Duration;

use util::{Conn, Server};

/// The subscribe helpers of the Tcl suite, on the shared connection.
trait Subscriber {
    fn sub(&mut self, kind: &str, channels: &[&str]) -> Vec<i64>;
    fn unsub_all(&mut self, kind: &str, n: usize) -> Vec<String>;
}

impl Subscriber for Conn {
    /// `subscribe`/`psubscribe`/... helper of the Tcl suite: sends the
    /// command and reads one confirmation per channel, checking its kind
    /// and channel; returns the subscription counts. As in Tcl, subscribe
    /// confirmations come in argument order and unsubscribe ones in any.
    #[track_caller]
    fn sub(&mut self, kind: &str, channels: &[&str]) -> Vec<i64> {
        let mut args = vec![kind];
        args.extend_from_slice(channels);
        self.send(&args);
        let mut left: Vec<&str> = channels.to_vec();
        let mut counts = Vec::new();
        for _ in 0..channels.len().max(1) {
            let msg = self.read_list();
            assert_eq!(msg.len(), 3, "{msg:?}");
            assert_eq!(msg[0], kind);
            if !channels.is_empty() {
                let idx = left
                    .iter()
                    .position(|c| *c == msg[1])
                    .unwrap_or_else(|| panic!("{msg:?}"));
                if !kind.ends_with("unsubscribe") {
                    assert_eq!(idx, 0, "{msg:?}");
                }
                left.remove(idx);
            }
            counts.push(msg[2].parse().expect("count"));
        }
        counts
    }

    /// Reads the confirmations of an UNSUBSCRIBE/PUNSUBSCRIBE without
    /// arguments: one per subscription, in any order.
    fn unsub_all(&mut self, kind: &str, n: usize) -> Vec<String> {
        self.send(&[kind]);
        let mut channels: Vec<String> =
            (0..n).map(|_| self.read_list()[1].clone()).collect();
        channels.sort();
        channels
    }
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn pubsub_ping() {
    let server = Server::start(&[]);
    let mut rd1 = Conn::new(&server);
    rd1.sub("subscribe", &["somechannel"]);
    // While subscribed to non-zero channels PING works in Pub/Sub mode.
    assert_eq!(rd1.raw(&["ping"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    assert_eq!(rd1.raw(&["ping", "foo"]), "*2\r\n$4\r\npong\r\n$3\r\nfoo\r\n");
    rd1.sub("unsubscribe", &["somechannel"]);
    // Now we are unsubscribed, PING should just return PONG.
    assert_eq!(rd1.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn publish_subscribe_basics() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);

    // subscribe to two channels
    assert_eq!(rd1.sub("subscribe", &["chan1", "chan2"]), [1, 2]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 1);
    assert_eq!(r.int(&["publish", "chan2", "world"]), 1);
    assert_eq!(rd1.read_list(), v(&["message", "chan1", "hello"]));
    assert_eq!(rd1.read_list(), v(&["message", "chan2", "world"]));

    // unsubscribe from one of the channels
    rd1.sub("unsubscribe", &["chan1"]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan2", "world"]), 1);
    assert_eq!(rd1.read_list(), v(&["message", "chan2", "world"]));

    // unsubscribe from the remaining channel
    rd1.sub("unsubscribe", &["chan2"]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan2", "world"]), 0);
}

#[test]
fn publish_subscribe_with_two_clients() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    let mut rd2 = Conn::new(&server);
    assert_eq!(rd1.sub("subscribe", &["chan1"]), [1]);
    assert_eq!(rd2.sub("subscribe", &["chan1"]), [1]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 2);
    assert_eq!(rd1.read_list(), v(&["message", "chan1", "hello"]));
    assert_eq!(rd2.read_list(), v(&["message", "chan1", "hello"]));
}

#[test]
fn publish_subscribe_after_unsubscribe_without_arguments() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    assert_eq!(rd1.sub("subscribe", &["chan1", "chan2", "chan3"]), [1, 2, 3]);
    assert_eq!(rd1.unsub_all("unsubscribe", 3), ["chan1", "chan2", "chan3"]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan2", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan3", "hello"]), 0);
    // Out of Pub/Sub mode: ordinary commands work again.
    assert_eq!(rd1.raw(&["ping"]), "+PONG\r\n");
}

#[test]
fn subscribe_to_one_channel_more_than_once() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    assert_eq!(rd1.sub("subscribe", &["chan1", "chan1", "chan1"]), [1, 1, 1]);
    assert_eq!(r.int(&["publish", "chan1", "hello"]), 1);
    assert_eq!(rd1.read_list(), v(&["message", "chan1", "hello"]));
}

#[test]
fn unsubscribe_from_non_subscribed_channels() {
    let server = Server::start(&[]);
    let mut rd1 = Conn::new(&server);
    assert_eq!(rd1.sub("unsubscribe", &["foo", "bar", "quux"]), [0, 0, 0]);
}

#[test]
fn publish_psubscribe_basics() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);

    // subscribe to two patterns
    assert_eq!(rd1.sub("psubscribe", &["foo.*", "bar.*"]), [1, 2]);
    assert_eq!(r.int(&["publish", "foo.1", "hello"]), 1);
    assert_eq!(r.int(&["publish", "bar.1", "hello"]), 1);
    assert_eq!(r.int(&["publish", "foo1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "barfoo.1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "qux.1", "hello"]), 0);
    assert_eq!(rd1.read_list(), v(&["pmessage", "foo.*", "foo.1", "hello"]));
    assert_eq!(rd1.read_list(), v(&["pmessage", "bar.*", "bar.1", "hello"]));

    // unsubscribe from one of the patterns
    assert_eq!(rd1.sub("punsubscribe", &["foo.*"]), [1]);
    assert_eq!(r.int(&["publish", "foo.1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "bar.1", "hello"]), 1);
    assert_eq!(rd1.read_list(), v(&["pmessage", "bar.*", "bar.1", "hello"]));

    // unsubscribe from the remaining pattern
    assert_eq!(rd1.sub("punsubscribe", &["bar.*"]), [0]);
    assert_eq!(r.int(&["publish", "foo.1", "hello"]), 0);
    assert_eq!(r.int(&["publish", "bar.1", "hello"]), 0);
}

#[test]
fn publish_psubscribe_with_two_clients() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    let mut rd2 = Conn::new(&server);
    assert_eq!(rd1.sub("psubscribe", &["chan.*"]), [1]);
    assert_eq!(rd2.sub("psubscribe", &["chan.*"]), [1]);
    assert_eq!(r.int(&["publish", "chan.foo", "hello"]), 2);
    assert_eq!(
        rd1.read_list(),
        v(&["pmessage", "chan.*", "chan.foo", "hello"])
    );
    assert_eq!(
        rd2.read_list(),
        v(&["pmessage", "chan.*", "chan.foo", "hello"])
    );
}

#[test]
fn publish_psubscribe_after_punsubscribe_without_arguments() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    assert_eq!(
        rd1.sub("psubscribe", &["chan1.*", "chan2.*", "chan3.*"]),
        [1, 2, 3]
    );
    assert_eq!(
        rd1.unsub_all("punsubscribe", 3),
        ["chan1.*", "chan2.*", "chan3.*"]
    );
    assert_eq!(r.int(&["publish", "chan1.hi", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan2.hi", "hello"]), 0);
    assert_eq!(r.int(&["publish", "chan3.hi", "hello"]), 0);
}

#[test]
fn punsubscribe_from_non_subscribed_channels() {
    let server = Server::start(&[]);
    let mut rd1 = Conn::new(&server);
    assert_eq!(
        rd1.sub("punsubscribe", &["foo.*", "bar.*", "quux.*"]),
        [0, 0, 0]
    );
}

#[test]
fn numsub_returns_numbers_not_strings_1561() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(
        r.raw(&["pubsub", "numsub", "abc", "def"]),
        "*4\r\n$3\r\nabc\r\n:0\r\n$3\r\ndef\r\n:0\r\n"
    );
}

#[test]
fn mix_subscribe_and_psubscribe() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    assert_eq!(rd1.sub("subscribe", &["foo.bar"]), [1]);
    assert_eq!(rd1.sub("psubscribe", &["foo.*"]), [2]);
    assert_eq!(r.int(&["publish", "foo.bar", "hello"]), 2);
    assert_eq!(rd1.read_list(), v(&["message", "foo.bar", "hello"]));
    assert_eq!(rd1.read_list(), v(&["pmessage", "foo.*", "foo.bar", "hello"]));
}

#[test]
fn punsubscribe_and_unsubscribe_should_always_reply() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    // Byte-exact, as 5.0.14 sends them: a null bulk for the channel.
    assert_eq!(
        r.raw(&["punsubscribe"]),
        "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n"
    );
    assert_eq!(
        r.raw(&["unsubscribe"]),
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
    );
}

#[test]
fn subscribe_reply_shapes_are_byte_exact() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    rd1.send(&["subscribe", "c1", "c2", "c1"]);
    assert_eq!(rd1.read(), "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:1\r\n");
    assert_eq!(rd1.read(), "*3\r\n$9\r\nsubscribe\r\n$2\r\nc2\r\n:2\r\n");
    assert_eq!(rd1.read(), "*3\r\n$9\r\nsubscribe\r\n$2\r\nc1\r\n:2\r\n");
    assert_eq!(
        rd1.raw(&["psubscribe", "c*"]),
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:3\r\n"
    );
    assert_eq!(r.int(&["publish", "c2", "hi"]), 2);
    assert_eq!(rd1.read(), "*3\r\n$7\r\nmessage\r\n$2\r\nc2\r\n$2\r\nhi\r\n");
    assert_eq!(
        rd1.read(),
        "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nc2\r\n$2\r\nhi\r\n"
    );
    assert_eq!(
        rd1.raw(&["unsubscribe", "c1"]),
        "*3\r\n$11\r\nunsubscribe\r\n$2\r\nc1\r\n:2\r\n"
    );
    assert_eq!(
        rd1.raw(&["punsubscribe", "c*"]),
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:1\r\n"
    );
}

#[test]
fn only_subscribe_commands_are_allowed_in_pubsub_context() {
    let server = Server::start(&[]);
    let mut rd1 = Conn::new(&server);
    rd1.sub("psubscribe", &["x*"]);
    assert_eq!(
        rd1.raw(&["get", "a"]),
        "-ERR only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT allowed in this context\r\n"
    );
    // Leaving every subscription leaves Pub/Sub mode.
    rd1.sub("punsubscribe", &["x*"]);
    assert_eq!(rd1.raw(&["get", "a"]), "$-1\r\n");
    // A channel subscription keeps the client in the mode even after its
    // last pattern goes.
    rd1.sub("subscribe", &["c"]);
    rd1.sub("psubscribe", &["p*"]);
    rd1.sub("punsubscribe", &["p*"]);
    assert!(rd1.raw(&["get", "a"]).starts_with("-ERR only (P)SUBSCRIBE"));
}

#[test]
fn pubsub_channels_numsub_numpat_and_help() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    let mut rd2 = Conn::new(&server);
    rd1.sub("subscribe", &["news.a", "news.b", "other"]);
    rd2.sub("subscribe", &["news.a"]);
    rd2.sub("psubscribe", &["news.*", "x"]);
    rd1.sub("psubscribe", &["news.*"]);

    let mut all = r.r(&["pubsub", "channels"]).flat();
    all.sort();
    assert_eq!(all, ["news.a", "news.b", "other"]);
    let mut news = r.r(&["pubsub", "channels", "news.*"]).flat();
    news.sort();
    assert_eq!(news, ["news.a", "news.b"]);
    assert_eq!(r.raw(&["pubsub", "channels", "nomatch*"]), "*0\r\n");
    assert_eq!(
        r.raw(&["pubsub", "numsub", "news.a", "news.b", "none"]),
        "*6\r\n$6\r\nnews.a\r\n:2\r\n$6\r\nnews.b\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    );
    assert_eq!(r.raw(&["pubsub", "numsub"]), "*0\r\n");
    // NUMPAT counts pattern subscriptions, not distinct patterns.
    assert_eq!(r.int(&["pubsub", "numpat"]), 3);
    assert_eq!(r.int(&["publish", "news.a", "m"]), 4);

    assert_eq!(
        r.raw(&["pubsub", "help"]),
        "*4\r\n+PUBSUB <subcommand> arg arg ... arg. Subcommands are:\r\n\
         +CHANNELS [<pattern>] -- Return the currently active channels matching a pattern (default: all).\r\n\
         +NUMPAT -- Return number of subscriptions to patterns.\r\n\
         +NUMSUB [channel-1 .. channel-N] -- Returns the number of subscribers for the specified channels (excluding patterns, default: none).\r\n"
    );
    assert_eq!(
        r.raw(&["pubsub", "foo"]),
        "-ERR Unknown subcommand or wrong number of arguments for 'foo'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["pubsub", "numpat", "x"]),
        "-ERR Unknown subcommand or wrong number of arguments for 'numpat'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["pubsub", "channels", "a", "b"]),
        "-ERR Unknown subcommand or wrong number of arguments for 'channels'. Try PUBSUB HELP.\r\n"
    );
    assert_eq!(
        r.raw(&["pubsub"]),
        "-ERR wrong number of arguments for 'pubsub' command\r\n"
    );
}

#[test]
fn subscriptions_are_dropped_when_the_client_disconnects() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    rd1.sub("subscribe", &["a", "b"]);
    rd1.sub("psubscribe", &["*"]);
    assert_eq!(r.int(&["pubsub", "numpat"]), 1);
    let info = r.raw(&["info", "stats"]);
    assert!(
        info.contains("pubsub_channels:2\r\n")
            && info.contains("pubsub_patterns:1\r\n"),
        "{info}"
    );
    drop(rd1);
    util::wait_for(Duration::from_secs(5), || {
        r.int(&["pubsub", "numpat"]) == 0
    });
    assert_eq!(r.raw(&["pubsub", "channels"]), "*0\r\n");
    assert_eq!(r.int(&["publish", "a", "x"]), 0);
    let info = r.raw(&["info", "stats"]);
    assert!(
        info.contains("pubsub_channels:0\r\n")
            && info.contains("pubsub_patterns:0\r\n"),
        "{info}"
    );
}

#[test]
fn client_list_shows_subscriptions_and_pubsub_flag() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    rd1.sub("subscribe", &["a", "b"]);
    rd1.sub("psubscribe", &["*"]);
    let list = r.r(&["client", "list"]).flat().join("");
    let line = list
        .lines()
        .find(|l| l.contains(" sub=2 "))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(line.contains(" flags=P ") && line.contains(" psub=1 "), "{line}");
    let pubsub = r.r(&["client", "list", "type", "pubsub"]).flat().join("");
    assert_eq!(pubsub.lines().count(), 1, "{pubsub}");
}

#[test]
fn subscribe_inside_multi_then_publish_reaches_the_same_client() {
    // The one way a subscriber runs a publishing command itself: in EXEC.
    // 5.0.14 replies exactly this (the message precedes PUBLISH's count).
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(r.raw(&["multi"]), "+OK\r\n");
    assert_eq!(r.raw(&["subscribe", "zz"]), "+QUEUED\r\n");
    assert_eq!(r.raw(&["publish", "zz", "hi"]), "+QUEUED\r\n");
    r.send(&["exec"]);
    // (The message lands inside EXEC's multi bulk, so a client parsing
    // it sees the message as the second reply and the count after it.)
    let mut got = r.read();
    got.push_str(&r.read());
    assert_eq!(
        got,
        "*2\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nzz\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$2\r\nzz\r\n$2\r\nhi\r\n:1\r\n"
    );
    // Now in Pub/Sub mode, and subscribed.
    let mut other = Conn::db9(&server);
    assert_eq!(other.int(&["publish", "zz", "again"]), 1);
    assert_eq!(r.read_list(), v(&["message", "zz", "again"]));
}

#[test]
fn keyspace_events_of_a_client_served_inside_exec_reach_the_subscriber() {
    // A client subscribes inside MULTI, and a push in the same EXEC serves
    // a BRPOPLPUSH of another client: the events of that serve are aimed
    // at our client while it still runs. 5.0.14 sends exactly this.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let mut b = Conn::db9(&server);
    set_events(&mut r, "KEA");
    b.send(&["brpoplpush", "src", "dst", "0"]);
    util::wait_for(Duration::from_secs(5), || {
        r.raw(&["info", "clients"]).contains("blocked_clients:1")
    });
    assert_eq!(r.raw(&["multi"]), "+OK\r\n");
    assert_eq!(r.raw(&["psubscribe", "__keyevent*"]), "+QUEUED\r\n");
    assert_eq!(r.raw(&["rpush", "src", "x"]), "+QUEUED\r\n");
    r.send(&["exec"]);
    let pmessage = |event: &str, key: &str| {
        format!(
            "*4\r\n$8\r\npmessage\r\n$11\r\n__keyevent*\r\n${}\r\n__keyevent@9__:{event}\r\n${}\r\n{key}\r\n",
            15 + event.len(),
            key.len()
        )
    };
    let want = [
        "*2\r\n*3\r\n$10\r\npsubscribe\r\n$11\r\n__keyevent*\r\n:1\r\n:1\r\n"
            .to_string(),
        pmessage("rpush", "src"),
        pmessage("lpush", "dst"),
        pmessage("rpop", "src"),
        pmessage("del", "src"),
    ];
    for w in &want {
        assert_eq!(&r.read(), w);
    }
    assert_eq!(b.read(), "$1\r\nx\r\n");
    // Nothing else was left behind.
    assert_eq!(r.raw(&["ping"]), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

#[test]
fn publish_is_an_error_free_fast_command_with_wrong_arity_checked() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    assert_eq!(
        r.raw(&["publish", "a"]),
        "-ERR wrong number of arguments for 'publish' command\r\n"
    );
    assert_eq!(
        r.raw(&["subscribe"]),
        "-ERR wrong number of arguments for 'subscribe' command\r\n"
    );
    assert_eq!(
        r.raw(&["psubscribe"]),
        "-ERR wrong number of arguments for 'psubscribe' command\r\n"
    );
    assert_eq!(r.int(&["publish", "nobody", "listens"]), 0);
}

// ---------------------- Keyspace events notification ----------------------

/// CONFIG SET notify-keyspace-events, as the Tcl tests do.
fn set_events(r: &mut Conn, flags: &str) {
    assert_eq!(
        r.raw(&["config", "set", "notify-keyspace-events", flags]),
        "+OK\r\n"
    );
}

/// A deferring client PSUBSCRIBEd to `*`.
fn psubscribe_all(server: &Server) -> Conn {
    let mut rd1 = Conn::new(server);
    assert_eq!(rd1.sub("psubscribe", &["*"]), [1]);
    rd1
}

/// Reads one pmessage per `(channel, payload)` on a client PSUBSCRIBEd
/// to `*`, checking each in order.
#[track_caller]
fn expect_pmessages(rd: &mut Conn, msgs: &[(&str, &str)]) {
    for (channel, payload) in msgs {
        assert_eq!(rd.read_list(), v(&["pmessage", "*", channel, payload]));
    }
}

/// The shape of the Tcl "Keyspace notifications: <type> events test"s:
/// with `flags` set, DEL `key`, PSUBSCRIBE a client to `*`, run `cmds` in
/// DB 9 and check the pmessages it gets (see `expect_pmessages`).
#[track_caller]
fn check_events(
    flags: &str,
    key: &str,
    cmds: &[&[&str]],
    want: &[(&str, &str)],
) {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, flags);
    r.raw(&["del", key]);
    let mut rd1 = psubscribe_all(&server);
    for args in cmds {
        r.raw(args);
    }
    expect_pmessages(&mut rd1, want);
}

#[test]
fn keyspace_notifications_we_receive_keyspace_notifications() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, "KA");
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["set", "foo", "bar"]);
    expect_pmessages(&mut rd1, &[("__keyspace@9__:foo", "set")]);
}

#[test]
fn keyspace_notifications_we_receive_keyevent_notifications() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, "EA");
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["set", "foo", "bar"]);
    expect_pmessages(&mut rd1, &[("__keyevent@9__:set", "foo")]);
}

#[test]
fn keyspace_notifications_we_can_receive_both_kind_of_events() {
    // Set from the command line this time.
    let server = Server::start(&["--notify-keyspace-events", "KEA"]);
    let mut r = Conn::db9(&server);
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["set", "foo", "bar"]);
    assert_eq!(rd1.read(), "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__keyspace@9__:foo\r\n$3\r\nset\r\n");
    assert_eq!(rd1.read(), "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$18\r\n__keyevent@9__:set\r\n$3\r\nfoo\r\n");
}

#[test]
fn keyspace_notifications_reach_channel_subscribers_too() {
    let server = Server::start(&["--notify-keyspace-events", "KEA"]);
    let mut r = Conn::db9(&server);
    let mut rd1 = Conn::new(&server);
    rd1.sub("subscribe", &["__keyspace@9__:foo", "__keyevent@9__:del"]);
    r.raw(&["set", "foo", "bar"]);
    r.raw(&["del", "foo"]);
    assert_eq!(rd1.read_list(), v(&["message", "__keyspace@9__:foo", "set"]));
    assert_eq!(rd1.read_list(), v(&["message", "__keyspace@9__:foo", "del"]));
    assert_eq!(rd1.read_list(), v(&["message", "__keyevent@9__:del", "foo"]));
}

#[test]
fn keyspace_notifications_we_are_able_to_mask_events() {
    // No notification for set, because only list commands are enabled.
    check_events(
        "KEl",
        "mylist",
        &[&["set", "foo", "bar"], &["lpush", "mylist", "a"]],
        &[
            ("__keyspace@9__:mylist", "lpush"),
            ("__keyevent@9__:lpush", "mylist"),
        ],
    );
}

#[test]
fn keyspace_notifications_are_masked_by_class_strings() {
    // The same masking with string and generic commands only.
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, "K$");
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["set", "foo", "bar"]);
    r.raw(&["expire", "foo", "100"]);
    r.raw(&["append", "foo", "x"]);
    expect_pmessages(&mut rd1, &[("__keyspace@9__:foo", "set")]);
    // The EXPIRE (generic class) is masked.
    expect_pmessages(&mut rd1, &[("__keyspace@9__:foo", "append")]);
    // Neither K nor E: nothing is published at all.
    set_events(&mut r, "A");
    r.raw(&["set", "foo", "bar"]);
    set_events(&mut r, "K$");
    r.raw(&["incr", "n"]);
    expect_pmessages(&mut rd1, &[("__keyspace@9__:n", "incrby")]);
}

#[test]
fn keyspace_notifications_general_events_test() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, "KEg");
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["set", "foo", "bar"]);
    r.raw(&["expire", "foo", "1"]);
    r.raw(&["del", "foo"]);
    expect_pmessages(
        &mut rd1,
        &[
            ("__keyspace@9__:foo", "expire"),
            ("__keyevent@9__:expire", "foo"),
            ("__keyspace@9__:foo", "del"),
            ("__keyevent@9__:del", "foo"),
        ],
    );
}

#[test]
fn keyspace_notifications_list_events_test() {
    check_events(
        "KEl",
        "mylist",
        &[
            &["lpush", "mylist", "a"],
            &["rpush", "mylist", "a"],
            &["rpop", "mylist"],
        ],
        &[
            ("__keyspace@9__:mylist", "lpush"),
            ("__keyevent@9__:lpush", "mylist"),
            ("__keyspace@9__:mylist", "rpush"),
            ("__keyevent@9__:rpush", "mylist"),
            ("__keyspace@9__:mylist", "rpop"),
            ("__keyevent@9__:rpop", "mylist"),
        ],
    );
}

#[test]
fn keyspace_notifications_set_events_test() {
    check_events(
        "Ks",
        "myset",
        &[
            &["sadd", "myset", "a", "b", "c", "d"],
            &["srem", "myset", "x"],
            &["sadd", "myset", "x", "y", "z"],
            &["srem", "myset", "x"],
        ],
        &[
            ("__keyspace@9__:myset", "sadd"),
            ("__keyspace@9__:myset", "sadd"),
            ("__keyspace@9__:myset", "srem"),
        ],
    );
}

#[test]
fn keyspace_notifications_zset_events_test() {
    check_events(
        "Kz",
        "myzset",
        &[
            &["zadd", "myzset", "1", "a", "2", "b"],
            &["zrem", "myzset", "x"],
            &["zadd", "myzset", "3", "x", "4", "y", "5", "z"],
            &["zrem", "myzset", "x"],
        ],
        &[
            ("__keyspace@9__:myzset", "zadd"),
            ("__keyspace@9__:myzset", "zadd"),
            ("__keyspace@9__:myzset", "zrem"),
        ],
    );
}

#[test]
fn keyspace_notifications_hash_events_test() {
    check_events(
        "Kh",
        "myhash",
        &[
            &["hmset", "myhash", "yes", "1", "no", "0"],
            &["hincrby", "myhash", "yes", "10"],
        ],
        &[
            ("__keyspace@9__:myhash", "hset"),
            ("__keyspace@9__:myhash", "hincrby"),
        ],
    );
}

#[test]
fn keyspace_notifications_expired_events_triggered_expire() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    set_events(&mut r, "Ex");
    r.raw(&["del", "foo"]);
    let mut rd1 = psubscribe_all(&server);
    r.raw(&["psetex", "foo", "100", "1"]);
    util::wait_for(Duration::from_secs(5), || r.int(&["exists", "foo"]) == 0);
    expect_pmessages(&mut rd1, &[("__keyevent@9__:expired", "foo")]);
}

#[test]
fn keyspace_notifications_expired_events_background_expire() {
    check_events(
        "Ex",
        "foo",
        &[&["psetex", "foo", "100", "1"]],
        &[("__keyevent@9__:expired", "foo")],
    );
}

#[test]
fn keyspace_notifications_test_config_get_set_of_event_flags() {
    let server = Server::start(&[]);
    let mut r = Conn::db9(&server);
    let get = |r: &mut Conn| {
        r.r(&["config", "get", "notify-keyspace-events"]).flat()[1].clone()
    };
    set_events(&mut r, "gKE");
    assert_eq!(get(&mut r), "gKE");
    set_events(&mut r, "$lshzxeKE");
    assert_eq!(get(&mut r), "$lshzxeKE");
    set_events(&mut r, "KA");
    assert_eq!(get(&mut r), "AK");
    set_events(&mut r, "EA");
    assert_eq!(get(&mut r), "AE");
}

#[test]
fn keyspace_events_of_the_subscriber_itself_inside_exec_are_where_c_puts_them()
{
    // The client subscribes inside MULTI, then its own commands in the same
    // EXEC publish keyspace events to it. C writes each message the moment
    // it is published, in the middle of EXEC's reply: before SET's +OK and
    // DEL's :2 (they notify, then reply), after RPUSH's :1 (it replies,
    // then notifies). Captured from 5.0.14.
    let pm = |chan: &str, payload: &str| {
        format!(
            "*4\r\n$8\r\npmessage\r\n$12\r\n__key*@9__:*\r\n${}\r\n{chan}\r\n${}\r\n{payload}\r\n",
            chan.len(),
            payload.len()
        )
    };
    let want = [
        "*6\r\n*3\r\n$10\r\npsubscribe\r\n$12\r\n__key*@9__:*\r\n:1\r\n"
            .to_string(),
        pm("__keyspace@9__:foo", "set"),
        pm("__keyevent@9__:set", "foo"),
        "+OK\r\n".to_string(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
            .to_string(),
        ":1\r\n".to_string(),
        pm("__keyspace@9__:l", "rpush"),
        pm("__keyevent@9__:rpush", "l"),
        pm("__keyspace@9__:foo", "del"),
        pm("__keyevent@9__:del", "foo"),
        pm("__keyspace@9__:l", "del"),
        pm("__keyevent@9__:del", "l"),
        ":2\r\n".to_string(),
        ":0\r\n".to_string(),
    ]
    .concat();
    let mut servers = vec![Server::start(&[])];
    if let Some(bin) = std::env::var_os("REDIS_C_SERVER") {
        servers.push(Server::start_binary(std::path::Path::new(&bin), &[]));
    }
    for server in &servers {
        let mut r = Conn::db9(server);
        set_events(&mut r, "KEA");
        assert_eq!(r.raw(&["multi"]), "+OK\r\n");
        for cmd in [
            &["psubscribe", "__key*@9__:*"][..],
            &["set", "foo", "bar"],
            &["rpush", "foo", "x"],
            &["rpush", "l", "x"],
            &["del", "foo", "l"],
            &["publish", "zz", "hi"],
        ] {
            assert_eq!(r.raw(cmd), "+QUEUED\r\n");
        }
        r.send(&["exec"]);
        // The messages sit inside EXEC's multi bulk, so read by length.
        let mut got = Vec::new();
        while got.len() < want.len() {
            got.extend_from_slice(&r.read_bytes());
        }
        assert_eq!(
            String::from_utf8_lossy(&got),
            want,
            "{:?}",
            server.binary()
        );
    }
}
