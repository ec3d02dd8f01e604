//! The report log: appended batches get their ids in order and read back as written; the
//! bucket-repair notes.

use downwatch::store::{NewReport, ServiceMinute};

use crate::backends::Durable;
use crate::fixtures::{at, report};

durable_tests!(
    append_returns_ids_in_order_and_counted_between_reads_them_back,
    concurrent_batches_all_land_each_with_increasing_ids,
    bucket_repairs_are_noted_once_listed_oldest_first_and_cleared,
);

async fn append_returns_ids_in_order_and_counted_between_reads_them_back(db: Durable) {
    db.log
        .ensure_partitions(at(0).date_naive(), 3)
        .await
        .expect("partitions");
    assert!(db.log.append(&[]).await.expect("empty").is_empty());
    let mut repeat = report("netflix", 20, 1, Some("IT"));
    repeat.counted = false;
    let batch = vec![
        report("netflix", 30, 1, Some("IT")),
        report("spotify", 10, 2, None),
        repeat,
        report("netflix", 5, 3, None),
    ];
    let ids = db.log.append(&batch).await.expect("append");
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[1] > w[0]), "{ids:?}");
    let more = db.log.append(&batch[..1]).await.expect("append");
    assert!(
        more.len() == 1 && more[0] > ids[3],
        "{more:?} after {ids:?}"
    );

    let all = db
        .log
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    let times: Vec<_> = all.iter().map(|r| r.received_at).collect();
    assert_eq!(
        times,
        [
            batch[3].received_at,
            batch[1].received_at,
            batch[0].received_at,
            batch[0].received_at
        ]
    );
    // Everything comes back as written, to the microsecond.
    assert_eq!(all[2], batch[0]);
    let netflix = db
        .log
        .counted_between(at(5), at(30), Some("netflix"))
        .await
        .expect("read");
    // [from, to): the report at 5 s is in, those at 30 s are out.
    assert_eq!(netflix, [batch[3].clone()]);
    // Reports of one instant read back in id order, which is the batch's order: each id
    // is its own report's.
    let same: Vec<NewReport> = (0..50u8)
        .map(|i| report(if i % 2 == 0 { "steam" } else { "xbox" }, 45, i, None))
        .collect();
    let ids = db.log.append(&same).await.expect("append");
    assert_eq!(ids.len(), same.len());
    let back = db
        .log
        .counted_between(at(45), at(46), None)
        .await
        .expect("read");
    assert_eq!(back, same);
    db.log.ping().await.expect("ping");
}

async fn concurrent_batches_all_land_each_with_increasing_ids(db: Durable) {
    let mut tasks = Vec::new();
    for b in 0..40u8 {
        let log = db.log.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<NewReport> = (0..25)
                .map(|i| report("netflix", i64::from(i), b, None))
                .collect();
            let ids = log.append(&batch).await.expect("append");
            // Reads run alongside the writes.
            log.counted_between(at(0), at(60), None)
                .await
                .expect("read");
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let ids = task.await.expect("task");
        assert_eq!(ids.len(), 25);
        assert!(ids.windows(2).all(|w| w[1] > w[0]), "{ids:?}");
        all.extend(ids);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 1000);
    let back = db
        .log
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    assert_eq!(back.len(), 1000);
}

async fn bucket_repairs_are_noted_once_listed_oldest_first_and_cleared(db: Durable) {
    let minutes = vec![
        ServiceMinute {
            service: "netflix".to_owned(),
            minute: at(120),
        },
        ServiceMinute {
            service: "spotify".to_owned(),
            minute: at(60),
        },
    ];
    db.log.note_bucket_repairs(&minutes).await.expect("note");
    db.log
        .note_bucket_repairs(&minutes[..1])
        .await
        .expect("note again");
    db.log.note_bucket_repairs(&[]).await.expect("nothing");
    let pending = db.log.pending_bucket_repairs(10).await.expect("pending");
    assert_eq!(pending, [minutes[1].clone(), minutes[0].clone()]);
    let first = db.log.pending_bucket_repairs(1).await.expect("pending");
    assert_eq!(first, [minutes[1].clone()]);
    db.log
        .clear_bucket_repairs(&minutes[1..])
        .await
        .expect("clear");
    db.log.clear_bucket_repairs(&[]).await.expect("nothing");
    let pending = db.log.pending_bucket_repairs(10).await.expect("pending");
    assert_eq!(pending, [minutes[0].clone()]);
}
