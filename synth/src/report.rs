//! The `SynthReport` structs (every figure a flow measured) and their table printing.

use crate::parse::{CellStats, NetFanout, StaPath};
use crate::tools::ToolVersions;
use crate::Flow;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Result of one flow on one design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SynthReport {
    /// Top module name.
    pub design: String,
    /// The flow that produced this report.
    pub flow: Flow,
    /// Versions of the tools used.
    pub tools: ToolVersions,
    /// Hex SHA-256 of (Verilog, scripts, options, tool versions): the cache key.
    pub content_hash: String,
    /// `true` when this report came from the cache (no tool was run).
    #[serde(default)]
    pub cached: bool,
    /// Set when the result could not be written to the cache (the figures are still valid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_warning: Option<String>,
    /// The flow's figures.
    pub result: FlowResult,
}

/// Figures of one flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "flow", rename_all = "lowercase")]
pub enum FlowResult {
    /// `generic` flow figures.
    Generic(GenericReport),
    /// `asic` flow figures.
    Asic(AsicReport),
    /// `ice40` flow figures.
    Ice40(Ice40Report),
}

/// Technology-independent synthesis (`synth -flatten`): Yosys internal gate cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenericReport {
    /// Cell statistics after `synth`.
    pub stats: CellStats,
    /// Flip-flop cells (`$_DFF*`, `$_SDFF*`, `$_DLATCH*`, ...).
    pub flip_flops: u64,
    /// Longest topological path in cells, flip-flops cut (`ltp -noff`).
    pub logic_depth: u32,
}

/// What the asic timing figure measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimingKind {
    /// Worst flip-flop clock pin to flip-flop data pin path, setup time included, ideal clock.
    RegToReg,
    /// Combinational design: worst input port to output port delay, zero external delays and
    /// zero output load (no clock exists, so no Fmax).
    InputToOutput,
    /// The design has a clock but no register-to-register path.
    NoRegToRegPath,
}

/// OpenSTA timing of the mapped netlist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AsicTiming {
    /// What `worst_path_ns` measures.
    pub kind: TimingKind,
    /// RegToReg: minimum clock period = arrival + setup (= period - slack);
    /// InputToOutput: worst input-to-output delay; NoRegToRegPath: 0.
    pub worst_path_ns: f64,
    /// 1000 / worst_path_ns for RegToReg, else `None`.
    pub fmax_mhz: Option<f64>,
    /// The path OpenSTA reported.
    pub path: Option<StaPath>,
    /// Clock period given to OpenSTA (ns).
    pub constraint_period_ns: f64,
}

/// Standard-cell synthesis against a liberty library, plus OpenSTA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AsicReport {
    /// File name of the liberty library.
    pub liberty: String,
    /// Delay target given to `abc -D` (ps).
    pub abc_delay_ps: u32,
    /// ABC's fast mapping script was used ([`crate::Options::abc_fast`]); absent (false) in
    /// reports of the default script.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abc_fast: bool,
    /// Mapped cell statistics.
    pub stats: CellStats,
    /// Total cell area (um^2) from `stat -liberty`.
    pub area_um2: f64,
    /// Area of flip-flop/latch cells (um^2).
    pub ff_area_um2: f64,
    /// ff_area_um2 / area_um2 (0 when the area is 0).
    pub ff_area_share: f64,
    /// Flip-flop/latch cells.
    pub flip_flops: u64,
    /// Logic depth before mapping (`ltp -noff` on Yosys gates).
    pub logic_depth: u32,
    /// The mapped netlist's net with the most cell input pins, the clock net left out (the
    /// clock is ideal in STA); `None` for a netlist without cell inputs.
    #[serde(default)]
    pub max_fanout: Option<NetFanout>,
    /// OpenSTA result.
    pub timing: AsicTiming,
}

/// iCE40 cell counts after `synth_ice40`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ice40Cells {
    /// SB_LUT4 cells.
    pub lut4: u64,
    /// SB_CARRY cells.
    pub carry: u64,
    /// SB_DFF* cells.
    pub dff: u64,
    /// SB_RAM40_4K cells.
    pub bram: u64,
    /// All cells by type.
    pub by_type: BTreeMap<String, u64>,
}

/// Fmax over several place-and-route seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FmaxStats {
    /// (seed, Fmax MHz) per run.
    pub per_seed: Vec<(u64, f64)>,
    /// Minimum (MHz).
    pub min_mhz: f64,
    /// Median (MHz).
    pub median_mhz: f64,
    /// Maximum (MHz).
    pub max_mhz: f64,
}

