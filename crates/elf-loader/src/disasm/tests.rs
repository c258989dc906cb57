//! Unit tests of the disassembler: robustness on every opcode byte, and the shape of
//! the output. The notation itself is checked against the kernel (verifier log,
//! `bpftool prog dump xlated`) and LLVM in `tests/disasm.rs`.

use super::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn insn(&mut self, code: u8) -> Insn {
        let bits = self.next();
        // Mostly small values (the interesting ones: 1, 8, 16, 32, -1 ...), sometimes
        // anything.
        let (off, imm) = if bits & 1 == 0 {
            ((bits >> 8) as i16 % 40 - 8, (bits >> 24) as i32 % 300 - 20)
        } else {
            ((bits >> 8) as i16, (bits >> 24) as i32)
        };
        Insn {
            code,
            regs: (bits >> 56) as u8,
            off,
            imm,
        }
    }
}

#[test]
fn every_opcode_byte_disassembles_without_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut known = 0;
    for code in 0..=255u8 {
        for _ in 0..200 {
            let insn = rng.insn(code);
            let next_code = rng.next() as u8;
            let insns = [insn, rng.insn(next_code)];
            for origin in [Origin::Loader, Origin::Kernel] {
                let options = Options {
                    origin,
                    show_bytes: true,
                };
                let listing = disassemble(&insns, &options, &Annotations::new());
                let first = &listing.lines[0];
                assert!(!first.text.is_empty());
                assert_eq!(first.insn, insn);
                let slots: usize = listing.lines.iter().map(Line::slots).sum();
                assert_eq!(slots, insns.len(), "{insn:?}");
                // Printing never fails either.
                assert!(!listing.to_string().is_empty());
                if !first.is_known() {
                    assert!(first.text.contains("unknown"), "{}", first.text);
                } else {
                    known += 1;
                }
            }
            // Alone, an ld_imm64 lacks its second half: reported, not read past.
            let alone = disassemble(&[insn], &Options::default(), &Annotations::new());
            assert_eq!(alone.lines.len(), 1);
        }
    }
    assert!(known > 0);
}

#[test]
fn random_sequences_cover_every_slot_once() {
    let mut rng = Rng(42);
    for _ in 0..2000 {
        let len = (rng.next() % 12) as usize;
        let insns: Vec<Insn> = (0..len)
            .map(|_| {
                let code = rng.next() as u8;
                rng.insn(code)
            })
            .collect();
        let listing = disassemble(&insns, &Options::default(), &Annotations::new());
        let mut expected = 0;
        for line in &listing.lines {
            assert_eq!(line.index, expected);
            expected += line.slots();
        }
        assert_eq!(expected, insns.len());
    }
}

/// Which opcode bytes decode to a known instruction (with fields that make them
/// valid): exactly the opcodes of the instruction set (RFC 9669 and the later
/// kernel additions `gotox`, `may_goto`, load-acquire/store-release on all sizes),
/// plus the verifier's internal `nospec`. Listed by class from the specification's
/// opcode tables, independently of `decode`.
#[test]
fn known_opcodes_are_those_of_the_instruction_set() {
    let mut expected = std::collections::BTreeSet::new();
    for class in [0x04u8, 0x07] {
        for op in [
            0x00u8, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0,
        ] {
            expected.insert(class | op);
            expected.insert(class | op | 0x08);
        }
        expected.insert(class | 0x80); // neg
    }
    expected.extend([0xd4, 0xdc, 0xd7]); // le, be, bswap
    expected.extend([0x05, 0x0d, 0x85, 0x95, 0xe5, 0x06]); // ja, gotox, call, exit, may_goto, gotol
    for class in [0x05u8, 0x06] {
        for op in [
            0x10u8, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0,
        ] {
            expected.insert(class | op);
            expected.insert(class | op | 0x08);
        }
    }
    expected.extend([0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50]); // lddw, ld_abs, ld_ind
    expected.extend([0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91]); // ldx, ldsx
    expected.extend([0x62, 0x6a, 0x72, 0x7a, 0xc2]); // st, nospec
    expected.extend([0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xcb, 0xd3, 0xdb]); // stx, atomics

    let mut known = std::collections::BTreeSet::new();
    for code in 0..=255u8 {
        // Try the refining fields that make an opcode valid, if any does.
        let candidates = [
            Insn::new(code, 1, 2, 0, 0),
            Insn::new(code, 1, 0, 0, 0),
            Insn::new(code, 1, 2, 0, opcode::ATOMIC_LOAD_ACQ),
        ];
        if candidates
            .iter()
            .any(|insn| opcode::decode(insn) != Op::Unknown)
        {
            known.insert(code);
        }
    }
    let show = |set: &std::collections::BTreeSet<u8>| {
        set.iter().map(|c| format!("{c:02x}")).collect::<Vec<_>>()
    };
    assert_eq!(show(&known), show(&expected));
}

