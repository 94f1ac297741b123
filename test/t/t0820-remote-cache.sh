#!/bin/bash
# t0820: the remote cache in a real registry (Debian's docker-registry on 127.0.0.1):
# two runners build a role each, a third builds the appliance from what they pushed
# and builds none of their nodes, with outputs identical to a one-machine build; a
# blob altered in the registry's storage is refused and the node built here; a
# registry stopped mid-build or not there costs a warning, not the build; skopeo
# reads the cache's manifests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

for tool in docker-registry skopeo curl jq; do
        command -v $tool >/dev/null || skip_all "$tool is not installed (scripts/deps)"
done

registry_start "$T/reg" || { echo "1..0 # SKIP the registry did not start"; exit 0; }
RC="oci://$REG/pocbake/cache"

mkdir -p "$T/src"
cp -r "$TOP/test/data/sample/." "$T/src/"
echo "outputs: [bundle]" >>"$T/src/app.yaml"
APP=$T/src/app.yaml
"$POCBAKE" keys init --cn-prefix t0820 "$T/keys" >/dev/null
if [ -n "${T0820_KEEP:-}" ]; then trap "registry_stop" EXIT; echo "# scratch: $T"; fi
build() { # NAME ARGS...: a build with its own cache and out/, events in $T/NAME.ev
        local name=$1
        shift
        "$POCBAKE" build --json --quiet --keys "$T/keys" --cache "$T/$name.cache" -o "$T/$name.out" \
                "$@" "$APP" >"$T/$name.ev" 2>"$T/$name.err"
}
built() { jq -r 'select(.event=="done" and .status=="built") | .node' "$T/$1.ev" | sort; }

# two runners, a role each, pushing what they build
build a --role alpha --remote-cache "$RC" --remote-cache-insecure
ok "runner a builds role alpha with --remote-cache" test $? = 0 || cat "$T/a.err" >&2
POCBAKE_REMOTE_CACHE=$RC POCBAKE_REMOTE_CACHE_INSECURE=1 build b --role beta
ok "runner b builds role beta with \$POCBAKE_REMOTE_CACHE" test $? = 0 || cat "$T/b.err" >&2
na=$(built a | wc -l)
pa=$(jq -r 'select(.event=="remote" and .op=="push" and .status=="ok") | .node' "$T/a.ev" | sort)
is "$pa" "$(built a)" "runner a pushed every node it built ($na)"

# the third runner: an empty cache, the whole appliance
build c --remote-cache "$RC" --remote-cache-insecure
ok "runner c builds the whole appliance" test $? = 0 || cat "$T/c.err" >&2
again=$(comm -12 <(built c) <(sort -u <(built a) <(built b)))
is "$again" "" "runner c builds no node runner a or b built"
like "$(jq -r 'select(.event=="finish") | .pulled' "$T/c.ev")" '^[1-9][0-9]*$' "runner c pulled objects"
like "$(built c | tr '\n' ' ')" 'bundle:' "runner c built what neither built (the bundle)"
# a role's root tree came through the registry as it was made: names, types, modes,
# owners, sizes, times to the nanosecond, hard link counts, link targets
tree() { (cd "$T/$1.cache/objects/$(jq -r 'select(.event=="done" and .node=="rootfs:alpha") | .key' "$T/$1.ev")/root" &&
        find . -printf '%p %y %m %U %G %s %T@ %n %l\n' | LC_ALL=C sort); }
tree a >"$T/tree.a"
tree c >"$T/tree.c"
ok "rootfs:alpha's tree in runner c's cache is runner a's, stat for stat" cmp "$T/tree.a" "$T/tree.c"
like "$(awk '$8 > 1' "$T/tree.c" | wc -l)" '^[1-9]' "hard links included (busybox's applets)"

# a read-only runner: it pulls, and pushes nothing (its own change stays here)
sed -i "s/mode = beta/mode = beta, read-only/" "$T/src/roles/beta.yaml"
tags0=$(curl -s "http://$REG/v2/pocbake/cache/tags/list" | jq '.tags | length')
build ro --remote-cache "$RC" --remote-cache-insecure --remote-cache-read-only
ok "a read-only runner builds" test $? = 0 || cat "$T/ro.err" >&2
is "$(jq -r 'select(.event=="remote" and .op=="push") | .node' "$T/ro.ev" | wc -l) $(curl -s "http://$REG/v2/pocbake/cache/tags/list" | jq '.tags | length')" \
        "0 $tags0" "and pushes nothing: the registry's tags are as they were"
