/* Maps libbpf adjusts before creating them: a perf event array without
 * max_entries (one entry per possible CPU) and a ring buffer whose size is not
 * a power-of-two number of pages. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 5000);
} ring SEC(".maps");

SEC("tc")
int report(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, &len, sizeof(len));
	bpf_ringbuf_output(&ring, &len, sizeof(len), 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
