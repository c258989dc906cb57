/* pin-all: two maps that ask to be pinned by name; the program uses only one.
 *
 *   tc filter add dev eth0 ingress bpf da obj pin-all.o sec ingress
 *
 * tc (libbpf) creates and pins both, so a user-space tool can open
 * /sys/fs/bpf/tc/globals/rtc_pin_config even though no program of this load
 * reads it (it is there for another program, or for the tool, to use). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rtc_pin_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rtc_pin_config SEC(".maps");

SEC("ingress")
int count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *packets = bpf_map_lookup_elem(&rtc_pin_count, &key);

	if (packets)
		__sync_fetch_and_add(packets, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
