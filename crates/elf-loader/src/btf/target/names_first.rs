//! A faster way into kernel BTF for a handful of names: find the names in the string
//! table first (one sequential scan), then index the type records comparing only name
//! offsets, which are integers.
//!
//! [`TargetBtf::from_file_with_names`] compares the name bytes of every type of the
//! wanted kinds while it indexes: on vmlinux (~150,000 types, ~60,000 of them structs
//! and functions) that is tens of thousands of reads scattered over a 2 MB string
//! table, twice the cost of the indexing walk itself. Scanning the string table in
//! order and comparing integers in the walk gives the same answer for about half.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use super::{Bytes, TargetBtf, has_essential_name, kind_mask, record_end};
use crate::btf::error::BtfError;
use crate::btf::{BtfKind, BtfType, Layout, TypeDetail, decode_type, string_in};
use crate::bytes::{ByteOrder, read_u32};

impl TargetBtf {
    /// [`TargetBtf::from_file_with_names`], finding `names` by their string-table
    /// offsets: same result, about half the time on vmlinux when few names are asked.
    pub fn from_file_names_first(
        path: &Path,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> Result<TargetBtf, BtfError> {
        let data = match bpf_sys::MappedKernelFile::open(path) {
            Ok(mapped) => Bytes::Mapped(mapped),
            Err(_) => Bytes::Owned(std::fs::read(path).map_err(|e| BtfError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?),
        };
        index_names_first(data, names, kinds)
    }

    /// [`TargetBtf::parse`] (base BTF from bytes), finding `names` as
    /// [`TargetBtf::from_file_names_first`] does.
    pub fn parse_names_first(
        data: Vec<u8>,
        names: &[&str],
        kinds: &[BtfKind],
    ) -> Result<TargetBtf, BtfError> {
        index_names_first(Bytes::Owned(data), names, kinds)
    }
}

/// A handful of types of a base BTF blob, found by exact name and kind without
/// indexing the blob: the walk over the type records stops once each has been seen,
/// and keeps nothing else. A found struct's members can be looked up by name, through
/// anonymous struct and union members too (their types are decoded as the walk meets
/// them, or in a second, shorter walk for those that came before).
#[derive(Debug)]
pub struct QuickTypes<'a> {
    strings: &'a [u8],
    /// Per wanted (kind, name): the id of the first type of that kind and name.
    found: Vec<Option<u32>>,
    /// The decoded types: those found, and the anonymous members' types.
    types: BTreeMap<u32, BtfType>,
}

/// Deepest nesting of anonymous members followed.
const MAX_NESTING: u32 = 8;

impl<'a> QuickTypes<'a> {
    /// Looks up `wanted` (kind, exact name) in the base BTF `data` (host byte order).
    pub fn find(data: &'a [u8], wanted: &[(BtfKind, &str)]) -> Result<QuickTypes<'a>, BtfError> {
        let order = ByteOrder::host();
        let layout = Layout::read(data, order, false)?;
        let strings = data
            .get(layout.strings_start..layout.strings_start + layout.strings_len)
            .unwrap_or_default();
        let names: Vec<&str> = wanted.iter().map(|(_, name)| *name).collect();
        // Exact names only: a flavored string (`x___v2`) is not the type `x`.
        let offsets: Vec<(u32, usize)> = string_offsets(strings, &names)
            .into_iter()
            .filter(|&(at, index)| {
                names
                    .get(index)
                    .is_some_and(|name| strings.get(at as usize + name.len()) == Some(&0))
            })
            .collect();
        let mut quick = QuickTypes {
            strings,
            found: vec![None; wanted.len()],
            types: BTreeMap::new(),
        };
        if offsets.is_empty() {
            return Ok(quick);
        }
        // Anonymous members' types still to decode.
        let mut pending: BTreeMap<u32, ()> = BTreeMap::new();
        let decode = |id: u32, offset: usize| {
            decode_type(data, order, strings.len(), id, offset, layout.types_end).map(|(t, _)| t)
        };
        let (lowest, highest) = match (offsets.first(), offsets.last()) {
            (Some(first), Some(last)) => (first.0, last.0),
            _ => (1, 0),
        };
        let mut missing = wanted.len();
        let mut offset = layout.types_start;
        let mut id = 1u32;
        // The smallest pending id not yet passed (checked per record: an integer
        // compare, not a map look-up).
        let mut next_pending = u32::MAX;
        while offset < layout.types_end && (missing > 0 || next_pending != u32::MAX) {
            let next = record_end(data, order, id, offset, layout.types_end)?;
            let mut changed = false;
            if id == next_pending {
                pending.remove(&id);
                let ty = decode(id, offset)?;
                note_anonymous(&ty, &mut pending);
                quick.types.insert(id, ty);
                changed = true;
            }
            let name_off = read_u32(data, offset, order).unwrap_or(0);
            if (lowest..=highest).contains(&name_off) {
                let first = offsets.partition_point(|&(at, _)| at < name_off);
                for &(at, index) in offsets.get(first..).unwrap_or_default() {
                    if at != name_off {
                        break;
                    }
                    let info = read_u32(data, offset + 4, order).unwrap_or(0);
                    let kind = BtfKind::from_raw((info >> 24) & 0x1f);
                    let (Some(slot), Some(&(want, _))) =
                        (quick.found.get_mut(index), wanted.get(index))
                    else {
                        continue;
                    };
                    if slot.is_none() && kind == Some(want) {
                        let ty = decode(id, offset)?;
                        note_anonymous(&ty, &mut pending);
                        quick.types.insert(id, ty);
                        *slot = Some(id);
                        missing -= 1;
                        changed = true;
                    }
                }
            }
            if changed {
                next_pending = pending
                    .range(id.saturating_add(1)..)
                    .next()
                    .map_or(u32::MAX, |(&i, _)| i);
            }
            offset = next;
            id = id.saturating_add(1);
        }
        quick.decode_earlier(data, order, &layout, pending)?;
        Ok(quick)
    }

    /// The records of types whose ids are already known (asked of the kernel, say),
    /// found without looking for any name: the walk over the type records goes only as
    /// far as the highest id given, and on to the anonymous members' types of the
    /// records it decodes. Each record must be of the wanted kind and have exactly
    /// the wanted name (one string compare), else it is left out.
    ///
    /// `ids[i]` is the id of `wanted[i]` (`None`: not to look at, or unknown);
    /// [`QuickTypes::get`] and [`QuickTypes::member`] then answer by index as after
    /// [`QuickTypes::find`]. Any bytes give an answer or an error, never a panic.
    pub fn at_ids(
        data: &'a [u8],
        wanted: &[(BtfKind, &str)],
        ids: &[Option<u32>],
    ) -> Result<QuickTypes<'a>, BtfError> {
        let order = ByteOrder::host();
        let layout = Layout::read(data, order, false)?;
        let strings = data
            .get(layout.strings_start..layout.strings_start + layout.strings_len)
            .unwrap_or_default();
        let mut quick = QuickTypes {
            strings,
            found: vec![None; wanted.len()],
            types: BTreeMap::new(),
        };
        // Id -> the indexes of `wanted` said to be that id.
        let mut targets: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (index, id) in ids.iter().enumerate().take(wanted.len()) {
            if let Some(id) = id.filter(|&id| id != 0) {
                targets.entry(id).or_default().push(index);
            }
        }
        let decode = |id: u32, offset: usize| {
            decode_type(data, order, strings.len(), id, offset, layout.types_end).map(|(t, _)| t)
        };
        let mut pending: BTreeMap<u32, ()> = BTreeMap::new();
        let mut next_target = targets.first_key_value().map_or(u32::MAX, |(&i, _)| i);
        let mut next_pending = u32::MAX;
        let mut offset = layout.types_start;
        let mut id = 1u32;
        while offset < layout.types_end && (next_target != u32::MAX || next_pending != u32::MAX) {
            let next = record_end(data, order, id, offset, layout.types_end)?;
            if id == next_target || id == next_pending {
                let ty = decode(id, offset)?;
                let mut keep = pending.remove(&id).is_some();
                for index in targets.remove(&id).unwrap_or_default() {
                    let (Some(&(kind, name)), Some(slot)) =
                        (wanted.get(index), quick.found.get_mut(index))
                    else {
                        continue;
                    };
                    if ty.kind == kind && string_in(strings, ty.name_off).ok() == Some(name) {
                        *slot = Some(id);
                        keep = true;
                    }
                }
                if keep {
                    note_anonymous(&ty, &mut pending);
                    pending.retain(|i, _| !quick.types.contains_key(i) && *i != id);
                    quick.types.insert(id, ty);
                }
                next_target = targets.first_key_value().map_or(u32::MAX, |(&i, _)| i);
                next_pending = pending
                    .range(id.saturating_add(1)..)
                    .next()
                    .map_or(u32::MAX, |(&i, _)| i);
            }
            offset = next;
            id = id.saturating_add(1);
        }
        quick.decode_earlier(data, order, &layout, pending)?;
        Ok(quick)
    }

