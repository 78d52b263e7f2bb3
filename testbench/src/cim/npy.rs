//! `.npy` I/O for `nicc sim cim`: integer weight (R, C) and input (B, R) matrices, int64
//! results (B, C); in BF16 mode float weight and input matrices and float32 results. Range
//! errors name the element.
//!
//! Both readers share one prologue (open, 2-D shape, plain dtype, C or Fortran order) and one
//! widening read; the float reader keeps every value exactly as stored (`float16`,
//! `float32`, `float64`, or integers up to 2^53 in magnitude) as `f64`. Rounding to BF16 is
//! the caller's (see [`super::bf16::bf16_from_f64`]).

use super::bf16::{bf16_from_f64, bf16_to_f64};
use super::golden::signed_range;
use nicc_rtl::blocks::cim::CimParams;
use npyz::{DType, TypeChar, WriterBuilder};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors reading, checking or writing `.npy` files.
#[derive(Debug, Error)]
pub enum NpyIoError {
    /// The file ends inside its header, or before the data its header announces.
    #[error("{path}: truncated: the file ends {what}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Where it ends: `inside its header` or `before the data its header announces`.
        what: String,
    },
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Wrong element type.
    #[error("{path}: element type `{dtype}` is not supported; use {expected}")]
    DType {
        /// The file.
        path: PathBuf,
        /// The dtype found.
        dtype: String,
        /// What is accepted.
        expected: String,
    },
    /// Wrong shape.
    #[error("{path}: shape {got:?}, expected {expected}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The shape found.
        got: Vec<u64>,
        /// The expected shape.
        expected: String,
    },
    /// A finite element too large for BF16 (it would round to infinity).
    #[error(
        "{path}: element [{row}, {col}] = {value:e} is out of range for BF16: it rounds to \
         infinity (finite values must be below {limit:e} in magnitude; NaN and infinity \
         themselves are accepted, count as 0 and raise out_non_finite)",
        limit = BF16_OVERFLOW
    )]
    Bf16Range {
        /// The file.
        path: PathBuf,
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// The value.
        value: f64,
    },
    /// An element does not fit.
    #[error("{path}: element [{row}, {col}] = {value} is out of range for {what} (allowed {min}..={max})")]
    Range {
        /// The file.
        path: PathBuf,
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
        /// The value.
        value: String,
        /// Which parameter limits it.
        what: String,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
}

/// A row-major 2-D matrix read from or written to a `.npy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix<T> {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `rows * cols` values, row-major.
    pub data: Vec<T>,
}

