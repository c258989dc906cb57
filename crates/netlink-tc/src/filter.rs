//! Filter requests (`tc filter add|replace|change|del|get`), the dump request of
//! `tc filter show`, and the decoding of filter messages, with the options of the
//! `bpf` classifier (cls_bpf) decoded attribute by attribute.
//!
//! The layout is tc 6.1's: a `tcmsg` whose `tcm_info` is `(pref << 16) |
//! htons(protocol)`, then `TCA_CHAIN` (only when a chain was given), `TCA_KIND`
//! ("bpf\0"), and `TCA_OPTIONS` (without `NLA_F_NESTED`) holding `TCA_BPF_CLASSID`,
//! `TCA_BPF_FD`, `TCA_BPF_NAME`, `TCA_BPF_FLAGS_GEN`, `TCA_BPF_FLAGS` in that order.

use std::os::fd::{AsRawFd, BorrowedFd};

use crate::attr::AttrTable;
use crate::error::{DecodeError, EncodeError, Error};
use crate::message::{
    AF_UNSPEC, Message, MessageBuilder, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_ECHO,
    NLM_F_EXCL, NLM_F_REQUEST, RTM_DELTFILTER, RTM_GETTFILTER, RTM_NEWTFILTER, TcMsg,
};
use crate::socket::{Ack, Dump, Netlink};
use crate::stats::{TcStats, decode_legacy, decode_stats2};
use crate::tca::*;

/// `TCA_BPF_ACT`: actions nest.
pub const TCA_BPF_ACT: u16 = 1;
/// `TCA_BPF_POLICE`: policer nest.
pub const TCA_BPF_POLICE: u16 = 2;
/// `TCA_BPF_CLASSID`: class to return (`classid`/`flowid`), `u32`.
pub const TCA_BPF_CLASSID: u16 = 3;
/// `TCA_BPF_OPS_LEN`: number of classic BPF instructions, `u16`.
pub const TCA_BPF_OPS_LEN: u16 = 4;
/// `TCA_BPF_OPS`: classic BPF instructions (`struct sock_filter` array).
pub const TCA_BPF_OPS: u16 = 5;
/// `TCA_BPF_FD`: fd of a loaded eBPF program, `u32`.
pub const TCA_BPF_FD: u16 = 6;
/// `TCA_BPF_NAME`: the program's label, `"object:[section]"`, a C string.
pub const TCA_BPF_NAME: u16 = 7;
/// `TCA_BPF_FLAGS`: `u32`, see [`TCA_BPF_FLAG_ACT_DIRECT`].
pub const TCA_BPF_FLAGS: u16 = 8;
/// `TCA_BPF_FLAGS_GEN`: `u32` of `TCA_CLS_FLAGS_*`.
pub const TCA_BPF_FLAGS_GEN: u16 = 9;
/// `TCA_BPF_TAG`: the program's tag (8 bytes), in dumps.
pub const TCA_BPF_TAG: u16 = 10;
/// `TCA_BPF_ID`: the program's id, `u32`, in dumps.
pub const TCA_BPF_ID: u16 = 11;
/// One past the highest `TCA_BPF_*` attribute.
const TCA_BPF_TABLE_SIZE: usize = 12;

/// `TCA_BPF_FLAG_ACT_DIRECT`: the program's return value is the action (`da`).
pub const TCA_BPF_FLAG_ACT_DIRECT: u32 = 1;
/// `TCA_CLS_FLAGS_SKIP_HW`: do not offload (`skip_hw`).
pub const TCA_CLS_FLAGS_SKIP_HW: u32 = 1;
/// `TCA_CLS_FLAGS_SKIP_SW`: only offload (`skip_sw`).
pub const TCA_CLS_FLAGS_SKIP_SW: u32 = 2;
/// `TCA_CLS_FLAGS_IN_HW`: reported in dumps: the filter is offloaded.
pub const TCA_CLS_FLAGS_IN_HW: u32 = 4;
/// `TCA_CLS_FLAGS_NOT_IN_HW`: reported in dumps: the filter is not offloaded.
pub const TCA_CLS_FLAGS_NOT_IN_HW: u32 = 8;

/// `ETH_P_ALL`: the protocol tc puts in `filter add` and `replace` when none is given.
pub const ETH_P_ALL: u16 = 0x0003;

