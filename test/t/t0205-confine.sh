#!/bin/sh
# t0205-confine.sh: every path a recipe names resolves (symlinks followed) inside the top-level recipe's tree, the shipped recipes or an --allow-path directory; else validate and build exit 2 at the recipe line and write nothing.
. "$(dirname "$0")/lib.sh"

R=$T/tree
mkdir -p "$R/roles" "$R/lib" "$R/files" "$R/ov/etc" "$T/outside/etc" "$T/lib"
echo "inside" >"$R/files/ok.txt"
echo "host secret" >"$T/outside/secret"
echo "x" >"$T/outside/etc/x"
ln -s /etc/shadow "$R/files/shadow-link"
ln -s "$T/outside" "$R/ov-link"
ln -s ../../outside/secret "$R/files/up-link"
printf 'vm: {vcpus: 1}\n' >"$T/lib/base.yaml"
ln -s "$T/lib/base.yaml" "$R/lib/base-link.yaml"
printf 'vm: {vcpus: 1}\n' >"$R/lib/base.yaml"

# role FILE LINE...: a small valid role with the given extra lines
role() {
        f=$1
        shift
        {
                printf '%s\n' "role: conf" "base: {busybox: {}}" "disk:" "  size: 64M" "  partitions:" \
                        "    - {name: root, type: root, size: rest, fs: ext4, mountpoint: /}"
                printf '%s\n' "$@"
        } >"$f"
}

# refused DESC REGEX FILE [OPTIONS...]: validate exits 2 with REGEX on stderr
refused() {
        d=$1 re=$2 f=$3
        shift 3
        out=$("$POCBAKE" validate "$@" "$f" 2>&1)
        is "$?" 2 "$d: validate exits 2"
        like "$out" "$re" "$d: the message names the line, the path and what it resolves to"
}

role "$R/ok.yaml" "files:" "  - {path: /etc/ok, source: files/ok.txt}" "overlays: [ov]" "extends: lib/base.yaml"
out=$("$POCBAKE" validate "$R/ok.yaml" 2>&1)
is "$?" 0 "a recipe whose paths stay in its tree validates"
out=$(cd "$R/files" && "$POCBAKE" validate ../ok.yaml 2>&1)
is "$?" 0 "also when given relative from below its tree"

role "$R/shadow.yaml" "files:" "  - {path: /etc/stolen, source: files/shadow-link}"
refused "a source symlinked to /etc/shadow" \
        "shadow.yaml:8:33: source \"[^\"]*files/shadow-link\" resolves to /etc/shadow, outside the recipe's tree $R \(expected a path inside it, or --allow-path DIR" \
        "$R/shadow.yaml"
mkdir -p "$T/o1"
out=$(cd "$T/o1" && "$POCBAKE" build -o out "$R/shadow.yaml" 2>&1)
is "$?" 2 "build of it exits 2"
is "$(ls -A "$T/o1")" "" "and writes nothing"
out=$("$POCBAKE" validate --allow-path /etc "$R/shadow.yaml" 2>&1)
is "$?" 0 "--allow-path /etc lets it through"
out=$("$POCBAKE" plan --allow-path /etc --cache "$T/cache" "$R/shadow.yaml" 2>&1)
is "$?" 0 "plan takes --allow-path too"

role "$R/up.yaml" "files:" "  - {path: /etc/s, source: files/up-link}"
refused "a relative symlink out of the tree" "up.yaml:8:28: source .* resolves to $T/outside/secret, outside" "$R/up.yaml"

role "$R/dotdot.yaml" "files:" "  - {path: /etc/s, source: ../outside/secret}"
refused "a .. path out of the tree" "dotdot.yaml:8:28: source .* resolves to $T/outside/secret, outside" "$R/dotdot.yaml"

role "$R/ghost.yaml" "files:" "  - {path: /etc/s, source: nothere/../../outside/none}"
refused "a path through a missing directory out of the tree" "ghost.yaml:8:28: source .* resolves to $T/outside/none, outside" "$R/ghost.yaml"

