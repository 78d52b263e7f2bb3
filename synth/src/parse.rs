//! Parsers for the tools' reports: nom for text, serde_json for JSON.
//!
//! Every parser takes the report text and returns plain values; none of them runs a tool, so
//! they are unit-tested on captured output (tests/data/).

use crate::error::SynthError;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_till1, take_while1};
use nom::character::complete::{char, digit1, space0, space1};
use nom::combinator::{map, map_res, opt};
use nom::number::complete::double;
use nom::sequence::{preceded, tuple};
use nom::IResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Cell statistics of the top module from `stat -json`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CellStats {
    /// Total number of cells.
    pub cells: u64,
    /// Cell count per cell type.
    pub cells_by_type: BTreeMap<String, u64>,
    /// Number of wires.
    pub wires: u64,
    /// Number of wire bits.
    pub wire_bits: u64,
    /// Bits of the memories kept as memory cells (not in `cells_by_type`' gate counts).
    #[serde(default)]
    pub memory_bits: u64,
}

#[derive(Deserialize)]
struct StatJson {
    design: StatModule,
}

#[derive(Deserialize)]
struct StatModule {
    num_cells: u64,
    #[serde(default)]
    num_cells_by_type: BTreeMap<String, u64>,
    num_wires: u64,
    num_wire_bits: u64,
    #[serde(default)]
    num_memory_bits: u64,
}

/// Parses Yosys `stat -json` output (the `design` totals).
pub fn parse_stat_json(text: &str) -> Result<CellStats, SynthError> {
    let s: StatJson = serde_json::from_str(text)
        .map_err(|e| SynthError::parse("yosys stat -json", e.to_string()))?;
    Ok(CellStats {
        cells: s.design.num_cells,
        cells_by_type: s.design.num_cells_by_type,
        wires: s.design.num_wires,
        wire_bits: s.design.num_wire_bits,
        memory_bits: s.design.num_memory_bits,
    })
}

/// Total bits (`SIZE x WIDTH`) of the `$mem_v2` cells in a Yosys `dump` (RTLIL text): the
/// memories a flow keeps as memory macros.
pub fn parse_memory_bits(rtlil: &str) -> Result<u64, SynthError> {
    // (SIZE, WIDTH) of each memory cell, in order.
    let mut cells: Vec<(Option<u64>, Option<u64>)> = Vec::new();
    let mut in_mem = false;
    for line in rtlil.lines().map(str::trim) {
        if line.starts_with("cell ") {
            in_mem = line.starts_with("cell $mem_v2 ");
            if in_mem {
                cells.push((None, None));
            }
            continue;
        }
        let mut it = line.split_whitespace();
        if let (true, Some("parameter"), Some(cur)) = (in_mem, it.next(), cells.last_mut()) {
            let name = it.next();
            let value = it.next().and_then(|v| v.parse::<u64>().ok());
            match name {
                Some("\\SIZE") => cur.0 = value,
                Some("\\WIDTH") => cur.1 = value,
                _ => {}
            }
        }
    }
    cells.iter().try_fold(0u64, |acc, c| match c {
        (Some(s), Some(w)) => Ok(acc + s * w),
        _ => Err(SynthError::parse(
            "yosys dump of $mem_v2",
            "a memory cell without a decimal SIZE or WIDTH",
        )),
    })
}

/// Parses `Chip area for module '\top': 1903.000000` from Yosys `stat -liberty` text (um^2).
pub fn parse_stat_area(text: &str) -> Result<f64, SynthError> {
    fn line(i: &str) -> IResult<&str, f64> {
        preceded(
            tuple((
                space0,
                tag("Chip area for module "),
                take_till1(|c| c == ':'),
                char(':'),
                space0,
            )),
            double,
        )(i)
    }
    text.lines()
        .rev()
        .find_map(|l| line(l).ok().map(|(_, v)| v))
        .ok_or_else(|| SynthError::parse("yosys stat -liberty", "no `Chip area for module` line"))
}

