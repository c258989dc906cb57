/* xdp-frags-pass: an XDP program that lets every packet through and says it
 * copes with multi-buffer packets (section "xdp.frags", which loaders turn into
 * the BPF_F_XDP_HAS_FRAGS load flag). Without that flag the kernel refuses XDP
 * in driver mode on a veth whose MTU does not fit in one page (jumbo frames).
 *
 *   ip link set dev veth0 mtu 9000
 *   rtc link set dev veth0 xdpdrv obj xdp-frags-pass.o sec xdp.frags */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp.frags")
int xdp_frags_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
