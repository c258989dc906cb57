//! Writing a resolved relocation into the instruction, as libbpf's
//! `bpf_core_patch_insn` does:
//!
//! * `rX = imm` / `rX op= imm` (ALU, ALU64 with an immediate operand): the immediate;
//! * loads and stores (LDX, ST, STX): the offset, and the access size when the
//!   field's size differs in the kernel (only for pointers and unsigned integers;
//!   anything else is poisoned, as the value read would be wrong);
//! * `ld_imm64`: the 64-bit immediate across both halves.
//!
//! Before patching, the instruction must hold the value computed from the local BTF
//! (except where that value is ambiguous: bitfields, type ids). A relocation that
//! found nothing in the kernel poisons the instruction instead: it becomes a call to
//! helper 0xbad2310 ("bad relo"), which the verifier rejects only if it is reachable;
//! an `ld_imm64` has both halves poisoned.

use bpf_sys::Insn;

use crate::btf::core::value::Resolution;

/// The helper id a poisoned instruction calls (libbpf's "bad relo" signature).
pub const POISON_HELPER: i32 = 0x0bad_2310;

const BPF_CLASS_MASK: u8 = 0x07;
const BPF_LD: u8 = 0x00;
const BPF_LDX: u8 = 0x01;
const BPF_ST: u8 = 0x02;
const BPF_STX: u8 = 0x03;
const BPF_ALU: u8 = 0x04;
const BPF_JMP: u8 = 0x05;
const BPF_ALU64: u8 = 0x07;
const BPF_SRC_X: u8 = 0x08;
const BPF_CALL: u8 = 0x80;
const BPF_SIZE_MASK: u8 = 0x18;
const BPF_MODE_MASK: u8 = 0xe0;

/// What patching did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patched {
    /// The value was written.
    Value,
    /// The instruction was poisoned (the reason is the caller's to give, or the
    /// string when patching itself decided it).
    Poisoned(Option<&'static str>),
}

/// Turns `insn` into the call to the invalid helper.
pub fn poison(insn: &mut Insn) {
    *insn = Insn::new(BPF_JMP | BPF_CALL, 0, 0, 0, POISON_HELPER);
}

fn size_bytes(code: u8) -> u32 {
    match code & BPF_SIZE_MASK {
        0x18 => 8,
        0x00 => 4,
        0x08 => 2,
        _ => 1,
    }
}

fn size_code(bytes: u32) -> Option<u8> {
    match bytes {
        8 => Some(0x18),
        4 => Some(0x00),
        2 => Some(0x08),
        1 => Some(0x10),
        _ => None,
    }
}

/// Poisons `insns[0]` (and `insns[1]` after an `ld_imm64`).
fn poison_at(insns: &mut [Insn]) {
    if let [first, second, ..] = insns {
        if first.is_ld_imm64() {
            poison(second);
        }
    }
    if let Some(first) = insns.first_mut() {
        poison(first);
    }
}

