/* The floor of attach-small (scripts/bench): a static C program that makes only
 * the system calls `rtc filter replace dev DEV ingress pref 1 handle 1 bpf da obj
 * OBJ sec SEC` cannot do without, with the same arguments rtc passes: the device's
 * ifindex, reading the object, BPF_BTF_LOAD of its .BTF, BPF_PROG_LOAD of SEC with
 * the func_info and line_info of .BTF.ext, and one RTM_NEWTFILTER with its ack.
 * No relocations: only for objects without maps (drop-arp.o). Written for the
 * benchmark; checks just enough to fail loudly instead of timing something else.
 *
 *   attach-floor DEV OBJ SEC
 */
#include <elf.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what) {
	perror(what);
	exit(1);
}

static long sys_bpf(int cmd, union bpf_attr *attr) {
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

struct section {
	const unsigned char *data;
	uint64_t size;
};

/* The section called `name`, or size 0. */
static struct section find(const unsigned char *file, size_t len, const char *name) {
	struct section none = {0, 0};
	const Elf64_Ehdr *eh = (const void *)file;
	if (len < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len)
		return none;
	const Elf64_Shdr *sh = (const void *)(file + eh->e_shoff);
	const char *names = (const char *)file + sh[eh->e_shstrndx].sh_offset;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (strcmp(names + sh[i].sh_name, name) == 0 &&
		    sh[i].sh_offset + sh[i].sh_size <= len) {
			struct section s = {file + sh[i].sh_offset, sh[i].sh_size};
			return s;
		}
	}
	return none;
}

/* The records of section `sec` in one .BTF.ext info block (func_info or
 * line_info), their byte offsets turned into instruction indexes. */
static void *ext_records(const unsigned char *btf, const unsigned char *info, uint32_t len,
			 const char *sec, uint32_t *rec_size, uint32_t *count) {
	const struct btf_header *bh = (const void *)btf;
	const char *strings = (const char *)btf + bh->hdr_len + bh->str_off;
	*rec_size = *(const uint32_t *)info;
	const unsigned char *p = info + 4, *end = info + len;
	while (p + 8 <= end) {
		uint32_t name_off = ((const uint32_t *)p)[0], n = ((const uint32_t *)p)[1];
		p += 8;
		if (strcmp(strings + name_off, sec) == 0) {
			unsigned char *out = malloc((size_t)n * *rec_size);
			memcpy(out, p, (size_t)n * *rec_size);
			for (uint32_t i = 0; i < n; i++)
				*(uint32_t *)(out + i * *rec_size) /= 8;
			*count = n;
			return out;
		}
		p += (size_t)n * *rec_size;
	}
	*count = 0;
	return NULL;
}

/* What rtc (like libbpf) does to the object's BTF before loading it: each
 * DATASEC gets the size of its ELF section (clang leaves 0). */
