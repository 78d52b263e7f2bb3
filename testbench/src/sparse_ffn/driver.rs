//! Drivers: run vectors through the Verilated sparse tile and the dense baseline (the CIM
//! macro), port by port. They know the ports (the generator's contract), not the math.

use nicc_rtl::blocks::sparse_ffn::{pack, PackError, Packed, SparseFfnParams, BITS};
use nicc_rtl::Bits;
use nicc_sim::{Model, SimError};
use thiserror::Error;

/// Why driving a tile failed.
#[derive(Debug, Error)]
pub enum DriverError {
    /// The simulator failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The weights do not pack into the tile.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// An input vector has the wrong length or a value outside INT8.
    #[error("input vector: {0}")]
    Input(String),
    /// The tile did not answer in time.
    #[error("{tile} gave no result within {cycles} cycles")]
    Timeout {
        /// Which tile.
        tile: &'static str,
        /// Cycles waited.
        cycles: u64,
    },
}

fn check_x(x: &[i64], rows: u32) -> Result<Bits, DriverError> {
    if x.len() != rows as usize {
        return Err(DriverError::Input(format!(
            "{} values given for rows = {rows}",
            x.len()
        )));
    }
    let mut b = Bits::zero(rows * BITS);
    for (i, &v) in x.iter().enumerate() {
        if !(-128..=127).contains(&v) {
            return Err(DriverError::Input(format!(
                "x[{i}] = {v} is outside INT8 (-128..=127)"
            )));
        }
        b.set_slice(i as u32 * BITS, &Bits::from_i64(BITS, v));
    }
    Ok(b)
}

fn check_w(w: &[Vec<i64>], rows: u32, cols: u32) -> Result<(), DriverError> {
    if w.len() != rows as usize || w.iter().any(|r| r.len() != cols as usize) {
        return Err(DriverError::Input(format!(
            "weights must be rows x cols = {rows} x {cols}"
        )));
    }
    for (r, row) in w.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            if !(-128..=127).contains(&v) {
                return Err(DriverError::Pack(PackError::Range {
                    row: r,
                    col: c,
                    value: v,
                }));
            }
        }
    }
    Ok(())
}

fn decode(y: &Bits, cols: u32, ow: u32) -> Vec<i64> {
    (0..cols)
        .map(|c| y.slice(c * ow, ow).to_i64().unwrap_or(i64::MIN))
        .collect()
}

/// Result of one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileResult {
    /// `y`, one value per column.
    pub y: Vec<i64>,
    /// Cycles from the accepting edge to the edge after which `out_valid` was seen.
    pub cycles: u64,
}

/// Runs one vector through a model with the `in_valid/in_ready/in_x/out_valid/out_ready/out_y`
/// handshake: present, wait for the accept, wait for the result, pop it.
fn run_handshake(
    m: &mut Model,
    x: &Bits,
    cols: u32,
    ow: u32,
    tile: &'static str,
    limit: u64,
) -> Result<TileResult, DriverError> {
    let (iv, ir, ix) = (m.port("in_valid")?, m.port("in_ready")?, m.port("in_x")?);
    let (ov, or, oy) = (m.port("out_valid")?, m.port("out_ready")?, m.port("out_y")?);
    m.set(ix, x)?;
    m.set_u64(iv, 1)?;
    m.set_u64(or, 0)?;
    m.eval();
    let mut waited = 0;
    while m.get_u64(ir) == 0 {
        m.step()?;
        waited += 1;
        if waited > limit {
            return Err(DriverError::Timeout {
                tile,
                cycles: limit,
            });
        }
    }
    m.step()?;
    m.set_u64(iv, 0)?;
    m.eval();
    let mut cycles = 1;
    while m.get_u64(ov) == 0 {
        m.step()?;
        cycles += 1;
        if cycles > limit {
            return Err(DriverError::Timeout {
                tile,
                cycles: limit,
            });
        }
    }
    let y = decode(&m.get(oy), cols, ow);
    m.set_u64(or, 1)?;
    m.step()?;
    m.set_u64(or, 0)?;
    m.eval();
    Ok(TileResult { y, cycles })
}

/// The sparse tile: parameters and the packing of the loaded weights.
#[derive(Debug, Clone)]
pub struct SparseTile {
    /// The tile's parameters.
    pub params: SparseFfnParams,
    /// The packed weights last loaded.
    pub packed: Option<Packed>,
}

impl SparseTile {
    /// A tile with parameters `params` (no weights yet).
    pub fn new(params: SparseFfnParams) -> SparseTile {
        SparseTile {
            params,
            packed: None,
        }
    }