/// Applies `res` to `insns[0]` (`insns[1]` is the second half of an `ld_imm64`).
/// Errors say why the instruction cannot carry this relocation.
pub fn patch(insns: &mut [Insn], res: &Resolution) -> Result<Patched, String> {
    let Some(&insn) = insns.first() else {
        return Err("no such instruction".to_string());
    };
    if res.poison {
        poison_at(insns);
        return Ok(Patched::Poisoned(None));
    }
    let (orig, new) = (res.local_value, res.target_value);
    match insn.code & BPF_CLASS_MASK {
        BPF_ALU | BPF_ALU64 => {
            if insn.code & BPF_SRC_X != 0 {
                return Err(
                    "an ALU instruction with a register operand has no immediate to patch"
                        .to_string(),
                );
            }
            if res.validate && i64::from(insn.imm) as u64 != orig {
                return Err(format!(
                    "its immediate is {}, expected {orig} (to become {new})",
                    insn.imm
                ));
            }
            if let Some(first) = insns.first_mut() {
                first.imm = new as i32;
            }
        }
        BPF_LDX | BPF_ST | BPF_STX => {
            if res.validate && i64::from(insn.off) as u64 != orig {
                return Err(format!(
                    "its offset is {}, expected {orig} (to become {new})",
                    insn.off
                ));
            }
            if new > i16::MAX as u64 {
                return Err(format!("the new offset {new} does not fit in 16 bits"));
            }
            if res.bad_size_change {
                poison_at(insns);
                return Ok(Patched::Poisoned(Some(
                    "the field's size differs in the kernel and it is neither a pointer nor an unsigned integer, so the load or store cannot be resized",
                )));
            }
            let mut code = insn.code;
            if res.target_size != res.local_size {
                let have = size_bytes(insn.code);
                if have != res.local_size {
                    return Err(format!(
                        "it accesses {have} bytes, expected {}",
                        res.local_size
                    ));
                }
                let Some(size) = size_code(res.target_size) else {
                    return Err(format!(
                        "the kernel's field is {} bytes, not a load or store size",
                        res.target_size
                    ));
                };
                code = (insn.code & BPF_MODE_MASK) | size | (insn.code & BPF_CLASS_MASK);
            }
            if let Some(first) = insns.first_mut() {
                first.off = new as i16;
                first.code = code;
            }
        }
        BPF_LD => {
            let well_formed = match insns {
                [first, second, ..] => {
                    first.is_ld_imm64()
                        && first.src_reg() == 0
                        && first.off == 0
                        && second.code == 0
                        && second.regs == 0
                        && second.off == 0
                }
                _ => false,
            };
            if !well_formed {
                return Err(
                    "not a plain 64-bit immediate load (ld_imm64 with no pseudo source)"
                        .to_string(),
                );
            }
            if let [first, second, ..] = insns {
                let imm = u64::from(first.imm as u32) | (u64::from(second.imm as u32) << 32);
                if res.validate && imm != orig {
                    return Err(format!(
                        "its immediate is {imm}, expected {orig} (to become {new})"
                    ));
                }
                first.imm = new as u32 as i32;
                second.imm = (new >> 32) as u32 as i32;
            }
        }
        _ => {
            return Err(format!(
                "opcode {:#04x} is not an ALU immediate, load, store or ld_imm64",
                insn.code
            ));
        }
    }
    Ok(Patched::Value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(local: u64, target: u64) -> Resolution {
        Resolution {
            local_value: local,
            target_value: target,
            validate: true,
            ..Resolution::default()
        }
    }

    #[test]
    fn patches_each_class() {
        // r1 = 8 (alu64 mov imm)
        let mut alu = [Insn::new(0xb7, 1, 0, 0, 8)];
        patch(&mut alu, &res(8, 24)).unwrap();
        assert_eq!(alu[0].imm, 24);
        // r0 = *(u32 *)(r1 + 76)
        let mut ldx = [Insn::new(0x61, 0, 1, 76, 0)];
        patch(&mut ldx, &res(76, 80)).unwrap();
        assert_eq!((ldx[0].off, ldx[0].code), (80, 0x61));
        // Size change u32 -> u16 (an unsigned integer, so allowed by the caller).
        let mut ldx = [Insn::new(0x61, 0, 1, 76, 0)];
        let mut r = res(76, 80);
        r.local_size = 4;
        r.target_size = 2;
        patch(&mut ldx, &r).unwrap();
        assert_eq!(ldx[0].code, 0x69);
        // ld_imm64 of a 64-bit value.
        let mut ld = [Insn::new(0x18, 1, 0, 0, 5), Insn::default()];
        patch(&mut ld, &res(5, 0x1_0000_0002)).unwrap();
        assert_eq!((ld[0].imm, ld[1].imm), (2, 1));
    }

    #[test]
    fn refusals_and_poison() {
        // Wrong expected value.
        let mut alu = [Insn::new(0xb7, 1, 0, 0, 9)];
        assert!(patch(&mut alu, &res(8, 24)).is_err());
        // Register-source ALU.
        let mut alu = [Insn::new(0xbf, 1, 2, 0, 0)];
        assert!(patch(&mut alu, &res(0, 1)).is_err());
        // Offset too large.
        let mut ldx = [Insn::new(0x61, 0, 1, 0, 0)];
        assert!(patch(&mut ldx, &res(0, 40000)).is_err());
        // A jump cannot carry a relocation.
        let mut jmp = [Insn::new(0x05, 0, 0, 1, 0)];
        assert!(patch(&mut jmp, &res(0, 1)).is_err());
        // ld_imm64 with a pseudo source (a map reference) is refused.
        let mut ld = [Insn::new(0x18, 1, 1, 0, 5), Insn::default()];
        assert!(patch(&mut ld, &res(5, 6)).is_err());
        // Poison: both halves of an ld_imm64.
        let mut ld = [Insn::new(0x18, 1, 0, 0, 5), Insn::default()];
        let mut r = res(5, 0);
        r.poison = true;
        assert_eq!(patch(&mut ld, &r).unwrap(), Patched::Poisoned(None));
        for insn in ld {
            assert_eq!(
                (insn.code, insn.imm, insn.regs, insn.off),
                (0x85, 0xbad2310, 0, 0)
            );
        }
        // A load whose size cannot change is poisoned.
        let mut ldx = [Insn::new(0x61, 0, 1, 4, 0)];
        let mut r = res(4, 8);
        r.bad_size_change = true;
        assert!(matches!(
            patch(&mut ldx, &r).unwrap(),
            Patched::Poisoned(Some(_))
        ));
        assert_eq!(ldx[0].imm, 0xbad2310);
    }
}
