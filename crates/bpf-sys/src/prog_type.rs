//! [`ProgType`]: a program type as a value that cannot be `BPF_PROG_TYPE_UNSPEC`.

use std::fmt;

use crate::consts::prog_type;

/// What kind of program the kernel is asked to load (`enum bpf_prog_type`), which
/// decides its context, its helpers and where it can be attached.
///
/// Never `BPF_PROG_TYPE_UNSPEC` (0), which the kernel refuses with a misleading
/// verifier error: the named constants cover the kernel's types, and
/// [`ProgType::from_raw`] takes any other non-zero number (for types newer than
/// this crate).
///
/// ```
/// use bpf_sys::ProgType;
/// assert_eq!(ProgType::SCHED_CLS.raw(), 3);
/// assert_eq!(ProgType::from_name("xdp"), Some(ProgType::XDP));
/// assert_eq!(ProgType::from_raw(0), None);
/// assert_eq!(ProgType::XDP.to_string(), "xdp");
/// assert_eq!(ProgType::from_raw(9999).unwrap().to_string(), "type 9999");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProgType(u32);

impl ProgType {
    /// Socket filter (`BPF_PROG_TYPE_SOCKET_FILTER`).
    pub const SOCKET_FILTER: ProgType = ProgType(prog_type::SOCKET_FILTER);
    /// kprobe (`BPF_PROG_TYPE_KPROBE`).
    pub const KPROBE: ProgType = ProgType(prog_type::KPROBE);
    /// tc classifier (`BPF_PROG_TYPE_SCHED_CLS`): cls_bpf filters and tcx.
    pub const SCHED_CLS: ProgType = ProgType(prog_type::SCHED_CLS);
    /// tc action (`BPF_PROG_TYPE_SCHED_ACT`).
    pub const SCHED_ACT: ProgType = ProgType(prog_type::SCHED_ACT);
    /// Tracepoint (`BPF_PROG_TYPE_TRACEPOINT`).
    pub const TRACEPOINT: ProgType = ProgType(prog_type::TRACEPOINT);
    /// XDP (`BPF_PROG_TYPE_XDP`): a device's XDP hook.
    pub const XDP: ProgType = ProgType(prog_type::XDP);
    /// Perf event (`BPF_PROG_TYPE_PERF_EVENT`).
    pub const PERF_EVENT: ProgType = ProgType(7);
    /// cgroup skb (`BPF_PROG_TYPE_CGROUP_SKB`).
    pub const CGROUP_SKB: ProgType = ProgType(8);
    /// cgroup sock (`BPF_PROG_TYPE_CGROUP_SOCK`).
    pub const CGROUP_SOCK: ProgType = ProgType(9);
    /// Lightweight tunnel input (`BPF_PROG_TYPE_LWT_IN`).
    pub const LWT_IN: ProgType = ProgType(prog_type::LWT_IN);
    /// Lightweight tunnel output (`BPF_PROG_TYPE_LWT_OUT`).
    pub const LWT_OUT: ProgType = ProgType(prog_type::LWT_OUT);
    /// Lightweight tunnel transmit (`BPF_PROG_TYPE_LWT_XMIT`).
    pub const LWT_XMIT: ProgType = ProgType(prog_type::LWT_XMIT);
    /// Socket operations (`BPF_PROG_TYPE_SOCK_OPS`).
    pub const SOCK_OPS: ProgType = ProgType(13);
    /// sk_skb (`BPF_PROG_TYPE_SK_SKB`).
    pub const SK_SKB: ProgType = ProgType(14);
    /// cgroup device (`BPF_PROG_TYPE_CGROUP_DEVICE`).
    pub const CGROUP_DEVICE: ProgType = ProgType(15);
    /// sk_msg (`BPF_PROG_TYPE_SK_MSG`).
    pub const SK_MSG: ProgType = ProgType(16);
    /// Raw tracepoint (`BPF_PROG_TYPE_RAW_TRACEPOINT`).
    pub const RAW_TRACEPOINT: ProgType = ProgType(17);
    /// cgroup sock_addr (`BPF_PROG_TYPE_CGROUP_SOCK_ADDR`).
    pub const CGROUP_SOCK_ADDR: ProgType = ProgType(18);
    /// seg6local lightweight tunnel (`BPF_PROG_TYPE_LWT_SEG6LOCAL`).
    pub const LWT_SEG6LOCAL: ProgType = ProgType(prog_type::LWT_SEG6LOCAL);
    /// LIRC mode2 (`BPF_PROG_TYPE_LIRC_MODE2`).
    pub const LIRC_MODE2: ProgType = ProgType(20);
    /// sk_reuseport (`BPF_PROG_TYPE_SK_REUSEPORT`).
    pub const SK_REUSEPORT: ProgType = ProgType(21);
    /// Flow dissector (`BPF_PROG_TYPE_FLOW_DISSECTOR`).
    pub const FLOW_DISSECTOR: ProgType = ProgType(22);
    /// cgroup sysctl (`BPF_PROG_TYPE_CGROUP_SYSCTL`).
    pub const CGROUP_SYSCTL: ProgType = ProgType(23);
    /// Writable raw tracepoint (`BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE`).
    pub const RAW_TRACEPOINT_WRITABLE: ProgType = ProgType(24);
    /// cgroup sockopt (`BPF_PROG_TYPE_CGROUP_SOCKOPT`).
    pub const CGROUP_SOCKOPT: ProgType = ProgType(25);
    /// fentry/fexit/tp_btf (`BPF_PROG_TYPE_TRACING`; needs an attach target).
    pub const TRACING: ProgType = ProgType(prog_type::TRACING);
    /// struct_ops (`BPF_PROG_TYPE_STRUCT_OPS`; needs an attach target).
    pub const STRUCT_OPS: ProgType = ProgType(prog_type::STRUCT_OPS);
    /// freplace (`BPF_PROG_TYPE_EXT`; needs an attach target).
    pub const EXT: ProgType = ProgType(prog_type::EXT);
    /// LSM (`BPF_PROG_TYPE_LSM`; needs an attach target).
    pub const LSM: ProgType = ProgType(prog_type::LSM);
    /// sk_lookup (`BPF_PROG_TYPE_SK_LOOKUP`).
    pub const SK_LOOKUP: ProgType = ProgType(30);
    /// Syscall (`BPF_PROG_TYPE_SYSCALL`).
    pub const SYSCALL: ProgType = ProgType(31);

