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
    /// No type: the kernel refuses it.
    pub const UNSPEC: u32 = 0;
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
    /// perf event.
    pub const PERF_EVENT: u32 = 7;
    /// cgroup socket buffer filter.
    pub const CGROUP_SKB: u32 = 8;
    /// cgroup socket creation.
    pub const CGROUP_SOCK: u32 = 9;
    /// Lightweight tunnel, input (`ip route ... encap bpf in`).
    pub const LWT_IN: u32 = 10;
    /// Lightweight tunnel, output.
    pub const LWT_OUT: u32 = 11;
    /// Lightweight tunnel, transmit.
    pub const LWT_XMIT: u32 = 12;
    /// Socket operations.
    pub const SOCK_OPS: u32 = 13;
    /// Socket-map skb verdicts.
    pub const SK_SKB: u32 = 14;
    /// cgroup device access.
    pub const CGROUP_DEVICE: u32 = 15;
    /// Socket-map message verdicts.
    pub const SK_MSG: u32 = 16;
    /// Raw tracepoint.
    pub const RAW_TRACEPOINT: u32 = 17;
    /// cgroup socket address hooks.
    pub const CGROUP_SOCK_ADDR: u32 = 18;
    /// Lightweight tunnel, SRv6 local action.
    pub const LWT_SEG6LOCAL: u32 = 19;
    /// Infrared decoder.
    pub const LIRC_MODE2: u32 = 20;
    /// `SO_REUSEPORT` socket selection.
    pub const SK_REUSEPORT: u32 = 21;
    /// Flow dissector.
    pub const FLOW_DISSECTOR: u32 = 22;
    /// cgroup sysctl access.
    pub const CGROUP_SYSCTL: u32 = 23;
    /// Writable raw tracepoint.
    pub const RAW_TRACEPOINT_WRITABLE: u32 = 24;
    /// cgroup socket options.
    pub const CGROUP_SOCKOPT: u32 = 25;
    /// fentry/fexit/tp_btf programs (need an attach target).
    pub const TRACING: u32 = 26;
    /// struct_ops programs (need an attach target).
    pub const STRUCT_OPS: u32 = 27;
    /// freplace programs (need an attach target).
    pub const EXT: u32 = 28;
    /// LSM programs (need an attach target).
    pub const LSM: u32 = 29;
    /// Socket lookup.
    pub const SK_LOOKUP: u32 = 30;
    /// Programs run by `BPF_PROG_TEST_RUN` that may call syscalls.
    pub const SYSCALL: u32 = 31;

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

    /// The highest program type [`name`] knows.
    pub const KNOWN: u32 = NAMES.len() as u32 - 1;

    /// The name libbpf and bpftool use for a program type (`sched_cls`), if known.
    pub fn name(prog_type: u32) -> Option<&'static str> {
        NAMES.get(prog_type as usize).copied()
    }
}

/// Map types (`enum bpf_map_type`).
pub mod map_type {
    /// No type: the kernel refuses it.
    pub const UNSPEC: u32 = 0;
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
    /// Devices, for XDP redirects.
    pub const DEVMAP: u32 = 14;
    /// Sockets, for redirects.
    pub const SOCKMAP: u32 = 15;
    /// CPUs, for XDP redirects.
    pub const CPUMAP: u32 = 16;
    /// AF_XDP sockets.
    pub const XSKMAP: u32 = 17;
    /// Sockets by key.
    pub const SOCKHASH: u32 = 18;
    /// cgroup storage (deprecated form).
    pub const CGROUP_STORAGE: u32 = 19;
    /// `SO_REUSEPORT` socket array.
    pub const REUSEPORT_SOCKARRAY: u32 = 20;
    /// Per-CPU cgroup storage.
    pub const PERCPU_CGROUP_STORAGE: u32 = 21;
    /// FIFO queue (no key).
    pub const QUEUE: u32 = 22;
    /// LIFO stack (no key).
    pub const STACK: u32 = 23;
    /// Socket-local storage.
    pub const SK_STORAGE: u32 = 24;
    /// Devices by key, for XDP redirects.
    pub const DEVMAP_HASH: u32 = 25;
    /// struct_ops.
    pub const STRUCT_OPS: u32 = 26;
    /// Ring buffer.
    pub const RINGBUF: u32 = 27;
    /// Inode-local storage.
    pub const INODE_STORAGE: u32 = 28;
    /// Task-local storage.
    pub const TASK_STORAGE: u32 = 29;
    /// Bloom filter.
    pub const BLOOM_FILTER: u32 = 30;
    /// User-space-producer ring buffer.
    pub const USER_RINGBUF: u32 = 31;
    /// cgroup-local storage.
    pub const CGRP_STORAGE: u32 = 32;
    /// Memory arena shared with user space.
    pub const ARENA: u32 = 33;

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
            PERCPU_HASH | PERCPU_ARRAY | LRU_PERCPU_HASH | PERCPU_CGROUP_STORAGE
        )
    }

    /// True for the map types whose values are other maps (`ARRAY_OF_MAPS`,
    /// `HASH_OF_MAPS`).
    pub fn is_map_in_map(map_type: u32) -> bool {
        matches!(map_type, ARRAY_OF_MAPS | HASH_OF_MAPS)
    }
}

