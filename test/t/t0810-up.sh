#!/bin/sh
# t0810: pocbake up, status and down on a small appliance of two VMs on one network:
# a check across the network passes, a failing check makes up exit 1 naming the
# check and its VM, --detach leaves it for status and down, SIGTERM tears it down,
# and nothing is left behind (no QEMU of it, no namespace); the namespace has no
# route out.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/qemu.sh"

have_qemu_uefi_secure || skip_all "qemu-system-x86_64 or OVMF secure boot firmware missing"
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip_all "no kernel in /boot (linux-image-amd64)"
[ "$(id -u)" = 0 ] || skip_all "up makes a network namespace: needs root"
command -v ip >/dev/null || skip_all "no ip(8)"

mkdir -p "$T/app"
cat >"$T/app/web.yaml" <<'EOF'
role: web
base: {busybox: {}}
kernel: {cmdline: "console=ttyS0 quiet"}
vm:
  memory: 256M
  nics: [{network: lan, address: 192.168.77.10/24}]
services:
  - {name: httpd, command: "httpd -f -p 80 -h /srv/www"}
files:
  - {path: /srv/www/index.html, content: "hello from web\n"}
check: {command: "wget -qO- http://127.0.0.1/", expect: "hello from web", timeout: 60}
disk:
  partitions:
    - {name: esp, type: esp, size: 40M, fs: vfat, mountpoint: /boot/efi}
    - {name: root, type: root, size: 48M, fs: ext4, mountpoint: /}
outputs: [qcow2]
EOF
sed -e 's/^role: web/role: client/' -e 's|192.168.77.10/24|dhcp|' \
        -e 's|"httpd -f -p 80 -h /srv/www"|"syslogd -n"|' \
        -e 's|check: .*|check: {command: "pidof syslogd", expect: "", timeout: 60}|' \
        "$T/app/web.yaml" >"$T/app/client.yaml"
# the client has no address; the lan's DHCP server is the web VM
sed -i -e 's/^services:/services:\n  - {name: udhcpd, command: "udhcpd -f \/etc\/udhcpd.conf"}/' \
        -e 's|^files:|files:\n  - {path: /etc/udhcpd.conf, content: "start 192.168.77.100\\nend 192.168.77.110\\ninterface eth0\\nlease_file /run/leases\\nopt subnet 255.255.255.0\\n"}|' \
        "$T/app/web.yaml"
app() { # NAME EXPECT: an appliance of both roles with one check from the client
        cat >"$T/app/$1.yaml" <<EOF
appliance: $1
roles: [web.yaml, client.yaml]
networks:
  - {name: lan, bridge: br-lan, cidr: 192.168.77.0/24}
checks:
  - {name: web-page, from: client, command: "wget -qO- http://192.168.77.10/", expect: "$2", timeout: 120}
  - {name: lease, from: client, command: "cat /run/pocbake/dhcp-eth0", expect: "server 192.168.77.10", timeout: 60}
outputs: [report]
EOF
}
app good "hello from web"
app bad "no such text"

"$POCBAKE" keys init --cn-prefix "pocbake TEST" "$T/keys" >/dev/null
mkdir -p "$T/out"
# the namespace is named after the output directory's real path
myns=pocbake-$(printf %s "$(realpath "$T/out")" | sha256sum | cut -c1-8)
nsgone() { ! ip netns list | grep -q "^$myns"; }
# a check naming a VM the appliance does not have is a recipe error
sed 's/from: client, command: "wget/from: nobody, command: "wget/' "$T/app/good.yaml" >"$T/app/nofrom.yaml"
out=$("$POCBAKE" up -o "$T/out" "$T/app/nofrom.yaml" 2>&1)
is "$?" 2 "a check from a VM the appliance lacks: exit 2"
like "$out" "nofrom.yaml:6:[0-9]+: check \"web-page\": from \"nobody\" is not a role of this appliance \(expected one of: web, client\)" "... named with file:line:col and the VMs there are"

# up builds first when given keys
"$POCBAKE" up --keys "$T/keys" --cache "$T/cache" -o "$T/out" --accel tcg --timeout 600 \
        "$T/app/good.yaml" >"$T/good.out" 2>"$T/good.err"
