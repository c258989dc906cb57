/* pin-race: two programs sharing one map pinned in the global namespace; the
 * verifier accepts "good" and rejects "bad". Loading both at once on a fresh bpffs
 * is the race of a failing load against a successful one over the same pin:
 *
 *   tc filter add dev eth0 ingress bpf da obj pin-race.o sec bad &
 *   tc filter add dev eth0 ingress bpf da obj pin-race.o sec good
 *
 * Whatever the timing, the good load's map must stay pinned afterwards. */
#include "common.h"
#include "iproute2.h"

struct bpf_elf_map SEC("maps") rtc_race_count = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_GLOBAL_NS,
};

SEC("good")
int race_good(struct __sk_buff *skb)
{
	__u32 slot = 0;
	__u64 *packets = bpf_map_lookup_elem(&rtc_race_count, &slot);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return TC_ACT_OK;
}

SEC("bad")
int race_bad(struct __sk_buff *skb)
{
	struct ethhdr *eth = (void *)(long)skb->data;
	__u32 slot = 0;
	__u64 *packets = bpf_map_lookup_elem(&rtc_race_count, &slot);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	/* Missing: the check that the header lies before data_end. */
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
