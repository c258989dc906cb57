/* core-missing-kfunc: a call to a kfunc that is not __weak and that the
 * kernel does not have. The loader must refuse the object, naming the function
 * (a __weak one may be tested for and skipped; see core-kfunc-weak.c).
 *
 *   tc filter add dev eth0 ingress bpf da obj core-missing-kfunc.o sec tc  (refused) */
#include "core-common.h"

extern int bpf_rtc_no_such_kfunc(struct __sk_buff *skb) __ksym;

SEC("tc")
int missing_kfunc(struct __sk_buff *ctx)
{
	return bpf_rtc_no_such_kfunc(ctx);
}

char _license[] SEC("license") = "GPL";
