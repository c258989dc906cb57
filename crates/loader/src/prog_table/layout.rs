//! Where the fields the program iterator reads lie in the running kernel's structs,
//! and the id of the function it attaches to, read from the kernel's BTF.
//!
//! Kernel-internal structs (`struct bpf_prog`, `struct bpf_prog_aux`) change between
//! kernels, so no offset is built in: each comes from the BTF by struct and member
//! name, with its size checked. A kernel that lacks one gives an error that names it.

use elf_loader::btf::{BtfKind, BtfTypes, QuickTypes, TargetBtf, TypeDetail};

use super::ProgTableError;

/// The function whose BTF id an iterator over programs attaches to.
pub(crate) const ITER_FUNC: &str = "bpf_iter_bpf_prog";

/// The names looked up in the kernel's BTF, in one pass over its types.
pub(crate) const NAMES: &[&str] = &[
    ITER_FUNC,
    "bpf_iter__bpf_prog",
    "bpf_iter_meta",
    "bpf_prog",
    "bpf_prog_aux",
    "user_struct",
    "btf",
];

/// The kinds of the types in [`NAMES`].
pub(crate) const KINDS: &[BtfKind] = &[BtfKind::Func, BtfKind::Struct];

/// Byte offsets of the members of the iterator's context (`struct bpf_iter__bpf_prog`)
/// and of `struct bpf_iter_meta` that the program reads: part of the iterator ABI
/// (the verifier checks context reads against these structs, and programs built
/// against any kernel's headers rely on them), so they are not looked up where the
/// kernel is asked for type ids. The scanning look-ups still read them from the
/// BTF, and a test checks that both agree.
const ITER_ABI: &[(&str, &str, i16)] = &[
    ("bpf_iter__bpf_prog", "meta", 0),
    ("bpf_iter__bpf_prog", "prog", 8),
    ("bpf_iter_meta", "seq", 0),
];

/// [`NAMES`] with their kinds: the function first, then structs.
fn wanted() -> Vec<(BtfKind, &'static str)> {
    NAMES
        .iter()
        .map(|&name| {
            let kind = if name == ITER_FUNC {
                BtfKind::Func
            } else {
                BtfKind::Struct
            };
            (kind, name)
        })
        .collect()
}

/// Byte offsets (as the instructions' 16-bit offsets) of every field read, and the
/// attach target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// BTF id of the `bpf_iter_bpf_prog` function.
    pub attach_btf_id: u32,
    /// `struct bpf_iter__bpf_prog` (the program's context): `meta`, `prog`.
    pub ctx_meta: i16,
    pub ctx_prog: i16,
    /// `struct bpf_iter_meta`: `seq`, the seq_file `bpf_seq_write` writes to.
    pub meta_seq: i16,
    /// `struct bpf_prog`: `aux`, `tag[8]`, `jited_len`.
    pub prog_aux: i16,
    pub prog_tag: i16,
    pub prog_jited_len: i16,
    /// `struct bpf_prog_aux`: `id`, `name[16]`, `load_time`, `user`, `btf`.
    pub aux_id: i16,
    pub aux_name: i16,
    pub aux_load_time: i16,
    pub aux_user: i16,
    pub aux_btf: i16,
    /// `struct user_struct`: `uid` (a `kuid_t`).
    pub user_uid: i16,
    /// `struct btf`: `id`.
    pub btf_id: i16,
}