    /// Decodes the `pending` anonymous members' types that came before their struct
    /// (and theirs in turn): walks again, up to the last of them, as often as nesting
    /// needs. Ids beyond the blob's last type are given up on.
    fn decode_earlier(
        &mut self,
        data: &[u8],
        order: ByteOrder,
        layout: &Layout,
        mut pending: BTreeMap<u32, ()>,
    ) -> Result<(), BtfError> {
        let strings_len = self.strings.len();
        for _ in 0..MAX_NESTING {
            pending.retain(|i, _| !self.types.contains_key(i));
            let Some((&last, _)) = pending.last_key_value() else {
                break;
            };
            let mut offset = layout.types_start;
            let mut id = 1u32;
            while offset < layout.types_end && id <= last {
                let next = record_end(data, order, id, offset, layout.types_end)?;
                if pending.remove(&id).is_some() {
                    let (ty, _) =
                        decode_type(data, order, strings_len, id, offset, layout.types_end)?;
                    let mut more = BTreeMap::new();
                    note_anonymous(&ty, &mut more);
                    self.types.insert(id, ty);
                    pending.extend(
                        more.into_iter()
                            .filter(|(i, _)| !self.types.contains_key(i)),
                    );
                }
                offset = next;
                id = id.saturating_add(1);
            }
            // Ids beyond the blob's last type never come: give up on them.
            pending.retain(|&i, _| i < id);
        }
        Ok(())
    }

