//! Running the `nicc` binary from the CLI tests.

#![allow(dead_code)]

use std::process::Command;

/// Runs `nicc ARGS`: (success, stdout, stderr).
pub fn nicc(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nicc"))
        .args(args)
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
