//! Pub/Sub: clients SUBSCRIBE to channels or PSUBSCRIBE to glob patterns,
//! and PUBLISH sends a message to every client subscribed to the channel
//! or to a pattern matching it. Keyspace notifications (notify.rs) are
//! published through the same path.
//!
//! Ports pubsub.c from Redis 5.0.14, in the same order.
//!
//! Read this first: `server.pubsub_channels` maps a channel to the ids of
//! its subscribers, in subscription order, and `server.pubsub_patterns`
//! lists (client id, pattern) pairs, as C's dict of client lists and list
//! of pubsubPattern do. A message goes to a subscriber through
//! `add_reply_pubsub`, which reaches it in `server.clients`; a subscriber
//! that is running a command gets it through its "running" slot (see
//! `networking::client_table`).

use crate::networking::push_bulk;
use crate::networking::{
    add_deferred_multi_bulk_length, add_reply, add_reply_bulk, add_reply_help,
    add_reply_long_long, add_reply_multi_bulk_len,
    add_reply_subcommand_syntax_error, add_reply_to_id,
    set_deferred_multi_bulk_length,
};
use crate::server::*;
use crate::shared::{
    MESSAGEBULK, NULLBULK, PMESSAGEBULK, PSUBSCRIBEBULK, PUNSUBSCRIBEBULK,
    SUBSCRIBEBULK, UNSUBSCRIBEBULK,
};
use crate::util::stringmatchlen;

/// shared.mbulkhdr[3]
const MBULKHDR3: &[u8] = b"*3\r\n";
/// shared.mbulkhdr[4]
const MBULKHDR4: &[u8] = b"*4\r\n";

/// One pattern subscription: which client, which pattern.
///
/// C: server.h struct pubsubPattern
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PubsubPattern {
    pub(crate) client: ClientId,
    pub(crate) pattern: Vec<u8>,
}

// -----------------------------------------------------------------------------
// Pubsub low level API
// -----------------------------------------------------------------------------

// C: pubsub.c freePubsubPattern() is PubsubPattern's Drop: the entry owns
// its pattern.

/// The list match method of server.pubsub_patterns: same client, same
/// pattern.
///
/// C: pubsub.c listMatchPubsubPattern()
fn list_match_pubsub_pattern(
    pa: &PubsubPattern,
    client: ClientId,
    pattern: &[u8],
) -> bool {
    pa.client == client && pa.pattern == pattern
}

/// Return the number of channels + patterns a client is subscribed to.
///
/// C: pubsub.c clientSubscriptionsCount()
pub(crate) fn client_subscriptions_count(c: &Client) -> usize {
    c.pubsub_channels.len() + c.pubsub_patterns.len()
}

/// Adds `msg` to the output of subscriber `id`, wherever it is (see
/// `networking::add_reply_to_id`): a subscriber running the command that
/// published (only possible inside EXEC, or when a served blocked client
/// publishes a keyspace event) gets it through its slot, and `call` puts
/// it where C writes it. (no C twin: C reaches the client through the
/// pointer in the subscription lists)
fn add_reply_pubsub(server: &mut RedisServer, id: ClientId, msg: &[u8]) {
    add_reply_to_id(server, id, msg);
}

/// Subscribe a client to a channel. Returns true if the operation
/// succeeded, or false if the client was already subscribed to that
/// channel.
///
/// C: pubsub.c pubsubSubscribeChannel()
pub(crate) fn pubsub_subscribe_channel(
    server: &mut RedisServer,
    c: &mut Client,
    channel: &[u8],
) -> bool {
    let mut retval = false;

    // Not in C: messages reach a running subscriber where C puts them
    // through its mailbox (see `Client::mailbox`).
    crate::networking::open_mailbox(server, c);
    // Add the channel to the client -> channels hash table
    if !c.pubsub_channels.contains(channel) {
        c.pubsub_channels.insert(channel.to_vec());
        retval = true;
        // Add the client to the channel -> list of clients hash table
        server.pubsub_channels.entry(channel.to_vec()).or_default().push(c.id);
    }
    // Notify the client
    add_reply(c, MBULKHDR3);
    add_reply(c, SUBSCRIBEBULK);
    add_reply_bulk(c, channel);
    add_reply_long_long(c, client_subscriptions_count(c) as i64);
    retval
}