/// Program load flag (`prog_flags`): the XDP program handles multi-buffer (fragmented)
/// packets; libbpf sets it for `xdp.frags` sections, and the kernel needs it to attach
/// XDP to a device whose MTU is larger than one page holds.
pub const BPF_F_XDP_HAS_FRAGS: u32 = 1 << 5;

/// Program load flag (`prog_flags`): the program may sleep. Tracing, LSM and iterator
/// programs may ask for it; `BPF_PROG_TYPE_SYSCALL` programs must.
pub const BPF_F_SLEEPABLE: u32 = 1 << 4;

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

#[cfg(test)]
mod tests {
    use super::{map_type, prog_type};

    /// Each constant sits at its name in the (separately written) name table, so a
    /// number off by one shows here.
    #[test]
    fn constants_agree_with_the_name_tables() {
        for (value, name) in [
            (prog_type::SOCKET_FILTER, "socket_filter"),
            (prog_type::SCHED_CLS, "sched_cls"),
            (prog_type::XDP, "xdp"),
            (prog_type::LWT_IN, "lwt_in"),
            (prog_type::LWT_XMIT, "lwt_xmit"),
            (prog_type::CGROUP_SOCK_ADDR, "cgroup_sock_addr"),
            (prog_type::LWT_SEG6LOCAL, "lwt_seg6local"),
            (prog_type::TRACING, "tracing"),
            (prog_type::LSM, "lsm"),
            (prog_type::SYSCALL, "syscall"),
        ] {
            assert_eq!(prog_type::name(value), Some(name), "prog type {value}");
        }
        for (value, name) in [
            (map_type::PROG_ARRAY, "prog_array"),
            (map_type::HASH_OF_MAPS, "hash_of_maps"),
            (map_type::SOCKMAP, "sockmap"),
            (map_type::PERCPU_CGROUP_STORAGE, "percpu_cgroup_storage"),
            (map_type::QUEUE, "queue"),
            (map_type::DEVMAP_HASH, "devmap_hash"),
            (map_type::STRUCT_OPS, "struct_ops"),
            (map_type::ARENA, "arena"),
        ] {
            assert_eq!(map_type::name(value), Some(name), "map type {value}");
        }
    }

    #[test]
    fn per_cpu_maps_are_the_four_percpu_types() {
        let per_cpu: Vec<u32> = (0..=map_type::ARENA)
            .filter(|&t| map_type::is_per_cpu(t))
            .collect();
        assert_eq!(
            per_cpu,
            [
                map_type::PERCPU_HASH,
                map_type::PERCPU_ARRAY,
                map_type::LRU_PERCPU_HASH,
                map_type::PERCPU_CGROUP_STORAGE
            ]
        );
        for t in 0..=map_type::ARENA {
            let name = map_type::name(t).unwrap();
            assert_eq!(map_type::is_per_cpu(t), name.contains("percpu"), "{name}");
        }
    }
}
