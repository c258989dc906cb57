//! The rtnetlink socket: send one request, then read until its acknowledgement, its
//! answer, or the end of its dump. Every wait is bounded (a receive timeout and a
//! cap on the bytes read), and every message sent or received is shown to an
//! [`Observer`] before anything else happens to it.
//!
//! Like iproute2, the socket asks for extended acknowledgements (so refusals carry
//! the kernel's explanation) and does not turn on strict dump checking. Unlike
//! iproute2, it reads each datagram with one `recv` into a buffer kept for the
//! socket's life (no `MSG_PEEK` for the size first, no allocation per datagram),
//! except for link requests, whose answers can outgrow the buffer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};
use nix::sys::socket::{setsockopt, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};

use crate::error::{DecodeError, Error, KernelError};
use crate::message::{
    DoneMessage, ErrorMessage, Message, Messages, NLM_F_DUMP_INTR, NLMSG_DONE, NLMSG_ERROR,
    RTM_GETLINK, set_seq,
};

/// Watches the bytes going to and coming from the kernel, one netlink message per
/// call. Both methods default to doing nothing; `rtc --explain` decodes them.
pub trait Observer {
    /// A request is about to be sent (its sequence number already set).
    fn sent(&self, message: &[u8]) {
        let _ = message;
    }

    /// A message arrived (including ones for other requests, which are then skipped).
    fn received(&self, message: &[u8]) {
        let _ = message;
    }
}

/// An observer that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// A successful acknowledgement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    /// Extended-ack text the kernel attached to a success (tc prints it as
    /// `Warning: <text>.`).
    pub warning: Option<String>,
}

/// The messages of one dump, in the order the kernel sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump<T> {
    /// The entries.
    pub items: Vec<T>,
    /// `NLM_F_DUMP_INTR` was seen: the table changed during the dump (tc prints
    /// "Dump was interrupted and may be inconsistent." on stderr).
    pub interrupted: bool,
    /// Extended-ack text attached to the final `NLMSG_DONE`, if any.
    pub warning: Option<String>,
}

impl Dump<Vec<u8>> {
    /// Decodes each raw message with `decode`, dropping those it maps to `None`.
    pub fn try_map<T>(
        self,
        mut decode: impl FnMut(&[u8]) -> Result<Option<T>, DecodeError>,
    ) -> Result<Dump<T>, Error> {
        let mut items = Vec::with_capacity(self.items.len());
        for raw in self.items {
            if let Some(item) = decode(&raw)? {
                items.push(item);
            }
        }
        Ok(Dump {
            items,
            interrupted: self.interrupted,
            warning: self.warning,
        })
    }
}

/// Size of the receive buffer. The kernel fills a dump datagram up to 32 KiB, and
/// an acknowledgement is at most the request plus a header; a link message with a
/// long VF list can be larger, so link requests peek at the size first.
const RECV_BUFFER: usize = 64 * 1024;
/// Default cap on one datagram and on a whole reply or dump.
pub const DEFAULT_REPLY_LIMIT: usize = 64 * 1024 * 1024;
/// Default time to wait for each datagram.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an interrupted `recv` is retried before giving up.
const EINTR_RETRIES: usize = 100;

/// An open `NETLINK_ROUTE` socket. It is `Send`: open it on one thread, use it on
/// another (one thread at a time: its methods take `&mut self`).
pub struct Netlink {
    socket: Socket,
    port: u32,
    seq: u32,
    timeout: Duration,
    reply_limit: usize,
    observer: Box<dyn Observer + Send>,
    /// Where datagrams are received, reused for every one.
    buffer: Vec<u8>,
    /// The last request asked for links: peek at each answer's size before reading.
    peek_sizes: bool,
}

// A socket that cannot move to another thread is a trap for async and thread-pool
// users: this stops the build if a field ever makes `Netlink` lose `Send`.
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Netlink>();
};

impl std::fmt::Debug for Netlink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Netlink")
            .field("port", &self.port)
            .field("seq", &self.seq)
            .field("timeout", &self.timeout)
            .field("reply_limit", &self.reply_limit)
            .finish_non_exhaustive()
    }
}

fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { op, source }
}

impl Netlink {
    /// Opens and binds a socket in the caller's network namespace, with extended
    /// acknowledgements on and the default timeout. The kernel's default receive
    /// buffer is kept (iproute2 asks for 1 MiB): a dump queues one datagram at a time.
    pub fn open() -> Result<Self, Error> {
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(io("socket"))?;
        // As iproute2: a kernel without extended acks still works, so ignore failure.
        let _ = socket.set_ext_ack(true);
        let address = socket.bind_auto().map_err(io("bind"))?;
        let seq = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        let mut netlink = Netlink {
            socket,
            port: address.port_number(),
            seq,
            timeout: DEFAULT_TIMEOUT,
            reply_limit: DEFAULT_REPLY_LIMIT,
            observer: Box::new(NoObserver),
            buffer: Vec::with_capacity(RECV_BUFFER),
            peek_sizes: false,
        };
        netlink.set_timeout(DEFAULT_TIMEOUT)?;
        Ok(netlink)
    }

