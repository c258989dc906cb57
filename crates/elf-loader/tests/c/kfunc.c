/* A call to a kernel function (kfunc), declared as an extern __ksym. */
#include "legacy.h"

extern void bpf_rcu_read_lock(void) __ksym;

SEC("ingress")
int calls_kfunc(struct __sk_buff *skb)
{
	bpf_rcu_read_lock();
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
