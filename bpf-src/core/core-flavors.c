/* core-flavors: local definitions of kernel structs with a `___flavor` suffix.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-flavors.o sec tc
 *
 * A CO-RE loader looks a local type up in the kernel's BTF by its essential
 * name, the part before "___": `struct __sk_buff___mine` is matched against
 * the kernel's `struct __sk_buff`, `struct sk_buff___mine` against
 * `struct sk_buff`. Fields are then matched by name, so a local struct may
 * declare only the fields it uses, in any order, at any offset: the loader
 * rewrites each access to the kernel's offset. (libbpf uses the same trick to
 * describe one struct as it was in several kernel versions.)
 *
 * Here the local layouts are deliberately wrong, so the offsets in the
 * instructions must change: `mark` is at 8 and `len` at 0 in the kernel's
 * `struct __sk_buff`, but at 0 and 4 in `struct __sk_buff___mine`. */
#include "core-common.h"

/* Two fields of the uapi context, swapped. */
struct __sk_buff___mine {
	__u32 mark;
	__u32 len;
} __attribute__((preserve_access_index));

/* A second flavor of the same struct: both resolve to the kernel's one. */
struct __sk_buff___other {
	__u32 protocol;
} __attribute__((preserve_access_index));

/* The kernel's own socket buffer, three fields of it, at made-up offsets.
 * `priority` is a __u32 in the kernel: the loader also shrinks the 8-byte
 * load clang emitted for it to 4 bytes (allowed for unsigned integers). */
struct sk_buff___mine {
	struct net_device___mine *dev;
	unsigned int len;
	__u64 priority;
} __attribute__((preserve_access_index));

struct net_device___mine {
	int ifindex;
} __attribute__((preserve_access_index));

/* bpf_cast_to_kern_ctx (a kfunc) turns the __sk_buff context into the kernel's
 * struct sk_buff it stands for, a pointer the verifier lets the program read. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* What the program saw, for a reader with bpftool (map "core_fla.bss"). */
__u64 seen_len, seen_mark, seen_protocol, seen_kern_len, seen_priority, seen_ifindex;

SEC("tc")
int flavors(struct __sk_buff *ctx)
{
	struct __sk_buff___mine *mine = (void *)ctx;
	struct __sk_buff___other *other = (void *)ctx;
	struct sk_buff___mine *kskb = bpf_cast_to_kern_ctx(ctx);

	/* Context reads: the loader moves them to the kernel's offsets, then
	 * the verifier rewrites them into reads of struct sk_buff. */
	seen_len = mine->len;
	seen_mark = mine->mark;
	seen_protocol = other->protocol;
	/* A direct read of the kernel struct through a trusted pointer. */
	seen_kern_len = kskb->len;
	seen_priority = kskb->priority;
	/* BPF_CORE_READ follows a pointer chain with bpf_probe_read_kernel,
	 * each step at the offset the loader computed: kskb->dev->ifindex. */
	seen_ifindex = BPF_CORE_READ(kskb, dev, ifindex);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