    /// The id and decoded record of the `index`th wanted type, if the blob has it.
    pub fn get(&self, index: usize) -> Option<(u32, &BtfType)> {
        let id = (*self.found.get(index)?)?;
        Some((id, self.types.get(&id)?))
    }

    /// The string at `offset` of the blob's string table (member names).
    pub fn string(&self, offset: u32) -> Result<&'a str, BtfError> {
        string_in(self.strings, offset)
    }

    /// (bit offset, type id) of the member named `member` of the `index`th wanted
    /// type (a struct or union), looking into anonymous members too. Bitfields are
    /// not found (they have no byte offset of their own).
    pub fn member(&self, index: usize, member: &str) -> Option<(u32, u32)> {
        let (_, ty) = self.get(index)?;
        self.member_of(ty, member, 0, 0)
    }

    fn member_of(&self, ty: &BtfType, member: &str, base: u32, depth: u32) -> Option<(u32, u32)> {
        let TypeDetail::Members(members) = &ty.detail else {
            return None;
        };
        for m in members {
            let bits = if ty.kind_flag {
                if m.offset >> 24 != 0 {
                    continue;
                }
                m.offset & 0x00ff_ffff
            } else {
                m.offset
            };
            let offset = base.checked_add(bits)?;
            if m.name_off == 0 {
                if depth < MAX_NESTING {
                    let inner = self.types.get(&m.type_id);
                    if let Some(found) =
                        inner.and_then(|t| self.member_of(t, member, offset, depth + 1))
                    {
                        return Some(found);
                    }
                }
            } else if self.string(m.name_off).ok() == Some(member) {
                return Some((offset, m.type_id));
            }
        }
        None
    }
}

