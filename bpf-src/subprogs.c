/* subprogs: a classifier whose helpers call helpers, to pin down where the loader
 * places them. The program calls first() then second(); first() calls leaf().
 * libbpf (and so tc) appends a function at its first call and walks it at once,
 * so the loaded order is classify, first, leaf, second; a breadth-first loader
 * would place leaf last, and the kernel would compute another program tag.
 *
 *   tc filter add dev eth0 ingress bpf da obj subprogs.o sec ingress
 *
 * It passes every packet, leaving the sum in skb->mark. */
#include "common.h"

static __noinline int leaf(struct __sk_buff *skb)
{
	return skb->len & 1;
}

static __noinline int first(struct __sk_buff *skb)
{
	return leaf(skb) + 1;
}

static __noinline int second(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(ETH_P_IP) ? 2 : 0;
}

SEC("ingress")
int classify(struct __sk_buff *skb)
{
	skb->mark = first(skb) + second(skb);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
