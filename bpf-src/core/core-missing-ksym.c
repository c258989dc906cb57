/* core-missing-ksym: a __ksym extern that is not __weak and that the kernel
 * does not have. The loader must refuse the object, naming the symbol (a __weak
 * one would resolve to 0; see core-ksym.c).
 *
 *   tc filter add dev eth0 ingress bpf da obj core-missing-ksym.o sec tc  (refused) */
#include "core-common.h"

extern const void rtc_no_such_symbol __ksym;

/* The address, if there were one (map "core_mis.bss"). */
__u64 address;

SEC("tc")
int missing_ksym(struct __sk_buff *ctx)
{
	address = (__u64)&rtc_no_such_symbol;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
