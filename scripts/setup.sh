#!/bin/bash
# Install and prepare everything brkwatch needs to build and to boot its
# kernel matrix in QEMU. Idempotent: a second run does nothing and says so.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/setup.sh [--kernel NAME]... [--headers] [--source] [--quiet]

Installs (as root, with apt-get) QEMU, busybox-static, kmod, debootstrap,
the compilers, what make deb needs (debhelper, dh-dkms, dkms, lintian),
linux-source-6.1 and the kernel headers of every kernel of
the compile lane ($COMPILE_KERNELS).
Headers of Debian 12's kernels go on the host; those of Debian 11 (5.10)
and of Debian 13's backports (newest) into minimal chroots of bullseye and
trixie in $CACHE/chroots/, with the compiler each was built with (gcc-10,
gcc-14); only those chroots know the other releases' apt sources.
For each kernel of the matrix ($KERNELS) it then downloads (never
installs) the kernel image of exactly the headers' version and builds a
small initramfs for it, in $CACHE/kernels/NAME/.
Also extracts kselftest and checkpatch.pl from linux-source into
$CACHE/linux-src/.

  --kernel NAME  only prepare this kernel (repeatable; default: all; a
                 name of the compile lane alone gets its headers only)
  --headers      only install the headers (no images: the compile lane)
  --source       only extract linux-source (needs no root if it is installed)
  --quiet        print nothing when there is nothing to do
  -h, --help     this text
EOF
}

kernels=
source_only=
headers_only=
quiet=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_source "${2:-}" >/dev/null ||
			die "unknown kernel '${2:-}': use one of $COMPILE_KERNELS"
		kernels="$kernels $2"
		shift
		;;
	--headers) headers_only=1 ;;
	--source) source_only=1 ;;
	--quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=$COMPILE_KERNELS

# What setup does is always said; that there is nothing to do only without
# --quiet.
say() {
	echo "setup: $*" >&2
}

say_ready() {
	[ -n "$quiet" ] || say "$@"
}

# Tools the project uses, on the host and (through the 9p share) in the guest.
BASE_PKGS="qemu-system-x86 busybox-static kmod cpio xz-utils zstd gzip
	gcc make libc6-dev gcc-multilib sparse clang libclang-rt-14-dev
	perl strace python3 util-linux coreutils linux-source-6.1 debootstrap
	dpkg-dev debhelper dh-dkms dkms lintian libdw-dev elfutils"

# What a chroot gets besides the kernel headers (which pull in the compiler
# their kernel was built with).
CHROOT_PKGS="make gcc binutils libelf-dev sparse"

# What building the debug kernel needs in the trixie chroot.
DEBUG_PKGS="$DEBUG_SOURCE bc bison flex libssl-dev libelf-dev cpio xz-utils libc6-dev"