/// Parses `Longest topological path in top (length=6):` from Yosys `ltp` output.
pub fn parse_ltp(text: &str) -> Result<u32, SynthError> {
    fn line(i: &str) -> IResult<&str, u32> {
        preceded(
            tuple((
                space0,
                tag("Longest topological path in "),
                take_till1(|c| c == '('),
                tag("(length="),
            )),
            map_res(digit1, str::parse::<u32>),
        )(i)
    }
    text.lines()
        .filter_map(|l| line(l).ok().map(|(_, v)| v))
        .max()
        .ok_or_else(|| SynthError::parse("yosys ltp", "no `Longest topological path` line"))
}

/// Area and sequential-ness of one liberty cell.
#[derive(Clone, Debug, PartialEq)]
pub struct LibertyCell {
    /// Cell area (library units, um^2 for OSU).
    pub area: f64,
    /// The cell has an `ff` or `latch` group.
    pub sequential: bool,
}

/// Reads cell areas and which cells are flip-flops/latches from a liberty file (the cells of
/// [`parse_liberty`]).
pub fn parse_liberty_cells(text: &str) -> BTreeMap<String, LibertyCell> {
    parse_liberty(text).cells
}

/// Direction of a liberty pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinDirection {
    /// `direction : input`.
    Input,
    /// `direction : output`.
    Output,
    /// `inout`, `internal` or no direction.
    Other,
}

/// One pin of a liberty cell (pins directly inside the cell group; `bus` groups are skipped).
#[derive(Clone, Debug, PartialEq)]
pub struct LibertyPin {
    /// Pin name.
    pub name: String,
    /// Pin direction.
    pub direction: PinDirection,
    /// `capacitance` in the library's capacitive load unit (0 when absent).
    pub capacitance: f64,
    /// `function`, quotes removed (output pins), e.g. `A` or `(!(A B))`.
    pub function: Option<String>,
}

/// The pins of every liberty cell and the library's capacitance unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LibertyPins {
    /// One `capacitive_load_unit` in femtofarads (1000 for `(1,pf)`; 1000 when absent, the
    /// liberty default unit being the picofarad).
    pub cap_unit_ff: f64,
    /// Pins of each cell, in file order.
    pub cells: BTreeMap<String, Vec<LibertyPin>>,
}

impl LibertyPins {
    /// Whether pin `pin` of `cell` is an output; `None` when the cell or the pin is unknown.
    pub fn is_output(&self, cell: &str, pin: &str) -> Option<bool> {
        self.cells
            .get(cell)?
            .iter()
            .find(|p| p.name == pin)
            .map(|p| p.direction == PinDirection::Output)
    }

    /// The smallest-area buffer among `cells` (a combinational cell with one input and one
    /// output whose function is that input; ties broken by name) and its input capacitance in
    /// femtofarads.
    pub fn smallest_buffer(&self, cells: &BTreeMap<String, LibertyCell>) -> Option<(String, f64)> {
        let mut best: Option<(f64, &str, f64)> = None;
        for (name, pins) in &self.cells {
            let Some(c) = cells.get(name) else { continue };
            if c.sequential {
                continue;
            }
            let ins: Vec<&LibertyPin> = pins
                .iter()
                .filter(|p| p.direction == PinDirection::Input)
                .collect();
            let outs: Vec<&LibertyPin> = pins
                .iter()
                .filter(|p| p.direction == PinDirection::Output)
                .collect();
            let ([input], [output]) = (ins.as_slice(), outs.as_slice()) else {
                continue;
            };
            let function = output
                .function
                .as_deref()
                .map(|f| f.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace()));
            if function == Some(input.name.as_str()) && best.is_none_or(|(a, _, _)| c.area < a) {
                best = Some((c.area, name, input.capacitance * self.cap_unit_ff));
            }
        }
        best.map(|(_, n, cap)| (n.to_string(), cap))
    }
}