rc=$?
is "$rc" 0 "up: both VMs and both appliance checks pass"
[ "$rc" = 0 ] || { cat "$T/good.out" "$T/good.err" | sed -e 's/^/# /' -e '$a\'; }
like "$(cat "$T/good.out")" "check web-page +ok from client" "up reports the check as it passes"
like "$(cat "$T/good.out")" "all passed: 2 VMs, 2 appliance checks, 0 failed" "and ends with a table and a summary"
like "$(cat "$T/out/up/client.log")" "POCBAKE-CHECK lease ok" "the client's console shows the check it ran"
like "$(sed -n '/<section id="checks">/,/<\/section>/p' "$T/out/good.html" | tr -d '\n')" \
        "every check passed.*<td>web</td>.*<td>ok</td>.*<td>web-page</td><td>client</td>.*<td>ok</td>" \
        "up puts its results into the appliance's report (out/APPLIANCE.html)"
ok "the consoles stay in DIR/up" test -s "$T/out/up/web.log"
ns=$(sed -n 's/^netns //p' "$T/out/up/state" 2>/dev/null)
is "$ns" "" "after up: no state left"
is "$(pgrep -f -- "$T/out/up/" | wc -l)" 0 "after up: no QEMU of it runs"
ok "after up: no namespace left" nsgone

# a failing check: exit 1, the check and its VM named, its output shown
"$POCBAKE" up --json -o "$T/out" --accel tcg --timeout 600 "$T/app/bad.yaml" >"$T/bad.out" 2>"$T/bad.err"
is "$?" 1 "up with a failing check exits 1"
like "$(grep '"event": "check"' "$T/bad.out" | grep web-page)" '"name": "web-page", "from": "client", "result": "failed"' "the JSON event names the check and the VM"
page=$(grep '"name": "web-page"' "$T/bad.out")
like "$page" '"output": \[.*hello from web' "... with what the command printed"
printf '%s' "$page" | grep -Eq '"output": \[.*hello from web' ||
        for v in web client; do # the web VM not serving by then: what the consoles say
                diag "$v.log (end): $(tail -n 15 "$T/out/up/$v.log" 2>/dev/null | tr -d '\r' | tr '\n' '|')"
        done
like "$(cat "$T/bad.err")" "a check failed" "and the message says so"
is "$(pgrep -f -- "$T/out/up/" | wc -l)" 0 "after a failure: no QEMU of it runs"
ok "after a failure: no namespace left" nsgone

# --detach: it stays up for status and down from another shell
"$POCBAKE" up --detach -o "$T/out" --accel tcg --timeout 600 "$T/app/good.yaml" >"$T/det.out" 2>&1
is "$?" 0 "up --detach: the checks pass and it returns"
ns=$(sed -n 's/^netns //p' "$T/out/up/state")
is "$ns" "$myns" "the state names its namespace, named after the directory"
is "$(pgrep -f -- "$T/out/up/" | wc -l)" 2 "both QEMUs keep running"
"$POCBAKE" up -o "$T/out" "$T/app/good.yaml" >/dev/null 2>"$T/twice.err"
is "$?" 2 "a second up from the same directory is refused"
like "$(cat "$T/twice.err")" "up from .* already \(expected pocbake down" "... saying what to do"
st=$("$POCBAKE" status -o "$T/out")
is "$?" 0 "status: exit 0 while it is up"
like "$st" "web +running +[0-9]+ +ok" "status shows each VM running with its check"
like "$st" "web-page +client +ok" "and each appliance check"
# the namespace: loopback, the bridge and the taps; no route, no way out
is "$(ip -n "$ns" -4 route show | wc -l)" 0 "the namespace has no IPv4 route at all"
links=$(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' ')
is "$links" "br-lan lo t0.0 t1.0 " "its links are the loopback, the network's bridge and one tap per NIC"
ok "no veth or physical interface joins it" sh -c "! ip -n '$ns' -o link show type veth | grep -q ."
"$POCBAKE" down -o "$T/out"
is "$?" 0 "down: exit 0"
is "$(pgrep -f -- "$T/out/up/" | wc -l)" 0 "after down: no QEMU of it runs"
ok "after down: its namespace is gone" nsgone
"$POCBAKE" status -o "$T/out" >/dev/null 2>&1
is "$?" 2 "status when nothing is up: exit 2"

# SIGTERM while the VMs boot: everything is torn down
"$POCBAKE" up -o "$T/out" --accel tcg --timeout 600 "$T/app/good.yaml" >"$T/term.out" 2>&1 &
pid=$!
for i in $(seq 100); do [ -s "$T/out/up/state" ] && break; sleep 0.2; done
ok "up wrote its state once the VMs started" test -s "$T/out/up/state"
sleep 2
kill -TERM "$pid"
wait "$pid"
is "$?" 1 "up stopped by SIGTERM exits 1"
like "$(cat "$T/term.out")" "stopped by signal 15" "and says why"
is "$(pgrep -f -- "$T/out/up/" | wc -l)" 0 "after SIGTERM: no QEMU of it runs"
ok "after SIGTERM: no namespace left" nsgone
done_testing