installed() {
	[ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

need_root() {
	[ "$(id -u)" = 0 ] || die "need root to $* (run: sudo scripts/setup.sh)"
}

# COMMAND (an apt tool) on ROOT: the host when empty, else in that chroot.
apt_cmd() {
	local root=$1
	shift
	if [ -z "$root" ]; then
		"$@"
	else
		cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		chroot_exec "$root" "$@"
	fi
}

# (Another apt-get at work, e.g. a timer's, holds dpkg's lock: wait for it.)
apt_in() {
	local root=$1
	shift
	apt_cmd "$root" apt-get -o DPkg::Lock::Timeout=300 "$@"
}

apt_updated=' '
apt_update() {	# ROOT
	case $apt_updated in *" ${1:-host} "*) return 0 ;; esac
	need_root "update apt's lists"
	say "apt-get update${1:+ (chroot ${1##*/})}"
	apt_in "$1" update -qq >&2 || die "apt-get update failed${1:+ in $1}"
	apt_updated="$apt_updated${1:-host} "
}

apt_install() {	# ROOT [--try] [OPTIONS] PACKAGES...
	local root=$1 try=
	shift
	[ "$1" != --try ] || { try=1; shift; }
	need_root "install: $*"
	# A chroot's dpkg interrupted by an earlier run: finish its work first.
	[ -z "$root" ] || apt_cmd "$root" dpkg --configure -a >/dev/null 2>&1 || true
	apt_update "$root"
	say "apt-get install $*${root:+ (chroot ${root##*/})}"
	# INITRD=No: the 6.12 header packages pull in an image package whose
	# postinst would spend minutes building an initramfs nobody boots.
	# Its output goes to a log, printed when it fails.
	if ! INITRD=No DEBIAN_FRONTEND=noninteractive \
		apt_in "$root" install -y -qq --no-install-recommends "$@" >"$CACHE/apt.log" 2>&1; then
		[ -z "$try" ] || return 1
		tail -n 20 "$CACHE/apt.log" >&2
		die "apt-get install failed${root:+ in $root}: $* (log: $CACHE/apt.log)"
	fi
}

# A minimal chroot of SUITE in $CACHE/chroots/SUITE with its apt sources,
# make, gcc, binutils, libelf-dev and sparse; the headers come later.
make_chroot() {
	local suite=$1 dir want tmp t0=$SECONDS
	dir=$CACHE/chroots/$suite
	want="$(chroot_sources "$suite") | $CHROOT_PKGS"
	if [ -f "$dir/.brkwatch-stamp" ] && [ "$(cat "$dir/.brkwatch-stamp")" = "$want" ]; then
		return 0
	fi
	need_root "make the $suite chroot"
	if [ ! -d "$dir/usr" ]; then
		# An interrupted run's leftovers: never mounted on (below).
		rm -rf "$CACHE/chroots/.$suite.tmp."*
		tmp=$CACHE/chroots/.$suite.tmp.$$
		mkdir -p "$tmp"
		say "$suite: debootstrap --variant=minbase into $dir"
		# In a mount namespace of its own: the /proc debootstrap mounts
		# inside the target goes away with it, even if it is killed.
		if ! unshare --mount --propagation private \
			debootstrap --variant=minbase "$suite" "$tmp" http://deb.debian.org/debian \
			>"$CACHE/chroots/$suite.debootstrap.log" 2>&1; then
			rm -rf "$tmp"
			die "$suite: debootstrap failed (log: $CACHE/chroots/$suite.debootstrap.log)"
		fi
		rm -f "$CACHE/chroots/$suite.debootstrap.log"
		mv "$tmp" "$dir"
		say "$suite: debootstrap done ($((SECONDS - t0)) s)"
		t0=$SECONDS
	fi
	chroot_sources "$suite" >"$dir/etc/apt/sources.list"
	# shellcheck disable=SC2086
	apt_install "$dir" $CHROOT_PKGS
	echo "$want" >"$dir/.brkwatch-stamp"
	say "$suite: chroot ready ($((SECONDS - t0)) s)"
}

# The versioned headers package kernel NAME's meta-package points to now,
# by apt's lists (the newest version of the series, for newest: of the
# newest series in trixie-backports).
resolve_headers() {
	local root suite
	root=$(kernel_root "$1")
	suite=$(kernel_suite "$1")
	# shellcheck disable=SC2046
	apt_cmd "$root" apt-cache $(chroot_apt_target "$suite") depends "$(kernel_meta "$1")" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-[^ ]*\).*/\1/p' | head -n 1
}

# Installs the headers of kernels NAME... (all where ROOT is) as their
# meta-packages resolve now and records what each resolved to; refreshes
# apt's lists and tries again once when that fails.
install_headers() {
	local root=$1 k p pkgs try rel ver unresolved t0=$SECONDS
	shift
	for try in 1 2; do
		[ "$try" = 1 ] || apt_update "$root"
		pkgs=
		unresolved=
		for k; do
			p=$(resolve_headers "$k")
			if [ -z "$p" ]; then
				unresolved="$unresolved $k ($(kernel_meta "$k"))"
				continue
			fi
			pkgs="$pkgs $p"
			echo "$p" >"$CACHE/headers/.$k.pkg"
		done
		# shellcheck disable=SC2086
		[ -z "$unresolved" ] && apt_install "$root" --try $pkgs && break
		[ "$try" = 1 ] || [ -z "$unresolved" ] ||
			die "no headers package for:$unresolved${root:+ in $root}"
		[ "$try" = 1 ] || die "cannot install${root:+ in $root}:$pkgs (log: $CACHE/apt.log)"
	done
	for k; do
		rel=$(cat "$CACHE/headers/.$k.pkg")
		rm -f "$CACHE/headers/.$k.pkg"
		rel=${rel#linux-headers-}
		# shellcheck disable=SC2016 # dpkg-query's format
		ver=$(kernel_dpkg_query "$k" -W -f '${Version}' "linux-headers-$rel")
		echo "$rel $ver" >"$(kernel_record "$k")"
		say "$k: headers $rel ($ver)"
	done
	say "headers installed${root:+ in the ${root##*/} chroot} ($((SECONDS - t0)) s)"
}

install_packages() {
	local missing='' p k suites='' root
	for p in $BASE_PKGS; do
		installed "$p" || missing="$missing $p"
	done
	# shellcheck disable=SC2086
	[ -z "$missing" ] || apt_install '' $missing
	for k in $kernels; do
		p=$(kernel_suite "$k")
		[ "$p" = host ] || case $suites in *" $p "*) ;; *) suites="$suites $p " ;; esac
	done
	for p in $suites; do
		make_chroot "$p"
	done
	mkdir -p "$CACHE/headers"
	for p in host $suites; do
		missing=
		for k in $kernels; do
			[ "$(kernel_suite "$k")" = "$p" ] || continue
			# The debug kernel has no headers package: it is built.
			[ "$k" != debug ] || continue
			kernel_headers_ready "$k" || missing="$missing $k"
		done
		[ -n "$missing" ] || continue
		[ "$p" = host ] && root='' || root=$CACHE/chroots/$p
		# shellcheck disable=SC2086
		install_headers "$root" $missing
	done
	case " $kernels " in
	*" debug "*)
		root=$(kernel_root debug)
		missing=
		for p in $DEBUG_PKGS; do
			# shellcheck disable=SC2016 # dpkg-query's format
			[ "$(kernel_dpkg_query debug -W -f '${Status}' "$p" 2>/dev/null)" = \
				"install ok installed" ] || missing="$missing $p"
		done
		# shellcheck disable=SC2046,SC2086
		[ -z "$missing" ] || apt_install "$root" $(chroot_apt_target trixie) $missing
		;;
	esac
}

