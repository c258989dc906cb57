/* core-ambiguous: a relocation whose candidates disagree. The loader must
 * refuse the object.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-ambiguous.o sec tc  (refused)
 *
 * The kernel's BTF has two unrelated `struct walk_control`s (one in btrfs'
 * extent tree code, one in its log tree code), and both have an int `stage`,
 * at different offsets. A local `struct walk_control___rtc { int stage; }`
 * fits both, so "the offset of stage" has two answers. Unlike a field that
 * no candidate has (core-poison.c), this is not poisoned: libbpf refuses to
 * guess and fails the load, naming the relocation, before anything reaches
 * the verifier. */
#include "core-common.h"

struct walk_control___rtc {
	int stage;
} __attribute__((preserve_access_index));

/* The answer, if there were one (map "core_amb.bss"). */
__u32 stage_offset;

SEC("tc")
int ambiguous(struct __sk_buff *ctx)
{
	stage_offset = bpf_core_field_offset(struct walk_control___rtc, stage);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