/// What the flows read from a liberty file: every cell's area and sequential-ness, and every
/// cell's pins with the library's capacitance unit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Liberty {
    /// Area and sequential-ness per cell.
    pub cells: BTreeMap<String, LibertyCell>,
    /// Pins per cell.
    pub pins: LibertyPins,
}

/// Reads the pins (direction, capacitance, function) of every cell of a liberty file, and its
/// `capacitive_load_unit` (the pins of [`parse_liberty`]).
pub fn parse_liberty_pins(text: &str) -> LibertyPins {
    parse_liberty(text).pins
}

/// Reads a liberty file in one pass: a small group/attribute scanner (comments skipped). A
/// cell's `area` is taken directly inside its `cell` group, an `ff` or `latch` group directly
/// inside it makes it sequential, and pin attributes are taken only directly inside a `pin`
/// group directly inside a `cell` group.
pub fn parse_liberty(text: &str) -> Liberty {
    let b = text.as_bytes();
    let mut lib = Liberty {
        cells: BTreeMap::new(),
        pins: LibertyPins {
            cap_unit_ff: 1000.0,
            cells: BTreeMap::new(),
        },
    };
    let out = &mut lib.pins;
    let cells = &mut lib.cells;
    // Group stack: (group name, first argument).
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    let is_word = |c: u8| !c.is_ascii_whitespace() && !b":(){};\\\"".contains(&c);
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b'\\' || c == b';' {
            i += 1;
        } else if b[i..].starts_with(b"/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if c == b'}' {
            stack.pop();
            i += 1;
        } else if is_word(c) {
            let s = i;
            while i < b.len() && is_word(b[i]) {
                i += 1;
            }
            let word = &text[s..i];
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            if i < b.len() && b[i] == b':' {
                // Simple attribute: value up to `;` or the end of the line, quotes kept out.
                let s = i + 1;
                let mut q = false;
                while i < b.len() && (q || (b[i] != b';' && b[i] != b'\n')) {
                    if b[i] == b'"' {
                        q = !q;
                    }
                    i += 1;
                }
                let value = text[s..i].trim().trim_matches('"').trim();
                match stack.as_slice() {
                    [.., (group, cell)] if group == "cell" && word == "area" => {
                        if let (Some(c), Ok(a)) = (cells.get_mut(cell), value.parse()) {
                            c.area = a;
                        }
                    }
                    _ => liberty_attribute(out, &stack, word, value),
                }
            } else if i < b.len() && b[i] == b'(' {
                let s = i + 1;
                let mut q = false;
                while i < b.len() && (q || b[i] != b')') {
                    if b[i] == b'"' {
                        q = !q;
                    }
                    i += 1;
                }
                let args = text[s..i.min(b.len())].trim();
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i < b.len() && b[i] == b'{' {
                    i += 1;
                    let arg = args
                        .split(',')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches('"');
                    stack.push((word.to_string(), arg.to_string()));
                    if word == "pin" && stack.len() >= 2 && stack[stack.len() - 2].0 == "cell" {
                        let cell = stack[stack.len() - 2].1.clone();
                        out.cells.entry(cell).or_default().push(LibertyPin {
                            name: arg.to_string(),
                            direction: PinDirection::Other,
                            capacitance: 0.0,
                            function: None,
                        });
                    } else if word == "cell" {
                        out.cells.entry(arg.to_string()).or_default();
                        cells.entry(arg.to_string()).or_insert(LibertyCell {
                            area: 0.0,
                            sequential: false,
                        });
                    } else if (word == "ff" || word == "latch")
                        && stack.len() >= 2
                        && stack[stack.len() - 2].0 == "cell"
                    {
                        if let Some(c) = cells.get_mut(&stack[stack.len() - 2].1) {
                            c.sequential = true;
                        }
                    }
                } else if word == "capacitive_load_unit" && stack.len() == 1 {
                    // Complex attribute `capacitive_load_unit (1,pf);`.
                    let mut a = args.split(',').map(|s| s.trim().trim_matches('"'));
                    let n = a.next().and_then(|n| n.parse::<f64>().ok());
                    let unit = a.next().map(|u| u.to_ascii_lowercase());
                    let scale = match unit.as_deref() {
                        Some("pf") => Some(1000.0),
                        Some("ff") => Some(1.0),
                        _ => None,
                    };
                    if let (Some(n), Some(s)) = (n, scale) {
                        out.cap_unit_ff = n * s;
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    lib
}

fn liberty_attribute(out: &mut LibertyPins, stack: &[(String, String)], key: &str, value: &str) {
    let [.., (cell_group, cell), (pin_group, pin)] = stack else {
        return;
    };
    if cell_group != "cell" || pin_group != "pin" {
        return;
    }
    let Some(p) = out
        .cells
        .get_mut(cell)
        .and_then(|ps| ps.iter_mut().rev().find(|p| &p.name == pin))
    else {
        return;
    };
    match key {
        "direction" => {
            p.direction = match value {
                "input" => PinDirection::Input,
                "output" => PinDirection::Output,
                _ => PinDirection::Other,
            }
        }
        "capacitance" => p.capacitance = value.parse().unwrap_or(0.0),
        "function" => p.function = Some(value.to_string()),
        _ => {}
    }
}

/// One net of a mapped netlist and its fanout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetFanout {
    /// Net name as in the netlist, without Verilog's escaping backslash.
    pub net: String,
    /// Cell input pins on the net.
    pub fanout: u64,
}

/// Cell input pins per net of a Yosys `write_verilog` netlist of liberty cells (one connection
/// `.PIN(net)` per line, as Yosys writes them). Pins of cells `pins` does not know and
/// constants are not counted; output ports are not loads here. Keys are the net names without
/// the escaping backslash.
pub fn parse_netlist_fanout(verilog: &str, pins: &LibertyPins) -> BTreeMap<String, u64> {
    let mut fanout = BTreeMap::new();
    let mut cell: Option<&str> = None;
    for line in verilog.lines() {
        let t = line.trim();
        if let Some(c) = cell {
            if t.starts_with(");") {
                cell = None;
            } else if let Some(conn) = t.strip_prefix('.') {
                let Some((pin, rest)) = conn.split_once('(') else {
                    continue;
                };
                let net = rest
                    .trim_end_matches(',')
                    .trim_end()
                    .strip_suffix(')')
                    .unwrap_or(rest)
                    .trim();
                let constant = net.is_empty()
                    || net.starts_with(|ch: char| ch.is_ascii_digit() || ch == '\'' || ch == '{');
                if !constant && pins.is_output(c, pin.trim()) == Some(false) {
                    let name = net.strip_prefix('\\').unwrap_or(net).trim_end();
                    *fanout.entry(name.to_string()).or_insert(0) += 1;
                }
            }
        } else if let Some(head) = t.strip_suffix('(') {
            let mut w = head.split_whitespace();
            if let (Some(ty), Some(_inst)) = (w.next(), w.next()) {
                if let Some((name, _)) = pins.cells.get_key_value(ty) {
                    cell = Some(name.as_str());
                }
            }
        }
    }
    fanout
}

/// One path from an OpenSTA `report_checks` report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaPath {
    /// Path start (pin or port).
    pub startpoint: String,
    /// Path end (pin or port).
    pub endpoint: String,
    /// Data arrival time at the endpoint (ns).
    pub arrival_ns: f64,
    /// Data required time (ns).
    pub required_ns: f64,
    /// Library setup time of the capturing flip-flop (ns, 0 for output ports).
    pub setup_ns: f64,
    /// Slack (ns): required - arrival.
    pub slack_ns: f64,
}

/// Parses the first path of an OpenSTA `report_checks -path_delay max` report; `None` when the
/// report says `No paths found.`
pub fn parse_sta_path(text: &str) -> Result<Option<StaPath>, SynthError> {
    if text.contains("No paths found") {
        return Ok(None);
    }
    fn point<'a>(key: &'static str) -> impl FnMut(&'a str) -> IResult<&'a str, &'a str> {
        preceded(
            tuple((space0, tag(key), char(':'), space1)),
            take_while1(|c: char| !c.is_whitespace()),
        )
    }
    /// `  <num>  <num>  <text>` or `  <num>  <text>`: returns the numbers and the rest.
    fn numbered(i: &str) -> IResult<&str, (f64, Option<f64>, &str)> {
        let (i, _) = space0(i)?;
        let (i, a) = double(i)?;
        let (i, b) = opt(preceded(space1, double))(i)?;
        let (rest, _) = space1(i)?;
        Ok(("", (a, b, rest.trim())))
    }
    let mut start = None;
    let mut end = None;
    let mut arrival = None;
    let mut required = None;
    let mut setup = 0.0;
    let mut slack = None;
    for line in text.lines() {
        if start.is_none() {
            if let Ok((_, s)) = point("Startpoint")(line) {
                start = Some(s.to_string());
                continue;
            }
        }
        if end.is_none() {
            if let Ok((_, s)) = point("Endpoint")(line) {
                end = Some(s.to_string());
                continue;
            }
        }
        if let Ok((_, (a, b, rest))) = numbered(line) {
            match rest {
                "data arrival time" if b.is_none() && arrival.is_none() => arrival = Some(a),
                "data required time" if b.is_none() && required.is_none() => required = Some(a),
                "library setup time" => setup = -a,
                r if r.starts_with("slack") && slack.is_none() => slack = Some(a),
                _ => {}
            }
        }
    }
    let missing = |what: &str| SynthError::parse("OpenSTA report_checks", format!("no {what}"));
    Ok(Some(StaPath {
        startpoint: start.ok_or_else(|| missing("Startpoint"))?,
        endpoint: end.ok_or_else(|| missing("Endpoint"))?,
        arrival_ns: arrival.ok_or_else(|| missing("data arrival time"))?,
        required_ns: required.ok_or_else(|| missing("data required time"))?,
        setup_ns: setup,
        slack_ns: slack.ok_or_else(|| missing("slack"))?,
    }))
}

/// Figures from a nextpnr `--report` JSON file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NextpnrReport {
    /// Achieved Fmax per clock net (MHz).
    pub fmax_mhz: BTreeMap<String, f64>,
    /// Used/available per bel type (ICESTORM_LC, ICESTORM_RAM, SB_IO, ...).
    pub utilization: BTreeMap<String, (u64, u64)>,
}

