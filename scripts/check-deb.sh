#!/bin/bash
# make check's package stage: make deb (lintian clean), the packages
# installed on this host with apt-get, DKMS's build for each kernel with
# headers in /lib/modules (those of the matrix checked by name), a booted
# guest that loads the DKMS-built module with modprobe and sees a malloc's
# brk() calls, then the purge, which must remove the module from every
# kernel. Prints one TAP line "ok - ..." / "not ok - ...: why" per check.
# Whatever it installed is purged on any exit: no brkwatch stays in
# /lib/modules or /var/lib/dkms of the host.
set -u

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/check-deb.sh [--kernel NAME]...

NAME: the kernels of the matrix whose DKMS build is checked (default: those
of $CHECK_KERNELS whose headers are on this host); the guest boots 6.1 when it is
among them, else the first that is set up. Needs root: it installs and
purges the packages brkwatch-dkms and brkwatch.
EOF
}

kernels=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_arg "${2:-}"
		kernels="$kernels $2"
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=$CHECK_KERNELS
ok() { echo "ok - packages, $1"; }
notok() { echo "not ok - packages, $1${2:+: $2}"; }
if [ "$(id -u)" != 0 ]; then
	notok "the packages stage" "it installs packages: run as root"
	exit 0
fi

cd "$REPO" || exit 2
log=$CACHE/deb-check.log
mkdir -p "$CACHE"
: >"$log"
version=$(dpkg-parsechangelog -l debian/changelog -S Version)

# One package test at a time on this host (another checkout's make check).
exec 9>/run/lock/brkwatch-deb-check.lock
if ! flock -w 900 9; then
	notok "the packages stage" "another make check held /run/lock/brkwatch-deb-check.lock for 15 min"
	exit 0
fi

installed() { # PACKAGE: installed, or half installed, on the host
	# shellcheck disable=SC2016 # dpkg-query's format
	case $(dpkg-query -W -f '${Status}' "$1" 2>/dev/null) in
	"" | *not-installed) return 1 ;;
	esac
}
for p in brkwatch-dkms brkwatch; do
	if installed "$p"; then
		notok "the host already has $p installed" "not touched; purge it to run this stage"
		exit 0
	fi
done
if [ -e /var/lib/dkms/brkwatch ]; then
	notok "the host's DKMS already knows brkwatch" "not touched; dkms remove brkwatch --all"
	exit 0
fi

apt() {
	DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1
}
# The releases whose /lib/modules/RELEASE had no depmod data before (headers
# only): DKMS's depmod leaves an empty set there, removed again at the end.
no_depmod=
for d in /lib/modules/*; do
	[ -e "$d/modules.dep" ] || no_depmod="$no_depmod ${d##*/}"