# Extract what the tests and checkpatch need from linux-source-6.1, once.
extract_source() {
	local tarball=/usr/src/linux-source-6.1.tar.xz dst=$CACHE/linux-src ver tmp
	[ -f "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.1 (or run scripts/setup.sh as root)"
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || echo unknown)
	if [ -f "$dst/stamp" ] && [ "$(cat "$dst/stamp")" = "$ver" ]; then
		return 0
	fi
	say "extracting kselftest and checkpatch.pl from $tarball"
	rm -rf "$dst"
	tmp=$dst.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -xJf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
		'linux-source-6.1/tools/testing/selftests/kselftest*' \
		'linux-source-6.1/tools/testing/selftests/lib.mk' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch' \
		'linux-source-6.1/scripts/subarch.include' ||
		die "extracting from $tarball failed"
	echo "$ver" >"$tmp/stamp"
	mv "$tmp" "$dst"
}

# Download the image package of exactly RELEASE VERSION of kernel NAME into
# DIR (in the checkout, so that a chroot sees it at the same path).
# From 7.x on, the image package is split: it depends on linux-base-RELEASE,
# linux-binary-RELEASE (vmlinuz) and linux-modules-RELEASE of the same
# version, which are downloaded too.
download_image() {
	local name=$1 release=$2 version=$3 dir=$4 parts
	(cd "$dir" && kernel_exec "$name" apt-get download -qq "linux-image-$release=$version") \
		>/dev/null 2>&1 || return 1
	parts=$(dpkg-deb -f "$dir/linux-image-${release}_"*.deb Depends | tr ',' '\n' |
		sed -n "s/^ *\(linux-[a-z]*-$release\) (= .*/\1=$version/p")
	[ -z "$parts" ] && return 0
	# shellcheck disable=SC2086
	(cd "$dir" && kernel_exec "$name" apt-get download -qq $parts) >/dev/null 2>&1
}

# The 9p modules of the image in IMG, in load order, into IMG/modules.list.
modules_list() {
	local name=$1 release=$2 img=$3 m
	depmod -b "$img" "$release"
	# Debian builds virtio and 9p as modules; their order differs between
	# 6.1 and 6.12, so ask modprobe for it.
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -d "$img" -S "$release" --show-depends "$m" ||
			die "$name: modprobe cannot resolve module $m in the image"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$img/modules.list"
	[ -s "$img/modules.list" ] || die "$name: no 9p modules found in the image"
}

# Build the initramfs: busybox, the 9p modules of the image (none for the
# debug kernel, where they are built in), an /init that mounts the run's
# share and hands over to scripts/vm-guest.sh.
build_initrd() {
	local name=$1 release=$2 img=$3 out=$4 root m f n=0
	root=$img/initrd
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" "$root/dev" \
		"$root/mnt" "$root/out" "$root/hosttmp" "$root/hostrun"
	cp /bin/busybox "$root/bin/busybox"
	for f in $(/bin/busybox --list); do
		[ "$f" = busybox ] || ln -s busybox "$root/bin/$f"
	done
	if [ "$name" = debug ]; then
		: >"$img/modules.list"
	else
		modules_list "$name" "$release" "$img"
	fi
	while read -r m; do
		n=$((n + 1))
		f=$root/modules/$(printf %02d "$n")-$(basename "${m%%.ko*}").ko
		case $m in
		*.ko.xz) xz -dc "$m" >"$f" ;;
		*.ko.zst) zstd -qdc "$m" >"$f" ;;
		*.ko.gz) gzip -dc "$m" >"$f" ;;
		*) cp "$m" "$f" ;;
		esac
	done <"$img/modules.list"
	cat >"$root/init" <<'EOF'
