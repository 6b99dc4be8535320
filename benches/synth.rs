//! In-process benchmarks of synth (criterion): one spec through `compile`, one spec through
//! `compile` and `emit`, and `commands::run` over N = 1, 10 and 100 generated specs, writing out/
//! and with `--check`. Whole-process figures (start-up, peak memory, N = 1,000) come from
//! `benches/whole-process.sh`. Run with `cargo bench --bench synth`; sample counts are kept
//! small so the whole run takes about a minute on two cores.

mod generate;

use std::fs;
use std::hint::black_box;
use std::io;
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use cogsynth::cfn::emit::{Format, emit};
use cogsynth::cli::Cli;
use cogsynth::commands::{Streams, run};
use cogsynth::compile::compile;
use cogsynth::diag::has_errors;
use cogsynth::error::Exit;
use criterion::{
    BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

/// Stack counts for the in-process `commands::run` benchmarks (1,000 is whole-process only).
const SIZES: [usize; 3] = [1, 10, 100];

/// Runs synth in `cwd` with `args` (after the program name), output discarded.
fn synth(cwd: &Path, args: &[&str]) -> Exit {
    let cli = Cli::parse_from(std::iter::once("synth").chain(args.iter().copied()));
    let mut streams = Streams {
        out: &mut io::sink(),
        err: &mut io::sink(),
    };
    run(&cli, cwd, &mut streams).unwrap_or_else(|e| panic!("{e}"))
}

fn one_spec(c: &mut Criterion) {
    let text = generate::spec(1);
    let file = format!("stacks/{}", generate::file_name(1));
    let mut group = c.benchmark_group("one-spec");
    group.throughput(Throughput::Elements(1));
    group.bench_function("compile", |b| {
        b.iter(|| {
            let (compiled, diags) = compile(black_box(&file), black_box(text.as_bytes()));
            assert!(compiled.is_some() && !has_errors(&diags), "{diags:?}");
            compiled
        });
    });
    group.bench_function("compile+emit", |b| {
        b.iter(|| {
            let (compiled, diags) = compile(black_box(&file), black_box(text.as_bytes()));
            let compiled = compiled.unwrap_or_else(|| panic!("spec unusable: {diags:?}"));
            emit(&compiled.template, &compiled.loaded.file, Format::Yaml)
        });
    });
    group.finish();
}

fn whole_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("synth-run");
    // One iteration of N = 100 takes ~0.1 s: flat sampling keeps the run within its budget.
    group.sampling_mode(SamplingMode::Flat);
    for n in SIZES {
        let dir = tempfile::tempdir().expect("a temporary directory");
        generate::write_specs(&dir.path().join("stacks"), n).expect("specs written");
        let out = dir.path().join("out");
        group.throughput(Throughput::Elements(u64::try_from(n).expect("small")));
        // From an empty out/ every time: every template is new, so each is written (and synced).
        group.bench_with_input(BenchmarkId::new("write", n), &n, |b, _| {
            b.iter_batched(
                || {
                    let _ = fs::remove_dir_all(&out);
                },
                |()| assert_eq!(synth(dir.path(), &[]), Exit::Ok),
                BatchSize::PerIteration,
            );
        });
        // out/ is up to date: everything is compiled, emitted and compared, nothing written.
        assert_eq!(synth(dir.path(), &[]), Exit::Ok);
        group.bench_with_input(BenchmarkId::new("check", n), &n, |b, _| {
            b.iter(|| assert_eq!(synth(dir.path(), &["--check"]), Exit::Ok));
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = one_spec, whole_run
}
criterion_main!(benches);