like "$(jq -r 'select(.event=="finish") | .pulled' "$T/ro.ev")" '^[1-9]' "while it pulled what it could"
sed -i "s/mode = beta, read-only/mode = beta/" "$T/src/roles/beta.yaml"

# a one-machine build without the registry: the same bytes
build d
ok "a one-machine build" test $? = 0 || cat "$T/d.err" >&2
ok "runner c's outputs are byte-identical to the one-machine build" \
        diff -r -x .pocbake-outputs "$T/c.out" "$T/d.out"

# what the registry holds, read by skopeo
key=$(jq -r 'select(.event=="done" and .node=="qcow2:alpha") | .key' "$T/a.ev")
skopeo inspect --raw --tls-verify=false "docker://$REG/pocbake/cache:$key" >"$T/man.json" 2>"$T/skopeo.err"
ok "skopeo inspect --raw reads the cache manifest of qcow2:alpha" test $? = 0 || cat "$T/skopeo.err" >&2
is "$(jq -r '.mediaType + " " + .artifactType + " " + .annotations["dev.pocbake.key"]' "$T/man.json")" \
        "application/vnd.oci.image.manifest.v1+json application/vnd.pocbake.object.v1 $key" \
        "an OCI image manifest of artifactType pocbake object, annotated with its content key"
