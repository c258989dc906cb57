/* Input for crates/cli/tests/obj.rs: iproute2's legacy map definition asking for
 * PIN_OBJECT_NS, pinned in a directory named after the object file's SHA-1. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "iproute2.h" /* struct bpf_elf_map, PIN_OBJECT_NS (bpf-src/) */

struct bpf_elf_map SEC("maps") rtc_obj_ns = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_OBJECT_NS,
};

SEC("ingress")
int count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&rtc_obj_ns, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
