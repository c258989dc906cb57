/* A CO-RE field access: clang records a relocation in .BTF.ext that a CO-RE loader
 * would adapt to the running kernel's struct layout. */
#include "legacy.h"

struct sk_buff_view {
	unsigned int len;
} __attribute__((preserve_access_index));

SEC("ingress")
int reads_with_core(struct __sk_buff *skb)
{
	struct sk_buff_view *view = (void *)skb;

	return view->len > 100 ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
