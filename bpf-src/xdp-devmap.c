/* xdp-devmap: an XDP program meant for a devmap entry (section "xdp/devmap",
 * loaded with expected attach type BPF_XDP_DEVMAP). It runs when a packet is
 * redirected into the map, never on a device: the kernel refuses to attach it
 * to one, for ip as for rtc.
 *
 *   rtc link set dev veth0 xdp obj xdp-devmap.o sec xdp/devmap   -> refused */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp/devmap")
int xdp_devmap_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
