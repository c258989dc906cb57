//! The fields of an eBPF opcode byte and the values they take, after
//! `include/uapi/linux/bpf_common.h` and `bpf.h`, plus [`decode`]: which instruction
//! an opcode byte (with the fields that refine it) stands for.
//!
//! An opcode is `class` (low 3 bits) plus, for loads and stores, `size` (bits 3-4)
//! and `mode` (bits 5-7); for arithmetic and jumps, `source` (bit 3: immediate or
//! register) and `operation` (bits 4-7).

use bpf_sys::Insn;

/// `BPF_LD`: 64-bit immediate loads and the legacy packet loads.
pub const CLASS_LD: u8 = 0x00;
/// `BPF_LDX`: loads from memory into a register.
pub const CLASS_LDX: u8 = 0x01;
/// `BPF_ST`: stores of an immediate.
pub const CLASS_ST: u8 = 0x02;
/// `BPF_STX`: stores of a register, and atomic operations.
pub const CLASS_STX: u8 = 0x03;
/// `BPF_ALU`: 32-bit arithmetic.
pub const CLASS_ALU: u8 = 0x04;
/// `BPF_JMP`: 64-bit comparisons, calls, exit.
pub const CLASS_JMP: u8 = 0x05;
/// `BPF_JMP32`: 32-bit comparisons.
pub const CLASS_JMP32: u8 = 0x06;
/// `BPF_ALU64`: 64-bit arithmetic.
pub const CLASS_ALU64: u8 = 0x07;

/// `BPF_W`: 4 bytes.
pub const SIZE_W: u8 = 0x00;
/// `BPF_H`: 2 bytes.
pub const SIZE_H: u8 = 0x08;
/// `BPF_B`: 1 byte.
pub const SIZE_B: u8 = 0x10;
/// `BPF_DW`: 8 bytes.
pub const SIZE_DW: u8 = 0x18;

/// `BPF_IMM`: immediate (with `BPF_DW`: the 16-byte `ld_imm64`).
pub const MODE_IMM: u8 = 0x00;
/// `BPF_ABS`: legacy packet load at a constant offset.
pub const MODE_ABS: u8 = 0x20;
/// `BPF_IND`: legacy packet load at a register plus a constant.
pub const MODE_IND: u8 = 0x40;
/// `BPF_MEM`: plain memory access.
pub const MODE_MEM: u8 = 0x60;
/// `BPF_MEMSX`: load with sign extension.
pub const MODE_MEMSX: u8 = 0x80;
/// `BPF_ATOMIC`: atomic operation (which one is in `imm`).
pub const MODE_ATOMIC: u8 = 0xc0;
/// `BPF_NOSPEC` (kernel-internal, no uapi name): a speculation barrier the verifier
/// inserts; seen only in translated programs.
pub const MODE_NOSPEC: u8 = 0xc0;

/// `BPF_K`: the operand is `imm`.
pub const SRC_K: u8 = 0x00;
/// `BPF_X`: the operand is `src_reg`.
pub const SRC_X: u8 = 0x08;

/// `BPF_ADD`.
pub const OP_ADD: u8 = 0x00;
/// `BPF_SUB`.
pub const OP_SUB: u8 = 0x10;
/// `BPF_MUL`.
pub const OP_MUL: u8 = 0x20;
/// `BPF_DIV` (`off` = 1: signed division).
pub const OP_DIV: u8 = 0x30;
/// `BPF_OR`.
pub const OP_OR: u8 = 0x40;
/// `BPF_AND`.
pub const OP_AND: u8 = 0x50;
/// `BPF_LSH`.
pub const OP_LSH: u8 = 0x60;
/// `BPF_RSH`.
pub const OP_RSH: u8 = 0x70;
/// `BPF_NEG`.
pub const OP_NEG: u8 = 0x80;
/// `BPF_MOD` (`off` = 1: signed modulo).
pub const OP_MOD: u8 = 0x90;
/// `BPF_XOR`.
pub const OP_XOR: u8 = 0xa0;
/// `BPF_MOV` (`off` = 8/16/32: move with sign extension).
pub const OP_MOV: u8 = 0xb0;
/// `BPF_ARSH`.
pub const OP_ARSH: u8 = 0xc0;
/// `BPF_END`: byte swap (`BPF_TO_LE`/`BPF_TO_BE` in the source bit).
pub const OP_END: u8 = 0xd0;

