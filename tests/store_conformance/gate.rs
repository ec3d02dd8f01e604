//! The abuse gate: a reporter's repeat is a duplicate, an address over its limit is refused
//! for the rest of its window, and a release gives back what a check took.

use downwatch::store::{GateCheck, GateLimits, GateOutcome};

use crate::backends::Hot;

hot_tests!(
    a_repeat_within_the_window_is_a_duplicate_but_another_service_counts,
    an_address_over_its_limit_is_refused_for_the_rest_of_its_window_and_another_is_not,
    release_forgets_a_counted_report_and_its_share_of_the_rate_limit,
);

fn check(address: &str, service: &str, reporter: &str) -> GateCheck {
    GateCheck {
        address: address.into(),
        reporter: reporter.into(),
        service: service.into(),
    }
}

const LIMITS: GateLimits = GateLimits {
    dedupe_secs: 900,
    rate_limit: 3,
    rate_window_secs: 3600,
};

async fn a_repeat_within_the_window_is_a_duplicate_but_another_service_counts(hot: Hot) {
    assert!(hot.gate.check(&[], LIMITS).await.expect("none").is_empty());
    let outcomes = hot
        .gate
        .check(
            &[
                check("a1", "netflix", "r1"),
                check("a1", "netflix", "r1"),
                check("a1", "spotify", "r1"),
                check("a1", "netflix", "r2"),
            ],
            GateLimits {
                rate_limit: 100,
                ..LIMITS
            },
        )
        .await
        .expect("check");
    assert_eq!(
        outcomes,
        [
            GateOutcome::Counted,
            GateOutcome::Duplicate,
            GateOutcome::Counted,
            GateOutcome::Counted
        ]
    );
}

async fn an_address_over_its_limit_is_refused_for_the_rest_of_its_window_and_another_is_not(
    hot: Hot,
) {
    for s in ["netflix", "spotify", "whatsapp"] {
        let outcome = hot.gate.check(&[check("a1", s, "r1")], LIMITS).await;
        assert_eq!(outcome.expect("check"), [GateOutcome::Counted]);
    }
    let steam = [check("a1", "steam", "r1")];
    for _ in 0..2 {
        let refused = hot.gate.check(&steam, LIMITS).await.expect("check");
        let [GateOutcome::RateLimited { retry_after_secs }] = refused[..] else {
            panic!("not refused: {refused:?}");
        };
        assert!(
            (3590..=3600).contains(&retry_after_secs),
            "the rest of the window: {retry_after_secs}"
        );
    }
    // Another address is not affected.
    let other = hot.gate.check(&[check("a2", "steam", "r2")], LIMITS).await;
    assert_eq!(other.expect("check"), [GateOutcome::Counted]);
}

async fn release_forgets_a_counted_report_and_its_share_of_the_rate_limit(hot: Hot) {
    let limits = GateLimits {
        rate_limit: 2,
        ..LIMITS
    };
    let first = check("a1", "netflix", "r1");
    let outcomes = hot
        .gate
        .check(&[first.clone(), first.clone()], limits)
        .await
        .expect("check");
    assert_eq!(outcomes, [GateOutcome::Counted, GateOutcome::Duplicate]);
    let limited = GateOutcome::RateLimited {
        retry_after_secs: 3600,
    };
    hot.gate
        .release(&[
            (first.clone(), GateOutcome::Counted),
            (first.clone(), GateOutcome::Duplicate),
            (first.clone(), limited),
        ])
        .await
        .expect("release");
    // Marker gone and both requests given back: two more fit, the third does not.
    let outcomes = hot
        .gate
        .check(
            &[first.clone(), check("a1", "spotify", "r1"), first],
            limits,
        )
        .await
        .expect("check");
    assert_eq!(outcomes[..2], [GateOutcome::Counted, GateOutcome::Counted]);
    assert!(
        matches!(outcomes[2], GateOutcome::RateLimited { .. }),
        "{outcomes:?}"
    );
}
