//! `/proc/kallsyms`: the kernel's symbol table as text, one `ADDRESS TYPE NAME
//! [\[module\]]` line per symbol. Untyped `__ksym` externs (`extern const void
//! init_task __ksym;`) take their address from it.
//!
//! libbpf reads it in one pass, keeping only the names its externs ask for. A
//! name found twice at different addresses is an error ("ambiguous"); found twice
//! at the same address, fine. A data symbol (`d`) whose name has an `.llvm.`
//! suffix (kernels built with clang LTO rename static variables so) also matches
//! the name before the suffix (libbpf ≥ 1.2). Without privileges the kernel shows
//! every address as 0; the caller should read the file as root.

use std::collections::{BTreeMap, BTreeSet};

use super::ExternError;

/// The addresses of the wanted symbols found in a kallsyms text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kallsyms {
    found: BTreeMap<String, u64>,
}

impl Kallsyms {
    /// Scans `text` once for the names in `wanted`. Fails on a line that is not
    /// `ADDRESS TYPE NAME` and on a wanted name found at two addresses.
    pub fn parse<'a>(
        text: &str,
        wanted: impl IntoIterator<Item = &'a str>,
    ) -> Result<Kallsyms, ExternError> {
        let wanted: BTreeSet<&str> = wanted.into_iter().collect();
        let mut found: BTreeMap<String, u64> = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = || ExternError::KallsymsLine {
                line: number + 1,
                text: line.to_string(),
            };
            let mut fields = line.split_whitespace();
            let (Some(address), Some(kind), Some(name)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let address = u64::from_str_radix(address, 16).map_err(|_| bad())?;
            let mut kind_chars = kind.chars();
            let (Some(kind), None) = (kind_chars.next(), kind_chars.next()) else {
                return Err(bad());
            };
            let key = match name.find(".llvm.") {
                Some(at) if kind == 'd' => name.get(..at).unwrap_or(name),
                _ => name,
            };
            if !wanted.contains(key) {
                continue;
            }
            match found.get(key) {
                Some(&first) if first != address => {
                    return Err(ExternError::AmbiguousKsym {
                        name: key.to_string(),
                        first,
                        second: address,
                    });
                }
                Some(_) => {}
                None => {
                    found.insert(key.to_string(), address);
                }
            }
        }
        Ok(Kallsyms { found })
    }

    /// The address of `name`, if the text had it.
    pub fn address(&self, name: &str) -> Option<u64> {
        self.found.get(name).copied()
    }

    /// How many wanted names were found.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// True when none was.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
ffffffff81000000 T _stext
ffffffff82a0b940 D init_task
ffffffff82c3d2c0 d bpf_prog_active
ffffffff82c3d2c8 d counter.llvm.123456
ffffffffc0a01000 t helper\t[some_module]
ffffffffc0a02000 t helper\t[other_module]
ffffffff81234567 T dup
ffffffff81234567 T dup
";

    #[test]
    fn finds_wanted_symbols_only() {
        let syms =
            Kallsyms::parse(TEXT, ["init_task", "bpf_prog_active", "missing", "dup"]).unwrap();
        assert_eq!(syms.address("init_task"), Some(0xffffffff82a0b940));
        assert_eq!(syms.address("bpf_prog_active"), Some(0xffffffff82c3d2c0));
        assert_eq!(
            syms.address("dup"),
            Some(0xffffffff81234567),
            "same address twice is fine"
        );
        assert_eq!(syms.address("missing"), None);
        assert_eq!(syms.address("_stext"), None, "not asked for");
        assert_eq!(syms.len(), 3);
    }

    #[test]
    fn llvm_suffix_on_data_symbols() {
        let syms = Kallsyms::parse(TEXT, ["counter"]).unwrap();
        assert_eq!(syms.address("counter"), Some(0xffffffff82c3d2c8));
    }

    #[test]
    fn ambiguity_and_bad_lines() {
        let err = Kallsyms::parse(TEXT, ["helper"]).unwrap_err();
        assert!(matches!(err, ExternError::AmbiguousKsym { .. }), "{err}");
        for bad in ["zz T x\n", "ffff T\n", "ffff TT x\n"] {
            let err = Kallsyms::parse(bad, ["x"]).unwrap_err();
            assert!(
                matches!(err, ExternError::KallsymsLine { line: 1, .. }),
                "{err}"
            );
        }
    }
}
