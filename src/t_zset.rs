//! (placeholder) Ports t_zset.c from Redis 5.0.14.

/// The value of a key of this type. (placeholder until the port lands)
#[derive(Debug, Clone, Default)]
pub struct ZSet {}