/// What to do with a filter; each maps to tc's message type and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    /// `tc filter add`: `RTM_NEWTFILTER`, `REQUEST|ACK|EXCL|CREATE` (0x605).
    Add,
    /// `tc filter replace`: `RTM_NEWTFILTER`, `REQUEST|ACK|CREATE` (0x405).
    Replace,
    /// `tc filter change`: `RTM_NEWTFILTER`, `REQUEST|ACK` (0x005).
    Change,
    /// `tc filter del`: `RTM_DELTFILTER`, `REQUEST|ACK` (0x005).
    Delete,
}

impl FilterOp {
    /// The `nlmsg_type` and `nlmsg_flags` tc uses for this operation.
    pub fn type_and_flags(self) -> (u16, u16) {
        let base = NLM_F_REQUEST | NLM_F_ACK;
        match self {
            FilterOp::Add => (RTM_NEWTFILTER, base | NLM_F_EXCL | NLM_F_CREATE),
            FilterOp::Replace => (RTM_NEWTFILTER, base | NLM_F_CREATE),
            FilterOp::Change => (RTM_NEWTFILTER, base),
            FilterOp::Delete => (RTM_DELTFILTER, base),
        }
    }

    /// Whether tc defaults the protocol to `ETH_P_ALL` for this operation (add and
    /// replace do; change and delete send 0 when no protocol is given).
    pub fn defaults_protocol(self) -> bool {
        matches!(self, FilterOp::Add | FilterOp::Replace)
    }
}

/// The code a cls_bpf filter runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BpfCode<'fd> {
    /// A loaded eBPF program (`bpf obj F [sec S]`, `bpf pinned P`).
    Program {
        /// The loaded program (sent as `TCA_BPF_FD`), borrowed: it stays open at
        /// least until the request is sent.
        fd: BorrowedFd<'fd>,
        /// Label shown by `filter show` (`TCA_BPF_NAME`); see [`BpfAttach::object_name`].
        name: String,
    },
    /// Classic BPF instructions (`bpf bytecode '...'`), sent as `TCA_BPF_OPS_LEN` and
    /// `TCA_BPF_OPS`.
    Classic(Vec<ClassicInsn>),
}

/// The program a cls_bpf filter runs and how (`bpf [da] obj F [sec S] ...`).
///
/// Built with [`BpfAttach::program`] or [`BpfAttach::classic`], then the `with_*`
/// methods (fields may be added, so it cannot be written as a struct literal outside
/// this crate):
///
/// ```
/// use std::os::fd::AsFd;
/// use netlink_tc::BpfAttach;
/// # fn main() -> std::io::Result<()> {
/// let program = std::fs::File::open("/dev/null")?; // stands for a loaded program
/// let label = BpfAttach::object_name("drop-arp.o", "ingress");
/// let bpf = BpfAttach::program(program.as_fd(), label)
///     .with_direct_action(true)
///     .with_classid(0x1_0001);
/// assert_eq!((bpf.flags(), bpf.classid), (1, Some(0x1_0001)));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BpfAttach<'fd> {
    /// The code: an eBPF program fd or classic instructions.
    pub code: BpfCode<'fd>,
    /// `classid`/`flowid` (`TCA_BPF_CLASSID`); set it with [`BpfAttach::with_classid`]
    /// or [`BpfAttach::with_classid_first`], which also decide where it is sent.
    pub classid: Option<u32>,
    /// tc emits options in the order of the command line: `true` when `classid` came
    /// after the program, so `TCA_BPF_CLASSID` follows the code attributes.
    classid_after_code: bool,
    /// `skip_hw`.
    pub skip_hw: bool,
    /// `skip_sw`.
    pub skip_sw: bool,
    /// `da` / `direct-action`.
    pub direct_action: bool,
}

impl<'fd> BpfAttach<'fd> {
    /// An eBPF program with no classid and no flags. `name` is the label `filter
    /// show` prints (see [`BpfAttach::object_name`]).
    pub fn program(fd: BorrowedFd<'fd>, name: String) -> Self {
        BpfAttach::new(BpfCode::Program { fd, name })
    }

    /// Classic BPF instructions with no classid and no flags.
    pub fn classic(insns: Vec<ClassicInsn>) -> Self {
        BpfAttach::new(BpfCode::Classic(insns))
    }

