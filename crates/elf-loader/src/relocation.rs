//! A relocation record as the object holds it: which instruction, which symbol. Plain
//! data, read by the parser ([`crate::object`]) and acted on by [`crate::reloc`].

use crate::symbol::{SymbolKind, SymbolRef};

/// `R_BPF_64_64`: the relocation clang emits on an `ld_imm64`.
pub const R_BPF_64_64: u32 = 1;
/// `R_BPF_64_32`: the relocation clang emits on a bpf-to-bpf or kfunc call.
pub const R_BPF_64_32: u32 = 10;

/// One relocation of a program: the instruction it patches and the symbol it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relocation {
    /// Index of the patched instruction, counted from the program's first instruction.
    pub insn_index: usize,
    /// `r_offset`: byte offset of that instruction in its section.
    pub offset: u64,
    /// `R_BPF_*` type (see [`R_BPF_64_64`], [`R_BPF_64_32`]).
    pub r_type: u32,
    /// The symbol it names.
    pub symbol: SymbolRef,
}

/// Whether `symbol` can name a map or a variable: an object or untyped symbol, not a
/// section, file or function symbol.
pub fn is_map_symbol(symbol: &SymbolRef) -> bool {
    matches!(symbol.kind, SymbolKind::Object | SymbolKind::NoType) && !symbol.name.is_empty()
}
