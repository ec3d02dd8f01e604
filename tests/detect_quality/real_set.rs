//! The real labelled set: every method in one run.

use crate::{methods, metrics, real};

/// On the real labelled set (bench/data/real: public web-service series, MIT), every method in
/// one run: dw-detect-2 must raise fewer false incidents than dw-detect-1 and both baselines,
/// and still catch a share of the labelled anomalies. (It catches fewer than the baselines:
/// most labelled anomalies there are small KPI deviations it treats as noise; see
/// docs/detection.md.)
#[test]
fn on_real_labelled_series_dw_detect_2_raises_the_fewest_false_incidents() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/real");
    let set = real::load_dir(&dir);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert!(set.series.len() >= 20, "{}", real::describe_empty(&dir));
    let totals: Vec<(&'static str, usize, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = methods::all()
            .into_iter()
            .map(|method| {
                let set = &set;
                s.spawn(move || {
                    let (mut caught, mut outages, mut false_incidents) = (0, 0, 0);
                    for series in &set.series {
                        let m = metrics::evaluate(series, &method.run(series));
                        caught += m.caught();
                        outages += m.outages.len();
                        false_incidents += m.false_incidents;
                    }
                    (method.name(), caught, outages, false_incidents)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("method thread"))
            .collect()
    });
    for (name, caught, outages, false_incidents) in &totals {
        println!("real set, {name}: caught {caught}/{outages}, {false_incidents} false incidents");
    }
    let of = |name: &str| {
        totals
            .iter()
            .find(|t| t.0 == name)
            .copied()
            .expect("method evaluated")
    };
    let v2 = of("dw-detect-2");
    for other in ["dw-detect-1", "gauss-z4", "mad-z5"] {
        assert!(v2.3 < of(other).3, "{v2:?} against {:?}", of(other));
    }
    // At least a sixth of the labelled anomalies (42 of 226 in December 2026).
    assert!(6 * v2.1 >= v2.2, "{v2:?}");
}
