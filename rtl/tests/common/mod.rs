//! Helpers shared by the rtl tests: lint emitted designs with Verilator, Yosys and Icarus.

use nicc_rtl::Design;
use std::process::Command;

/// Writes the design to a temp dir and runs `verilator --lint-only -Wall`; returns its stderr
/// on failure.
pub fn verilator_lint(d: &Design) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let paths = d.write_to(dir.path()).unwrap();
    let vfiles: Vec<_> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .collect();
    let out = Command::new("verilator")
        .arg("--lint-only")
        .arg("-Wall")
        .arg("--top-module")
        .arg(&d.top)
        .args(&vfiles)
        .output()
        .expect("verilator is not installed: run scripts/setup.sh");
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- verilog ---\n{}",
            String::from_utf8_lossy(&out.stderr),
            d.verilog()
        ))
    }
}

/// Checks that Yosys and Icarus accept the design.
#[allow(dead_code)]
pub fn yosys_and_icarus_accept(d: &Design) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let paths = d.write_to(dir.path()).unwrap();
    let vfiles: Vec<String> = paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "v"))
        .map(|p| p.display().to_string())
        .collect();
    let script = format!(
        "read_verilog {}; hierarchy -check -top {}; proc; check -assert",
        vfiles.join(" "),
        d.top
    );
    let y = Command::new("yosys")
        .arg("-q")
        .arg("-p")
        .arg(&script)
        .output()
        .expect("yosys missing");
    if !y.status.success() {
        return Err(format!(
            "yosys: {}{}",
            String::from_utf8_lossy(&y.stdout),
            String::from_utf8_lossy(&y.stderr)
        ));
    }
    let i = Command::new("iverilog")
        .arg("-g2005")
        .arg("-o")
        .arg(dir.path().join("a.out"))
        .arg("-s")
        .arg(&d.top)
        .args(&vfiles)
        .output()
        .expect("iverilog missing");
    if !i.status.success() || !i.stderr.is_empty() {
        return Err(format!("iverilog: {}", String::from_utf8_lossy(&i.stderr)));
    }
    Ok(())
}
