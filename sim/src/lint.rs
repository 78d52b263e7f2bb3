//! `verilator --lint-only -Wall` on an emitted design.

use crate::build::verilator_bin;
use crate::error::{io, SimError};
use nicc_rtl::Design;
use std::process::Command;

/// Lints `d` with every Verilator warning enabled; any warning is an error carrying the text.
pub fn verilator_lint(d: &Design) -> Result<(), SimError> {
    let dir = tempfile::tempdir().map_err(io("creating a temp dir"))?;
    let mut files = Vec::new();
    for f in &d.files {
        let p = dir.path().join(format!("{}.v", f.module));
        std::fs::write(&p, &f.text).map_err(io("writing Verilog"))?;
        files.push(p);
    }
    let out = Command::new(verilator_bin())
        .arg("--lint-only")
        .arg("-Wall")
        .arg("--top-module")
        .arg(&d.top)
        .args(&files)
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                SimError::MissingTool {
                    tool: "verilator".into(),
                    package: "verilator".into(),
                }
            } else {
                SimError::Io {
                    context: "running verilator".into(),
                    source: e,
                }
            }
        })?;
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() && text.trim().is_empty() {
        Ok(())
    } else {
        Err(SimError::ToolFailed {
            tool: "verilator --lint-only -Wall".into(),
            status: out.status.to_string(),
            log: text,
        })
    }
}
