//! Attribute numbers shared by qdisc, class and filter messages (`enum` of `TCA_*`
//! in `linux/rtnetlink.h`).

/// `TCA_KIND`: the qdisc or classifier name, a C string.
pub const TCA_KIND: u16 = 1;
/// `TCA_OPTIONS`: kind-specific nest.
pub const TCA_OPTIONS: u16 = 2;
/// `TCA_STATS`: `struct tc_stats`.
pub const TCA_STATS: u16 = 3;
/// `TCA_XSTATS`: kind-specific statistics.
pub const TCA_XSTATS: u16 = 4;
/// `TCA_RATE`: rate estimator parameters.
pub const TCA_RATE: u16 = 5;
/// `TCA_FCNT`: filter count.
pub const TCA_FCNT: u16 = 6;
/// `TCA_STATS2`: nest of `TCA_STATS_*`.
pub const TCA_STATS2: u16 = 7;
/// `TCA_STAB`: size table.
pub const TCA_STAB: u16 = 8;
/// `TCA_PAD`: alignment padding.
pub const TCA_PAD: u16 = 9;
/// `TCA_DUMP_INVISIBLE`: flag asking dumps to include invisible qdiscs.
pub const TCA_DUMP_INVISIBLE: u16 = 10;
/// `TCA_CHAIN`: filter chain index, `u32`.
pub const TCA_CHAIN: u16 = 11;
/// `TCA_HW_OFFLOAD`: `u8`, non-zero when the qdisc is offloaded.
pub const TCA_HW_OFFLOAD: u16 = 12;
/// `TCA_INGRESS_BLOCK`: shared block index on ingress, `u32`.
pub const TCA_INGRESS_BLOCK: u16 = 13;
/// `TCA_EGRESS_BLOCK`: shared block index on egress, `u32`.
pub const TCA_EGRESS_BLOCK: u16 = 14;
/// `TCA_DUMP_FLAGS`: `nla_bitfield32` of dump options (terse).
pub const TCA_DUMP_FLAGS: u16 = 15;
/// One past the last attribute iproute2 6.1 knows (`TCA_MAX + 1`).
pub const TCA_TABLE_SIZE: usize = 16;