done
cleanup() {
	local rel
	if installed brkwatch-dkms || installed brkwatch; then
		apt purge brkwatch-dkms brkwatch || echo "# deb: purge failed (log: $log)"
	fi
	if [ -e /var/lib/dkms/brkwatch ]; then
		dkms remove "brkwatch/$version" --all >>"$log" 2>&1 ||
			echo "# deb: dkms remove brkwatch/$version --all failed (log: $log)"
	fi
	for rel in $no_depmod; do
		[ -d "/lib/modules/$rel/kernel" ] || [ -d "/lib/modules/$rel/updates" ] ||
			rm -f "/lib/modules/$rel"/modules.*
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if scripts/deb.sh >>"$log" 2>&1; then
	ok "make deb builds brkwatch-dkms and brkwatch, lintian clean"
else
	tail -n 15 "$log"
	notok "make deb" "see above (log: $log)"
	exit 0
fi

arch=$(dpkg --print-architecture)
if apt install "$CACHE/deb/brkwatch-dkms_${version}_all.deb" "$CACHE/deb/brkwatch_${version}_$arch.deb"; then
	ok "the packages install (apt-get install)"
else
	tail -n 15 "$log"
	notok "the packages install" "apt-get install failed (log: $log)"
	exit 0
fi

# What DKMS built (its postinst: each kernel with headers), by release.
built=$(dkms status -m brkwatch -v "$version" 2>/dev/null |
	sed -n 's/^brkwatch\/[^,]*, \([^,]*\), [^:]*: installed.*/\1/p' | tr '\n' ' ')
echo "# deb: DKMS built brkwatch for: ${built:-no kernel}"
for rel in $built; do
	ko=$(find "/lib/modules/$rel/updates/dkms" -maxdepth 1 -name 'brkwatch.ko*' 2>/dev/null | head -n 1)
	magic=$(modinfo -k "$rel" -F vermagic brkwatch 2>/dev/null | cut -d' ' -f1)
	if [ -n "$ko" ] && [ "$magic" = "$rel" ]; then
		ok "DKMS built and installed brkwatch for $rel"
	else
		notok "DKMS's brkwatch for $rel" "no module in /lib/modules/$rel/updates/dkms, or modinfo disagrees"
	fi
done
boot=
on_host=
for k in $kernels; do
	[ -z "$(kernel_root "$k")" ] || continue # a chroot's kernel: not this host's DKMS
	on_host="$on_host $k"
	rel=$(kernel_headers "$k" | cut -d' ' -f1)
	[ -n "$rel" ] || continue
	case " $built " in
	*" $rel "*)
		if kernel_ready "$k" && { [ -z "$boot" ] || [ "$k" = 6.1 ]; }; then
			boot=$k
		fi
		;;
	*) notok "DKMS did not build brkwatch for kernel $k ($rel)" "see the log: $log" ;;
	esac
done

# What brkwatch export wrote in the guest ($2, between "### export" and
# "### end"), scraped from node_exporter's textfile collector on 127.0.0.1:
# Debian's prometheus-node-exporter, downloaded and extracted into .cache
# (not installed: no service starts). $3: the malloc's pid.
export_check() {
	local k=$1 dir=$CACHE/node-exporter port nepid scraped=""
	local bin=$dir/root/usr/bin/prometheus-node-exporter
	if [ ! -x "$bin" ]; then
		mkdir -p "$dir"
		(cd "$dir" && apt-get download -q prometheus-node-exporter >>"$log" 2>&1 &&
			dpkg-deb -x prometheus-node-exporter_*.deb root) || {
			notok "kernel $k, brkwatch export scraped by node_exporter" "cannot download prometheus-node-exporter (log: $log)"
			return
		}
	fi
	rm -rf "$dir/textfile"
	mkdir -p "$dir/textfile"
	echo "$2" | sed -n '/^### export$/,/^### end$/p' | sed '1d;$d' >"$dir/textfile/brkwatch.prom"
	port=$((39100 + $$ % 800))
	"$bin" --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$dir/textfile" >>"$log" 2>&1 &
	nepid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		scraped=$(curl -sf --max-time 5 "http://127.0.0.1:$port/metrics") && break
		sleep 1
	done
	kill "$nepid" 2>/dev/null
	wait "$nepid" 2>/dev/null
	echo "$scraped" | grep '^brkwatch_\|^node_textfile' >>"$log"
	# node_exporter orders labels by name; the malloc made 3 calls.
	if echo "$scraped" | grep -q '^node_textfile_scrape_error 0$' &&
		echo "$scraped" | grep -q "^brkwatch_process_calls_total{comm=\"demo-malloc\",pid=\"$3\"} 3$" &&
		echo "$scraped" | grep -q "^brkwatch_process_heap_bytes{comm=\"demo-malloc\",pid=\"$3\"} [1-9]" &&
		echo "$scraped" | grep -q '^brkwatch_calls_seen_total [1-9]' &&
		echo "$scraped" | grep -q '^brkwatch_export_processes{state="exported"} [1-9][0-9]*$'; then
		ok "kernel $k, brkwatch export scraped by node_exporter's textfile collector"
	else
		notok "kernel $k, brkwatch export scraped by node_exporter" "series missing or a textfile error (log: $log)"
	fi
}

