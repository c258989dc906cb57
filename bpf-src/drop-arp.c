/* drop-arp: drops every ARP frame, lets everything else through.
 *
 *   tc filter add dev eth0 ingress bpf da obj drop-arp.o sec ingress
 *
 * With this on ingress, the host stops answering ARP requests: neighbours
 * can no longer resolve its address (arping fails), while IP traffic from
 * neighbours that already know its MAC address still flows. */
#include "common.h"

SEC("ingress")
int drop(struct __sk_buff *skb)
{
	/* skb->protocol is the EtherType, in network byte order. */
	if (skb->protocol == bpf_htons(ETH_P_ARP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