    /// `code` with no classid and no flags.
    pub fn new(code: BpfCode<'fd>) -> Self {
        BpfAttach {
            code,
            classid: None,
            classid_after_code: false,
            skip_hw: false,
            skip_sw: false,
            direct_action: false,
        }
    }

    /// Sets `da` / `direct-action`: the program's return value is the verdict.
    pub fn with_direct_action(mut self, on: bool) -> Self {
        self.direct_action = on;
        self
    }

    /// Sets `skip_hw` (never offload).
    pub fn with_skip_hw(mut self, on: bool) -> Self {
        self.skip_hw = on;
        self
    }

    /// Sets `skip_sw` (offload only).
    pub fn with_skip_sw(mut self, on: bool) -> Self {
        self.skip_sw = on;
        self
    }

    /// Sets `classid` (`flowid`), sent after the code attributes, as tc sends
    /// `bpf obj F classid C`.
    pub fn with_classid(mut self, classid: u32) -> Self {
        self.classid = Some(classid);
        self.classid_after_code = true;
        self
    }

    /// Sets `classid`, sent before the code attributes, as tc sends
    /// `bpf classid C obj F` (tc keeps the order of the command line).
    pub fn with_classid_first(mut self, classid: u32) -> Self {
        self.classid = Some(classid);
        self.classid_after_code = false;
        self
    }

    /// The label tc gives a program loaded from an object file: the file's base name
    /// (what follows the last `/`) and the section, as `"drop.o:[ingress]"`, cut to
    /// 255 bytes like tc's buffer.
    pub fn object_name(object_path: &str, section: &str) -> String {
        let base = object_path.rsplit('/').next().unwrap_or(object_path);
        truncate_label(format!("{base}:[{section}]"))
    }

    /// The label tc gives a pinned program (`bpf pinned PATH`): `"NAME:[*fsobj]"`.
    pub fn pinned_name(pin_path: &str) -> String {
        let base = pin_path.rsplit('/').next().unwrap_or(pin_path);
        truncate_label(format!("{base}:[*fsobj]"))
    }

    /// `TCA_BPF_FLAGS_GEN` value.
    pub fn flags_gen(&self) -> u32 {
        let mut flags = 0;
        if self.skip_hw {
            flags |= TCA_CLS_FLAGS_SKIP_HW;
        }
        if self.skip_sw {
            flags |= TCA_CLS_FLAGS_SKIP_SW;
        }
        flags
    }

    /// `TCA_BPF_FLAGS` value.
    pub fn flags(&self) -> u32 {
        if self.direct_action {
            TCA_BPF_FLAG_ACT_DIRECT
        } else {
            0
        }
    }
}

fn truncate_label(mut label: String) -> String {
    const MAX: usize = 255;
    if label.len() > MAX {
        let mut cut = MAX;
        while !label.is_char_boundary(cut) {
            cut -= 1;
        }
        label.truncate(cut);
    }
    label
}

/// The filter a request is about: the words of a `tc filter` command line.
///
/// Built with [`FilterSpec::bpf`] (a cls_bpf filter, kind set) or [`FilterSpec::new`]
/// (for delete, get and chains), then the `with_*` methods or field by field (fields
/// may be added, so it cannot be written as a struct literal outside this crate).
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct FilterSpec<'fd> {
    /// Device index.
    pub ifindex: u32,
    /// Attach point: [`crate::handle::INGRESS`], [`crate::handle::EGRESS`], or any
    /// `parent` handle.
    pub parent: u32,
    /// Filter handle (`handle N`), 0 when not given.
    pub handle: u32,
    /// Priority (`pref N`), 0 when not given.
    pub pref: u16,
    /// EtherType in host order (`protocol ip` is 0x0800). `None`: `ETH_P_ALL` for add
    /// and replace, 0 for the other operations, as tc does.
    pub protocol: Option<u16>,
    /// Chain index (`chain N`), sent as `TCA_CHAIN` only when given.
    pub chain: Option<u32>,
    /// Classifier kind (`TCA_KIND`), e.g. "bpf"; omitted when `None`, unless `bpf`
    /// is set, which always sends "bpf".
    pub kind: Option<String>,
    /// cls_bpf options (`TCA_OPTIONS`); omitted when `None`.
    pub bpf: Option<BpfAttach<'fd>>,
}

