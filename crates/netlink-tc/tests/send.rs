//! The socket and the request and reply types can move between threads: a
//! compile-time check (the test passes if this file builds).

use netlink_tc::{
    BpfAttach, Error, Filter, FilterDumpSpec, FilterSpec, KernelError, Netlink, Qdisc, QdiscSpec,
    XdpSpec,
};

fn assert_send<T: Send>() {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn socket_is_send() {
    assert_send::<Netlink>();
    assert_send::<Error>();
}

#[test]
fn requests_and_replies_are_send_and_sync() {
    assert_send_sync::<FilterSpec>();
    assert_send_sync::<BpfAttach>();
    assert_send_sync::<FilterDumpSpec>();
    assert_send_sync::<QdiscSpec>();
    assert_send_sync::<XdpSpec>();
    assert_send_sync::<Filter>();
    assert_send_sync::<Qdisc>();
    assert_send_sync::<KernelError>();
}

#[test]
fn a_socket_moves_to_another_thread() {
    // Opening needs no privilege; the socket is used on the thread it moved to.
    let netlink = Netlink::open().expect("open an rtnetlink socket");
    let moved = std::thread::spawn(move || {
        let mut netlink = netlink;
        netlink.qdiscs(1).map(|dump| dump.items.len())
    });
    let listed = moved.join().expect("thread ran");
    assert!(listed.is_ok(), "{listed:?}");
}
