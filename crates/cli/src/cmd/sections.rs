//! What a section name says about its program, after libbpf's table: the program
//! type, the expected attach type, load flags, and for tc the direction. Used when
//! `net attach` or `prog load` is given an object.

use bpf_sys::consts::{BPF_F_XDP_HAS_FRAGS, attach_type, prog_type};
use netlink_tc::tcx::TcxDirection;

/// What a section name implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SectionMeaning {
    /// The program type, when the name tells it.
    pub prog_type: Option<u32>,
    /// `expected_attach_type` to load with (0: none).
    pub expected_attach_type: u32,
    /// `prog_flags` to load with (`BPF_F_XDP_HAS_FRAGS` for `xdp.frags`).
    pub prog_flags: u32,
    /// tc sections: the direction they are meant for.
    pub direction: Option<TcxDirection>,
    /// False for programs that run inside a map (devmap, cpumap), not on a device.
    pub for_device: bool,
    /// A netkit program (`netkit/primary`, `netkit/peer`).
    pub netkit: bool,
}

/// Reads a section name (`xdp.frags`, `tcx/ingress`, `xdp/devmap`, ...).
pub fn meaning(section: &str) -> SectionMeaning {
    let device = SectionMeaning {
        for_device: true,
        ..SectionMeaning::default()
    };
    let xdp = |flags: u32, rest: &str| {
        let expected = match rest {
            "devmap" => attach_type::XDP_DEVMAP,
            "cpumap" => attach_type::XDP_CPUMAP,
            _ => 0,
        };
        SectionMeaning {
            prog_type: Some(prog_type::XDP),
            expected_attach_type: expected,
            prog_flags: flags,
            for_device: expected == 0,
            ..device
        }
    };
    let tc = |direction: Option<TcxDirection>| SectionMeaning {
        prog_type: Some(prog_type::SCHED_CLS),
        expected_attach_type: direction.map_or(0, TcxDirection::attach_type),
        direction,
        ..device
    };
    let (head, rest) = section.split_once('/').unwrap_or((section, ""));
    match (head, rest) {
        ("xdp.frags", rest) => xdp(BPF_F_XDP_HAS_FRAGS, rest),
        ("xdp", rest) => xdp(0, rest),
        ("tcx" | "tc", "ingress") => tc(Some(TcxDirection::Ingress)),
        ("tcx" | "tc", "egress") => tc(Some(TcxDirection::Egress)),
        ("tc" | "classifier" | "action", _) => tc(None),
        ("netkit", "primary" | "peer") => SectionMeaning {
            prog_type: Some(prog_type::SCHED_CLS),
            netkit: true,
            ..device
        },
        _ => device,
    }
}

/// How `link set ... xdp obj F sec S` loads section `S`: as XDP, with the flags and
/// expected attach type libbpf (and so ip) derives from the name: `xdp.frags` gets
/// `BPF_F_XDP_HAS_FRAGS`; `xdp/devmap` and `xdp/cpumap` get their attach type, so
/// the kernel refuses them for a device as it does for ip.
pub fn xdp_load_options(section: &str) -> elf_loader::LoadOptions {
    let m = meaning(section);
    let mut options = elf_loader::LoadOptions::new(elf_loader::ProgType::XDP);
    if m.prog_type == Some(prog_type::XDP) {
        options.prog_flags = m.prog_flags;
        options.expected_attach_type = m.expected_attach_type;
    }
    options
}

/// Whether this kernel has netkit (built in or loaded).
pub fn kernel_has_netkit() -> bool {
    std::path::Path::new("/sys/module/netkit").exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_meaning() {
        let frags = meaning("xdp.frags");
        assert_eq!(frags.prog_type, Some(prog_type::XDP));
        assert_eq!(frags.prog_flags, BPF_F_XDP_HAS_FRAGS);
        assert!(frags.for_device);
        let devmap = meaning("xdp/devmap");
        assert_eq!(devmap.expected_attach_type, attach_type::XDP_DEVMAP);
        assert!(!devmap.for_device);
        assert_eq!(
            meaning("xdp.frags/cpumap").expected_attach_type,
            attach_type::XDP_CPUMAP
        );
        assert_eq!(meaning("tcx/egress").direction, Some(TcxDirection::Egress));
        assert_eq!(
            meaning("tc/ingress").expected_attach_type,
            attach_type::TCX_INGRESS
        );
        assert_eq!(meaning("classifier").direction, None);
        assert!(meaning("netkit/peer").netkit);
        assert_eq!(meaning("ingress").prog_type, None);
    }
}
