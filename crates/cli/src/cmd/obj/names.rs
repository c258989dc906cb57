//! Names for the numbers and conventions an object file carries: the program type
//! libbpf infers from a section name, map type names, relocation types, and what a
//! map's `pinning` value asks for.

use elf_loader::{Map, MapSource, Object, Pinning, Section, SectionRole};

/// libbpf's table of section names (`section_defs` in libbpf 1.x `libbpf.c`), in
/// its matching order, with the program type each gives. A name ending in `+`
/// matches exactly or followed by `/...`; one ending in `/` matches as a prefix;
/// any other must match exactly. The first matching entry wins.
const SECTION_TYPES: &[(&str, &str)] = &[
    ("socket", "socket_filter"),
    ("sk_reuseport/migrate", "sk_reuseport"),
    ("sk_reuseport", "sk_reuseport"),
    ("kprobe+", "kprobe"),
    ("uprobe+", "kprobe"),
    ("uprobe.s+", "kprobe"),
    ("kretprobe+", "kprobe"),
    ("uretprobe+", "kprobe"),
    ("uretprobe.s+", "kprobe"),
    ("kprobe.multi+", "kprobe"),
    ("kretprobe.multi+", "kprobe"),
    ("kprobe.session+", "kprobe"),
    ("uprobe.multi+", "kprobe"),
    ("uretprobe.multi+", "kprobe"),
    ("uprobe.session+", "kprobe"),
    ("uprobe.multi.s+", "kprobe"),
    ("uretprobe.multi.s+", "kprobe"),
    ("uprobe.session.s+", "kprobe"),
    ("ksyscall+", "kprobe"),
    ("kretsyscall+", "kprobe"),
    ("usdt+", "kprobe"),
    ("usdt.s+", "kprobe"),
    ("tc/ingress", "sched_cls"),
    ("tc/egress", "sched_cls"),
    ("tcx/ingress", "sched_cls"),
    ("tcx/egress", "sched_cls"),
    ("tc", "sched_cls"),
    ("classifier", "sched_cls"),
    ("action", "sched_act"),
    ("netkit/primary", "sched_cls"),
    ("netkit/peer", "sched_cls"),
    ("tracepoint+", "tracepoint"),
    ("tp+", "tracepoint"),
    ("tracepoint.s+", "tracepoint"),
    ("tp.s+", "tracepoint"),
    ("raw_tracepoint+", "raw_tracepoint"),
    ("raw_tp+", "raw_tracepoint"),
    ("raw_tracepoint.s+", "raw_tracepoint"),
    ("raw_tp.s+", "raw_tracepoint"),
    ("raw_tracepoint.w+", "raw_tracepoint_writable"),
    ("raw_tp.w+", "raw_tracepoint_writable"),
    ("tp_btf+", "tracing"),
    ("tp_btf.s+", "tracing"),
    ("fentry+", "tracing"),
    ("fmod_ret+", "tracing"),
    ("fexit+", "tracing"),
    ("fentry.s+", "tracing"),
    ("fmod_ret.s+", "tracing"),
    ("fexit.s+", "tracing"),
    ("fsession+", "tracing"),
    ("fsession.s+", "tracing"),
    ("fsession.multi+", "tracing"),
    ("fsession.multi.s+", "tracing"),
    ("fentry.multi+", "tracing"),
    ("fexit.multi+", "tracing"),
    ("fentry.multi.s+", "tracing"),
    ("fexit.multi.s+", "tracing"),
    ("freplace+", "ext"),
    ("lsm+", "lsm"),
    ("lsm.s+", "lsm"),
    ("lsm_cgroup+", "lsm"),
    ("iter+", "tracing"),
    ("iter.s+", "tracing"),
    ("syscall", "syscall"),
    ("xdp.frags/devmap", "xdp"),
    ("xdp/devmap", "xdp"),
    ("xdp.frags/cpumap", "xdp"),
    ("xdp/cpumap", "xdp"),
    ("xdp.frags", "xdp"),
    ("xdp", "xdp"),
    ("perf_event", "perf_event"),
    ("lwt_in", "lwt_in"),
    ("lwt_out", "lwt_out"),
    ("lwt_xmit", "lwt_xmit"),
    ("lwt_seg6local", "lwt_seg6local"),
    ("sockops", "sock_ops"),
    ("sk_skb/stream_parser", "sk_skb"),
    ("sk_skb/stream_verdict", "sk_skb"),
    ("sk_skb/verdict", "sk_skb"),
    ("sk_skb", "sk_skb"),
    ("sk_msg", "sk_msg"),
    ("lirc_mode2", "lirc_mode2"),
    ("flow_dissector", "flow_dissector"),
    ("cgroup_skb/ingress", "cgroup_skb"),
    ("cgroup_skb/egress", "cgroup_skb"),
    ("cgroup/skb", "cgroup_skb"),
    ("cgroup/sock_create", "cgroup_sock"),
    ("cgroup/sock_release", "cgroup_sock"),
    ("cgroup/sock", "cgroup_sock"),
    ("cgroup/post_bind4", "cgroup_sock"),
    ("cgroup/post_bind6", "cgroup_sock"),
    ("cgroup/bind4", "cgroup_sock_addr"),
    ("cgroup/bind6", "cgroup_sock_addr"),
    ("cgroup/connect4", "cgroup_sock_addr"),
    ("cgroup/connect6", "cgroup_sock_addr"),
    ("cgroup/connect_unix", "cgroup_sock_addr"),
    ("cgroup/sendmsg4", "cgroup_sock_addr"),
    ("cgroup/sendmsg6", "cgroup_sock_addr"),
    ("cgroup/sendmsg_unix", "cgroup_sock_addr"),
    ("cgroup/recvmsg4", "cgroup_sock_addr"),
    ("cgroup/recvmsg6", "cgroup_sock_addr"),
    ("cgroup/recvmsg_unix", "cgroup_sock_addr"),
    ("cgroup/getpeername4", "cgroup_sock_addr"),
    ("cgroup/getpeername6", "cgroup_sock_addr"),
    ("cgroup/getpeername_unix", "cgroup_sock_addr"),
    ("cgroup/getsockname4", "cgroup_sock_addr"),
    ("cgroup/getsockname6", "cgroup_sock_addr"),
    ("cgroup/getsockname_unix", "cgroup_sock_addr"),
    ("cgroup/sysctl", "cgroup_sysctl"),
    ("cgroup/getsockopt", "cgroup_sockopt"),
    ("cgroup/setsockopt", "cgroup_sockopt"),
    ("cgroup/dev", "cgroup_device"),
    ("struct_ops+", "struct_ops"),
    ("struct_ops.s+", "struct_ops"),
    ("sk_lookup", "sk_lookup"),
    ("netfilter", "netfilter"),
];