impl Layout {
    /// Reads the layout from `btf` (the running kernel's, for the result to be of use),
    /// checking each member's size too.
    pub(crate) fn read(btf: &TargetBtf) -> Result<Layout, ProgTableError> {
        let found = btf.find_by_essential_names_of(NAMES, KINDS);
        let first_of = |name: &'static str, kind: BtfKind| -> Result<u32, ProgTableError> {
            found
                .get(name)
                .into_iter()
                .flatten()
                .copied()
                .find(|&id| btf.kind_of(id).ok() == Some(kind))
                .ok_or(missing_type(kind, name))
        };
        Layout::build(first_of(ITER_FUNC, BtfKind::Func)?, |ty, member, size| {
            member_offset(btf, first_of(ty, BtfKind::Struct)?, ty, member, size)
        })
    }

    /// Reads the layout from the bytes of the kernel's base BTF, looking at only the
    /// types it needs ([`QuickTypes::find`]): faster than [`Layout::read`], which indexes
    /// every type. Member sizes are not checked here; the verifier refuses any read
    /// past the end of a member, so a kernel whose fields shrank fails the load.
    pub(crate) fn read_quick(data: &[u8]) -> Result<Layout, ProgTableError> {
        let wanted = wanted();
        let quick = QuickTypes::find(data, &wanted).map_err(ProgTableError::Btf)?;
        let attach = quick
            .get(0)
            .map(|(id, _)| id)
            .ok_or(missing_type(BtfKind::Func, ITER_FUNC))?;
        Layout::from_quick(&quick, &wanted, attach, false)
    }

    /// [`Layout::read_quick`] with the type ids asked of the running kernel
    /// ([`super::oracle`]): `data` (the running kernel's base BTF) is walked only up to
    /// the last struct needed, and no name is looked for in its string table; the
    /// function's id is the kernel's answer as is, and the iterator's own structs
    /// are not looked up ([`ITER_ABI`]). Fails where the kernel cannot answer (then
    /// [`Layout::read_quick`] can).
    pub(crate) fn read_with_kernel_ids(data: &[u8]) -> Result<Layout, ProgTableError> {
        let wanted: Vec<(BtfKind, &'static str)> = wanted()
            .into_iter()
            .filter(|(_, name)| !ITER_ABI.iter().any(|(ty, _, _)| ty == name))
            .collect();
        let mut ids = super::oracle::kernel_type_ids(&wanted)?;
        let attach = ids
            .first_mut()
            .and_then(Option::take)
            .ok_or(missing_type(BtfKind::Func, ITER_FUNC))?;
        // The function's record is not needed: `ids[0]` is now `None`.
        let quick = QuickTypes::at_ids(data, &wanted, &ids).map_err(ProgTableError::Btf)?;
        Layout::from_quick(&quick, &wanted, attach, true)
    }

    /// The layout from the types of `quick` (`wanted`, by index) and the attach
    /// target; with `abi`, members of [`ITER_ABI`] are taken from there.
    fn from_quick(
        quick: &QuickTypes<'_>,
        wanted: &[(BtfKind, &str)],
        attach: u32,
        abi: bool,
    ) -> Result<Layout, ProgTableError> {
        Layout::build(attach, |ty, member, _size| {
            if abi {
                if let Some(&(_, _, at)) =
                    ITER_ABI.iter().find(|(t, m, _)| (*t, *m) == (ty, member))
                {
                    return Ok(at);
                }
            }
            let index = wanted
                .iter()
                .position(|(_, name)| *name == ty)
                .ok_or(missing_type(BtfKind::Struct, ty))?;
            quick.get(index).ok_or(missing_type(BtfKind::Struct, ty))?;
            let (bits, _) =
                quick
                    .member(index, member)
                    .ok_or_else(|| ProgTableError::MissingMember {
                        ty,
                        member,
                        reason: "no such member (or a bitfield)".to_string(),
                    })?;
            byte_offset(ty, member, bits)
        })
    }

    /// The layout from the attach target and a way to find each member's offset.
    fn build(
        attach_btf_id: u32,
        member: impl Fn(&'static str, &'static str, u32) -> Result<i16, ProgTableError>,
    ) -> Result<Layout, ProgTableError> {
        Ok(Layout {
            attach_btf_id,
            ctx_meta: member("bpf_iter__bpf_prog", "meta", 8)?,
            ctx_prog: member("bpf_iter__bpf_prog", "prog", 8)?,
            meta_seq: member("bpf_iter_meta", "seq", 8)?,
            prog_aux: member("bpf_prog", "aux", 8)?,
            prog_tag: member("bpf_prog", "tag", 8)?,
            prog_jited_len: member("bpf_prog", "jited_len", 4)?,
            aux_id: member("bpf_prog_aux", "id", 4)?,
            aux_name: member("bpf_prog_aux", "name", 16)?,
            aux_load_time: member("bpf_prog_aux", "load_time", 8)?,
            aux_user: member("bpf_prog_aux", "user", 8)?,
            aux_btf: member("bpf_prog_aux", "btf", 8)?,
            user_uid: member("user_struct", "uid", 4)?,
            btf_id: member("btf", "id", 4)?,
        })
    }
}

/// The error for a type the kernel's BTF lacks.
fn missing_type(kind: BtfKind, name: &'static str) -> ProgTableError {
    ProgTableError::MissingType {
        kind: if kind == BtfKind::Func {
            "function"
        } else {
            "struct"
        },
        name,
    }
}