impl<'fd> FilterSpec<'fd> {
    /// A request about the filters at `parent` of device `ifindex` with nothing else
    /// set: no kind, options, priority, handle, protocol or chain.
    ///
    /// ```
    /// use netlink_tc::{FilterSpec, handle};
    /// let spec = FilterSpec::new(2, handle::INGRESS).with_pref(1).with_handle(1).with_kind("bpf");
    /// assert_eq!((spec.pref, spec.handle, spec.kind.as_deref()), (1, 1, Some("bpf")));
    /// ```
    pub fn new(ifindex: u32, parent: u32) -> Self {
        FilterSpec {
            ifindex,
            parent,
            ..FilterSpec::default()
        }
    }

    /// Sets the filter handle (`handle N`).
    pub fn with_handle(mut self, handle: u32) -> Self {
        self.handle = handle;
        self
    }

    /// Sets the priority (`pref N`).
    pub fn with_pref(mut self, pref: u16) -> Self {
        self.pref = pref;
        self
    }

    /// Sets the EtherType, host order (`protocol ip` is 0x0800).
    pub fn with_protocol(mut self, protocol: u16) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Sets the chain (`chain N`).
    pub fn with_chain(mut self, chain: u32) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Sets the classifier kind (`TCA_KIND`).
    pub fn with_kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }

    /// Sets the cls_bpf options, and the kind to "bpf" (the kernel needs both).
    pub fn with_bpf(mut self, bpf: BpfAttach<'fd>) -> Self {
        self.kind = Some("bpf".into());
        self.bpf = Some(bpf);
        self
    }

    /// A cls_bpf filter on `parent` of device `ifindex` running `bpf`, with the kind
    /// ("bpf") set, which the kernel requires, and priority, handle and protocol left
    /// to tc's defaults (the kernel picks the first two; `ETH_P_ALL` for add/replace).
    ///
    /// ```
    /// use std::os::fd::AsFd;
    /// use netlink_tc::{BpfAttach, FilterSpec, handle};
    /// # fn main() -> std::io::Result<()> {
    /// let program = std::fs::File::open("/dev/null")?; // stands for a loaded program
    /// let label = BpfAttach::object_name("drop-arp.o", "ingress");
    /// let spec = FilterSpec::bpf(2, handle::INGRESS, BpfAttach::program(program.as_fd(), label));
    /// assert_eq!(spec.kind.as_deref(), Some("bpf"));
    /// assert_eq!((spec.pref, spec.handle, spec.protocol), (0, 0, None));
    /// # Ok(()) }
    /// ```
    pub fn bpf(ifindex: u32, parent: u32, bpf: BpfAttach<'fd>) -> Self {
        FilterSpec::new(ifindex, parent).with_bpf(bpf)
    }

    /// The kind sent as `TCA_KIND`: the one set, or "bpf" when cls_bpf options are
    /// set without one (the kernel refuses options without a kind).
    pub(crate) fn kind_to_send(&self) -> Option<&str> {
        match (&self.kind, &self.bpf) {
            (Some(kind), _) => Some(kind),
            (None, Some(_)) => Some("bpf"),
            (None, None) => None,
        }
    }
}

/// `TC_H_MAKE(pref << 16, htons(protocol))`.
pub fn tcm_info(pref: u16, protocol: u16) -> u32 {
    (u32::from(pref) << 16) | u32::from(protocol.to_be())
}

pub(crate) fn filter_tcmsg(spec: &FilterSpec<'_>, protocol: u16) -> [u8; 20] {
    TcMsg {
        family: AF_UNSPEC,
        ifindex: spec.ifindex,
        handle: spec.handle,
        parent: spec.parent,
        info: tcm_info(spec.pref, protocol),
    }
    .encode()
}

