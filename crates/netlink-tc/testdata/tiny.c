/* Smallest programs that tc and ip accept: the object used by capture.sh.
 * Build: clang-19 -O2 -g -target bpf -c tiny.c -o tiny.o */
__attribute__((section("classifier"), used)) int cls_pass(void *ctx) { return 0; }
__attribute__((section("ingress"), used)) int ing_pass(void *ctx) { return 0; }
__attribute__((section("prog"), used)) int xdp_pass(void *ctx) { return 2; }
char _license[] __attribute__((section("license"), used)) = "GPL";
