//! One instruction as text, in the notation of the kernel verifier's log and of
//! `bpftool prog dump xlated` (`kernel/bpf/disasm.c` is the reference for the
//! notation): `r1 = *(u32 *)(r1 +76)`, `if w1 > 0x3 goto pc+2`,
//! `call bpf_map_lookup_elem#1`, `lock *(u64 *)(r0 +0) += r1`.
//!
//! Two departures, both marked so they cannot be mistaken: a plain 64-bit immediate
//! load ends in ` ll` (as in LLVM's notation) to show it takes two instruction slots,
//! and an invalid instruction reads `unknown opcode` instead of the kernel's `BUG_..`.

use std::fmt::Write;

use bpf_sys::Insn;

use super::Origin;
use super::helpers::helper_name;
use super::opcode::{self, Atomic, Endian, Op};

/// The text of `insn` (without the `(code)` prefix). `next` is the following
/// instruction, which holds the upper half of an `ld_imm64`.
pub(crate) fn insn_text(insn: &Insn, op: Op, next: Option<&Insn>, origin: Origin) -> String {
    let dst = insn.dst_reg();
    let src = insn.src_reg();
    let off = insn.off;
    let imm = insn.imm;
    match op {
        Op::Alu {
            wide,
            op,
            reg,
            signed,
        } => {
            let p = reg_prefix(wide);
            let operator = alu_operator(op, signed);
            if reg {
                format!("{p}{dst} {operator} {p}{src}")
            } else {
                format!("{p}{dst} {operator} {imm}")
            }
        }
        Op::MovSx { wide, bits } => {
            let p = reg_prefix(wide);
            format!("{p}{dst} = (s{bits}){p}{src}")
        }
        Op::Neg { wide } => {
            let p = reg_prefix(wide);
            format!("{p}{dst} = -{p}{dst}")
        }
        Op::Endian { kind } => {
            let name = match kind {
                Endian::Le => "le",
                Endian::Be => "be",
                Endian::Swap => "bswap",
            };
            format!("r{dst} = {name}{imm} r{dst}")
        }
        Op::AddrSpaceCast => format!(
            "r{dst} = addr_space_cast(r{src}, {}, {})",
            (imm as u32) >> 16,
            imm as u16
        ),
        Op::PercpuAddr => format!("r{dst} = &(void __percpu *)(r{src})"),
        Op::Load { size, signed } => {
            format!("r{dst} = *({} *)(r{src} {off:+})", type_name(size, signed))
        }
        Op::StoreReg { size } => {
            format!("*({} *)(r{dst} {off:+}) = r{src}", type_name(size, false))
        }
        Op::StoreImm { size } => {
            format!("*({} *)(r{dst} {off:+}) = {imm}", type_name(size, false))
        }
        Op::Atomic { size, op } => atomic_text(insn, size, op),
        Op::Nospec => "nospec".to_string(),
        Op::LoadImm64 { pseudo } => ld_imm64_text(insn, pseudo, next, origin),
        Op::LoadAbs { size } => format!("r0 = *({} *)skb[{imm}]", type_name(size, false)),
        Op::LoadInd { size } => {
            format!("r0 = *({} *)skb[r{src} + {imm}]", type_name(size, false))
        }
        Op::Goto => format!("goto pc{off:+}"),
        Op::GotoLong => format!("gotol pc{imm:+}"),
        Op::GotoReg => format!("gotox r{dst}"),
        Op::MayGoto => format!("may_goto pc{off:+}"),
        Op::Branch { wide, op, reg } => {
            let p = if wide { 'r' } else { 'w' };
            let operator = jump_operator(op);
            if reg {
                format!("if {p}{dst} {operator} {p}{src} goto pc{off:+}")
            } else {
                format!("if {p}{dst} {operator} {:#x} goto pc{off:+}", imm as u32)
            }
        }
        Op::Call { kind } => match kind {
            opcode::CALL_HELPER => {
                format!("call {}#{imm}", helper_name(imm).unwrap_or("unknown"))
            }
            opcode::CALL_PSEUDO => format!("call pc{:+}", call_offset(insn, origin)),
            opcode::CALL_KFUNC => format!("call kernel-function#{imm}"),
            _ => format!("call unknown#{imm}"),
        },
        Op::Exit => "exit".to_string(),
        Op::Unknown => {
            if opcode::class(insn.code) == opcode::CLASS_STX
                && opcode::mode(insn.code) == opcode::MODE_ATOMIC
            {
                format!("unknown atomic operation {:#x}", imm as u32)
            } else {
                format!("unknown opcode ({} class)", opcode::class_name(insn.code))
            }
        }
    }
}

/// The relative target of a bpf-to-bpf call: `imm`, except in a JIT-compiled
/// program read back from the kernel, which keeps it in `off`.
pub(crate) fn call_offset(insn: &Insn, origin: Origin) -> i32 {
    match origin {
        Origin::Loader => insn.imm,
        Origin::Kernel => i32::from(insn.off),
    }
}

