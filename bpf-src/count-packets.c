/* count-packets: counts every packet in a map and lets it through.
 *
 *   tc filter add dev eth0 ingress bpf da obj count-packets.o sec ingress
 *   bpftool map dump name packets
 *
 * The map is declared the old way: a struct bpf_map_def in a section named
 * "maps" (no BTF). The loader must create the map, then patch the
 * instruction that loads `packets` so that it refers to the new map's fd. */
#include "common.h"

/* The legacy map definition: five u32 fields, in this order. */
struct bpf_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 map_flags;
};

/* One slot: key 0 holds the number of packets seen. */
struct bpf_map_def SEC("maps") packets = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
	.map_flags = 0,
};

SEC("ingress")
int count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&packets, &key);

	/* The lookup may fail in the verifier's eyes, so check for NULL. */
	if (value)
		__sync_fetch_and_add(value, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
