//! The function and line records that go to `BPF_PROG_LOAD` with a combined program,
//! built from `.BTF.ext`. With them the kernel knows each subprogram's BTF type and
//! prints the source line above the instructions of a verifier log.
//!
//! The kernel is strict: one func_info per function, in instruction order, the first
//! at instruction 0; line_info in strictly increasing instruction order, one at the
//! start of every function. When the object's records cannot satisfy that (a function
//! without a record, as in hand-written code), the program is loaded without them
//! rather than refused.

use bpf_sys::Insn;

use crate::btf::ext::{FUNC_INFO_SIZE, LINE_INFO_SIZE};
use crate::bytes::push_host_u32;
use crate::object::Object;
use crate::subprog::Combined;

/// func_info and line_info records for one combined program, in the host's byte order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgramBtfInfo {
    /// `struct bpf_func_info` records.
    pub func_info: Vec<u8>,
    /// Their number.
    pub func_info_cnt: u32,
    /// `struct bpf_line_info` records (empty when the lines were incomplete).
    pub line_info: Vec<u8>,
    /// Their number.
    pub line_info_cnt: u32,
}

impl ProgramBtfInfo {
    /// Size of one func_info record as sent.
    pub const FUNC_REC_SIZE: u32 = FUNC_INFO_SIZE;
    /// Size of one line_info record as sent.
    pub const LINE_REC_SIZE: u32 = LINE_INFO_SIZE;
}

/// The records for `combined`, or `None` when the object has none or they do not cover
/// every function.
pub fn for_combined(object: &Object, combined: &Combined<'_>) -> Option<ProgramBtfInfo> {
    let ext = object.btf_ext()?;
    object.btf()?;
    let mut info = ProgramBtfInfo::default();
    let mut lines: Vec<(usize, [u32; 3])> = Vec::new();
    let mut starts = Vec::with_capacity(combined.placed.len());
    let mut placed = combined.placed.clone();
    placed.sort_by_key(|p| p.start);
    for piece in &placed {
        let function = piece.function;
        let func = ext
            .func_info_of(&function.section)
            .iter()
            .find(|f| u64::from(f.insn_off) == function.offset)?;
        push_host_u32(&mut info.func_info, u32::try_from(piece.start).ok()?);
        push_host_u32(&mut info.func_info, func.type_id);
        info.func_info_cnt += 1;
        starts.push(piece.start);

        let begin = function.offset;
        let end = begin + (function.insns.len() * Insn::SIZE) as u64;
        for line in ext.line_info_of(&function.section) {
            let off = u64::from(line.insn_off);
            if (begin..end).contains(&off) && off % Insn::SIZE as u64 == 0 {
                let index = piece.start + ((off - begin) / Insn::SIZE as u64) as usize;
                lines.push((index, [line.file_name_off, line.line_off, line.line_col]));
            }
        }
    }
    lines.sort_by_key(|(index, _)| *index);
    lines.dedup_by_key(|(index, _)| *index);
    let covers_every_function = starts
        .iter()
        .all(|s| lines.binary_search_by_key(s, |(i, _)| *i).is_ok());
    if covers_every_function {
        for (index, [file, line, col]) in lines {
            push_host_u32(&mut info.line_info, u32::try_from(index).ok()?);
            push_host_u32(&mut info.line_info, file);
            push_host_u32(&mut info.line_info, line);
            push_host_u32(&mut info.line_info, col);
            info.line_info_cnt += 1;
        }
    }
    Some(info)
}
