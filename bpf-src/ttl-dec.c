/* ttl-dec: decrements the TTL of every IPv4 packet, as a router would, and
 * fixes the header checksum to match; everything else passes untouched.
 *
 *   rtc prog run obj ttl-dec.o sec ingress pcap sample.pcap data_out out.pcap
 *   tcpdump -r out.pcap -v            # each IPv4 packet's ttl is one less
 *
 * A packet-rewriting program for `rtc prog run ... data_out`: tcpdump -v checks
 * the checksum too, so a wrong fix shows as "bad cksum". */
#include "common.h"
#include <stddef.h>

#define IP_TTL_OFF (ETH_HLEN + offsetof(struct iphdr, ttl))
#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))

SEC("ingress")
int ttl_dec(struct __sk_buff *skb)
{
	struct iphdr *ip = ipv4_header(skb);
	__u16 old_word, new_word;
	__u8 ttl;

	if (!ip || ip->ttl <= 1)
		return TC_ACT_OK;

	/* The checksum covers 16-bit words: TTL shares one with the protocol. */
	ttl = ip->ttl - 1;
	old_word = *(__u16 *)&ip->ttl;
	new_word = old_word;
	*(__u8 *)&new_word = ttl;

	/* Both helpers may move the packet: no packet pointer is used after them. */
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_word, new_word, sizeof(new_word));
	bpf_skb_store_bytes(skb, IP_TTL_OFF, &ttl, sizeof(ttl), 0);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
