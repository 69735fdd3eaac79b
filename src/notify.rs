//! Keyspace events notification: when a key changes and
//! `notify-keyspace-events` asks for that class of event, a message is
//! PUBLISHed on `__keyspace@<db>__:<key>` (the event name as payload)
//! and/or `__keyevent@<db>__:<event>` (the key name as payload). See
//! https://redis.io/topics/notifications.
//!
//! Ports notify.c from Redis 5.0.14, in the same order.

use crate::server::*;

/// Turn a string representing notification classes into an integer
/// representing notification classes flags xored.
///
/// The function returns -1 if the input contains characters not mapping to
/// any class.
///
/// C: notify.c keyspaceEventsStringToFlags()
pub(crate) fn keyspace_events_string_to_flags(classes: &[u8]) -> i32 {
    let mut flags = 0;
    for &c in classes {
        // C stops at the first NUL of its C string.
        if c == 0 {
            break;
        }
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            _ => return -1,
        };
    }
    flags
}

/// This function does exactly the reverse of the function above: it gets
/// as input an integer with the xored flags and returns a string
/// representing the selected classes.
///
/// C: notify.c keyspaceEventsFlagsToString()
pub(crate) fn keyspace_events_flags_to_string(flags: i32) -> String {
    let mut res = String::new();
    if flags & NOTIFY_ALL == NOTIFY_ALL {
        res.push('A');
    } else {
        for (flag, ch) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
        ] {
            if flags & flag != 0 {
                res.push(ch);
            }
        }
    }
    if flags & NOTIFY_KEYSPACE != 0 {
        res.push('K');
    }
    if flags & NOTIFY_KEYEVENT != 0 {
        res.push('E');
    }
    res
}

/// The API provided to the rest of the Redis core is a simple function:
/// 'type_' is the notification class (NOTIFY_*), 'event' is the event
/// name, 'key' is the key name, 'dbid' is the database ID where the key
/// lives.
///
/// C: notify.c notifyKeyspaceEvent()
pub(crate) fn notify_keyspace_event(
    server: &mut RedisServer,
    type_: i32,
    event: &str,
    key: &[u8],
    dbid: i32,
) {
    // C first notifies the modules interested in events; there are no
    // modules here.

    // If notifications for this class of events are off, return ASAP.
    if server.notify_keyspace_events & type_ == 0 {
        return;
    }
    // Nobody can receive the messages: skip building the channel names.
    // (An optimisation with no visible effect; C always builds them.)
    if server.pubsub_channels.is_empty() && server.pubsub_patterns.is_empty() {
        return;
    }
    let dbid = dbid.to_string();

    // __keyspace@<db>__:<key> <event> notifications.
    if server.notify_keyspace_events & NOTIFY_KEYSPACE != 0 {
        let mut chan = Vec::with_capacity(16 + dbid.len() + key.len());
        chan.extend_from_slice(b"__keyspace@");
        chan.extend_from_slice(dbid.as_bytes());
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(key);
        crate::pubsub::pubsub_publish_message(server, &chan, event.as_bytes());
    }

    // __keyevent@<db>__:<event> <key> notifications.
    if server.notify_keyspace_events & NOTIFY_KEYEVENT != 0 {
        let mut chan = Vec::with_capacity(16 + dbid.len() + event.len());
        chan.extend_from_slice(b"__keyevent@");
        chan.extend_from_slice(dbid.as_bytes());
        chan.extend_from_slice(b"__:");
        chan.extend_from_slice(event.as_bytes());
        crate::pubsub::pubsub_publish_message(server, &chan, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_events_string_to_flags_maps_every_class() {
        assert_eq!(keyspace_events_string_to_flags(b""), 0);
        assert_eq!(
            keyspace_events_string_to_flags(b"KEA"),
            NOTIFY_KEYSPACE | NOTIFY_KEYEVENT | NOTIFY_ALL
        );
        assert_eq!(
            keyspace_events_string_to_flags(b"g$lshzxet"),
            NOTIFY_ALL,
            "the nine classes together are A"
        );
        assert_eq!(
            keyspace_events_string_to_flags(b"Kl"),
            NOTIFY_KEYSPACE | NOTIFY_LIST
        );
        assert_eq!(keyspace_events_string_to_flags(b"KEy"), -1);
        assert_eq!(
            keyspace_events_string_to_flags(b"a"),
            -1,
            "classes are case sensitive"
        );
    }

    #[test]
    fn keyspace_events_flags_to_string_round_trips_as_config_get_shows() {
        // The CONFIG GET results the Tcl test expects.
        let s = |x: &str| {
            keyspace_events_flags_to_string(keyspace_events_string_to_flags(
                x.as_bytes(),
            ))
        };
        assert_eq!(s("gKE"), "gKE");
        assert_eq!(s("$lshzxeKE"), "$lshzxeKE");
        assert_eq!(s("KA"), "AK");
        assert_eq!(s("EA"), "AE");
        assert_eq!(s(""), "");
        assert_eq!(s("tg"), "gt");
    }
}
