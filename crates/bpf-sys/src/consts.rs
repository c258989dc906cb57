//! Numbers from `include/uapi/linux/bpf.h` that callers of this crate need.

/// Instruction class: load of an immediate or absolute value.
pub const BPF_LD: u8 = 0x00;
/// Instruction class: 64-bit jumps and calls.
pub const BPF_JMP: u8 = 0x05;
/// Mode: immediate operand.
pub const BPF_IMM: u8 = 0x00;
/// Size: 64-bit double word.
pub const BPF_DW: u8 = 0x18;
/// Jump operation: call.
pub const BPF_CALL: u8 = 0x80;
/// Jump operation: exit.
pub const BPF_EXIT: u8 = 0x90;

/// `ld_imm64` src_reg: imm holds a map fd.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// `ld_imm64` src_reg: imm holds a map fd, the second imm an offset into its value.
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;
/// `ld_imm64` src_reg: imm holds a BTF id of a kernel variable.
pub const BPF_PSEUDO_BTF_ID: u8 = 3;
/// `ld_imm64` src_reg: imm holds a relative offset of a subprogram.
pub const BPF_PSEUDO_FUNC: u8 = 4;
/// `call` src_reg: a bpf-to-bpf call, imm is the relative target.
pub const BPF_PSEUDO_CALL: u8 = 1;
/// `call` src_reg: a kfunc call, imm is a BTF id.
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;

/// Map update flag: create or overwrite.
pub const BPF_ANY: u64 = 0;
/// Map update flag: create only.
pub const BPF_NOEXIST: u64 = 1;
/// Map update flag: overwrite only.
pub const BPF_EXIST: u64 = 2;

/// Map flag: the program may only read the map.
pub const BPF_F_RDONLY_PROG: u32 = 1 << 7;
/// Map flag: the map value may be mmap()ed.
pub const BPF_F_MMAPABLE: u32 = 1 << 10;

/// Program types (`enum bpf_prog_type`).
pub mod prog_type {
    /// Socket filter.
    pub const SOCKET_FILTER: u32 = 1;
    /// kprobe.
    pub const KPROBE: u32 = 2;
    /// tc classifier: what `tc filter ... bpf` loads.
    pub const SCHED_CLS: u32 = 3;
    /// tc action.
    pub const SCHED_ACT: u32 = 4;
    /// Tracepoint.
    pub const TRACEPOINT: u32 = 5;
    /// XDP: what `ip link set ... xdp` loads.
    pub const XDP: u32 = 6;
    /// fentry/fexit/tp_btf programs (need an attach target).
    pub const TRACING: u32 = 26;
    /// struct_ops programs (need an attach target).
    pub const STRUCT_OPS: u32 = 27;
    /// freplace programs (need an attach target).
    pub const EXT: u32 = 28;
    /// LSM programs (need an attach target).
    pub const LSM: u32 = 29;

    /// Names as libbpf and bpftool spell them, indexed by `BPF_PROG_TYPE_*`.
    const NAMES: &[&str] = &[
        "unspec",
        "socket_filter",
        "kprobe",
        "sched_cls",
        "sched_act",
        "tracepoint",
        "xdp",
        "perf_event",
        "cgroup_skb",
        "cgroup_sock",
        "lwt_in",
        "lwt_out",
        "lwt_xmit",
        "sock_ops",
        "sk_skb",
        "cgroup_device",
        "sk_msg",
        "raw_tracepoint",
        "cgroup_sock_addr",
        "lwt_seg6local",
        "lirc_mode2",
        "sk_reuseport",
        "flow_dissector",
        "cgroup_sysctl",
        "raw_tracepoint_writable",
        "cgroup_sockopt",
        "tracing",
        "struct_ops",
        "ext",
        "lsm",
        "sk_lookup",
        "syscall",
    ];

    /// The name libbpf and bpftool use for a program type (`sched_cls`), if known.
    pub fn name(prog_type: u32) -> Option<&'static str> {
        NAMES.get(prog_type as usize).copied()
    }
}

/// Map types (`enum bpf_map_type`).
pub mod map_type {
    /// Hash table.
    pub const HASH: u32 = 1;
    /// Array.
    pub const ARRAY: u32 = 2;
    /// Array of program fds, for tail calls.
    pub const PROG_ARRAY: u32 = 3;
    /// Perf event output.
    pub const PERF_EVENT_ARRAY: u32 = 4;
    /// Per-CPU hash table.
    pub const PERCPU_HASH: u32 = 5;
    /// Per-CPU array.
    pub const PERCPU_ARRAY: u32 = 6;
    /// Stack trace storage.
    pub const STACK_TRACE: u32 = 7;
    /// cgroup array.
    pub const CGROUP_ARRAY: u32 = 8;
    /// LRU hash table.
    pub const LRU_HASH: u32 = 9;
    /// Per-CPU LRU hash table.
    pub const LRU_PERCPU_HASH: u32 = 10;
    /// Longest-prefix-match trie.
    pub const LPM_TRIE: u32 = 11;
    /// Array of maps.
    pub const ARRAY_OF_MAPS: u32 = 12;
    /// Hash of maps.
    pub const HASH_OF_MAPS: u32 = 13;
    /// Per-CPU cgroup storage.
    pub const PERCPU_CGROUP_STORAGE: u32 = 21;
    /// Ring buffer.
    pub const RINGBUF: u32 = 27;

