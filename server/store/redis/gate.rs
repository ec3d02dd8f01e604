//! The abuse gate: per-address rate limit and per-reporter dedupe, in one script per report
//! and one pipelined round trip per batch.

use async_trait::async_trait;

use super::{redis_error, RedisStore};
use crate::store::{AbuseGate, GateCheck, GateLimits, GateOutcome, StoreError};

/// KEYS[1] = rate counter, KEYS[2] = dedupe marker;
/// ARGV[1] = limit, ARGV[2] = rate window (s), ARGV[3] = dedupe window (s).
/// Returns {0, retry_after} when rate-limited (nothing changed), {1, 0} counted, {2, 0} duplicate.
pub(super) const GATE_SCRIPT: &str = r#"
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {0, ttl}
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return {1, 0}
end
return {2, 0}
"#;

/// KEYS[1] = rate counter, KEYS[2] = dedupe marker; ARGV[1] = 1 to delete the marker.
pub(super) const RELEASE_SCRIPT: &str = r#"
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[2])
end
return 1
"#;

impl RedisStore {
    fn gate_pipeline(&self, checks: &[GateCheck], limits: GateLimits) -> redis::Pipeline {
        let mut pipe = redis::pipe();
        for c in checks {
            pipe.invoke_script(
                self.gate_script
                    .key(self.keys.rate(&c.address))
                    .key(self.keys.dedupe(&c.address, &c.service, &c.reporter))
                    .arg(limits.rate_limit)
                    .arg(limits.rate_window_secs)
                    .arg(limits.dedupe_secs),
            );
        }
        pipe
    }
}

#[async_trait]
impl AbuseGate for RedisStore {
    async fn check(
        &self,
        checks: &[GateCheck],
        limits: GateLimits,
    ) -> Result<Vec<GateOutcome>, StoreError> {
        if checks.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn.clone();
        let pipe = self.gate_pipeline(checks, limits);
        let answers: Vec<(i64, i64)> = match pipe.query_async(&mut conn).await {
            Ok(a) => a,
            // Scripts in a pipeline are not loaded on demand: load once and retry.
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.gate_script
                    .prepare_invoke()
                    .load_async(&mut conn)
                    .await
                    .map_err(redis_error)?;
                pipe.query_async(&mut conn).await.map_err(redis_error)?
            }
            Err(e) => return Err(redis_error(e)),
        };
        Ok(answers
            .into_iter()
            .map(|(status, ttl)| match status {
                1 => GateOutcome::Counted,
                2 => GateOutcome::Duplicate,
                _ => GateOutcome::RateLimited {
                    retry_after_secs: ttl.max(1) as u64,
                },
            })
            .collect())
    }

    async fn release(&self, checks: &[(GateCheck, GateOutcome)]) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        for (c, outcome) in checks {
            if matches!(outcome, GateOutcome::RateLimited { .. }) {
                continue;
            }
            let drop_marker = if *outcome == GateOutcome::Counted {
                "1"
            } else {
                "0"
            };
            self.release_script
                .key(self.keys.rate(&c.address))
                .key(self.keys.dedupe(&c.address, &c.service, &c.reporter))
                .arg(drop_marker)
                .invoke_async::<i64>(&mut conn)
                .await
                .map_err(redis_error)?;
        }
        Ok(())
    }
}