pub(crate) fn push_bpf_options(b: &mut MessageBuilder, bpf: &BpfAttach<'_>) {
    let nest = b.begin_nest(TCA_OPTIONS);
    let classid = bpf.classid.map(|classid| (classid, bpf.classid_after_code));
    if let Some((classid, false)) = classid {
        b.attr_u32(TCA_BPF_CLASSID, classid);
    }
    match &bpf.code {
        BpfCode::Program { fd, name } => {
            // The kernel reads TCA_BPF_FD as a u32; a valid fd is never negative.
            b.attr_u32(TCA_BPF_FD, fd.as_raw_fd() as u32);
            b.attr_str(TCA_BPF_NAME, name);
        }
        BpfCode::Classic(insns) => {
            // A count that does not fit makes the kernel refuse the request (EINVAL).
            let count = u16::try_from(insns.len()).unwrap_or(u16::MAX);
            b.attr(TCA_BPF_OPS_LEN, &count.to_ne_bytes());
            let ops: Vec<u8> = insns.iter().flat_map(ClassicInsn::to_bytes).collect();
            b.attr(TCA_BPF_OPS, &ops);
        }
    }
    if let Some((classid, true)) = classid {
        b.attr_u32(TCA_BPF_CLASSID, classid);
    }
    if bpf.flags_gen() != 0 {
        b.attr_u32(TCA_BPF_FLAGS_GEN, bpf.flags_gen());
    }
    if bpf.flags() != 0 {
        b.attr_u32(TCA_BPF_FLAGS, bpf.flags());
    }
    b.end_nest(nest);
}

/// Encodes `op` on `spec` as tc does (sequence number 0, filled in when sent).
///
/// ```
/// use netlink_tc::filter::{decode_filter, encode_filter, ETH_P_ALL};
/// use netlink_tc::message::{Message, RTM_NEWTFILTER};
/// use netlink_tc::{BpfAttach, FilterOp, FilterSpec, handle};
/// use std::os::fd::AsFd;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let fd = std::fs::File::open("/dev/null")?; // stands for a loaded program
/// let program = BpfAttach::program(fd.as_fd(), "drop-arp.o:[ingress]".into());
/// let bpf = program.with_direct_action(true);
/// let bytes = encode_filter(FilterOp::Add, &FilterSpec::bpf(2, handle::INGRESS, bpf))?;
/// let message = Message::parse(&bytes)?;
/// assert_eq!(message.header.kind, RTM_NEWTFILTER);
/// assert_eq!(message.header.flags, 0x605); // REQUEST | ACK | EXCL | CREATE
/// let filter = decode_filter(&message)?;
/// assert_eq!((filter.protocol(), filter.kind.as_deref()), (ETH_P_ALL, Some("bpf")));
/// let options = filter.bpf().expect("cls_bpf options");
/// assert!(options.direct_action());
/// assert_eq!(options.name.as_deref(), Some("drop-arp.o:[ingress]"));
/// # Ok(()) }
/// ```
pub fn encode_filter(op: FilterOp, spec: &FilterSpec<'_>) -> Result<Vec<u8>, EncodeError> {
    let (kind, flags) = op.type_and_flags();
    let protocol = spec
        .protocol
        .unwrap_or(if op.defaults_protocol() { ETH_P_ALL } else { 0 });
    let mut b = MessageBuilder::new(kind, flags);
    b.push_fixed(&filter_tcmsg(spec, protocol));
    if let Some(chain) = spec.chain {
        b.attr_u32(TCA_CHAIN, chain);
    }
    if let Some(kind) = spec.kind_to_send() {
        b.attr_str(TCA_KIND, kind);
    }
    if let Some(bpf) = &spec.bpf {
        push_bpf_options(&mut b, bpf);
    }
    b.finish()
}

/// Encodes `tc filter get`: `RTM_GETTFILTER` with `REQUEST|ECHO` (0x009), the
/// `tcmsg` of `spec`, then `TCA_CHAIN` if given and `TCA_KIND`. tc requires the
/// protocol, pref, parent, handle and kind; a missing protocol is sent as 0 here.
pub fn encode_filter_get(spec: &FilterSpec<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut b = MessageBuilder::new(RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_ECHO);
    b.push_fixed(&filter_tcmsg(spec, spec.protocol.unwrap_or(0)));
    if let Some(chain) = spec.chain {
        b.attr_u32(TCA_CHAIN, chain);
    }
    if let Some(kind) = &spec.kind {
        b.attr_str(TCA_KIND, kind);
    }
    b.finish()
}

/// What `tc filter show` asks the kernel for. Built with [`FilterDumpSpec::new`] and
/// the `with_*` methods, or field by field (fields may be added).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterDumpSpec {
    /// Device index.
    pub ifindex: u32,
    /// Attach point (0: the root qdisc, which lists nothing for clsact).
    pub parent: u32,
    /// Only this priority (0: all). Goes into `tcm_info` as with tc.
    pub pref: u16,
    /// Only this EtherType, host order (0: all). Goes into `tcm_info`.
    pub protocol: u16,
    /// Only this chain (`TCA_CHAIN`); `None`: all chains.
    pub chain: Option<u32>,
}

