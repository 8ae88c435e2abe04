# shellcheck shell=bash
# Shared by scripts/setup.sh, vm.sh, check.sh and demo.sh (sourced, not run).
#
# The kernel matrix, the cache layout and a few helpers live here so the
# scripts cannot disagree about them.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
CACHE=$REPO/.cache

# depmod, modprobe: not always on a non-login PATH.
PATH=$PATH:/usr/sbin:/sbin

# name -> Debian headers meta-package. The image always has exactly the
# version of the headers that package resolves to.
# shellcheck disable=SC2034 # used by the scripts that source this
KERNELS="6.1 6.12 6.12-rt"

kernel_meta() {
	case $1 in
	6.1) echo linux-headers-amd64 ;;
	6.12) echo linux-headers-6.12-amd64 ;;
	6.12-rt) echo linux-headers-6.12-rt-amd64 ;;
	*) return 1 ;;
	esac
}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# Checks the NAME given to --kernel: dies unless it is one of $KERNELS.
kernel_arg() {
	[ -n "${1:-}" ] || die "--kernel needs a NAME ($KERNELS)"
	kernel_meta "$1" >/dev/null || die "unknown kernel '$1': use one of $KERNELS"
}

note() {
	echo "${0##*/}: $*" >&2
}

# The kernel release (e.g. 6.1.0-56-amd64) and Debian version of the headers
# that the meta-package of kernel NAME depends on, as installed now:
# prints "RELEASE VERSION", or nothing when the meta-package is missing.
kernel_headers() {
	local meta dep pkg
	meta=$(kernel_meta "$1") || return 1
	dep=$(dpkg-query -W -f '${Status}|${Depends}' "$meta" 2>/dev/null) || return 0
	case $dep in
	"install ok installed|"*) ;;
	*) return 0 ;;
	esac
	pkg=${dep#*|}
	pkg=${pkg%%[ ,]*}		# linux-headers-6.1.0-56-amd64
	[ -n "$pkg" ] || return 0
	echo "${pkg#linux-headers-} $(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null)"
}

# Where setup put kernel NAME: vmlinuz, initrd.gz, release, stamp.
kernel_dir() {
	echo "$CACHE/kernels/$1"
}

# True when kernel NAME is ready to boot for the headers installed now.
kernel_ready() {
	local dir want
	dir=$(kernel_dir "$1")
	want=$(kernel_headers "$1")
	[ -n "$want" ] && [ -f "$dir/stamp" ] && [ "$(cat "$dir/stamp")" = "$want" ] &&
		[ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.gz" ] &&
		[ -d "/lib/modules/${want%% *}/build" ]
}

# Sets kernel NAME up (scripts/setup.sh) unless it is ready; dies if it fails.
kernel_setup() {
	kernel_ready "$1" || "$REPO/scripts/setup.sh" --kernel "$1" --quiet ||
		die "setup for kernel $1 failed"
}

kernel_release() {
	cat "$(kernel_dir "$1")/release"
}