/// `w` for 32-bit operations, `r` for 64-bit ones.
fn reg_prefix(wide: bool) -> char {
    if wide { 'r' } else { 'w' }
}

/// `u32`, `s16`, ... for an access of `size`.
fn type_name(size: u8, signed: bool) -> &'static str {
    match (size, signed) {
        (opcode::SIZE_W, false) => "u32",
        (opcode::SIZE_H, false) => "u16",
        (opcode::SIZE_B, false) => "u8",
        (_, false) => "u64",
        (opcode::SIZE_W, true) => "s32",
        (opcode::SIZE_H, true) => "s16",
        (opcode::SIZE_B, true) => "s8",
        (_, true) => "s64",
    }
}

/// The assignment operator of an ALU operation (`bpf_alu_string`).
fn alu_operator(op: u8, signed: bool) -> &'static str {
    match (op, signed) {
        (opcode::OP_DIV, true) => "s/=",
        (opcode::OP_MOD, true) => "s%=",
        (opcode::OP_ADD, _) => "+=",
        (opcode::OP_SUB, _) => "-=",
        (opcode::OP_MUL, _) => "*=",
        (opcode::OP_DIV, _) => "/=",
        (opcode::OP_OR, _) => "|=",
        (opcode::OP_AND, _) => "&=",
        (opcode::OP_LSH, _) => "<<=",
        (opcode::OP_RSH, _) => ">>=",
        (opcode::OP_MOD, _) => "%=",
        (opcode::OP_XOR, _) => "^=",
        (opcode::OP_MOV, _) => "=",
        (opcode::OP_ARSH, _) => "s>>=",
        // NEG and END have their own forms; decode() never passes anything else.
        _ => "?=",
    }
}

/// The comparison of a conditional jump (`bpf_jmp_string`).
fn jump_operator(op: u8) -> &'static str {
    match op {
        opcode::OP_JEQ => "==",
        opcode::OP_JGT => ">",
        opcode::OP_JGE => ">=",
        opcode::OP_JSET => "&",
        opcode::OP_JNE => "!=",
        opcode::OP_JSGT => "s>",
        opcode::OP_JSGE => "s>=",
        opcode::OP_JLT => "<",
        opcode::OP_JLE => "<=",
        opcode::OP_JSLT => "s<",
        opcode::OP_JSLE => "s<=",
        _ => "?",
    }
}

fn atomic_text(insn: &Insn, size: u8, op: Atomic) -> String {
    let dst = insn.dst_reg();
    let src = insn.src_reg();
    let off = insn.off;
    let ty = type_name(size, false);
    let width = if size == opcode::SIZE_DW { "64" } else { "" };
    match op {
        Atomic::Rmw { op, fetch: false } => {
            format!(
                "lock *({ty} *)(r{dst} {off:+}) {} r{src}",
                alu_operator(op, false)
            )
        }
        Atomic::Rmw { op, fetch: true } => {
            let name = match op {
                opcode::OP_ADD => "add",
                opcode::OP_AND => "and",
                opcode::OP_OR => "or",
                _ => "xor",
            };
            format!("r{src} = atomic{width}_fetch_{name}(({ty} *)(r{dst} {off:+}), r{src})")
        }
        Atomic::Xchg => format!("r{src} = atomic{width}_xchg(({ty} *)(r{dst} {off:+}), r{src})"),
        Atomic::Cmpxchg => {
            format!("r0 = atomic{width}_cmpxchg(({ty} *)(r{dst} {off:+}), r0, r{src})")
        }
        Atomic::LoadAcquire => format!("r{dst} = load_acquire(({ty} *)(r{src} {off:+}))"),
        Atomic::StoreRelease => format!("store_release(({ty} *)(r{dst} {off:+}), r{src})"),
    }
}

fn ld_imm64_text(insn: &Insn, pseudo: u8, next: Option<&Insn>, origin: Origin) -> String {
    let dst = insn.dst_reg();
    let Some(next) = next else {
        return format!("r{dst} = <ld_imm64 cut short: no second instruction>");
    };
    let low = insn.imm as u32;
    let high = next.imm as u32;
    let full = (u64::from(high) << 32) | u64::from(low);
    let mut text = format!("r{dst} = ");
    let map = |text: &mut String| match origin {
        Origin::Loader => write!(text, "map[fd:{}]", insn.imm),
        Origin::Kernel => write!(text, "map[id:{low}]"),
    };
    // Writing to a String cannot fail.
    let _ = match pseudo {
        opcode::PSEUDO_NONE => write!(text, "{full:#x} ll"),
        opcode::PSEUDO_MAP_FD => map(&mut text),
        opcode::PSEUDO_MAP_VALUE => map(&mut text).and_then(|()| write!(text, "[0]+{high}")),
        opcode::PSEUDO_MAP_IDX => write!(text, "map[idx:{low}]"),
        opcode::PSEUDO_MAP_IDX_VALUE => write!(text, "map[idx:{low}][0]+{high}"),
        opcode::PSEUDO_FUNC => write!(text, "subprog[{:+}]", insn.imm),
        _ => write!(text, "{full:#x}"),
    };
    text
}
