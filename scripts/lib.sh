# shellcheck shell=bash
# Shared by scripts/setup.sh, vm.sh, check.sh, compile-lane.sh, demo.sh and
# bench.sh (sourced, not run).
#
# The kernel matrix, the cache layout and a few helpers live here so the
# scripts cannot disagree about them.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=$REPO/.cache

# depmod, modprobe: not always on a non-login PATH.
PATH=$PATH:/usr/sbin:/sbin

# The kernel matrix: the kernels booted and tested (scripts/vm.sh --kernel,
# make KERNEL=, make check, make bench, make demo). debug is not Debian's:
# it is built from Debian's $DEBUG_SOURCE with the kernel's checkers on
# (scripts/debug-kernel.sh, scripts/debug-kernel.config).
# shellcheck disable=SC2034 # used by the scripts that source this
KERNELS="5.10 6.1 6.12 6.12-rt newest newest-rt debug"
# What make check runs when no kernel is named: the whole matrix, the debug
# lane last.
# shellcheck disable=SC2034
CHECK_KERNELS="5.10 6.1 6.12 6.12-rt newest newest-rt debug"
# Every flavour Debian ships of each series of the matrix (-amd64,
# -cloud-amd64, -rt-amd64): what the compile lane builds. The names of
# $KERNELS are among them.
# shellcheck disable=SC2034
COMPILE_KERNELS="5.10 5.10-cloud 5.10-rt 6.1 6.1-cloud 6.1-rt 6.12 6.12-cloud 6.12-rt newest newest-cloud newest-rt"

# name -> "SUITE META": where kernel NAME's headers come from (host: this
# Debian 12 machine; bullseye, trixie: a chroot of that release in
# $CACHE/chroots/, whose compiler is the one the kernel was built with) and
# the headers meta-package there. The image always has exactly the version
# of the headers that package resolves to. newest: the meta-packages of
# trixie-backports, whose kernel series is the newest Debian 13 offers.
kernel_source() {
	case $1 in
	5.10) echo bullseye linux-headers-amd64 ;;
	5.10-cloud) echo bullseye linux-headers-cloud-amd64 ;;
	5.10-rt) echo bullseye linux-headers-rt-amd64 ;;
	6.1) echo host linux-headers-amd64 ;;
	6.1-cloud) echo host linux-headers-cloud-amd64 ;;
	6.1-rt) echo host linux-headers-rt-amd64 ;;
	6.12) echo host linux-headers-6.12-amd64 ;;
	6.12-cloud) echo host linux-headers-6.12-cloud-amd64 ;;
	6.12-rt) echo host linux-headers-6.12-rt-amd64 ;;
	newest) echo trixie linux-headers-amd64 ;;
	newest-cloud) echo trixie linux-headers-cloud-amd64 ;;
	newest-rt) echo trixie linux-headers-rt-amd64 ;;
	debug) echo trixie "$DEBUG_SOURCE" ;;
	*) return 1 ;;
	esac
}

# The source package of the debug kernel: the newest series Debian ships as
# source (trixie-backports).
DEBUG_SOURCE=linux-source-7.3

# What the debug kernel is built from: "SOURCE-VERSION FRAGMENT-SHA256";
# fails when the source package is not installed in the chroot.
debug_kernel_want() {
	local v
	# shellcheck disable=SC2016 # dpkg-query's format
	v=$(kernel_dpkg_query debug -W -f '${Status} ${Version}' "$DEBUG_SOURCE" 2>/dev/null) || return 1
	case $v in "install ok installed "*) ;; *) return 1 ;; esac
	echo "${v##* } $(sha256sum <"$REPO/scripts/debug-kernel.config" | cut -d' ' -f1)"
}

kernel_meta() {
	local s
	s=$(kernel_source "$1") || return 1
	echo "${s#* }"
}

kernel_suite() {
	local s
	s=$(kernel_source "$1") || return 1
	echo "${s%% *}"
}

# The series of kernel NAME: 5.10 for 5.10, 5.10-cloud and 5.10-rt.
kernel_series() {
	case $1 in
	*-rt | *-cloud) echo "${1%-*}" ;;
	*) echo "$1" ;;
	esac
}

# The names of the compile lane in the series of each NAME.
kernel_flavours() {
	local n k out=
	for n; do
		for k in $COMPILE_KERNELS; do
			[ "$(kernel_series "$k")" = "$(kernel_series "$n")" ] || continue
			case " $out " in *" $k "*) ;; *) out="$out $k" ;; esac
		done
	done
	echo "$out"
}

# The root directory kernel NAME's headers live under: empty for the host.
kernel_root() {
	local s
	s=$(kernel_suite "$1") || return 1
	[ "$s" = host ] || echo "$CACHE/chroots/$s"
}

# The apt sources of a chroot SUITE (only there: the host keeps its own).
chroot_sources() {
	local d=http://deb.debian.org/debian s=http://deb.debian.org/debian-security
	case $1 in
	bullseye)
		echo "deb $d bullseye main"
		echo "deb $d bullseye-updates main"
		echo "deb $s bullseye-security main"
		;;
	trixie)
		echo "deb $d trixie main"
		echo "deb $d trixie-updates main"
		echo "deb $d trixie-backports main"
		echo "deb $s trixie-security main"
		;;
	*) return 1 ;;
	esac
}

