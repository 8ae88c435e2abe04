#!/bin/bash
# make demo: boot 6.1, run a program that calls malloc(100), and show its brk
# calls three ways: strace's, /proc/brkwatch/<PID>'s and the reader's.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
-h | --help)
	echo "Usage: scripts/demo.sh [--kernel NAME]   (default: 6.1)"
	exit 0
	;;
--kernel)
	kernel_arg "${2:-}"
	kernel=$2
	;;
'') kernel=6.1 ;;
*) die "unknown argument '$1' (see --help)" ;;
esac

"$REPO/scripts/setup.sh" --kernel "$kernel" --quiet || die "setup failed: run scripts/setup.sh as root"
mkdir -p "$CACHE/bin"
prog=$CACHE/bin/demo-malloc
if [ ! -x "$prog" ] || [ "$REPO/scripts/demo-malloc.c" -nt "$prog" ]; then
	gcc -O2 -Wall -o "$prog" "$REPO/scripts/demo-malloc.c" || die "cannot build $prog"
fi

# Runs in the guest, in the checkout (vm.sh rebuilds module and reader first).
guest='
set -u
exec 2>&1
prog=.cache/bin/demo-malloc
strace -qq -e trace=brk -o /tmp/strace.txt "$prog" >/tmp/pid || exit 1
pid=$(cat /tmp/pid)
echo "== strace -e trace=brk $prog   (pid $pid)"
cat /tmp/strace.txt
echo
echo "== cat /proc/brkwatch/$pid"
cat "/proc/brkwatch/$pid" || exit 1
echo
echo "== userspace/brkwatch $pid"
userspace/brkwatch "$pid"
'
exec "$REPO/scripts/vm.sh" --kernel "$kernel" -- bash -c "$guest"