impl<T: Copy> Matrix<T> {
    /// Element `[r][c]`.
    pub fn get(&self, r: usize, c: usize) -> T {
        self.data[r * self.cols + c]
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[T] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

/// An integer matrix (every integer dtype widened to `i64`).
pub type IntMatrix = Matrix<i64>;

/// A float matrix: every value exactly as stored in the file, as `f64`.
pub type FloatMatrix = Matrix<f64>;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NpyIoError + '_ {
    move |source| NpyIoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// [`io_err`] for reads: an early end of file is [`NpyIoError::Truncated`].
fn read_err<'a>(path: &'a Path, what: &'a str) -> impl FnOnce(std::io::Error) -> NpyIoError + 'a {
    move |source| match source.kind() {
        std::io::ErrorKind::UnexpectedEof => NpyIoError::Truncated {
            path: path.to_path_buf(),
            what: what.to_string(),
        },
        _ => io_err(path)(source),
    }
}

/// The dimensions of the `shape` tuple of the header at the start of `bytes`, when a light
/// reading finds them (`None` otherwise: npyz then reads the header and names what is wrong).
fn header_dims(bytes: &[u8]) -> Option<Vec<u64>> {
    let text = String::from_utf8_lossy(bytes.get(8..)?);
    let key = text.find("'shape'").or_else(|| text.find("\"shape\""))?;
    let open = key + text[key..].find('(')?;
    let close = open + text[open..].find(')')?;
    text[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<u64>().ok())
        .collect()
}

/// Refuses a header whose element count overflows 64 bits before npyz reads it: npyz
/// multiplies the dimensions unchecked (a corrupt header panicked in a debug build).
fn check_header_dims(path: &Path) -> Result<(), NpyIoError> {
    use std::io::Read;
    let f = File::open(path).map_err(io_err(path))?;
    // Headers are a few hundred bytes; a megabyte holds any real one.
    let mut head = Vec::new();
    f.take(1 << 20)
        .read_to_end(&mut head)
        .map_err(io_err(path))?;
    let Some(dims) = header_dims(&head) else {
        return Ok(());
    };
    let fits = dims
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(1u64, |n, &d| n.checked_mul(d))
        .is_some();
    if !fits {
        return Err(NpyIoError::Shape {
            path: path.to_path_buf(),
            got: dims,
            expected: "dimensions whose product fits in 64 bits (the header is corrupt)".into(),
        });
    }
    Ok(())
}

fn open(path: &Path) -> Result<npyz::NpyFile<BufReader<File>>, NpyIoError> {
    check_header_dims(path)?;
    let f = File::open(path).map_err(io_err(path))?;
    npyz::NpyFile::new(BufReader::new(f)).map_err(read_err(path, "inside its header"))
}

fn shape2(path: &Path, npy: &npyz::NpyFile<BufReader<File>>) -> Result<(usize, usize), NpyIoError> {
    let s = npy.shape().to_vec();
    if s.len() != 2 {
        return Err(NpyIoError::Shape {
            path: path.to_path_buf(),
            got: s,
            expected: "a 2-D array".into(),
        });
    }
    Ok((s[0] as usize, s[1] as usize))
}

/// Row-major order of data stored in `order`.
fn to_row_major<T: Copy>(data: Vec<T>, rows: usize, cols: usize, order: npyz::Order) -> Vec<T> {
    match order {
        npyz::Order::C => data,
        npyz::Order::Fortran => {
            let mut out = Vec::with_capacity(data.len());
            for r in 0..rows {
                for c in 0..cols {
                    out.push(data[c * rows + r]);
                }
            }
            out
        }
    }
}

/// An opened 2-D array with a plain (non-structured) dtype.
struct Plain2 {
    npy: npyz::NpyFile<BufReader<File>>,
    rows: usize,
    cols: usize,
    order: npyz::Order,
    kind: (TypeChar, u64),
    dtype: String,
}

/// Opens `path` as a 2-D array of a plain dtype; `expected` names what the caller accepts.
fn open_plain2(path: &Path, expected: &str) -> Result<Plain2, NpyIoError> {
    let npy = open(path)?;
    let (rows, cols) = shape2(path, &npy)?;
    let order = npy.order();
    let dtype = npy.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(dtype_err(path, &format!("{dtype:?}"), expected));
    };
    Ok(Plain2 {
        rows,
        cols,
        order,
        kind: (ts.type_char(), ts.size_field()),
        dtype: ts.to_string(),
        npy,
    })
}

fn dtype_err(path: &Path, dtype: &str, expected: &str) -> NpyIoError {
    NpyIoError::DType {
        path: path.to_path_buf(),
        dtype: dtype.to_string(),
        expected: expected.to_string(),
    }
}

/// Reads every element as `T` and widens it losslessly to `W`.
fn read_widened<T, W>(
    path: &Path,
    npy: npyz::NpyFile<BufReader<File>>,
) -> Result<Vec<W>, NpyIoError>
where
    T: npyz::Deserialize + Into<W>,
{
    Ok(npy
        .into_vec::<T>()
        .map_err(read_err(path, "before the data its header announces"))?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The elements of an integer array (`int8..int64`, `uint8..uint64`) as `i64`, in file
/// order; `None` when the dtype is not an integer one.
fn read_ints(path: &Path, m: Plain2) -> Result<Option<Vec<i64>>, NpyIoError> {
    let cols = m.cols.max(1);
    Ok(Some(match m.kind {
        (TypeChar::Int, 1) => read_widened::<i8, i64>(path, m.npy)?,
        (TypeChar::Int, 2) => read_widened::<i16, i64>(path, m.npy)?,
        (TypeChar::Int, 4) => read_widened::<i32, i64>(path, m.npy)?,
        (TypeChar::Int, 8) => read_widened::<i64, i64>(path, m.npy)?,
        (TypeChar::Uint, 1) => read_widened::<u8, i64>(path, m.npy)?,
        (TypeChar::Uint, 2) => read_widened::<u16, i64>(path, m.npy)?,
        (TypeChar::Uint, 4) => read_widened::<u32, i64>(path, m.npy)?,
        (TypeChar::Uint, 8) => {
            let v = m
                .npy
                .into_vec::<u64>()
                .map_err(read_err(path, "before the data its header announces"))?;
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                let x = i64::try_from(x).map_err(|_| NpyIoError::Range {
                    path: path.to_path_buf(),
                    row: element(i, m.rows, cols, m.order).0,
                    col: element(i, m.rows, cols, m.order).1,
                    value: x.to_string(),
                    what: "int64".into(),
                    min: i64::MIN,
                    max: i64::MAX,
                })?;
                out.push(x);
            }
            out
        }
        _ => return Ok(None),
    }))
}

/// `[row, col]` of the `i`-th stored element of a `rows x cols` array in `order`.
fn element(i: usize, rows: usize, cols: usize, order: npyz::Order) -> (usize, usize) {
    match order {
        npyz::Order::C => (i / cols.max(1), i % cols.max(1)),
        npyz::Order::Fortran => (i % rows.max(1), i / rows.max(1)),
    }
}

/// Reads a 2-D integer array (`int8..int64`, `uint8..uint64`).
pub fn read_int_matrix(path: &Path) -> Result<IntMatrix, NpyIoError> {
    const EXPECTED: &str = "an integer array (int8..int64, uint8..uint64)";
    let m = open_plain2(path, EXPECTED)?;
    let (rows, cols, order, dtype) = (m.rows, m.cols, m.order, m.dtype.clone());
    let Some(data) = read_ints(path, m)? else {
        return Err(dtype_err(path, &dtype, EXPECTED));
    };
    Ok(IntMatrix {
        rows,
        cols,
        data: to_row_major(data, rows, cols, order),
    })
}

/// Largest integer magnitude the float reader accepts from an integer array: every integer
/// up to 2^53 is exact in `f64`.
pub const MAX_EXACT_INT: i64 = 1 << 53;

/// Reads a 2-D float array (`float16`, `float32`, `float64`) as `f64`, every value exact.
/// Integer arrays are accepted too (so `np.array([[1, 2]])` works), each value within
/// `±2^53` ([`MAX_EXACT_INT`], exact in `f64`); a larger one is a range error naming it.
pub fn read_float_matrix(path: &Path) -> Result<FloatMatrix, NpyIoError> {
    const EXPECTED: &str =
        "a float array (float16, float32, float64) or an integer array (int8..int64, uint8..uint64)";
    let m = open_plain2(path, EXPECTED)?;
    let (rows, cols, order, dtype) = (m.rows, m.cols, m.order, m.dtype.clone());
    let data: Vec<f64> = match m.kind {
        (TypeChar::Float, 2) => read_widened::<npyz::half::f16, f64>(path, m.npy)?,
        (TypeChar::Float, 4) => read_widened::<f32, f64>(path, m.npy)?,
        (TypeChar::Float, 8) => read_widened::<f64, f64>(path, m.npy)?,
        _ => {
            let Some(ints) = read_ints(path, m)? else {
                return Err(dtype_err(path, &dtype, EXPECTED));
            };
            let mut out = Vec::with_capacity(ints.len());
            for (i, v) in ints.into_iter().enumerate() {
                if v.unsigned_abs() > MAX_EXACT_INT as u64 {
                    let (row, col) = element(i, rows, cols, order);
                    return Err(NpyIoError::Range {
                        path: path.to_path_buf(),
                        row,
                        col,
                        value: v.to_string(),
                        what: "an integer read as an exact float".into(),
                        min: -MAX_EXACT_INT,
                        max: MAX_EXACT_INT,
                    });
                }
                out.push(v as f64);
            }
            out
        }
    };
    Ok(FloatMatrix {
        rows,
        cols,
        data: to_row_major(data, rows, cols, order),
    })
}

fn expect_shape(
    path: &Path,
    m: (usize, usize),
    rows: Option<usize>,
    cols: usize,
    what: &str,
) -> Result<(), NpyIoError> {
    if rows.is_some_and(|r| r != m.0) || m.1 != cols {
        return Err(NpyIoError::Shape {
            path: path.to_path_buf(),
            got: vec![m.0 as u64, m.1 as u64],
            expected: what.to_string(),
        });
    }
    Ok(())
}

/// Checks a weight matrix: shape `(rows, cols)`, every value in `wbits` two's complement.
pub fn check_weights(path: &Path, m: &IntMatrix, p: &CimParams) -> Result<(), NpyIoError> {
    expect_shape(
        path,
        (m.rows, m.cols),
        Some(p.rows as usize),
        p.cols as usize,
        &format!("({}, {}) = (rows, cols)", p.rows, p.cols),
    )?;
    let (min, max) = signed_range(p.wbits);
    check_range(path, m, min, max, &format!("wbits = {} (signed)", p.wbits))
}

/// Checks an input matrix: shape `(B, rows)`, every value fitting `bx` bits (signed or
/// unsigned per `x_signed`; `bx` 0 means `xbits`).
pub fn check_inputs(path: &Path, m: &IntMatrix, p: &CimParams, bx: u32) -> Result<(), NpyIoError> {
    expect_shape(
        path,
        (m.rows, m.cols),
        None,
        p.rows as usize,
        &format!("(B, {}) = (vectors, rows)", p.rows),
    )?;
    let bx = if bx == 0 || bx > p.xbits { p.xbits } else { bx };
    let (min, max, kind) = if p.x_signed {
        let (a, b) = signed_range(bx);
        (a, b, "signed")
    } else {
        (0, ((1u128 << bx) - 1) as i64, "unsigned")
    };
    check_range(path, m, min, max, &format!("xbits/bx = {bx} ({kind})"))
}

/// The smallest magnitude that rounds to infinity in BF16 (nearest even): `(2 - 2^-8) 2^127`.
pub const BF16_OVERFLOW: f64 = (511u128 << 119) as f64;

/// Checks a BF16-mode weight matrix: shape `(rows, cols)`, no finite value that rounds to
/// infinity in BF16.
pub fn check_bf16_weights(path: &Path, m: &FloatMatrix, p: &CimParams) -> Result<(), NpyIoError> {
    expect_shape(
        path,
        (m.rows, m.cols),
        Some(p.rows as usize),
        p.cols as usize,
        &format!("({}, {}) = (rows, cols)", p.rows, p.cols),
    )?;
    check_bf16_range(path, m)
}

/// Checks a BF16-mode input matrix: shape `(B, rows)`, no finite value that rounds to
/// infinity in BF16.
pub fn check_bf16_inputs(path: &Path, m: &FloatMatrix, p: &CimParams) -> Result<(), NpyIoError> {
    expect_shape(
        path,
        (m.rows, m.cols),
        None,
        p.rows as usize,
        &format!("(B, {}) = (vectors, rows)", p.rows),
    )?;
    check_bf16_range(path, m)
}

fn check_bf16_range(path: &Path, m: &FloatMatrix) -> Result<(), NpyIoError> {
    for (i, &v) in m.data.iter().enumerate() {
        if v.is_finite() && bf16_to_f64(bf16_from_f64(v)).is_infinite() {
            return Err(NpyIoError::Bf16Range {
                path: path.to_path_buf(),
                row: i / m.cols,
                col: i % m.cols,
                value: v,
            });
        }
    }
    Ok(())
}

/// Checks that every value of `m` (read from `path`) is in `min..=max`; the error names the
/// first one outside by row and column, and `what` the values are (`INT8 inputs`).
pub fn check_range(
    path: &Path,
    m: &IntMatrix,
    min: i64,
    max: i64,
    what: &str,
) -> Result<(), NpyIoError> {
    for (i, &v) in m.data.iter().enumerate() {
        if v < min || v > max {
            return Err(NpyIoError::Range {
                path: path.to_path_buf(),
                row: i / m.cols,
                col: i % m.cols,
                value: v.to_string(),
                what: what.to_string(),
                min,
                max,
            });
        }
    }
    Ok(())
}

/// Writes a `(rows, cols)` int64 array.
pub fn write_int64_matrix(
    path: &Path,
    rows: usize,
    cols: usize,
    data: &[i64],
) -> Result<(), NpyIoError> {
    write_matrix(path, rows, cols, data)
}

/// Writes a `(rows, cols)` float32 array.
pub fn write_f32_matrix(
    path: &Path,
    rows: usize,
    cols: usize,
    data: &[f32],
) -> Result<(), NpyIoError> {
    write_matrix(path, rows, cols, data)
}

/// Writes a `(rows, cols)` C-order array of `T`'s default dtype.
fn write_matrix<T: npyz::AutoSerialize + Copy>(
    path: &Path,
    rows: usize,
    cols: usize,
    data: &[T],
) -> Result<(), NpyIoError> {
    crate::outputs::write_atomically(
        path,
        |f| {
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&[rows as u64, cols as u64])
                .writer(f)
                .begin_nd()
                .map_err(io_err(path))?;
            w.extend(data.iter().copied()).map_err(io_err(path))?;
            w.finish().map_err(io_err(path))
        },
        |e| io_err(path)(e),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_any<T: npyz::AutoSerialize + Copy>(
        path: &Path,
        shape: &[u64],
        order: npyz::Order,
        data: &[T],
    ) {
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(shape)
            .order(order)
            .writer(std::io::BufWriter::new(File::create(path).unwrap()))
            .begin_nd()
            .unwrap();
        w.extend(data.iter().copied()).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn every_integer_dtype_reads_as_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        let c = npyz::Order::C;
        let want = vec![0i64, 1, 2, 3, 100, 127];
        macro_rules! check {
            ($($t:ty),*) => {$(
                let v: Vec<$t> = want.iter().map(|&x| x as $t).collect();
                write_any(&p, &[2, 3], c, &v);
                let m = read_int_matrix(&p).unwrap();
                assert_eq!((m.rows, m.cols), (2, 3), stringify!($t));
                assert_eq!(m.data, want, stringify!($t));
            )*};
        }
        check!(i8, i16, i32, i64, u8, u16, u32, u64);
        write_any(&p, &[1, 2], c, &[-128i8, -1]);
        assert_eq!(read_int_matrix(&p).unwrap().data, vec![-128, -1]);
        write_any(&p, &[1, 2], c, &[u32::MAX, 0]);
        assert_eq!(read_int_matrix(&p).unwrap().data, vec![u32::MAX as i64, 0]);
    }

    #[test]
    fn a_uint64_past_int64_names_its_element() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        write_any(&p, &[2, 2], npyz::Order::C, &[0u64, 1, 2, u64::MAX]);
        let e = read_int_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("[1, 1]") && e.contains(&u64::MAX.to_string()),
            "{e}"
        );
    }

