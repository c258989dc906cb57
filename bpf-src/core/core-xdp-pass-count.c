/* core-xdp-pass-count: an XDP program built against vmlinux.h. Lets every
 * packet through and counts packets and bytes per CPU.
 *
 *   ip link set dev eth0 xdpgeneric obj core-xdp-pass-count.o sec xdp
 *
 * The context is vmlinux.h's `struct xdp_md`, so `ctx->data` and
 * `ctx->data_end` are CO-RE relocations (field byte offset) as in
 * core-drop-arp.c; the counters are a BTF-defined per-CPU array in ".maps". */
#include "core-common.h"

/* Slot 0: packets, slot 1: bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} xdp_counts SEC(".maps");

static __always_inline void add(__u32 slot, __u64 amount)
{
	__u64 *counter = bpf_map_lookup_elem(&xdp_counts, &slot);

	if (counter)
		*counter += amount; /* per-CPU: no other CPU writes this slot */
}

SEC("xdp")
int xdp_pass_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	add(0, 1);
	add(1, data_end - data);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
