/* drop-icmp: drops IPv4 ICMP packets (ping), lets everything else through.
 *
 *   tc filter add dev eth0 ingress bpf da obj drop-icmp.o sec ingress */
#include "common.h"

SEC("ingress")
int drop_icmp(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);

	if (ip && ip->protocol == IPPROTO_ICMP)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
