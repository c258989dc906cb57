//! The tcx and bpf-link modules against the real kernel, on the loopback device of a
//! throwaway namespace: attach in order, stale revisions, wrong program types,
//! link-owned attachments, pin path checks. Needs root; skips otherwise, unless
//! RTC_REQUIRE_PRIVILEGED=1.

use std::os::fd::AsFd;

use bpf_sys::consts::prog_type;
use bpf_sys::{Anchor, Insn, Placement, ProgFd, ProgLoadAttr, prog_info, prog_load};
use netlink_tc::hook::{HookError, NoBpfObserver};
use netlink_tc::tcx::{self, TcxDirection, TcxRequest};
use netlink_tc::{XdpMode, bpf_link};
use rtc_tests::{Bpffs, Netns, TempDir, in_netns, require_privileged};

const LO: u32 = 1;

fn program(kind: u32, name: &str) -> ProgFd {
    let insns = [Insn::new(0xb7, 0, 0, 0, -1), Insn::new(0x95, 0, 0, 0, 0)];
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

fn id(fd: &ProgFd) -> u32 {
    prog_info(fd.as_fd()).unwrap().id
}

fn chain(direction: TcxDirection) -> Vec<u32> {
    tcx::query(LO, direction)
        .unwrap()
        .entries
        .iter()
        .map(|e| e.prog_id)
        .collect()
}

#[test]
fn attach_order_revision_and_detach() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    in_netns(&ns, || {
        assert!(tcx::supported(LO));
        let (a, b) = (
            program(prog_type::SCHED_CLS, "a"),
            program(prog_type::SCHED_CLS, "b"),
        );
        let first = tcx::attach(
            &TcxRequest::new(LO, TcxDirection::Ingress, a.as_fd()),
            &NoBpfObserver,
        )
        .unwrap();
        assert_eq!(first.prog_id(), id(&a));
        let rev = tcx::query(LO, TcxDirection::Ingress).unwrap().revision;
        let second = tcx::attach(
            &TcxRequest::new(LO, TcxDirection::Ingress, b.as_fd())
                .with_placement(Placement::Before(Anchor::ProgId(id(&a))))
                .with_expected_revision(rev),
            &NoBpfObserver,
        )
        .unwrap();
        assert_eq!(chain(TcxDirection::Ingress), [id(&b), id(&a)]);

        let c = program(prog_type::SCHED_CLS, "c");
        let stale = tcx::attach(
            &TcxRequest::new(LO, TcxDirection::Ingress, c.as_fd()).with_expected_revision(rev),
            &NoBpfObserver,
        )
        .unwrap_err();
        assert!(matches!(stale, HookError::StaleRevision { .. }), "{stale}");
        assert_eq!(chain(TcxDirection::Ingress), [id(&b), id(&a)]);

        let x = program(prog_type::XDP, "x");
        let wrong = tcx::attach(
            &TcxRequest::new(LO, TcxDirection::Ingress, x.as_fd()),
            &NoBpfObserver,
        )
        .unwrap_err();
        assert!(
            matches!(wrong, HookError::WrongProgramType { .. }),
            "{wrong}"
        );

        first.detach(&NoBpfObserver).unwrap();
        assert_eq!(chain(TcxDirection::Ingress), [id(&b)]);
        second.detach(&NoBpfObserver).unwrap();
        assert!(chain(TcxDirection::Ingress).is_empty());
    });
}

#[test]
fn links_own_their_attachment_and_pins_are_checked() {
    if !require_privileged() {
        return;
    }
    let ns = Netns::new();
    let bpffs = Bpffs::new();
    let not_bpffs = TempDir::new("tcx-pin");
    in_netns(&ns, || {
        let a = program(prog_type::SCHED_CLS, "la");
        let link = tcx::attach_link(
            &TcxRequest::new(LO, TcxDirection::Egress, a.as_fd()).last(),
            &NoBpfObserver,
        )
        .unwrap();
        let busy =
            tcx::detach(LO, TcxDirection::Egress, Some(a.as_fd()), 0, &NoBpfObserver).unwrap_err();
        assert!(matches!(busy, HookError::OwnedByLink { .. }), "{busy}");

        let path = bpffs.path().join("link");
        bpf_link::pin(link.as_fd(), &path).unwrap();
        let again = bpf_link::pin(link.as_fd(), &path).unwrap_err();
        assert!(matches!(again, HookError::PinExists(_)), "{again}");
        let elsewhere = bpf_link::pin(link.as_fd(), &not_bpffs.path().join("link")).unwrap_err();
        assert!(matches!(elsewhere, HookError::NotBpffs(_)), "{elsewhere}");

        let opened = bpf_link::open_pinned(&path).unwrap();
        let info = bpf_sys::link_info(opened.as_fd()).unwrap();
        assert!(bpf_link::list().unwrap().iter().any(|l| l.id == info.id));
        bpf_link::detach(opened.as_fd(), &NoBpfObserver).unwrap();
        assert!(chain(TcxDirection::Egress).is_empty());

        let x = program(prog_type::XDP, "lx");
        let xdp = bpf_link::attach_xdp(LO, x.as_fd(), XdpMode::Generic, &NoBpfObserver).unwrap();
        let owner = bpf_link::xdp_link_of(LO).unwrap().expect("an XDP link");
        assert_eq!(owner.prog_id, id(&x));
        drop(xdp);
    });
}
