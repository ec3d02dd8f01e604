//! Minute buckets: what a minute holds, windows over minutes, exact rebuilds, the
//! all-services aggregate, active services, series of one counter.

use downwatch::store::{minute_of, MinuteSeries, ALL_SERVICES};

use crate::backends::Hot;
use crate::fixtures::{at, bucket_report as report};

hot_tests!(
    apply_fills_every_field_of_the_minute_bucket,
    windows_sum_minutes_union_reporters_and_count_subnets,
    rebuild_replaces_exactly_one_minute,
    the_all_services_bucket_adds_up_every_service_and_is_rebuilt_on_its_own,
    active_services_are_those_with_a_counted_report_since,
    series_of_one_counter_follow_applies_and_rebuilds,
    buckets_lost_are_noted_filled_again,
    a_large_batch_adds_each_report_once_to_every_key_it_shares,
);

async fn apply_fills_every_field_of_the_minute_bucket(hot: Hot) {
    let mut repeat = report("netflix", 5, 1, Some("IT"));
    repeat.counted = false;
    let reports = [
        report("netflix", 1, 1, Some("IT")),
        report("netflix", 2, 2, None),
        repeat,
    ];
    hot.buckets.apply(&reports).await.expect("apply");
    // Nothing to count: nothing changes, and no error.
    hot.buckets.apply(&[]).await.expect("nothing");
    hot.buckets.apply(&reports[2..]).await.expect("a repeat");
    let bucket = hot.buckets.minute("netflix", at(30)).await.expect("minute");
    assert_eq!(bucket.total, 2);
    assert_eq!(bucket.unique_reporters, 2);
    let mut fields = bucket.fields;
    fields.sort();
    let expected = [
        ("asn:3269", 2),
        ("cc:IT", 1),
        ("sd:IT-25", 1),
        ("sym:app", 2),
        ("sym:login", 2),
    ];
    let expected: Vec<(String, i64)> = expected.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    assert_eq!(fields, expected);
    let next = hot.buckets.minute("netflix", at(60)).await.expect("minute");
    assert_eq!(next.total, 0);
    let other = hot.buckets.minute("spotify", at(0)).await.expect("minute");
    assert_eq!(other.total, 0);
}

async fn windows_sum_minutes_union_reporters_and_count_subnets(hot: Hot) {
    hot.buckets
        .apply(&[
            report("netflix", 0, 1, Some("IT")),
            report("netflix", 60, 1, Some("IT")),
            report("netflix", 61, 2, None),
            report("spotify", 0, 3, Some("GB")),
        ])
        .await
        .expect("apply");
    let minutes = [at(-60), at(0), at(60)];
    let services = ["netflix".to_owned(), "steam".to_owned()];
    let windows = hot
        .buckets
        .windows(&services, &minutes)
        .await
        .expect("windows");
    assert_eq!(windows.len(), 2);
    let netflix = &windows[0];
    assert_eq!(netflix.service, "netflix");
    assert_eq!(netflix.per_minute, [0, 1, 2]);
    assert_eq!(netflix.unique_reporters, 2);
    assert_eq!(netflix.fields.get("total"), Some(&3));
    assert_eq!(netflix.fields.get("cc:IT"), Some(&2));
    assert_eq!(netflix.subnets.get("IT:010203040506"), Some(&2));
    assert_eq!(netflix.subnets.get("ZZ:010203040506"), Some(&1));
    assert_eq!(netflix.subnets.len(), 2);
    assert_eq!(windows[1].service, "steam");
    assert_eq!(windows[1].per_minute, [0, 0, 0]);
    assert_eq!(windows[1].unique_reporters, 0);
    // The counters alone, summed.
    let summed = hot
        .buckets
        .summed_fields("netflix", &minutes)
        .await
        .expect("summed");
    assert_eq!(summed, netflix.fields);
}

