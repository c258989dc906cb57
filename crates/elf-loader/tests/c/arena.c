/* An arena map (BPF_MAP_TYPE_ARENA), which needs loader support rtc lacks. */
#include "legacy.h"

struct {
	__uint(type, 33 /* BPF_MAP_TYPE_ARENA */);
	__uint(map_flags, 1U << 10 /* BPF_F_MMAPABLE */);
	__uint(max_entries, 1);
} arena SEC(".maps");

SEC("ingress")
int uses_arena(struct __sk_buff *skb)
{
	return bpf_map_lookup_elem(&arena, &skb) ? TC_ACT_OK : TC_ACT_SHOT;
}

char _license[] SEC("license") = "GPL";