impl FmaxStats {
    /// Builds the stats from per-seed values; `None` for an empty list.
    pub fn from_runs(per_seed: Vec<(u64, f64)>) -> Option<FmaxStats> {
        let mut v: Vec<f64> = per_seed.iter().map(|r| r.1).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(FmaxStats {
            per_seed,
            min_mhz: v[0],
            median_mhz: median,
            max_mhz: v[n - 1],
        })
    }
}

/// Whether and why the design was placed inside the generated I/O harness.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HarnessInfo {
    /// Why the harness was used.
    pub reason: String,
    /// Scan-chain input pins.
    pub scan_pins: u32,
    /// XOR-folded output pins.
    pub fold_pins: u32,
    /// Cells of the harness alone (the design as a black box): NOT part of `design_cells`.
    pub harness_cells: Ice40Cells,
    /// How the harness was generated (Verilog text generator or the nicc-rtl IR).
    pub generator: String,
}

/// Place-and-route outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Ice40Fit {
    /// Placed and routed.
    Fits {
        /// Logic cells (ICESTORM_LC) used by the placed netlist (harness included if any).
        logic_cells: u64,
        /// Logic cells available.
        logic_cells_available: u64,
        /// Block RAMs used.
        bram: u64,
        /// I/O cells used.
        io: u64,
        /// Fmax over seeds of the worst clock; `None` when no clocked path exists.
        fmax: Option<FmaxStats>,
    },
    /// The design does not fit the device; `reason` says which resource ran out.
    DoesNotFit {
        /// Which resource ran out.
        reason: String,
    },
}

/// iCE40 HX8K (ct256) figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ice40Report {
    /// Device and package.
    pub device: String,
    /// Top-level I/O bits of the design (clock included).
    pub io_bits: u32,
    /// The design's own post-synthesis cells (never including the harness).
    pub design_cells: Ice40Cells,
    /// The harness, when used.
    pub harness: Option<HarnessInfo>,
    /// Frequency target given to nextpnr (MHz).
    pub target_mhz: f64,
    /// Place-and-route result.
    pub fit: Ice40Fit,
}