blob=$(jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"]=="disk.qcow2") | .digest' "$T/man.json")
want=sha256:$(sha256sum "$T/a.cache/objects/$key/disk.qcow2" | cut -c1-64)
is "$blob" "$want" "the layer titled disk.qcow2 is the object's file: its OCI digest is the file's sha256"

# the appliance published (push) and fetched by digest on a lab rig (pull)
"$POCBAKE" push -o "$T/d.out" --insecure "$REG/lab/sample:v1" >"$T/push.out" 2>"$T/push.err"
ok "push publishes the appliance" test $? = 0 || cat "$T/push.err" >&2
ref=$(cat "$T/push.out")
like "$ref" "^$REG/lab/sample@sha256:[0-9a-f]{64}\$" "it prints the reference by digest"
skopeo inspect --raw --tls-verify=false "docker://$REG/lab/sample:v1" >"$T/app.json"
is "$(jq -r '.artifactType' "$T/app.json")" application/vnd.pocbake.appliance.v1 "skopeo reads the pushed appliance"
is "$(jq -r '[.layers[].annotations["org.opencontainers.image.title"]] | join(" ")' "$T/app.json")" \
        "SHA256SUMS alpha/alpha.qcow2 beta/beta.qcow2 manifest.json provenance.intoto.jsonl sbom.spdx.json" \
        "its blobs: what the bundle signs, titled by path"
sig=$(skopeo inspect --raw --tls-verify=false "docker://$REG/lab/sample:sha256-${ref##*sha256:}.sig")
is "$(jq -r '.subject.digest + " " + .layers[0].annotations["org.opencontainers.image.title"]' <<<"$sig")" \
        "${ref##*@} SHA256SUMS.sig" "the signature is an artifact beside it whose subject is the appliance"
"$POCBAKE" pull -o "$T/rig" --cert "$T/keys/db.crt" --insecure "$ref" >"$T/pull.out" 2>"$T/pull.err"
ok "pull by digest verifies" test $? = 0 || cat "$T/pull.err" >&2
ok "the pulled disks are the built bytes" cmp "$T/rig/alpha/alpha.qcow2" "$T/d.out/alpha/alpha.qcow2"
ok "sha256sum -c SHA256SUMS passes in the pulled directory" sh -c "cd '$T/rig' && sha256sum --quiet -c SHA256SUMS"
ok "openssl verifies SHA256SUMS.sig against the db certificate" \
        openssl cms -verify -binary -inform DER -in "$T/rig/SHA256SUMS.sig" -content "$T/rig/SHA256SUMS" \
        -CAfile "$T/keys/db.crt" -purpose any -out /dev/null 2>/dev/null
"$POCBAKE" pull -o "$T/rig2" --cert "$T/keys/db.crt" --insecure "$REG/lab/sample:v1" >"$T/pull2.out" 2>"$T/pull2.err"
is "$(cat "$T/pull2.out" | head -n 1)" "$REG/lab/sample:v1 resolved to $ref" "pull by tag prints the digest it resolved to"
"$POCBAKE" keys init --cn-prefix other "$T/other" >/dev/null
"$POCBAKE" pull -o "$T/rig3" --cert "$T/other/db.crt" --insecure "$ref" >/dev/null 2>"$T/pull3.err"
is "$?" 1 "pull with another certificate fails"
like "$(cat "$T/pull3.err")" "SHA256SUMS: signer certificate does not chain" "saying the signature does not chain to it"
is "$(ls -d "$T"/rig3* 2>/dev/null)" "" "and leaves nothing behind"
sbom=$(jq -r '.layers[] | select(.annotations["org.opencontainers.image.title"]=="sbom.spdx.json") | .digest' "$T/app.json")
printf 'X' | dd of="$T/reg/storage/docker/registry/v2/blobs/sha256/${sbom:7:2}/${sbom:7}/data" bs=1 seek=10 conv=notrunc 2>/dev/null
"$POCBAKE" pull -o "$T/rig4" --cert "$T/keys/db.crt" --insecure "$ref" >/dev/null 2>"$T/pull4.err"
is "$?" 1 "pull of an appliance with a tampered blob fails"
like "$(cat "$T/pull4.err")" "blob $sbom: the bytes sent have the digest" "naming the blob"
is "$(ls -d "$T"/rig4* 2>/dev/null)" "" "and leaves nothing behind"

# a blob altered in the registry's storage: refused on pull, the node built here
data=$T/reg/storage/docker/registry/v2/blobs/sha256/${blob:7:2}/${blob:7}/data
ok "the blob is in the registry's storage" test -f "$data"
printf 'X' | dd of="$data" bs=1 seek=1000 conv=notrunc 2>/dev/null
build e --role alpha --remote-cache "$RC" --remote-cache-insecure
ok "a build whose pull meets the altered blob succeeds" test $? = 0 || cat "$T/e.err" >&2
like "$(cat "$T/e.err")" "warning: remote cache $RC: qcow2:alpha \(${key:0:16}\) not used: .*the bytes sent have the digest" \
        "it says which node's object was refused, and why"
like "$(built e | tr '\n' ' ')" 'qcow2:alpha' "qcow2:alpha was built here instead"
ok "the object built here is the one the other runners have" cmp "$T/e.out/alpha/alpha.qcow2" "$T/d.out/alpha/alpha.qcow2"

# the registry stopped in the middle of a build: the build finishes locally
sed -i "s/welcome to alpha/welcome to alpha, again/" "$T/src/roles/alpha.yaml"
build f --role alpha --remote-cache "$RC" --remote-cache-insecure &
bpid=$!
for i in $(seq 1 300); do grep -q '"event":"start"' "$T/f.ev" 2>/dev/null && break; sleep 0.05; done
registry_stop
wait $bpid
ok "the registry stopped mid-build: the build still succeeds" test $? = 0 || cat "$T/f.err" >&2
is "$(grep -c "warning: remote cache $RC" "$T/f.err")" 1 "with one warning"
like "$(grep "warning: remote cache" "$T/f.err")" "cannot push .*; the build goes on without pushing" "which says pushing stopped"
ok "and its outputs are there" test -s "$T/f.out/alpha/alpha.qcow2"

# a registry that is not there at all
port=$(free_port)
build g --role alpha --remote-cache "oci://127.0.0.1:$port/x" --remote-cache-insecure
ok "no registry listening: the build succeeds" test $? = 0 || cat "$T/g.err" >&2
like "$(cat "$T/g.err")" "warning: remote cache oci://127.0.0.1:$port/x: .*everything is built here" "with a warning"

# a registry with TLS and a password: credentials from $REGISTRY_AUTH_FILE, the CA
# from $SSL_CERT_FILE; without them, a warning that says what is missing
mkdir -p "$T/reg2"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/reg2/key.pem" -out "$T/reg2/cert.pem" 2>/dev/null
python3 -W ignore -c 'import crypt; print("ci:" + crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))' >"$T/reg2/htpasswd"
registry_start "$T/reg2" htpasswd "$T/reg2/htpasswd" tls "$T/reg2/cert.pem" "$T/reg2/key.pem"
ok "a second registry with TLS and htpasswd" test $? = 0
RC2="oci://$REG/team/cache"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$(printf 'ci:s3cret' | base64)" >"$T/auth.json"
REGISTRY_AUTH_FILE=$T/auth.json SSL_CERT_FILE=$T/reg2/cert.pem build h --role beta --remote-cache "$RC2"
ok "TLS and basic auth: the build succeeds" test $? = 0 || cat "$T/h.err" >&2
is "$(grep -c warning: "$T/h.err")" 0 "without a warning"
is "$(jq -r 'select(.event=="remote" and .op=="push" and .status=="ok") | .node' "$T/h.ev" | wc -l)" \
        "$(built h | wc -l)" "and pushes every node it built"
SSL_CERT_FILE=$T/reg2/cert.pem REGISTRY_AUTH_FILE=/dev/null build i --role beta --remote-cache "$RC2"
like "$(cat "$T/i.err")" "warning: remote cache $RC2: .*asks for a user name and password" \
        "no credentials: a warning says the registry wants them"
REGISTRY_AUTH_FILE=$T/auth.json build j --role beta --remote-cache "$RC2"
like "$(cat "$T/j.err")" "warning: remote cache $RC2: .*(certificate|SSL)" \
        "a certificate not trusted: a warning says so (TLS is the default)"
REGISTRY_AUTH_FILE=$T/auth.json SSL_CERT_FILE=$T/reg2/cert.pem build k --remote-cache "$RC2"
ok "another runner builds the appliance from that registry" test -s "$T/k.out/beta/beta.qcow2"
is "$(comm -12 <(built k) <(built h))" "" "and builds none of the nodes pushed over TLS with the password"

# a registry behind a token service (the Bearer flow: the registry names the service and
# the scope, pocbake asks it with the credentials, then again for push rights)
registry_stop
mkdir -p "$T/reg3"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=token-signer \
        -keyout "$T/reg3/tok.key" -out "$T/reg3/tok.crt" 2>/dev/null
tport=$(free_port)
python3 "$TOP/test/t/token-service.py" "$tport" t0820-issuer ci:s3cret "$T/reg3/tok.key" "$T/reg3/tok.crt" &
tpid=$!
registry_start "$T/reg3" token "http://127.0.0.1:$tport/token" t0820-registry t0820-issuer "$T/reg3/tok.crt"
ok "a third registry, with token auth" test $? = 0
trap 'kill "$tpid" 2>/dev/null; registry_stop; rm -rf "$T"' EXIT
RC3="oci://$REG/team/cache"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$(printf 'ci:s3cret' | base64)" >"$T/auth3.json"
REGISTRY_AUTH_FILE=$T/auth3.json build l --role beta --remote-cache "$RC3" --remote-cache-insecure
ok "bearer tokens: the build succeeds" test $? = 0 || cat "$T/l.err" >&2
is "$(grep -c warning: "$T/l.err")" 0 "without a warning"
is "$(jq -r 'select(.event=="remote" and .op=="push" and .status=="ok") | .node' "$T/l.ev" | wc -l)" \
        "$(built l | wc -l)" "and pushes every node it built (pull, then push scope)"
REGISTRY_AUTH_FILE=/dev/null build m --role beta --remote-cache "$RC3" --remote-cache-insecure
like "$(cat "$T/m.err")" "warning: remote cache $RC3: .*the token service http://127.0.0.1:$tport/token refused: HTTP 401" \
        "no credentials: the token service's refusal is the warning"
kill "$tpid"

# usage
"$POCBAKE" build --remote-cache "http://$REG/x" "$APP" >/dev/null 2>"$T/u.err"
is "$?" 2 "a remote cache that is not oci:// is a usage error"
like "$(cat "$T/u.err")" "expected oci://HOST\[:PORT\]/REPO" "saying what was expected"
done_testing
