#!/bin/sh
# t0003: a build with no change rebuilds nothing; one role changed rebuilds only its nodes.
. "$(dirname "$0")/lib.sh"

cp -r "$TOP/test/data/sample" "$T/r"
b() { "$POCBAKE" build --json --quiet --cache "$T/cache" -o "$T/out" "$T/r/app.yaml"; }

b >"$T/e1" 2>"$T/err1"
ok "first build succeeds" test $? = 0
built1=$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e1" | sort | tr '\n' ' ')
like "$built1" "rootfs:alpha .*rootfs:beta" "first build builds both roles"
is "$(jq -r 'select(.event=="finish") | .status' "$T/e1")" ok "finish event says ok"
# pocbake's own memory: each built node's worker, and the largest in the finish event
is "$(jq -r 'select(.event=="done" and .status=="built" and ((.peak_rss_kib // 0) < 1000)) | .node' "$T/e1")" "" \
        "every built node reports its worker's peak memory"
is "$(jq -rs '([.[] | select(.event=="done") | .peak_rss_kib // 0] | max) <= (.[] | select(.event=="finish") | .peak_rss_kib)' "$T/e1")" \
        true "the finish event's peak is at least every worker's"

b >"$T/e2" 2>"$T/err2"
ok "second build succeeds" test $? = 0
is "$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e2" | wc -l)" 0 "no change: nothing rebuilt"
is "$(jq -r 'select(.event=="finish") | .built' "$T/e2")" 0 "finish event counts 0 built"

touch "$T/r/roles/alpha.yaml" "$T/r/overlays/alpha/etc/alpha/alpha.conf"
b >"$T/e3" 2>"$T/err3"
is "$(jq -r 'select(.event=="done" and .status=="built") | .node' "$T/e3" | wc -l)" 0 "timestamps alone rebuild nothing"

echo "changed" >>"$T/r/overlays/alpha/etc/alpha/alpha.conf"
b >"$T/e4" 2>"$T/err4"
ok "build after an overlay change succeeds" test $? = 0
roles=$(jq -r 'select(.event=="done" and .status=="built") | .role' "$T/e4" | sort -u | tr '\n' ' ')
is "$roles" "alpha " "overlay change in alpha rebuilds alpha only"

sed -i 's/mode = beta/mode = gamma/' "$T/r/roles/beta.yaml"
b >"$T/e5" 2>"$T/err5"
roles=$(jq -r 'select(.event=="done" and .status=="built") | .role' "$T/e5" | sort -u | tr '\n' ' ')
is "$roles" "beta " "recipe change in beta rebuilds beta only"
ok "plan shows every node cached after the build" sh -c "'$POCBAKE' plan --cache '$T/cache' '$T/r/app.yaml' | awk '{print \$1}' | sort -u | grep -qx cached"

# a build that fails leaves the previous outputs untouched and writes no partial file:
# beta grows a file larger than its root partition, so mkfs fails at build time
cp "$T/out/beta/beta.raw" "$T/beta.before"
head -c $((200 * 1024 * 1024)) /dev/zero | tr '\0' x >"$T/r/big.bin"
cat >>"$T/r/roles/beta.yaml" <<'YAML'
  - {path: /big.bin, source: ../big.bin}
YAML
b >"$T/e6" 2>"$T/err6"; rc=$?
is "$rc" 1 "a build failure exits 1"
is "$(jq -r 'select(.event=="done" and .status=="failed") | .node' "$T/e6")" "disk:beta" "the failing node is reported"
ok "previous output untouched" cmp "$T/beta.before" "$T/out/beta/beta.raw"
is "$(find "$T/out" -name '.*' ! -name .pocbake-outputs -type f | wc -l)" 0 "no temporary files left in the output"
is "$(ls "$T/cache/tmp" | wc -l)" 0 "no scratch left in the cache"

# a recipe error exits 2 and names the line
rm -rf "$T/r/overlays/common"
b >"$T/e7" 2>"$T/err7"; rc=$?
is "$rc" 2 "a missing overlay is a recipe error (exit 2)"
like "$(cat "$T/err7")" "(lib|alpha).yaml:[0-9]+:[0-9]+: .*overlays/common" "the error names the recipe line and the overlay"
done_testing
