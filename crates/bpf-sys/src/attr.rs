//! The members of the kernel's `union bpf_attr` that rtc uses, one struct per command
//! family, laid out after `include/uapi/linux/bpf.h`. Pointer fields are `u64`
//! addresses. Every struct derives `Default`, so building one zeroes it to full size:
//! none has implicit padding (padding would not be zeroed); the tests check that.

use crate::syscall::BpfAttr;

/// `BPF_MAP_CREATE`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapCreate {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_name: [u8; 16],
    pub map_ifindex: u32,
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub map_extra: u64,
}

/// `BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM` and `BPF_MAP_GET_NEXT_KEY`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapElem {
    pub map_fd: u32,
    pub _pad: u32,
    pub key: u64,
    /// `value` for lookup/update, `next_key` for get-next-key.
    pub value_or_next_key: u64,
    pub flags: u64,
}

/// `BPF_MAP_*_BATCH` (the `batch` member of `union bpf_attr`).
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapBatch {
    pub in_batch: u64,
    pub out_batch: u64,
    pub keys: u64,
    pub values: u64,
    /// Elements the buffers hold on input, elements filled on output.
    pub count: u32,
    pub map_fd: u32,
    pub elem_flags: u64,
    pub flags: u64,
}

/// `BPF_PROG_LOAD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgLoad {
    pub prog_type: u32,
    pub insn_cnt: u32,
    pub insns: u64,
    pub license: u64,
    pub log_level: u32,
    pub log_size: u32,
    pub log_buf: u64,
    pub kern_version: u32,
    pub prog_flags: u32,
    pub prog_name: [u8; 16],
    pub prog_ifindex: u32,
    pub expected_attach_type: u32,
    pub prog_btf_fd: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub func_info_cnt: u32,
    pub line_info_rec_size: u32,
    pub line_info: u64,
    pub line_info_cnt: u32,
    pub attach_btf_id: u32,
    pub attach_prog_fd: u32,
    pub core_relo_cnt: u32,
    pub fd_array: u64,
    pub core_relos: u64,
    pub core_relo_rec_size: u32,
    /// Written by the kernel (5.2+... 6.4+): the log size the whole log needs.
    pub log_true_size: u32,
}

/// `BPF_OBJ_PIN` and `BPF_OBJ_GET`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ObjPath {
    pub pathname: u64,
    pub bpf_fd: u32,
    pub file_flags: u32,
}

/// `BPF_*_GET_FD_BY_ID` and `BPF_*_GET_NEXT_ID`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ById {
    /// `start_id`, `prog_id` or `map_id` depending on the command.
    pub id: u32,
    pub next_id: u32,
    pub open_flags: u32,
}

/// `BPF_OBJ_GET_INFO_BY_FD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct InfoByFd {
    pub bpf_fd: u32,
    pub info_len: u32,
    pub info: u64,
}

/// `BPF_BTF_LOAD`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct BtfLoad {
    pub btf: u64,
    pub btf_log_buf: u64,
    pub btf_size: u32,
    pub btf_log_size: u32,
    pub btf_log_level: u32,
    pub btf_log_true_size: u32,
}

/// `BPF_PROG_TEST_RUN` (`test` in `union bpf_attr`; `batch_size` came with 5.18).
#[repr(C)]
#[derive(Default)]
pub(crate) struct TestRun {
    pub prog_fd: u32,
    pub retval: u32,
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
    /// Explicit tail padding to the union's 8-byte alignment (zeroed by `Default`).
    pub _pad_end: u32,
}

/// `BPF_MAP_FREEZE`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapFd {
    pub map_fd: u32,
}

/// `struct bpf_prog_info`, filled by `BPF_OBJ_GET_INFO_BY_FD` on a program fd.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgInfo {
    pub prog_type: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub jited_prog_len: u32,
    pub xlated_prog_len: u32,
    pub jited_prog_insns: u64,
    pub xlated_prog_insns: u64,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub nr_map_ids: u32,
    pub map_ids: u64,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub gpl_compatible: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub nr_jited_ksyms: u32,
    pub nr_jited_func_lens: u32,
    pub jited_ksyms: u64,
    pub jited_func_lens: u64,
    pub btf_id: u32,
    pub func_info_rec_size: u32,
    pub func_info: u64,
    pub nr_func_info: u32,
    pub nr_line_info: u32,
    pub line_info: u64,
    pub jited_line_info: u64,
    pub nr_jited_line_info: u32,
    pub line_info_rec_size: u32,
    pub jited_line_info_rec_size: u32,
    pub nr_prog_tags: u32,
    pub prog_tags: u64,
    pub run_time_ns: u64,
    pub run_cnt: u64,
    pub recursion_misses: u64,
    pub verified_insns: u32,
    pub attach_btf_obj_id: u32,
    pub attach_btf_id: u32,
    /// Explicit tail padding: `Default` does not zero implicit padding, and the kernel
    /// refuses non-zero bytes it does not know.
    pub _pad_end: u32,
}

