#!/usr/bin/env bash
# Re-make captures.txt: run the real tc and ip (iproute2 6.1) under strace in
# two throwaway network namespaces joined by a veth pair, and record for every
# command the netlink bytes it sent and received, the programs it loaded, its
# stdout, stderr and exit status.  The unit tests of netlink-tc and of the
# CLI's `show` module read the result.
#
# Needs root, strace, clang-19, tc, ip, ping.  Usage:
#   crates/netlink-tc/testdata/capture.sh [OUTPUT]      (default: ./captures.txt)
#
# Format of the output, one block per command:
#   === NAME                        block name used by the tests
#   $ tc qdisc add dev sv0 clsact   command line (run inside namespace A)
#   exit N                          exit status
#   prog-fd FD NAME                 BPF_PROG_LOAD returned FD for program NAME
#   fd-dup FD NEWFD                 fcntl(FD, F_DUPFD_CLOEXEC) returned NEWFD (libbpf
#                                   moves program fds this way)
#   prog-info id=.. name=.. tag=.. jited=0|1 load_time=.. created_by_uid=.. btf_id=..
#                                   what BPF_OBJ_GET_INFO_BY_FD told the tool
#   send HEX                        one sendmsg/sendto buffer
#   recv HEX                        one recvmsg/recvfrom buffer (peeks skipped)
#   out |TEXT|                      one stdout line (without its newline)
#   out~|TEXT|                      last stdout line that had no newline
#   err |TEXT|   err~|TEXT|         the same for stderr
# The link dumps tc and ip make to resolve device names (RTM_GETLINK and
# its replies) are left out unless a block is captured with --keep-links.
# The file starts with `link NAME IFINDEX` lines for namespace A.
set -u

here=$(cd "$(dirname "$0")" && pwd)
out_file=${1:-$here/captures.txt}
ns_a=rtccapA
ns_b=rtccapB
work=$(mktemp -d)

