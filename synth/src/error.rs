//! Typed errors of the synthesis and equivalence flows.

use std::path::PathBuf;

/// Everything that can go wrong when running a flow or an equivalence check.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A tool binary is not on PATH.
    #[error("`{tool}` was not found on PATH: install the Debian package `{package}` (apt-get install {package})")]
    MissingTool {
        /// Binary name looked for.
        tool: String,
        /// Debian package that provides it.
        package: String,
    },
    /// The liberty file for the asic flow is missing.
    #[error("liberty file {path} not found: install the Debian package `qflow-tech-osu018` or point NICC_LIBERTY at a .lib file")]
    MissingLiberty {
        /// Path that was tried.
        path: PathBuf,
    },
    /// A tool ran but failed; `log` holds the tail of its output.
    #[error("{tool} failed ({status}); last output lines:\n{log}")]
    ToolFailed {
        /// Tool that failed.
        tool: String,
        /// Exit status as text.
        status: String,
        /// Last lines of stdout+stderr.
        log: String,
    },
    /// A tool ran longer than its time limit ([`crate::Options::time_limit_s`] of a flow, the
    /// `time_limit` of a proof) and was stopped.
    #[error(
        "{tool} did not finish within the time limit of {limit_s} s and was stopped, with the \
         processes it started; last output lines:\n{log}\nRaise the limit (--time-limit). An \
         asic flow stuck in ABC (`&fraig`, `&dch`) may finish with ABC's fast script \
         (--abc-fast); a proof's effort grows steeply with the design, so a smaller \
         configuration (--set) may finish"
    )]
    TimedOut {
        /// Tool that was stopped.
        tool: String,
        /// The limit, in seconds.
        limit_s: f64,
        /// Last lines of its output.
        log: String,
    },
    /// A proof step run inside nicc (the backward rewriting of [`crate::prove_linear`]) ran
    /// longer than its time limit and was stopped.
    #[error(
        "{step} did not finish within the time limit of {limit_s} s and was stopped ({progress}). \
         Raise the limit (--time-limit); a proof's effort grows steeply with the design, so a \
         smaller configuration (--set) may finish"
    )]
    ProofTimedOut {
        /// What was stopped.
        step: String,
        /// The limit, in seconds.
        limit_s: f64,
        /// How far it got.
        progress: String,
    },
    /// A tool's report could not be parsed.
    #[error("could not parse {what}: {detail}")]
    Parse {
        /// Which report.
        what: String,
        /// What was wrong.
        detail: String,
    },
    /// The design cannot be handled as given (bad names, port mismatch, ...).
    #[error("invalid design: {0}")]
    InvalidDesign(String),
    /// Invalid flow options.
    #[error("invalid option: {0}")]
    InvalidOption(String),
    /// File system error (temp dir, cache, reports).
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Underlying error.
        source: std::io::Error,
    },
}

impl SynthError {
    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        SynthError::Io {
            context: context.into(),
            source,
        }
    }

    /// A parse error for report `what`.
    pub(crate) fn parse(what: impl Into<String>, detail: impl Into<String>) -> Self {
        SynthError::Parse {
            what: what.into(),
            detail: detail.into(),
        }
    }
}
