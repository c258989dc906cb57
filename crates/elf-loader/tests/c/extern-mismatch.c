/* Externs whose types disagree with the kernel's, built against vmlinux.h:
 * -DKFUNC: bpf_dynptr_from_skb with two parameters (the kernel's has three);
 * otherwise bpf_prog_active as a struct (the kernel's is an int). -DWEAK makes
 * the extern __weak. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#ifdef WEAK
#define MAYBE_WEAK __weak
#else
#define MAYBE_WEAK
#endif

#ifdef KFUNC
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, u64 flags) __ksym MAYBE_WEAK;
#else
extern struct rq bpf_prog_active __ksym MAYBE_WEAK;
#endif

SEC("tc")
int mismatched(struct __sk_buff *skb)
{
#ifdef KFUNC
	return bpf_dynptr_from_skb(skb, 0);
#else
	return ((struct rq *)bpf_this_cpu_ptr(&bpf_prog_active))->cpu;
#endif
}

char _license[] SEC("license") = "GPL";
