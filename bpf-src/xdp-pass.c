/* xdp-pass: lets every packet through. A second XDP program to replace
 * another with, and the smallest thing `ip link set ... xdp obj` can load.
 *
 *   rtc link set dev eth0 xdpgeneric obj xdp-pass.o
 *
 * Section "prog" is the default of `ip link set ... xdp obj FILE`. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("prog")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
