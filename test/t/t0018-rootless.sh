#!/bin/sh
# t0018-rootless.sh: a user who is not root builds: pocbake enters a user namespace of the user's subordinate ids by itself, the images are byte-identical to a root build, and cache prune works there; a user without a range is told the fix.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "making test users needs root"
for tool in useradd usermod userdel runuser unshare newuidmap; do
        command -v $tool >/dev/null || skip_all "$tool is not installed (uidmap, passwd, util-linux)"
done
U=pbrl$$
N=pbnr$$
W=$(mktemp -d /tmp/pocbake-rootless.XXXXXX)
trap 'userdel "$U" 2>/dev/null; userdel "$N" 2>/dev/null; rm -rf "$W" "$T"' EXIT
useradd -M -d "$W" -s /bin/sh "$U" || skip_all "cannot add a user"
grep -q "^$U:" /etc/subuid || usermod --add-subuids 300000-365535 --add-subgids 300000-365535 "$U"
useradd -r -M -d "$W" -s /bin/sh "$N" || skip_all "cannot add a system user"
chmod 755 "$W"
cp -r "$TOP/test/data/sample" "$W/r"
chown -R "$U" "$W"
as() { user=$1; shift; runuser -u "$user" -- env HOME="$W" POCBAKE_DATADIR="$TOP" "$@"; }

out=$(as "$U" "$POCBAKE" build --quiet --cache "$W/cache" -o "$W/out" "$W/r/app.yaml" 2>&1)
ok "user $U builds without root (in a user namespace of its own ids)" test $? = 0 || diag "$out"
is "$(stat -c %U "$W/out/alpha/alpha.raw")" "$U" "the outputs are the user's"
"$POCBAKE" build --quiet --cache "$T/cache" -o "$T/out" "$W/r/app.yaml" 2>/dev/null
ok "the same recipe built as root" test $? = 0
differ=$(cd "$T/out" && find . -type f ! -name .pocbake-outputs | LC_ALL=C sort | while read -r f; do
        cmp -s "$f" "$W/out/$f" || echo "$f"
done)
is "$differ" "" "every image of the rootless build is byte-identical to the root build's"
# the cache holds files of the subordinate ids: prune gets into the same namespace
out=$(as "$U" "$POCBAKE" cache prune --cache "$W/cache" --max-size 1K 2>&1)
is "$?" 0 "the user prunes the cache it made"
like "$out" "$W/cache: 13 of 13 objects removed" "all of it"
is "$(ls "$W/cache/objects" | wc -l)" 0 "every object gone"

out=$(as "$N" "$POCBAKE" build --quiet --cache "$W/cache2" -o "$W/out2" "$W/r/app.yaml" 2>&1)
is "$? $out" "1 pocbake build: user $N has no subordinate id range, which a build that is not run as root needs for the file owners of its roots (expected, as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $N)" \
        "a user without a range: one message with the fix, exit 1"
done_testing
