#!/bin/bash
# Builds the debug kernel (scripts/vm.sh --kernel debug) from Debian's
# linux-source in the trixie chroot: tinyconfig + scripts/debug-kernel.config,
# bzImage, Module.symvers and what M= builds of modules need, into
# .cache/kernels/debug/ (vmlinuz, config, System.map, release, build/ the
# kernel tree). Run by scripts/setup.sh --kernel debug, which installs the
# packages first and adds the initramfs.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/debug-kernel.sh [--jobs N]

Builds the debug kernel from /usr/src/$DEBUG_SOURCE.tar.xz of the trixie
chroot (package $DEBUG_SOURCE) with scripts/debug-kernel.config
applied on top of tinyconfig, into $(kernel_dir debug)/,
unless it is built already for this fragment and source version. Needs root
(the chroot). Takes 13 min of CPU: about 8 min on 2 idle cores, 17 with
other work beside it.

  --jobs N    make -jN (default: the number of CPUs)
  -h, --help  this text
EOF
}

jobs=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--jobs)
		[ $# -ge 2 ] && [ "$2" -gt 0 ] 2>/dev/null || die "--jobs needs a number"
		jobs=$2
		shift
		;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done

want=$(debug_kernel_want) ||
	die "$DEBUG_SOURCE is not installed in the trixie chroot: run scripts/setup.sh --kernel debug"
dir=$(kernel_dir debug)
if [ -f "$dir/built" ] && [ "$(cat "$dir/built")" = "$want" ]; then
	exit 0
fi
root=$(kernel_root debug)
t0=$SECONDS
rm -rf "$dir"
mkdir -p "$dir/build"
note "debug: unpacking $DEBUG_SOURCE"
tar -xJf "$root/usr/src/$DEBUG_SOURCE.tar.xz" -C "$dir/build" --strip-components=1 ||
	die "debug: cannot unpack $root/usr/src/$DEBUG_SOURCE.tar.xz"
note "debug: unpacked ($((SECONDS - t0)) s); configuring"
cd "$dir/build"
# Built in place (no O=): M= builds of modules then need nothing but this
# tree. The log goes to a file, its end printed when the build fails.
log=$dir/build.log
# shellcheck disable=SC2016 # expanded by the chroot's shell
if ! chroot_exec "$root" sh -c '
	set -e
	make tinyconfig
	scripts/kconfig/merge_config.sh -m .config "$1"
	make olddefconfig
' - "$REPO/scripts/debug-kernel.config" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "debug: configuring failed (log: $log)"
fi
# Every line of the fragment must have survived olddefconfig.
lost=
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" .config || lost="$lost ${line%%=*}" ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		! grep -q "^$opt=" .config || lost="$lost $opt(off)"
		;;
	esac
done <"$REPO/scripts/debug-kernel.config"
[ -z "$lost" ] ||
	die "debug: olddefconfig dropped:$lost (a dependency is missing from scripts/debug-kernel.config)"
note "debug: building with make -j$jobs (log: $log)"
t1=$SECONDS
# all: bzImage and modules (Module.symvers); modules_prepare: what M=
# builds need besides.
if ! chroot_exec "$root" make -j"$jobs" all modules_prepare >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "debug: build failed (log: $log)"
fi
[ -f Module.symvers ] || die "debug: the build made no Module.symvers (log: $log)"
release=$(chroot_exec "$root" make -s kernelrelease)
cp arch/x86/boot/bzImage "$dir/vmlinuz"
cp .config "$dir/config"
cp System.map "$dir/System.map"
echo "$release" >"$dir/release"
# The chroot's /lib/modules/RELEASE/build, where the module's build looks.
mkdir -p "$root/lib/modules/$release"
ln -sfn "$dir/build" "$root/lib/modules/$release/build"
echo "$want" >"$dir/built"
note "debug: built $release (make: $((SECONDS - t1)) s, in all $((SECONDS - t0)) s)"
