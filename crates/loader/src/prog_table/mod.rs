//! Every loaded program's id, name, tag, JIT state, load time, creator and BTF id in
//! one read, through a BPF iterator over programs, instead of three system calls per
//! program (`BPF_PROG_GET_FD_BY_ID`, `BPF_OBJ_GET_INFO_BY_FD`, `close`).
//!
//! [`ProgTable::read`] looks up a handful of struct layouts in the running kernel's
//! BTF (their type ids asked of the kernel itself through a tiny syscall program
//! where it can run one, so that only the start of the BTF is read), assembles a
//! small iterator program for them, loads it (`BPF_PROG_TYPE_TRACING`, attach type
//! `BPF_TRACE_ITER`), links it and reads the records it writes for every program. It
//! costs a fixed amount (the BTF look-up, two programs loaded) and then next to
//! nothing per program, so it pays where many programs are looked up; for a few,
//! `bpf_sys::prog_info` per program is cheaper.
//!
//! It needs kernel BTF and the privilege to load tracing programs (CAP_BPF and
//! CAP_PERFMON, or CAP_SYS_ADMIN); without them, or on a kernel whose structs lack a
//! field it reads, it fails with an error that says which, and the caller falls back
//! to the per-program calls.

mod asm;
mod layout;
mod oracle;
mod program;

use std::io::Read;
use std::os::fd::AsFd;
use std::path::Path;

use bpf_sys::consts::{attach_type, prog_type};
use elf_loader::btf::TargetBtf;

use layout::Layout;
use program::{AT_BTF_ID, AT_ID, AT_JITED_LEN, AT_LOAD_TIME, AT_NAME, AT_TAG, AT_UID, RECORD_SIZE};

/// Bytes asked for per read of the iterator.
const READ_CHUNK: usize = 64 * 1024;

/// The name the iterator program is loaded under (it shows in `bpftool prog` while
/// a read is under way).
pub const ITER_PROG_NAME: &str = "rtc_prog_iter";

/// One loaded program, as the program iterator reports it: the fields of
/// `struct bpf_prog_info` that `tc filter show` and `bpftool prog show` print.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProgEntry {
    /// Kernel-wide program id.
    pub id: u32,
    /// The program name as the kernel keeps it: up to 15 bytes, NUL-padded
    /// (see [`ProgEntry::name`]).
    pub name_bytes: [u8; 16],
    /// The program tag (a hash of its instructions).
    pub tag: [u8; 8],
    /// Whether it was JIT-compiled (the kernel's `jited_prog_len` is not 0).
    pub jited: bool,
    /// Load time in nanoseconds since boot.
    pub load_time: u64,
    /// uid of the loader (as the initial user namespace sees it).
    pub created_by_uid: u32,
    /// Id of the program's BTF, 0 if none.
    pub btf_id: u32,
}

impl ProgEntry {
    /// The program name as text (what `bpf_sys::ProgInfo::name` holds).
    pub fn name(&self) -> String {
        let end = self
            .name_bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.name_bytes.len());
        String::from_utf8_lossy(self.name_bytes.get(..end).unwrap_or_default()).into_owned()
    }

    /// Decodes one record as the iterator program writes it (host byte order).
    fn from_record(record: &[u8]) -> Option<ProgEntry> {
        let u32_at = |at: usize| -> Option<u32> {
            Some(u32::from_ne_bytes(record.get(at..at + 4)?.try_into().ok()?))
        };
        let bytes_at = |at: usize, len: usize| record.get(at..at + len);
        Some(ProgEntry {
            id: u32_at(AT_ID)?,
            jited: u32_at(AT_JITED_LEN)? != 0,
            tag: bytes_at(AT_TAG, 8)?.try_into().ok()?,
            name_bytes: bytes_at(AT_NAME, 16)?.try_into().ok()?,
            load_time: u64::from_ne_bytes(bytes_at(AT_LOAD_TIME, 8)?.try_into().ok()?),
            created_by_uid: u32_at(AT_UID)?,
            btf_id: u32_at(AT_BTF_ID)?,
        })
    }
}

