#!/bin/sh
# The guest half of scripts/vm.sh, run by the initramfs's /init as PID 1
# (busybox sh, PATH=/bin). The run's host directory is mounted at /out:
#   in:  config (REPO_DIR, RUN_USER, RUN_UID, RUN_GID, MODULE, MODULE_ARGS,
#        KERNEL_NAME, KO_PATH),
#        cmd (a bash script)
#   out: stdout, stderr, rc, insmod.log, insmod.rc, rmmod.log, rmmod.rc,
#        kmemleak (what a scan after rmmod reports, on a kernel with
#        kmemleak) and kmemleak.status ("scanned", or why not),
#        debug_locks (lockdep's, at the end, on a kernel with lockdep),
#        taint (before and after), dmesg, done
# Progress goes to the kernel log (/dev/kmsg), never into COMMAND's output.

. /out/config

say() {
	echo "brkwatch-vm: $*" >/dev/kmsg
}

finish() {
	cat /proc/sys/kernel/tainted >>/out/taint
	# Lockdep turns itself off after its first report or when one of its
	# tables runs full: 1 here says it checked the whole run.
	[ ! -r /proc/lockdep_stats ] ||
		sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats >/out/debug_locks
	dmesg >/out/dmesg 2>&1
	echo finished >/out/done
	sync
	# The debug kernel has no ACPI and cannot power off (it would halt and
	# wait for the timeout): QEMU runs with -no-reboot, so a reboot ends it.
	[ "$KERNEL_NAME" != debug ] || reboot -f
	poweroff -f
}

mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro root /mnt ||
	{ say "cannot mount the host root over 9p"; finish; }

# The writable mounts below hide the host's /tmp and /run; a checkout living
# there is bound back in, read-only like the rest of the host.
for d in tmp run; do
	case $REPO_DIR/ in
	/$d/*) mount --bind "/mnt/$d" "/host$d" ;;
	esac
done
mount -t proc proc /mnt/proc
mount -t sysfs sys /mnt/sys
mount -t devtmpfs dev /mnt/dev
mkdir -p /mnt/dev/pts /mnt/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /mnt/dev/pts
mount -t tmpfs -o mode=1777 shm /mnt/dev/shm
mount -t tmpfs -o mode=1777 tmp /mnt/tmp
mount -t tmpfs -o mode=755 run /mnt/run
mount -t debugfs debugfs /mnt/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /mnt/sys/kernel/tracing 2>/dev/null
for d in tmp run; do
	case $REPO_DIR/ in
	/$d/*)
		mkdir -p "/mnt$REPO_DIR"
		mount --bind "/host$d${REPO_DIR#/"$d"}" "/mnt$REPO_DIR"
		;;
	esac
done

# On a kernel with kmemleak (the debug kernel), what it suspects before the
# module is loaded (the boot's) is set aside: only what leaks from here on
# is reported after rmmod.
kmemleak=/mnt/sys/kernel/debug/kmemleak
if [ -n "$MODULE" ] && [ -w "$kmemleak" ]; then
	echo scan >"$kmemleak" && echo clear >"$kmemleak"
	say "kmemleak: scanned and cleared before insmod"
fi

cat /proc/sys/kernel/tainted >/out/taint
if [ -n "$MODULE" ]; then
	say "insmod $MODULE $MODULE_ARGS"
	# shellcheck disable=SC2086
	insmod "/mnt$MODULE" $MODULE_ARGS >/out/insmod.log 2>&1
	echo $? >/out/insmod.rc
	if [ "$(cat /out/insmod.rc)" != 0 ]; then
		say "insmod failed"
		finish
	fi
fi

say "running the command"
if [ -n "$RUN_USER" ]; then
	chroot /mnt /usr/bin/setpriv --reuid="$RUN_UID" --regid="$RUN_GID" \
		--init-groups --reset-env /usr/bin/env BRKWATCH_KERNEL="$KERNEL_NAME" \
		BRKWATCH_KO="$KO_PATH" /bin/bash -c "$(cat /out/cmd)" \
		</dev/null >/out/stdout 2>/out/stderr
else
	chroot /mnt /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
		TERM=dumb LANG=C.UTF-8 BRKWATCH_KERNEL="$KERNEL_NAME" BRKWATCH_KO="$KO_PATH" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "$(cat /out/cmd)" \
		</dev/null >/out/stdout 2>/out/stderr
fi
echo $? >/out/rc
say "command exited with status $(cat /out/rc)"

# Whatever COMMAND left running could hold the module.
kill -KILL -1 2>/dev/null
sleep 0.2

if [ -n "$MODULE" ]; then
	name=${MODULE##*/}
	name=${name%.ko}
	rmmod "$name" >/out/rmmod.log 2>&1
	rc=$?
	if [ $rc = 0 ] && [ -e "/sys/module/$name" ]; then
		echo "module $name still loaded after rmmod" >>/out/rmmod.log
		rc=1
	fi
	echo $rc >/out/rmmod.rc
	say "rmmod $name: status $rc"
	# Twice: an object is reported only when two scans found no reference
	# to it (and it is older than 5 s).
	# A kmemleak that turned itself off (its pool ran dry, say) refuses
	# to scan: that is said too, never taken for "no leaks".
	if [ ! -e "$kmemleak" ]; then
		echo "no $kmemleak" >/out/kmemleak.status
	elif echo scan >"$kmemleak" && echo scan >"$kmemleak"; then
		cat "$kmemleak" >/out/kmemleak
		echo scanned >/out/kmemleak.status
		say "kmemleak: $(grep -c '^unreferenced object' /out/kmemleak) suspected leaks after rmmod"
	else
		echo "it refused to scan (disabled?)" >/out/kmemleak.status
	fi
fi
finish