/// `BPF_JA`: unconditional jump.
pub const OP_JA: u8 = 0x00;
/// `BPF_JEQ`.
pub const OP_JEQ: u8 = 0x10;
/// `BPF_JGT`.
pub const OP_JGT: u8 = 0x20;
/// `BPF_JGE`.
pub const OP_JGE: u8 = 0x30;
/// `BPF_JSET`.
pub const OP_JSET: u8 = 0x40;
/// `BPF_JNE`.
pub const OP_JNE: u8 = 0x50;
/// `BPF_JSGT`.
pub const OP_JSGT: u8 = 0x60;
/// `BPF_JSGE`.
pub const OP_JSGE: u8 = 0x70;
/// `BPF_CALL`.
pub const OP_CALL: u8 = 0x80;
/// `BPF_EXIT`.
pub const OP_EXIT: u8 = 0x90;
/// `BPF_JLT`.
pub const OP_JLT: u8 = 0xa0;
/// `BPF_JLE`.
pub const OP_JLE: u8 = 0xb0;
/// `BPF_JSLT`.
pub const OP_JSLT: u8 = 0xc0;
/// `BPF_JSLE`.
pub const OP_JSLE: u8 = 0xd0;
/// `BPF_JCOND`: conditional pseudo jumps (`may_goto`).
pub const OP_JCOND: u8 = 0xe0;

/// `BPF_FETCH`: the atomic operation returns the old value in `src_reg`.
pub const ATOMIC_FETCH: i32 = 0x01;
/// `BPF_XCHG`.
pub const ATOMIC_XCHG: i32 = 0xe0 | ATOMIC_FETCH;
/// `BPF_CMPXCHG`.
pub const ATOMIC_CMPXCHG: i32 = 0xf0 | ATOMIC_FETCH;
/// `BPF_LOAD_ACQ`: load-acquire.
pub const ATOMIC_LOAD_ACQ: i32 = 0x100;
/// `BPF_STORE_REL`: store-release.
pub const ATOMIC_STORE_REL: i32 = 0x110;

/// `BPF_MAY_GOTO`: the `src_reg` of a `BPF_JCOND` jump.
pub const MAY_GOTO: u8 = 0;
/// `BPF_ADDR_SPACE_CAST`: the `off` of an `ALU64 MOV X` that casts an arena pointer.
pub const ADDR_SPACE_CAST: i16 = 1;
/// The `off` of an `ALU64 MOV X` that the verifier inserts to resolve a per-CPU
/// address (kernel-internal).
pub const ADDR_PERCPU: i16 = -1;

/// `ld_imm64` pseudo source: plain 64-bit immediate.
pub const PSEUDO_NONE: u8 = 0;
/// `BPF_PSEUDO_MAP_FD`: `imm` is a map fd (or, in a dump from the kernel, a map id).
pub const PSEUDO_MAP_FD: u8 = 1;
/// `BPF_PSEUDO_MAP_VALUE`: a map fd plus an offset into its value.
pub const PSEUDO_MAP_VALUE: u8 = 2;
/// `BPF_PSEUDO_BTF_ID`: a kernel variable by BTF id.
pub const PSEUDO_BTF_ID: u8 = 3;
/// `BPF_PSEUDO_FUNC`: the address of a BPF function (a callback).
pub const PSEUDO_FUNC: u8 = 4;
/// `BPF_PSEUDO_MAP_IDX`: an index into the `fd_array` given at load.
pub const PSEUDO_MAP_IDX: u8 = 5;
/// `BPF_PSEUDO_MAP_IDX_VALUE`: an `fd_array` index plus a value offset.
pub const PSEUDO_MAP_IDX_VALUE: u8 = 6;