#[derive(Deserialize)]
struct PnrJson {
    #[serde(default)]
    fmax: BTreeMap<String, PnrFmax>,
    #[serde(default)]
    utilization: BTreeMap<String, PnrUtil>,
}

#[derive(Deserialize)]
struct PnrFmax {
    achieved: f64,
}

#[derive(Deserialize)]
struct PnrUtil {
    used: u64,
    available: u64,
}

/// Parses a nextpnr `--report` JSON file.
pub fn parse_nextpnr_report(text: &str) -> Result<NextpnrReport, SynthError> {
    let j: PnrJson = serde_json::from_str(text)
        .map_err(|e| SynthError::parse("nextpnr --report JSON", e.to_string()))?;
    Ok(NextpnrReport {
        fmax_mhz: j.fmax.into_iter().map(|(k, v)| (k, v.achieved)).collect(),
        utilization: j
            .utilization
            .into_iter()
            .map(|(k, v)| (k, (v.used, v.available)))
            .collect(),
    })
}

/// Verdict of `yosys-abc cec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CecVerdict {
    /// "Networks are equivalent".
    Equivalent,
    /// "Networks are NOT EQUIVALENT".
    NotEquivalent,
}

/// Reads the verdict line of `yosys-abc -c "cec a b"` (ABC exits 0 either way).
pub fn parse_cec_verdict(text: &str) -> Result<CecVerdict, SynthError> {
    // Order matters: the mismatch line also contains "Networks are".
    if text.contains("Networks are NOT EQUIVALENT") {
        Ok(CecVerdict::NotEquivalent)
    } else if text.contains("Networks are equivalent") {
        Ok(CecVerdict::Equivalent)
    } else {
        Err(SynthError::parse(
            "yosys-abc cec output",
            format!(
                "no verdict line (\"Networks are equivalent\" / \"Networks are NOT EQUIVALENT\") in:\n{}",
                text.trim()
            ),
        ))
    }
}