    /// Resets `m`, packs `w` and loads the need masks and packed rows through the ports.
    /// Rows of a bank beyond a group's packed rows are written with zeros.
    pub fn load(&mut self, m: &mut Model, w: &[Vec<i64>]) -> Result<(), DriverError> {
        let p = self.params.clone();
        let packed = pack(&p, w)?;
        for name in ["in_valid", "out_ready", "mask_we", "wr_en"] {
            let port = m.port(name)?;
            m.set_u64(port, 0)?;
        }
        m.reset(2)?;
        let (mwe, mg, md) = (
            m.port("mask_we")?,
            m.port("mask_group")?,
            m.port("mask_data")?,
        );
        let (we, wg, wb, wr, wd) = (
            m.port("wr_en")?,
            m.port("wr_group")?,
            m.port("wr_bank")?,
            m.port("wr_row")?,
            m.port("wr_data")?,
        );
        for g in 0..p.groups() as usize {
            let mut mask = Bits::zero(p.rows);
            for (i, &n) in packed.need[g].iter().enumerate() {
                mask.set_bit(i as u32, n);
            }
            m.set_u64(mwe, 1)?;
            m.set_u64(mg, g as u64)?;
            m.set(md, &mask)?;
            m.step()?;
            m.set_u64(mwe, 0)?;
            for j in 0..p.capacity() as usize {
                let (bank, row) = Packed::place(&p, j);
                let mut data = Bits::zero(p.col_group * BITS);
                if let Some(r) = packed.rows[g].get(j) {
                    for (c, &v) in r.iter().enumerate() {
                        data.set_slice(c as u32 * BITS, &Bits::from_i64(BITS, v as i64));
                    }
                }
                m.set_u64(we, 1)?;
                m.set_u64(wg, g as u64)?;
                m.set_u64(wb, bank as u64)?;
                m.set_u64(wr, row as u64)?;
                m.set(wd, &data)?;
                m.step()?;
            }
            m.set_u64(we, 0)?;
        }
        m.eval();
        self.packed = Some(packed);
        Ok(())
    }

    /// Runs one vector (call [`SparseTile::load`] first).
    pub fn run(&self, m: &mut Model, x: &[i64]) -> Result<TileResult, DriverError> {
        let p = &self.params;
        let xb = check_x(x, p.rows)?;
        // Beats x (bit-planes or, dynamic, weight rows loaded) plus the handshakes.
        let limit = 64 + 16 * (p.banks as u64 + 2) * (BITS as u64 + 4 + p.cim_rows as u64);
        run_handshake(m, &xb, p.cols, p.out_width(), "sparse tile", limit)
    }
}

/// The dense baseline: the CIM macro of `rows x cols`, one bank.
#[derive(Debug, Clone)]
pub struct DenseTile {
    /// The tile's parameters (the dense macro is [`SparseFfnParams::dense_params`]).
    pub params: SparseFfnParams,
}

impl DenseTile {
    /// Resets `m` and writes `w` row by row.
    pub fn load(&self, m: &mut Model, w: &[Vec<i64>]) -> Result<(), DriverError> {
        let p = &self.params;
        check_w(w, p.rows, p.cols)?;
        for name in ["in_valid", "out_ready", "wr_en"] {
            let port = m.port(name)?;
            m.set_u64(port, 0)?;
        }
        for name in ["in_bx", "rd_row"] {
            let port = m.port(name)?;
            m.set_u64(port, 0)?;
        }
        for name in ["in_row_mask", "in_col_mask"] {
            let port = m.port(name)?;
            m.set_u64(port, 1)?;
        }
        m.reset(2)?;
        let (we, wr, wd) = (m.port("wr_en")?, m.port("wr_row")?, m.port("wr_data")?);
        for (r, row) in w.iter().enumerate() {
            let mut data = Bits::zero(p.cols * BITS);
            for (c, &v) in row.iter().enumerate() {
                data.set_slice(c as u32 * BITS, &Bits::from_i64(BITS, v));
            }
            m.set_u64(we, 1)?;
            m.set_u64(wr, r as u64)?;
            m.set(wd, &data)?;
            m.step()?;
        }
        m.set_u64(we, 0)?;
        m.eval();
        Ok(())
    }

    /// Runs one vector.
    pub fn run(&self, m: &mut Model, x: &[i64]) -> Result<TileResult, DriverError> {
        let p = &self.params;
        let xb = check_x(x, p.rows)?;
        let ow = p.dense_params().out_width();
        run_handshake(m, &xb, p.cols, ow, "dense tile", 64)
    }
}