/// Adds the type ids of `ty`'s anonymous members (struct or union ones, which can
/// hold named members) to `pending`.
fn note_anonymous(ty: &BtfType, pending: &mut BTreeMap<u32, ()>) {
    if let TypeDetail::Members(members) = &ty.detail {
        for m in members.iter().filter(|m| m.name_off == 0) {
            pending.insert(m.type_id, ());
        }
    }
}

/// Indexes base BTF, looking `names` up by string offset.
fn index_names_first(
    data: Bytes,
    names: &[&str],
    kinds: &[BtfKind],
) -> Result<TargetBtf, BtfError> {
    let mask = kind_mask(kinds);
    let order = ByteOrder::host();
    let layout = Layout::read(&data, order, false)?;
    if u32::try_from(layout.types_end).is_err() {
        return Err(BtfError::Header {
            section: ".BTF",
            reason: "type section beyond 4 GiB".to_string(),
        });
    }
    let strings = data
        .get(layout.strings_start..layout.strings_start + layout.strings_len)
        .unwrap_or_default();
    // (string offset, index into `names`) of every string whose essential name is
    // one of `names`, sorted by offset.
    let wanted = string_offsets(strings, names);
    let (lowest, highest) = match (wanted.first(), wanted.last()) {
        (Some(first), Some(last)) => (first.0, last.0),
        _ => (1, 0),
    };
    let mut ids: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
    let mut offsets = Vec::with_capacity((layout.types_end - layout.types_start) / 16);
    let mut offset = layout.types_start;
    while offset < layout.types_end {
        let id = 1u32.saturating_add(offsets.len() as u32);
        let next = record_end(&data, order, id, offset, layout.types_end)?;
        let name_off = read_u32(&data, offset, order).unwrap_or(0);
        if (lowest..=highest).contains(&name_off) {
            let info = read_u32(&data, offset + 4, order).unwrap_or(0);
            if mask & (1 << ((info >> 24) & 0x1f)) != 0 {
                let first = wanted.partition_point(|&(at, _)| at < name_off);
                for &(at, name) in wanted.get(first..).unwrap_or_default() {
                    if at != name_off {
                        break;
                    }
                    if let Some(found) = ids.get_mut(name) {
                        found.push(id);
                    }
                }
            }
        }
        offsets.push(offset as u32);
        offset = next;
    }
    let known = names
        .iter()
        .zip(ids)
        .map(|(name, ids)| (name.to_string(), (mask, ids)))
        .collect::<BTreeMap<_, _>>();
    Ok(TargetBtf {
        name: "vmlinux".to_string(),
        data,
        order,
        base: None,
        first_id: 1,
        offsets,
        types_end: layout.types_end,
        strings_start: layout.strings_start,
        strings_len: layout.strings_len,
        first_string: 0,
        known: Mutex::new(known),
    })
}