/// `struct bpf_map_info`, filled by `BPF_OBJ_GET_INFO_BY_FD` on a map fd.
#[repr(C)]
#[derive(Default)]
pub(crate) struct MapInfo {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: [u8; 16],
    pub ifindex: u32,
    pub btf_vmlinux_value_type_id: u32,
    pub netns_dev: u64,
    pub netns_ino: u64,
    pub btf_id: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_id: u32,
    pub map_extra: u64,
}

/// `BPF_PROG_ATTACH` and `BPF_PROG_DETACH` (the tcx fields came with 6.6).
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgAttach {
    /// `target_fd` or `target_ifindex`.
    pub target: u32,
    pub attach_bpf_fd: u32,
    pub attach_type: u32,
    pub attach_flags: u32,
    pub replace_bpf_fd: u32,
    /// `relative_fd` or `relative_id`.
    pub relative: u32,
    pub expected_revision: u64,
}

/// `BPF_PROG_QUERY`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct ProgQuery {
    /// `target_fd` or `target_ifindex`.
    pub target: u32,
    pub attach_type: u32,
    pub query_flags: u32,
    pub attach_flags: u32,
    pub prog_ids: u64,
    /// `prog_cnt` or `count`: in, the room in the arrays; out, how many there are.
    pub count: u32,
    pub _pad: u32,
    pub prog_attach_flags: u64,
    pub link_ids: u64,
    pub link_attach_flags: u64,
    pub revision: u64,
}

/// `BPF_LINK_CREATE`, with the tcx member of its union (`relative_fd`/`relative_id`,
/// `expected_revision`); XDP links use only the common head.
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkCreate {
    pub prog_fd: u32,
    /// `target_fd` or `target_ifindex`.
    pub target: u32,
    pub attach_type: u32,
    pub flags: u32,
    /// `tcx.relative_fd` or `tcx.relative_id`.
    pub relative: u32,
    pub _pad: u32,
    pub expected_revision: u64,
}

/// `BPF_LINK_DETACH`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkDetach {
    pub link_fd: u32,
}

/// `struct bpf_link_info`: the common head and the union as raw words (`xdp`,
/// `tcx` and `netkit` use its first two u32s: ifindex, attach_type).
#[repr(C)]
#[derive(Default)]
pub(crate) struct LinkInfo {
    pub link_type: u32,
    pub id: u32,
    pub prog_id: u32,
    pub _pad: u32,
    pub union: [u32; 16],
}

/// `struct bpf_btf_info`.
#[repr(C)]
#[derive(Default)]
pub(crate) struct BtfInfo {
    pub btf: u64,
    pub btf_size: u32,
    pub id: u32,
    pub name: u64,
    pub name_len: u32,
    pub kernel_btf: u32,
}