#[test]
fn ld_imm64_takes_two_slots_and_joins_its_halves() {
    let insns = [
        Insn::new(0x18, 1, 0, 0, 0x5678),
        Insn::new(0, 0, 0, 0, 0x1234),
        Insn::new(0x95, 0, 0, 0, 0),
    ];
    let listing = disassemble(&insns, &Options::default(), &Annotations::new());
    assert_eq!(listing.lines.len(), 2);
    assert_eq!(listing.lines[0].text, "r1 = 0x123400005678 ll");
    assert_eq!(listing.lines[1].index, 2);
    assert_eq!(listing.unknown_count(), 0);

    let cut = disassemble(&insns[..1], &Options::default(), &Annotations::new());
    assert_eq!(cut.unknown_count(), 1);
}

#[test]
fn map_references_follow_where_the_instructions_come_from() {
    let insns = [
        Insn::new(0x18, 1, opcode::PSEUDO_MAP_VALUE, 0, 7),
        Insn::new(0, 0, 0, 0, 16),
    ];
    let text = |origin| insn_text(&insns, 0, origin).unwrap();
    assert_eq!(text(Origin::Loader), "r1 = map[fd:7][0]+16");
    assert_eq!(text(Origin::Kernel), "r1 = map[id:7][0]+16");
}

#[test]
fn targets_and_annotations_appear_after_the_instruction() {
    let insns = [
        Insn::new(0x15, 0, 0, 1, 0),  // if r0 == 0x0 goto pc+1
        Insn::new(0x05, 0, 0, -5, 0), // goto pc-5: outside
        Insn::new(0x18, 1, 0, 0, 0),  // r1 = 0x0 ll
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x95, 0, 0, 0, 0), // exit
    ];
    let mut annotations = Annotations::new();
    annotations.note(2, "map packets");
    annotations.label(0, "count");
    annotations.source(
        2,
        SourceLine {
            file: "count.c".into(),
            line: 12,
            column: 5,
            text: "\tvalue = lookup(&packets);".into(),
        },
    );
    let listing = disassemble(&insns, &Options::default(), &annotations);
    assert_eq!(listing.lines[0].target, Some(2));
    assert_eq!(listing.lines[1].target, Some(-3));
    let text = listing.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "count:",
            "   0: (15) if r0 == 0x0 goto pc+1  ; -> 2",
            "   1: (05) goto pc-5  ; -> -3 (outside the program)",
            "; value = lookup(&packets); [count.c:12:5]",
            "   2: (18) r1 = 0x0 ll  ; map packets",
            "   4: (95) exit",
        ]
    );
}

#[test]
fn a_relocated_call_has_no_target_of_its_own() {
    // clang leaves `call -1` for the linker; the relocation names the callee.
    let insns = [Insn::new(0x85, 0, 1, 0, -1), Insn::new(0x95, 0, 0, 0, 0)];
    let plain = disassemble(&insns, &Options::default(), &Annotations::new());
    assert_eq!(plain.lines[0].target, Some(0));
    let mut annotations = Annotations::new();
    annotations.note(0, "calls helper");
    let annotated = disassemble(&insns, &Options::default(), &annotations);
    assert_eq!(annotated.lines[0].target, None);
    assert_eq!(annotated.lines[0].notes, ["calls helper"]);
}
