/* An iproute2 map with a custom pinning id (a path from /etc/iproute2/bpf_pinning). */
#include "legacy.h"

struct bpf_elf_map SEC("maps") custom = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 1,
	.pinning = 7,
};

SEC("ingress")
int use_custom(struct __sk_buff *skb)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&custom, &key) ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
