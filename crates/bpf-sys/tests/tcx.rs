//! bpf(2) for device hooks against the real kernel: tcx chains through
//! `BPF_PROG_ATTACH`/`DETACH`/`QUERY` (order, revisions, compare-and-swap), tcx and
//! XDP links through `BPF_LINK_CREATE`, their info, ids, pins and `BPF_LINK_DETACH`.
//! Runs on the loopback device of a throwaway namespace. Needs root; skips with a
//! reason otherwise, unless RTC_REQUIRE_PRIVILEGED=1 makes that a failure.

use std::os::fd::AsFd;

use bpf_sys::consts::{attach_type, link_type, prog_type};
use bpf_sys::*;
use rtc_tests::{Bpffs, Netns, in_netns, require_privileged};

/// `r0 = imm; exit` as a program of `kind`, named `name`.
fn program(kind: u32, name: &str, imm: i32) -> ProgFd {
    let insns = [Insn::new(0xb7, 0, 0, 0, imm), Insn::new(0x95, 0, 0, 0, 0)];
    prog_load(&ProgLoadAttr {
        prog_type: kind,
        insns: &insns,
        license: "GPL",
        name,
        ..Default::default()
    })
    .unwrap()
    .fd
}

fn id_of(fd: &ProgFd) -> u32 {
    prog_info(fd.as_fd()).unwrap().id
}

fn prog_ids(chain: &ChainQuery) -> Vec<u32> {
    chain.entries.iter().map(|e| e.prog_id).collect()
}

/// `lo` is index 1 in every new namespace.
const LO: u32 = 1;

fn attach<'a>(prog: &'a ProgFd, placement: Placement<'a>, revision: u64) -> Result<()> {
    prog_attach(&ProgAttachAttr {
        target_ifindex: LO,
        prog: Some(prog.as_fd()),
        attach_type: attach_type::TCX_INGRESS,
        flags: 0,
        replace: None,
        placement,
        expected_revision: revision,
    })
}

#[test]
fn tcx_chain_order_revision_and_detach() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    in_netns(&ns, || {
        let empty = prog_query(LO, attach_type::TCX_INGRESS).unwrap();
        assert!(empty.entries.is_empty());
        let (a, b, c) = (
            program(prog_type::SCHED_CLS, "tcx_a", -1),
            program(prog_type::SCHED_CLS, "tcx_b", -1),
            program(prog_type::SCHED_CLS, "tcx_c", -1),
        );
        attach(&a, Placement::Default, 0).unwrap();
        let one = prog_query(LO, attach_type::TCX_INGRESS).unwrap();
        assert_eq!(prog_ids(&one), [id_of(&a)]);
        assert_eq!(one.entries[0].link_id, 0, "no link owns a BPF_PROG_ATTACH");

        attach(&b, Placement::First, one.revision).unwrap();
        attach(&c, Placement::Before(Anchor::ProgId(id_of(&a))), 0).unwrap();
        let three = prog_query(LO, attach_type::TCX_INGRESS).unwrap();
        assert_eq!(prog_ids(&three), [id_of(&b), id_of(&c), id_of(&a)]);
        assert!(three.revision > one.revision);

        // A stale revision is refused with ESTALE and changes nothing.
        let d = program(prog_type::SCHED_CLS, "tcx_d", -1);
        let stale = attach(&d, Placement::Last, one.revision).unwrap_err();
        assert_eq!(stale.raw_os_error(), Some(libc_estale()), "{stale}");
        assert_eq!(prog_query(LO, attach_type::TCX_INGRESS).unwrap(), three);

        // The wrong program type for the hook is refused.
        let xdp = program(prog_type::XDP, "not_tc", 2);
        assert!(attach(&xdp, Placement::Default, 0).is_err());

        // Detach the middle one by fd, then the rest.
        prog_detach(&ProgAttachAttr {
            target_ifindex: LO,
            prog: Some(c.as_fd()),
            attach_type: attach_type::TCX_INGRESS,
            flags: 0,
            replace: None,
            placement: Placement::Default,
            expected_revision: three.revision,
        })
        .unwrap();
        assert_eq!(
            prog_ids(&prog_query(LO, attach_type::TCX_INGRESS).unwrap()),
            [id_of(&b), id_of(&a)]
        );
        for p in [&a, &b] {
            prog_detach(&ProgAttachAttr {
                target_ifindex: LO,
                prog: Some(p.as_fd()),
                attach_type: attach_type::TCX_INGRESS,
                flags: 0,
                replace: None,
                placement: Placement::Default,
                expected_revision: 0,
            })
            .unwrap();
        }
        assert!(
            prog_query(LO, attach_type::TCX_INGRESS)
                .unwrap()
                .entries
                .is_empty()
        );
    });
}