async fn rebuild_replaces_exactly_one_minute(hot: Hot) {
    hot.buckets
        .apply(&[
            report("netflix", 0, 1, Some("IT")),
            report("netflix", 1, 2, Some("IT")),
            report("netflix", 60, 3, Some("IT")),
        ])
        .await
        .expect("apply");
    let truth = [
        report("netflix", 5, 4, None),
        // Not this service-minute: ignored.
        report("netflix", 60, 5, None),
        report("spotify", 0, 6, None),
    ];
    hot.buckets
        .rebuild("netflix", at(0), &truth)
        .await
        .expect("rebuild");
    let w = hot
        .buckets
        .windows(&["netflix".into()], &[at(0)])
        .await
        .expect("windows");
    assert_eq!(w[0].per_minute, [1]);
    assert_eq!(w[0].unique_reporters, 1);
    assert_eq!(w[0].fields.get("cc:IT"), None);
    assert_eq!(w[0].subnets.len(), 1);
    assert_eq!(w[0].subnets.get("ZZ:010203040506"), Some(&1));
    let next = hot.buckets.minute("netflix", at(60)).await.expect("minute");
    assert_eq!((next.total, next.unique_reporters), (1, 1));
    let spotify = hot.buckets.minute("spotify", at(0)).await.expect("minute");
    assert_eq!(spotify.total, 0);
    // Rebuilding with nothing empties the minute.
    hot.buckets
        .rebuild("netflix", at(0), &[])
        .await
        .expect("rebuild");
    let emptied = hot.buckets.minute("netflix", at(0)).await.expect("minute");
    assert_eq!((emptied.total, emptied.unique_reporters), (0, 0));
}

async fn the_all_services_bucket_adds_up_every_service_and_is_rebuilt_on_its_own(hot: Hot) {
    let mut located = report("netflix", 0, 1, Some("IT"));
    (located.lat, located.lon) = (Some(45.46), Some(9.19));
    hot.buckets
        .apply(&[located, report("spotify", 1, 2, None)])
        .await
        .expect("apply");
    let all = hot
        .buckets
        .minute(ALL_SERVICES, at(0))
        .await
        .expect("minute");
    assert_eq!((all.total, all.unique_reporters), (2, 0));
    assert!(all.fields.contains(&("sym:login".into(), 2)));
    assert!(all.fields.contains(&("pt:45.5,9.2".into(), 1)));
    let netflix = hot.buckets.minute("netflix", at(0)).await.expect("minute");
    assert!(netflix.fields.contains(&("pt:45.5,9.2".into(), 1)));
    // Rebuilding one service leaves the aggregate alone…
    hot.buckets
        .rebuild("netflix", at(0), &[])
        .await
        .expect("rebuild");
    let all = hot
        .buckets
        .minute(ALL_SERVICES, at(0))
        .await
        .expect("minute");
    assert_eq!(all.total, 2);
    // …which is rebuilt from every service's reports of its minute, and only it.
    let truth = [
        report("spotify", 1, 2, None),
        report("steam", 2, 3, None),
        report("steam", 60, 3, None),
    ];
    hot.buckets
        .rebuild(ALL_SERVICES, at(0), &truth)
        .await
        .expect("rebuild");
    let all = hot
        .buckets
        .minute(ALL_SERVICES, at(0))
        .await
        .expect("minute");
    assert_eq!(all.total, 2);
    assert!(!all.fields.iter().any(|(f, _)| f.starts_with("pt:")));
    let steam = hot.buckets.minute("steam", at(0)).await.expect("minute");
    assert_eq!(steam.total, 0);
    let active = hot.buckets.active_services(at(0)).await.expect("active");
    assert_eq!(active, ["netflix", "spotify"]);
}

async fn active_services_are_those_with_a_counted_report_since(hot: Hot) {
    let mut uncounted = report("steam", 100, 9, None);
    uncounted.counted = false;
    hot.buckets
        .apply(&[
            report("spotify", 50, 1, None),
            report("netflix", 10, 2, None),
            report("netflix", 90, 3, None),
            uncounted,
        ])
        .await
        .expect("apply");
    // Oldest last report first.
    let active = hot.buckets.active_services(at(20)).await.expect("active");
    assert_eq!(active, ["spotify", "netflix"]);
    // Rebuilding an older minute does not make a service look less recent.
    let old = report("netflix", -600, 4, None);
    hot.buckets
        .rebuild("netflix", minute_of(old.received_at), &[old])
        .await
        .expect("rebuild");
    let active = hot.buckets.active_services(at(60)).await.expect("active");
    assert_eq!(active, ["netflix"]);
    let none = hot.buckets.active_services(at(91)).await.expect("active");
    assert!(none.is_empty());
}

