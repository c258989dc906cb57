/* many-maps: twenty BTF-defined maps and thirty map references in one program,
 * the "attach-maps" case of scripts/bench (the loader's per-map and
 * per-relocation work, where drop-arp.o has none).
 *
 *   tc filter add dev eth0 ingress bpf da obj many-maps.o sec ingress
 *
 * Every packet is counted in each of the twenty `packets_N` arrays, and its
 * length is added to the first ten (so ten maps are referenced twice: thirty
 * `ld_imm64` instructions that the loader must point at a map). The maps are
 * declared in ".maps" with BTF, which both tc 6.1 (through libbpf) and rtc load;
 * nothing is pinned, so every load creates fresh maps. Lets everything through. */
#include "common.h"

/* One array map with a single u64 slot. */
#define COUNTER_MAP(name)                                                      \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY);                              \
		__uint(max_entries, 1);                                        \
		__type(key, __u32);                                            \
		__type(value, __u64);                                          \
	} name SEC(".maps")

COUNTER_MAP(packets_0);
COUNTER_MAP(packets_1);
COUNTER_MAP(packets_2);
COUNTER_MAP(packets_3);
COUNTER_MAP(packets_4);
COUNTER_MAP(packets_5);
COUNTER_MAP(packets_6);
COUNTER_MAP(packets_7);
COUNTER_MAP(packets_8);
COUNTER_MAP(packets_9);
COUNTER_MAP(packets_10);
COUNTER_MAP(packets_11);
COUNTER_MAP(packets_12);
COUNTER_MAP(packets_13);
COUNTER_MAP(packets_14);
COUNTER_MAP(packets_15);
COUNTER_MAP(packets_16);
COUNTER_MAP(packets_17);
COUNTER_MAP(packets_18);
COUNTER_MAP(packets_19);

/* Adds `amount` to slot 0 of `map`. */
static __always_inline void add(void *map, __u64 amount)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(map, &key);

	if (value)
		__sync_fetch_and_add(value, amount);
}

SEC("ingress")
int count_everywhere(struct __sk_buff *skb)
{
	__u64 len = skb->len;

	add(&packets_0, 1);
	add(&packets_1, 1);
	add(&packets_2, 1);
	add(&packets_3, 1);
	add(&packets_4, 1);
	add(&packets_5, 1);
	add(&packets_6, 1);
	add(&packets_7, 1);
	add(&packets_8, 1);
	add(&packets_9, 1);
	add(&packets_10, 1);
	add(&packets_11, 1);
	add(&packets_12, 1);
	add(&packets_13, 1);
	add(&packets_14, 1);
	add(&packets_15, 1);
	add(&packets_16, 1);
	add(&packets_17, 1);
	add(&packets_18, 1);
	add(&packets_19, 1);
	add(&packets_0, len);
	add(&packets_1, len);
	add(&packets_2, len);
	add(&packets_3, len);
	add(&packets_4, len);
	add(&packets_5, len);
	add(&packets_6, len);
	add(&packets_7, len);
	add(&packets_8, len);
	add(&packets_9, len);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
