//! `.npy` I/O for `nicc sim cim`: integer weight (R, C) and input (B, R) matrices, int64
//! results (B, C). Range errors name the element.

use super::golden::signed_range;
use nicc_rtl::blocks::cim::CimParams;
use npyz::{DType, TypeChar, WriterBuilder};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Errors reading, checking or writing `.npy` files.
#[derive(Debug, Error)]
pub enum NpyIoError {
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

/// A row-major 2-D matrix of `i64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntMatrix {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// `rows * cols` values, row-major.
    pub data: Vec<i64>,
}

impl IntMatrix {
    /// Element `[r][c]`.
    pub fn get(&self, r: usize, c: usize) -> i64 {
        self.data[r * self.cols + c]
    }

    /// Row `r`.
    pub fn row(&self, r: usize) -> &[i64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> NpyIoError + '_ {
    move |source| NpyIoError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn open(path: &Path) -> Result<npyz::NpyFile<BufReader<File>>, NpyIoError> {
    let f = File::open(path).map_err(io_err(path))?;
    npyz::NpyFile::new(BufReader::new(f)).map_err(io_err(path))
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

/// Reads every element as `T` and widens it losslessly to `i64`.
fn read_widened<T: npyz::Deserialize + Into<i64>>(
    path: &Path,
    npy: npyz::NpyFile<BufReader<File>>,
) -> Result<Vec<i64>, NpyIoError> {
    Ok(npy
        .into_vec::<T>()
        .map_err(io_err(path))?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Reads a 2-D integer array (`int8..int64`, `uint8..uint64`).
pub fn read_int_matrix(path: &Path) -> Result<IntMatrix, NpyIoError> {
    let npy = open(path)?;
    let (rows, cols) = shape2(path, &npy)?;
    let order = npy.order();
    let dtype = npy.dtype();
    let bad = |d: &str| NpyIoError::DType {
        path: path.to_path_buf(),
        dtype: d.to_string(),
        expected: "an integer array (int8..int64, uint8..uint64)".into(),
    };
    let DType::Plain(ts) = &dtype else {
        return Err(bad(&format!("{dtype:?}")));
    };
    let data: Vec<i64> = match (ts.type_char(), ts.size_field()) {
        (TypeChar::Int, 1) => read_widened::<i8>(path, npy)?,
        (TypeChar::Int, 2) => read_widened::<i16>(path, npy)?,
        (TypeChar::Int, 4) => read_widened::<i32>(path, npy)?,
        (TypeChar::Int, 8) => read_widened::<i64>(path, npy)?,
        (TypeChar::Uint, 1) => read_widened::<u8>(path, npy)?,
        (TypeChar::Uint, 2) => read_widened::<u16>(path, npy)?,
        (TypeChar::Uint, 4) => read_widened::<u32>(path, npy)?,
        (TypeChar::Uint, 8) => {
            let v = npy.into_vec::<u64>().map_err(io_err(path))?;
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.into_iter().enumerate() {
                let x = i64::try_from(x).map_err(|_| NpyIoError::Range {
                    path: path.to_path_buf(),
                    row: i / cols.max(1),
                    col: i % cols.max(1),
                    value: x.to_string(),
                    what: "int64".into(),
                    min: i64::MIN,
                    max: i64::MAX,
                })?;
                out.push(x);
            }
            out
        }
        _ => return Err(bad(&ts.to_string())),
    };
    Ok(IntMatrix {
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

fn check_range(
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
    let f = File::create(path).map_err(io_err(path))?;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&[rows as u64, cols as u64])
        .writer(BufWriter::new(f))
        .begin_nd()
        .map_err(io_err(path))?;
    w.extend(data.iter().copied()).map_err(io_err(path))?;
    w.finish().map_err(io_err(path))
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
            .writer(BufWriter::new(File::create(path).unwrap()))
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
