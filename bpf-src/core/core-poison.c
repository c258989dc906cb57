/* core-poison: a CO-RE relocation that cannot be resolved.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-poison.o sec guarded
 *   tc filter add dev eth0 ingress bpf da obj core-poison.o sec reachable  (refused)
 *
 * Both programs read `rtc_future_field`, a field the kernel's struct __sk_buff
 * does not have. A loader cannot compute an offset for it, so (as libbpf does)
 * it does not fail at once: it "poisons" the instruction, replacing it with a
 * call to a helper that does not exist. The verifier only complains about
 * instructions it can reach:
 *
 * - "guarded" asks bpf_core_field_exists() first. That answer is 0, so the
 *   read sits behind an always-false branch that the verifier never visits and
 *   then removes: the program loads.
 * - "reachable" reads the field unconditionally: the verifier reaches the
 *   poisoned call and refuses the program. A good loader then explains which
 *   relocation failed instead of leaving the user with "invalid func". */
#include "core-common.h"

/* What a future kernel might have: a context field this one lacks. */
struct __sk_buff___future {
	__u32 rtc_future_field;
} __attribute__((preserve_access_index));

SEC("guarded")
int read_guarded(struct __sk_buff *ctx)
{
	struct __sk_buff___future *future = (void *)ctx;

	if (bpf_core_field_exists(future->rtc_future_field) &&
	    future->rtc_future_field == 42)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("reachable")
int read_reachable(struct __sk_buff *ctx)
{
	struct __sk_buff___future *future = (void *)ctx;

	if (future->rtc_future_field == 42)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
