//! Pub/Sub: channels and patterns, SUBSCRIBE and PUBLISH.
//!
//! Ports pubsub.c from Redis 5.0.14.

use crate::server::*;

/// Unsubscribe from all the channels. Return the number of channels the
/// client was subscribed to.
///
/// C: pubsub.c pubsubUnsubscribeAllChannels()
pub fn pubsub_unsubscribe_all_channels(_server: &mut RedisServer, c: &mut Client, _notify: bool) -> usize {
    let n = c.pubsub_channels.len();
    c.pubsub_channels.clear();
    n
}

/// Unsubscribe from all the patterns. Return the number of patterns the
/// client was subscribed from.
///
/// C: pubsub.c pubsubUnsubscribeAllPatterns()
pub fn pubsub_unsubscribe_all_patterns(_server: &mut RedisServer, c: &mut Client, _notify: bool) -> usize {
    let n = c.pubsub_patterns.len();
    c.pubsub_patterns.clear();
    n
}