static void fix_datasecs(unsigned char *btf, const unsigned char *file, size_t len) {
	struct btf_header *bh = (void *)btf;
	unsigned char *p = btf + bh->hdr_len + bh->type_off, *end = p + bh->type_len;
	const char *strings = (const char *)btf + bh->hdr_len + bh->str_off;
	static const unsigned extra[] = {0, 4, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0};
	static const unsigned per_member[] = {0, 0, 0, 0, 12, 12, 8, 0, 0, 0, 0, 0, 0, 8, 0, 12, 0, 0, 0, 12};
	while (p + sizeof(struct btf_type) <= end) {
		struct btf_type *t = (void *)p;
		unsigned kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
		if (kind >= sizeof(extra) / sizeof(extra[0])) {
			fprintf(stderr, "BTF kind %u unknown\n", kind);
			exit(1);
		}
		if (kind == BTF_KIND_DATASEC)
			t->size = find(file, len, strings + t->name_off).size;
		p += sizeof(*t) + extra[kind] + per_member[kind] * vlen;
	}
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: attach-floor DEV OBJ SEC\n");
		return 2;
	}
	const char *dev = argv[1], *path = argv[2], *sec = argv[3];
	unsigned ifindex = if_nametoindex(dev);
	if (!ifindex)
		die(dev);

	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	unsigned char *file = malloc(st.st_size);
	if (read(fd, file, st.st_size) != st.st_size)
		die("read");
	close(fd);

	struct section btf = find(file, st.st_size, ".BTF");
	struct section ext = find(file, st.st_size, ".BTF.ext");
	struct section text = find(file, st.st_size, sec);
	struct section license = find(file, st.st_size, "license");
	if (!btf.size || !ext.size || !text.size || !license.size) {
		fprintf(stderr, "%s: missing .BTF, .BTF.ext, %s or license\n", path, sec);
		return 1;
	}

	unsigned char *btf_copy = malloc(btf.size);
	memcpy(btf_copy, btf.data, btf.size);
	fix_datasecs(btf_copy, file, st.st_size);

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.btf = (uint64_t)(uintptr_t)btf_copy;
	attr.btf_size = btf.size;
	int btf_fd = sys_bpf(BPF_BTF_LOAD, &attr);
	if (btf_fd < 0)
		die("BPF_BTF_LOAD");

	const struct btf_ext_header {
		uint16_t magic;
		uint8_t version, flags;
		uint32_t hdr_len, func_info_off, func_info_len, line_info_off, line_info_len;
	} *eh = (const void *)ext.data;
	const unsigned char *infos = ext.data + eh->hdr_len;
	uint32_t func_rec, func_cnt, line_rec, line_cnt;
	void *func = ext_records(btf.data, infos + eh->func_info_off, eh->func_info_len, sec,
				 &func_rec, &func_cnt);
	void *line = ext_records(btf.data, infos + eh->line_info_off, eh->line_info_len, sec,
				 &line_rec, &line_cnt);

	/* The program's name: its function's symbol, as rtc (and libbpf) give it. */
	char name[BPF_OBJ_NAME_LEN] = "";
	const Elf64_Ehdr *elf = (const void *)file;
	const Elf64_Shdr *sh = (const void *)(file + elf->e_shoff);
	const char *shnames = (const char *)file + sh[elf->e_shstrndx].sh_offset;
	for (int i = 0; i < elf->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const Elf64_Sym *sym = (const void *)(file + sh[i].sh_offset);
		const char *strs = (const char *)file + sh[sh[i].sh_link].sh_offset;
		for (uint64_t s = 0; s < sh[i].sh_size / sizeof(*sym); s++)
			if (ELF64_ST_TYPE(sym[s].st_info) == STT_FUNC && sym[s].st_shndx < elf->e_shnum &&
			    strcmp(shnames + sh[sym[s].st_shndx].sh_name, sec) == 0)
				strncpy(name, strs + sym[s].st_name, sizeof(name) - 1);
	}

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	attr.insn_cnt = text.size / 8;
	attr.insns = (uint64_t)(uintptr_t)text.data;
	attr.license = (uint64_t)(uintptr_t)license.data;
	memcpy(attr.prog_name, name, sizeof(attr.prog_name));
	attr.prog_btf_fd = btf_fd;
	attr.func_info_rec_size = func_rec;
	attr.func_info = (uint64_t)(uintptr_t)func;
	attr.func_info_cnt = func_cnt;
	attr.line_info_rec_size = line_rec;
	attr.line_info = (uint64_t)(uintptr_t)line;
	attr.line_info_cnt = line_cnt;
	int prog_fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (prog_fd < 0)
		die("BPF_PROG_LOAD");

	/* RTM_NEWTFILTER: tc's message for `filter replace ... pref 1 handle 1 bpf da`. */
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
		char attrs[256];
	} req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_NEWTFILTER;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE;
	req.nh.nlmsg_seq = 1;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = ifindex;
	req.tc.tcm_handle = 1;
	req.tc.tcm_parent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	req.tc.tcm_info = TC_H_MAKE(1 << 16, htons(ETH_P_ALL));
	char *p = req.attrs;
#define PUT(type, data, len)                                                        \
	do {                                                                        \
		struct nlattr *a = (void *)p;                                       \
		a->nla_type = (type);                                               \
		a->nla_len = NLA_HDRLEN + (len);                                    \
		memcpy(p + NLA_HDRLEN, (data), (len));                              \
		p += NLA_ALIGN(a->nla_len);                                         \
	} while (0)
	PUT(TCA_KIND, "bpf", 4);
	struct nlattr *options = (void *)p;
	options->nla_type = TCA_OPTIONS;
	p += NLA_HDRLEN;
	uint32_t u32 = prog_fd;
	PUT(TCA_BPF_FD, &u32, 4);
	char bpf_name[256];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int n = snprintf(bpf_name, sizeof(bpf_name), "%s:[%s]", base, sec) + 1;
	PUT(TCA_BPF_NAME, bpf_name, n);
	u32 = TCA_BPF_FLAG_ACT_DIRECT;
	PUT(TCA_BPF_FLAGS, &u32, 4);
	options->nla_len = p - (char *)options;
	req.nh.nlmsg_len = p - (char *)&req;

	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (nl < 0 || sendto(nl, &req, req.nh.nlmsg_len, 0, (void *)&kernel, sizeof(kernel)) < 0)
		die("sendto");
	char reply[4096];
	if (recv(nl, reply, sizeof(reply), 0) < (ssize_t)sizeof(struct nlmsghdr))
		die("recv");
	struct nlmsgerr *err = NLMSG_DATA((struct nlmsghdr *)reply);
	if (err->error) {
		fprintf(stderr, "RTM_NEWTFILTER: %s\n", strerror(-err->error));
		return 1;
	}
	return 0;
}