async fn series_of_one_counter_follow_applies_and_rebuilds(hot: Hot) {
    hot.buckets
        .apply(&[
            report("netflix", 0, 1, Some("IT")),
            report("netflix", 60, 1, Some("IT")),
            report("netflix", 61, 2, None),
            report("netflix", 180, 3, Some("IT")),
        ])
        .await
        .expect("apply");
    let minutes: Vec<_> = (0..4).map(|m| at(m * 60)).collect();
    let series = |field: &'static str, unique_per| {
        let (buckets, minutes) = (hot.buckets.clone(), minutes.clone());
        async move {
            buckets
                .minute_series("netflix", &minutes, field, unique_per)
                .await
                .expect("series")
        }
    };
    assert_eq!(
        series("total", Some(2)).await,
        MinuteSeries {
            counts: vec![1, 2, 0, 1],
            unique: vec![2, 1],
        }
    );
    let italy = series("cc:IT", None).await;
    assert_eq!(italy.counts, [1, 1, 0, 1]);
    assert!(italy.unique.is_empty());
    // A rebuilt minute reads anew, even by a reader that read it before.
    hot.buckets
        .rebuild("netflix", at(60), &[report("netflix", 70, 4, Some("IT"))])
        .await
        .expect("rebuild");
    assert_eq!(
        series("total", Some(2)).await,
        MinuteSeries {
            counts: vec![1, 1, 0, 1],
            unique: vec![2, 1],
        }
    );
    assert_eq!(series("cc:IT", None).await.counts, [1, 1, 0, 1]);
}

async fn buckets_lost_are_noted_filled_again(hot: Hot) {
    hot.buckets.ping().await.expect("ping");
    hot.buckets.mark_filled().await.expect("mark");
    assert!(hot.buckets.is_filled().await.expect("filled"));
}

async fn a_large_batch_adds_each_report_once_to_every_key_it_shares(hot: Hot) {
    // 600 reports over 3 services and 2 minutes, reporters repeating, some repeats not
    // counted: the batch merges what they share, and every count stays exact.
    let services = ["netflix", "spotify", "steam"];
    let batch: Vec<_> = (0..600i64)
        .map(|i| {
            let service = services[(i % 3) as usize];
            let country = (i % 4 == 0).then_some("IT");
            let mut r = report(service, i % 120, (i % 40) as u8, country);
            r.subnet = vec![(i % 5) as u8; 8];
            r.counted = i % 10 != 9;
            r
        })
        .collect();
    hot.buckets.apply(&batch).await.expect("apply");
    for service in services {
        for minute in [at(0), at(60)] {
            let own: Vec<_> = batch
                .iter()
                .filter(|r| r.counted && r.service == service && minute_of(r.received_at) == minute)
                .collect();
            let bucket = hot.buckets.minute(service, minute).await.expect("minute");
            assert_eq!(bucket.total, own.len() as i64, "{service} {minute}");
            let it = own.iter().filter(|r| r.country.is_some()).count() as i64;
            assert!(bucket.fields.contains(&("cc:IT".into(), it)), "{bucket:?}");
            assert!(bucket
                .fields
                .contains(&("sym:login".into(), own.len() as i64)));
            let mut reporters: Vec<_> = own.iter().map(|r| r.reporter.clone()).collect();
            reporters.sort();
            reporters.dedup();
            assert_eq!(bucket.unique_reporters, reporters.len() as i64);
            let window = hot
                .buckets
                .windows(&[service.to_owned()], &[minute])
                .await
                .expect("windows");
            let subnets: i64 = window[0].subnets.values().sum();
            assert_eq!(subnets, own.len() as i64);
            let mut distinct: Vec<_> = own
                .iter()
                .map(|r| (r.country.clone(), r.subnet.clone()))
                .collect();
            distinct.sort();
            distinct.dedup();
            assert_eq!(window[0].subnets.len(), distinct.len());
        }
    }
    let all = hot
        .buckets
        .minute(ALL_SERVICES, at(0))
        .await
        .expect("minute");
    let counted_first_minute = batch
        .iter()
        .filter(|r| r.counted && minute_of(r.received_at) == at(0))
        .count() as i64;
    assert_eq!(all.total, counted_first_minute);
    let active = hot.buckets.active_services(at(100)).await.expect("active");
    assert_eq!(active.len(), 3, "{active:?}");
}