/// Why the program table could not be read; the caller's cue to fall back to
/// per-program `BPF_OBJ_GET_INFO_BY_FD`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProgTableError {
    /// The kernel's BTF could not be read.
    #[error("cannot read the kernel's BTF")]
    Btf(#[source] elf_loader::BtfError),
    /// The kernel's BTF lacks a type the iterator needs (an older kernel).
    #[error("the kernel's BTF has no {kind} {name}")]
    MissingType {
        /// "struct" or "function".
        kind: &'static str,
        /// The type's name.
        name: &'static str,
    },
    /// A struct lacks a member the iterator reads, or it is not what is expected.
    #[error("struct {ty} of the kernel's BTF has no usable member {member}: {reason}")]
    MissingMember {
        /// The struct.
        ty: &'static str,
        /// The member.
        member: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A bpf(2) step failed: asking the kernel for BTF type ids (loading or running
    /// that program), loading the iterator program (the verifier log is in the
    /// source), linking it or starting a pass.
    #[error("the kernel refused the program iterator ({step})")]
    Kernel {
        /// "btf ids load", "btf ids run", "btf ids" (names it cannot ask for),
        /// "load", "link" or "create".
        step: &'static str,
        /// What bpf(2) said.
        #[source]
        source: bpf_sys::Error,
    },
    /// Reading the iterator failed.
    #[error("cannot read the program iterator")]
    Read(#[source] std::io::Error),
    /// The iterator's output is not whole records.
    #[error("the program iterator returned {len} bytes, not whole {RECORD_SIZE}-byte records")]
    Truncated {
        /// Bytes read.
        len: usize,
    },
}

/// The programs loaded at the time of the read, by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProgTable {
    /// Sorted by id, one entry per id, in blocks of at most [`BLOCK`] entries.
    blocks: Vec<Vec<ProgEntry>>,
}

/// Entries per block of a [`ProgTable`]. A table grows a block at a time, so its
/// peak memory is its size: one growing `Vec` would double and copy, holding old and
/// new buffers at once (~1.5 times the table, ~400 KiB more at 10,000 programs).
const BLOCK: usize = 512;

/// Entries gathered block by block as the iterator's reads arrive.
#[derive(Default)]
struct Blocks(Vec<Vec<ProgEntry>>);

impl Blocks {
    fn push(&mut self, entry: ProgEntry) {
        match self.0.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(entry),
            _ => {
                let mut block = Vec::with_capacity(BLOCK);
                block.push(entry);
                self.0.push(block);
            }
        }
    }

    fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
}

impl Extend<ProgEntry> for Blocks {
    fn extend<I: IntoIterator<Item = ProgEntry>>(&mut self, entries: I) {
        for entry in entries {
            self.push(entry);
        }
    }
}

impl ProgTable {
    /// Reads every loaded program through an iterator, with the layouts from the
    /// running kernel's BTF (`/sys/kernel/btf/vmlinux`): only the few types needed are
    /// looked at ([`QuickTypes`](elf_loader::btf::QuickTypes)); where that cannot
    /// tell, the BTF is indexed whole and each member's size checked too.
    pub fn read() -> Result<ProgTable, ProgTableError> {
        ProgTable::read_from(0)
    }

    /// [`ProgTable::read`], keeping only programs whose id is `first_id` or more
    /// (the kernel still walks them all; the rest cost no record and no memory).
    pub fn read_from(first_id: u32) -> Result<ProgTable, ProgTableError> {
        let path = Path::new(elf_loader::btf::target::VMLINUX_BTF);
        // The kernel's type ids first (a short walk of the BTF), else the names looked
        // for in the BTF, else the BTF indexed whole.
        let read =
            |data: &[u8]| Layout::read_with_kernel_ids(data).or_else(|_| Layout::read_quick(data));
        let quick = match bpf_sys::MappedKernelFile::open(path) {
            Ok(mapped) => read(&mapped),
            Err(_) => std::fs::read(path)
                .map_err(|e| {
                    ProgTableError::Btf(elf_loader::BtfError::File {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })
                })
                .and_then(|bytes| read(&bytes)),
        };
        let layout = match quick {
            Ok(layout) => layout,
            Err(_) => {
                let btf = TargetBtf::from_file_names_first(path, layout::NAMES, layout::KINDS)
                    .map_err(ProgTableError::Btf)?;
                Layout::read(&btf)?
            }
        };
        ProgTable::read_with_layout(&layout, first_id)
    }

    /// [`ProgTable::read`] with the kernel's BTF already at hand (it must be the
    /// running kernel's).
    pub fn read_with_btf(btf: &TargetBtf) -> Result<ProgTable, ProgTableError> {
        ProgTable::read_with_layout(&Layout::read(btf)?, 0)
    }

    /// Loads the iterator program for `layout`, links it and reads one pass.
    fn read_with_layout(layout: &Layout, first_id: u32) -> Result<ProgTable, ProgTableError> {
        let insns = program::instructions(layout, first_id);
        let attr = bpf_sys::ProgLoadAttr {
            prog_type: prog_type::TRACING,
            expected_attach_type: attach_type::TRACE_ITER,
            attach_btf_id: layout.attach_btf_id,
            insns: &insns,
            license: "GPL",
            name: ITER_PROG_NAME,
            ..Default::default()
        };
        let kernel = |step| move |source| ProgTableError::Kernel { step, source };
        let prog = bpf_sys::prog_load(&attr).map_err(kernel("load"))?;
        let link = bpf_sys::iter_link_create(prog.fd.as_fd()).map_err(kernel("link"))?;
        drop(prog);
        let mut reader = bpf_sys::iter_create(link.as_fd()).map_err(kernel("create"))?;
        // Reads as large as the kernel's seq_file buffer (up to 8 pages) fills; each
        // is decoded at once, so the raw records never pile up beside the table.
        let mut entries = Blocks::default();
        let mut chunk = vec![0u8; READ_CHUNK];
        // Bytes of a record cut by the end of a read (the kernel writes whole
        // records, but nothing here relies on it).
        let mut partial: Vec<u8> = Vec::new();
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ProgTableError::Read(e)),
            };
            if n == 0 {
                break;
            }
            let mut bytes = chunk.get(..n).unwrap_or_default();
            if !partial.is_empty() {
                let wanted = RECORD_SIZE - partial.len();
                let (head, rest) = bytes.split_at(wanted.min(bytes.len()));
                partial.extend_from_slice(head);
                bytes = rest;
                if partial.len() == RECORD_SIZE {
                    entries.extend(ProgEntry::from_record(&partial));
                    partial.clear();
                }
            }
            let records = bytes.chunks_exact(RECORD_SIZE);
            partial.extend_from_slice(records.remainder());
            entries.extend(records.filter_map(ProgEntry::from_record));
        }
        if !partial.is_empty() {
            return Err(ProgTableError::Truncated {
                len: entries.len() * RECORD_SIZE + partial.len(),
            });
        }
        Ok(ProgTable::from_entries(entries))
    }

    /// Decodes the iterator's output: whole records.
    #[cfg(test)]
    fn from_records(bytes: &[u8]) -> Result<ProgTable, ProgTableError> {
        if bytes.len() % RECORD_SIZE != 0 {
            return Err(ProgTableError::Truncated { len: bytes.len() });
        }
        let mut entries = Blocks::default();
        entries.extend(
            bytes
                .chunks_exact(RECORD_SIZE)
                .filter_map(ProgEntry::from_record),
        );
        Ok(ProgTable::from_entries(entries))
    }

    /// The table of these entries, sorted by id (the kernel walks programs in id
    /// order, so this is a check; out of order, they are sorted), one per id.
    fn from_entries(entries: Blocks) -> ProgTable {
        let mut previous = None;
        let ascending = entries.0.iter().flatten().all(|e| {
            let ok = previous.is_none_or(|p| p < e.id);
            previous = Some(e.id);
            ok
        });
        if ascending {
            return ProgTable { blocks: entries.0 };
        }
        let mut all: Vec<ProgEntry> = entries.0.into_iter().flatten().collect();
        all.sort_by_key(|e| e.id);
        all.dedup_by_key(|e| e.id);
        ProgTable {
            blocks: all.chunks(BLOCK).map(<[ProgEntry]>::to_vec).collect(),
        }
    }

    /// The program with this id, if it was loaded at the time of the read.
    pub fn get(&self, id: u32) -> Option<&ProgEntry> {
        // The first block whose last id is not below `id`.
        let at = self
            .blocks
            .partition_point(|block| block.last().is_some_and(|e| e.id < id));
        let block = self.blocks.get(at)?;
        block
            .binary_search_by_key(&id, |e| e.id)
            .ok()
            .and_then(|i| block.get(i))
    }

    /// Every program, by id.
    pub fn entries(&self) -> impl Iterator<Item = &ProgEntry> {
        self.blocks.iter().flatten()
    }

    /// How many programs the table holds.
    pub fn len(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }

    /// Whether the table holds no program.
    pub fn is_empty(&self) -> bool {
        self.blocks.iter().all(Vec::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u32, name: &[u8]) -> Vec<u8> {
        let mut r = vec![0u8; RECORD_SIZE];
        r[AT_ID..AT_ID + 4].copy_from_slice(&id.to_ne_bytes());
        r[AT_JITED_LEN..AT_JITED_LEN + 4].copy_from_slice(&7u32.to_ne_bytes());
        r[AT_TAG..AT_TAG + 8].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        r[AT_NAME..AT_NAME + name.len()].copy_from_slice(name);
        r[AT_LOAD_TIME..AT_LOAD_TIME + 8].copy_from_slice(&99u64.to_ne_bytes());
        r[AT_UID..AT_UID + 4].copy_from_slice(&1000u32.to_ne_bytes());
        r[AT_BTF_ID..AT_BTF_ID + 4].copy_from_slice(&5u32.to_ne_bytes());
        r
    }

    #[test]
    fn decodes_records_and_finds_by_id() {
        let mut bytes = record(9, b"second");
        bytes.extend(record(3, b"first_of_fifteen"));
        let table = ProgTable::from_records(&bytes).unwrap();
        assert_eq!(table.len(), 2);
        let first = table.get(3).unwrap();
        // A name field without NUL (16 bytes) is still read whole, never past it.
        assert_eq!(first.name(), "first_of_fifteen");
        assert_eq!(first.tag, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(first.jited);
        assert_eq!(
            (first.load_time, first.created_by_uid, first.btf_id),
            (99, 1000, 5)
        );
        assert_eq!(table.get(9).unwrap().name(), "second");
        assert!(table.get(4).is_none());
    }

    #[test]
    fn finds_ids_across_blocks_in_any_order() {
        // More than two blocks, ascending as the kernel writes them, then shuffled
        // (descending, one id twice): every id is found, absent ones are not.
        let ids: Vec<u32> = (0..(2 * BLOCK as u32 + 7)).map(|i| 10 + 3 * i).collect();
        let ascending: Vec<u8> = ids.iter().flat_map(|&id| record(id, b"p")).collect();
        let mut shuffled: Vec<u8> = ids.iter().rev().flat_map(|&id| record(id, b"p")).collect();
        shuffled.extend(record(ids[5], b"p"));
        for bytes in [ascending, shuffled] {
            let table = ProgTable::from_records(&bytes).unwrap();
            assert_eq!(table.len(), ids.len());
            assert!(
                ids.iter()
                    .all(|&id| table.get(id).is_some_and(|e| e.id == id))
            );
            assert!(ids.iter().all(|&id| table.get(id + 1).is_none()));
            assert!(table.get(0).is_none() && table.get(u32::MAX).is_none());
            let listed: Vec<u32> = table.entries().map(|e| e.id).collect();
            assert_eq!(listed, ids);
        }
    }

    #[test]
    fn refuses_partial_records() {
        for len in [1, RECORD_SIZE - 1, RECORD_SIZE + 1] {
            assert!(matches!(
                ProgTable::from_records(&vec![0u8; len]),
                Err(ProgTableError::Truncated { .. })
            ));
        }
        assert!(ProgTable::from_records(&[]).unwrap().is_empty());
    }
}
