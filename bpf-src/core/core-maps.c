/* core-maps: two map definitions that a libbpf-style loader must fix up
 * before it can create them.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-maps.o sec tc
 *
 * - `events`, a BPF_MAP_TYPE_PERF_EVENT_ARRAY without max_entries: it holds
 *   one perf buffer per CPU, so libbpf sizes it to the number of possible
 *   CPUs (/sys/devices/system/cpu/possible). The kernel refuses max_entries 0.
 * - `ring`, a BPF_MAP_TYPE_RINGBUF of 5000 bytes: the kernel wants a power of
 *   two that is a multiple of the page size, so libbpf (1.0 and later) rounds
 *   it up, to 8192 with 4 KiB pages.
 *
 * The program sends each packet's length to both. */
#include "core-common.h"

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
int report_len(struct __sk_buff *skb)
{
	__u32 len = skb->len;

	bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, &len, sizeof(len));
	bpf_ringbuf_output(&ring, &len, sizeof(len), 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
