/* xdp_ip_filter: drops IPv4 packets whose source address is in a map that
 * user space fills, and counts the drops per CPU.
 *
 *   rtc link set dev eth0 xdp obj xdp_ip_filter.o
 *   rtc map update pinned /sys/fs/bpf/xdp/globals/xdp_blocked \
 *       key 10 0 0 2 value 0 0 0 0 0 0 0 0
 *   rtc map dump pinned /sys/fs/bpf/xdp/globals/xdp_drops
 *
 * The section is "prog", the one `ip link set ... xdp obj FILE` reads when no
 * `sec` is given. Both maps use iproute2's struct bpf_elf_map layout in the
 * "maps" section and ask to be pinned in the global namespace, so the loader
 * pins them as <bpffs>/xdp/globals/<name>, where user space finds them (and a
 * later load of the same object reuses them). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "iproute2.h"

/* Blocked sources: key is the IPv4 source address as it appears in the
 * packet (network byte order, so `key 10 0 0 2` is 10.0.0.2); value counts
 * the packets dropped from that address. */
struct bpf_elf_map SEC("maps") xdp_blocked = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1024,
	.pinning = PIN_GLOBAL_NS,
};

/* Key 0 counts every dropped packet, one counter per CPU (no atomics). */
struct bpf_elf_map SEC("maps") xdp_drops = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_GLOBAL_NS,
};

SEC("prog")
int xdp_ip_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	__u32 zero = 0;
	__u64 *from_source, *total;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	from_source = bpf_map_lookup_elem(&xdp_blocked, &ip->saddr);
	if (!from_source)
		return XDP_PASS;
	__sync_fetch_and_add(from_source, 1);

	total = bpf_map_lookup_elem(&xdp_drops, &zero);
	if (total)
		*total += 1;
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