role "$R/ovl.yaml" "overlays: [ov-link]"
refused "an overlay directory symlinked out" "ovl.yaml:7:12: overlay \"[^\"]*ov-link\" resolves to $T/outside, outside" "$R/ovl.yaml"
role "$R/ovm.yaml" "overlays: [{path: ../outside}]"
refused "an overlay given as a map" "ovm.yaml:7:19: path .* resolves to $T/outside, outside" "$R/ovm.yaml"

role "$R/ext.yaml" "extends: ../lib/base.yaml"
refused "extends out of the tree" "ext.yaml:7:10: extends .* resolves to $T/lib/base.yaml, outside" "$R/ext.yaml"
role "$R/inc.yaml" "include: [lib/base-link.yaml]"
refused "include through a symlink" "inc.yaml:7:11: include .* resolves to $T/lib/base.yaml, outside" "$R/inc.yaml"

cp "$R/ok.yaml" "$T/outside/r.yaml"
sed -i 's/^role: conf/role: other/' "$T/outside/r.yaml"
printf '%s\n' "appliance: app" "roles: [../outside/r.yaml]" >"$R/app.yaml"
refused "a role file out of the tree" "app.yaml:2:9: role file .* resolves to $T/outside/r.yaml, outside" "$R/app.yaml"

printf '%s\n' "role: tb" "base: {tarball: $T/outside/root.tar}" "disk: {size: 64M, partitions: [{name: root, type: root, size: rest, fs: ext4, mountpoint: /}]}" >"$R/tb.yaml"
refused "an absolute base tarball" "tb.yaml:2:17: tarball \"$T/outside/root.tar\" resolves to .*, outside" "$R/tb.yaml"
printf '%s\n' "role: db" "base: {debs: [a.deb, $T/outside/b.deb]}" "disk: {size: 64M, partitions: [{name: root, type: root, size: rest, fs: ext4, mountpoint: /}]}" >"$R/db.yaml"
refused "a .deb out of the tree" "db.yaml:2:22: debs \"$T/outside/b.deb\" resolves to" "$R/db.yaml"
printf '%s\n' "role: im" "base: {image: /etc/passwd}" "disk: {size: 64M, partitions: [{name: root, type: root, size: rest, fs: ext4, mountpoint: /}]}" >"$R/im.yaml"
refused "a base image out of the tree" "im.yaml:2:15: image \"/etc/passwd\" resolves to /etc/passwd, outside" "$R/im.yaml"
role "$R/k.yaml" "kernel: {image: /boot/../etc/passwd}"
refused "a kernel image out of the tree" "k.yaml:7:17: image \"/boot/../etc/passwd\" resolves to /etc/passwd, outside" "$R/k.yaml"

out=$("$POCBAKE" validate --allow-path "$T/none" "$R/ok.yaml" 2>&1)
is "$?" 2 "--allow-path naming no directory exits 2"
like "$out" "--allow-path \"$T/none\": No such file or directory \(expected an existing directory\)" "and says so"

# the shipped recipes are a default root: a recipe anywhere may build on them
role "$T/mine.yaml" "extends: $TOP/recipes/lib/mini-role.yaml"
out=$("$POCBAKE" validate "$T/mine.yaml" 2>&1)
is "$?" 0 "a recipe outside the project may extend the shipped recipes"
out=$("$POCBAKE" validate "$TOP/recipes/poc.yaml" 2>&1)
is "$?" 0 "the shipped appliance stays inside its own tree"
out=$(cd "$TOP" && "$POCBAKE" validate --profile full recipes/poc.yaml 2>&1)
is "$?" 0 "its full profile too"

# a tree reached through a symlink: its real path is the tree
ln -s "$R" "$T/tree-link"
out=$("$POCBAKE" validate "$T/tree-link/ok.yaml" 2>&1)
is "$?" 0 "a recipe reached through a symlinked directory"

done_testing
