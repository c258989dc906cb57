/* A global variable, in .bss. */
#include "legacy.h"

__u64 hits;

SEC("ingress")
int count_hits(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&hits, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
