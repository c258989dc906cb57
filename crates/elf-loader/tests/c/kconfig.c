/* A __kconfig extern variable, which libbpf fills from the kernel's config. */
#include "legacy.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;

SEC("ingress")
int reads_kconfig(struct __sk_buff *skb)
{
	return LINUX_KERNEL_VERSION > 0x050000 ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