/// libbpf's `sec_def_matches`.
fn section_matches(pattern: &str, section: &str) -> bool {
    if pattern.ends_with('/') {
        section.starts_with(pattern)
    } else if let Some(base) = pattern.strip_suffix('+') {
        section
            .strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    } else {
        section == pattern
    }
}

/// The program type libbpf infers from a section name (`sched_cls` for `tc`,
/// `xdp` for `xdp.frags`, ...), or `None` for a name libbpf does not know.
pub fn libbpf_program_type(section: &str) -> Option<&'static str> {
    SECTION_TYPES
        .iter()
        .find(|(pattern, _)| section_matches(pattern, section))
        .map(|(_, ty)| *ty)
}

/// The type column of `obj show`: libbpf's inference, or what tc does with a
/// section libbpf does not know (tc loads every program of `filter ... bpf` as
/// `sched_cls` anyway).
pub fn program_type_label(section: &str) -> String {
    match libbpf_program_type(section) {
        Some(ty) => ty.to_string(),
        None => "sched_cls (tc default)".to_string(),
    }
}

/// What a section is for, in words: its role, the section a relocation section
/// applies to, or for other sections what their name says.
pub fn section_purpose(object: &Object, section: &Section) -> String {
    match section.role {
        SectionRole::Relocations { target } => {
            let name = object
                .sections()
                .get(target)
                .map_or("?", |t| t.name.as_str());
            format!("relocations for [{target}] {name}")
        }
        SectionRole::Other => other_section_purpose(&section.name)
            .unwrap_or("other data")
            .to_string(),
        ref role => role.to_string(),
    }
}

