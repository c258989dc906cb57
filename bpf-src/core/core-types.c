/* core-types: the CO-RE relocations about types and enum values.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-types.o sec tc
 *
 *   type exists        bpf_core_type_exists()       1 if the kernel has the type
 *   type size          bpf_core_type_size()         its size in the kernel
 *   type matches       bpf_core_type_matches()      1 if the local definition
 *                                                   agrees with the kernel's
 *   type id local      bpf_core_type_id_local()     the type's id in the object's BTF
 *   type id target     bpf_core_type_id_kernel()    its id in the kernel's BTF
 *   enum value exists  bpf_core_enum_value_exists() 1 if the enumerator exists
 *   enum value         bpf_core_enum_value()        its value in the kernel
 *
 * Each answer is a constant the loader writes into an instruction (a 64-bit
 * enum value into an ld_imm64); the program stores them in ".bss". */
#include "core-common.h"

/* A type no kernel has. */
struct rtc_not_in_kernel {
	int x;
} __attribute__((preserve_access_index));

/* A flavor of struct ethhdr whose h_proto has the wrong size: the kernel has
 * the type, but this definition does not match it. */
struct ethhdr___wrong {
	__u32 h_proto;
} __attribute__((preserve_access_index));

/* A flavor of enum xdp_action with an action no kernel has. (Enumerator names
 * are global in C, so the local one needs a name of its own.) */
enum xdp_action___future {
	XDP_RTC_TELEPORT = 7,
};

/* Answers of the loader (map "core_typ.bss"). */
__u32 skb_exists, missing_exists, skb_size, ethhdr_size;
__u32 skb_matches, ethhdr_matches, ethhdr_wrong_matches;
__u32 skb_local_id, skb_kernel_id;
__u32 pass_exists, teleport_exists, pass_value, tx_value;
__u64 perf_context_max;

SEC("tc")
int types(struct __sk_buff *ctx)
{
	skb_exists = bpf_core_type_exists(struct sk_buff);
	missing_exists = bpf_core_type_exists(struct rtc_not_in_kernel);
	skb_size = bpf_core_type_size(struct sk_buff);
	ethhdr_size = bpf_core_type_size(struct ethhdr);
	/* 0, surprisingly: struct sk_buff has `char cb[48]`, and clang's BTF
	 * says `char` is signed where the kernel's (from pahole) says it is
	 * not. "Matches" compares integer signedness, so libbpf answers 0. */
	skb_matches = bpf_core_type_matches(struct sk_buff);
	ethhdr_matches = bpf_core_type_matches(struct ethhdr);
	ethhdr_wrong_matches = bpf_core_type_matches(struct ethhdr___wrong);
	skb_local_id = bpf_core_type_id_local(struct sk_buff);
	skb_kernel_id = bpf_core_type_id_kernel(struct sk_buff);
	pass_exists = bpf_core_enum_value_exists(enum xdp_action, XDP_PASS);
	teleport_exists = bpf_core_enum_value_exists(enum xdp_action___future,
						     XDP_RTC_TELEPORT);
	pass_value = bpf_core_enum_value(enum xdp_action, XDP_PASS);
	tx_value = bpf_core_enum_value(enum xdp_action, XDP_TX);
	/* An enumerator of a 64-bit enum (BTF_KIND_ENUM64). */
	perf_context_max = bpf_core_enum_value(enum perf_callchain_context,
					       PERF_CONTEXT_MAX);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
