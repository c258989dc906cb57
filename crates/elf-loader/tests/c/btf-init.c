/* BTF-defined maps with initial values: a program array holding "tail" at key 1
 * and a map-in-map holding "inner" at key 0, both filled by the loader. */
#include "legacy.h"

struct inner_def {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner_def inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner_def);
} outer SEC(".maps") = {
	.values = { [0] = &inner },
};

int tail(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, int(struct __sk_buff *));
} jumps SEC(".maps") = {
	.values = { [1] = (void *)&tail },
};

SEC("tc")
int tail(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

SEC("tc")
int entry(struct __sk_buff *skb)
{
	__u32 zero = 0;
	void *map = bpf_map_lookup_elem(&outer, &zero);

	if (map && bpf_map_lookup_elem(map, &zero))
		bpf_tail_call(skb, &jumps, 1);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
