//! The socket layer against the running kernel, in a private network namespace on
//! its loopback device: attach with netlink-tc, read back with netlink-tc, and ask
//! the real `tc` / `ip` what they see. Needs root (CAP_NET_ADMIN, CAP_BPF, CAP_SYS_ADMIN);
//! without it the test is skipped with a printed reason, unless
//! `RTC_REQUIRE_PRIVILEGED=1`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bpf_sys::consts::prog_type;
use bpf_sys::{Insn, ProgLoadAttr, prog_info, prog_load};
use netlink_tc::{
    BpfAttach, FilterDumpSpec, FilterOp, FilterSpec, Netlink, Observer, QdiscOp, QdiscSpec,
    XdpAttached, XdpCurrent, XdpMode, XdpReplaceError, XdpSpec, handle,
};
use nix::sched::{CloneFlags, unshare};
use rtc_tests::skip;
use std::os::fd::AsFd;

const LO: u32 = 1;

/// Runs `body` on a thread of its own inside a new network namespace.
fn in_private_netns(body: impl FnOnce() + Send + 'static) {
    let outcome = std::thread::spawn(move || {
        if let Err(errno) = unshare(CloneFlags::CLONE_NEWNET) {
            return Err(format!("unshare(CLONE_NEWNET): {errno}"));
        }
        body();
        Ok(())
    })
    .join()
    .expect("live test thread panicked");
    if let Err(reason) = outcome {
        skip::<()>(&format!("live netlink test cannot run: {reason}"));
    }
}

/// `r0 = ret; exit` loaded as `prog_type`.
fn tiny_prog(prog_type: u32, ret: i32, name: &str) -> bpf_sys::ProgFd {
    let insns = [
        Insn::new(0xb7, 0, 0, 0, ret), // BPF_ALU64 | BPF_MOV | BPF_K
        Insn::new(0x95, 0, 0, 0, 0),   // BPF_JMP | BPF_EXIT
    ];
    let attr = ProgLoadAttr {
        prog_type,
        insns: &insns,
        license: "GPL",
        name,
        ..Default::default()
    };
    prog_load(&attr).expect("load a two-instruction program").fd
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().expect("run tool");
    assert!(out.status.success(), "{tool} {args:?}: {:?}", out);
    String::from_utf8(out.stdout).unwrap()
}

#[derive(Clone, Default)]
struct Counter {
    sent: Arc<AtomicUsize>,
    received: Arc<AtomicUsize>,
}