impl FilterDumpSpec {
    /// All filters at `parent` of device `ifindex`, every priority, protocol and chain.
    ///
    /// ```
    /// use netlink_tc::{FilterDumpSpec, handle};
    /// let spec = FilterDumpSpec::new(2, handle::INGRESS).with_pref(49152).with_chain(0);
    /// assert_eq!((spec.pref, spec.protocol, spec.chain), (49152, 0, Some(0)));
    /// ```
    pub fn new(ifindex: u32, parent: u32) -> Self {
        FilterDumpSpec {
            ifindex,
            parent,
            ..FilterDumpSpec::default()
        }
    }

    /// Only this priority.
    pub fn with_pref(mut self, pref: u16) -> Self {
        self.pref = pref;
        self
    }

    /// Only this EtherType, host order.
    pub fn with_protocol(mut self, protocol: u16) -> Self {
        self.protocol = protocol;
        self
    }

    /// Only this chain.
    pub fn with_chain(mut self, chain: u32) -> Self {
        self.chain = Some(chain);
        self
    }
}

/// Encodes the dump request of `tc filter show`: `RTM_GETTFILTER` with
/// `REQUEST|DUMP` (0x301), then `TCA_CHAIN` if a chain was given.
pub fn encode_filter_dump(spec: &FilterDumpSpec) -> Vec<u8> {
    let mut b = MessageBuilder::new(RTM_GETTFILTER, NLM_F_REQUEST | NLM_F_DUMP);
    b.push_fixed(
        &TcMsg {
            family: AF_UNSPEC,
            ifindex: spec.ifindex,
            handle: 0,
            parent: spec.parent,
            info: tcm_info(spec.pref, spec.protocol),
        }
        .encode(),
    );
    if let Some(chain) = spec.chain {
        b.attr_u32(TCA_CHAIN, chain);
    }
    // Fixed-size content cannot overflow the length fields.
    b.finish().unwrap_or_default()
}

/// One classic BPF instruction (`struct sock_filter`), from `TCA_BPF_OPS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassicInsn {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Constant operand.
    pub k: u32,
}

impl ClassicInsn {
    /// The 8 bytes of `struct sock_filter` in host order.
    pub fn to_bytes(&self) -> [u8; 8] {
        let mut out = [0u8; 8];
        out[0..2].copy_from_slice(&self.code.to_ne_bytes());
        out[2] = self.jt;
        out[3] = self.jf;
        out[4..8].copy_from_slice(&self.k.to_ne_bytes());
        out
    }
}

/// The options of a cls_bpf filter, as a dump carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BpfOptions {
    /// `TCA_BPF_CLASSID`.
    pub classid: Option<u32>,
    /// `TCA_BPF_FD`: in requests (as `--explain` decodes them). Current kernels
    /// never dump it (a dump names the program by `id`); the first cls_bpf kernels
    /// did, with the fd number of the process that attached it, which means nothing
    /// elsewhere.
    pub fd: Option<u32>,
    /// `TCA_BPF_NAME`.
    pub name: Option<String>,
    /// `TCA_BPF_FLAGS` ([`TCA_BPF_FLAG_ACT_DIRECT`]).
    pub flags: Option<u32>,
    /// `TCA_BPF_FLAGS_GEN` (`TCA_CLS_FLAGS_*`: skip_hw 1, skip_sw 2, in_hw 4,
    /// not_in_hw 8).
    pub flags_gen: Option<u32>,
    /// `TCA_BPF_TAG`, all of its bytes (8 for current kernels).
    pub tag: Option<Vec<u8>>,
    /// `TCA_BPF_ID`.
    pub id: Option<u32>,
    /// `TCA_BPF_OPS_LEN` and as many `TCA_BPF_OPS` instructions as both the count
    /// and the payload allow (classic BPF filters only).
    pub classic: Option<Vec<ClassicInsn>>,
    /// Whether `TCA_BPF_POLICE` was present (not decoded).
    pub has_police: bool,
    /// Whether `TCA_BPF_ACT` was present (not decoded).
    pub has_actions: bool,
}