# apt-get install's extra options for a chroot SUITE's kernel packages.
chroot_apt_target() {
	case $1 in
	trixie) echo "-t trixie-backports" ;;
	esac
}

# Runs COMMAND in chroot ROOT, in the current directory, with the checkout
# bind-mounted at its own path and /proc mounted: both in a private mount
# namespace that ends with COMMAND, so nothing stays mounted, whatever
# happens, and removing the cache is never blocked.
chroot_exec() {
	local root=$1 w=$PWD
	shift
	[ -d "$root/usr" ] || die "no chroot in $root: run scripts/setup.sh"
	[ "$(id -u)" = 0 ] || die "running in the chroot $root needs root (unshare, mount, chroot)"
	mkdir -p "$root$REPO"
	case $w in
	"$REPO" | "$REPO"/*) ;;
	*) w=/ ;;
	esac
	# shellcheck disable=SC2016 # expanded by the inner shells
	unshare --mount --propagation private sh -c '
		r=$1 d=$2 w=$3
		shift 3
		mount -t proc proc "$r/proc" && mount --bind "$d" "$r$d" || exit 125
		exec chroot "$r" /usr/bin/env LC_ALL=C \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			sh -c "cd \"\$0\" && exec \"\$@\"" "$w" "$@"
	' - "$root" "$REPO" "$w" "$@"
}

# Runs COMMAND where kernel NAME's headers are: on the host, or in its chroot.
kernel_exec() {
	local root
	root=$(kernel_root "$1") || die "unknown kernel '$1'"
	shift
	if [ -z "$root" ]; then
		"$@"
	else
		chroot_exec "$root" "$@"
	fi
}

# dpkg-query on the packages installed where kernel NAME's headers are.
kernel_dpkg_query() {
	local root
	root=$(kernel_root "$1") || return 1
	shift
	dpkg-query --admindir="${root}/var/lib/dpkg" "$@"
}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# Checks the NAME given to --kernel: dies unless it is one of $KERNELS.
kernel_arg() {
	[ -n "${1:-}" ] || die "--kernel needs a NAME ($KERNELS)"
	case " $KERNELS " in
	*" $1 "*) ;;
	*) die "unknown kernel '$1': use one of $KERNELS" ;;
	esac
}

note() {
	echo "${0##*/}: $*" >&2
}

# Where setup records what kernel NAME resolved to: "RELEASE VERSION" of the
# versioned headers package its meta-package pointed to then (the
# meta-packages themselves are not installed: the registry does not always
# serve them, and only the versioned packages matter).
kernel_record() {
	echo "$CACHE/headers/$1"
}

# The kernel release (e.g. 6.1.0-56-amd64) and Debian version of kernel
# NAME's headers as set up: prints "RELEASE VERSION", or nothing when they
# are not installed (any more).
kernel_headers() {
	local rec rel ver
	kernel_source "$1" >/dev/null || return 1
	if [ "$1" = debug ]; then
		# Built, not installed: the release of the build that matches its
		# source and fragment now.
		rec=$(kernel_dir debug)
		ver=$(debug_kernel_want) || return 0
		[ -f "$rec/built" ] && [ "$(cat "$rec/built")" = "$ver" ] || return 0
		echo "$(cat "$rec/release") ${ver%% *}"
		return 0
	fi
	rec=$(kernel_record "$1")
	[ -f "$rec" ] || return 0
	read -r rel ver <"$rec" || return 0
	# shellcheck disable=SC2016 # dpkg-query's format
	[ "$(kernel_dpkg_query "$1" -W -f '${Status} ${Version}' "linux-headers-$rel" 2>/dev/null)" = \
		"install ok installed $ver" ] || return 0
	echo "$rel $ver"
}

# Where setup put kernel NAME: vmlinuz, initrd.gz, release, stamp.
kernel_dir() {
	echo "$CACHE/kernels/$1"
}

# The headers (Kbuild) directory of kernel NAME's RELEASE, as the host sees
# it: a chroot's /lib/modules/RELEASE/build is an absolute symbolic link.
kernel_kdir() {
	local root p t
	if [ "$1" = debug ]; then
		echo "$(kernel_dir debug)/build"
		return 0
	fi
	root=$(kernel_root "$1")
	p=$root/lib/modules/$2/build
	if [ -n "$root" ] && [ -L "$p" ]; then
		t=$(readlink "$p")
		case $t in /*) p=$root$t ;; esac
	fi
	echo "$p"
}

# True when kernel NAME's headers are installed (compile lane).
kernel_headers_ready() {
	local want
	want=$(kernel_headers "$1")
	[ -n "$want" ] && [ -d "$(kernel_kdir "$1" "${want%% *}")" ]
}

# True when kernel NAME is ready to boot for the headers installed now.
kernel_ready() {
	local dir want
	dir=$(kernel_dir "$1")
	want=$(kernel_headers "$1")
	[ -n "$want" ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] &&
		[ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.gz" ] &&
		[ -d "$(kernel_kdir "$1" "${want%% *}")" ]
}

# Sets kernel NAME up (scripts/setup.sh) unless it is ready; dies if it fails.
kernel_setup() {
	kernel_ready "$1" || "$REPO/scripts/setup.sh" --kernel "$1" --quiet ||
		die "setup for kernel $1 failed"
}

kernel_release() {
	cat "$(kernel_dir "$1")/release"
}
