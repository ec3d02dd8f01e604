//! One conformance suite for the store contracts (`downwatch::store`): every test is written
//! once against the traits and runs on every backend of its seam. The durable stores
//! (report log, catalog, rollups, detector, incidents, API keys, webhooks) run on SQLite, in a
//! temp file, and on Postgres, in a database of the test's own; the hot stores (abuse gate,
//! minute buckets, status board, rate counters) run in memory and on Redis, under a key prefix
//! of the test's own (a Redis Cluster too: `scripts/test` runs the `redis::` tests again
//! against one). Everything a test creates is removed when it ends, even when it fails.
//!
//! What only one backend promises (SQLite's WAL and file reopening, the in-process clock of
//! the memory store, Postgres partitions) is tested beside that backend instead.

/// Runs each named test, an `async fn(Durable)` of the calling module, on every durable
/// backend: as `<seam>::sqlite::<test>` and `<seam>::postgres::<test>`.
macro_rules! durable_tests {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::backends::Durable::sqlite().await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::backends::Durable::postgres().await).await;
                }
            )+
        }
    };
}

/// Runs each named test, an `async fn(Hot)` of the calling module, on every hot backend: as
/// `<seam>::memory::<test>` and `<seam>::redis::<test>`.
macro_rules! hot_tests {
    ($($test:ident),+ $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::backends::Hot::memory()).await;
                }
            )+
        }
        mod redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test(crate::backends::Hot::redis().await).await;
                }
            )+
        }
    };
}

mod backends;
mod fixtures;
#[path = "../common/throwaway.rs"]
mod throwaway;

// The durable seams.
mod api_keys;
mod catalog;
mod detector;
mod incidents;
mod official;
mod outages;
mod reports;
mod retention;
mod rollups;
mod said;
mod webhooks;

// The hot seams.
mod board;
mod buckets;
mod gate;
mod rate;
