/* Input for the disassembler tests (tests/disasm.rs): one tc program that uses
 * every instruction form clang 19 can assemble for -mcpu=v4, and that the verifier
 * accepts, so that the same instructions can be decoded by llvm-objdump and by the
 * kernel (whose verifier log prints each instruction in its own notation).
 *
 * Built with: clang-19 -O2 -g -target bpf -mcpu=v4 -c every-insn.c
 * The programs compute nothing useful; every register they read was written first.
 * Calls are in a program of their own: the verifier refuses legacy packet loads in a
 * program that has bpf-to-bpf calls. */

#define SEC(name) __attribute__((section(name), used))

static __attribute__((noinline)) int subprog(int x)
{
	return x + 1;
}

SEC("tc")
__attribute__((naked)) int every_insn(void)
{
	asm volatile(
		/* ALU64, immediate and register operands */
		"r6 = r1;"
		"r0 = 0;"
		"r1 = 5;"
		"r2 = 3;"
		"r3 = -7;"
		"r1 += 2;"
		"r1 += r2;"
		"r1 -= 1;"
		"r1 -= r2;"
		"r1 *= 3;"
		"r1 *= r2;"
		"r1 /= 2;"
		"r1 /= r2;"
		"r1 %%= 7;"
		"r1 %%= r2;"
		"r1 |= 0x10;"
		"r1 |= r2;"
		"r1 &= 0xff;"
		"r1 &= r2;"
		"r1 <<= 2;"
		"r1 <<= r2;"
		"r1 >>= 1;"
		"r1 >>= r2;"
		"r1 ^= 7;"
		"r1 ^= r2;"
		"r1 s>>= 1;"
		"r1 s>>= r2;"
		"r1 = -r1;"
		"r1 = r3;"
		"r1 s/= 3;"
		"r1 s/= r2;"
		"r1 s%%= 3;"
		"r1 s%%= r2;"
		"r1 = (s8)r3;"
		"r1 = (s16)r3;"
		"r1 = (s32)r3;"
		/* ALU32 */
		"w1 = 5;"
		"w1 = w2;"
		"w1 += 2;"
		"w1 += w2;"
		"w1 -= w2;"
		"w1 *= 3;"
		"w1 /= w2;"
		"w1 %%= 3;"
		"w1 |= w2;"
		"w1 &= 0xf;"
		"w1 <<= 2;"
		"w1 >>= w2;"
		"w1 ^= w2;"
		"w1 s>>= 1;"
		"w1 = -w1;"
		"w1 s/= w2;"
		"w1 s%%= 3;"
		"w1 = (s8)w3;"
		"w1 = (s16)w3;"
		/* byte swaps */
		"r1 = be16 r1;"
		"r1 = be32 r1;"
		"r1 = be64 r1;"
		"r1 = le16 r1;"
		"r1 = le32 r1;"
		"r1 = le64 r1;"
		"r1 = bswap16 r1;"
		"r1 = bswap32 r1;"
		"r1 = bswap64 r1;"
		/* 64-bit immediates */
		"r4 = 0x123456789abcdef0 ll;"
		"r5 = -1 ll;"
		/* stores and loads on the stack */
		"*(u64 *)(r10 - 8) = r1;"
		"*(u32 *)(r10 - 16) = r2;"
		"*(u16 *)(r10 - 12) = r2;"
		"*(u8 *)(r10 - 10) = r2;"
		"*(u64 *)(r10 - 24) = 42;"
		"*(u32 *)(r10 - 32) = -1;"
		"*(u16 *)(r10 - 28) = 7;"
		"*(u8 *)(r10 - 26) = 1;"
		"r2 = *(u64 *)(r10 - 8);"
		"r2 = *(u32 *)(r10 - 16);"
		"r2 = *(u16 *)(r10 - 12);"
		"r2 = *(u8 *)(r10 - 10);"
		"r2 = *(s32 *)(r10 - 16);"
		"r2 = *(s16 *)(r10 - 12);"
		"r2 = *(s8 *)(r10 - 10);"
		/* atomics */
		"lock *(u64 *)(r10 - 8) += r1;"
		"lock *(u64 *)(r10 - 8) &= r1;"
		"lock *(u64 *)(r10 - 8) |= r1;"
		"lock *(u64 *)(r10 - 8) ^= r1;"
		"lock *(u32 *)(r10 - 16) += w1;"
		"lock *(u32 *)(r10 - 16) &= w1;"
		"r1 = atomic_fetch_add((u64 *)(r10 - 8), r1);"
		"r1 = atomic_fetch_and((u64 *)(r10 - 8), r1);"
		"r1 = atomic_fetch_or((u64 *)(r10 - 8), r1);"
		"r1 = atomic_fetch_xor((u64 *)(r10 - 8), r1);"
		"w1 = atomic_fetch_add((u32 *)(r10 - 16), w1);"
		"w1 = atomic_fetch_xor((u32 *)(r10 - 16), w1);"
		"r1 = xchg_64(r10 - 8, r1);"
		"w1 = xchg32_32(r10 - 16, w1);"
		"r0 = 0;"
		"r0 = cmpxchg_64(r10 - 8, r0, r1);"
		"w0 = cmpxchg32_32(r10 - 16, w0, w1);"
		/* jumps, 64-bit, both operand kinds */
		"if r1 == 1 goto +0;"
		"if r1 == r2 goto +0;"
		"if r1 != 1 goto +0;"
		"if r1 != r2 goto +0;"
		"if r1 > 1 goto +0;"
		"if r1 > r2 goto +0;"
		"if r1 >= 1 goto +0;"
		"if r1 >= r2 goto +0;"
		"if r1 < 1 goto +0;"
		"if r1 < r2 goto +0;"
		"if r1 <= 1 goto +0;"
		"if r1 <= r2 goto +0;"
		"if r1 & 1 goto +0;"
		"if r1 & r2 goto +0;"
		"if r1 s> -1 goto +0;"
		"if r1 s> r2 goto +0;"
		"if r1 s>= 1 goto +0;"
		"if r1 s>= r2 goto +0;"
		"if r1 s< -1 goto +0;"
		"if r1 s< r2 goto +0;"
		"if r1 s<= 1 goto +0;"
		"if r1 s<= r2 goto +0;"
		/* jumps, 32-bit */
		"if w1 == 1 goto +0;"
		"if w1 != w2 goto +0;"
		"if w1 > 3 goto +0;"
		"if w1 >= w2 goto +0;"
		"if w1 < 1 goto +0;"
		"if w1 <= w2 goto +0;"
		"if w1 & 1 goto +0;"
		"if w1 s> w2 goto +0;"
		"if w1 s>= -1 goto +0;"
		"if w1 s< w2 goto +0;"
		"if w1 s<= 1 goto +0;"
		"goto +0;"
		"gotol +0;"
		"may_goto +1;"
		"r0 = 1;"
		/* legacy packet loads (need the context in r6) */
		"r0 = *(u8 *)skb[12];"
		"r0 = *(u16 *)skb[12];"
		"r0 = *(u32 *)skb[12];"
		"r7 = 1;"
		"r0 = *(u8 *)skb[r7];"
		"r0 = *(u16 *)skb[r7];"
		"r0 = *(u32 *)skb[r7];"
		"r0 = 0;"
		"exit;"
		::: "memory");
}

SEC("tc")
__attribute__((naked)) int calls(void)
{
	asm volatile(
		/* a helper and a bpf-to-bpf call */
		"call 5;"
		"r1 = 1;"
		"call %[subprog];"
		"r0 = 0;"
		"exit;"
		:
		: [subprog] "i"(subprog)
		: "memory");
}

char _license[] SEC("license") = "GPL";