/// Unsubscribe a client from a channel. Returns true if the operation
/// succeeded, or false if the client was not subscribed to the specified
/// channel.
///
/// C: pubsub.c pubsubUnsubscribeChannel()
pub(crate) fn pubsub_unsubscribe_channel(
    server: &mut RedisServer,
    c: &mut Client,
    channel: &[u8],
    notify: bool,
) -> bool {
    let mut retval = false;

    // Remove the channel from the client -> channels hash table. (C takes
    // a reference first, as `channel` may be the very object it frees;
    // here the caller owns its copy.)
    if c.pubsub_channels.remove(channel) {
        retval = true;
        // Remove the client from the channel -> clients list hash table
        let Some(clients) = server.pubsub_channels.get_mut(channel) else {
            crate::server_panic!(
                server,
                "pubsub_unsubscribe_channel: channel has no clients list"
            );
        };
        let Some(pos) = clients.iter().position(|id| *id == c.id) else {
            crate::server_panic!(
                server,
                "pubsub_unsubscribe_channel: client not in the channel's list"
            );
        };
        clients.remove(pos);
        if clients.is_empty() {
            // Free the list and associated hash entry at all if this was
            // the latest client, so that it will be possible to abuse
            // Redis PUBSUB creating millions of channels.
            server.pubsub_channels.remove(channel);
        }
    }
    // Notify the client
    if notify {
        add_reply(c, MBULKHDR3);
        add_reply(c, UNSUBSCRIBEBULK);
        add_reply_bulk(c, channel);
        add_reply_long_long(
            c,
            (c.pubsub_channels.len() + c.pubsub_patterns.len()) as i64,
        );
    }
    retval
}

/// Subscribe a client to a pattern. Returns true if the operation
/// succeeded, or false if the client was already subscribed to that
/// pattern.
///
/// C: pubsub.c pubsubSubscribePattern()
pub(crate) fn pubsub_subscribe_pattern(
    server: &mut RedisServer,
    c: &mut Client,
    pattern: &[u8],
) -> bool {
    let mut retval = false;

    // Not in C: see pubsub_subscribe_channel.
    crate::networking::open_mailbox(server, c);
    if !c.pubsub_patterns.iter().any(|p| p.as_slice() == pattern) {
        retval = true;
        c.pubsub_patterns.push(pattern.to_vec());
        server
            .pubsub_patterns
            .push(PubsubPattern { client: c.id, pattern: pattern.to_vec() });
    }
    // Notify the client
    add_reply(c, MBULKHDR3);
    add_reply(c, PSUBSCRIBEBULK);
    add_reply_bulk(c, pattern);
    add_reply_long_long(c, client_subscriptions_count(c) as i64);
    retval
}

/// Unsubscribe a client from a pattern. Returns true if the operation
/// succeeded, or false if the client was not subscribed to the specified
/// pattern.
///
/// C: pubsub.c pubsubUnsubscribePattern()
pub(crate) fn pubsub_unsubscribe_pattern(
    server: &mut RedisServer,
    c: &mut Client,
    pattern: &[u8],
    notify: bool,
) -> bool {
    let mut retval = false;

    if let Some(pos) =
        c.pubsub_patterns.iter().position(|p| p.as_slice() == pattern)
    {
        retval = true;
        c.pubsub_patterns.remove(pos);
        if let Some(pos) = server
            .pubsub_patterns
            .iter()
            .position(|p| list_match_pubsub_pattern(p, c.id, pattern))
        {
            server.pubsub_patterns.remove(pos);
        }
    }
    // Notify the client
    if notify {
        add_reply(c, MBULKHDR3);
        add_reply(c, PUNSUBSCRIBEBULK);
        add_reply_bulk(c, pattern);
        add_reply_long_long(
            c,
            (c.pubsub_channels.len() + c.pubsub_patterns.len()) as i64,
        );
    }
    retval
}

