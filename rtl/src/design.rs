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

    /// Writes `<module>.v` for every module, `<top>.names.json` (the name map) and last
    /// `<top>.f` (the filelist, dependency order) into `dir`; returns the written paths. Each
    /// file is written whole or not at all ([`write_atomically`]): a write that fails half-way
    /// leaves no truncated file, and the filelist of a run that failed is not replaced.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let put = |p: &Path, text: &str| {
            write_atomically(p, |w| std::io::Write::write_all(w, text.as_bytes()), |e| e)
        };
        let mut out = Vec::new();
        let mut filelist = String::new();
        for f in &self.files {
            let p = dir.join(format!("{}.v", f.module));
            put(&p, &f.text)?;
            filelist.push_str(&format!("{}.v\n", f.module));
            out.push(p);
        }
        let nm = dir.join(format!("{}.names.json", self.top));
        let json = serde_json::to_string_pretty(&self.name_map).map_err(std::io::Error::other)?;
        put(&nm, &(json + "\n"))?;
        let fl = dir.join(format!("{}.f", self.top));
        put(&fl, &filelist)?;
        out.push(fl);
        out.push(nm);
        Ok(out)
    }
}

/// Writes `path` all or nothing: `write` fills a file beside it (`.<name>.partial-<pid>`),
/// which replaces `path` only once it is complete and flushed. If `write` fails, or the disk
/// fills up, an existing `path` keeps what it held and the partial file is removed. `io`
/// turns an I/O error of this function's own steps into the caller's error type.
pub fn write_atomically<E>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), E>,
    io: impl Fn(std::io::Error) -> E,
) -> Result<(), E> {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(&io)?);
        write(&mut w)?;
        std::io::Write::flush(&mut w).map_err(&io)?;
        drop(w);
        std::fs::rename(&tmp, path).map_err(&io)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.jsonl");
        std::fs::write(&out, "old\n").unwrap();
        let failed = write_atomically(
            &out,
            |w| {
                w.write_all(b"half of the new")?;
                Err(std::io::Error::other("disk full"))
            },
            |e| e,
        );
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "a partial file was left: {left:?}");
        write_atomically(&out, |w| w.write_all(b"new\n"), |e| e).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // A directory that does not exist: an error, nothing created.
        let missing = dir.path().join("no/such/out.jsonl");
        assert!(write_atomically(&missing, |w| w.write_all(b"x"), |e| e).is_err());
    }

    /// A design whose name map cannot be written (a directory is in its place): the error
    /// comes back, the filelist of the earlier run is kept (it is written last), and no
    /// partial file is left.
    #[test]
    fn write_to_keeps_the_old_filelist_when_a_file_fails() {
        let mut b = crate::ModuleBuilder::new("top");
        let a = b.input("a", 1);
        b.output("y", &a);
        let d = crate::emit(&b.finish().unwrap()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let written = d.write_to(dir.path()).unwrap();
        assert_eq!(written.len(), 3);
        std::fs::write(dir.path().join("top.f"), "old\n").unwrap();
        let names = dir.path().join("top.names.json");
        std::fs::remove_file(&names).unwrap();
        std::fs::create_dir(&names).unwrap();
        std::fs::write(names.join("keep"), "").unwrap();
        assert!(d.write_to(dir.path()).is_err());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("top.f")).unwrap(),
            "old\n"
        );
        let partial: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(partial.is_empty(), "{partial:?}");
    }
}
