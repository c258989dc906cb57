//! The running kernel's BTF type ids of a few (kind, name) pairs, asked of the kernel
//! itself instead of found by reading its BTF.
//!
//! A `BPF_PROG_TYPE_SYSCALL` program, assembled here, calls the helper
//! `bpf_btf_find_by_name_kind` once per name and stores each answer in its context,
//! which `BPF_PROG_TEST_RUN` copies back. One load and one run replace a walk over
//! vmlinux BTF up to the last type wanted (the iterator's function is about halfway
//! through some 125,000 types) and a scan of its 2 MB string table.
//!
//! In C it would read, per wanted type `i`:
//! ```text
//! char name[] = "bpf_prog";                 // immediate stores onto the stack
//! long r = bpf_btf_find_by_name_kind(name, sizeof(name), BTF_KIND_STRUCT, 0);
//! ctx[i] = r;
//! if (((u64)r >> 32) - 1 < 0x7fffffff)      // found in a module's BTF: the kernel
//!     bpf_sys_close((u64)r >> 32);          // opened an fd for it; not wanted here
//! ```
//! The helper answers the type id for vmlinux, `id | btf_fd << 32` for a module's
//! BTF, or a negative errno. Only vmlinux answers are kept.
//!
//! Kernel facts (5.14 on; read in the kernel source): the verifier refuses a
//! syscall program not loaded sleepable (`BPF_F_SLEEPABLE`), and loading one needs
//! CAP_BPF. The helper (kernel/bpf/btf.c) takes the name as read-only memory with a
//! constant size, refuses flags other than 0 and a size of 1 or less or whose last
//! byte is not NUL, looks in vmlinux first and then in modules. A syscall program's
//! context may be read and written at any offset below 65,535 that is a multiple of
//! the access size (`syscall_prog_is_valid_access`); the test run
//! (net/bpf/test_run.c, `bpf_prog_test_run_syscall`) refuses data in or out, a
//! context out, repeat, flags and batch size, wants `ctx_size_in` at least the
//! furthest context byte the program touches and at most 65,535, and copies the
//! context back into `ctx_in` after the run. Any failure (older kernel, no helper,
//! no privilege) is an error, and the caller reads the BTF instead.
//!
//! Cost: on 6.18 the helper searches linearly from type 1, ~6 ns per type before
//! the one found, so a name costs in proportion to its id; the caller asks only for
//! what it cannot know otherwise. Loading the program takes ~0.1 ms (one branch per
//! name keeps the verifier's work small).

use std::os::fd::AsFd;

use bpf_sys::Insn;
use bpf_sys::consts::{BPF_F_SLEEPABLE, prog_type};
use elf_loader::btf::BtfKind;

use super::ProgTableError;
use super::asm::{
    ADD64_IMM, CALL, EXIT, JGE_IMM, MOV64_IMM, MOV64_REG, R10, RSH64_IMM, ST_W, STX_DW,
};

/// The name the program is loaded under (seen in `bpftool prog` while it lives).
pub const ORACLE_PROG_NAME: &str = "rtc_btf_ids";

/// `BPF_FUNC_btf_find_by_name_kind`.
const HELPER_BTF_FIND_BY_NAME_KIND: i32 = 167;
/// `BPF_FUNC_sys_close`.
const HELPER_SYS_CLOSE: i32 = 168;

/// Longest name asked for: the stack holds 512 bytes.
const MAX_NAME: usize = 255;
/// Most names per program (each answer is 8 bytes of context).
const MAX_NAMES: usize = 64;

