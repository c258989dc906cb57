//! The statistics lines `-s` adds under a qdisc or filter: `Sent N bytes M pkt
//! (dropped ...)`, the optional rate line, and `backlog Xb Yp requeues Z`.

use netlink_tc::TcStats;
use netlink_tc::stats::Stats2;

use super::format::{rate, size};
use super::printer::{Printer, Value};

/// Prints `stats` with `prefix` at the start of each line, as tc's
/// `print_tcstats_attr`: `TCA_STATS2` when present, else the old `TCA_STATS`.
/// Qdisc-specific `TCA_XSTATS` / `TCA_STATS_APP` are not rendered.
pub fn print_stats(p: &mut Printer, stats: &TcStats, prefix: &str) {
    if let Some(stats2) = &stats.stats2 {
        print_stats2(p, stats2, prefix);
    } else if let Some(old) = &stats.legacy {
        // tc writes these with plain fprintf, whatever the output mode.
        p.raw(&format!(
            "{prefix}Sent {} bytes {} pkts (dropped {}, overlimits {}) ",
            old.bytes, old.packets, old.drops, old.overlimits
        ));
        if old.bps != 0 || old.pps != 0 || old.qlen != 0 || old.backlog != 0 {
            p.raw(&format!("\n{prefix}"));
            if old.bps != 0 || old.pps != 0 {
                p.raw("rate ");
                if old.bps != 0 {
                    p.text(&format!("{} ", rate(u64::from(old.bps))));
                }
                if old.pps != 0 {
                    p.raw(&format!("{}pps ", old.pps));
                }
            }
            if old.qlen != 0 || old.backlog != 0 {
                p.raw("backlog ");
                if old.backlog != 0 {
                    p.text(&format!("{} ", size(old.backlog)));
                }
                if old.qlen != 0 {
                    p.raw(&format!("{}p ", old.qlen));
                }
            }
        }
    }
}

fn print_stats2(p: &mut Printer, stats: &Stats2, prefix: &str) {
    if let Some(basic) = stats.basic {
        p.text(prefix);
        p.field(
            "bytes",
            Value::Uint(basic.bytes),
            &format!("Sent {} bytes", basic.bytes),
        );
        match stats.packets64 {
            Some(packets) if packets != 0 => {
                p.field("packets", Value::Uint(packets), &format!(" {packets} pkt"))
            }
            _ => p.field(
                "packets",
                Value::Uint(u64::from(basic.packets)),
                &format!(" {} pkt", basic.packets),
            ),
        }
    }
    if let Some(queue) = stats.queue {
        p.field(
            "drops",
            Value::Uint(queue.drops.into()),
            &format!(" (dropped {}", queue.drops),
        );
        p.field(
            "overlimits",
            Value::Uint(queue.overlimits.into()),
            &format!(", overlimits {}", queue.overlimits),
        );
        p.field(
            "requeues",
            Value::Uint(queue.requeues.into()),
            &format!(" requeues {}) ", queue.requeues),
        );
    }
    if stats.basic_hw.is_some() {
        print_hw_split(p, stats, prefix);
    }
    if let Some(estimate) = stats.rate_est64.or(stats.rate_est) {
        p.text(&format!("\n{prefix}"));
        p.json_only("rate", Value::Uint(estimate.bps));
        p.text(&format!("rate {}", rate(estimate.bps)));
        p.field(
            "pps",
            Value::Uint(estimate.pps),
            &format!(" {}pps", estimate.pps),
        );
    }
    if let Some(queue) = stats.queue {
        // tc checks only the 32-bit estimator here.
        if stats.rate_est.is_none() {
            p.newline();
        }
        p.text(prefix);
        p.field(
            "backlog",
            Value::Uint(queue.backlog.into()),
            &format!("backlog {}", size(queue.backlog)),
        );
        p.field(
            "qlen",
            Value::Uint(queue.qlen.into()),
            &format!(" {}p", queue.qlen),
        );
        p.text(&format!(" requeues {}", queue.requeues));
    }
}

/// The software/hardware split of the counters, when part of the traffic was
/// offloaded.
fn print_hw_split(p: &mut Printer, stats: &Stats2, prefix: &str) {
    let hw = stats.basic_hw.unwrap_or_default();
    if hw.bytes == 0 && hw.packets == 0 {
        return;
    }
    if let Some(all) = stats.basic {
        if all.bytes >= hw.bytes && all.packets >= hw.packets {
            let bytes = all.bytes - hw.bytes;
            let packets = all.packets - hw.packets;
            p.newline();
            p.text(prefix);
            p.field(
                "sw_bytes",
                Value::Uint(bytes),
                &format!("Sent software {bytes} bytes"),
            );
            p.field(
                "sw_packets",
                Value::Uint(packets.into()),
                &format!(" {packets} pkt"),
            );
        }
    }
    p.newline();
    p.text(prefix);
    p.field(
        "hw_bytes",
        Value::Uint(hw.bytes),
        &format!("Sent hardware {} bytes", hw.bytes),
    );
    p.field(
        "hw_packets",
        Value::Uint(hw.packets.into()),
        &format!(" {} pkt", hw.packets),
    );
}