// SAFETY: each struct above is #[repr(C)], holds only integers and byte arrays, and
// mirrors the uapi layout of the bpf_attr member (or info struct) it is used for; the
// layout tests below pin every size.
unsafe impl BpfAttr for MapCreate {}
// SAFETY: as above.
unsafe impl BpfAttr for MapElem {}
// SAFETY: as above.
unsafe impl BpfAttr for ProgLoad {}
// SAFETY: as above.
unsafe impl BpfAttr for MapBatch {}
// SAFETY: as above.
unsafe impl BpfAttr for ObjPath {}
// SAFETY: as above.
unsafe impl BpfAttr for ById {}
// SAFETY: as above.
unsafe impl BpfAttr for InfoByFd {}
// SAFETY: as above.
unsafe impl BpfAttr for BtfLoad {}
// SAFETY: as above.
unsafe impl BpfAttr for MapFd {}
// SAFETY: as above.
unsafe impl BpfAttr for ProgAttach {}
// SAFETY: as above.
unsafe impl BpfAttr for ProgQuery {}
// SAFETY: as above.
unsafe impl BpfAttr for LinkCreate {}
// SAFETY: as above.
unsafe impl BpfAttr for LinkDetach {}
// SAFETY: as above.
unsafe impl BpfAttr for TestRun {}
// SAFETY: #[repr(C)], integers only, the head of `struct bpf_link_info` and room for
// its union (tested below).
unsafe impl crate::syscall::InfoStruct for LinkInfo {}
// SAFETY: #[repr(C)], integers only, layout of `struct bpf_prog_info` (tested below).
unsafe impl crate::syscall::InfoStruct for ProgInfo {}
// SAFETY: #[repr(C)], integers only, layout of `struct bpf_map_info` (tested below).
unsafe impl crate::syscall::InfoStruct for MapInfo {}
// SAFETY: #[repr(C)], integers only, layout of `struct bpf_btf_info` (tested below);
// `name` is an address the caller keeps valid for `name_len` bytes during the call.
unsafe impl crate::syscall::InfoStruct for BtfInfo {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_uapi() {
        assert_eq!(offset_of!(MapCreate, map_name), 28);
        assert_eq!(offset_of!(MapCreate, map_extra), 64);
        assert_eq!(size_of::<MapCreate>(), 72);
        assert_eq!(size_of::<MapElem>(), 32);
        assert_eq!(offset_of!(MapBatch, count), 32);
        assert_eq!(offset_of!(MapBatch, map_fd), 36);
        assert_eq!(offset_of!(MapBatch, flags), 48);
        assert_eq!(size_of::<MapBatch>(), 56);
        assert_eq!(offset_of!(ProgLoad, prog_name), 48);
        assert_eq!(offset_of!(ProgLoad, func_info), 80);
        assert_eq!(offset_of!(ProgLoad, fd_array), 120);
        assert_eq!(offset_of!(ProgLoad, log_true_size), 140);
        assert_eq!(size_of::<ProgLoad>(), 144);
        assert_eq!(size_of::<ObjPath>(), 16);
        assert_eq!(offset_of!(ProgInfo, name), 64);
        assert_eq!(offset_of!(ProgInfo, btf_id), 128);
        assert_eq!(offset_of!(ProgInfo, attach_btf_id), 224);
        assert_eq!(offset_of!(ProgInfo, _pad_end), 228);
        assert_eq!(size_of::<ProgInfo>(), 232);
        assert_eq!(offset_of!(MapInfo, btf_id), 64);
        assert_eq!(size_of::<MapInfo>(), 88);
        assert_eq!(offset_of!(BtfInfo, name), 16);
        assert_eq!(offset_of!(BtfInfo, kernel_btf), 28);
        assert_eq!(size_of::<BtfInfo>(), 32);
        assert_eq!(offset_of!(ProgAttach, relative), 20);
        assert_eq!(offset_of!(ProgAttach, expected_revision), 24);
        assert_eq!(size_of::<ProgAttach>(), 32);
        assert_eq!(offset_of!(ProgQuery, prog_ids), 16);
        assert_eq!(offset_of!(ProgQuery, count), 24);
        assert_eq!(offset_of!(ProgQuery, prog_attach_flags), 32);
        assert_eq!(offset_of!(ProgQuery, link_ids), 40);
        assert_eq!(offset_of!(ProgQuery, link_attach_flags), 48);
        assert_eq!(offset_of!(ProgQuery, revision), 56);
        assert_eq!(size_of::<ProgQuery>(), 64);
        assert_eq!(offset_of!(LinkCreate, relative), 16);
        assert_eq!(offset_of!(LinkCreate, expected_revision), 24);
        assert_eq!(size_of::<LinkCreate>(), 32);
        assert_eq!(offset_of!(LinkInfo, union), 16);
        assert_eq!(offset_of!(TestRun, data_in), 16);
        assert_eq!(offset_of!(TestRun, repeat), 32);
        assert_eq!(offset_of!(TestRun, ctx_in), 48);
        assert_eq!(offset_of!(TestRun, flags), 64);
        assert_eq!(offset_of!(TestRun, batch_size), 72);
        assert_eq!(size_of::<TestRun>(), 80);
    }
}
