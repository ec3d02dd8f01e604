//! What people saw: a report's platform and phrase are kept as written; a phrase is read out
//! of the log only once k distinct reporters sent it; platforms are counted in the minute
//! buckets and the rollups.

use downwatch::domain::Platform;
use downwatch::store::{NewReport, PhraseCount, PlatformTotal};

use crate::backends::{Durable, Hot};
use crate::fixtures::{at, bucket_report, report};

mod durable {
    use super::*;

    durable_tests!(
        platform_and_phrase_read_back_as_written,
        a_phrase_is_read_only_once_k_distinct_reporters_sent_it,
        rollups_count_platforms_incrementally_and_in_a_rebuild,
    );
}

mod hot {
    use super::*;

    hot_tests!(minute_buckets_count_platforms);
}

fn said(
    service: &str,
    secs: i64,
    reporter: u8,
    platform: Option<Platform>,
    phrase: Option<&str>,
) -> NewReport {
    NewReport {
        platform,
        phrase: phrase.map(str::to_owned),
        ..report(service, secs, reporter, Some("IT"))
    }
}

async fn platform_and_phrase_read_back_as_written(db: Durable) {
    db.log
        .ensure_partitions(at(0).date_naive(), 2)
        .await
        .expect("partitions");
    let batch = vec![
        said("netflix", 1, 1, Some(Platform::SmartTv), Some("error #")),
        said("netflix", 2, 2, None, None),
        said("netflix", 3, 3, Some(Platform::Ios), None),
    ];
    db.log.append(&batch).await.expect("append");
    let back = db
        .log
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    assert_eq!(back, batch);
}

async fn a_phrase_is_read_only_once_k_distinct_reporters_sent_it(db: Durable) {
    db.log
        .ensure_partitions(at(0).date_naive(), 2)
        .await
        .expect("partitions");
    let wrong = "something went wrong";
    let mut batch = Vec::new();
    // Four reporters, one of them three times: four distinct, below k = 5.
    for r in 1..=4u8 {
        batch.push(said("chatgpt", i64::from(r), r, None, Some(wrong)));
    }
    for again in 0..2 {
        let mut repeat = said("chatgpt", 10 + again, 1, None, Some(wrong));
        repeat.counted = false;
        batch.push(repeat);
    }
    // One person's own words, and the same phrase about another service.
    batch.push(said("chatgpt", 20, 9, None, Some("hi this is unique")));
    for r in 1..=6u8 {
        batch.push(said("claude", 30, r, None, Some(wrong)));
    }
    // Reports without a message count for nothing here.
    batch.push(said("chatgpt", 40, 7, None, None));
    db.log.append(&batch).await.expect("append");

    let below = db
        .log
        .top_phrases("chatgpt", at(0), at(60), 5, 10)
        .await
        .expect("phrases");
    assert!(below.phrases.is_empty(), "{below:?}");
    assert_eq!(below.reporters, 5, "distinct reporters with any message");

    db.log
        .append(&[said("chatgpt", 50, 5, None, Some(wrong))])
        .await
        .expect("append");
    let found = db
        .log
        .top_phrases("chatgpt", at(0), at(60), 5, 10)
        .await
        .expect("phrases");
    assert_eq!(
        found.phrases,
        [PhraseCount {
            phrase: wrong.into(),
            reporters: 5
        }]
    );
    assert_eq!(found.reporters, 6);
    // The window is [from, to): the fifth reporter at 50 s is out of [0, 50).
    let earlier = db
        .log
        .top_phrases("chatgpt", at(0), at(50), 5, 10)
        .await
        .expect("phrases");
    assert!(earlier.phrases.is_empty());
    // A lower k shows more, never the phrase one person sent; the limit holds.
    let k2 = db
        .log
        .top_phrases("chatgpt", at(0), at(60), 2, 10)
        .await
        .expect("phrases");
    assert_eq!(k2.phrases.len(), 1, "{k2:?}");
    let claude = db
        .log
        .top_phrases("claude", at(0), at(60), 5, 0)
        .await
        .expect("phrases");
    assert!(claude.phrases.is_empty(), "limit 0");
    assert_eq!(claude.reporters, 6);
}

async fn rollups_count_platforms_incrementally_and_in_a_rebuild(db: Durable) {
    db.log
        .ensure_partitions(at(0).date_naive(), 2)
        .await
        .expect("partitions");
    let mut uncounted = said("netflix", 5, 8, Some(Platform::Web), None);
    uncounted.counted = false;
    db.log
        .append(&[
            said("netflix", 10, 1, Some(Platform::Ios), None),
            said("netflix", 20, 2, Some(Platform::Ios), None),
            said("netflix", 30, 3, Some(Platform::Android), None),
            said("netflix", 40, 4, None, None),
            said("spotify", 40, 4, Some(Platform::Web), None),
            uncounted,
        ])
        .await
        .expect("append");
    db.rollups.roll_up(at(900)).await.expect("roll up");
    db.log
        .append(&[said("netflix", 950, 5, Some(Platform::Ios), None)])
        .await
        .expect("append");
    db.rollups.roll_up(at(1800)).await.expect("roll up");

    let expected = vec![
        PlatformTotal {
            platform: Some(Platform::Ios),
            reports: 3,
        },
        PlatformTotal {
            platform: Some(Platform::Android),
            reports: 1,
        },
        PlatformTotal {
            platform: None,
            reports: 1,
        },
    ];
    let totals = db
        .rollups
        .platform_totals("netflix", at(0), at(1800))
        .await
        .expect("totals");
    assert_eq!(totals, expected);
    let first = db
        .rollups
        .platform_totals("netflix", at(0), at(900))
        .await
        .expect("totals");
    assert_eq!(first[0].reports, 2, "{first:?}");

    db.rollups.rebuild_rollups(at(0)).await.expect("rebuild");
    let rebuilt = db
        .rollups
        .platform_totals("netflix", at(0), at(1800))
        .await
        .expect("totals");
    assert_eq!(rebuilt, expected, "a rebuild counts the same");
}

async fn minute_buckets_count_platforms(hot: Hot) {
    let ios = |secs, reporter| NewReport {
        platform: Some(Platform::Ios),
        ..bucket_report("netflix", secs, reporter, Some("IT"))
    };
    hot.buckets
        .apply(&[
            ios(1, 1),
            ios(2, 2),
            NewReport {
                platform: Some(Platform::SmartTv),
                ..bucket_report("netflix", 3, 3, Some("IT"))
            },
            bucket_report("netflix", 4, 4, Some("IT")),
        ])
        .await
        .expect("apply");
    let bucket = hot.buckets.minute("netflix", at(0)).await.expect("minute");
    let count = |f: &str| {
        bucket
            .fields
            .iter()
            .find(|(k, _)| k == f)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(bucket.total, 4);
    assert_eq!(count("pf:ios"), 2);
    assert_eq!(count("pf:smart-tv"), 1);
    assert_eq!(
        bucket
            .fields
            .iter()
            .filter(|(k, _)| k.starts_with("pf:"))
            .count(),
        2,
        "no field for reports without a platform"
    );
    let summed = hot
        .buckets
        .summed_fields("netflix", &[at(0)])
        .await
        .expect("summed");
    assert_eq!(summed.get("pf:ios"), Some(&2));
}