impl Observer for Counter {
    fn sent(&self, _: &[u8]) {
        self.sent.fetch_add(1, Ordering::SeqCst);
    }
    fn received(&self, _: &[u8]) {
        self.received.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn clsact_filter_and_xdp_on_loopback() {
    in_private_netns(|| {
        let mut nl = Netlink::open().expect("open netlink");
        let counter = Counter::default();
        nl.set_observer(Box::new(counter.clone()));

        nl.qdisc(QdiscOp::Add, &QdiscSpec::clsact(LO)).unwrap();
        let again = nl.qdisc(QdiscOp::Add, &QdiscSpec::clsact(LO)).unwrap_err();
        assert_eq!(again.errno(), Some(libc::EEXIST));
        assert_eq!(
            again.kernel().map(|k| k.iproute2_text()).as_deref(),
            Some("Error: Exclusivity flag on, cannot modify.")
        );
        let qdiscs = nl.qdiscs(LO).unwrap();
        assert!(
            qdiscs
                .items
                .iter()
                .any(|q| q.ifindex == LO && q.kind == "clsact" && q.is_clsact_like())
        );

        let prog = tiny_prog(prog_type::SCHED_CLS, 0, "live_cls");
        let info = prog_info(prog.as_fd()).unwrap();
        let label = BpfAttach::object_name("/some/dir/live.o", "ingress");
        let code = BpfAttach::program(prog.as_fd(), label).with_direct_action(true);
        let spec = FilterSpec::bpf(LO, handle::INGRESS, code);
        nl.filter(FilterOp::Add, &spec).unwrap();

        let dump = nl
            .filters(&FilterDumpSpec::new(LO, handle::INGRESS))
            .unwrap();
        assert_eq!(dump.items.len(), 2, "{dump:?}");
        let filter = &dump.items[1];
        assert_eq!(
            (filter.pref(), filter.protocol(), filter.handle),
            (49152, 3, 1)
        );
        let bpf = filter.bpf().unwrap();
        assert_eq!(bpf.name.as_deref(), Some("live.o:[ingress]"));
        assert_eq!(bpf.id, Some(info.id));
        assert!(bpf.direct_action());

        let got = nl
            .get_filter(
                &FilterSpec::new(LO, handle::INGRESS)
                    .with_pref(49152)
                    .with_handle(1)
                    .with_protocol(3)
                    .with_kind("bpf"),
            )
            .unwrap();
        assert_eq!(got.bpf().unwrap().id, Some(info.id));

        // The real tc sees the filter we attached.
        let shown = run("tc", &["filter", "show", "dev", "lo", "ingress"]);
        assert!(
            shown.contains(&format!(
                "handle 0x1 live.o:[ingress] direct-action not_in_hw id {} ",
                info.id
            )),
            "{shown}"
        );

        nl.filter(FilterOp::Delete, &FilterSpec::new(LO, handle::INGRESS))
            .unwrap();
        assert!(
            run("tc", &["filter", "show", "dev", "lo", "ingress"]).is_empty(),
            "flush left filters behind"
        );

        // Two filters with the priority left to the kernel: each add returns the id
        // the kernel gave it (from the echo), and deleting by one id removes only
        // that filter, as the real tc shows.
        let first = nl.filter_with_id(FilterOp::Add, &spec).unwrap();
        let second = nl.filter_with_id(FilterOp::Add, &spec).unwrap();
        assert_ne!(first.pref, second.pref);
        for id in [first, second] {
            assert_eq!(
                (id.ifindex, id.parent, id.protocol),
                (LO, handle::INGRESS, 3)
            );
            assert_ne!(id.handle, 0);
            let got = nl.get_filter(&id.spec().with_kind("bpf")).unwrap();
            assert_eq!(got.id(), id);
        }
        let shown = run("tc", &["filter", "show", "dev", "lo", "ingress"]);
        for id in [first, second] {
            let line = format!("pref {} bpf chain 0 handle {:#x} ", id.pref, id.handle);
            assert!(shown.contains(&line), "{line} in {shown}");
        }
        nl.filter(FilterOp::Delete, &first.spec()).unwrap();
        let shown = run("tc", &["filter", "show", "dev", "lo", "ingress"]);
        assert!(!shown.contains(&format!("pref {} ", first.pref)), "{shown}");
        assert!(shown.contains(&format!("pref {} ", second.pref)), "{shown}");
        nl.filter(FilterOp::Delete, &second.spec()).unwrap();
        assert!(run("tc", &["filter", "show", "dev", "lo", "ingress"]).is_empty());
        nl.qdisc(QdiscOp::Delete, &QdiscSpec::clsact(LO)).unwrap();
        let gone = nl
            .qdisc(QdiscOp::Delete, &QdiscSpec::clsact(LO))
            .unwrap_err();
        assert_eq!(
            gone.to_string(),
            "kernel refused the request: Invalid handle (EINVAL: Invalid argument)"
        );

        // XDP, generic mode on loopback.
        assert_eq!(nl.link_xdp(LO).unwrap().attached, XdpAttached::None);
        let xdp = tiny_prog(prog_type::XDP, 2, "live_xdp");
        let xdp_id = prog_info(xdp.as_fd()).unwrap().id;
        let attach = XdpSpec::new(LO, Some(xdp.as_fd()), XdpMode::Generic);
        nl.set_xdp(&attach).unwrap();
        let lo = nl.link(LO).unwrap();
        assert_eq!(lo.name.as_deref(), Some("lo"));
        assert!(
            !lo.is_up() && lo.mtu.is_some(),
            "lo starts down in a new namespace"
        );
        let link = nl.link_xdp(LO).unwrap();
        assert_eq!(link.attached, XdpAttached::Generic);
        assert_eq!(link.prog_id, Some(xdp_id));
        assert_eq!(link.prog_at(XdpMode::Generic), Some(xdp_id));
        let all = nl.links().unwrap();
        assert!(all.items.iter().any(|l| l.ifindex == LO && l.xdp == link));
        assert!(
            run("ip", &["link", "show", "dev", "lo"]).contains(&format!("prog/xdp id {xdp_id} "))
        );
        let busy = nl.set_xdp(&attach).unwrap_err();
        assert_eq!(busy.errno(), Some(libc::EBUSY));
        nl.set_xdp(&XdpSpec::new(LO, None, XdpMode::Generic))
            .unwrap();
        assert_eq!(nl.link_xdp(LO).unwrap().attached, XdpAttached::None);

        assert!(counter.sent.load(Ordering::SeqCst) >= 14);
        assert!(counter.received.load(Ordering::SeqCst) >= 14);
    });
}

/// The safe replace: the program read from the link is replaced; one attached by
/// someone else after the read is not, and the error names both (ip shows which
/// program stays).
#[test]
fn xdp_replace_keeps_a_program_attached_meanwhile() {
    in_private_netns(|| {
        let mut nl = Netlink::open().expect("open netlink");
        let ids = |nl: &mut Netlink| nl.link_xdp(LO).unwrap().prog_at(XdpMode::Generic);
        let [a, b, c] =
            ["live_a", "live_b", "live_c"].map(|name| tiny_prog(prog_type::XDP, 2, name));
        let id = |fd: &bpf_sys::ProgFd| prog_info(fd.as_fd()).unwrap().id;

        // Nothing attached: the replace attaches only while that is so.
        let empty = XdpCurrent::read(&mut nl, LO, XdpMode::Generic).unwrap();
        assert_eq!(empty.id(), None);
        nl.replace_xdp(&empty, a.as_fd()).unwrap();
        assert_eq!(ids(&mut nl), Some(id(&a)));

        // Read A, then someone else puts B in its place: replacing A with C fails.
        let read = XdpCurrent::read(&mut nl, LO, XdpMode::Generic).unwrap();
        assert_eq!(read.id(), Some(id(&a)));
        let forced = XdpSpec::new(LO, Some(b.as_fd()), XdpMode::Generic).with_force(true);
        nl.set_xdp(&forced).unwrap();
        match nl.replace_xdp(&read, c.as_fd()) {
            Err(XdpReplaceError::Changed { expected, now, .. }) => {
                assert_eq!((expected, now), (Some(id(&a)), Some(id(&b))));
            }
            other => panic!("expected Changed, got {other:?}"),
        }
        assert!(
            run("ip", &["link", "show", "dev", "lo"]).contains(&format!("prog/xdp id {} ", id(&b)))
        );
        // The stale expectation of an empty hook fails too.
        assert!(matches!(
            nl.replace_xdp(&empty, c.as_fd()),
            Err(XdpReplaceError::Changed { expected: None, .. })
        ));

        // Read again: B is replaced by C.
        let fresh = XdpCurrent::read(&mut nl, LO, XdpMode::Generic).unwrap();
        nl.replace_xdp(&fresh, c.as_fd()).unwrap();
        assert_eq!(ids(&mut nl), Some(id(&c)));
        nl.set_xdp(&XdpSpec::new(LO, None, XdpMode::Generic))
            .unwrap();
    });
}
