/* large-prog: a ~30,000-instruction program, the "attach-large" case of
 * scripts/bench: there the kernel's verifier and JIT dominate, and what is
 * left is the loader's own work on a big instruction stream.
 *
 *   tc filter add dev eth0 ingress bpf da obj large-prog.o sec ingress
 *
 * It runs 2,730 rounds of a xorshift mix over the packet length, written out
 * by the preprocessor (no loop: straight-line code the verifier walks once),
 * and stores the result in the scratch area skb->cb[0]. Lets everything
 * through. */
#include "common.h"

/* One round: a 32-bit xorshift step, then the round number added in (so that
 * no two rounds are the same and the compiler cannot fold them). */
#define ROUND(n)                                                               \
	do {                                                                   \
		h ^= h << 13;                                                  \
		h ^= h >> 17;                                                  \
		h ^= h << 5;                                                   \
		h += (n);                                                      \
	} while (0)
#define ROUNDS_10(n)                                                           \
	ROUND(n##0); ROUND(n##1); ROUND(n##2); ROUND(n##3); ROUND(n##4);       \
	ROUND(n##5); ROUND(n##6); ROUND(n##7); ROUND(n##8); ROUND(n##9)
#define ROUNDS_100(n)                                                          \
	ROUNDS_10(n##0); ROUNDS_10(n##1); ROUNDS_10(n##2); ROUNDS_10(n##3);    \
	ROUNDS_10(n##4); ROUNDS_10(n##5); ROUNDS_10(n##6); ROUNDS_10(n##7);    \
	ROUNDS_10(n##8); ROUNDS_10(n##9)
#define ROUNDS_1000(n)                                                         \
	ROUNDS_100(n##0); ROUNDS_100(n##1); ROUNDS_100(n##2);                  \
	ROUNDS_100(n##3); ROUNDS_100(n##4); ROUNDS_100(n##5);                  \
	ROUNDS_100(n##6); ROUNDS_100(n##7); ROUNDS_100(n##8);                  \
	ROUNDS_100(n##9)

SEC("ingress")
int mix(struct __sk_buff *skb)
{
	__u32 h = skb->len;

	/* Rounds 1000-2999 and 3000-3729: 2,730 in all, 11 instructions each. */
	ROUNDS_1000(1);
	ROUNDS_1000(2);
	ROUNDS_100(30); ROUNDS_100(31); ROUNDS_100(32); ROUNDS_100(33);
	ROUNDS_100(34); ROUNDS_100(35); ROUNDS_100(36);
	ROUNDS_10(370); ROUNDS_10(371); ROUNDS_10(372);
	skb->cb[0] = h;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