/// `call` source: helper by id.
pub const CALL_HELPER: u8 = 0;
/// `BPF_PSEUDO_CALL`: bpf-to-bpf call, `imm` is relative.
pub const CALL_PSEUDO: u8 = 1;
/// `BPF_PSEUDO_KFUNC_CALL`: kernel function by BTF id.
pub const CALL_KFUNC: u8 = 2;

/// The class of an opcode.
pub fn class(code: u8) -> u8 {
    code & 0x07
}

/// The access size of a load or store opcode.
pub fn size(code: u8) -> u8 {
    code & 0x18
}

/// The mode of a load or store opcode.
pub fn mode(code: u8) -> u8 {
    code & 0xe0
}

/// The operation of an arithmetic or jump opcode.
pub fn op(code: u8) -> u8 {
    code & 0xf0
}

/// The source bit of an arithmetic or jump opcode.
pub fn source(code: u8) -> u8 {
    code & 0x08
}

/// Bytes moved by an access of this size.
pub fn size_bytes(size: u8) -> u8 {
    match size {
        SIZE_W => 4,
        SIZE_H => 2,
        SIZE_B => 1,
        _ => 8,
    }
}

/// The class as the kernel names it (`bpf_class_string`).
pub fn class_name(class: u8) -> &'static str {
    match class & 0x07 {
        CLASS_LD => "ld",
        CLASS_LDX => "ldx",
        CLASS_ST => "st",
        CLASS_STX => "stx",
        CLASS_ALU => "alu",
        CLASS_JMP => "jmp",
        CLASS_JMP32 => "jmp32",
        _ => "alu64",
    }
}

/// What an instruction is, decided from its opcode and the fields that refine it
/// (`off` for signed division and sign-extending moves, `imm` for atomics, `src_reg`
/// for calls and `ld_imm64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `dst op= src|imm` (32-bit when `wide` is false).
    Alu {
        /// ALU64 (true) or ALU (false).
        wide: bool,
        /// `BPF_ADD` .. `BPF_ARSH`.
        op: u8,
        /// Operand from `src_reg` (true) or `imm` (false).
        reg: bool,
        /// Signed division/modulo (`off` = 1).
        signed: bool,
    },
    /// `dst = (sN)src`: move with sign extension from `bits`.
    MovSx {
        /// ALU64 (true) or ALU (false).
        wide: bool,
        /// 8, 16 or 32.
        bits: u8,
    },
    /// `dst = -dst`.
    Neg {
        /// ALU64 (true) or ALU (false).
        wide: bool,
    },
    /// `dst = be16 dst` / `le32` / `bswap64`.
    Endian {
        /// `be`, `le` or `bswap`.
        kind: Endian,
    },
    /// `dst = addr_space_cast(src, from, to)` (arena pointers).
    AddrSpaceCast,
    /// `dst = &(void __percpu *)(src)` (kernel-internal).
    PercpuAddr,
    /// `dst = *(size *)(src + off)`; `signed` for `BPF_MEMSX`.
    Load {
        /// Access size.
        size: u8,
        /// Sign-extending load.
        signed: bool,
    },
    /// `*(size *)(dst + off) = src`.
    StoreReg {
        /// Access size.
        size: u8,
    },
    /// `*(size *)(dst + off) = imm`.
    StoreImm {
        /// Access size.
        size: u8,
    },
    /// An atomic read-modify-write, exchange, load-acquire or store-release.
    Atomic {
        /// Access size.
        size: u8,
        /// The operation (`imm`).
        op: Atomic,
    },
    /// A speculation barrier (kernel-internal).
    Nospec,
    /// `dst = imm64`: the 16-byte load, with its pseudo source.
    LoadImm64 {
        /// `src_reg`: [`PSEUDO_NONE`], [`PSEUDO_MAP_FD`], ...
        pseudo: u8,
    },
    /// `r0 = *(size *)skb[imm]` (legacy).
    LoadAbs {
        /// Access size.
        size: u8,
    },
    /// `r0 = *(size *)skb[src + imm]` (legacy).
    LoadInd {
        /// Access size.
        size: u8,
    },
    /// `goto pc+off`.
    Goto,
    /// `gotol pc+imm` (JMP32 JA: 32-bit offset in `imm`).
    GotoLong,
    /// `gotox dst`: indirect jump.
    GotoReg,
    /// `may_goto pc+off`.
    MayGoto,
    /// `if dst op src|imm goto pc+off`.
    Branch {
        /// JMP (true) or JMP32 (false).
        wide: bool,
        /// `BPF_JEQ` ..
        op: u8,
        /// Operand from `src_reg`.
        reg: bool,
    },
    /// `call`, by kind (`src_reg`).
    Call {
        /// [`CALL_HELPER`], [`CALL_PSEUDO`], [`CALL_KFUNC`] or something else.
        kind: u8,
    },
    /// `exit`.
    Exit,
    /// An opcode (or an atomic operation) that no kernel accepts.
    Unknown,
}

