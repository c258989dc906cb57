//! Statistics attached to qdiscs and filters in dumps: `TCA_STATS2` (a nest of
//! `gnet_stats_*` structures) and the older flat `TCA_STATS` (`struct tc_stats`).
//!
//! Like tc, a structure shorter than expected is read as far as it goes and the rest
//! taken as zero; which parts are present is kept, because tc prints by presence.

use crate::attr::{Attr, AttrTable};
use crate::error::DecodeError;

/// `TCA_STATS_BASIC`: `struct gnet_stats_basic`.
pub const TCA_STATS_BASIC: u16 = 1;
/// `TCA_STATS_RATE_EST`: `struct gnet_stats_rate_est`.
pub const TCA_STATS_RATE_EST: u16 = 2;
/// `TCA_STATS_QUEUE`: `struct gnet_stats_queue`.
pub const TCA_STATS_QUEUE: u16 = 3;
/// `TCA_STATS_APP`: qdisc-specific extended statistics.
pub const TCA_STATS_APP: u16 = 4;
/// `TCA_STATS_RATE_EST64`: `struct gnet_stats_rate_est64`.
pub const TCA_STATS_RATE_EST64: u16 = 5;
/// `TCA_STATS_BASIC_HW`: basic counters of the offloaded part.
pub const TCA_STATS_BASIC_HW: u16 = 7;
/// `TCA_STATS_PKT64`: 64-bit packet counter.
pub const TCA_STATS_PKT64: u16 = 8;

/// Byte and packet counters (`struct gnet_stats_basic`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BasicStats {
    /// Bytes seen.
    pub bytes: u64,
    /// Packets seen (32-bit; see [`Stats2::packets64`]).
    pub packets: u32,
}

/// Rate estimator output (`struct gnet_stats_rate_est`, or the 64-bit variant).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateEstimate {
    /// Bytes per second.
    pub bps: u64,
    /// Packets per second.
    pub pps: u64,
}

/// Queue counters (`struct gnet_stats_queue`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Packets queued.
    pub qlen: u32,
    /// Bytes queued.
    pub backlog: u32,
    /// Packets dropped.
    pub drops: u32,
    /// Packets requeued.
    pub requeues: u32,
    /// Times the qdisc was over its limit.
    pub overlimits: u32,
}

/// The parts of a `TCA_STATS2` nest that were present.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats2 {
    /// `TCA_STATS_BASIC`.
    pub basic: Option<BasicStats>,
    /// `TCA_STATS_BASIC_HW`.
    pub basic_hw: Option<BasicStats>,
    /// `TCA_STATS_PKT64`.
    pub packets64: Option<u64>,
    /// `TCA_STATS_QUEUE`.
    pub queue: Option<QueueStats>,
    /// `TCA_STATS_RATE_EST` (32-bit).
    pub rate_est: Option<RateEstimate>,
    /// `TCA_STATS_RATE_EST64`.
    pub rate_est64: Option<RateEstimate>,
    /// `TCA_STATS_APP` payload (qdisc-specific, not decoded).
    pub app: Option<Vec<u8>>,
}

/// `struct tc_stats`, the flat statistics of `TCA_STATS`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LegacyStats {
    /// Bytes seen.
    pub bytes: u64,
    /// Packets seen.
    pub packets: u32,
    /// Packets dropped.
    pub drops: u32,
    /// Times over limit.
    pub overlimits: u32,
    /// Bytes per second.
    pub bps: u32,
    /// Packets per second.
    pub pps: u32,
    /// Packets queued.
    pub qlen: u32,
    /// Bytes queued.
    pub backlog: u32,
}

/// Statistics of one qdisc or filter, as far as the dump carried them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcStats {
    /// `TCA_STATS2`, decoded.
    pub stats2: Option<Stats2>,
    /// `TCA_STATS`, decoded.
    pub legacy: Option<LegacyStats>,
    /// `TCA_XSTATS` payload (qdisc-specific, not decoded).
    pub xstats: Option<Vec<u8>>,
}

impl TcStats {
    /// Whether any statistics attribute was present.
    pub fn is_empty(&self) -> bool {
        self.stats2.is_none() && self.legacy.is_none() && self.xstats.is_none()
    }
}

/// The first `N` bytes of `payload`, zero-filled when it is shorter (tc's
/// `memcpy(&s, data, MIN(len, sizeof(s)))`).
fn prefix<const N: usize>(payload: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = payload.len().min(N);
    out[..n].copy_from_slice(&payload[..n]);
    out
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_ne_bytes(w)
}

fn basic(attr: &Attr<'_>) -> BasicStats {
    let b = prefix::<12>(attr.payload);
    BasicStats {
        bytes: u64_at(&b, 0),
        packets: u32_at(&b, 8),
    }
}

/// Decodes the payload of a `TCA_STATS2` attribute.
pub fn decode_stats2(payload: &[u8]) -> Result<Stats2, DecodeError> {
    let table = AttrTable::<9>::parse(payload)?;
    let mut stats = Stats2 {
        basic: table.get(TCA_STATS_BASIC).map(basic),
        basic_hw: table.get(TCA_STATS_BASIC_HW).map(basic),
        ..Stats2::default()
    };
    if let Some(attr) = table.get(TCA_STATS_PKT64) {
        stats.packets64 = Some(u64_at(&prefix::<8>(attr.payload), 0));
    }
    if let Some(attr) = table.get(TCA_STATS_QUEUE) {
        let b = prefix::<20>(attr.payload);
        stats.queue = Some(QueueStats {
            qlen: u32_at(&b, 0),
            backlog: u32_at(&b, 4),
            drops: u32_at(&b, 8),
            requeues: u32_at(&b, 12),
            overlimits: u32_at(&b, 16),
        });
    }
    if let Some(attr) = table.get(TCA_STATS_RATE_EST) {
        let b = prefix::<8>(attr.payload);
        stats.rate_est = Some(RateEstimate {
            bps: u64::from(u32_at(&b, 0)),
            pps: u64::from(u32_at(&b, 4)),
        });
    }
    if let Some(attr) = table.get(TCA_STATS_RATE_EST64) {
        let b = prefix::<16>(attr.payload);
        stats.rate_est64 = Some(RateEstimate {
            bps: u64_at(&b, 0),
            pps: u64_at(&b, 8),
        });
    }
    stats.app = table.get(TCA_STATS_APP).map(|a| a.payload.to_vec());
    Ok(stats)
}

/// Decodes the payload of a `TCA_STATS` attribute.
pub fn decode_legacy(payload: &[u8]) -> LegacyStats {
    let b = prefix::<36>(payload);
    LegacyStats {
        bytes: u64_at(&b, 0),
        packets: u32_at(&b, 8),
        drops: u32_at(&b, 12),
        overlimits: u32_at(&b, 16),
        bps: u32_at(&b, 20),
        pps: u32_at(&b, 24),
        qlen: u32_at(&b, 28),
        backlog: u32_at(&b, 32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_structures_read_as_zero() {
        // BASIC with only 4 bytes, QUEUE empty.
        let payload = [8u8, 0, 1, 0, 5, 0, 0, 0, 4, 0, 3, 0];
        let stats = decode_stats2(&payload).unwrap();
        assert_eq!(stats.basic.unwrap().bytes, 5);
        assert_eq!(stats.queue.unwrap(), QueueStats::default());
        assert_eq!(decode_legacy(&[1, 0]).bytes, 1);
    }

    #[test]
    fn malformed_nest_is_an_error() {
        assert!(decode_stats2(&[20, 0, 1, 0, 0, 0]).is_err());
    }
}
