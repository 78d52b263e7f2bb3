//! Typed errors of the IR checks, emission and block parameters.

use thiserror::Error;

/// One problem found by the checks that run when a module is finished.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    /// An operator's operands, or a driver and its destination, differ in width.
    #[error("width mismatch driving `{dest}`: {what}")]
    Width {
        /// The net (or instance port) whose driver is wrong.
        dest: String,
        /// What exactly mismatched.
        what: String,
    },
    /// A wire or output has no driver, or a register has no next value.
    #[error("`{0}` is declared but never driven")]
    Undriven(String),
    /// A net is driven twice.
    #[error("`{0}` has more than one driver")]
    MultipleDrivers(String),
    /// A combinational loop, listed in order.
    #[error("combinational loop: {}", .0.join(" -> "))]
    CombLoop(Vec<String>),
    /// Two things in one module got the same Verilog name.
    #[error("name collision: `{name}` names both {first} and {second}")]
    NameCollision {
        /// The Verilog name.
        name: String,
        /// The generator path of the first user.
        first: String,
        /// The generator path of the second user.
        second: String,
    },
    /// An input port of an instance is not connected.
    #[error("instance `{inst}` of `{module}`: input port `{port}` is not connected")]
    UnconnectedPort {
        /// Instance name.
        inst: String,
        /// Instantiated module.
        module: String,
        /// The port.
        port: String,
    },
    /// A connection names a port the module does not have, or an output.
    #[error("instance `{inst}` of `{module}`: `{port}` is not an input port of `{module}` (inputs: {inputs})")]
    UnknownPort {
        /// Instance name.
        inst: String,
        /// Instantiated module.
        module: String,
        /// The port name given.
        port: String,
        /// The module's input ports.
        inputs: String,
    },
    /// A zero width or other impossible shape.
    #[error("`{0}`: {1}")]
    Shape(String, String),
    /// A signal built from another module's nets was used here.
    #[error(
        "`{0}` is driven by a signal that belongs to another module (connect it through a port)"
    )]
    ForeignSignal(String),
    /// A register or memory needs a clock but the module has none.
    #[error("`{0}` needs a clock: call `clock_domain` (or `clock_input`) first")]
    NoClock(String),
}

/// Errors of the HDL core.
#[derive(Debug, Error)]
pub enum RtlError {
    /// The checks found problems in a module.
    #[error("module `{module}` failed its checks:\n{}", .errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Check {
        /// Module name.
        module: String,
        /// Every problem found.
        errors: Vec<CheckError>,
    },
    /// Two different modules were given the same name.
    #[error("two structurally different modules are both named `{0}`: give the generator's parameters in the name")]
    ModuleNameClash(String),
    /// A generated temporary collides with a user name.
    #[error(
        "module `{module}`: the temporary `{name}` collides with a generator name; rename the net"
    )]
    TempCollision {
        /// Module name.
        module: String,
        /// The colliding name.
        name: String,
    },
    /// A block parameter is out of range.
    #[error(transparent)]
    Param(#[from] ParamError),
}

/// A bad block parameter: which one, what was given, what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamError {
    /// A value out of range.
    #[error("parameter `{name}` = {value} is invalid: {expected}")]
    Invalid {
        /// Parameter name.
        name: String,
        /// The given value.
        value: String,
        /// What is accepted.
        expected: String,
    },
    /// An unknown key in `--set key=value`.
    #[error("unknown parameter `{key}`; accepted: {accepted}")]
    UnknownKey {
        /// The key given.
        key: String,
        /// The accepted keys.
        accepted: String,
    },
}

impl ParamError {
    /// Shorthand for [`ParamError::Invalid`].
    pub fn invalid(name: &str, value: impl ToString, expected: impl Into<String>) -> ParamError {
        ParamError::Invalid {
            name: name.to_string(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}

/// `n` and `noun`, plural unless `n` is 1: `counted(1, "level")` is `1 level`, `counted(3,
/// "level")` is `3 levels`.
pub(crate) fn counted(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A boolean parameter's `--set` spelling: `1`/`true`/`yes` or `0`/`false`/`no`.
pub(crate) fn parse_bool(key: &str, value: &str) -> Result<bool, ParamError> {
    match value.trim() {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(ParamError::invalid(
            key,
            value,
            "0, 1, true or false (or no/yes)",
        )),
    }
}
