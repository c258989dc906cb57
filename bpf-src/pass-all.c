/* pass-all: lets every packet through. The smallest useful tc program.
 *
 * Its section is "classifier", tc's default, so `sec` may be left out:
 *
 *   tc filter add dev eth0 ingress bpf da obj pass-all.o */
#include "common.h"

SEC("classifier")
int pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
