/* CO-RE relocations of every kind, against the running kernel's types: built with
 * a vmlinux.h generated from /sys/kernel/btf/vmlinux by the test. With -DPLAIN only
 * skb_fields is built, against the uapi <linux/bpf.h>, where clang writes the field
 * offsets itself: the oracle for the relocated __sk_buff offsets. */
#ifdef PLAIN
#include <linux/bpf.h>
#else
#include "vmlinux.h"
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

SEC("tc")
int skb_fields(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (data + 14 > data_end)
		return 0;
	return skb->len + skb->mark + skb->protocol + skb->ifindex + skb->cb[2] +
	       skb->tc_index;
}

#ifndef PLAIN
/* A flavor: the kernel's task_struct seen through a smaller local view. */
struct task_struct___mine {
	int pid;
	int tgid;
} __attribute__((preserve_access_index));

/* A flavor with a field no kernel has. */
struct task_struct___old {
	long rtc_not_in_any_kernel;
} __attribute__((preserve_access_index));

SEC("kprobe/fields")
int task_fields(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct___mine *m = (void *)t;
	struct task_struct___old *o = (void *)t;
	int pid = 0, tgid = 0;
	long old = 0;

	bpf_probe_read_kernel(&pid, sizeof(pid), &t->pid);
	bpf_probe_read_kernel(&tgid, sizeof(tgid), &m->tgid);
	if (bpf_core_field_exists(o->rtc_not_in_any_kernel))
		bpf_probe_read_kernel(&old, sizeof(old), &o->rtc_not_in_any_kernel);
	return pid + tgid + old + bpf_core_field_exists(t->pid) +
	       bpf_core_field_size(t->pid) + __CORE_RELO(t, pid, SIGNED) +
	       bpf_core_field_size(t->comm) + __CORE_RELO(t, flags, SIGNED);
}

SEC("kprobe/unguarded")
int missing_field(void *ctx)
{
	struct task_struct___old *o = (void *)bpf_get_current_task();

	return o->rtc_not_in_any_kernel;
}

SEC("kprobe/bitfields")
int bitfields(struct sk_buff *skb)
{
	struct perf_branch_entry *branch = (void *)skb;
	struct ring_buffer_event *event = (void *)skb;
	struct tcp_sock *tp = (void *)skb;

	return BPF_CORE_READ_BITFIELD(skb, cloned) + BPF_CORE_READ_BITFIELD(skb, fclone) +
	       BPF_CORE_READ_BITFIELD(branch, cycles) + BPF_CORE_READ_BITFIELD(branch, priv) +
	       BPF_CORE_READ_BITFIELD(event, time_delta) + BPF_CORE_READ_BITFIELD(tp, nonagle);
}

struct rtc_no_such_type {
	int x;
};

struct sk_buff___small {
	unsigned int len;
};

struct sk_buff___bad {
	char len;
};

SEC("kprobe/types")
int types(void *ctx)
{
	return bpf_core_type_id_local(struct task_struct) +
	       bpf_core_type_id_kernel(struct task_struct) +
	       bpf_core_type_exists(struct task_struct) +
	       bpf_core_type_exists(struct rtc_no_such_type) +
	       bpf_core_type_size(struct task_struct) +
	       bpf_core_type_size(struct rtc_no_such_type) +
	       bpf_core_type_matches(struct sk_buff___small) +
	       bpf_core_type_matches(struct sk_buff___bad);
}

enum bpf_func_id___future {
	BPF_FUNC_rtc_future = 99999,
};

enum perf_callchain_context___future {
	PERF_CONTEXT_RTC_FUTURE = 0xfffffffffffff000ULL,
};

SEC("kprobe/enums")
int enums(void *ctx)
{
	unsigned long long big = bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_MAX);

	if (bpf_core_enum_value_exists(enum perf_callchain_context___future,
				       PERF_CONTEXT_RTC_FUTURE))
		big += bpf_core_enum_value(enum perf_callchain_context___future,
					   PERF_CONTEXT_RTC_FUTURE);
	return big + bpf_core_enum_value(enum bpf_func_id, BPF_FUNC_ktime_get_ns) +
	       bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_ns) +
	       bpf_core_enum_value_exists(enum bpf_func_id___future, BPF_FUNC_rtc_future);
}
#endif

char _license[] SEC("license") = "GPL";
