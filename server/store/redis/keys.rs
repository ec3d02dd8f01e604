//! Every Redis key Downwatch uses, built in one place.
//!
//! Keys of one service share the hash tag `{s:<slug>}` so that Redis Cluster keeps them on
//! one shard; the abuse-gate keys of one client address share `{a:<hash>}` so that the gate
//! script, which touches the rate-limit and dedupe keys together, stays on one slot. A
//! client's read counter is a single key, tagged `{r:<client>}` so that counters spread over
//! the cluster.

use chrono::{DateTime, Utc};

/// Builds keys under a prefix (empty in production, unique per test).
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Hash of counters for one service-minute: `total`, `sym:*`, `cc:*`, `sd:*`, `asn:*`.
    pub fn minute(&self, service: &str, minute: DateTime<Utc>) -> String {
        format!(
            "{}dw:{{s:{service}}}:m:{}",
            self.prefix,
            minute.timestamp() / 60
        )
    }

    /// HyperLogLog of reporters for one service-minute.
    pub fn minute_reporters(&self, service: &str, minute: DateTime<Utc>) -> String {
        format!(
            "{}dw:{{s:{service}}}:u:{}",
            self.prefix,
            minute.timestamp() / 60
        )
    }

    /// Hash of counted reports per subnet (`<country>:<subnet hash>`) for one service-minute.
    pub fn minute_subnets(&self, service: &str, minute: DateTime<Utc>) -> String {
        format!(
            "{}dw:{{s:{service}}}:n:{}",
            self.prefix,
            minute.timestamp() / 60
        )
    }

    /// Counter bumped whenever one of the service's minutes is rebuilt from the report log:
    /// readers that keep settled minutes know to read them again.
    pub fn generation(&self, service: &str) -> String {
        format!("{}dw:{{s:{service}}}:g", self.prefix)
    }

    /// Sorted set of services by the time of their last counted report.
    pub fn active_services(&self) -> String {
        format!("{}dw:active", self.prefix)
    }

    /// Set once the buckets have been refilled from the report log; its absence means Redis
    /// lost them (a restart without persistence, a flush) or never had them.
    pub fn filled(&self) -> String {
        format!("{}dw:filled", self.prefix)
    }

    /// Hash of the detector's last status per service.
    pub fn status(&self) -> String {
        format!("{}dw:status", self.prefix)
    }

    /// Counter of the detector's ticks that published statuses.
    pub fn ticks(&self) -> String {
        format!("{}dw:ticks", self.prefix)
    }

    /// Capped stream of live events.
    pub fn events(&self) -> String {
        format!("{}dw:events", self.prefix)
    }

    /// Counter of reports from one address in the current rate-limit window.
    pub fn rate(&self, address: &str) -> String {
        format!("{}dw:{{a:{address}}}:rl", self.prefix)
    }

    /// Counter of one client's reads in its current window; `client` is `a:<address hash>`
    /// or `k:<API key id>`, and its own hash tag.
    pub fn read_rate(&self, client: &str) -> String {
        format!("{}dw:{{r:{client}}}", self.prefix)
    }

    /// Marker that one reporter already reported one service within the dedupe window.
    pub fn dedupe(&self, address: &str, service: &str, reporter: &str) -> String {
        format!("{}dw:{{a:{address}}}:dd:{service}:{reporter}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_keys_share_one_hash_tag() {
        let keys = Keys::new("t1:");
        let m = DateTime::from_timestamp(120, 0).expect("valid");
        assert_eq!(keys.minute("netflix", m), "t1:dw:{s:netflix}:m:2");
        assert_eq!(keys.minute_reporters("netflix", m), "t1:dw:{s:netflix}:u:2");
        assert_eq!(keys.generation("netflix"), "t1:dw:{s:netflix}:g");
        assert_eq!(keys.rate("ab"), "t1:dw:{a:ab}:rl");
        assert_eq!(keys.read_rate("k:7"), "t1:dw:{r:k:7}");
        assert_eq!(
            keys.dedupe("ab", "netflix", "cd"),
            "t1:dw:{a:ab}:dd:netflix:cd"
        );
    }

    #[test]
    fn keys_used_together_share_one_cluster_slot() {
        use redis::cluster_routing::Slot;
        let keys = Keys::new("t1:");
        let m = DateTime::from_timestamp(120, 0).expect("valid");
        let later = DateTime::from_timestamp(7200, 0).expect("valid");
        for service in ["netflix", crate::store::ALL_SERVICES] {
            let slot = Slot::for_key(keys.minute(service, m));
            for key in [
                keys.minute(service, later),
                keys.minute_reporters(service, m),
                keys.minute_reporters(service, later),
                keys.minute_subnets(service, m),
                keys.generation(service),
            ] {
                assert_eq!(Slot::for_key(&key), slot, "{key}");
            }
        }
        assert_ne!(
            Slot::for_key(keys.minute("netflix", m)),
            Slot::for_key(keys.minute("spotify", m)),
            "services spread over the cluster"
        );
        assert_eq!(
            Slot::for_key(keys.rate("ab")),
            Slot::for_key(keys.dedupe("ab", "netflix", "cd"))
        );
    }
}
