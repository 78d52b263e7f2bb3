//! DPU packet engine (issue 7), RTL side. Only the first building block exists so far: the
//! registered-ready skid buffer used on every stream of the engine. The parser, checksum,
//! CRC, Toeplitz, steering, store-and-forward FIFO and config port are not written yet.

use crate::builder::ModuleBuilder;
use crate::error::{ParamError, RtlError};
use crate::ir::Module;
use crate::signal::Signal;
use std::rc::Rc;

/// A two-entry skid buffer for a valid/ready stream whose payload (all sideband fields packed)
/// is `width` bits. `s_ready` is a register output (no combinational ready-to-ready path), one
/// transfer per cycle at full rate, one cycle latency. Ports: `s_data`, `s_valid`, `s_ready`,
/// `m_data`, `m_valid`, `m_ready`, plus `clk`/`rst`.
pub fn skid_buffer(width: u32) -> Result<Rc<Module>, RtlError> {
    if width == 0 {
        return Err(ParamError::invalid("width", width, "a payload of at least 1 bit").into());
    }
    let mut m = ModuleBuilder::new(format!("packet_skid_w{width}"));
    m.clock_domain();
    let s_data = m.input("s_data", width);
    let s_valid = m.input("s_valid", 1);
    let m_ready = m.input("m_ready", 1);

    let out_valid = m.reg_decl("out_valid", 1, false, Some(crate::bits::Bits::zero(1)));
    let out_data = m.reg_decl("out_data", width, false, None);
    let skid_valid = m.reg_decl("skid_valid", 1, false, Some(crate::bits::Bits::zero(1)));
    let skid_data = m.reg_decl("skid_data", width, false, None);

    let s_ready = m.wire("s_ready_int", &!&skid_valid.sig());
    let accept = m.wire("accept", &(&s_valid & &s_ready));
    // The output register may take a new value when it is empty or being consumed.
    let load_out = m.wire("load_out", &(&!&out_valid.sig() | &m_ready));

    let out_valid_next = load_out.mux(&(&skid_valid.sig() | &accept), &out_valid.sig());
    m.set_next(&out_valid, &out_valid_next);
    let out_data_next = skid_valid.sig().mux(&skid_data.sig(), &s_data);
    m.set_next(&out_data, &out_data_next);
    m.set_enable(&out_data, &load_out);

    // A beat accepted while the output register is stalled goes to the skid register.
    let to_skid = m.wire("to_skid", &(&accept & &!&load_out));
    let skid_valid_next = load_out.mux(&Signal::lit(1, 0), &(&skid_valid.sig() | &to_skid));
    m.set_next(&skid_valid, &skid_valid_next);
    m.set_next(&skid_data, &s_data);
    m.set_enable(&skid_data, &to_skid);

    m.output("s_ready", &s_ready);
    m.output("m_valid", &out_valid.sig());
    m.output("m_data", &out_data.sig());
    m.finish()
}
