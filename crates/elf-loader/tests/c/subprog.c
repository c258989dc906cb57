/* A bpf-to-bpf call into .text: the loader links is_arp in after the program. */
#include "legacy.h"

__noinline int is_arp(struct __sk_buff *skb)
{
	return skb->protocol == __builtin_bswap16(0x0806);
}

SEC("ingress")
int drop_arp(struct __sk_buff *skb)
{
	return is_arp(skb) ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
