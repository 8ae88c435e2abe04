#!/bin/bash
# make deb: the Debian packages brkwatch-dkms and brkwatch, built with
# debhelper from a copy of the tree in .cache/deb/ (the tracked files as they
# are now, and new files not ignored: not .cache or build products), then checked by lintian: any error
# or warning fails. The packages are left in .cache/deb/.
set -eu

# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

case ${1:-} in
-h | --help)
	echo "Usage: scripts/deb.sh   (make deb): builds .cache/deb/*.deb, runs lintian"
	exit 0
	;;
"") ;;
*) die "unknown argument '$1' (see --help)" ;;
esac

# What make deb needs, by command: one line naming what is missing.
missing=
for need in dpkg-buildpackage:dpkg-dev dh:debhelper dh_dkms:dh-dkms lintian:lintian make:make cc:gcc; do
	command -v "${need%%:*}" >/dev/null || missing="$missing ${need#*:}"
done
[ -z "$missing" ] || die "make deb needs packages that are not installed: apt-get install$missing (or run scripts/setup.sh as root)"

cd "$REPO"
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
out=$CACHE/deb
src=$out/brkwatch-$version
rm -rf "$out"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=.cache --exclude-vcs --exclude='*.o' --exclude='*.ko' -cf - . | tar -xf - -C "$src"
fi

echo "deb: dpkg-buildpackage in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc) >"$out/build.log" 2>&1; then
	tail -n 20 "$out/build.log" >&2
	die "dpkg-buildpackage failed (log: $out/build.log)"
fi
changes=$out/brkwatch_${version}_$(dpkg --print-architecture).changes
echo "deb: lintian $changes"
if ! lintian --fail-on error,warning --info "$changes"; then
	die "lintian reported errors or warnings (above)"
fi
ls "$out"/*.deb
