//! Checks of a command's output files before it starts: each can be created, and none is one
//! of the command's inputs or another of its outputs. Without them a simulation ran to its
//! end before finding that its output directory does not exist, or wrote over the file it
//! was reading.

pub use nicc_rtl::write_atomically;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output file cannot be used.
#[derive(Debug, Error)]
pub enum OutputError {
    /// The output names an existing directory.
    #[error("{flag} {path} is a directory: give a file name (e.g. {path}/out{ext})")]
    IsDirectory {
        /// The option that names the output, e.g. `--out`.
        flag: String,
        /// The path given.
        path: String,
        /// The usual extension of the file, e.g. `.npy`.
        ext: String,
    },
    /// The directory the output would go into does not exist.
    #[error("{flag} {path}: the directory {dir} does not exist; create it first (mkdir -p {dir}) or write elsewhere")]
    NoDirectory {
        /// The option that names the output.
        flag: String,
        /// The path given.
        path: String,
        /// Its directory.
        dir: String,
    },
    /// What would be the output's directory is a file.
    #[error("{flag} {path}: {dir} is a file, not a directory")]
    NotADirectory {
        /// The option that names the output.
        flag: String,
        /// The path given.
        path: String,
        /// The part of the path that is a file.
        dir: String,
    },
    /// The output's directory could not be created.
    #[error("{flag} {path}: creating the directory {dir}: {source}")]
    CreateDir {
        /// The option that names the output.
        flag: String,
        /// The path given.
        path: String,
        /// The directory.
        dir: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The output is one of the inputs: writing it would destroy what is being read.
    #[error("{flag} {path} is the same file as the input {input_flag} {input}: writing it would overwrite the input; give another output file")]
    SameAsInput {
        /// The option that names the output.
        flag: String,
        /// The output path given.
        path: String,
        /// The option that names the input.
        input_flag: String,
        /// The input path given.
        input: String,
    },
    /// Two outputs are one file: one would overwrite the other.
    #[error("{flag} {path} and {other_flag} {other} are the same file: one would overwrite the other; give two files")]
    SameOutput {
        /// The option that names the first output.
        flag: String,
        /// Its path.
        path: String,
        /// The option that names the second output.
        other_flag: String,
        /// Its path.
        other: String,
    },
}

/// A file argument: the option that names it (`--out`) and its path.
pub type Arg<'a> = (&'a str, &'a Path);

/// Where `path` is or would be: the canonical path of an existing file, else the canonical
/// path of its directory joined with its name (`None` when the directory does not exist).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = std::fs::canonicalize(path) {
        return Some(p);
    }
    Some(
        std::fs::canonicalize(parent_of(path))
            .ok()?
            .join(path.file_name()?),
    )
}

/// Whether `a` and `b` are one file: the same device and inode when both exist (a hard link
/// too), else the same resolved path.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    match (resolved(a), resolved(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The directory `path` goes into (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// [`OutputError::NotADirectory`] when the nearest existing ancestor of `dir` (itself
/// included), where the output `path` goes, is a file: nothing can be created below it.
fn no_file_in_the_way(flag: &str, path: &Path, dir: &Path) -> Result<(), OutputError> {
    match dir
        .ancestors()
        .find(|a| !a.as_os_str().is_empty() && a.exists())
        .filter(|a| !a.is_dir())
    {
        Some(file) => Err(OutputError::NotADirectory {
            flag: flag.into(),
            path: path.display().to_string(),
            dir: file.display().to_string(),
        }),
        None => Ok(()),
    }
}

/// Creates the directory `path` goes into, with its parents (for a command that makes its
/// output directory, e.g. `nicc sweep -o`); a file in the way is
/// [`OutputError::NotADirectory`].
pub fn create_parent(flag: &str, path: &Path) -> Result<(), OutputError> {
    make_dir(flag, path, parent_of(path))
}

/// Creates the output directory `dir` named by `flag` (e.g. `nicc gen -o`), with its parents;
/// a file in the way is [`OutputError::NotADirectory`].
pub fn create_dir(flag: &str, dir: &Path) -> Result<(), OutputError> {
    make_dir(flag, dir, dir)
}

/// Creates `dir` for the output `path`, naming a file in the way.
fn make_dir(flag: &str, path: &Path, dir: &Path) -> Result<(), OutputError> {
    no_file_in_the_way(flag, path, dir)?;
    std::fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
        flag: flag.into(),
        path: path.display().to_string(),
        dir: dir.display().to_string(),
        source,
    })
}

/// Checks that each output can be created (its directory exists, it is not a directory) and
/// is neither one of `inputs` nor another output. `ext` is each output's usual extension, for
/// the message when a directory is given.
pub fn check(inputs: &[Arg], outputs: &[(&str, &Path, &str)]) -> Result<(), OutputError> {
    for (i, &(flag, path, ext)) in outputs.iter().enumerate() {
        let shown = path.display().to_string();
        if path.is_dir() {
            return Err(OutputError::IsDirectory {
                flag: flag.into(),
                path: shown.trim_end_matches('/').into(),
                ext: ext.into(),
            });
        }
        let dir = parent_of(path);
        no_file_in_the_way(flag, path, dir)?;
        if !dir.is_dir() {
            return Err(OutputError::NoDirectory {
                flag: flag.into(),
                path: shown,
                dir: dir.display().to_string(),
            });
        }
        if let Some(&(input_flag, input)) = inputs.iter().find(|(_, p)| same_file(p, path)) {
            return Err(OutputError::SameAsInput {
                flag: flag.into(),
                path: shown,
                input_flag: input_flag.into(),
                input: input.display().to_string(),
            });
        }
        if let Some(&(other_flag, other, _)) =
            outputs[..i].iter().find(|(_, p, _)| same_file(p, path))
        {
            return Err(OutputError::SameOutput {
                flag: other_flag.into(),
                path: other.display().to_string(),
                other_flag: flag.into(),
                other: shown,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_checked_before_anything_runs() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.jsonl");
        std::fs::write(&input, "x").unwrap();
        let out = dir.path().join("out.jsonl");
        let ok = check(&[("--input", &input)], &[("--out", &out, ".jsonl")]);
        assert!(ok.is_ok(), "{ok:?}");
        let err = |o: &Path| {
            check(&[("--input", &input)], &[("--out", o, ".jsonl")])
                .unwrap_err()
                .to_string()
        };
        let e = err(dir.path());
        assert!(e.contains("is a directory: give a file name"), "{e}");
        let e = err(&dir.path().join("no/such/dir/out.jsonl"));
        assert!(
            e.contains("no/such/dir does not exist; create it first"),
            "{e}"
        );
        let e = err(&input.join("out.jsonl"));
        assert!(e.contains("in.jsonl is a file, not a directory"), "{e}");
        // The input under another spelling, and through a hard link.
        let e = err(&dir.path().join(".").join("in.jsonl"));
        assert!(e.contains("is the same file as the input --input"), "{e}");
        let link = dir.path().join("link.jsonl");
        std::fs::hard_link(&input, &link).unwrap();
        assert!(err(&link).contains("would overwrite the input"));
        create_parent("-o", &dir.path().join("a/b/stem")).unwrap();
        assert!(dir.path().join("a/b").is_dir());
        let e = create_parent("-o", &input.join("stem"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("in.jsonl is a file, not a directory"), "{e}");
        let e = check(
            &[],
            &[
                ("--meta-out", &out, ".jsonl"),
                ("--pcap-out", &out, ".pcap"),
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("are the same file: one would overwrite the other"),
            "{e}"
        );
    }
}
