//! `Design`: the emitted result of a generator, as the simulator and synthesis flows see it.
//!
//! It is plain data: the Verilog text of each module (one file per module), the top module's
//! name and ports, and the name map. `sim` and `synth` take a `Design` and never look at the IR.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Direction of a top-level port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    /// Driven by the outside world.
    Input,
    /// Driven by the design.
    Output,
}

/// One port of the top module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortInfo {
    /// Verilog name of the port.
    pub name: String,
    /// Input or output.
    pub dir: Dir,
    /// Width in bits (>= 1).
    pub width: u32,
    /// Two's complement interpretation.
    pub signed: bool,
}

/// One emitted Verilog file: exactly one module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VerilogFile {
    /// Module name (the file is `<module>.v`).
    pub module: String,
    /// The full text of the file.
    pub text: String,
}

/// An emitted design: Verilog files (submodules first, top last), top name, ports, name map.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Design {
    /// Name of the top module.
    pub top: String,
    /// One file per module, dependencies before users, the top last.
    pub files: Vec<VerilogFile>,
    /// Ports of the top module, in declaration order.
    pub ports: Vec<PortInfo>,
    /// Clock port of the top module, if it has one.
    pub clock: Option<String>,
    /// Synchronous active-high reset port of the top module, if it has one.
    pub reset: Option<String>,
    /// Verilog name -> generator path, per module (`module -> (name -> path)`).
    pub name_map: BTreeMap<String, BTreeMap<String, String>>,
}

impl Design {
    /// All Verilog text concatenated (dependencies first); handy for tools that read one file.
    pub fn verilog(&self) -> String {
        let mut s = String::new();
        for f in &self.files {
            s.push_str(&f.text);
            if !f.text.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }

    /// Looks a top-level port up by name.
    pub fn port(&self, name: &str) -> Option<&PortInfo> {
        self.ports.iter().find(|p| p.name == name)
    }

    /// Writes `<module>.v` for every module, `<top>.f` (the filelist, dependency order) and
    /// `<top>.names.json` (the name map) into `dir`; returns the written paths.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut out = Vec::new();
        let mut filelist = String::new();
        for f in &self.files {
            let p = dir.join(format!("{}.v", f.module));
            std::fs::write(&p, &f.text)?;
            filelist.push_str(&format!("{}.v\n", f.module));
            out.push(p);
        }
        let fl = dir.join(format!("{}.f", self.top));
        std::fs::write(&fl, filelist)?;
        out.push(fl);
        let nm = dir.join(format!("{}.names.json", self.top));
        let json = serde_json::to_string_pretty(&self.name_map).map_err(std::io::Error::other)?;
        std::fs::write(&nm, json + "\n")?;
        out.push(nm);
        Ok(out)
    }
}
