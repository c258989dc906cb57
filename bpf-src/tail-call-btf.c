/* tail-call-btf: tail-call.c written the libbpf way, so tc 6.1 loads it too.
 *
 *   tc filter add dev eth0 ingress bpf da obj tail-call-btf.o sec ingress
 *   tc exec bpf graft /sys/fs/bpf/tc/globals/rtc_jumps_btf obj tail-call-btf.o sec 1/0
 *
 * - rtc_jumps_btf, a program array declared with BTF and pinned by name (libbpf's
 *   LIBBPF_PIN_BY_NAME: tc pins it in its globals directory);
 * - "ingress" jumps to slot 0 of the array and passes the packet if the slot is empty;
 * - "1/0" drops ICMP: the section name says "array 1, slot 0", which is how
 *   `tc exec bpf graft` infers the key when none is given. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rtc_jumps_btf SEC(".maps");

SEC("1/0")
int drop_icmp(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);

	if (ip && ip->protocol == IPPROTO_ICMP)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("ingress")
int jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &rtc_jumps_btf, 0);
	/* Only reached when slot 0 is empty. */
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
