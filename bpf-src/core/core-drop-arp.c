/* core-drop-arp: the vmlinux.h version of drop-arp.c. Drops every ARP frame,
 * lets everything else through.
 *
 *   tc filter add dev eth0 ingress bpf da obj core-drop-arp.o sec tc
 *
 * Where drop-arp.c reads skb->protocol through the uapi `struct __sk_buff`,
 * this one parses the Ethernet header between ctx->data and ctx->data_end, as
 * libbpf-bootstrap's tc example does. Because vmlinux.h's `struct __sk_buff`
 * and `struct ethhdr` are `preserve_access_index`, clang records a CO-RE
 * relocation (field byte offset) for each of `data`, `data_end` and
 * `h_proto`: the offsets in the instructions are only proposals that the
 * loader checks against the kernel's BTF. They match here (these layouts are
 * ABI), so the loaded program is the one clang wrote — but a loader that does
 * not resolve the relocations refuses the object. */
#include "core-common.h"

SEC("tc")
int drop_arp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	/* The verifier insists on the bounds check before the header is read. */
	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
