#!/bin/sh
# t0601-storage-recipe.sh: the storage: section of a role or host recipe, good and bad, through pocbake validate.
. "$(dirname "$0")/lib.sh"

# host_recipe FILE STORAGE-YAML [PARTITION-LINES]: a host role with an esp, a root and a pool partition
pool_part='    - {name: pool, type: lvm, size: rest}'
host_recipe() {
        parts=${3:-$pool_part}
        cat >"$1" <<EOF
role: host
base: {busybox: {}}
disk:
  size: 1400M
  partitions:
    - {name: esp, type: esp, size: 40M, fs: vfat, mountpoint: /boot/efi}
    - {name: root, type: root, size: 100M, fs: ext4, mountpoint: /}
$parts
storage:
$2
EOF
}

good='  pool: {partition: pool, vg: pocpool, grow: true, extra_disks: [/dev/vdb]}
  volumes:
    - {name: csv, size: 320M, fs: xfs, mountpoint: /srv/csv, purpose: cluster-shared-volume}
    - {name: blob, size: 64M, fs: ext4, mountpoint: /srv/blob, purpose: blob}
    - {name: sofs, size: rest, fs: xfs, mountpoint: /srv/share, purpose: file-share}'
host_recipe "$T/good.yaml" "$good"
"$POCBAKE" validate "$T/good.yaml" >"$T/out" 2>&1
rc=$?
ok "a pool with three volumes validates" test $rc = 0
[ $rc = 0 ] || cat "$T/out" >&2

# bad NAME STORAGE [PARTITIONS] MESSAGE-REGEX
bad() {
        host_recipe "$T/$1.yaml" "$2" "$3"
        "$POCBAKE" validate "$T/$1.yaml" >"$T/$1.out" 2>&1
        rc=$?
        is "$rc" 2 "$1: rejected with exit 2"
        like "$(cat "$T/$1.out")" "$4" "$1: message"
}

pool='  pool: {partition: pool, vg: pocpool}'
bad no-partition '  pool: {partition: data, vg: pocpool}' '' \
        "$T/no-partition.yaml:[0-9]+:[0-9]+: storage pool partition \"data\" is not a partition of the disk"
bad not-lvm "$pool" '    - {name: pool, type: linux, size: rest}' \
        'storage pool partition "pool" has type linux \(expected type: lvm\)'
bad bad-fs "$pool
  volumes:
    - {name: csv, size: 320M, fs: btrfs, mountpoint: /srv/csv}" '' \
        "bad-fs.yaml:1[0-9]:[0-9]+: unknown volume fs \"btrfs\" \(expected xfs or ext4\)"
bad twice "$pool
  volumes:
    - {name: csv, size: 320M, fs: xfs, mountpoint: /srv/a}
    - {name: csv, size: 320M, fs: xfs, mountpoint: /srv/b}" '' \
        'volume "csv" defined twice \(first at line 1[0-9]\)'
bad rest-first "$pool
  volumes:
    - {name: a, size: rest, fs: ext4, mountpoint: /srv/a}
    - {name: b, size: 64M, fs: ext4, mountpoint: /srv/b}" '' \
        'volume "a" has size rest but is not the last'
bad too-big "$pool
  volumes:
    - {name: a, size: 1G, fs: xfs, mountpoint: /srv/a}
    - {name: b, size: 300M, fs: xfs, mountpoint: /srv/b}" '' \
        'storage volumes need 1324M but pool partition "pool" holds 1256M'
bad small-xfs "$pool
  volumes:
    - {name: a, size: 64M, fs: xfs, mountpoint: /srv/a}" '' \
        'xfs volume "a" size "64M" is too small \(expected at least 300M\)'
bad odd-size "$pool
  volumes:
    - {name: a, size: 1500K, fs: ext4, mountpoint: /srv/a}" '' \
        'volume "a" size "1500K" is not a whole number of megabytes'
bad purpose "$pool
  volumes:
    - {name: a, size: 64M, fs: ext4, mountpoint: /srv/a, purpose: vms}" '' \
        'unknown volume purpose "vms"'
bad extra-disk '  pool: {partition: pool, vg: pocpool, extra_disks: ["/dev/vdb;reboot"]}' '' \
        'extra disk "/dev/vdb;reboot" is not valid \(expected a block device path such as /dev/vdb\)'
bad same-mount "$pool
  volumes:
    - {name: a, size: 64M, fs: ext4, mountpoint: /srv/a}
    - {name: b, size: 64M, fs: ext4, mountpoint: /srv/a}" '' \
        'volume mountpoint "/srv/a" defined twice'
bad unknown-key "$pool
  volumes:
    - {name: a, size: 64M, fs: ext4, mountpoint: /srv/a, thin: true}" '' \
        'unknown key "thin"'
done_testing
