#!/bin/sh
# t0602-host-overlays.sh: the host's pocbake-payloads with real qemu-img and a stand-in virsh: golden payloads made read-only, one overlay per VM made once and kept, the domain type from the KVM device, a changed payload refused by name while the others start.
. "$(dirname "$0")/lib.sh"

for tool in qemu-img qemu-io jq; do
        command -v $tool >/dev/null || skip_all "$tool is not installed"
done
DRIVER=$(dirname "$POCBAKE")/test/test_guest_xml
[ -x "$DRIVER" ] || skip_all "$DRIVER is not built (make check builds it)"
SCRIPT=$TOP/firmware/host/pocbake-payloads.sh
P=$T/payloads O=$T/overlays X=$T/libvirt
mkdir -p "$P" "$T/bin" "$T/defined"

# the domains as a host image carries them (builder/guest/xml.c), two golden payloads
"$DRIVER" write "$X" alpha beta
ok "domain and network XML written by guest_domain_xml" test $? = 0
for r in alpha beta; do
        qemu-img create -q -f qcow2 "$P/$r.qcow2" 16M &&
                qemu-io -f qcow2 -c "write -q -P 0x61 0 64k" "$P/$r.qcow2" >/dev/null
done
manifest() {
        {
                echo '{'
                echo '  "appliance": "lab",'
                echo '  "payloads": ['
                sep=,
                for r in alpha beta; do
                        [ $r = beta ] && sep=
                        echo "    {\"role\": \"$r\", \"file\": \"$r.qcow2\", \"size\": $(stat -c %s "$P/$r.qcow2"), \"sha256\": \"$(sha256sum <"$P/$r.qcow2" | cut -d' ' -f1)\", \"autostart\": true}$sep"
                done
                echo '  ]'
                echo '}'
        } >"$P/manifest.json"
}
manifest
SUM_A=$(sha256sum <"$P/alpha.qcow2")

