/* Rejected by the verifier: reads the packet without checking data_end. */
#include "legacy.h"

SEC("ingress")
int unchecked_read(struct __sk_buff *skb)
{
	unsigned char *data = (void *)(long)skb->data;

	return data[12] == 0x08 ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
