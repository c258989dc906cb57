/* libbpf-style: a program written the way libbpf expects, not iproute2.
 *
 *   tc filter add dev eth0 ingress bpf da obj libbpf-style.o sec tc
 *
 * - proto_count, a hash map declared with BTF in ".maps": packets per IP protocol;
 * - blocked_proto, a `const volatile` setting in ".rodata": the loader stores the
 *   section in a map and freezes it, so the verifier sees the value as a constant;
 * - packets_seen, a counter in ".bss", and generation, a variable in ".data";
 * - ip_protocol(), a __noinline function in ".text" that the program calls
 *   (a bpf-to-bpf call the loader links in).
 *
 * It drops the blocked protocol (ICMP as built) and counts everything. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

const volatile __u8 blocked_proto = IPPROTO_ICMP;
__u64 packets_seen;
__u64 generation = 7;

/* The IPv4 protocol number of the packet, or -1 if it is not IPv4. */
__noinline int ip_protocol(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);

	return ip ? ip->protocol : -1;
}

SEC("tc")
int count_and_block(struct __sk_buff *skb)
{
	__u64 one = 1, *count;
	__u32 key;
	int proto;

	__sync_fetch_and_add(&packets_seen, generation);
	proto = ip_protocol(skb);
	if (proto < 0)
		return TC_ACT_OK;
	key = proto;
	count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&proto_count, &key, &one, BPF_NOEXIST);
	return proto == blocked_proto ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