fn libc_estale() -> i32 {
    116
}

#[test]
fn tcx_link_lives_with_its_fd_or_pin() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    let bpffs = Bpffs::new();
    let pin = bpffs.path().join("tcx_link");
    in_netns(&ns, || {
        let a = program(prog_type::SCHED_CLS, "tcx_link_a", -1);
        let link = link_create(&LinkCreateAttr {
            prog: a.as_fd(),
            target_ifindex: LO,
            attach_type: attach_type::TCX_EGRESS,
            flags: 0,
            placement: Placement::Default,
            expected_revision: 0,
        })
        .unwrap();
        let info = link_info(link.as_fd()).unwrap();
        assert_eq!(info.link_type, link_type::TCX);
        assert_eq!(info.prog_id, id_of(&a));
        assert_eq!(info.ifindex, Some(LO));
        assert_eq!(info.attach_type, Some(attach_type::TCX_EGRESS));
        let chain = prog_query(LO, attach_type::TCX_EGRESS).unwrap();
        assert_eq!(chain.entries.len(), 1);
        assert_eq!(chain.entries[0].link_id, info.id);

        // A link-owned program cannot be detached with BPF_PROG_DETACH.
        let busy = prog_detach(&ProgAttachAttr {
            target_ifindex: LO,
            prog: Some(a.as_fd()),
            attach_type: attach_type::TCX_EGRESS,
            flags: 0,
            replace: None,
            placement: Placement::Default,
            expected_revision: 0,
        });
        assert!(busy.is_err());

        // Found by id, among all links.
        let mut ids = Vec::new();
        let mut next = 0;
        while let Some(id) = link_get_next_id(next).unwrap() {
            ids.push(id);
            next = id;
        }
        assert!(ids.contains(&info.id));
        let again = link_get_fd_by_id(info.id).unwrap();
        assert_eq!(link_info(again.as_fd()).unwrap().id, info.id);

        // Pinned, the attachment outlives every fd; unpinned, it goes.
        obj_pin(link.as_fd(), &pin).unwrap();
        drop(link);
        drop(again);
        assert_eq!(
            prog_query(LO, attach_type::TCX_EGRESS)
                .unwrap()
                .entries
                .len(),
            1
        );
        std::fs::remove_file(&pin).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !prog_query(LO, attach_type::TCX_EGRESS)
            .unwrap()
            .entries
            .is_empty()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the unpinned link was not released"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }

        // BPF_LINK_DETACH detaches at once although the fd stays open.
        let b = program(prog_type::SCHED_CLS, "tcx_link_b", -1);
        let link = link_create(&LinkCreateAttr {
            prog: b.as_fd(),
            target_ifindex: LO,
            attach_type: attach_type::TCX_INGRESS,
            flags: 0,
            placement: Placement::First,
            expected_revision: 0,
        })
        .unwrap();
        link_detach(link.as_fd()).unwrap();
        assert!(
            prog_query(LO, attach_type::TCX_INGRESS)
                .unwrap()
                .entries
                .is_empty()
        );
        assert_eq!(link_info(link.as_fd()).unwrap().prog_id, id_of(&b));
    });
}

#[test]
fn xdp_link_owns_the_device_hook() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    in_netns(&ns, || {
        let x = program(prog_type::XDP, "xdp_link", 2);
        let link = link_create(&LinkCreateAttr {
            prog: x.as_fd(),
            target_ifindex: LO,
            attach_type: attach_type::XDP,
            flags: 2, // XDP_FLAGS_SKB_MODE
            placement: Placement::Default,
            expected_revision: 0,
        })
        .unwrap();
        let info = link_info(link.as_fd()).unwrap();
        assert_eq!(info.link_type, link_type::XDP);
        assert_eq!(info.ifindex, Some(LO));
        assert_eq!(info.attach_type, None);
        // A second XDP link on the same hook is refused.
        let y = program(prog_type::XDP, "xdp_link2", 2);
        let second = link_create(&LinkCreateAttr {
            prog: y.as_fd(),
            target_ifindex: LO,
            attach_type: attach_type::XDP,
            flags: 2,
            placement: Placement::Default,
            expected_revision: 0,
        });
        assert!(second.is_err());
        link_detach(link.as_fd()).unwrap();
        assert_eq!(link_info(link.as_fd()).unwrap().ifindex, Some(0));
    });
}
