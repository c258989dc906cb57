/* A "version" section and a licence other than "GPL". */
#include "legacy.h"

SEC("ingress")
int pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

__u32 _version SEC("version") = 0x060100;
char _license[] SEC("license") = "Dual BSD/GPL";
