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
use crate::btf::{BtfKind, Layout};
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
    let mut pairs: Vec<[u8; 2]> = Vec::new();
    for name in names {
        match name.as_bytes() {
            [a, b, ..] => {
                if !pairs.contains(&[*a, *b]) {
                    pairs.push([*a, *b]);
                }
            }
            // A name too short for the block test: look at every string.
            _ => return string_offsets_each(strings, names, 0, strings.len()),
        }
    }
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
        let hit = pairs.iter().any(|&[a, b]| {
            nul.iter()
                .zip(first)
                .zip(second)
                .fold(false, |any, ((&z, &x), &y)| {
                    any | ((z == 0) & (x == a) & (y == b))
                })
        });
        if hit {
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
        .filter(|(_, name)| has_essential_name(text, name.as_bytes()))
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
        for names in [&["btf", "bpf_prog", "bp"][..], &["b", "btf"][..]] {
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
    }
}
