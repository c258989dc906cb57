/* iproute2 map-in-map: "outer" takes the map with id 42 ("inner") as its inner
 * template, and "inner" (inner_idx 3) is stored at key 3 of every map whose
 * inner_id is 42. */
#include "legacy.h"

struct bpf_elf_map SEC("maps") inner = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 1,
	.id = 42,
	.inner_idx = 3,
};

struct bpf_elf_map SEC("maps") outer = {
	.type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 8,
	.inner_id = 42,
};

SEC("ingress")
int through_outer(struct __sk_buff *skb)
{
	__u32 key = 3, zero = 0;
	void *map = bpf_map_lookup_elem(&outer, &key);
	__u32 *value;

	if (!map)
		return TC_ACT_OK;
	value = bpf_map_lookup_elem(map, &zero);
	return value && *value ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
