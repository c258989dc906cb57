/* The shortest legacy layout: four u32 (no flags field), 16 bytes per map. */
#include "legacy.h"

struct short_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
};

struct short_map_def SEC("maps") tiny = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 1,
};

SEC("ingress")
int use_tiny(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u32 *value = bpf_map_lookup_elem(&tiny, &key);

	return value ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