/// Every string of `strings` (a BTF string table) whose essential name is one of
/// `names`: (its offset, the index of the name), sorted by offset.
///
/// Looking at every string costs a branch per string (~120,000 in vmlinux). Instead
/// the table is read in blocks, each asked at once (code the compiler turns into
/// vector compares) whether some string in it starts with the first two bytes of a
/// name; only the few blocks that say yes are looked at string by string.
fn string_offsets(strings: &[u8], names: &[&str]) -> Vec<(u32, usize)> {
    // Up to PAIRS distinct first-two-byte pairs, padded with one no name starts with.
    const PAIRS: usize = 4;
    let mut pairs = [[0xffu8; 2]; PAIRS];
    let mut count = 0;
    for name in names {
        let [a, b, ..] = name.as_bytes() else {
            // A name too short for the block test: look at every string.
            return string_offsets_each(strings, names, 0, strings.len());
        };
        if !pairs[..count].contains(&[*a, *b]) {
            let Some(slot) = pairs.get_mut(count) else {
                return string_offsets_each(strings, names, 0, strings.len());
            };
            *slot = [*a, *b];
            count += 1;
        }
    }
    let [[a0, b0], [a1, b1], [a2, b2], [a3, b3]] = pairs;
    const BLOCK: usize = 64;
    // The string at offset 0 has no NUL before it.
    let mut found = match_string(strings, 0, names);
    let mut block = 0;
    while block < strings.len() {
        let end = (block + BLOCK).min(strings.len());
        // Window i: a NUL at block + i, then the first two bytes of a string.
        let (Some(nul), Some(first), Some(second)) = (
            strings.get(block..end),
            strings.get(block + 1..(end + 1).min(strings.len())),
            strings.get(block + 2..(end + 2).min(strings.len())),
        ) else {
            break;
        };
        let hit = nul
            .iter()
            .zip(first)
            .zip(second)
            .fold(0u8, |any, ((&z, &x), &y)| {
                let pair = ((x == a0) & (y == b0))
                    | ((x == a1) & (y == b1))
                    | ((x == a2) & (y == b2))
                    | ((x == a3) & (y == b3));
                any | u8::from((z == 0) & pair)
            });
        if hit != 0 {
            for (i, ((&z, &x), &y)) in nul.iter().zip(first).zip(second).enumerate() {
                if z == 0 && pairs.contains(&[x, y]) {
                    found.extend(match_string(strings, block + i + 1, names));
                }
            }
        }
        block = end;
    }
    found
}

/// The names whose essential name the string at `start` has: (start, name index).
fn match_string(strings: &[u8], start: usize, names: &[&str]) -> Vec<(u32, usize)> {
    let Some(text) = strings.get(start..) else {
        return Vec::new();
    };
    names
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            let name = name.as_bytes();
            // Cheap tests first: the name, then a NUL or the `___` of a flavor.
            text.starts_with(name)
                && text
                    .get(name.len()..)
                    .is_some_and(|rest| rest.first() == Some(&0) || rest.starts_with(b"___"))
                && has_essential_name(text, name)
        })
        .map(|(index, _)| (start as u32, index))
        .collect()
}

/// [`string_offsets`] one string at a time, over `strings[from..to]` (the start of
/// a string to the end of one).
fn string_offsets_each(
    strings: &[u8],
    names: &[&str],
    from: usize,
    to: usize,
) -> Vec<(u32, usize)> {
    let mut found = Vec::new();
    let mut start = from;
    while start < to {
        let end = next_nul(strings, start).unwrap_or(strings.len());
        found.extend(match_string(strings, start, names));
        start = end + 1;
    }
    found
}