# virsh: logs its calls, keeps what it was asked to define, knows no domain state
cat >"$T/bin/virsh" <<'EOF'
#!/bin/sh
echo "$*" >>"$VIRSH_LOG"
case "$2" in
net-info | domstate) exit 1 ;;
define) cp "$3" "$VIRSH_DIR/$(sed -n 's|^  <name>\(.*\)</name>$|\1|p' "$3").xml" ;;
esac
exit 0
EOF
chmod +x "$T/bin/virsh"
# run KVM-DEVICE: the script on the temporary host; its log in $T/err, virsh's in $T/virsh.log
run() {
        : >"$T/virsh.log"
        rm -f "$T"/defined/*
        PATH=$T/bin:$PATH VIRSH_LOG=$T/virsh.log VIRSH_DIR=$T/defined POCBAKE_KVM_DEV=$1 \
                POCBAKE_PAYLOADS=$P POCBAKE_OVERLAYS=$O POCBAKE_LIBVIRT=$X sh "$SCRIPT" 2>"$T/err"
}
calls() { tr '\n' ';' <"$T/virsh.log"; }
# what QEMU sees: the overlay's format and backing
backing() { qemu-img info --output=json "$O/$1.qcow2" | jq -r '"\(.format) \(."backing-filename") \(."backing-filename-format")"'; }
# holds IMAGE OFF BYTE: the 4 KiB at OFF of IMAGE are all BYTE
holds() {
        out=$(qemu-io -f qcow2 -r -c "read -P $3 $2 4k" "$1" 2>&1) &&
                ! printf '%s' "$out" | grep -q 'Pattern verification failed'
}

# first boot, no KVM device: overlays made on the golden payloads, type qemu
run "$T/no-kvm"
rc=$?
ok "first run starts both VMs" test $rc = 0
[ $rc = 0 ] || cat "$T/err" >&2
like "$(calls)" \
        "^-q net-info management;-q net-define $X/networks/management\\.xml;-q net-info management;-q net-start management;-q define /[^;]*/alpha\\.xml;-q domstate alpha;-q start alpha;-q define /[^;]*/beta\\.xml;-q domstate beta;-q start beta;\$" \
        "network, then each domain defined and started"
is "$(backing alpha)" "qcow2 $P/alpha.qcow2 qcow2" "alpha's overlay: qcow2 backed by its golden payload, backing format set"
is "$(backing beta)" "qcow2 $P/beta.qcow2 qcow2" "beta's overlay: qcow2 backed by its golden payload"
is "$(stat -c %a "$P/alpha.qcow2") $(stat -c %a "$P/beta.qcow2")" "444 444" "golden payloads made read-only (0444)"
like "$(cat "$T/err")" "domain type qemu \($T/no-kvm does not open\)" "no KVM device: the log says qemu"
is "$(head -n 1 "$T/defined/alpha.xml")" "<domain type='qemu'>" "no KVM device: domain type qemu"
is "$(grep -c '<source file=' "$T/defined/alpha.xml") $(sed -n "s|^ *<source file='\(.*\)'/>$|\1|p" "$T/defined/alpha.xml")" \
        "1 $O/alpha.qcow2" "the defined domain's disk is its overlay"
like "$(cat "$T/err")" "alpha: new overlay $O/alpha.qcow2 on $P/alpha.qcow2" "the new overlay is logged"
if command -v virt-xml-validate >/dev/null; then
        ok "the defined domain is valid libvirt XML" sh -c "virt-xml-validate '$T/defined/alpha.xml' domain >/dev/null 2>&1"
fi
is "$(head -n 1 "$X/alpha.xml") $(grep -c "<source file='/var/lib/pocbake/overlays/alpha.qcow2'/>" "$X/alpha.xml")" \
        "<domain type='kvm'> 1" "the image's XML is left as pocbake wrote it"

# the VM writes: its overlay changes, its payload does not
qemu-io -f qcow2 -c "write -q -P 0x62 0 4k" "$O/alpha.qcow2" >/dev/null
ok "a write lands in the overlay" holds "$O/alpha.qcow2" 0 0x62
ok "the overlay reads the payload where it was not written" holds "$O/alpha.qcow2" 8k 0x61
is "$(sha256sum <"$P/alpha.qcow2")" "$SUM_A" "the golden payload is unchanged"
KEEP=$(stat -c '%i %Y %s' "$O/alpha.qcow2")

# second boot, a KVM device that opens: type kvm, the same overlays kept
sleep 1
run /dev/null
rc=$?
ok "second run starts both VMs" test $rc = 0
is "$(head -n 1 "$T/defined/beta.xml")" "<domain type='kvm'>" "a KVM device that opens: domain type kvm"
is "$(stat -c '%i %Y %s' "$O/alpha.qcow2")" "$KEEP" "alpha's overlay kept: same inode, time and size"
ok "the overlay still holds what the VM wrote" holds "$O/alpha.qcow2" 0 0x62
is "$(grep -c 'new overlay' "$T/err")" 0 "no new overlay on the second run"
: >"$T/kvm-file"
run "$T/kvm-file"
is "$(head -n 1 "$T/defined/beta.xml")" "<domain type='qemu'>" "a regular file at the KVM path: domain type qemu"

# a payload changed on the volume: refused by name, the other VM still starts
printf 'X' | dd of="$P/beta.qcow2" bs=1 seek=70000 conv=notrunc status=none
run /dev/null
is "$?" 1 "a changed payload fails the run"
like "$(cat "$T/err")" "payload beta\.qcow2: sha256 mismatch \(manifest [0-9a-f]{64}, disk [0-9a-f]{64}\): beta not started" \
        "the log names the changed payload"
like "$(calls)" "^([^;]*;){4}-q define [^;]*/alpha\.xml;-q domstate alpha;-q start alpha;$" "alpha still starts, beta is not defined"
rm "$P/beta.qcow2"
run /dev/null
like "$(cat "$T/err")" "payload beta\.qcow2: sha256 mismatch \(manifest [0-9a-f]{64}, disk missing\): beta not started" \
        "a missing payload is refused the same way"

# resetting a role (README): remove its overlay; the next run makes it anew
qemu-img create -q -f qcow2 "$P/beta.qcow2" 16M
qemu-io -f qcow2 -c "write -q -P 0x61 0 64k" "$P/beta.qcow2" >/dev/null
rm "$O/alpha.qcow2"
run /dev/null
ok "a run after the reset starts both" test $? = 0
ok "alpha's new overlay reads its payload again" holds "$O/alpha.qcow2" 0 0x61
like "$(cat "$T/err")" "alpha: new overlay" "the new overlay is logged"

# a payload replaced (new bytes, new manifest): the old overlay is kept aside, not reused
chmod u+w "$P/alpha.qcow2"
qemu-io -f qcow2 -c "write -q -P 0x63 0 64k" "$P/alpha.qcow2" >/dev/null
manifest
run /dev/null
ok "a run on a replaced payload starts both" test $? = 0
like "$(cat "$T/err")" "alpha: overlay $O/alpha\.qcow2 was made on another payload: kept as $O/alpha\.qcow2\.old" \
        "an overlay made on other bytes is set aside with a log line"
ok "the new overlay reads the new payload" holds "$O/alpha.qcow2" 0 0x63
ok "the old overlay is kept" test -f "$O/alpha.qcow2.old"

# a domain file of another shape is refused, not defined with a guessed type
sed -i "1s/.*/<domain type='kvm' id='3'>/" "$X/beta.xml"
run /dev/null
is "$?" 1 "a domain file pocbake did not write fails the run"
like "$(cat "$T/err")" "beta: $X/beta\.xml is not a domain as pocbake writes it: not started" "the log names it"
like "$(calls)" "define [^;]*/alpha\.xml;-q domstate alpha;-q start alpha;$" "alpha still starts"
done_testing
