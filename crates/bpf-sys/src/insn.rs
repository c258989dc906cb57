//! The eBPF instruction, exactly as the kernel's `struct bpf_insn`.

use crate::consts::{BPF_CALL, BPF_DW, BPF_IMM, BPF_JMP, BPF_LD, BPF_PSEUDO_CALL};

/// One 8-byte eBPF instruction: opcode, two 4-bit registers, a 16-bit offset and a
/// 32-bit immediate. A 64-bit immediate load (`ld_imm64`) takes two of them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode: class, size/source and operation bits.
    pub code: u8,
    /// Destination register in the low nibble, source register in the high nibble
    /// (the layout of a little-endian host, which is what the kernel reads).
    pub regs: u8,
    /// Signed offset (jumps, memory accesses).
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// Size of one instruction in bytes.
    pub const SIZE: usize = 8;

    /// Builds an instruction from its fields.
    pub fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Insn {
            code,
            regs: (dst & 0x0f) | (src << 4),
            off,
            imm,
        }
    }

    /// The destination register (0..=10).
    pub fn dst_reg(&self) -> u8 {
        self.regs & 0x0f
    }

    /// The source register, or a pseudo value such as `BPF_PSEUDO_MAP_FD` on `ld_imm64`.
    pub fn src_reg(&self) -> u8 {
        self.regs >> 4
    }

    /// Sets the destination register.
    pub fn set_dst_reg(&mut self, reg: u8) {
        self.regs = (self.regs & 0xf0) | (reg & 0x0f);
    }

    /// Sets the source register (or pseudo value).
    pub fn set_src_reg(&mut self, reg: u8) {
        self.regs = (self.regs & 0x0f) | (reg << 4);
    }

    /// True for the first half of a 64-bit immediate load, the instruction that carries
    /// map references.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == BPF_LD | BPF_IMM | BPF_DW
    }

    /// True for a bpf-to-bpf call (`call pc+N`).
    pub fn is_pseudo_call(&self) -> bool {
        self.code == BPF_JMP | BPF_CALL && self.src_reg() == BPF_PSEUDO_CALL
    }

    /// The 8 bytes the kernel expects for this instruction on this (little-endian) host.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[0] = self.code;
        out[1] = self.regs;
        out[2..4].copy_from_slice(&self.off.to_le_bytes());
        out[4..8].copy_from_slice(&self.imm.to_le_bytes());
        out
    }

    /// Decodes an instruction stored little-endian (the layout clang emits for `bpfel`).
    pub fn from_le_bytes(b: [u8; 8]) -> Self {
        Insn {
            code: b[0],
            regs: b[1],
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Decodes an instruction stored big-endian (`bpfeb`): the register nibbles are
    /// swapped and the offset and immediate are big-endian.
    pub fn from_be_bytes(b: [u8; 8]) -> Self {
        Insn {
            code: b[0],
            regs: b[1].rotate_left(4),
            off: i16::from_be_bytes([b[2], b[3]]),
            imm: i32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_pack_into_nibbles() {
        let mut insn = Insn::new(0x18, 1, 0, 0, 7);
        assert!(insn.is_ld_imm64());
        insn.set_src_reg(1);
        assert_eq!((insn.dst_reg(), insn.src_reg()), (1, 1));
        assert_eq!(insn.to_bytes(), [0x18, 0x11, 0, 0, 7, 0, 0, 0]);
    }

    #[test]
    fn big_endian_swaps_register_nibbles() {
        let le = Insn::from_le_bytes([0xbf, 0x21, 0x01, 0x00, 0x02, 0, 0, 0]);
        let be = Insn::from_be_bytes([0xbf, 0x12, 0x00, 0x01, 0, 0, 0, 0x02]);
        assert_eq!(le, be);
        assert_eq!((le.dst_reg(), le.src_reg(), le.off, le.imm), (1, 2, 1, 2));
    }
}
