/* core-candidates: a local type with several candidates in the kernel's BTF
 * that agree.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-candidates.o sec tc
 *
 * Kernel BTF can hold several structs of one name: two compilation units
 * each define their own `struct perf_aux_event` (one with hw_id, one with pid
 * and tid). A CO-RE loader finds every candidate whose essential name matches
 * and whose layout fits the access; when several fit, they must all give the
 * same answer, or the relocation is ambiguous (see core-ambiguous.c). Here
 * `header` is at offset 0 in both: the answer is 0. */
#include "core-common.h"

struct perf_aux_event___rtc {
	struct perf_event_header header;
} __attribute__((preserve_access_index));

/* The answer (map "core_can.bss"). */
__u32 header_offset, header_size;

SEC("tc")
int candidates(struct __sk_buff *ctx)
{
	header_offset = bpf_core_field_offset(struct perf_aux_event___rtc, header);
	header_size = bpf_core_field_size(struct perf_aux_event___rtc, header);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