/// One row of a Yosys `sat -show-inputs` table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SatValue {
    /// Time step (`None` for a non-temporal problem or the `init` row).
    pub step: Option<u32>,
    /// `true` for an `init` row (initial state, not an input).
    pub init: bool,
    /// Signal name without the leading backslash (e.g. `in_a`).
    pub signal: String,
    /// Bits, most significant first, as printed in the `Bin` column (`x` kept).
    pub bin: String,
}

/// Parses the value table printed by `sat -show-inputs` (with or without a `Time` column).
pub fn parse_sat_table(text: &str) -> Vec<SatValue> {
    fn row(i: &str) -> IResult<&str, SatValue> {
        let (i, _) = space0(i)?;
        let (i, step) = opt(alt((
            map(tuple((tag("init"), space1)), |_| (None, true)),
            map(
                tuple((map_res(digit1, str::parse::<u32>), space1)),
                |(n, _)| (Some(n), false),
            ),
        )))(i)?;
        let (i, signal) = preceded(char('\\'), take_while1(|c: char| !c.is_whitespace()))(i)?;
        let (i, cols) =
            nom::multi::many1(preceded(space1, take_while1(|c: char| !c.is_whitespace())))(i)?;
        let bin = cols.last().copied().unwrap_or_default();
        if cols.len() != 3 || !bin.chars().all(|c| matches!(c, '0' | '1' | 'x' | 'z')) {
            return Err(nom::Err::Error(nom::error::Error::new(
                i,
                nom::error::ErrorKind::Verify,
            )));
        }
        let (step, init) = step.unwrap_or((None, false));
        Ok((
            i,
            SatValue {
                step,
                init,
                signal: signal.to_string(),
                bin: bin.to_string(),
            },
        ))
    }
    text.lines()
        .filter_map(|l| row(l.trim_end()).ok().map(|(_, v)| v))
        .collect()
}