    /// The type numbered `raw`, or `None` for 0 (`BPF_PROG_TYPE_UNSPEC`).
    pub const fn from_raw(raw: u32) -> Option<ProgType> {
        if raw == 0 { None } else { Some(ProgType(raw)) }
    }

    /// The type libbpf and bpftool call `name` (`"sched_cls"`, `"xdp"`).
    pub fn from_name(name: &str) -> Option<ProgType> {
        (1..=prog_type::KNOWN)
            .find(|&raw| prog_type::name(raw) == Some(name))
            .map(ProgType)
    }

    /// The `BPF_PROG_TYPE_*` number the kernel is given.
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// The name libbpf and bpftool use (`"sched_cls"`), if this crate knows the type.
    pub fn name(self) -> Option<&'static str> {
        prog_type::name(self.0)
    }
}

impl fmt::Display for ProgType {
    /// The libbpf name (`sched_cls`), or `type N` for a type this crate does not name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "type {}", self.0),
        }
    }
}

impl From<ProgType> for u32 {
    fn from(kind: ProgType) -> u32 {
        kind.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_kernel_names() {
        for (kind, name) in [
            (ProgType::SOCKET_FILTER, "socket_filter"),
            (ProgType::SCHED_CLS, "sched_cls"),
            (ProgType::XDP, "xdp"),
            (ProgType::PERF_EVENT, "perf_event"),
            (ProgType::LWT_IN, "lwt_in"),
            (ProgType::SOCK_OPS, "sock_ops"),
            (ProgType::CGROUP_SOCK_ADDR, "cgroup_sock_addr"),
            (ProgType::LWT_SEG6LOCAL, "lwt_seg6local"),
            (ProgType::CGROUP_SOCKOPT, "cgroup_sockopt"),
            (ProgType::TRACING, "tracing"),
            (ProgType::LSM, "lsm"),
            (ProgType::SYSCALL, "syscall"),
        ] {
            assert_eq!(kind.name(), Some(name));
            assert_eq!(ProgType::from_name(name), Some(kind));
        }
        assert_eq!(ProgType::from_name("unspec"), None);
    }
}
