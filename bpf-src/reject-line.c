/* reject-line: rejected by the verifier, to show that the loader gives the
 * kernel the object's line information: the verifier log then quotes the
 * offending source line (with file and line number) above the instruction.
 *
 *   tc filter add dev eth0 ingress bpf da obj reject-line.o sec tc verbose */
#include "common.h"

SEC("tc")
int read_unchecked(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	__u8 first = data[0]; /* rtc-test: unchecked packet read */

	return first == 0xff ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
