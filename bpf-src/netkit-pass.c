/* netkit-pass: a program for a netkit device's primary side (section
 * "netkit/primary"). netkit (Linux 6.7+, CONFIG_NETKIT) is a veth-like device
 * whose programs run from the device itself; rtc does not attach them, and
 * says so, naming the missing netkit when the kernel has none.
 *
 *   rtc net attach tcx obj netkit-pass.o sec netkit/primary dev eth0   -> refused */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("netkit/primary")
int netkit_pass(struct __sk_buff *skb)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
