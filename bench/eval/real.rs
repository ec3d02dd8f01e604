//! The real labelled set: loads `bench/data/real/*.csv` (`timestamp,value,label`, RFC 3339
//! UTC timestamps, label 0/1) as exported, gaps, repeats and irregular spacing kept. A
//! contiguous run of rows labelled 1 is one outage; the nominal bucket is the median spacing
//! between rows. An empty value (or `nan`) is an unknown row, not zero.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use downwatch::detect::infer_bucket_minutes;

use super::series::{Event, EventKind, LabelledSeries, Row};

/// Judging starts a day after a real series' first row (every method's warm-up).
pub const WARMUP: Duration = Duration::days(1);

/// Why a file could not be read, naming the file and, when it is about one row, the line.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub line: Option<u64>,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}: line {line}: {}", self.path.display(), self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

/// What a directory held: the series read, and the files that could not be.
#[derive(Debug, Default)]
pub struct RealSet {
    pub series: Vec<LabelledSeries>,
    pub errors: Vec<LoadError>,
}

/// Every `*.csv` of `dir`, in name order. A missing or empty directory gives an empty set;
/// [`describe_empty`] says so in words.
pub fn load_dir(dir: &Path) -> RealSet {
    let mut set = RealSet::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return set;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    paths.sort();
    for path in paths {
        match load_file(&path) {
            Ok(series) => set.series.push(series),
            Err(e) => set.errors.push(e),
        }
    }
    set
}

/// The message for a directory without series.
pub fn describe_empty(dir: &Path) -> String {
    format!(
        "no real labelled series in {} (expected *.csv files with the header \
         timestamp,value,label; see bench/README.md): the real set is skipped",
        dir.display()
    )
}

/// Reads one labelled CSV.
pub fn load_file(path: &Path) -> Result<LabelledSeries, LoadError> {
    let fail = |line: Option<u64>, reason: String| LoadError {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| fail(None, e.to_string()))?;
    let header = reader.headers().map_err(|e| fail(Some(1), e.to_string()))?;
    let names: Vec<&str> = header.iter().collect();
    if names != ["timestamp", "value", "label"] {
        return Err(fail(
            Some(1),
            format!(
                "expected the header timestamp,value,label, found {}",
                names.join(",")
            ),
        ));
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut labels: Vec<bool> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| fail(e.position().map(|p| p.line()), e.to_string()))?;
        let line = record.position().map(|p| p.line());
        let at = DateTime::parse_from_rfc3339(&record[0])
            .map_err(|e| fail(line, format!("bad timestamp {:?}: {e}", &record[0])))?
            .with_timezone(&Utc);
        let value = match &record[1] {
            v if v.is_empty() || v.eq_ignore_ascii_case("nan") => None,
            v => Some(
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| fail(line, format!("bad value {v:?}")))?,
            ),
        };
        let label = match record[2].parse::<f64>() {
            Ok(0.0) => false,
            Ok(1.0) => true,
            _ => {
                return Err(fail(
                    line,
                    format!("bad label {:?}: use 0 or 1", &record[2]),
                ))
            }
        };
        if rows.last().is_some_and(|r| r.0 > at) {
            return Err(fail(
                line,
                format!("timestamp {at} is earlier than the row before"),
            ));
        }
        rows.push((at, value));
        labels.push(label);
    }
    let Some(&(first, _)) = rows.first() else {
        return Err(fail(None, "no rows".into()));
    };
    // The bucket `downwatch replay` would infer, so that the baselines' buckets are its own.
    let bucket_minutes =
        infer_bucket_minutes(rows.iter().map(|r| r.0)).map_err(|e| fail(None, e.to_string()))?;
    let end_of = |i: usize| rows[i].0 + Duration::minutes(i64::from(bucket_minutes));
    let mut events = Vec::new();
    let mut run: Option<usize> = None;
    for i in 0..=rows.len() {
        match (run, labels.get(i).copied().unwrap_or(false)) {
            (None, true) => run = Some(i),
            (Some(s), false) => {
                events.push(Event {
                    start: rows[s].0,
                    end: end_of(i - 1),
                    kind: EventKind::Outage,
                    five_x: None,
                });
                run = None;
            }
            _ => {}
        }
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    Ok(LabelledSeries {
        name: format!("real/{stem}"),
        eval_from: first + WARMUP,
        rows,
        bucket_minutes,
        events,
        per_day: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("bench/eval/testdata")
            .join(dir)
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn a_labelled_csv_keeps_its_rows_and_runs_of_ones_become_outages() {
        let set = load_dir(&testdata("real"));
        assert!(set.errors.is_empty(), "{:?}", set.errors);
        let s = &set.series[0];
        assert_eq!(s.name, "real/tiny");
        assert_eq!(s.bucket_minutes, 5);
        assert_eq!(s.rows.len(), 11);
        // The repeated timestamp stays, and the unknown value is not a zero.
        assert_eq!(s.rows[2].0, s.rows[3].0);
        assert_eq!(s.rows[5].1, None);
        assert_eq!(s.rows[7].1, Some(95.5));
        let outages: Vec<_> = s.events.iter().map(|e| (e.start, e.end, e.kind)).collect();
        assert_eq!(
            outages,
            [
                (
                    at("2026-03-29T01:15:00Z"),
                    at("2026-03-29T01:25:00Z"),
                    EventKind::Outage
                ),
                (
                    at("2026-03-29T02:45:00Z"),
                    at("2026-03-29T02:50:00Z"),
                    EventKind::Outage
                ),
            ]
        );
        assert_eq!(s.eval_from, at("2026-03-30T00:50:00Z"));
    }

    #[test]
    fn the_fixture_buckets_like_replay() {
        let s = load_file(&testdata("real/tiny.csv")).expect("loads");
        let b = crate::series::buckets(&s.rows, s.bucket_minutes);
        let values: Vec<f64> = b.iter().map(|b| b.value).collect();
        // 01:00 and its repeat and 01:04 share a bucket; 01:10 is unknown; 02:40 follows a gap.
        assert_eq!(values, [12.0, 10.0, 23.0, 80.0, 95.5, 14.0, 12.0, 60.0]);
    }

    #[test]
    fn an_empty_or_missing_directory_is_an_empty_set_with_a_message() {
        for dir in [testdata("empty"), testdata("absent")] {
            let set = load_dir(&dir);
            assert!(set.series.is_empty() && set.errors.is_empty());
            assert!(describe_empty(&dir).contains("no real labelled series"));
        }
    }

    #[test]
    fn a_bad_row_names_its_file_and_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bad.csv");
        std::fs::write(
            &path,
            "timestamp,value,label\n2026-03-29T00:50:00Z,12,0\n2026-03-29T00:55:00Z,x,0\n",
        )
        .expect("written");
        let e = load_file(&path).expect_err("bad value");
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("bad.csv: line 3: bad value"), "{e}");
        std::fs::write(&path, "time,value\n").expect("written");
        assert!(load_file(&path)
            .expect_err("bad header")
            .to_string()
            .contains("header"));
    }
}
