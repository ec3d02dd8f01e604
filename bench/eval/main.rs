//! `bench/quality`: how right Downwatch is, next to two simple baselines, on labelled series —
//! the real set (`bench/data/real/*.csv`) and a harsh simulated world. Runs every method over
//! every series (in parallel over series), prints per-series and overall tables and the
//! targets of issue 13 on stdout; progress goes to stderr.

mod baselines;
mod methods;
mod metrics;
mod real;
mod report;
mod series;
mod sim;
mod targets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::{Parser, ValueEnum};

use methods::Method;
use report::{SeriesResult, SetResult};
use series::LabelledSeries;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Set {
    Real,
    Sim,
    All,
}

/// Detection quality of Downwatch and two baselines on labelled series.
#[derive(Debug, Parser)]
#[command(name = "quality")]
struct Args {
    /// Which labelled set to run.
    #[arg(long, value_enum, default_value = "all")]
    set: Set,
    /// Only series whose name contains this.
    #[arg(long)]
    series: Option<String>,
    /// Days simulated per service.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Seed of the simulated world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Simulated services per size.
    #[arg(long, default_value_t = 3)]
    replicas: u32,
    /// Directory of the real labelled series.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/data/real"))]
    real_dir: PathBuf,
    /// Worker threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

/// A series to run: loaded, or to be simulated by the worker.
enum Job {
    Loaded(LabelledSeries),
    Simulated(Box<(sim::Service, sim::Plan)>),
}

impl Job {
    fn name(&self) -> &str {
        match self {
            Job::Loaded(s) => &s.name,
            Job::Simulated(b) => &b.0.name,
        }
    }

    fn run(&self, methods: &[Method]) -> SeriesResult {
        let simulated;
        let series = match self {
            Job::Loaded(s) => s,
            Job::Simulated(b) => {
                simulated = sim::simulate(&b.0, &b.1).series;
                &simulated
            }
        };
        SeriesResult {
            name: series.name.clone(),
            metrics: methods
                .iter()
                .map(|m| metrics::evaluate(series, &m.run(series)))
                .collect(),
        }
    }
}

/// Runs the jobs over `threads` workers, in order of the jobs.
fn run_all(set: &'static str, jobs: Vec<Job>, methods: &[Method], threads: usize) -> SetResult {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<SeriesResult>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let t = Instant::now();
                let result = job.run(methods);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!(
                    "quality: [{n}/{}] {} ({:.1} s; {:.0} s in)",
                    jobs.len(),
                    job.name(),
                    t.elapsed().as_secs_f64(),
                    started.elapsed().as_secs_f64()
                );
                if let Ok(mut r) = results.lock() {
                    r[i] = Some(result);
                }
            });
        }
    });
    SetResult {
        set,
        series: results
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect(),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let started = Instant::now();
    let methods = methods::all();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let wanted = |name: &str| args.series.as_deref().is_none_or(|s| name.contains(s));
    println!(
        "methods: {} (baselines: see bench/eval/baselines.rs)",
        methods
            .iter()
            .map(Method::name)
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut real = None;
    if matches!(args.set, Set::Real | Set::All) {
        let loaded = real::load_dir(&args.real_dir);
        for e in &loaded.errors {
            eprintln!("quality: skipped {e}");
            println!("real: skipped {e}");
        }
        if loaded.series.is_empty() && loaded.errors.is_empty() {
            let message = real::describe_empty(&args.real_dir);
            eprintln!("quality: {message}");
            println!("real: {message}");
        }
        let jobs: Vec<Job> = loaded
            .series
            .into_iter()
            .filter(|s| wanted(&s.name))
            .map(Job::Loaded)
            .collect();
        println!(
            "real: {} series from {}",
            jobs.len(),
            args.real_dir.display()
        );
        real = Some(run_all("real", jobs, &methods, threads));
    }

    let mut simulated = None;
    if matches!(args.set, Set::Sim | Set::All) {
        if args.days <= sim::WARMUP_DAYS + 1 {
            eprintln!(
                "quality: --days must be at least {} ({} days of warm-up, then at least two judged)",
                sim::WARMUP_DAYS + 2,
                sim::WARMUP_DAYS
            );
            return ExitCode::from(2);
        }
        let jobs: Vec<Job> = sim::world(&sim::SIZES, args.replicas, args.days, args.seed)
            .into_iter()
            .filter(|(s, _)| wanted(&s.name))
            .map(|w| Job::Simulated(Box::new(w)))
            .collect();
        println!(
            "sim: {} services ({} sizes from 100 to 100,000 reports/day × {} replicas), {} days each \
             from {} (first {} days warm-up), 1-minute buckets, seed {}",
            jobs.len(),
            sim::SIZES.len(),
            args.replicas,
            args.days,
            sim::start().format("%Y-%m-%d"),
            sim::WARMUP_DAYS,
            args.seed
        );
        simulated = Some(run_all("sim", jobs, &methods, threads));
    }

    for set in [&real, &simulated].into_iter().flatten() {
        if !set.series.is_empty() {
            print!("{}", report::set_tables(set, &methods));
        }
    }
    print!(
        "{}",
        targets::table(&[real.as_ref(), simulated.as_ref()], &methods)
    );
    println!(
        "\nran in {:.1} s on {threads} threads",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
