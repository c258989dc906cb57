/* Input for crates/cli/tests/obj.rs: a BTF-defined map that asks libbpf (and so tc)
 * to pin it by name. `rtc obj show` says where it will be pinned; the test loads
 * it with the real tc and looks there. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} rtc_obj_pinned SEC(".maps");

SEC("tc")
int count(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *value = bpf_map_lookup_elem(&rtc_obj_pinned, &key);

	if (value)
		__sync_fetch_and_add(value, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