/// Unsubscribe from all the channels. Return the number of channels the
/// client was subscribed to.
///
/// C: pubsub.c pubsubUnsubscribeAllChannels()
pub(crate) fn pubsub_unsubscribe_all_channels(
    server: &mut RedisServer,
    c: &mut Client,
    notify: bool,
) -> usize {
    // C walks the client's dict with a safe iterator; the channel names
    // are copied out first here, in the set's (arbitrary) order as C's
    // dict order is.
    let channels: Vec<Vec<u8>> = c.pubsub_channels.iter().cloned().collect();
    let mut count = 0;
    for channel in &channels {
        count +=
            pubsub_unsubscribe_channel(server, c, channel, notify) as usize;
    }
    // We were subscribed to nothing? Still reply to the client.
    if notify && count == 0 {
        add_reply(c, MBULKHDR3);
        add_reply(c, UNSUBSCRIBEBULK);
        add_reply(c, NULLBULK);
        add_reply_long_long(
            c,
            (c.pubsub_channels.len() + c.pubsub_patterns.len()) as i64,
        );
    }
    count
}

/// Unsubscribe from all the patterns. Return the number of patterns the
/// client was subscribed from.
///
/// C: pubsub.c pubsubUnsubscribeAllPatterns()
pub(crate) fn pubsub_unsubscribe_all_patterns(
    server: &mut RedisServer,
    c: &mut Client,
    notify: bool,
) -> usize {
    let patterns = c.pubsub_patterns.clone();
    let mut count = 0;
    for pattern in &patterns {
        count +=
            pubsub_unsubscribe_pattern(server, c, pattern, notify) as usize;
    }
    if notify && count == 0 {
        // We were subscribed to nothing? Still reply to the client.
        add_reply(c, MBULKHDR3);
        add_reply(c, PUNSUBSCRIBEBULK);
        add_reply(c, NULLBULK);
        add_reply_long_long(
            c,
            (c.pubsub_channels.len() + c.pubsub_patterns.len()) as i64,
        );
    }
    count
}

/// Publish a message: to the clients subscribed to `channel`, then to the
/// clients whose patterns match it. Returns the number of receivers (a
/// client subscribed both ways counts twice, as in C).
///
/// C: pubsub.c pubsubPublishMessage()
pub(crate) fn pubsub_publish_message(
    server: &mut RedisServer,
    channel: &[u8],
    message: &[u8],
) -> i64 {
    let mut receivers = 0;

    // Send to clients listening for that channel
    if let Some(list) = server.pubsub_channels.get_mut(channel) {
        // C issues four addReply calls per receiver; the same bytes are
        // built once here for all of them.
        let mut msg = Vec::with_capacity(32 + channel.len() + message.len());
        msg.extend_from_slice(MBULKHDR3);
        msg.extend_from_slice(MESSAGEBULK);
        push_bulk(&mut msg, channel);
        push_bulk(&mut msg, message);
        // Lent out while the replies go out (each needs the whole server);
        // nothing in add_reply_pubsub changes subscriptions.
        let list = std::mem::take(list);
        for &id in &list {
            add_reply_pubsub(server, id, &msg);
            receivers += 1;
        }
        if let Some(l) = server.pubsub_channels.get_mut(channel) {
            *l = list;
        }
    }
    // Send to clients listening to matching channels
    if !server.pubsub_patterns.is_empty() {
        let patterns = std::mem::take(&mut server.pubsub_patterns);
        for pat in &patterns {
            if stringmatchlen(&pat.pattern, channel, false) {
                let mut msg = Vec::with_capacity(
                    48 + pat.pattern.len() + channel.len() + message.len(),
                );
                msg.extend_from_slice(MBULKHDR4);
                msg.extend_from_slice(PMESSAGEBULK);
                push_bulk(&mut msg, &pat.pattern);
                push_bulk(&mut msg, channel);
                push_bulk(&mut msg, message);
                add_reply_pubsub(server, pat.client, &msg);
                receivers += 1;
            }
        }
        server.pubsub_patterns = patterns;
    }
    receivers
}

// -----------------------------------------------------------------------------
// Pubsub commands implementation
// -----------------------------------------------------------------------------

/// SUBSCRIBE channel [channel ...]
///
/// C: pubsub.c subscribeCommand()
pub(crate) fn subscribe_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    for channel in &argv[1..] {
        pubsub_subscribe_channel(server, c, channel);
    }
    c.argv = argv;
    c.flags |= CLIENT_PUBSUB;
}

