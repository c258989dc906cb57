/* core-kfunc-weak: a __weak kfunc that this kernel does not have, called only
 * when it exists.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-kfunc-weak.o sec tc
 *
 * A program written for several kernels declares a newer kfunc __weak and
 * tests rtc_ksym_exists() before calling it. The loader resolves a missing
 * weak kfunc to 0: the test (an ld_imm64 of the function's address) becomes
 * the constant 0, and the call, which the verifier never reaches, keeps an
 * id of 0 (the kernel accepts that in dead code since 6.3). The existing
 * kfunc bpf_dynptr_from_skb is tested the same way and is found. */
#include "core-common.h"

extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym __weak;
extern int bpf_rtc_no_such_kfunc(struct __sk_buff *skb) __ksym __weak;

/* Answers (map "core_kfu.bss"). */
__u32 has_dynptr_from_skb, has_no_such_kfunc;

SEC("tc")
int kfunc_weak(struct __sk_buff *skb)
{
	struct bpf_dynptr packet;

	has_dynptr_from_skb = rtc_ksym_exists(bpf_dynptr_from_skb);
	has_no_such_kfunc = rtc_ksym_exists(bpf_rtc_no_such_kfunc);
	if (rtc_ksym_exists(bpf_rtc_no_such_kfunc))
		return bpf_rtc_no_such_kfunc(skb);
	if (rtc_ksym_exists(bpf_dynptr_from_skb))
		bpf_dynptr_from_skb(skb, 0, &packet);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