/// The program's instructions: for each wanted type, its answer in context slot `i`
/// (8 bytes at `8 * i`). Names must be 1..=[`MAX_NAME`] bytes without NUL.
fn instructions(wanted: &[(BtfKind, &str)]) -> Result<Vec<Insn>, ProgTableError> {
    if wanted.len() > MAX_NAMES {
        return Err(bad_input(format!(
            "{} names, at most {MAX_NAMES}",
            wanted.len()
        )));
    }
    // r6 = ctx (kept across calls).
    let mut insns = vec![Insn::new(MOV64_REG, 6, 1, 0, 0)];
    for (slot, (kind, name)) in wanted.iter().enumerate() {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_NAME || bytes.contains(&0) {
            return Err(bad_input(format!("name {name:?}")));
        }
        // The name, its NUL and zero padding to 8 bytes, at r10 - room: 4-byte
        // immediate stores, each on its own aligned word.
        let room = (bytes.len() + 1).div_ceil(8) * 8;
        let mut padded = bytes.to_vec();
        padded.resize(room, 0);
        for (word, chunk) in padded.chunks_exact(4).enumerate() {
            let imm = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let off = (word * 4) as i16 - room as i16;
            insns.push(Insn::new(ST_W, R10, 0, off, imm));
        }
        insns.extend([
            Insn::new(MOV64_REG, 1, R10, 0, 0),
            Insn::new(ADD64_IMM, 1, 0, 0, -(room as i32)),
            Insn::new(MOV64_IMM, 2, 0, 0, bytes.len() as i32 + 1),
            Insn::new(MOV64_IMM, 3, 0, 0, kind.number() as i32),
            Insn::new(MOV64_IMM, 4, 0, 0, 0),
            Insn::new(CALL, 0, 0, 0, HELPER_BTF_FIND_BY_NAME_KIND),
            Insn::new(STX_DW, 6, 0, (slot * 8) as i16, 0),
            // r1 = the top half: a module BTF's fd (1..2^31), 0 for a vmlinux id, or
            // 2^31 and above for an errno. One unsigned compare tells an fd:
            // r1 - 1 < 2^31 - 1. (One branch keeps the verifier's work small.)
            Insn::new(MOV64_REG, 1, 0, 0, 0),
            Insn::new(RSH64_IMM, 1, 0, 0, 32),
            Insn::new(ADD64_IMM, 1, 0, 0, -1),
            Insn::new(JGE_IMM, 1, 0, 2, i32::MAX),
            Insn::new(ADD64_IMM, 1, 0, 0, 1),
            Insn::new(CALL, 0, 0, 0, HELPER_SYS_CLOSE),
        ]);
    }
    insns.extend([
        Insn::new(MOV64_IMM, 0, 0, 0, 0),
        Insn::new(EXIT, 0, 0, 0, 0),
    ]);
    Ok(insns)
}

/// The error for names the program cannot carry.
fn bad_input(what: String) -> ProgTableError {
    ProgTableError::Kernel {
        step: "btf ids",
        source: bpf_sys::Error::InvalidInput(format!("cannot ask the kernel for {what}")),
    }
}

/// What one answer means: the vmlinux type id, or none (not found, an errno, or a
/// type of a module's BTF, whose fd the program closed).
fn answer(raw: u64) -> Option<u32> {
    let signed = raw as i64;
    if signed <= 0 || raw >> 32 != 0 {
        return None;
    }
    u32::try_from(raw).ok()
}

