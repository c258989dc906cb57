/* pin-shared-bigger: declares rtc_shared_count like pin-shared.c, but with
 * room for 4 entries instead of 2. Loading it while pin-shared.c's map is
 * pinned must fail, naming the field that differs (max entries), rather than
 * silently using a map of another shape. */
#include "common.h"
#include "iproute2.h"

struct bpf_elf_map SEC("maps") rtc_shared_count = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 4,
	.pinning = PIN_GLOBAL_NS,
};

SEC("ingress")
int count_more(struct __sk_buff *skb)
{
	__u32 slot = 3;
	__u64 *packets = bpf_map_lookup_elem(&rtc_shared_count, &slot);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