/// The three byte-swap forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    /// `BPF_ALU | BPF_END | BPF_TO_LE`.
    Le,
    /// `BPF_ALU | BPF_END | BPF_TO_BE`.
    Be,
    /// `BPF_ALU64 | BPF_END`: unconditional swap.
    Swap,
}

/// Atomic operations (the `imm` of a `BPF_STX | BPF_ATOMIC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Atomic {
    /// `lock *(size *)(dst + off) op= src`; `fetch` returns the old value.
    Rmw {
        /// `BPF_ADD`, `BPF_AND`, `BPF_OR` or `BPF_XOR`.
        op: u8,
        /// `BPF_FETCH` set.
        fetch: bool,
    },
    /// `src = xchg(dst + off, src)`.
    Xchg,
    /// `r0 = cmpxchg(dst + off, r0, src)`.
    Cmpxchg,
    /// `dst = load_acquire(src + off)`.
    LoadAcquire,
    /// `store_release(dst + off, src)`.
    StoreRelease,
}

/// Decodes what `insn` is. Never fails: opcodes no kernel accepts are
/// [`Op::Unknown`].
pub fn decode(insn: &Insn) -> Op {
    let code = insn.code;
    match class(code) {
        CLASS_ALU | CLASS_ALU64 => decode_alu(insn),
        CLASS_JMP | CLASS_JMP32 => decode_jump(insn),
        CLASS_LD => decode_ld(insn),
        CLASS_LDX => match (mode(code), size(code)) {
            (MODE_MEM, size) => Op::Load {
                size,
                signed: false,
            },
            (MODE_MEMSX, size) if size != SIZE_DW => Op::Load { size, signed: true },
            _ => Op::Unknown,
        },
        CLASS_ST => match mode(code) {
            MODE_MEM => Op::StoreImm { size: size(code) },
            MODE_NOSPEC if size(code) == SIZE_W => Op::Nospec,
            _ => Op::Unknown,
        },
        _ => match mode(code) {
            MODE_MEM => Op::StoreReg { size: size(code) },
            MODE_ATOMIC => decode_atomic(size(code), insn.imm),
            _ => Op::Unknown,
        },
    }
}

fn decode_alu(insn: &Insn) -> Op {
    let code = insn.code;
    let wide = class(code) == CLASS_ALU64;
    let reg = source(code) == SRC_X;
    match op(code) {
        OP_END => match (wide, reg) {
            (false, false) => Op::Endian { kind: Endian::Le },
            (false, true) => Op::Endian { kind: Endian::Be },
            (true, false) => Op::Endian { kind: Endian::Swap },
            (true, true) => Op::Unknown,
        },
        OP_NEG if !reg => Op::Neg { wide },
        OP_NEG => Op::Unknown,
        OP_MOV if reg && wide && insn.off == ADDR_SPACE_CAST => Op::AddrSpaceCast,
        OP_MOV if reg && wide && insn.off == ADDR_PERCPU => Op::PercpuAddr,
        OP_MOV if reg && matches!(insn.off, 8 | 16 | 32) => Op::MovSx {
            wide,
            bits: insn.off as u8,
        },
        0xe0 | 0xf0 => Op::Unknown,
        operation => Op::Alu {
            wide,
            op: operation,
            reg,
            signed: matches!(operation, OP_DIV | OP_MOD) && insn.off == 1,
        },
    }
}

