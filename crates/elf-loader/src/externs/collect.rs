//! Collecting an object's externs: the entry point that reads them from an
//! [`Object`] (the layout work is in the parent module, which needs no object).

use super::{ExternError, Externs};
use crate::object::Object;

impl Externs {
    /// Describes the externs of `object`: each undefined untyped global or weak
    /// symbol, with its BTF `VAR`/`FUNC` and the section (`.kconfig`, `.ksyms`) that
    /// holds it. Sorts them as libbpf does (kconfig ones first, by decreasing
    /// alignment, then increasing size, then name; ksyms by name) and places each
    /// kconfig extern at the next offset its alignment allows.
    pub fn collect(object: &Object) -> Result<Externs, ExternError> {
        Externs::collect_from(object.btf(), object.extern_symbols())
    }
}