/// The line `sat -tempinduct` prints before a real (from the initial state) counterexample.
const BASE_CASE_FAIL: &str = "model found for base case: FAIL!";

/// The counterexample table of a failed `sat -tempinduct` run: a failed induction step also
/// prints a table (from a state that need not be reachable), so only the table after the
/// base-case FAIL line is taken.
pub fn parse_induction_counterexample(text: &str) -> Vec<SatValue> {
    match text.rsplit_once(BASE_CASE_FAIL) {
        Some((_, tail)) => parse_sat_table(tail),
        None => Vec::new(),
    }
}

/// Verdict of `sat -tempinduct -prove ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InductionVerdict {
    /// The induction step was proven.
    Proven,
    /// A base case has a model: a real counterexample from the initial state.
    Failed,
    /// Neither within the step limit.
    Inconclusive,
}

/// Reads the verdict of a `sat -tempinduct` run.
pub fn parse_induction_verdict(text: &str) -> Result<InductionVerdict, SynthError> {
    if text.contains(BASE_CASE_FAIL) {
        Ok(InductionVerdict::Failed)
    } else if text.contains("Induction step proven: SUCCESS!") {
        Ok(InductionVerdict::Proven)
    } else if text.contains("Reached maximum number of time steps") {
        Ok(InductionVerdict::Inconclusive)
    } else {
        Err(SynthError::parse(
            "yosys sat -tempinduct output",
            "no SUCCESS/FAIL/maximum-steps verdict line",
        ))
    }
}

/// `true` when `sat` reported a model (`SAT solving finished - model found`).
pub fn sat_model_found(text: &str) -> bool {
    text.contains("SAT solving finished - model found")
}