fn decode_jump(insn: &Insn) -> Op {
    let code = insn.code;
    let wide = class(code) == CLASS_JMP;
    let reg = source(code) == SRC_X;
    match (op(code), wide, reg) {
        (OP_JA, true, false) => Op::Goto,
        (OP_JA, true, true) => Op::GotoReg,
        (OP_JA, false, false) => Op::GotoLong,
        (OP_CALL, true, false) => Op::Call {
            kind: insn.src_reg(),
        },
        (OP_EXIT, true, false) => Op::Exit,
        (OP_JCOND, true, false) if insn.src_reg() == MAY_GOTO => Op::MayGoto,
        (OP_JA | OP_CALL | OP_EXIT | OP_JCOND | 0xf0, _, _) => Op::Unknown,
        (operation, wide, reg) => Op::Branch {
            wide,
            op: operation,
            reg,
        },
    }
}

fn decode_ld(insn: &Insn) -> Op {
    let code = insn.code;
    match (mode(code), size(code)) {
        (MODE_IMM, SIZE_DW) => Op::LoadImm64 {
            pseudo: insn.src_reg(),
        },
        (MODE_ABS, size) if size != SIZE_DW => Op::LoadAbs { size },
        (MODE_IND, size) if size != SIZE_DW => Op::LoadInd { size },
        _ => Op::Unknown,
    }
}

fn decode_atomic(size: u8, imm: i32) -> Op {
    let op = match imm {
        ATOMIC_LOAD_ACQ => Atomic::LoadAcquire,
        ATOMIC_STORE_REL => Atomic::StoreRelease,
        // Read-modify-write operations exist only for 32 and 64 bits.
        _ if size != SIZE_W && size != SIZE_DW => return Op::Unknown,
        ATOMIC_XCHG => Atomic::Xchg,
        ATOMIC_CMPXCHG => Atomic::Cmpxchg,
        _ => {
            let fetch = imm & ATOMIC_FETCH != 0;
            let operation = imm & !ATOMIC_FETCH;
            match u8::try_from(operation) {
                Ok(op @ (OP_ADD | OP_AND | OP_OR | OP_XOR)) => Atomic::Rmw { op, fetch },
                _ => return Op::Unknown,
            }
        }
    };
    Op::Atomic { size, op }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op_of(code: u8, src: u8, off: i16, imm: i32) -> Op {
        decode(&Insn::new(code, 1, src, off, imm))
    }

    #[test]
    fn fields_split_like_the_uapi_macros() {
        // BPF_LDX | BPF_MEM | BPF_W
        assert_eq!((class(0x61), mode(0x61), size(0x61)), (1, 0x60, 0));
        // BPF_JMP | BPF_JGT | BPF_X
        assert_eq!((class(0x2d), op(0x2d), source(0x2d)), (5, 0x20, 0x08));
    }

    #[test]
    fn refining_fields_change_the_meaning() {
        assert_eq!(
            op_of(0x3f, 0, 1, 0),
            Op::Alu {
                wide: true,
                op: OP_DIV,
                reg: true,
                signed: true
            }
        );
        assert_eq!(
            op_of(0xbf, 2, 16, 0),
            Op::MovSx {
                wide: true,
                bits: 16
            }
        );
        assert_eq!(op_of(0xbf, 2, 1, 0), Op::AddrSpaceCast);
        assert_eq!(op_of(0xe5, 0, 3, 0), Op::MayGoto);
        assert_eq!(op_of(0xe5, 1, 3, 0), Op::Unknown);
        assert_eq!(op_of(0xdb, 2, 0, 0x1234), Op::Unknown);
        assert_eq!(
            op_of(0xdb, 2, 0, ATOMIC_CMPXCHG),
            Op::Atomic {
                size: SIZE_DW,
                op: Atomic::Cmpxchg
            }
        );
        // Byte-sized read-modify-write does not exist; byte load-acquire does.
        assert_eq!(op_of(0xd3, 2, 0, OP_ADD as i32), Op::Unknown);
        assert_eq!(
            op_of(0xd3, 2, 0, ATOMIC_LOAD_ACQ),
            Op::Atomic {
                size: SIZE_B,
                op: Atomic::LoadAcquire
            }
        );
    }
}
