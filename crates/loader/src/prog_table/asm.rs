//! The eBPF opcodes and registers the two hand-assembled programs of this module use
//! (the iterator in `program`, the BTF id oracle in `oracle`), spelled once.

// Opcodes: class | size | mode, or class | source | operation.
/// `BPF_LDX | BPF_W | BPF_MEM`.
pub(super) const LDX_W: u8 = 0x61;
/// `BPF_LDX | BPF_DW | BPF_MEM`.
pub(super) const LDX_DW: u8 = 0x79;
/// `BPF_ST | BPF_W | BPF_MEM`.
pub(super) const ST_W: u8 = 0x62;
/// `BPF_STX | BPF_W | BPF_MEM`.
pub(super) const STX_W: u8 = 0x63;
/// `BPF_STX | BPF_DW | BPF_MEM`.
pub(super) const STX_DW: u8 = 0x7b;
/// `BPF_ALU64 | BPF_K | BPF_MOV`.
pub(super) const MOV64_IMM: u8 = 0xb7;
/// `BPF_ALU64 | BPF_X | BPF_MOV`.
pub(super) const MOV64_REG: u8 = 0xbf;
/// `BPF_ALU64 | BPF_K | BPF_ADD`.
pub(super) const ADD64_IMM: u8 = 0x07;
/// `BPF_ALU64 | BPF_K | BPF_RSH`.
pub(super) const RSH64_IMM: u8 = 0x77;
/// `BPF_JMP | BPF_K | BPF_JEQ`.
pub(super) const JEQ_IMM: u8 = 0x15;
/// `BPF_JMP | BPF_K | BPF_JLT` (unsigned).
pub(super) const JLT_IMM: u8 = 0xa5;
/// `BPF_JMP | BPF_K | BPF_JGE` (unsigned).
pub(super) const JGE_IMM: u8 = 0x35;
/// `BPF_JMP | BPF_CALL`.
pub(super) const CALL: u8 = 0x85;
/// `BPF_JMP | BPF_EXIT`.
pub(super) const EXIT: u8 = 0x95;

/// Frame pointer register.
pub(super) const R10: u8 = 10;
