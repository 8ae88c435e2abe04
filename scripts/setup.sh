#!/bin/bash
# Install and prepare everything brkwatch needs to build and to boot its
# kernel matrix in QEMU. Idempotent: a second run does nothing and says so.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF
Usage: scripts/setup.sh [--kernel NAME]... [--source] [--quiet]

Installs (as root, with apt-get) QEMU, busybox-static, kmod, the compilers,
linux-source-6.1 and the kernel headers of the matrix ($KERNELS), then
downloads (never installs) the kernel image of exactly the headers' version
and builds a small initramfs for it, in $CACHE/kernels/NAME/.
Also extracts kselftest and checkpatch.pl from linux-source into
$CACHE/linux-src/.

  --kernel NAME  only prepare this kernel (repeatable; default: all)
  --source       only extract linux-source (needs no root if it is installed)
  --quiet        print nothing when there is nothing to do
  -h, --help     this text
EOF
}

kernels=
source_only=
quiet=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_arg "${2:-}"
		kernels="$kernels $2"
		shift
		;;
	--source) source_only=1 ;;
	--quiet) quiet=1 ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=$KERNELS

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
	perl strace python3 util-linux coreutils linux-source-6.1"

installed() {
	[ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

apt_updated=
apt_update() {
	[ -z "$apt_updated" ] || return 0
	say "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	apt_updated=1
}

apt_install() {
	[ "$(id -u)" = 0 ] || die "need root to install: $* (run: sudo scripts/setup.sh)"
	apt_update
	say "apt-get install $*"
	# INITRD=No: the 6.12 header packages pull in an image package whose
	# postinst would spend minutes building an initramfs nobody boots.
	INITRD=No DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "$@" >&2 ||
		die "apt-get install failed: $*"
}

install_packages() {
	local missing='' p k
	for p in $BASE_PKGS; do
		installed "$p" || missing="$missing $p"
	done
	for k in $kernels; do
		p=$(kernel_meta "$k")
		installed "$p" || missing="$missing $p"
	done
	for k in $kernels; do
		# The meta-package is there but the versioned headers went away.
		# shellcheck disable=SC2046 # RELEASE VERSION
		set -- $(kernel_headers "$k")
		[ $# -eq 0 ] || [ -d "/lib/modules/$1/build" ] ||
			missing="$missing linux-headers-$1"
	done
	# shellcheck disable=SC2086
	[ -z "$missing" ] || apt_install $missing
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

# Download the image package of exactly RELEASE VERSION into DIR.
download_image() {
	local release=$1 version=$2 dir=$3
	(cd "$dir" && apt-get download -qq "linux-image-$release=$version") >&2 2>/dev/null
}

# Build the initramfs: busybox, the 9p modules of the image, an /init that
# mounts the run's share and hands over to scripts/vm-guest.sh.
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
	depmod -b "$img" "$release"
	# Debian builds virtio and 9p as modules; their order differs between
	# 6.1 and 6.12, so ask modprobe for it.
	for m in virtio_pci 9pnet_virtio 9p; do
		modprobe -d "$img" -S "$release" --show-depends "$m" ||
			die "$name: modprobe cannot resolve module $m in the image"
	done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$img/modules.list"
	[ -s "$img/modules.list" ] || die "$name: no 9p modules found in the image"
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

prepare_kernel() {
	local name=$1 dir release version tmp deb
	dir=$(kernel_dir "$name")
	if kernel_ready "$name"; then
		say_ready "$name: ready ($(cat "$dir/release"))"
		return 0
	fi
	# shellcheck disable=SC2046 # RELEASE VERSION
	set -- $(kernel_headers "$name")
	[ $# -eq 2 ] || die "$name: $(kernel_meta "$name") is not installed"
	release=$1 version=$2
	say "$name: fetching linux-image-$release $version"
	tmp=$CACHE/kernels/.$name.tmp.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if ! download_image "$release" "$version" "$tmp"; then
		# The registry moved on: refresh, and move the headers along with it
		# so that image and headers keep exactly one version.
		apt_update
		if ! download_image "$release" "$version" "$tmp"; then
			apt_install "$(kernel_meta "$name")"
			# shellcheck disable=SC2046 # RELEASE VERSION
			set -- $(kernel_headers "$name")
			release=$1 version=$2
			download_image "$release" "$version" "$tmp" ||
				die "$name: cannot download linux-image-$release=$version"
		fi
	fi
	deb=$(ls "$tmp"/linux-image-*.deb)
	dpkg-deb -x "$deb" "$tmp/image"
	[ -f "$tmp/image/boot/vmlinuz-$release" ] || die "$name: no vmlinuz-$release in $deb"
	build_initrd "$name" "$release" "$tmp/image" "$tmp/initrd.gz"
	mv "$tmp/image/boot/vmlinuz-$release" "$tmp/vmlinuz"
	mv "$tmp/image/boot/config-$release" "$tmp/config"
	mv "$tmp/image/boot/System.map-$release" "$tmp/System.map"
	mv "$tmp/image/modules.list" "$tmp/modules.list"
	rm -rf "$tmp/image" "$deb"
	echo "$release" >"$tmp/release"
	echo "$release $version" >"$tmp/stamp"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	say "$name: ready ($release)"
}

mkdir -p "$CACHE"
if [ -n "$source_only" ]; then
	extract_source
	exit 0
fi
install_packages
extract_source
for k in $kernels; do
	prepare_kernel "$k"
done
