/* bad-verifier: a program the kernel verifier rejects, for error tests.
 *
 * It reads the EtherType straight from the packet without first checking
 * that the bytes lie before data_end. The verifier refuses to load it
 * ("invalid access to packet"), and a loader must report that log. */
#include "common.h"

SEC("ingress")
int unchecked(struct __sk_buff *skb)
{
	struct ethhdr *eth = (void *)(long)skb->data;

	/* Missing: if ((void *)(eth + 1) > (void *)(long)skb->data_end) ... */
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