    /// Replaces the observer that sees every message. It must be `Send`, so that a
    /// `Netlink` can move to another thread with its observer.
    pub fn set_observer(&mut self, observer: Box<dyn Observer + Send>) {
        self.observer = observer;
    }

    /// Sets how long to wait for each datagram of a reply (at least 1 ms).
    pub fn set_timeout(&mut self, timeout: Duration) -> Result<(), Error> {
        let millis = i64::try_from(timeout.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        setsockopt(
            &self.socket,
            sockopt::ReceiveTimeout,
            &TimeVal::milliseconds(millis),
        )
        .map_err(|errno| Error::Io {
            op: "setsockopt(SO_RCVTIMEO)",
            source: std::io::Error::from(errno),
        })?;
        self.timeout = timeout;
        Ok(())
    }

    /// Sets the cap on the bytes of one reply or dump.
    pub fn set_reply_limit(&mut self, limit: usize) {
        self.reply_limit = limit;
    }

    /// The port id the kernel gave this socket.
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Gives `request` the next sequence number, shows it to the observer, sends it
    /// to the kernel, and returns the sequence number.
    fn send(&mut self, request: &mut [u8]) -> Result<u32, Error> {
        self.seq = self.seq.wrapping_add(1);
        set_seq(request, self.seq);
        self.peek_sizes = request
            .get(4..6)
            .is_some_and(|kind| u16::from_ne_bytes([kind[0], kind[1]]) == RTM_GETLINK);
        self.observer.sent(request);
        let kernel = SocketAddr::new(0, 0);
        self.socket
            .send_to(request, &kernel, 0)
            .map_err(io("sendto"))?;
        Ok(self.seq)
    }

    /// Reads one datagram from the kernel into `buffer` (left empty when the
    /// datagram came from elsewhere), with one `recv` unless sizes are peeked at.
    fn receive(&mut self, buffer: &mut Vec<u8>, budget: &mut usize) -> Result<(), Error> {
        for _ in 0..EINTR_RETRIES {
            buffer.clear();
            if self.peek_sizes {
                let peeked = self
                    .socket
                    .recv_from(&mut Vec::new(), libc::MSG_PEEK | libc::MSG_TRUNC);
                match peeked {
                    Ok((size, _)) if size > *budget => {
                        return Err(Error::TooLarge {
                            limit: self.reply_limit,
                        });
                    }
                    Ok((size, _)) => buffer.reserve(size),
                    Err(e) => {
                        self.retry_or_fail(e)?;
                        continue;
                    }
                }
            }
            // MSG_TRUNC: the datagram's full size, even when it did not fit.
            match self.socket.recv_from(buffer, libc::MSG_TRUNC) {
                Ok((size, _)) if size > buffer.len() => {
                    return Err(Error::TooLarge {
                        limit: buffer.capacity(),
                    });
                }
                Ok((size, _)) if size > *budget => {
                    return Err(Error::TooLarge {
                        limit: self.reply_limit,
                    });
                }
                Ok((size, from)) => {
                    *budget -= size;
                    if from.port_number() != 0 {
                        // Not from the kernel: skip it, as iproute2 does.
                        buffer.clear();
                    }
                    return Ok(());
                }
                Err(e) => {
                    self.retry_or_fail(e)?;
                }
            }
        }
        Err(Error::Io {
            op: "recv",
            source: std::io::Error::from_raw_os_error(libc::EINTR),
        })
    }

    /// `Ok` for an interrupted call (try again), the matching error otherwise.
    fn retry_or_fail(&self, e: std::io::Error) -> Result<(), Error> {
        match e.raw_os_error() {
            Some(libc::EINTR) => Ok(()),
            Some(libc::EAGAIN) => Err(Error::Timeout(self.timeout)),
            _ => Err(Error::Io {
                op: "recv",
                source: e,
            }),
        }
    }

    /// Calls `handle` on each message of ours (matching sequence number and port)
    /// until it returns `Some`.
    fn read_replies<T>(
        &mut self,
        seq: u32,
        mut handle: impl FnMut(&Message<'_>) -> Result<Option<T>, Error>,
    ) -> Result<T, Error> {
        let mut budget = self.reply_limit;
        let mut buffer = std::mem::take(&mut self.buffer);
        let result = loop {
            if let Err(e) = self.receive(&mut buffer, &mut budget) {
                break Err(e);
            }
            match self.handle_datagram(&buffer, seq, &mut handle) {
                Ok(None) => continue,
                Ok(Some(done)) => break Ok(done),
                Err(e) => break Err(e),
            }
        };
        self.buffer = buffer;
        result
    }

    /// Shows each message of `datagram` to the observer and calls `handle` on those
    /// answering request `seq`; `Some` once `handle` is done.
    fn handle_datagram<T>(
        &self,
        datagram: &[u8],
        seq: u32,
        handle: &mut impl FnMut(&Message<'_>) -> Result<Option<T>, Error>,
    ) -> Result<Option<T>, Error> {
        for message in Messages::new(datagram) {
            let message = message?;
            self.observer.received(message.bytes);
            if message.header.seq != seq || message.header.pid != self.port {
                continue;
            }
            if let Some(done) = handle(&message)? {
                return Ok(Some(done));
            }
        }
        Ok(None)
    }

    /// Sends a request that carries `NLM_F_ACK` and waits for its acknowledgement.
    /// Other replies to it (echoes) are skipped.
    pub fn acked(&mut self, request: Vec<u8>) -> Result<Ack, Error> {
        self.acked_keeping_echo(request).map(|(_, ack)| ack)
    }

    /// Sends a request that carries `NLM_F_ACK` and `NLM_F_ECHO` (a change the
    /// kernel reports back to the sender) and returns the first message echoed,
    /// header included, once the acknowledgement has arrived. An ack without an
    /// echo is [`Error::NoAnswer`].
    pub fn echoed(&mut self, request: Vec<u8>) -> Result<(Vec<u8>, Ack), Error> {
        let (echo, ack) = self.acked_keeping_echo(request)?;
        echo.map(|echo| (echo, ack)).ok_or(Error::NoAnswer)
    }

    /// Sends `request` and waits for its acknowledgement, keeping the first other
    /// reply (an echo), if any.
    fn acked_keeping_echo(
        &mut self,
        mut request: Vec<u8>,
    ) -> Result<(Option<Vec<u8>>, Ack), Error> {
        let seq = self.send(&mut request)?;
        let mut echo = None;
        let ack = self.read_replies(seq, |message| {
            if message.header.kind != NLMSG_ERROR {
                if echo.is_none() {
                    echo = Some(message.bytes.to_vec());
                }
                return Ok(None);
            }
            let reply = ErrorMessage::decode(message)?;
            match reply.kernel_error() {
                Some(refusal) => Err(Error::Kernel(refusal)),
                None => Ok(Some(Ack {
                    warning: reply.message.filter(|m| !m.is_empty()),
                })),
            }
        })?;
        Ok((echo, ack))
    }

    /// Sends a request that expects one message back (a get, `NLM_F_ECHO`) and
    /// returns that message, header included.
    pub fn answered(&mut self, mut request: Vec<u8>) -> Result<Vec<u8>, Error> {
        let seq = self.send(&mut request)?;
        self.read_replies(seq, |message| {
            if message.header.kind == NLMSG_ERROR {
                let reply = ErrorMessage::decode(message)?;
                return Err(match reply.kernel_error() {
                    Some(refusal) => Error::Kernel(refusal),
                    None => Error::NoAnswer,
                });
            }
            Ok(Some(message.bytes.to_vec()))
        })
    }

    /// Sends a dump request and collects every message up to `NLMSG_DONE`.
    pub fn dump(&mut self, request: Vec<u8>) -> Result<Dump<Vec<u8>>, Error> {
        self.dump_with(request, |message| Ok(Some(message.to_vec())))
    }

    /// Sends a dump request and hands each message up to `NLMSG_DONE` to `each` as
    /// it arrives, keeping what it returns: a caller that prints each entry at once
    /// and keeps nothing holds one datagram in memory, not the whole dump.
    pub fn dump_with<T>(
        &mut self,
        mut request: Vec<u8>,
        mut each: impl FnMut(&[u8]) -> Result<Option<T>, Error>,
    ) -> Result<Dump<T>, Error> {
        let seq = self.send(&mut request)?;
        let mut items = Vec::new();
        let mut interrupted = false;
        self.read_replies(seq, |message| {
            if message.header.flags & NLM_F_DUMP_INTR != 0 {
                interrupted = true;
            }
            match message.header.kind {
                NLMSG_DONE => {
                    let done = DoneMessage::decode(message)?;
                    if done.error < 0 {
                        return Err(Error::Kernel(KernelError {
                            errno: done.error.saturating_neg(),
                            message: done.message,
                            offset: None,
                        }));
                    }
                    Ok(Some(done.message.filter(|m| !m.is_empty())))
                }
                NLMSG_ERROR => {
                    let reply = ErrorMessage::decode(message)?;
                    match reply.kernel_error() {
                        Some(refusal) => Err(Error::Kernel(refusal)),
                        None => Ok(None),
                    }
                }
                _ => {
                    if let Some(item) = each(message.bytes)? {
                        items.push(item);
                    }
                    Ok(None)
                }
            }
        })
        .map(|warning| Dump {
            items,
            interrupted,
            warning,
        })
    }
}
