//! The shape of a surge: each minute's excess over normal, `ln(observed+1) − ln(expected+1)`,
//! compared between services by Pearson correlation on the same clock. Two services hit by
//! the same failure leave normal in the same minute or two and stay up together; a service
//! whose surge began long before, or is fading, has another shape.

use chrono::{DateTime, Utc};

use super::types::{minutes, MinuteSeries};

/// Fewest minutes a correlation is computed on.
pub const MIN_POINTS: usize = 5;
/// A minute is "risen" when its excess reaches ln 2 (about twice normal, with the +1s).
const RISEN: f64 = std::f64::consts::LN_2;
/// How far before its onset a service's rise is looked for.
const RISE_LOOKBACK: usize = 10;

/// The excess over normal of one series, minute by minute from `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub start: DateTime<Utc>,
    pub values: Vec<f64>,
}

impl Shape {
    /// The shape of a series.
    pub fn of(series: &MinuteSeries) -> Self {
        Self {
            start: series.start,
            values: (0..series.len()).map(|i| series.excess(i)).collect(),
        }
    }

    /// The minute after the last one.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + minutes(self.values.len() as i64)
    }

    /// The values of the minutes in `[from, to)`, when the shape covers them all.
    pub fn slice(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<&[f64]> {
        let a = (from - self.start).num_minutes();
        let b = (to - self.start).num_minutes();
        if a < 0 || b < a || b as usize > self.values.len() {
            return None;
        }
        self.values.get(a as usize..b as usize)
    }
}

/// The window that `shapes` all cover from `from` on: `[max(from, starts), min(ends))`.
pub fn common_window<'a>(
    shapes: impl IntoIterator<Item = &'a Shape>,
    from: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let mut lo = from;
    let mut hi: Option<DateTime<Utc>> = None;
    for s in shapes {
        lo = lo.max(s.start);
        hi = Some(hi.map_or(s.end(), |h| h.min(s.end())));
    }
    let hi = hi?;
    ((hi - lo).num_minutes() >= MIN_POINTS as i64).then_some((lo, hi))
}

/// `values` centred and scaled to unit length, so that the correlation of two such vectors
/// is their dot product; `None` for too few points or a flat series.
pub fn standardised(values: &[f64]) -> Option<Vec<f64>> {
    if values.len() < MIN_POINTS {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let norm = values
        .iter()
        .map(|v| (v - mean).powi(2))
        .sum::<f64>()
        .sqrt();
    (norm > 1e-9).then(|| values.iter().map(|v| (v - mean) / norm).collect())
}

/// Pearson correlation of two standardised vectors of the same length.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Pearson correlation of two equally long slices (`None` when either is flat or short).
pub fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() {
        return None;
    }
    Some(dot(&standardised(a)?, &standardised(b)?))
}

/// The median of `shapes`, minute by minute over `[from, to)` (shapes not covering the whole
/// window are left out).
pub fn median_shape<'a>(
    shapes: impl IntoIterator<Item = &'a Shape>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<Vec<f64>> {
    let slices: Vec<&[f64]> = shapes
        .into_iter()
        .filter_map(|s| s.slice(from, to))
        .collect();
    let len = slices.first()?.len();
    let mut column = Vec::with_capacity(slices.len());
    let median = (0..len)
        .map(|i| {
            column.clear();
            column.extend(slices.iter().map(|s| s[i]));
            column.sort_by(f64::total_cmp);
            let m = column.len() / 2;
            if column.len() % 2 == 1 {
                column[m]
            } else {
                (column[m - 1] + column[m]) / 2.0
            }
        })
        .collect();
    Some(median)
}

/// The minute a service's reports rose: the first minute of the run of risen minutes that
/// reaches its incident's onset (looking back at most 10 minutes); the onset when no minute
/// before it had risen.
pub fn rise_minute(shape: &Shape, onset: DateTime<Utc>) -> DateTime<Utc> {
    let last = (onset - shape.start).num_minutes();
    if last < 0 || shape.values.is_empty() {
        return onset;
    }
    let last = (last as usize).min(shape.values.len() - 1);
    // The latest risen minute at or just before the onset (the detector judges 3-minute
    // windows, so the onset can follow the rise's end by a minute or two).
    let Some(mut i) = (last.saturating_sub(2)..=last)
        .rev()
        .find(|&i| shape.values[i] >= RISEN)
    else {
        return onset;
    };
    let floor = last.saturating_sub(RISE_LOOKBACK);
    while i > floor && shape.values[i - 1] >= RISEN {
        i -= 1;
    }
    shape.start + minutes(i as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
            .single()
            .expect("valid")
    }

    fn shape(values: &[f64]) -> Shape {
        Shape {
            start: t0(),
            values: values.to_vec(),
        }
    }

    #[test]
    fn steps_in_the_same_minute_correlate_and_a_fading_surge_does_not() {
        let step = [0.0, 0.1, 0.0, 0.0, 2.0, 2.2, 2.1, 2.3];
        let same = [0.1, 0.0, 0.0, 0.1, 1.5, 1.9, 2.0, 1.8];
        let fading = [2.5, 2.2, 1.8, 1.2, 0.9, 0.5, 0.3, 0.1];
        assert!(correlation(&step, &same).expect("defined") > 0.9);
        assert!(correlation(&step, &fading).expect("defined") < 0.0);
        assert_eq!(
            correlation(&step, &[1.0; 8]),
            None,
            "a flat series has no shape"
        );
    }

    #[test]
    fn the_rise_is_the_start_of_the_run_that_reaches_the_onset() {
        let s = shape(&[0.0, 0.0, 0.9, 1.5, 2.0, 2.0, 2.0]);
        assert_eq!(rise_minute(&s, t0() + minutes(5)), t0() + minutes(2));
        let calm = shape(&[0.0; 7]);
        assert_eq!(rise_minute(&calm, t0() + minutes(5)), t0() + minutes(5));
    }

    #[test]
    fn the_median_shape_ignores_shapes_that_miss_the_window() {
        let a = shape(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
        let b = shape(&[0.0, 3.0, 2.0, 1.0, 4.0, 5.0]);
        let c = shape(&[9.0, 9.0, 9.0, 9.0, 9.0, 9.0]);
        let short = shape(&[1.0]);
        let m = median_shape([&a, &b, &c, &short], t0(), t0() + minutes(6)).expect("median");
        assert_eq!(m, vec![0.0, 3.0, 2.0, 3.0, 4.0, 5.0]);
        let w = common_window([&a, &b], t0() - minutes(3)).expect("window");
        assert_eq!(w, (t0(), t0() + minutes(6)));
    }
}