/// What a section of no special role to the loader holds, by its name (clang's and
/// LLVM's conventions), or `None` if the name says nothing.
pub fn other_section_purpose(name: &str) -> Option<&'static str> {
    Some(match name {
        "" => "the null section (index 0, always empty)",
        ".strtab" | ".shstrtab" => "string table (section and symbol names)",
        ".symtab" => "symbol table (functions, maps, variables)",
        ".llvm_addrsig" => "LLVM address-significance table (unused here)",
        _ if name.starts_with(".debug_") => "DWARF debug information (not loaded)",
        _ => return None,
    })
}

/// A map type's name (`array`), or its number for a type this table lacks.
pub fn map_type_name(map_type: u32) -> String {
    bpf_sys::consts::map_type::name(map_type)
        .map_or_else(|| format!("type {map_type}"), str::to_string)
}

/// `R_BPF_*` relocation type names (LLVM's `ELFRelocs/BPF.def`).
pub fn relocation_type_name(r_type: u32) -> String {
    match r_type {
        0 => "R_BPF_NONE".to_string(),
        1 => "R_BPF_64_64".to_string(),
        2 => "R_BPF_64_ABS64".to_string(),
        3 => "R_BPF_64_ABS32".to_string(),
        4 => "R_BPF_64_NODYLD32".to_string(),
        10 => "R_BPF_64_32".to_string(),
        other => format!("type {other}"),
    }
}

/// What a map's pinning asks for, in words, and where tc would pin it (`None` when
/// it is not pinned or the place comes from a file rtc does not read).
pub fn pinning_meaning(
    map: &Map,
    bpffs: &str,
    object_sha1: &str,
) -> (&'static str, String, Option<String>) {
    let btf = matches!(map.source, MapSource::Btf { .. });
    match map.pinning() {
        Pinning::None => (
            "none",
            "not pinned: the map lives while a program or fd holds it".to_string(),
            None,
        ),
        Pinning::GlobalNs => (
            if btf {
                "LIBBPF_PIN_BY_NAME"
            } else {
                "PIN_GLOBAL_NS"
            },
            "pinned by name, shared with every object that pins a map of that name".to_string(),
            Some(format!("{bpffs}/tc/globals/{}", map.name)),
        ),
        Pinning::ObjectNs => (
            "PIN_OBJECT_NS",
            "pinned per object file (directory named after the file's SHA-1), shared by \
             every program loaded from this file"
                .to_string(),
            Some(format!("{bpffs}/tc/{object_sha1}/{}", map.name)),
        ),
        Pinning::Custom(_) => (
            "custom",
            "a custom pinning id: tc takes the path from /etc/iproute2/bpf_pinning \
             (rtc refuses to load it)"
                .to_string(),
            None,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_names_match_like_libbpf() {
        assert_eq!(libbpf_program_type("tc"), Some("sched_cls"));
        assert_eq!(libbpf_program_type("classifier"), Some("sched_cls"));
        assert_eq!(libbpf_program_type("tcx/ingress"), Some("sched_cls"));
        assert_eq!(libbpf_program_type("xdp"), Some("xdp"));
        assert_eq!(libbpf_program_type("xdp.frags"), Some("xdp"));
        assert_eq!(libbpf_program_type("kprobe/do_sys_open"), Some("kprobe"));
        assert_eq!(libbpf_program_type("kprobe"), Some("kprobe"));
        assert_eq!(libbpf_program_type("sk_skb/stream_parser"), Some("sk_skb"));
        // Exact names do not match as prefixes, `+` names need a `/`.
        assert_eq!(libbpf_program_type("tc/foo"), None);
        assert_eq!(libbpf_program_type("xdp_prog"), None);
        assert_eq!(libbpf_program_type("kprobex"), None);
        assert_eq!(libbpf_program_type("ingress"), None);
        assert_eq!(program_type_label("ingress"), "sched_cls (tc default)");
    }
}
