#!/bin/bash
# The compile lane: brkwatch.ko built from scratch with W=1 and checked by
# sparse against every flavour Debian ships of every kernel series of the
# matrix, each where its headers are (the host, or the chroot with its
# release's compiler and sparse). One TAP-style line per kernel; any
# warning fails it.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOF2
Usage: scripts/compile-lane.sh [--kernel NAME]... [--no-setup]

Builds module/ with W=1 and sparse (C=2), from scratch, against the
headers of each kernel ($COMPILE_KERNELS,
or those given), in $CACHE/build/w1/RELEASE/, and prints one line for each:
  ok - compile NAME (RELEASE)
  not ok - compile NAME: REASON
followed, on failure, by the build's output as "# " lines. A warning from
the compiler, sparse or modpost is a failure. Where the kernel's Kbuild
refuses the sparse installed (7.x: Debian's is too old for it), the line
says "no sparse" and the build counts without. The last line gives the
lane's time.
Exit status: 0 when every kernel built cleanly, 1 otherwise, 2 on bad usage.

  --kernel NAME  only this kernel (repeatable); a name of the matrix given
                 with --series stands for every flavour of its series
  --series       see --kernel
  --no-setup     do not run scripts/setup.sh --headers first
  -h, --help     this text
EOF2
}

kernels=
series=
setup=1
while [ $# -gt 0 ]; do
	case $1 in
	--kernel)
		kernel_source "${2:-}" >/dev/null ||
			die "unknown kernel '${2:-}': use one of $COMPILE_KERNELS"
		kernels="$kernels $2"
		shift
		;;
	--series) series=1 ;;
	--no-setup) setup= ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
[ -n "$kernels" ] || kernels=$COMPILE_KERNELS
if [ -n "$series" ]; then
	# shellcheck disable=SC2086
	kernels=$(kernel_flavours $kernels)
fi

start=$(date +%s)
if [ -n "$setup" ]; then
	# shellcheck disable=SC2046,SC2086
	"$REPO/scripts/setup.sh" --headers --quiet $(printf -- '--kernel %s ' $kernels) ||
		note "setup failed: the kernels without headers fail below"
fi

failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for k in $kernels; do
	# shellcheck disable=SC2046 # RELEASE VERSION
	set -- $(kernel_headers "$k")
	if [ $# -ne 2 ] || ! kernel_headers_ready "$k"; then
		echo "not ok - compile $k: no headers (scripts/setup.sh --kernel $k)"
		failed=$((failed + 1))
		continue
	fi
	rel=$1
	dir=$CACHE/build/w1/$rel
	rm -rf "$dir"
	t0=$(date +%s)
	rc=0
	kernel_exec "$k" make -s -C "$REPO" module-kernel KREL="$rel" BUILD_DIR="$dir" W=1 C=2 \
		>"$log" 2>&1 || rc=$?
	# Kbuild's note about BTF is noise: Debian ships no vmlinux.
	sed -i '/^Skipping BTF generation/d' "$log"
	# The 7.x Makefile runs sparse only if it knows __typeof_unqual__
	# (scripts/checker-valid.sh, new in 2026 and absent from Debian's
	# headers); Debian's sparse 0.6.4 does not. Kbuild then builds
	# without it and says so: so does this line.
	checked="sparse"
	if grep -q 'C=2 specified, but .* not available or not up to date' "$log"; then
		sed -i '/C=2 specified, but/d' "$log"
		checked="no sparse: Kbuild refuses $(kernel_exec "$k" sparse --version 2>&1 | head -n 1)"
	fi
	warn=$(grep -m 1 -E 'warning:|WARNING:|error:|Error ' "$log" || true)
	if [ "$rc" != 0 ] || [ -n "$warn" ] || [ ! -f "$dir/brkwatch.ko" ]; then
		[ -n "$warn" ] || warn="make failed (status $rc)"
		echo "not ok - compile $k ($rel): ${warn#"$dir/"}"
		sed 's/^/# /' "$log"
		failed=$((failed + 1))
	else
		echo "ok - compile $k ($rel, $(($(date +%s) - t0)) s, $checked)"
	fi
done
echo "# compile lane: $(($(date +%s) - start)) s, $(echo "$kernels" | wc -w) kernels, $failed failed"
[ "$failed" = 0 ]