/// A member's bit offset as an instruction's byte offset: on a byte, within 16 bits.
fn byte_offset(ty: &'static str, member: &'static str, bits: u32) -> Result<i16, ProgTableError> {
    let fail = |reason: String| ProgTableError::MissingMember { ty, member, reason };
    if bits % 8 != 0 {
        return Err(fail(format!("at bit {bits}, not on a byte")));
    }
    i16::try_from(bits / 8).map_err(|_| fail(format!("at byte {}", bits / 8)))
}

/// The byte offset of member `member` of struct `id` (named `ty`), which must be
/// `size` bytes, byte-aligned, not a bitfield, and within reach of a 16-bit offset.
/// Members of anonymous struct and union members count as the struct's own, at
/// their offset within it.
fn member_offset(
    btf: &TargetBtf,
    id: u32,
    ty: &'static str,
    member: &'static str,
    size: u32,
) -> Result<i16, ProgTableError> {
    let fail = |reason: String| ProgTableError::MissingMember { ty, member, reason };
    let bits = find_member(btf, id, member, 0, 0)
        .map_err(|e| fail(e.to_string()))?
        .ok_or_else(|| fail("no such member".to_string()))?;
    let (bit_offset, type_id) = bits;
    let actual = btf.size_of(type_id).map_err(|e| fail(e.to_string()))?;
    if actual != size {
        return Err(fail(format!("{actual} bytes, not {size}")));
    }
    byte_offset(ty, member, bit_offset)
}

/// Deepest nesting of anonymous members followed.
const MAX_NESTING: u32 = 8;

/// (bit offset, type id) of the member named `member` of struct or union `id`, looking
/// into anonymous members too; `base` is the bit offset of `id` in the outer struct.
fn find_member(
    btf: &TargetBtf,
    id: u32,
    member: &str,
    base: u32,
    depth: u32,
) -> Result<Option<(u32, u32)>, elf_loader::BtfError> {
    let ty = btf.type_by_id(id)?;
    let TypeDetail::Members(members) = &ty.detail else {
        return Ok(None);
    };
    for m in members {
        // With the kind flag, the top 8 bits are a bitfield's size: not one we read.
        if ty.kind_flag && m.offset >> 24 != 0 {
            continue;
        }
        let bits = if ty.kind_flag {
            m.offset & 0x00ff_ffff
        } else {
            m.offset
        };
        let offset = base.saturating_add(bits);
        if m.name_off == 0 {
            if depth < MAX_NESTING {
                let inner = btf.skip_mods(m.type_id)?;
                if let Some(found) = find_member(btf, inner, member, offset, depth + 1)? {
                    return Ok(Some(found));
                }
            }
        } else if btf.string(m.name_off)? == member {
            return Ok(Some((offset, m.type_id)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn quick_layout_is_the_checked_one_on_this_kernel() {
        let path = Path::new(elf_loader::btf::target::VMLINUX_BTF);
        let Ok(data) = std::fs::read(path) else {
            rtc_tests::skip::<()>("the kernel publishes no BTF");
            return;
        };
        let btf = TargetBtf::parse(data.clone()).unwrap();
        let checked = Layout::read(&btf);
        let quick = Layout::read_quick(&data);
        match (checked, quick) {
            (Ok(checked), Ok(quick)) => assert_eq!(checked, quick),
            (Err(e), _) => {
                rtc_tests::skip::<()>(&format!("this kernel's structs do not fit: {e}"));
            }
            (Ok(_), Err(e)) => panic!("the quick look-up failed: {e}"),
        }
    }

    #[test]
    fn kernel_ids_give_the_scanned_layout_on_this_kernel() {
        let path = Path::new(elf_loader::btf::target::VMLINUX_BTF);
        let Ok(data) = std::fs::read(path) else {
            rtc_tests::skip::<()>("the kernel publishes no BTF");
            return;
        };
        let Ok(scanned) = Layout::read_quick(&data) else {
            rtc_tests::skip::<()>("this kernel's structs do not fit");
            return;
        };
        match Layout::read_with_kernel_ids(&data) {
            Ok(asked) => assert_eq!(asked, scanned),
            Err(e) => {
                rtc_tests::skip::<()>(&format!("the kernel cannot be asked: {e}"));
            }
        }
    }
}