cleanup() {
	ip netns del "$ns_a" 2>/dev/null
	ip netns del "$ns_b" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

clang-19 -O2 -g -target bpf -c "$here/tiny.c" -o "$work/tiny.o" || exit 1
cd "$work" || exit 1

ip netns add "$ns_a" || exit 1
ip netns add "$ns_b" || exit 1
ip -n "$ns_a" link add sv0 type veth peer name sv1 netns "$ns_b" || exit 1
ip -n "$ns_a" addr add 10.199.0.1/24 dev sv0
ip -n "$ns_b" addr add 10.199.0.2/24 dev sv1
ip -n "$ns_a" link set lo up
ip -n "$ns_a" link set sv0 up
ip -n "$ns_b" link set sv1 up

# Print each line of FILE prefixed with TAG, marking a last line without newline.
emit_lines() {
	local tag=$1 file=$2 line
	while IFS= read -r line; do
		printf '%s |%s|\n' "$tag" "$line"
	done <"$file"
	if [ -n "$line" ]; then
		printf '%s~|%s|\n' "$tag" "$line"
	fi
}

# Turn strace's hex dumps into `send HEX` / `recv HEX` lines.
hex_from_trace() {
	awk -v keep="$1" '
	function flush() {
		if (mode != "" && hex != "") {
			seq = substr(hex, 17, 8)
			type = substr(hex, 9, 4)
			# Replies are matched to the skipped request by socket and sequence
			# number: ip resolves names on a second socket with the same numbers.
			if (mode == "send" && type == "1200" && keep == 0) {
				skip[fd ":" seq] = 1
			} else if (!(mode == "recv" && ((fd ":" seq) in skip))) {
				print mode " " hex
			}
		}
		mode = ""; hex = ""
	}
	{
		line = $0
		sub(/^[0-9]+ +/, "", line)
		if (line ~ /^ \| [0-9a-f]+  /) {
			chunk = substr(line, 11, 48)
			gsub(/ /, "", chunk)
			hex = hex chunk
			next
		}
		if (line ~ /^ \* [0-9]+ bytes in buffer/) next
		flush()
		if (line ~ /^(sendmsg|sendto)\(/) mode = "send"
		else if (line ~ /^(recvmsg|recvfrom)\(/) mode = "recv"
		if (mode != "") {
			fd = line
			sub(/^[a-z]+\(/, "", fd)
			sub(/,.*/, "", fd)
		}
	}
	END { flush() }
	' "$work/trace"
}

# The programs the tool loaded (fd and name) and the program info it read.
progs_from_trace() {
	sed -n -E 's/^([0-9]+ +)?bpf\(BPF_PROG_LOAD, .*prog_name="([^"]+)".* = ([0-9]+)$/prog-fd \3 \2/p' "$work/trace" |
		grep -v ' libbpf_nametest$'
	sed -n -E 's/^([0-9]+ +)?fcntl\(([0-9]+), F_DUPFD_CLOEXEC, [0-9]+\) += ([0-9]+)$/fd-dup \2 \3/p' "$work/trace"
	grep -E 'BPF_OBJ_GET_INFO_BY_FD.*type=BPF_PROG_TYPE' "$work/trace" |
		sed -E 's/.*[{ ]id=([0-9]+), tag="([^"]*)", jited_prog_len=([0-9]+ => )?([0-9]+),.* load_time=([0-9]+).* created_by_uid=([0-9]+),.* name="([^"]*)",.* btf_id=([0-9]+),.*/prog-info id=\1 name=\7 tag=\2 jited=\4 load_time=\5 created_by_uid=\6 btf_id=\8/' |
		sed -E 's/\\x//g; s/jited=0 /jited=0 /; s/jited=[1-9][0-9]* /jited=1 /'
}

# cap NAME [--keep-links] COMMAND...: run COMMAND in namespace A under strace.
cap() {
	local name=$1 keep=0
	shift
	if [ "$1" = "--keep-links" ]; then
		keep=1
		shift
	fi
	ip netns exec "$ns_a" strace -v -f -qq -o "$work/trace" \
		-e trace=sendmsg,recvmsg,sendto,recvfrom,bpf,fcntl \
		-e write=all -e read=all -s 256 "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	{
		echo "=== $name"
		echo "\$ $*"
		echo "exit $rc"
		progs_from_trace
		hex_from_trace "$keep"
		emit_lines out "$work/out"
		emit_lines err "$work/err"
		echo
	} >>"$out_file.tmp"
}

# Run a command in namespace A without recording it.
run() {
	ip netns exec "$ns_a" "$@" >/dev/null 2>&1
}

traffic() {
	ip netns exec "$ns_a" ping -q -c 3 -i 0.2 -W 1 10.199.0.2 >/dev/null 2>&1
}

: >"$out_file.tmp"
{
	echo "# Captured by capture.sh with $(tc -V 2>&1) on Linux $(uname -r)."
	echo "# Namespace A interfaces:"
	ip -n "$ns_a" -o link show | sed -E 's/^([0-9]+): ([^:@]+)[:@].*/link \2 \1/'
	echo
} >>"$out_file.tmp"

# ---- qdiscs ----
cap qdisc-show-noqueue tc qdisc show dev sv0
cap qdisc-show-noqueue-j tc -j qdisc show dev sv0
cap qdisc-add-clsact tc qdisc add dev sv0 clsact
cap qdisc-add-clsact-again tc qdisc add dev sv0 clsact
cap qdisc-replace-clsact tc qdisc replace dev sv0 clsact
cap qdisc-change-clsact tc qdisc change dev sv0 clsact
traffic
cap qdisc-show tc qdisc show dev sv0
cap qdisc-show-all tc qdisc show
cap qdisc-show-s tc -s qdisc show dev sv0
cap qdisc-show-d tc -d qdisc show dev sv0
cap qdisc-show-j tc -j qdisc show dev sv0
cap qdisc-show-s-j tc -s -j qdisc show dev sv0
cap qdisc-show-j-p tc -j -p qdisc show dev sv0
cap qdisc-show-s-j-p tc -s -j -p qdisc show dev sv0
cap qdisc-show-p tc -p qdisc show dev sv0
cap qdisc-show-all-j tc -j qdisc show
cap qdisc-show-filter-ingress tc qdisc show dev sv0 ingress
cap qdisc-show-filter-clsact tc qdisc show dev sv0 clsact
cap qdisc-show-filter-root tc qdisc show dev sv0 root
cap qdisc-show-filter-handle tc qdisc show dev sv0 handle ffff:
cap qdisc-show-filter-handle-all-j tc -j qdisc show handle ffff:
cap qdisc-del-clsact tc qdisc del dev sv0 clsact
cap qdisc-del-clsact-again tc qdisc del dev sv0 clsact
cap qdisc-add-ingress tc qdisc add dev sv0 ingress
traffic
cap qdisc-show-ingress tc qdisc show dev sv0
cap qdisc-show-ingress-s tc -s qdisc show dev sv0
cap qdisc-show-ingress-j tc -j qdisc show dev sv0
cap qdisc-add-clsact-over-ingress tc qdisc add dev sv0 clsact
cap qdisc-del-ingress tc qdisc del dev sv0 ingress
cap qdisc-replace-clsact-new tc qdisc replace dev sv0 clsact

# ---- filters ----
cap filter-show-empty tc filter show dev sv0 ingress
cap filter-show-empty-j tc -j filter show dev sv0 ingress
cap filter-show-empty-j-p tc -j -p filter show dev sv0 ingress
cap filter-add-da tc filter add dev sv0 ingress bpf da obj tiny.o sec classifier
cap filter-add-da-second tc filter add dev sv0 ingress bpf da obj tiny.o sec ingress
cap filter-add-classid tc filter add dev sv0 ingress pref 10 handle 3 protocol ip bpf obj tiny.o sec classifier classid 1:1
cap filter-add-same-pref tc filter add dev sv0 ingress pref 10 handle 5 protocol ip bpf da obj tiny.o sec ingress skip_hw
cap filter-add-proto-mismatch tc filter add dev sv0 ingress pref 10 protocol ipv6 bpf da obj tiny.o
cap filter-add-chain tc filter add dev sv0 ingress chain 2 pref 20 protocol arp bpf da obj tiny.o sec classifier
cap filter-add-egress tc filter add dev sv0 egress pref 7 handle 3 protocol ipv6 bpf da obj tiny.o sec classifier
cap filter-add-exists tc filter add dev sv0 egress pref 7 handle 3 protocol ipv6 bpf da obj tiny.o
cap filter-add-skip-sw tc filter add dev sv0 egress bpf da skip_sw obj tiny.o
cap filter-add-parent tc filter add dev sv0 parent ffff:fff3 pref 8 bpf da obj tiny.o
cap filter-add-handle-hex tc filter add dev sv0 egress pref 9 handle 0x10 protocol all bpf da obj tiny.o sec ingress
cap filter-replace tc filter replace dev sv0 egress pref 7 handle 3 protocol ipv6 bpf da obj tiny.o sec ingress
cap filter-change tc filter change dev sv0 egress pref 7 handle 3 protocol ipv6 bpf obj tiny.o sec classifier
cap filter-replace-new tc filter replace dev sv0 egress pref 6 protocol ip bpf da obj tiny.o
traffic
for flags in "" "-s" "-d" "-j" "-j -p" "-s -d" "-s -j" "-d -j" "-d -j -p" "-p"; do
	suffix=$(echo "$flags" | tr -d ' ')
	# shellcheck disable=SC2086
	cap "filter-show-ingress$suffix" tc $flags filter show dev sv0 ingress
done
for flags in "" "-j" "-d" "-j -p"; do
	suffix=$(echo "$flags" | tr -d ' ')
	# shellcheck disable=SC2086
	cap "filter-show-egress$suffix" tc $flags filter show dev sv0 egress
done
cap qdisc-show-s-busy tc -s qdisc show dev sv0
cap qdisc-show-s-j-busy tc -s -j qdisc show dev sv0
# As an unprivileged user tc cannot read the programs and prints the dump's tag.
cap filter-show-ingress-unprivileged setpriv --reuid=65534 --regid=65534 --clear-groups tc filter show dev sv0 ingress
cap filter-show-ingress-unprivileged-j setpriv --reuid=65534 --regid=65534 --clear-groups tc -j filter show dev sv0 ingress
cap filter-show-noparent tc filter show dev sv0
cap filter-show-noparent-j tc -j filter show dev sv0
cap filter-show-parent-ffff tc filter show dev sv0 parent ffff:
cap filter-show-parent-fff2 tc filter show dev sv0 parent ffff:fff2
cap filter-show-pref tc filter show dev sv0 ingress pref 10
cap filter-show-pref-j tc -j filter show dev sv0 ingress pref 10
cap filter-show-protocol tc filter show dev sv0 ingress protocol ip
cap filter-show-chain2 tc filter show dev sv0 ingress chain 2
cap filter-show-chain0 tc filter show dev sv0 ingress chain 0
cap filter-show-chain2-j tc -j filter show dev sv0 ingress chain 2
cap filter-get tc filter get dev sv0 ingress protocol ip pref 10 handle 3 bpf
cap filter-get-j tc -j filter get dev sv0 ingress protocol ip pref 10 handle 3 bpf
cap filter-get-d tc -d filter get dev sv0 ingress protocol ip pref 10 handle 3 bpf
cap filter-get-j-p tc -j -p filter get dev sv0 ingress protocol ip pref 10 handle 3 bpf
cap filter-get-chain tc filter get dev sv0 ingress chain 2 protocol arp pref 20 handle 1 bpf
cap filter-get-missing tc filter get dev sv0 ingress protocol ip pref 10 handle 9 bpf
cap filter-del-handle tc filter del dev sv0 ingress pref 10 handle 5 protocol ip bpf
cap filter-del-pref tc filter del dev sv0 ingress pref 10
cap filter-del-pref-kind tc filter del dev sv0 ingress pref 49151 bpf
cap filter-del-proto tc filter del dev sv0 egress protocol ipv6 pref 7
cap filter-del-missing tc filter del dev sv0 egress pref 99
cap filter-del-chain tc filter del dev sv0 ingress chain 2
cap filter-del-all tc filter del dev sv0 ingress
cap filter-del-all-egress tc filter del dev sv0 egress
cap filter-show-after-del tc filter show dev sv0 ingress
run tc qdisc del dev sv0 clsact
cap filter-show-noqdisc tc filter show dev sv0 ingress
cap filter-show-noqdisc-j tc -j filter show dev sv0 ingress
cap filter-add-noqdisc tc filter add dev sv0 ingress bpf da obj tiny.o
cap filter-del-noqdisc tc filter del dev sv0 ingress

# ---- XDP ----
cap xdp-attach ip link set dev sv0 xdp obj tiny.o sec prog
cap xdp-show --keep-links ip link show dev sv0
cap xdp-attach-again ip link set dev sv0 xdp obj tiny.o
cap xdp-attach-force ip -force link set dev sv0 xdp obj tiny.o
cap xdp-generic-while-drv ip link set dev sv0 xdpgeneric obj tiny.o
cap xdp-off ip link set dev sv0 xdp off
cap xdp-off-again ip link set dev sv0 xdp off
cap xdp-generic ip link set dev sv0 xdpgeneric obj tiny.o sec prog
cap xdp-generic-show --keep-links ip link show dev sv0
cap xdp-generic-off ip link set dev sv0 xdpgeneric off
cap xdp-drv ip link set dev sv0 xdpdrv obj tiny.o
cap xdp-drv-show --keep-links ip link show dev sv0
cap xdp-drv-off ip link set dev sv0 xdpdrv off
cap xdp-offload ip link set dev sv0 xdpoffload obj tiny.o
cap xdp-none-show --keep-links ip link show dev sv0

mv "$out_file.tmp" "$out_file"
echo "wrote $out_file" >&2
