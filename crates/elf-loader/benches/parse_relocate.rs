//! Micro-benchmark: how long parsing an object and relocating its programs takes,
//! for every object of the public corpus (`tests/corpus/`), without the kernel.
//! "Relocating" is what a load does before `BPF_PROG_LOAD`, for every program of
//! the object: the load plan ([`elf_loader::plan_load`]: tail calls, initial values,
//! func/line info) and [`elf_loader::reloc::relocate`] (subprograms appended,
//! map and global-variable references rewritten, with stand-in fds).
//!
//! ```text
//! cargo bench -p rtc-elf-loader [-- EXTRA.o ...]
//! ```
//!
//! Prints, per object, the median time of `Object::parse` alone and of parse plus
//! relocation, and checks issue 7's target: parse + relocate of the largest corpus
//! object under 200 µs. A plain timing loop (`harness = false`): each measurement
//! is the median of batches of runs, each batch long enough for the clock.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use elf_loader::{NoObserver, Object, plan_load};

/// Target of issue 7 for the largest corpus object.
const TARGET: Duration = Duration::from_micros(200);
/// Batches per measurement, and the least time one batch runs.
const BATCHES: usize = 15;
const BATCH_TIME: Duration = Duration::from_millis(4);

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus");
    let mut objects = files_under(&corpus);
    let corpus_count = objects.len();
    objects.extend(
        std::env::args()
            .skip(1)
            .filter(|a| !a.starts_with("--"))
            .map(PathBuf::from),
    );
    if objects.is_empty() {
        eprintln!("no objects: {} is empty or missing", corpus.display());
        std::process::exit(1);
    }

    println!(
        "{:<44} {:>8} {:>6} {:>11} {:>16}",
        "object", "bytes", "progs", "parse", "parse+relocate"
    );
    let mut largest: Option<(u64, String, Duration)> = None;
    for (i, path) in objects.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path
            .strip_prefix(&corpus)
            .unwrap_or(path)
            .display()
            .to_string();
        let programs = Object::parse(&bytes).map_or(0, |o| o.programs().len());
        let parse = measure(|| {
            let _ = black_box(Object::parse(black_box(&bytes)));
        });
        let both = measure(|| parse_and_relocate(black_box(&bytes)));
        println!(
            "{name:<44} {:>8} {programs:>6} {:>8.1} µs {:>13.1} µs",
            bytes.len(),
            micros(parse),
            micros(both)
        );
        let size = bytes.len() as u64;
        if i < corpus_count && largest.as_ref().is_none_or(|(s, _, _)| size > *s) {
            largest = Some((size, name, both));
        }
    }
    if let Some((size, name, time)) = largest {
        println!(
            "\nlargest corpus object: {name} ({size} bytes), parse + relocate {:.1} µs: {} (target < {} µs)",
            micros(time),
            if time < TARGET { "met" } else { "MISSED" },
            TARGET.as_micros()
        );
    }
}

/// Parses `bytes` and does, for every program, what a load does before its
/// syscalls; errors (objects the loader refuses) count as work done.
fn parse_and_relocate(bytes: &[u8]) {
    let Ok(object) = Object::parse(bytes) else {
        return;
    };
    for section in object.program_sections() {
        let _ = black_box(plan_load(&object, &section, None));
    }
    for program in object.programs() {
        let relocated = elf_loader::reloc::relocate(
            &object,
            program,
            |index| Some(100 + index as i32),
            &NoObserver,
        );
        let _ = black_box(relocated);
    }
}

/// Median over [`BATCHES`] batches of the time of one call of `work`.
fn measure(mut work: impl FnMut()) -> Duration {
    // Warm up, and find how many runs fill a batch.
    let start = Instant::now();
    let mut runs = 0u32;
    while start.elapsed() < BATCH_TIME {
        work();
        runs += 1;
    }
    let mut times: Vec<Duration> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..runs {
                work();
            }
            start.elapsed() / runs
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Every `.o`/`.elf` file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "elf" || e == "o") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
