//! Flood damping and concentration: one subnet cannot stand for a crowd, and a crowd that
//! sits on one network is shown as such ("mostly customers of AS3269").

/// Flood damping: the count after capping each subnet's contribution at `cap`.
///
/// Negative and non-finite counts are ignored; a negative or NaN `cap` caps at zero.
pub fn damped_total(per_subnet: impl IntoIterator<Item = f64>, cap: f64) -> f64 {
    let cap = if cap >= 0.0 { cap } else { 0.0 };
    per_subnet
        .into_iter()
        .filter(|c| c.is_finite() && *c > 0.0)
        .map(|c| c.min(cap))
        .sum()
}

/// The largest key's share of the total, e.g. the top ASN: (key, count, share) or None when
/// empty. On a tie the first key wins; negative and non-finite counts are ignored.
pub fn top_share<K: Clone>(counts: impl IntoIterator<Item = (K, f64)>) -> Option<(K, f64, f64)> {
    let mut total = 0.0;
    let mut top: Option<(K, f64)> = None;
    for (key, count) in counts {
        if !count.is_finite() || count < 0.0 {
            continue;
        }
        total += count;
        if top.as_ref().is_none_or(|(_, best)| count > *best) {
            top = Some((key, count));
        }
    }
    top.map(|(key, count)| {
        let share = if total > 0.0 { count / total } else { 0.0 };
        (key, count, share)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_subnet_counts_at_most_the_cap() {
        assert_eq!(damped_total([1.0, 2.0, 50.0, 3.0], 3.0), 9.0);
        assert_eq!(damped_total([0.5, 2.5], 3.0), 3.0);
        assert_eq!(damped_total(Vec::new(), 3.0), 0.0);
        assert_eq!(damped_total([f64::NAN, -4.0, f64::INFINITY, 1.0], 3.0), 1.0);
        assert_eq!(damped_total([5.0], f64::NAN), 0.0);
    }

    #[test]
    fn top_share_names_the_largest_key() {
        let got = top_share([("AS1", 2.0), ("AS3269", 6.0), ("AS2", 2.0)]);
        assert_eq!(got, Some(("AS3269", 6.0, 0.6)));
        assert_eq!(top_share(Vec::<(&str, f64)>::new()), None);
        assert_eq!(top_share([("a", 1.0), ("b", 1.0)]), Some(("a", 1.0, 0.5)));
        assert_eq!(top_share([("a", 0.0)]), Some(("a", 0.0, 0.0)));
    }
}