    /// Names as libbpf and bpftool spell them, indexed by `BPF_MAP_TYPE_*`.
    const NAMES: &[&str] = &[
        "unspec",
        "hash",
        "array",
        "prog_array",
        "perf_event_array",
        "percpu_hash",
        "percpu_array",
        "stack_trace",
        "cgroup_array",
        "lru_hash",
        "lru_percpu_hash",
        "lpm_trie",
        "array_of_maps",
        "hash_of_maps",
        "devmap",
        "sockmap",
        "cpumap",
        "xskmap",
        "sockhash",
        "cgroup_storage",
        "reuseport_sockarray",
        "percpu_cgroup_storage",
        "queue",
        "stack",
        "sk_storage",
        "devmap_hash",
        "struct_ops",
        "ringbuf",
        "inode_storage",
        "task_storage",
        "bloom_filter",
        "user_ringbuf",
        "cgrp_storage",
        "arena",
    ];

    /// The name libbpf and bpftool use for a map type (`percpu_array`), if known.
    pub fn name(map_type: u32) -> Option<&'static str> {
        NAMES.get(map_type as usize).copied()
    }

    /// True for map types whose values are stored once per possible CPU.
    pub fn is_per_cpu(map_type: u32) -> bool {
        matches!(
            map_type,
            PERCPU_HASH | PERCPU_ARRAY | LRU_PERCPU_HASH | 15 | 21
        )
    }
}

/// Program load flag (`prog_flags`): the XDP program handles multi-buffer (fragmented)
/// packets; libbpf sets it for `xdp.frags` sections, and the kernel needs it to attach
/// XDP to a device whose MTU is larger than one page holds.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// Attach flag: replace the program given by `replace_bpf_fd` (or by an fd for tcx).
pub const BPF_F_REPLACE: u32 = 1 << 2;
/// Attach flag (multi-program hooks such as tcx): place the program before the
/// relative one, or first when there is none.
pub const BPF_F_BEFORE: u32 = 1 << 3;
/// Attach flag (multi-program hooks): place the program after the relative one, or
/// last when there is none.
pub const BPF_F_AFTER: u32 = 1 << 4;
/// Attach flag: the relative object is given by id, not by fd.
pub const BPF_F_ID: u32 = 1 << 5;
/// Attach flag: the relative object is a link, not a program.
pub const BPF_F_LINK: u32 = 1 << 13;

/// Attach types (`enum bpf_attach_type`) that rtc uses.
pub mod attach_type {
    /// A BPF iterator (`BPF_TRACE_ITER`): a tracing program run once per kernel object
    /// of some kind when its iterator fd is read.
    pub const TRACE_ITER: u32 = 28;
    /// Program of a devmap entry (`xdp/devmap` sections).
    pub const XDP_DEVMAP: u32 = 33;
    /// Program of a cpumap entry (`xdp/cpumap` sections).
    pub const XDP_CPUMAP: u32 = 35;
    /// XDP on a device, for `BPF_LINK_CREATE`.
    pub const XDP: u32 = 37;
    /// tcx ingress hook (kernel 6.6+).
    pub const TCX_INGRESS: u32 = 46;
    /// tcx egress hook (kernel 6.6+).
    pub const TCX_EGRESS: u32 = 47;
    /// netkit primary device (kernel 6.7+).
    pub const NETKIT_PRIMARY: u32 = 53;
    /// netkit peer device (kernel 6.7+).
    pub const NETKIT_PEER: u32 = 54;

    /// The name bpftool prints for an attach type rtc knows (`tcx_ingress`).
    pub fn name(attach_type: u32) -> Option<&'static str> {
        Some(match attach_type {
            XDP_DEVMAP => "xdp_devmap",
            XDP_CPUMAP => "xdp_cpumap",
            XDP => "xdp",
            TCX_INGRESS => "tcx_ingress",
            TCX_EGRESS => "tcx_egress",
            NETKIT_PRIMARY => "netkit_primary",
            NETKIT_PEER => "netkit_peer",
            _ => return None,
        })
    }
}

/// Link types (`enum bpf_link_type`).
pub mod link_type {
    /// An XDP link.
    pub const XDP: u32 = 6;
    /// A tcx link.
    pub const TCX: u32 = 11;
    /// A netkit link.
    pub const NETKIT: u32 = 13;

    /// Names as libbpf and bpftool spell them, indexed by `BPF_LINK_TYPE_*`.
    const NAMES: &[&str] = &[
        "unspec",
        "raw_tracepoint",
        "tracing",
        "cgroup",
        "iter",
        "netns",
        "xdp",
        "perf_event",
        "kprobe_multi",
        "struct_ops",
        "netfilter",
        "tcx",
        "uprobe_multi",
        "netkit",
        "sockmap",
    ];

    /// The name libbpf and bpftool use for a link type (`tcx`), if known.
    pub fn name(link_type: u32) -> Option<&'static str> {
        NAMES.get(link_type as usize).copied()
    }
}
