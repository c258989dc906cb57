/* A PIN_OBJECT_NS map, used by a good program and by one the verifier rejects
 * (whose failed load must leave no pin behind). */
#include "legacy.h"

struct bpf_elf_map SEC("maps") per_object = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u32),
	.max_elem = 1,
	.pinning = 1, /* PIN_OBJECT_NS */
};

SEC("good")
int count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u32 *value = bpf_map_lookup_elem(&per_object, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return TC_ACT_OK;
}

SEC("bad")
int unchecked(struct __sk_buff *skb)
{
	__u32 key = 0;
	unsigned char *data = (void *)(long)skb->data;

	bpf_map_lookup_elem(&per_object, &key);
	return data[12] == 0x08 ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
