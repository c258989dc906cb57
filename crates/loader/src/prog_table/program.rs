//! The iterator program, assembled here instruction by instruction (no compiler at
//! build time): for each loaded program it copies the fields `filter show` and
//! `prog show` print into one [`RECORD_SIZE`]-byte record on its stack and hands it to
//! `bpf_seq_write`. The offsets come from the running kernel's BTF ([`Layout`]).
//!
//! In C it would read:
//! ```text
//! int it(struct bpf_iter__bpf_prog *ctx) {
//!     struct bpf_prog *p = ctx->prog;
//!     if (!p) return 0;                     // the final call, after the last program
//!     if (p->aux->id < FIRST_ID) return 0;  // older than the caller asks for
//!     struct record r = { p->aux->id, p->jited_len, p->tag, p->aux->name,
//!                         p->aux->load_time, p->aux->user->uid, p->aux->btf->id };
//!     bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
//!     return 0;
//! }
//! ```
//! Loads through kernel pointers are fault-tolerant in tracing programs: a NULL
//! `btf` (a program without BTF) reads as 0, which is what the kernel's own
//! program info says then.

use bpf_sys::Insn;

use super::asm::{
    ADD64_IMM, CALL, EXIT, JEQ_IMM, JLT_IMM, LDX_DW, LDX_W, MOV64_IMM, MOV64_REG, R10, STX_DW,
    STX_W,
};
use super::layout::Layout;

/// Bytes of one record: id (u32), jited_len (u32), tag (8 bytes), name (16 bytes),
/// load_time (u64), uid (u32), btf id (u32); host byte order.
pub(crate) const RECORD_SIZE: usize = 48;
/// Offsets of the fields in a record.
pub(crate) const AT_ID: usize = 0;
pub(crate) const AT_JITED_LEN: usize = 4;
pub(crate) const AT_TAG: usize = 8;
pub(crate) const AT_NAME: usize = 16;
pub(crate) const AT_LOAD_TIME: usize = 32;
pub(crate) const AT_UID: usize = 40;
pub(crate) const AT_BTF_ID: usize = 44;

/// `BPF_FUNC_seq_write`.
const HELPER_SEQ_WRITE: i32 = 127;

/// `dst = *(size *)(src + off)`.
fn load(code: u8, dst: u8, src: u8, off: i16) -> Insn {
    Insn::new(code, dst, src, off, 0)
}

/// `*(size *)(r10 - RECORD_SIZE + at) = src`: a field of the record on the stack.
fn store(code: u8, at: usize, src: u8) -> Insn {
    Insn::new(code, R10, src, at as i16 - RECORD_SIZE as i16, 0)
}

/// The program's instructions for this kernel's layout; programs with an id below
/// `first_id` are passed over (no record).
pub(crate) fn instructions(l: &Layout, first_id: u32) -> Vec<Insn> {
    // The immediate is sign-extended: ids past i32::MAX are not filtered.
    let first_id = i32::try_from(first_id).unwrap_or(0);
    // r6 = prog, r7 = seq, r8 = prog->aux; r1 carries each field.
    let mut insns = vec![
        load(LDX_DW, 6, 1, l.ctx_prog),
        load(LDX_DW, 7, 1, l.ctx_meta),
    ];
    let skip_at = insns.len();
    insns.push(Insn::default()); // if r6 == 0 goto out (filled in below)
    insns.extend([
        load(LDX_DW, 7, 7, l.meta_seq),
        load(LDX_DW, 8, 6, l.prog_aux),
        load(LDX_W, 1, 8, l.aux_id),
    ]);
    let older_at = insns.len();
    insns.push(Insn::default()); // if r1 < first_id goto out (filled in below)
    insns.extend([
        store(STX_W, AT_ID, 1),
        load(LDX_W, 1, 6, l.prog_jited_len),
        store(STX_W, AT_JITED_LEN, 1),
        load(LDX_DW, 1, 6, l.prog_tag),
        store(STX_DW, AT_TAG, 1),
        load(LDX_DW, 1, 8, l.aux_name),
        store(STX_DW, AT_NAME, 1),
        load(LDX_DW, 1, 8, l.aux_name.saturating_add(8)),
        store(STX_DW, AT_NAME + 8, 1),
        load(LDX_DW, 1, 8, l.aux_load_time),
        store(STX_DW, AT_LOAD_TIME, 1),
        load(LDX_DW, 1, 8, l.aux_user),
        load(LDX_W, 1, 1, l.user_uid),
        store(STX_W, AT_UID, 1),
        load(LDX_DW, 1, 8, l.aux_btf),
        load(LDX_W, 1, 1, l.btf_id),
        store(STX_W, AT_BTF_ID, 1),
        // bpf_seq_write(seq, r10 - RECORD_SIZE, RECORD_SIZE)
        Insn::new(MOV64_REG, 1, 7, 0, 0),
        Insn::new(MOV64_REG, 2, R10, 0, 0),
        Insn::new(ADD64_IMM, 2, 0, 0, -(RECORD_SIZE as i32)),
        Insn::new(MOV64_IMM, 3, 0, 0, RECORD_SIZE as i32),
        Insn::new(CALL, 0, 0, 0, HELPER_SEQ_WRITE),
    ]);
    let out = insns.len();
    insns[skip_at] = Insn::new(JEQ_IMM, 6, 0, (out - skip_at - 1) as i16, 0);
    insns[older_at] = Insn::new(JLT_IMM, 1, 0, (out - older_at - 1) as i16, first_id);
    insns.extend([
        Insn::new(MOV64_IMM, 0, 0, 0, 0),
        Insn::new(EXIT, 0, 0, 0, 0),
    ]);
    insns
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout {
            attach_btf_id: 1,
            ctx_meta: 0,
            ctx_prog: 8,
            meta_seq: 0,
            prog_aux: 56,
            prog_tag: 24,
            prog_jited_len: 20,
            aux_id: 28,
            aux_name: 400,
            aux_load_time: 392,
            aux_user: 384,
            aux_btf: 500,
            user_uid: 4,
            btf_id: 72,
        }
    }

    #[test]
    fn null_check_and_id_filter_jump_to_the_exit() {
        let insns = instructions(&layout(), 77);
        let exit = insns.len() - 2;
        assert_eq!(insns[exit], Insn::new(MOV64_IMM, 0, 0, 0, 0));
        assert_eq!(insns.last().map(|i| i.code), Some(EXIT));
        let jumps: Vec<(usize, Insn)> = insns
            .iter()
            .copied()
            .enumerate()
            .filter(|(_, i)| i.code == JEQ_IMM || i.code == JLT_IMM)
            .collect();
        assert_eq!(jumps.len(), 2);
        for (at, jump) in jumps {
            assert_eq!(at + 1 + jump.off as usize, exit);
        }
        assert_eq!(insns[2].imm, 0);
        assert!(
            insns
                .iter()
                .any(|i| i.code == JLT_IMM && i.imm == 77 && i.dst_reg() == 1)
        );
    }

    #[test]
    fn record_fields_are_stored_inside_the_record() {
        let insns = instructions(&layout(), 0);
        let mut written = [0u8; RECORD_SIZE];
        for insn in insns.iter().filter(|i| i.dst_reg() == R10) {
            let width = if insn.code == STX_DW { 8 } else { 4 };
            let at = (insn.off + RECORD_SIZE as i16) as usize;
            for byte in &mut written[at..at + width] {
                *byte += 1;
            }
        }
        // Every byte of the record is written exactly once, so the verifier sees it
        // initialised and no field overwrites another.
        assert!(written.iter().all(|&n| n == 1), "{written:?}");
    }
}
