/* egress: drops outgoing ICMP echo replies, meant for the egress hook.
 *
 *   tc filter add dev eth0 egress bpf da obj egress.o sec egress
 *
 * The host still receives pings but its answers never leave, so the pinger
 * sees no reply. Its own outgoing pings (echo requests) are untouched. */
#include "common.h"

/* The first bytes of an ICMP header. (linux/icmp.h has the full struct but
 * drags in libc socket headers that do not build for the BPF target.) */
struct icmp_start {
	__u8 type;
	__u8 code;
	__u16 checksum;
};

#define ICMP_ECHOREPLY 0

SEC("egress")
int drop_echo_reply(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = ipv4_header(skb);
	struct icmp_start *icmp;

	if (!ip || ip->protocol != IPPROTO_ICMP)
		return TC_ACT_OK;

	icmp = ipv4_payload(ip);
	if ((void *)(icmp + 1) > data_end)
		return TC_ACT_OK;

	if (icmp->type == ICMP_ECHOREPLY)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
