/* core-fields: every kind of CO-RE field relocation.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-fields.o sec tc
 *
 * __builtin_preserve_field_info(FIELD, KIND) (wrapped by bpf_core_read.h's
 * macros) asks the loader a question about a field of a kernel struct; the
 * answer, computed from the kernel's BTF, replaces the constant in the
 * instruction:
 *
 *   byte offset  bpf_core_field_offset()            where the field starts
 *   byte size    bpf_core_field_size()              how big it is
 *   exists       bpf_core_field_exists()            1 if the kernel has it
 *   signed       BPF_FIELD_SIGNED                   1 if its type is signed
 *   lshift_u64   \ how far to shift a 64-bit load left, then right, to
 *   rshift_u64   / extract a bitfield (BPF_CORE_READ_BITFIELD uses all six)
 *
 * The program reads two bitfields of the kernel's struct sk_buff (reached with
 * the bpf_cast_to_kern_ctx kfunc) and stores the answers in ".bss". */
#include "core-common.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* A field this kernel does not have, in a flavor of struct sk_buff. */
struct sk_buff___future {
	__u32 rtc_future_field;
} __attribute__((preserve_access_index));

/* What the program saw and what the loader answered (map "core_fie.bss"). */
__u64 pkt_type, tc_at_ingress;
__u32 len_offset, len_size, len_exists, future_exists;
__u32 skb_iif_signed, len_signed;
__u32 pkt_type_lshift, pkt_type_rshift;
__u32 cb4_offset, tstamp_offset, mark_offset, mark_size;

SEC("tc")
int fields(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	struct sk_buff___future *future = (void *)skb;

	/* Bitfields: a load of the containing bytes, then two shifts. For a
	 * packet sent to this host pkt_type is PACKET_HOST (0); broadcasts
	 * such as ARP requests are PACKET_BROADCAST (1). */
	pkt_type = BPF_CORE_READ_BITFIELD(skb, pkt_type);
	tc_at_ingress = BPF_CORE_READ_BITFIELD(skb, tc_at_ingress);

	len_offset = bpf_core_field_offset(struct sk_buff, len);
	len_size = bpf_core_field_size(skb->len);
	len_exists = bpf_core_field_exists(struct sk_buff, len);
	future_exists = bpf_core_field_exists(future->rtc_future_field);
	skb_iif_signed = __builtin_preserve_field_info(skb->skb_iif, BPF_FIELD_SIGNED);
	len_signed = __builtin_preserve_field_info(skb->len, BPF_FIELD_SIGNED);
	pkt_type_lshift = __builtin_preserve_field_info(skb->pkt_type, BPF_FIELD_LSHIFT_U64);
	pkt_type_rshift = __builtin_preserve_field_info(skb->pkt_type, BPF_FIELD_RSHIFT_U64);

	/* Access strings that walk through an array element (cb[4]), an
	 * anonymous union (tstamp) and anonymous structs and unions nested
	 * three deep (mark). */
	cb4_offset = bpf_core_field_offset(skb->cb[4]);
	tstamp_offset = bpf_core_field_offset(skb->tstamp);
	mark_offset = bpf_core_field_offset(skb->mark);
	mark_size = bpf_core_field_size(skb->mark);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
