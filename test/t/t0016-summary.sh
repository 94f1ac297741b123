#!/bin/sh
# t0016-summary.sh: pocbake summary shows each role's resolved recipe and a picture of its disk (partitions, LVM volumes, what is signed with which key) before anything is built, and writes nothing.
. "$(dirname "$0")/lib.sh"

cp -r "$TOP/test/data/sample" "$T/r"
"$POCBAKE" keys init "$T/keys" >/dev/null
before=$(cd "$T" && find . | LC_ALL=C sort)
out=$("$POCBAKE" summary --keys "$T/keys" "$T/r/host-app.yaml" 2>&1)
is "$?" 0 "summary exits 0"
is "$(cd "$T" && find . | LC_ALL=C sort)" "$before" "and writes nothing"
like "$out" "^appliance sample-host: 2 roles and the host" "it names the appliance"
# alpha's own file extends lib.yaml: the resolved recipe has lib's keys too
alpha=$(printf '%s\n' "$out" | sed -n '/^== alpha /,/^== beta /p')
like "$alpha" "base:
  busybox: \{\}" "a role's recipe as resolved: the base it extends"
like "$alpha" "  - \{name: alice, uid: 1501, group: ops" "and its own keys"
like "$alpha" "  \[\|esp\.+\|root\.+\]" "a picture of its disk to scale"
db=$(openssl x509 -in "$T/keys/db.crt" -outform DER | sha256sum | cut -c1-16)
like "$alpha" "esp +esp +vfat +/boot/efi +at +1 MiB +40 MiB +systemd-boot and UKI signed with db $db" \
        "the ESP, and the key that signs what is on it by fingerprint"
host=$(printf '%s\n' "$out" | sed -n '/^== host /,$p')
like "$host" "pocpool/csv +xfs +/srv/csv +at +1 MiB +320 MiB +cluster-shared-volume" "the host's LVM volumes with their sizes"
like "$host" "pocpool/sofs +xfs +/srv/share +at +385 MiB +872 MiB +file-share" "the rest volume sized as it will be"
out=$("$POCBAKE" summary "$T/r/app.yaml" 2>&1)
like "$out" "systemd-boot and UKI unsigned \(no --keys\)" "without keys it says the chain is unsigned"
done_testing