impl SynthReport {
    /// Human-readable table of every figure (what `nicc synth` prints without `--json`).
    pub fn to_table(&self) -> String {
        let mut rows: Vec<(String, String)> = vec![
            ("design".into(), self.design.clone()),
            ("flow".into(), self.flow.name().into()),
        ];
        let mut push = |k: &str, v: String| rows.push((k.to_string(), v));
        match &self.result {
            FlowResult::Generic(g) => {
                push("cells", g.stats.cells.to_string());
                push("flip-flops", g.flip_flops.to_string());
                if g.stats.memory_bits > 0 {
                    push("memory macro bits", g.stats.memory_bits.to_string());
                }
                push("logic depth (ltp -noff)", g.logic_depth.to_string());
                for (t, n) in &g.stats.cells_by_type {
                    push(&format!("  {t}"), n.to_string());
                }
            }
            FlowResult::Asic(a) => {
                push("liberty", a.liberty.clone());
                push("abc -D (ps)", a.abc_delay_ps.to_string());
                if a.abc_fast {
                    push("abc script", "fast (strash; dretime; map)".to_string());
                }
                push("cells", a.stats.cells.to_string());
                push("area (um2)", format!("{:.1}", a.area_um2));
                if a.stats.memory_bits > 0 {
                    push(
                        "memory macro bits (not in area, not timed)",
                        a.stats.memory_bits.to_string(),
                    );
                }
                push(
                    "flip-flop area (um2)",
                    format!("{:.1} ({:.1}%)", a.ff_area_um2, 100.0 * a.ff_area_share),
                );
                push("flip-flops", a.flip_flops.to_string());
                push("logic depth (ltp -noff)", a.logic_depth.to_string());
                if let Some(f) = &a.max_fanout {
                    push(
                        "max fanout (clock excluded)",
                        format!("{} ({})", f.fanout, f.net),
                    );
                }
                let t = &a.timing;
                match t.kind {
                    TimingKind::RegToReg => {
                        push(
                            "worst reg-to-reg path (ns)",
                            format!("{:.3}", t.worst_path_ns),
                        );
                        if let Some(f) = t.fmax_mhz {
                            push("Fmax (MHz)", format!("{f:.1}"));
                        }
                    }
                    TimingKind::InputToOutput => push(
                        "worst input-to-output delay (ns)",
                        format!("{:.3}", t.worst_path_ns),
                    ),
                    TimingKind::NoRegToRegPath => {
                        push("worst reg-to-reg path", "none (no reg-to-reg path)".into())
                    }
                }
                if let Some(p) = &t.path {
                    push("  from", p.startpoint.clone());
                    push("  to", p.endpoint.clone());
                }
                for (t, n) in &a.stats.cells_by_type {
                    push(&format!("  {t}"), n.to_string());
                }
            }
            FlowResult::Ice40(r) => {
                push("device", r.device.clone());
                push("I/O bits", r.io_bits.to_string());
                let c = &r.design_cells;
                push(
                    "design LUT4 / CARRY / DFF / BRAM",
                    format!("{} / {} / {} / {}", c.lut4, c.carry, c.dff, c.bram),
                );
                if let Some(h) = &r.harness {
                    let hc = &h.harness_cells;
                    push("I/O harness", format!("{} ({})", h.reason, h.generator));
                    push(
                        "harness LUT4 / CARRY / DFF / BRAM",
                        format!("{} / {} / {} / {}", hc.lut4, hc.carry, hc.dff, hc.bram),
                    );
                }
                match &r.fit {
                    Ice40Fit::Fits {
                        logic_cells,
                        logic_cells_available,
                        bram,
                        io,
                        fmax,
                    } => {
                        let with = if r.harness.is_some() {
                            " (design + harness)"
                        } else {
                            ""
                        };
                        push(
                            &format!("logic cells{with}"),
                            format!("{logic_cells} / {logic_cells_available}"),
                        );
                        push("BRAM used", bram.to_string());
                        push("I/O cells used", io.to_string());
                        match fmax {
                            Some(f) => push(
                                &format!("Fmax MHz min/median/max ({} seeds)", f.per_seed.len()),
                                format!(
                                    "{:.1} / {:.1} / {:.1}",
                                    f.min_mhz, f.median_mhz, f.max_mhz
                                ),
                            ),
                            None => push("Fmax", "none (no clocked path)".into()),
                        }
                    }
                    Ice40Fit::DoesNotFit { reason } => {
                        push("result", format!("does not fit: {reason}"))
                    }
                }
            }
        }
        let t = &self.tools;
        for (k, v) in [
            ("yosys", &t.yosys),
            ("nextpnr-ice40", &t.nextpnr_ice40),
            ("sta", &t.sta),
        ] {
            if let Some(v) = v {
                rows.push((k.to_string(), v.clone()));
            }
        }
        rows.push((
            "cache".into(),
            match (&self.cache_warning, self.cached) {
                (Some(w), _) => w.clone(),
                (None, true) => "hit".into(),
                (None, false) => "miss".into(),
            },
        ));
        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let mut s = String::new();
        for (k, v) in rows {
            let _ = writeln!(s, "{k:<w$}  {v}");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_runs() {
        let f = FmaxStats::from_runs(vec![(1, 120.0), (2, 100.0), (3, 110.0)]).unwrap();
        assert_eq!((f.min_mhz, f.median_mhz, f.max_mhz), (100.0, 110.0, 120.0));
        let f = FmaxStats::from_runs(vec![(1, 100.0), (2, 120.0)]).unwrap();
        assert_eq!(f.median_mhz, 110.0);
        assert!(FmaxStats::from_runs(vec![]).is_none());
    }

    #[test]
    fn ice40_table() {
        let r = SynthReport {
            design: "wide".into(),
            flow: Flow::Ice40,
            tools: ToolVersions {
                yosys: Some("Yosys 0.23".into()),
                nextpnr_ice40: Some("nextpnr-ice40 0.4".into()),
                sta: None,
            },
            content_hash: "00".into(),
            cached: false,
            cache_warning: None,
            result: FlowResult::Ice40(Ice40Report {
                device: "iCE40 HX8K ct256".into(),
                io_bits: 521,
                design_cells: Ice40Cells {
                    lut4: 180,
                    carry: 0,
                    dff: 8,
                    bram: 0,
                    by_type: Default::default(),
                },
                harness: Some(HarnessInfo {
                    reason: "521 I/O bits > budget 150 pins".into(),
                    scan_pins: 4,
                    fold_pins: 8,
                    harness_cells: Ice40Cells {
                        dff: 520,
                        ..Ice40Cells::default()
                    },
                    generator: "text".into(),
                }),
                target_mhz: 100.0,
                fit: Ice40Fit::Fits {
                    logic_cells: 700,
                    logic_cells_available: 7680,
                    bram: 0,
                    io: 13,
                    fmax: FmaxStats::from_runs(vec![(1, 150.0), (2, 160.0), (3, 155.0)]),
                },
            }),
        };
        insta::assert_snapshot!(r.to_table());
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["result"]["flow"], "ice40");
        assert_eq!(j["result"]["fit"]["status"], "fits");
    }
}
