/* pin-shared: one map, pinned in the global namespace, counted into by an
 * ingress and an egress program.
 *
 *   tc filter add dev eth0 ingress bpf da obj pin-shared.o sec ingress
 *   tc filter add dev eth0 egress bpf da obj pin-shared.o sec egress
 *   bpftool map dump pinned /sys/fs/bpf/tc/globals/rtc_shared_count
 *
 * The second load finds the map pinned by the first (same type, sizes, max
 * entries and flags) and uses it instead of creating its own, so both programs
 * count into the same map: key 0 counts packets seen on ingress, key 1 on egress. */
#include "common.h"
#include "iproute2.h"

struct bpf_elf_map SEC("maps") rtc_shared_count = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 2,
	.pinning = PIN_GLOBAL_NS,
};

static __always_inline int count(__u32 slot)
{
	__u64 *packets = bpf_map_lookup_elem(&rtc_shared_count, &slot);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return TC_ACT_OK;
}

SEC("ingress")
int count_ingress(struct __sk_buff *skb)
{
	return count(0);
}

SEC("egress")
int count_egress(struct __sk_buff *skb)
{
	return count(1);
}

char _license[] SEC("license") = "GPL";
