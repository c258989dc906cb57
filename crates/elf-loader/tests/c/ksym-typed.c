/* Typed __ksym variables, built against vmlinux.h: an int, a struct, a weak one
 * the kernel lacks, and a kfunc whose address is taken (bpf_ksym_exists). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern int bpf_prog_active __ksym;
extern struct rq runqueues __ksym;
extern struct rq rtc_surely_not_a_variable __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;

__u64 seen[4];

SEC("tc")
int uses_typed_ksyms(struct __sk_buff *skb)
{
	seen[0] = *(int *)bpf_this_cpu_ptr(&bpf_prog_active);
	seen[1] = ((struct rq *)bpf_this_cpu_ptr(&runqueues))->cpu;
	seen[2] = (__u64)&rtc_surely_not_a_variable;
	seen[3] = !!bpf_rcu_read_lock;
	return 0;
}

char _license[] SEC("license") = "GPL";