    #[test]
    fn fortran_order_is_returned_row_major() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        // Column-major storage of [[1, 2, 3], [4, 5, 6]].
        write_any(&p, &[2, 3], npyz::Order::Fortran, &[1i32, 4, 2, 5, 3, 6]);
        let m = read_int_matrix(&p).unwrap();
        assert_eq!(m.data, vec![1, 2, 3, 4, 5, 6]);
    }

    /// A `.npy` file (format 1.0) with dtype `descr`, `shape` and raw data bytes.
    fn write_raw(path: &Path, descr: &str, fortran: bool, shape: &[u64], data: &[u8]) {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        let mut header = format!(
            "{{'descr': '{descr}', 'fortran_order': {}, 'shape': ({},), }}",
            if fortran { "True" } else { "False" },
            dims.join(", ")
        );
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        std::fs::write(path, bytes).unwrap();
    }

    /// A corrupt header whose dimensions multiply past 64 bits (npyz multiplies them
    /// unchecked, for the element count and the strides) is a shape error naming them.
    #[test]
    fn a_shape_past_64_bits_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        let cases: [(&[u64], bool); 3] = [
            (&[1 << 62, 1 << 20], false),
            (&[0, 1 << 40, 1 << 40], false),
            (&[1 << 40, 1 << 40], true),
        ];
        for (shape, fortran) in cases {
            write_raw(&p, "<i8", fortran, shape, &[]);
            let e = read_int_matrix(&p).unwrap_err().to_string();
            assert!(
                e.contains("dimensions whose product fits in 64 bits"),
                "{shape:?}: {e}"
            );
            let e = read_float_matrix(&p).unwrap_err().to_string();
            assert!(e.contains("fits in 64 bits"), "{shape:?}: {e}");
        }
        // A large shape that fits is left to the reader (here: data missing).
        write_raw(&p, "<i8", false, &[1 << 31, 1 << 31], &[]);
        let e = read_int_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn floats_read_exactly_in_c_and_fortran_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        let c = npyz::Order::C;
        write_any(
            &p,
            &[2, 2],
            c,
            &[0.1f32, -2.5, 3.0e30, f32::MIN_POSITIVE / 8.0],
        );
        let f = read_float_matrix(&p).unwrap();
        assert_eq!((f.rows, f.cols), (2, 2));
        let want = [0.1f32, -2.5, 3.0e30, f32::MIN_POSITIVE / 8.0].map(f64::from);
        assert_eq!(f.data, want);
        write_any(&p, &[1, 3], c, &[0.1f64, -0.0, 1e300]);
        let f = read_float_matrix(&p).unwrap();
        assert_eq!(f.data, vec![0.1, -0.0, 1e300]);
        assert!(f.data[1].is_sign_negative());
        // Column-major storage of [[1.5, 2, 3], [4, 5, 6]], float32 and float64.
        write_any(
            &p,
            &[2, 3],
            npyz::Order::Fortran,
            &[1.5f32, 4., 2., 5., 3., 6.],
        );
        assert_eq!(
            read_float_matrix(&p).unwrap().data,
            vec![1.5, 2., 3., 4., 5., 6.]
        );
        write_any(
            &p,
            &[2, 3],
            npyz::Order::Fortran,
            &[1.5f64, 4., 2., 5., 3., 6.],
        );
        let f = read_float_matrix(&p).unwrap();
        assert_eq!(f.row(1), &[4., 5., 6.]);
        assert_eq!(f.get(0, 2), 3.0);
        // NaN and infinities are read as they are.
        write_any(
            &p,
            &[1, 3],
            c,
            &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
        );
        let f = read_float_matrix(&p).unwrap();
        assert!(f.data[0].is_nan() && f.data[1] == f64::INFINITY && f.data[2] == -f64::INFINITY);
    }

    #[test]
    fn float16_reads_exactly_in_both_byte_orders() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.npy");
        // 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal), -0, inf, NaN.
        let bits = [0x3c00u16, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00, 0x7e00];
        let le: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
        write_raw(&p, "<f2", false, &[1, 7], &le);
        let f = read_float_matrix(&p).unwrap();
        assert_eq!(
            &f.data[..6],
            &[1.0, -2.5, 65504.0, 2f64.powi(-24), -0.0, f64::INFINITY]
        );
        assert!(f.data[4].is_sign_negative() && f.data[6].is_nan());
        // Big-endian, Fortran order: [[1, 65504], [-2.5, 2^-24]] stored by columns.
        let be: Vec<u8> = [0x3c00u16, 0xc100, 0x7bff, 0x0001]
            .iter()
            .flat_map(|b| b.to_be_bytes())
            .collect();
        write_raw(&p, ">f2", true, &[2, 2], &be);
        let f = read_float_matrix(&p).unwrap();
        assert_eq!(f.data, vec![1.0, 65504.0, -2.5, 2f64.powi(-24)]);
    }

    #[test]
    fn integers_read_as_exact_floats_up_to_2_pow_53() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        write_any(&p, &[1, 3], npyz::Order::C, &[-3i64, 0, MAX_EXACT_INT]);
        assert_eq!(
            read_float_matrix(&p).unwrap().data,
            vec![-3.0, 0.0, 9007199254740992.0]
        );
        write_any(&p, &[1, 2], npyz::Order::C, &[7u8, 255]);
        assert_eq!(read_float_matrix(&p).unwrap().data, vec![7.0, 255.0]);
        // 2^53 + 1 is not a float64: named by its [row, col] (Fortran order here).
        write_any(
            &p,
            &[2, 2],
            npyz::Order::Fortran,
            &[0i64, 0, MAX_EXACT_INT + 1, 0],
        );
        let e = read_float_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("element [0, 1] = 9007199254740993 is out of range for an integer read as an exact float"),
            "{e}"
        );
    }

    #[test]
    fn float_dtype_shape_and_truncation_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.npy");
        write_any(&p, &[1, 2], npyz::Order::C, &[true, false]);
        let e = read_float_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("bad.npy")
                && e.contains("`|b1` is not supported")
                && e.contains("a float array (float16, float32, float64)"),
            "{e}"
        );
        // Floats are still refused by the integer reader.
        write_any(&p, &[1, 1], npyz::Order::C, &[1.0f32]);
        let e = read_int_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("`<f4` is not supported; use an integer array"),
            "{e}"
        );
        write_any(&p, &[2, 2, 1], npyz::Order::C, &[1.0f64; 4]);
        let e = read_float_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("shape [2, 2, 1], expected a 2-D array"), "{e}");
        // Cut the data short: 3 of 4 float32 values.
        write_any(&p, &[2, 2], npyz::Order::C, &[1.0f32; 4]);
        let len = std::fs::metadata(&p).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
        f.set_len(len - 4).unwrap();
        let e = read_float_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("bad.npy") && e.contains("truncated: the file ends before the data"),
            "{e}"
        );
        // Cut inside the header.
        f.set_len(20).unwrap();
        let e = read_float_matrix(&p).unwrap_err().to_string();
        assert!(
            e.contains("truncated: the file ends inside its header"),
            "{e}"
        );
    }

    #[test]
    fn float32_writer_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("y.npy");
        let y = [7.25f32, -0.0, f32::INFINITY, 1e-40, 3.0, -1.5];
        write_f32_matrix(&p, 2, 3, &y).unwrap();
        let npy = npyz::NpyFile::new(BufReader::new(File::open(&p).unwrap())).unwrap();
        assert_eq!(npy.shape(), &[2, 3]);
        assert_eq!(npy.dtype().descr(), "'<f4'");
        let back: Vec<f32> = npy.into_vec().unwrap();
        assert_eq!(bits(&back), bits(&y));
        assert_eq!(
            read_float_matrix(&p).unwrap().data,
            y.map(f64::from).to_vec()
        );
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn bf16_checks_shape_and_overflow() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("w.npy");
        let params = CimParams {
            rows: 2,
            cols: 2,
            format: nicc_rtl::blocks::cim::CimFormat::Bf16,
            ..CimParams::default()
        };
        let m = |data: Vec<f64>| FloatMatrix {
            rows: 2,
            cols: 2,
            data,
        };
        // The largest finite BF16 and everything just below the rounding limit pass; NaN and
        // infinity pass (the RTL flags them).
        let ok = m(vec![
            3.3895313892515355e38,
            f64::NAN,
            f64::NEG_INFINITY,
            -3.39e38,
        ]);
        check_bf16_weights(&p, &ok, &params).unwrap();
        check_bf16_inputs(&p, &ok, &params).unwrap();
        let e = check_bf16_weights(&p, &m(vec![0.0, 0.0, 0.0, -BF16_OVERFLOW]), &params)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("element [1, 1] = -3.396")
                && e.contains("out of range for BF16: it rounds to infinity"),
            "{e}"
        );
        let bad = FloatMatrix {
            rows: 1,
            cols: 3,
            data: vec![0.0; 3],
        };
        let e = check_bf16_inputs(&p, &bad, &params)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("shape [1, 3], expected (B, 2) = (vectors, rows)"),
            "{e}"
        );
        let e = check_bf16_weights(&p, &bad, &params)
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected (2, 2) = (rows, cols)"), "{e}");
    }

    #[test]
    fn int64_round_trips_and_dtypes_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        write_int64_matrix(&p, 1, 2, &[i64::MIN, i64::MAX]).unwrap();
        assert_eq!(read_int_matrix(&p).unwrap().data, vec![i64::MIN, i64::MAX]);
        write_any(&p, &[1, 1], npyz::Order::C, &[1.0f64]);
        let e = read_int_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("an integer array"), "{e}");
        write_any(&p, &[3], npyz::Order::C, &[1i64, 2, 3]);
        let e = read_int_matrix(&p).unwrap_err().to_string();
        assert!(e.contains("a 2-D array"), "{e}");
    }
}
