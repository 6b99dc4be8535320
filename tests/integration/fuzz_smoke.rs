//! The fuzz targets' smoke run on the stable toolchain (README "Fuzzing"): the bodies the
//! cargo-fuzz targets in `fuzz/` run (`cogsynth::fuzzing`), on every seed (bundled stacks, good
//! and bad fixtures), every input a fuzzer once crashed on (`fuzz/regressions/`), and a few
//! thousand deterministic mutations of the seeds with the fuzzer's own dictionary
//! (`fuzz/spec.dict`). Same inputs on every run: a failure here is reproducible as it stands.

use std::fs;
use std::path::Path;

use cogsynth::fuzzing;

use crate::support::repo;

/// Mutated inputs per target.
const MUTANTS: usize = 2_500;
/// The length cap the fuzz runs use (`-max_len`).
const MAX_LEN: usize = 8_192;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn files_in(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files_in(&path, out);
        } else if path.file_name().is_some_and(|n| n != "README.md") {
            out.push(fs::read(&path).unwrap());
        }
    }
}

/// The seed corpus `fuzz/run` hands libFuzzer, in a fixed order.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in ["stacks", "tests/fixtures/good", "tests/fixtures/bad"] {
        files_in(&repo().join(dir), &mut seeds);
    }
    assert!(seeds.len() >= 15, "{} seeds", seeds.len());
    seeds
}

/// Inputs the fuzzers once failed on (`fuzz/regressions/<target>/`), every target's.
fn regressions() -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    files_in(&repo().join("fuzz/regressions"), &mut found);
    found
}

/// The tokens of `fuzz/spec.dict` (libFuzzer dictionary syntax: `"..."` with `\xNN`, `\\`, `\"`).
fn dictionary() -> Vec<Vec<u8>> {
    let text = fs::read_to_string(repo().join("fuzz/spec.dict")).unwrap();
    let tokens: Vec<Vec<u8>> = text
        .lines()
        .filter_map(|l| l.strip_prefix('"')?.strip_suffix('"'))
        .map(|quoted| {
            let mut token = Vec::new();
            let mut bytes = quoted.bytes();
            while let Some(b) = bytes.next() {
                if b != b'\\' {
                    token.push(b);
                    continue;
                }
                match bytes.next() {
                    Some(b'x') => {
                        let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                        let hex = std::str::from_utf8(&hex).unwrap();
                        token.push(u8::from_str_radix(hex, 16).unwrap());
                    }
                    Some(escaped) => token.push(escaped),
                    None => panic!("a dangling backslash in {quoted}"),
                }
            }
            token
        })
        .collect();
    assert!(tokens.len() > 100, "{} tokens", tokens.len());
    tokens
}

/// Line boundaries of `input`: each line with its `\n`.
fn lines(input: &[u8]) -> Vec<&[u8]> {
    input.split_inclusive(|&b| b == b'\n').collect()
}

/// One to four edits (mostly one) of the kinds libFuzzer makes, and some of YAML's own (lines moved,
/// duplicated, re-indented, taken from another seed).
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>], tokens: &[Vec<u8>]) -> Vec<u8> {
    const BYTES: &[u8] = b" \n\t\r:-#'\"[]{},&*!|>?%@`~\\\x00\xff\xc3";
    let mut out = input.to_vec();
    // Mostly one edit, as libFuzzer makes: a few keep much of the seed intact and get far.
    let edits = if rng.below(4) == 0 {
        2 + rng.below(3)
    } else {
        1
    };
    for _ in 0..edits {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = *rng.pick(BYTES);
            }
            2 | 3 => {
                let token = rng.pick(tokens).clone();
                out.splice(at..at, token);
            }
            4 => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            kind => {
                let mut ls: Vec<Vec<u8>> = lines(&out).into_iter().map(<[u8]>::to_vec).collect();
                if ls.is_empty() {
                    ls.push(Vec::new());
                }
                let i = rng.below(ls.len());
                match kind {
                    5 => {
                        let copy = ls[i].clone();
                        ls.insert(rng.below(ls.len() + 1), copy);
                    }
                    6 => {
                        ls.remove(i);
                    }
                    7 => {
                        let seed: &Vec<u8> = rng.pick(seeds);
                        let other: Vec<Vec<u8>> =
                            lines(seed).into_iter().map(<[u8]>::to_vec).collect();
                        if !other.is_empty() {
                            ls[i].clone_from(rng.pick(&other));
                        }
                    }
                    _ => {
                        if rng.below(2) == 0 {
                            ls[i].splice(0..0, *b"  ");
                        } else if ls[i].starts_with(b"  ") {
                            ls[i].drain(..2);
                        }
                    }
                }
                out = ls.concat();
            }
        }
    }
    out.truncate(MAX_LEN);
    out
}

/// Seeds, regressions, then mutants of seeds and of earlier mutants, for one target.
fn inputs(salt: u64) -> Vec<Vec<u8>> {
    let seeds = seeds();
    let tokens = dictionary();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ salt);
    let mut all = seeds.clone();
    all.extend(regressions());
    for _ in 0..MUTANTS {
        // Mostly a seed, sometimes an earlier mutant: edits pile up as in a fuzzer's corpus.
        let parent = if rng.below(4) == 0 {
            rng.pick(&all).clone()
        } else {
            rng.pick(&seeds).clone()
        };
        all.push(mutate(&mut rng, &parent, &seeds, &tokens));
    }
    all
}

/// Runs `body` on every input; the first failure is saved where a fuzzer can replay it
/// (`cargo fuzz run <target> <file>`) and fails the test. Returns how many inputs got through.
fn run(target: &str, inputs: &[Vec<u8>], body: fn(&[u8]) -> bool) -> usize {
    let mut through = 0;
    for (i, input) in inputs.iter().enumerate() {
        let Ok(ok) = std::panic::catch_unwind(|| body(input)) else {
            let saved = std::env::temp_dir().join(format!("cogsynth-fuzz-{target}-{i}"));
            fs::write(&saved, input).unwrap();
            panic!("{target} failed on input {i}, saved as {}", saved.display());
        };
        through += usize::from(ok);
    }
    through
}

#[test]
fn the_spec_reader_target_holds_on_seeds_regressions_and_mutants() {
    let inputs = inputs(1);
    let read = run("spec_reader", &inputs, fuzzing::spec_reader);
    // A good part of the mutants are still YAML, or the run would say little about the reader.
    assert!(read * 4 > inputs.len(), "{read} of {} read", inputs.len());
}

#[test]
fn the_compile_target_holds_on_seeds_regressions_and_mutants() {
    let inputs = inputs(2);
    let built = run("compile", &inputs, fuzzing::compile);
    // Enough mutants get through every check to exercise emission, not only the diagnostics.
    assert!(
        built * 20 > inputs.len(),
        "{built} of {} built",
        inputs.len()
    );
}