/// UNSUBSCRIBE [channel ...]
///
/// C: pubsub.c unsubscribeCommand()
pub(crate) fn unsubscribe_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_channels(server, c, true);
    } else {
        let argv = std::mem::take(&mut c.argv);
        for channel in &argv[1..] {
            pubsub_unsubscribe_channel(server, c, channel, true);
        }
        c.argv = argv;
    }
    if client_subscriptions_count(c) == 0 {
        c.flags &= !CLIENT_PUBSUB;
    }
}

/// PSUBSCRIBE pattern [pattern ...]
///
/// C: pubsub.c psubscribeCommand()
pub(crate) fn psubscribe_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    for pattern in &argv[1..] {
        pubsub_subscribe_pattern(server, c, pattern);
    }
    c.argv = argv;
    c.flags |= CLIENT_PUBSUB;
}

/// PUNSUBSCRIBE [pattern ...]
///
/// C: pubsub.c punsubscribeCommand()
pub(crate) fn punsubscribe_command(server: &mut RedisServer, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_patterns(server, c, true);
    } else {
        let argv = std::mem::take(&mut c.argv);
        for pattern in &argv[1..] {
            pubsub_unsubscribe_pattern(server, c, pattern, true);
        }
        c.argv = argv;
    }
    if client_subscriptions_count(c) == 0 {
        c.flags &= !CLIENT_PUBSUB;
    }
}

/// PUBLISH channel message: replies with the number of receivers, and is
/// always propagated to the replicas (their own subscribers get it too),
/// though it changes no key.
///
/// C: pubsub.c publishCommand()
pub(crate) fn publish_command(server: &mut RedisServer, c: &mut Client) {
    let argv = std::mem::take(&mut c.argv);
    let receivers = pubsub_publish_message(server, &argv[1], &argv[2]);
    c.argv = argv;
    // The publisher may be one of the receivers (it subscribed earlier in
    // the same MULTI): its slot takes the copy, and `call` puts it before
    // the count, as in C.
    // Divergence from C: no cluster mode, so never clusterPropagatePublish().
    force_command_propagation(c, PROPAGATE_REPL);
    add_reply_long_long(c, receivers);
}