/// The index of the first NUL at or after `from`, eight bytes at a time.
fn next_nul(bytes: &[u8], from: usize) -> Option<usize> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        // Has a zero byte: the classic bit trick; the lowest flagged byte is exact.
        let zero = word.wrapping_sub(LOW) & !word & HIGH;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes
        .get(at..)?
        .iter()
        .position(|&b| b == 0)
        .map(|i| at + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btf::tests::sample;

    #[test]
    fn finds_what_the_name_scan_finds() {
        let names = ["s", "int", "none"];
        let slow = TargetBtf::parse(sample()).unwrap();
        let fast = TargetBtf::parse_names_first(sample(), &names, &[]).unwrap();
        assert_eq!(fast.type_count(), slow.type_count());
        assert_eq!(
            fast.find_by_essential_names(&names),
            slow.find_by_essential_names(&names)
        );
    }

    #[test]
    fn next_nul_finds_every_nul() {
        let bytes = b"abc\0defghijklmn\0\0opqrstuvwxyz0123456789\0tail";
        let mut expected = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                expected.push(i);
            }
        }
        let mut got = Vec::new();
        let mut from = 0;
        while let Some(at) = next_nul(bytes, from) {
            got.push(at);
            from = at + 1;
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn flavored_names_count_and_prefixes_do_not() {
        let table = b"\0task\0task_struct\0task_struct___v2\0task_struct_x\0";
        let found = string_offsets(table, &["task_struct", "task"]);
        assert_eq!(found, vec![(1, 1), (6, 0), (18, 0)]);
    }

    #[test]
    fn block_scan_finds_what_the_string_scan_finds() {
        // Names at block edges, at the very start and end, and a one-byte name.
        let mut table = b"btf\0".to_vec();
        for i in 0..300 {
            table.extend(format!("bpf_x{i}\0btf\0bp\0b\0").as_bytes());
            table.resize(table.len() + i % 7, b'q');
            table.push(0);
        }
        table.extend(b"bpf_prog");
        let many: &[&str] = &["btf", "bpf_prog", "bp", "qq", "q0", "x"];
        for names in [
            &["btf", "bpf_prog", "bp"][..],
            &["b", "btf"][..],
            &many[..5],
            many,
        ] {
            let each = string_offsets_each(&table, names, 0, table.len());
            assert_eq!(string_offsets(&table, names), each, "{names:?}");
            assert!(!each.is_empty());
        }
    }

    #[test]
    fn corrupting_any_byte_gives_no_panic() {
        let data = sample();
        for position in 0..data.len() {
            for value in [0x00, 0xff, 0x80] {
                let mut copy = data.clone();
                copy[position] = value;
                if let Ok(btf) = TargetBtf::parse_names_first(copy, &["s", "int"], &[]) {
                    let _ = btf.find_by_essential_names(&["s", "int"]);
                }
            }
        }
    }

    #[test]
    fn quick_types_are_the_indexed_ones() {
        let data = sample();
        let btf = TargetBtf::parse(data.clone()).unwrap();
        let wanted = [
            (BtfKind::Struct, "s"),
            (BtfKind::Int, "int"),
            (BtfKind::Union, "s"),
        ];
        let quick = QuickTypes::find(&data, &wanted).unwrap();
        let (id, ty) = quick.get(0).unwrap();
        assert_eq!(Some(id), btf.find(BtfKind::Struct, "s"));
        assert_eq!(ty, &btf.type_by_id(id).unwrap());
        assert_eq!(
            quick.get(1).map(|(id, _)| id),
            btf.find(BtfKind::Int, "int")
        );
        assert!(quick.get(2).is_none());
        assert!(quick.get(3).is_none());
        for position in 0..data.len() {
            let mut copy = data.clone();
            copy[position] ^= 0xff;
            if let Ok(quick) = QuickTypes::find(&copy, &wanted) {
                for i in 0..4 {
                    if let Some((_, ty)) = quick.get(i) {
                        let _ = quick.string(ty.name_off);
                    }
                }
            }
        }
    }

    #[test]
    fn records_at_known_ids_are_the_found_ones() {
        let data = sample();
        let wanted = [
            (BtfKind::Struct, "s"),
            (BtfKind::Int, "int"),
            (BtfKind::Union, "s"),
        ];
        let found = QuickTypes::find(&data, &wanted).unwrap();
        let ids: Vec<Option<u32>> = (0..wanted.len())
            .map(|i| found.get(i).map(|(id, _)| id))
            .collect();
        let at = QuickTypes::at_ids(&data, &wanted, &ids).unwrap();
        for i in 0..wanted.len() + 1 {
            assert_eq!(at.get(i), found.get(i), "{i}");
        }
        let (_, ty) = found.get(0).unwrap();
        if let TypeDetail::Members(members) = &ty.detail {
            for m in members {
                let name = found.string(m.name_off).unwrap();
                assert_eq!(at.member(0, name), found.member(0, name), "{name}");
            }
        }
        // A wrong id (another kind, or beyond the last type) finds nothing.
        let (struct_id, int_id) = (ids[0].unwrap(), ids[1].unwrap());
        let wrong = [Some(int_id), Some(struct_id), Some(9999)];
        let at = QuickTypes::at_ids(&data, &wanted, &wrong).unwrap();
        assert!((0..3).all(|i| at.get(i).is_none()));
        // No bytes make it panic.
        for position in 0..data.len() {
            for value in [0x00, 0xff, 0x80] {
                let mut copy = data.clone();
                copy[position] = value;
                if let Ok(quick) = QuickTypes::at_ids(&copy, &wanted, &ids) {
                    let _ = quick.member(0, "a");
                }
            }
        }
    }

    #[test]
    fn agrees_with_the_name_scan_on_this_kernel() {
        let path = Path::new(super::super::VMLINUX_BTF);
        let names = [
            "bpf_prog",
            "bpf_prog_aux",
            "bpf_iter_bpf_prog",
            "btf",
            "task_struct",
        ];
        let kinds = [BtfKind::Struct, BtfKind::Func];
        let Ok(slow) = TargetBtf::from_file_with_names(path, &names, &kinds) else {
            rtc_tests::skip::<()>("the kernel publishes no BTF");
            return;
        };
        let fast = TargetBtf::from_file_names_first(path, &names, &kinds).unwrap();
        assert_eq!(
            fast.find_by_essential_names_of(&names, &kinds),
            slow.find_by_essential_names_of(&names, &kinds)
        );
        let data = std::fs::read(path).unwrap();
        let wanted = [
            (BtfKind::Struct, "bpf_prog_aux"),
            (BtfKind::Func, "bpf_iter_bpf_prog"),
        ];
        let quick = QuickTypes::find(&data, &wanted).unwrap();
        for (i, (kind, name)) in wanted.iter().enumerate() {
            let (id, ty) = quick.get(i).unwrap();
            assert_eq!(Some(id), slow.find(*kind, name));
            assert_eq!(ty, &slow.type_by_id(id).unwrap());
        }
        // `tag` sits in an anonymous union of struct bpf_prog (6.x kernels); a
        // bitfield (`jited`) has no byte offset to give.
        let wanted = [(BtfKind::Struct, "bpf_prog")];
        let quick = QuickTypes::find(&data, &wanted).unwrap();
        assert!(quick.member(0, "tag").is_some());
        assert!(quick.member(0, "aux").is_some());
        assert!(quick.member(0, "jited").is_none());
        // The same records read at their ids (walking only up to them).
        let wanted = [
            (BtfKind::Struct, "bpf_prog"),
            (BtfKind::Struct, "bpf_prog_aux"),
            (BtfKind::Func, "bpf_iter_bpf_prog"),
        ];
        let ids: Vec<Option<u32>> = wanted.iter().map(|(k, n)| slow.find(*k, n)).collect();
        let at = QuickTypes::at_ids(&data, &wanted, &ids).unwrap();
        let found = QuickTypes::find(&data, &wanted).unwrap();
        for i in 0..wanted.len() {
            assert_eq!(at.get(i), found.get(i));
        }
        for member in ["tag", "aux", "jited_len", "jited"] {
            assert_eq!(at.member(0, member), found.member(0, member), "{member}");
        }
        for member in ["id", "name", "load_time", "user", "btf"] {
            assert_eq!(at.member(1, member), found.member(1, member), "{member}");
        }
    }
}
