//! Typed errors of the simulator binding.

use thiserror::Error;

/// Errors of building, loading and driving simulation models.
#[derive(Debug, Error)]
pub enum SimError {
    /// A tool is not installed.
    #[error("`{tool}` was not found on PATH: install the Debian package `{package}` (or run scripts/setup.sh)")]
    MissingTool {
        /// The executable.
        tool: String,
        /// The Debian package that provides it.
        package: String,
    },
    /// A tool ran and failed.
    #[error("{tool} failed ({status}):\n{log}")]
    ToolFailed {
        /// What ran.
        tool: String,
        /// Exit status.
        status: String,
        /// The end of its output.
        log: String,
    },
    /// The Verilator version is unusable.
    #[error("Verilator {0} is not supported: nicc-sim needs Verilator 5.0 or newer")]
    OldVerilator(String),
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The built library could not be loaded.
    #[error("loading the model library {path}: {source}")]
    Load {
        /// The library.
        path: String,
        /// The cause.
        source: libloading::Error,
    },
    /// No port of that name.
    #[error("design `{design}` has no port `{port}`; ports: {ports}")]
    NoSuchPort {
        /// Design (top) name.
        design: String,
        /// The requested name.
        port: String,
        /// The ports it has.
        ports: String,
    },
    /// A value does not fit its port.
    #[error("value {value} does not fit port `{port}` of {width} bits")]
    TooWide {
        /// Port name.
        port: String,
        /// Port width.
        width: u32,
        /// The value (hex).
        value: String,
    },
    /// Setting an output, or similar misuse.
    #[error("port `{0}` is an output and cannot be set")]
    NotAnInput(String),
    /// `step` on a design without a clock.
    #[error("design `{0}` has no clock: use eval() instead of step()")]
    NoClock(String),
    /// `reset` on a design without a reset port.
    #[error("design `{0}` has no reset port")]
    NoReset(String),
    /// A batch vector has the wrong shape.
    #[error("batch cycle {cycle}: {what}")]
    BadBatch {
        /// The cycle index.
        cycle: usize,
        /// What is wrong.
        what: String,
    },
    /// Output of a simulator could not be read back.
    #[error("reading simulator output: {0}")]
    BadOutput(String),
}

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SimError {
    let context = context.into();
    move |source| SimError::Io { context, source }
}
