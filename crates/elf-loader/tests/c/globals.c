/* Global data of every kind: .data, .rodata (a const volatile setting), .bss, and
 * a custom .data.NAME section. */
#include "legacy.h"

__u64 counter;
__u32 initial = 0x11223344;
const volatile __u32 limit = 1000;
__u32 custom[2] SEC(".data.custom") = { 5, 6 };

SEC("ingress")
int use_globals(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&counter, 1);
	custom[1] += initial;
	return skb->len > limit ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
