/* Shared includes and small helpers for the example tc programs.
 *
 * Every program here is a tc classifier in direct-action mode: it gets the
 * packet as a struct __sk_buff and returns a verdict (TC_ACT_OK lets the
 * packet through, TC_ACT_SHOT drops it).
 */
#ifndef RTC_EXAMPLES_COMMON_H
#define RTC_EXAMPLES_COMMON_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Returns the IPv4 header of an Ethernet frame, or NULL when the frame is
 * not IPv4 or too short. The bounds checks are what the verifier insists on:
 * every pointer into the packet must be proven to lie before data_end. */
static __always_inline struct iphdr *ipv4_header(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > data_end)
		return NULL;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return NULL;
	return ip;
}

/* Returns the start of the IPv4 payload (the TCP/UDP/ICMP header), taking
 * IP options into account: the header is ihl * 4 bytes long, not always 20. */
static __always_inline void *ipv4_payload(struct iphdr *ip)
{
	return (void *)ip + ip->ihl * 4;
}

#endif