#!/bin/sh
# brkwatch guest init: load 9p, mount the run's share, hand over.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
fail() {
	echo "brkwatch-vm: $*" >/dev/kmsg
	poweroff -f
}
for m in /modules/*.ko; do
	[ -e "$m" ] || continue
	insmod "$m" || fail "initramfs: cannot load $m"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out ||
	fail "initramfs: cannot mount the run share"
[ -f /out/vm-guest.sh ] || fail "initramfs: /out/vm-guest.sh missing"
exec sh /out/vm-guest.sh
EOF
	chmod 755 "$root/init"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$root"
}

# The debug kernel: built (scripts/debug-kernel.sh, when its fragment or
# source changed), then its initramfs.
prepare_debug() {
	local dir tmp t0=$SECONDS
	dir=$(kernel_dir debug)
	"$REPO/scripts/debug-kernel.sh" || die "debug: the kernel build failed"
	tmp=$CACHE/kernels/.debug.initrd.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	build_initrd debug "$(cat "$dir/release")" "$tmp" "$dir/initrd.gz"
	rm -rf "$tmp"
	# shellcheck disable=SC2046 # RELEASE VERSION
	set -- $(kernel_headers debug)
	echo "$1 $2" >"$dir/stamp"
	say "debug: ready ($1; $((SECONDS - t0)) s)"
}

prepare_kernel() {
	local name=$1 dir release version tmp deb root img f t0=$SECONDS
	dir=$(kernel_dir "$name")
	root=$(kernel_root "$name")
	if kernel_ready "$name"; then
		say_ready "$name: ready ($(cat "$dir/release"))"
		return 0
	fi
	if [ "$name" = debug ]; then
		prepare_debug
		return 0
	fi
	# shellcheck disable=SC2046 # RELEASE VERSION
	set -- $(kernel_headers "$name")
	[ $# -eq 2 ] || die "$name: its headers are not installed"
	release=$1 version=$2
	say "$name: fetching linux-image-$release $version"
	rm -rf "$CACHE/kernels/.$name.tmp."*
	tmp=$CACHE/kernels/.$name.tmp.$$
	mkdir -p "$tmp"
	if ! download_image "$name" "$release" "$version" "$tmp"; then
		# The registry moved on: refresh, and move the headers along with it
		# (to the newest version of the series) so that image and headers
		# keep exactly one version.
		apt_update "$root"
		if ! download_image "$name" "$release" "$version" "$tmp"; then
			install_headers "$root" "$name"
			# shellcheck disable=SC2046 # RELEASE VERSION
			set -- $(kernel_headers "$name")
			release=$1 version=$2
			say "$name: now $release ($version)"
			download_image "$name" "$release" "$version" "$tmp" ||
				die "$name: cannot download linux-image-$release=$version"
		fi
	fi
	for deb in "$tmp"/linux-*.deb; do
		dpkg-deb -x "$deb" "$tmp/image"
	done
	# 7.x keeps everything in /usr/lib/modules/RELEASE/, vmlinuz, config and
	# System.map included; before, /lib/modules/RELEASE/ and /boot/*-RELEASE.
	img=$tmp/image
	if [ -d "$img/usr/lib/modules/$release" ] && [ ! -d "$img/lib/modules/$release" ]; then
		mkdir -p "$img/lib/modules"
		mv "$img/usr/lib/modules/$release" "$img/lib/modules/"
		mkdir -p "$img/boot"
		for f in vmlinuz config System.map; do
			if [ -f "$img/lib/modules/$release/$f" ]; then
				mv "$img/lib/modules/$release/$f" "$img/boot/$f-$release"
			fi
		done
	fi
	[ -f "$img/boot/vmlinuz-$release" ] ||
		die "$name: no vmlinuz-$release in $(cd "$tmp" && echo linux-*.deb)"
	build_initrd "$name" "$release" "$tmp/image" "$tmp/initrd.gz"
	mv "$tmp/image/boot/vmlinuz-$release" "$tmp/vmlinuz"
	mv "$tmp/image/boot/config-$release" "$tmp/config"
	mv "$tmp/image/boot/System.map-$release" "$tmp/System.map"
	mv "$tmp/image/modules.list" "$tmp/modules.list"
	rm -rf "$tmp/image" "$tmp"/linux-*.deb
	echo "$release" >"$tmp/release"
	echo "$release $version" >"$tmp/stamp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	say "$name: ready ($release; image and initramfs: $((SECONDS - t0)) s)"
}

mkdir -p "$CACHE"
if [ -n "$source_only" ]; then
	extract_source
	exit 0
fi
install_packages
extract_source
[ -z "$headers_only" ] || exit 0
for k in $kernels; do
	case " $KERNELS " in
	*" $k "*) prepare_kernel "$k" ;;
	esac
done
