/* A static map: clang relocates against the "maps" section symbol and leaves the
 * map's offset in the instruction's immediate. */
#include "legacy.h"

struct bpf_map_def SEC("maps") first_map = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 1,
};

static struct bpf_map_def SEC("maps") hidden = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 2,
};

SEC("ingress")
int use_hidden(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u64 *value = bpf_map_lookup_elem(&hidden, &key);

	return value ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