impl BpfOptions {
    /// Whether the filter runs in direct-action mode.
    pub fn direct_action(&self) -> bool {
        self.flags.unwrap_or(0) & TCA_BPF_FLAG_ACT_DIRECT != 0
    }
}

/// Options of a filter, decoded when the kind is one this crate knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOptions {
    /// cls_bpf.
    Bpf(BpfOptions),
    /// Another classifier: the raw `TCA_OPTIONS` payload.
    Other(Vec<u8>),
}

/// One filter message from a dump, a get, or a notification.
///
/// A dump holds one entry per priority (the classifier instance, no options) and
/// one per filter (with options), in the order the kernel sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Filter {
    /// `nlmsg_type` (`RTM_NEWTFILTER`, `RTM_DELTFILTER`).
    pub msg_type: u16,
    /// `nlmsg_flags` (tc prints "added"/"replaced" from these in monitors).
    pub msg_flags: u16,
    /// Device index (0xFFFFFFFF: shared block).
    pub ifindex: u32,
    /// Filter handle (0 for the per-priority entry).
    pub handle: u32,
    /// Attach point (the block index when `ifindex` is 0xFFFFFFFF).
    pub parent: u32,
    /// Raw `tcm_info`; see [`Filter::pref`] and [`Filter::protocol`].
    pub info: u32,
    /// `TCA_KIND`.
    pub kind: Option<String>,
    /// `TCA_CHAIN`.
    pub chain: Option<u32>,
    /// `TCA_OPTIONS`, decoded for "bpf".
    pub options: Option<FilterOptions>,
    /// Statistics, if the dump carried any.
    pub stats: TcStats,
}

impl Filter {
    /// The priority (upper half of `tcm_info`).
    pub fn pref(&self) -> u16 {
        (self.info >> 16) as u16
    }

    /// The EtherType in host order (lower half of `tcm_info` is in network order).
    pub fn protocol(&self) -> u16 {
        u16::from_be(self.info as u16)
    }

    /// The cls_bpf options, if this is a bpf filter with options.
    pub fn bpf(&self) -> Option<&BpfOptions> {
        match &self.options {
            Some(FilterOptions::Bpf(bpf)) => Some(bpf),
            _ => None,
        }
    }
}

/// Decodes the payload of a cls_bpf `TCA_OPTIONS` attribute.
pub fn decode_bpf_options(payload: &[u8]) -> Result<BpfOptions, DecodeError> {
    let attrs = AttrTable::<TCA_BPF_TABLE_SIZE>::parse(payload)?;
    let u32_of = |kind: u16, what: &'static str| -> Result<Option<u32>, DecodeError> {
        attrs.get(kind).map(|a| a.u32(what)).transpose()
    };
    let classic = match (attrs.get(TCA_BPF_OPS_LEN), attrs.get(TCA_BPF_OPS)) {
        (Some(len), Some(ops)) => {
            let count = usize::from(len.u16("TCA_BPF_OPS_LEN")?);
            let insns = ops
                .payload
                .chunks_exact(8)
                .take(count)
                .map(|c| ClassicInsn {
                    code: u16::from_ne_bytes([c[0], c[1]]),
                    jt: c[2],
                    jf: c[3],
                    k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
                })
                .collect();
            Some(insns)
        }
        _ => None,
    };
    Ok(BpfOptions {
        classid: u32_of(TCA_BPF_CLASSID, "TCA_BPF_CLASSID")?,
        fd: u32_of(TCA_BPF_FD, "TCA_BPF_FD")?,
        name: attrs.get(TCA_BPF_NAME).map(|a| a.string()),
        flags: u32_of(TCA_BPF_FLAGS, "TCA_BPF_FLAGS")?,
        flags_gen: u32_of(TCA_BPF_FLAGS_GEN, "TCA_BPF_FLAGS_GEN")?,
        tag: attrs.get(TCA_BPF_TAG).map(|a| a.payload.to_vec()),
        id: u32_of(TCA_BPF_ID, "TCA_BPF_ID")?,
        classic,
        has_police: attrs.get(TCA_BPF_POLICE).is_some(),
        has_actions: attrs.get(TCA_BPF_ACT).is_some(),
    })
}