/// The running kernel's vmlinux BTF id of each wanted (kind, exact name), in order;
/// `None` where vmlinux has no such type. Fails where the kernel cannot run the
/// program (before 5.14, no CAP_BPF): then read the BTF instead.
pub(crate) fn kernel_type_ids(
    wanted: &[(BtfKind, &str)],
) -> Result<Vec<Option<u32>>, ProgTableError> {
    let insns = instructions(wanted)?;
    let attr = bpf_sys::ProgLoadAttr {
        prog_type: prog_type::SYSCALL,
        prog_flags: BPF_F_SLEEPABLE,
        insns: &insns,
        license: "GPL",
        name: ORACLE_PROG_NAME,
        ..Default::default()
    };
    let kernel = |step| move |source| ProgTableError::Kernel { step, source };
    let prog = bpf_sys::prog_load(&attr).map_err(kernel("btf ids load"))?;
    // At least one slot: the kernel wants a context as long as the furthest write.
    let mut ctx = vec![0u8; wanted.len().max(1) * 8];
    bpf_sys::prog_run_syscall(prog.fd.as_fd(), &mut ctx).map_err(kernel("btf ids run"))?;
    Ok(ctx
        .chunks_exact(8)
        .take(wanted.len())
        .map(|slot| {
            let mut word = [0u8; 8];
            word.copy_from_slice(slot);
            answer(u64::from_ne_bytes(word))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_only_vmlinux_ids() {
        assert_eq!(answer(1966), Some(1966));
        assert_eq!(answer((-2i64) as u64), None); // -ENOENT
        assert_eq!(answer(0), None);
        assert_eq!(answer(77 | (5 << 32)), None); // a module's type, fd 5
    }

    #[test]
    fn names_are_whole_nul_terminated_and_aligned() {
        let insns = instructions(&[(BtfKind::Struct, "bpf_prog"), (BtfKind::Func, "f")]).unwrap();
        // Rebuild each name from the stores before its call.
        let mut names = Vec::new();
        let mut stack: Vec<(i16, i32)> = Vec::new();
        for insn in &insns {
            match insn.code {
                ST_W => {
                    assert_eq!(insn.dst_reg(), R10);
                    assert_eq!(insn.off % 4, 0);
                    stack.push((insn.off, insn.imm));
                }
                CALL if insn.imm == HELPER_BTF_FIND_BY_NAME_KIND => {
                    stack.sort();
                    let bytes: Vec<u8> = stack.iter().flat_map(|(_, w)| w.to_ne_bytes()).collect();
                    names.push(bytes);
                    stack.clear();
                }
                _ => {}
            }
        }
        assert_eq!(
            names,
            vec![
                b"bpf_prog\0\0\0\0\0\0\0\0".to_vec(),
                b"f\0\0\0\0\0\0\0".to_vec()
            ]
        );
        // Sizes include the NUL; kinds are the BTF numbers; answers go to slots 0, 1.
        let sizes: Vec<i32> = insns
            .iter()
            .filter(|i| i.code == MOV64_IMM && i.dst_reg() == 2)
            .map(|i| i.imm)
            .collect();
        assert_eq!(sizes, vec![9, 2]);
        let kinds: Vec<i32> = insns
            .iter()
            .filter(|i| i.code == MOV64_IMM && i.dst_reg() == 3)
            .map(|i| i.imm)
            .collect();
        assert_eq!(kinds, vec![4, 12]);
        let slots: Vec<i16> = insns
            .iter()
            .filter(|i| i.code == STX_DW)
            .map(|i| i.off)
            .collect();
        assert_eq!(slots, vec![0, 8]);
    }

    /// Runs the instructions after the answer is stored, for answer `r0`: the fd
    /// closed, if any.
    fn closed_fd(insns: &[Insn], r0: u64) -> Option<u64> {
        let start = insns.iter().position(|i| i.code == STX_DW).unwrap() + 1;
        let mut r1 = 0u64;
        let mut pc = start;
        loop {
            let i = insns[pc];
            pc += 1;
            match i.code {
                MOV64_REG => r1 = r0,
                RSH64_IMM => r1 >>= i.imm,
                ADD64_IMM => r1 = r1.wrapping_add(i.imm as i64 as u64),
                JGE_IMM if r1 >= i.imm as i64 as u64 => pc += i.off as usize,
                JGE_IMM => {}
                CALL if i.imm == HELPER_SYS_CLOSE => return Some(r1),
                _ => return None,
            }
        }
    }

    #[test]
    fn closes_module_fds_only() {
        let insns = instructions(&[(BtfKind::Struct, "s"), (BtfKind::Struct, "t")]).unwrap();
        assert_eq!(closed_fd(&insns, 1966), None);
        assert_eq!(closed_fd(&insns, u32::MAX as u64), None);
        assert_eq!(closed_fd(&insns, (-2i64) as u64), None);
        assert_eq!(closed_fd(&insns, (-4095i64) as u64), None);
        assert_eq!(closed_fd(&insns, 77 | (5 << 32)), Some(5));
        assert_eq!(closed_fd(&insns, 1 | (1 << 32)), Some(1));
        let top = i32::MAX as u64;
        assert_eq!(closed_fd(&insns, 1 | (top << 32)), Some(top));
    }

    #[test]
    fn refuses_names_it_cannot_carry() {
        assert!(instructions(&[(BtfKind::Struct, "")]).is_err());
        assert!(instructions(&[(BtfKind::Struct, "a\0b")]).is_err());
        let long = "x".repeat(MAX_NAME + 1);
        assert!(instructions(&[(BtfKind::Struct, long.as_str())]).is_err());
    }

    #[test]
    fn the_kernel_answers_what_its_btf_says() {
        let path = std::path::Path::new(elf_loader::btf::target::VMLINUX_BTF);
        let Ok(btf) = elf_loader::btf::TargetBtf::from_file(path) else {
            rtc_tests::skip::<()>("the kernel publishes no BTF");
            return;
        };
        let wanted = [
            (BtfKind::Struct, "bpf_prog"),
            (BtfKind::Func, "bpf_iter_bpf_prog"),
            (BtfKind::Struct, "no_such_struct_in_any_kernel"),
            (BtfKind::Union, "bpf_prog"),
        ];
        let ids = match kernel_type_ids(&wanted) {
            Ok(ids) => ids,
            Err(e) => {
                rtc_tests::skip::<()>(&format!("no syscall program here: {e}"));
                return;
            }
        };
        let expected: Vec<Option<u32>> = wanted.iter().map(|(k, n)| btf.find(*k, n)).collect();
        assert_eq!(ids, expected);
        assert!(ids[0].is_some() && ids[1].is_some());
    }
}
