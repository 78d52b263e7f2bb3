//! Running the `nicc` binary from the CLI tests.

#![allow(dead_code)]

use npyz::WriterBuilder;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;

/// Runs `nicc ARGS`: (success, stdout, stderr).
pub fn nicc(args: &[&str]) -> (bool, String, String) {
    nicc_env(args, &[])
}

/// Runs `nicc ARGS` with extra environment variables: (success, stdout, stderr).
pub fn nicc_env(args: &[&str], env: &[(&str, &Path)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nicc"))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("run nicc");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `nicc ARGS`, which must fail with `message` in its error output.
pub fn fails_with(args: &[&str], message: &str) {
    let (ok, out, err) = nicc(args);
    assert!(!ok, "`nicc {}` succeeded: {out}", args.join(" "));
    assert!(
        err.contains(message),
        "`nicc {}`: expected `{message}` in:\n{err}",
        args.join(" ")
    );
}

/// Writes `data` (row-major, numpy's default dtype for `T`) as a `.npy` array of `shape`.
pub fn write_npy<T: npyz::AutoSerialize + Copy>(path: &Path, shape: &[u64], data: &[T]) {
    let f = BufWriter::new(File::create(path).unwrap());
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(f)
        .begin_nd()
        .unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}