/// Decodes an `RTM_NEWTFILTER`, `RTM_DELTFILTER` or `RTM_GETTFILTER` message.
pub fn decode_filter(message: &Message<'_>) -> Result<Filter, DecodeError> {
    let msg_type = message.header.kind;
    if !matches!(msg_type, RTM_NEWTFILTER | RTM_DELTFILTER | RTM_GETTFILTER) {
        return Err(DecodeError::UnexpectedType {
            expected: "filter",
            found: msg_type,
        });
    }
    let tcm = TcMsg::decode(message.payload)?;
    let attrs = AttrTable::<TCA_TABLE_SIZE>::parse(message.payload.get(20..).unwrap_or(&[]))?;
    let kind = attrs.get(TCA_KIND).map(|a| a.string());
    let options = match (attrs.get(TCA_OPTIONS), kind.as_deref()) {
        (Some(opts), Some("bpf")) => Some(FilterOptions::Bpf(decode_bpf_options(opts.payload)?)),
        (Some(opts), _) => Some(FilterOptions::Other(opts.payload.to_vec())),
        (None, _) => None,
    };
    Ok(Filter {
        msg_type,
        msg_flags: message.header.flags,
        ifindex: tcm.ifindex,
        handle: tcm.handle,
        parent: tcm.parent,
        info: tcm.info,
        kind,
        chain: attrs
            .get(TCA_CHAIN)
            .map(|a| a.u32("TCA_CHAIN"))
            .transpose()?,
        options,
        stats: TcStats {
            stats2: attrs
                .get(TCA_STATS2)
                .map(|a| decode_stats2(a.payload))
                .transpose()?,
            legacy: attrs.get(TCA_STATS).map(|a| decode_legacy(a.payload)),
            xstats: attrs.get(TCA_XSTATS).map(|a| a.payload.to_vec()),
        },
    })
}

impl Netlink {
    /// Sends `op` on `spec` and waits for the kernel's acknowledgement.
    pub fn filter(&mut self, op: FilterOp, spec: &FilterSpec<'_>) -> Result<Ack, Error> {
        let request = encode_filter(op, spec)?;
        self.acked(request)
    }

    /// `tc filter get`: asks for one filter and decodes the kernel's answer.
    pub fn get_filter(&mut self, spec: &FilterSpec<'_>) -> Result<Filter, Error> {
        let answer = self.answered(encode_filter_get(spec)?)?;
        Ok(decode_filter(&Message::parse(&answer)?)?)
    }

    /// `tc filter show`: dumps the filters `spec` selects. Messages of other types
    /// (chain templates) are skipped.
    pub fn filters(&mut self, spec: &FilterDumpSpec) -> Result<Dump<Filter>, Error> {
        let raw = self.dump(encode_filter_dump(spec))?;
        raw.try_map(|message| {
            let message = Message::parse(message)?;
            match message.header.kind {
                RTM_NEWTFILTER | RTM_DELTFILTER | RTM_GETTFILTER => {
                    decode_filter(&message).map(Some)
                }
                _ => Ok(None),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_like_tc() {
        assert_eq!(
            BpfAttach::object_name("/tmp/dir/drop.o", "ingress"),
            "drop.o:[ingress]"
        );
        assert_eq!(
            BpfAttach::object_name("x.o", "classifier"),
            "x.o:[classifier]"
        );
        assert_eq!(BpfAttach::pinned_name("/sys/fs/bpf/p"), "p:[*fsobj]");
        assert_eq!(BpfAttach::object_name(&"a".repeat(300), "s").len(), 255);
    }

    #[test]
    fn info_packs_pref_and_network_order_protocol() {
        let info = tcm_info(7, 0x86dd);
        assert_eq!(info >> 16, 7);
        assert_eq!((info as u16).to_ne_bytes(), [0x86, 0xdd]);
        let filter = Filter {
            info,
            ..Filter::default()
        };
        assert_eq!(filter.pref(), 7);
        assert_eq!(filter.protocol(), 0x86dd);
    }

    #[test]
    fn classic_ops_never_read_past_payload() {
        // OPS_LEN claims 5 instructions, OPS holds 1.
        let mut payload = vec![6u8, 0, 4, 0, 5, 0, 0, 0];
        payload.extend_from_slice(&[12, 0, 5, 0]);
        payload.extend_from_slice(&[6, 0, 0, 0, 0xff, 0xff, 0, 0]);
        let opts = decode_bpf_options(&payload).unwrap();
        assert_eq!(opts.classic.unwrap().len(), 1);
    }
}