/// PUBSUB command for Pub/Sub introspection: CHANNELS [pattern], NUMSUB
/// [channel ...], NUMPAT, HELP.
///
/// C: pubsub.c pubsubCommand()
pub(crate) fn pubsub_command(server: &mut RedisServer, c: &mut Client) {
    let argc = c.argv.len();
    let sub = &c.argv[1];
    if argc == 2 && sub.eq_ignore_ascii_case(b"help") {
        const HELP: &[&str] = &[
            "CHANNELS [<pattern>] -- Return the currently active channels matching a pattern (default: all).",
            "NUMPAT -- Return number of subscriptions to patterns.",
            "NUMSUB [channel-1 .. channel-N] -- Returns the number of subscribers for the specified channels (excluding patterns, default: none).",
        ];
        let name = String::from_utf8_lossy(&c.argv[0]).into_owned();
        add_reply_help(c, &name, HELP);
    } else if sub.eq_ignore_ascii_case(b"channels") && (argc == 2 || argc == 3)
    {
        // PUBSUB CHANNELS [<pattern>]
        let argv = std::mem::take(&mut c.argv);
        let pat = if argc == 2 { None } else { Some(argv[2].as_slice()) };
        let replylen = add_deferred_multi_bulk_length(c);
        let mut mblen = 0;
        for channel in server.pubsub_channels.keys() {
            if pat.is_none_or(|p| stringmatchlen(p, channel, false)) {
                add_reply_bulk(c, channel);
                mblen += 1;
            }
        }
        set_deferred_multi_bulk_length(c, replylen, mblen);
        c.argv = argv;
    } else if sub.eq_ignore_ascii_case(b"numsub") && argc >= 2 {
        // PUBSUB NUMSUB [Channel_1 ... Channel_N]
        let argv = std::mem::take(&mut c.argv);
        add_reply_multi_bulk_len(c, (argc as i64 - 2) * 2);
        for channel in &argv[2..] {
            let n = server.pubsub_channels.get(channel).map_or(0, |l| l.len());
            add_reply_bulk(c, channel);
            add_reply_long_long(c, n as i64);
        }
        c.argv = argv;
    } else if sub.eq_ignore_ascii_case(b"numpat") && argc == 2 {
        // PUBSUB NUMPAT
        add_reply_long_long(c, server.pubsub_patterns.len() as i64);
    } else {
        add_reply_subcommand_syntax_error(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::networking::{apply_deferred, create_client};

    /// A server and two fake clients that keep their replies (the Lua
    /// flag lets a socketless client collect them): `a` stays in
    /// `server.clients`, `b` is lent out, as the client running a command.
    fn setup() -> (RedisServer, ClientId, Box<Client>) {
        let mut server = init_server_config();
        let a = create_client(&mut server, None).expect("fake client");
        let b = create_client(&mut server, None).expect("fake client");
        server.clients.here_mut(&a).expect("a").flags |= CLIENT_LUA;
        let mut cb = server.clients.lend(&b).expect("client in table");
        cb.flags |= CLIENT_LUA;
        (server, a, cb)
    }

    fn reply(c: &mut Client) -> String {
        let mut out = c.buf[..c.bufpos].to_vec();
        for b in &c.reply {
            out.extend_from_slice(&b.buf);
        }
        c.bufpos = 0;
        c.reply.clear();
        String::from_utf8_lossy(&out).into_owned()
    }

    fn with_a<R>(
        server: &mut RedisServer,
        a: ClientId,
        f: impl FnOnce(&mut RedisServer, &mut Client) -> R,
    ) -> R {
        let mut c = server.clients.lend(&a).expect("a in table");
        let r = f(server, &mut c);
        server.clients.give_back(c);
        r
    }

    #[test]
    fn pubsub_publish_message_reaches_present_and_defers_for_running() {
        let (mut server, a, mut b) = setup();
        with_a(&mut server, a, |s, c| pubsub_subscribe_channel(s, c, b"ch"));
        assert!(pubsub_subscribe_pattern(&mut server, &mut b, b"c*"));
        assert!(!pubsub_subscribe_pattern(&mut server, &mut b, b"c*"));
        assert_eq!(
            reply(&mut b),
            "*3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:1\r\n".repeat(2)
        );
        with_a(&mut server, a, |_, c| reply(c));

        assert_eq!(pubsub_publish_message(&mut server, b"ch", b"hi"), 2);
        assert_eq!(pubsub_publish_message(&mut server, b"x", b"no"), 0);
        let got = with_a(&mut server, a, |_, c| reply(c));
        assert_eq!(got, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        // The running subscriber gets its copy when its slot is applied.
        assert_eq!(reply(&mut b), "");
        apply_deferred(&mut server, &mut b);
        assert_eq!(
            reply(&mut b),
            "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        assert!(server.clients.take_effects(&b.id).is_empty());
    }

    #[test]
    fn pubsub_unsubscribe_all_keeps_server_side_lists_in_step() {
        let (mut server, a, mut b) = setup();
        with_a(&mut server, a, |s, c| pubsub_subscribe_channel(s, c, b"ch"));
        pubsub_subscribe_channel(&mut server, &mut b, b"ch");
        pubsub_subscribe_channel(&mut server, &mut b, b"solo");
        pubsub_subscribe_pattern(&mut server, &mut b, b"p*");
        with_a(&mut server, a, |s, c| pubsub_subscribe_pattern(s, c, b"p*"));
        assert_eq!(server.pubsub_channels[&b"ch"[..]], vec![a, b.id]);
        assert_eq!(server.pubsub_patterns.len(), 2);
        reply(&mut b);

        assert_eq!(
            pubsub_unsubscribe_all_channels(&mut server, &mut b, false),
            2
        );
        assert_eq!(
            pubsub_unsubscribe_all_patterns(&mut server, &mut b, false),
            1
        );
        assert_eq!(reply(&mut b), "", "no notification when notify is false");
        assert_eq!(
            server.pubsub_channels.len(),
            1,
            "the emptied channel is removed"
        );
        assert_eq!(server.pubsub_channels[&b"ch"[..]], vec![a]);
        assert_eq!(
            server.pubsub_patterns,
            vec![PubsubPattern { client: a, pattern: b"p*".to_vec() }]
        );
        assert_eq!(client_subscriptions_count(&b), 0);

        // Nothing left: the notify form still replies once, with a nil.
        assert_eq!(
            pubsub_unsubscribe_all_channels(&mut server, &mut b, true),
            0
        );
        assert_eq!(reply(&mut b), "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    }
}
