/* iproute2's struct bpf_elf_map (36 bytes), one map asking to be pinned. */
#include "legacy.h"

struct bpf_elf_map SEC("maps") plain = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 2,
	.id = 7,
};

struct bpf_elf_map SEC("maps") shared = {
	.type = BPF_MAP_TYPE_HASH,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 8,
	.pinning = 2, /* PIN_GLOBAL_NS */
	.inner_idx = 3,
};

SEC("classifier")
int use_plain(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&plain, &key);

	if (value)
		*value = skb->len;
	return TC_ACT_OK;
}

SEC("pinned")
int use_shared(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	__u32 *value = bpf_map_lookup_elem(&shared, &key);

	return value ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
