//! The read rate limit's counters: one key per client, `INCR` then `EXPIRE … NX` (the window
//! starts with the first request; a key that somehow lost its expiry gets one back on the
//! next request) and `PTTL`, in one pipelined round trip to the key's node. `EXPIRE … NX`
//! needs Redis 7.0 or newer.

use async_trait::async_trait;

use super::{redis_error, RedisStore};
use crate::store::{RateCounter, StoreError, WindowCount};

#[async_trait]
impl RateCounter for RedisStore {
    async fn count_request(
        &self,
        client: &str,
        window_secs: u64,
    ) -> Result<WindowCount, StoreError> {
        let key = self.keys.read_rate(client);
        let mut conn = self.conn.clone();
        let (count, pttl): (u64, i64) = redis::pipe()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window_secs)
            .arg("NX")
            .ignore()
            .pttl(&key)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        // -1 (no expiry) or -2 (expired since the INCR): a whole window is the safe answer.
        let resets_in_secs = match u64::try_from(pttl) {
            Ok(ms) => ms.div_ceil(1000),
            Err(_) => window_secs,
        };
        Ok(WindowCount {
            count,
            resets_in_secs: resets_in_secs.max(1),
        })
    }
}