# The guest sees the host's / (read-only 9p): its /lib/modules/RELEASE is the
# host's, where DKMS put the module and ran depmod.
if [ -n "$boot" ]; then
	prog=$CACHE/bin/demo-malloc
	mkdir -p "$CACHE/bin"
	if [ ! -x "$prog" ] || [ scripts/demo-malloc.c -nt "$prog" ]; then
		gcc -O2 -Wall -o "$prog" scripts/demo-malloc.c
	fi
	# shellcheck disable=SC2016 # the guest's shell expands
	out=$(scripts/vm.sh --kernel "$boot" --no-module --no-build --tcg-single-thread --timeout 300 -- \
		bash -c 'modprobe brkwatch || exit 1
			echo "module: $(modinfo -n brkwatch)"
			pid=$(.cache/bin/demo-malloc)
			echo "pid: $pid"
			cat "/proc/brkwatch/$pid"
			/usr/bin/brkwatch "$pid" >/dev/null && echo "reader: ok"
			echo "### export"
			/usr/bin/brkwatch export --top 20
			echo "### end"
			modprobe -r brkwatch && echo "unloaded: ok"' 2>&1)
	echo "$out" >>"$log"
	rel=$(kernel_headers "$boot" | cut -d' ' -f1)
	if echo "$out" | grep -q "^module: /lib/modules/$rel/updates/dkms/brkwatch.ko"; then
		ok "kernel $boot, modprobe brkwatch loads DKMS's module"
	else
		echo "$out" | tail -n 15
		notok "kernel $boot, modprobe brkwatch" "DKMS's module not loaded (log: $log)"
	fi
	# The malloc's grow: a call with a positive delta and the verdict grow.
	if echo "$out" | awk '$4 == "x64" && $10 > 0 && $13 == "grow" { g = 1 } END { exit !g }'; then
		ok "kernel $boot, /proc/brkwatch/PID shows a malloc's brk() calls"
	else
		notok "kernel $boot, /proc/brkwatch/PID" "no grow call recorded for the malloc (log: $log)"
	fi
	if echo "$out" | grep -q "^reader: ok" && echo "$out" | grep -q "^unloaded: ok"; then
		ok "kernel $boot, the packaged reader reads it; modprobe -r unloads"
	else
		notok "kernel $boot, the packaged reader, modprobe -r" "see the log: $log"
	fi
	export_check "$boot" "$out" "$(echo "$out" | sed -n 's/^pid: //p')"
elif [ -n "$on_host" ]; then
	notok "no kernel of$on_host set up to boot with DKMS's module" "scripts/setup.sh --kernel 6.1"
else
	echo "# deb: none of$kernels has its headers on this host: no guest loads DKMS's module (DKMS in chroots is not tested)"
fi

if apt purge brkwatch-dkms brkwatch; then
	left=
	for rel in $built; do
		if ls "/lib/modules/$rel/updates/dkms/brkwatch.ko"* >/dev/null 2>&1 ||
			modinfo -k "$rel" brkwatch >/dev/null 2>&1; then
			left="$left $rel"
		fi
	done
	[ ! -e /var/lib/dkms/brkwatch ] || left="$left /var/lib/dkms/brkwatch"
	[ ! -e "/usr/src/brkwatch-$version" ] || left="$left /usr/src/brkwatch-$version"
	if [ -z "$left" ] && [ -n "$built" ]; then
		ok "purge removes the module from every kernel it was built for ($(echo "$built" | wc -w))"
	else
		notok "purge" "left behind:${left:- nothing, but nothing was built}"
	fi
else
	notok "apt-get purge brkwatch-dkms brkwatch" "failed (log: $log)"
fi
