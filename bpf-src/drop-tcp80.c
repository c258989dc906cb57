/* drop-tcp80: drops IPv4 TCP segments sent to port 80, nothing else.
 *
 *   tc filter add dev eth0 ingress bpf da obj drop-tcp80.o sec ingress
 *
 * Connections to port 80 time out (their SYNs vanish); other ports, ICMP
 * and ARP are untouched. */
#include "common.h"

SEC("ingress")
int drop_tcp80(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = ipv4_header(skb);
	struct tcphdr *tcp;

	if (!ip || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;

	/* The TCP header starts after the IP header and its options. */
	tcp = ipv4_payload(ip);
	if ((void *)(tcp + 1) > data_end)
		return TC_ACT_OK;

	if (tcp->dest == bpf_htons(80))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
