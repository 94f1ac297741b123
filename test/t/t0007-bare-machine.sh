#!/bin/sh
# t0007-bare-machine.sh: 'make demo' on a machine whose -dev packages come only with scripts/deps links the first time.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null && [ -d "$TOP/.git" ] || skip_all "needs the source tree as a git checkout"
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"

# A copy of the tree as committed, where pkg-config answers nothing until
# scripts/deps has run (as on a machine without the packages), and where the
# demo only runs the binary.
git clone -q "$TOP" "$T/src" || fail "clone the tree"
mkdir "$T/bin"
cat >"$T/bin/pkg-config" <<EOS
#!/bin/sh
[ -e "$T/installed" ] || exit 1
exec $(command -v pkg-config) "\$@"
EOS
printf '#!/bin/sh\ntouch "%s/installed"\n' "$T" >"$T/src/scripts/deps"
printf '#!/bin/sh\nexec "$POCBAKE" --version\n' >"$T/src/scripts/demo"
chmod +x "$T/bin/pkg-config" "$T/src/scripts/deps" "$T/src/scripts/demo"

out=$(cd "$T/src" && PATH="$T/bin:$PATH" make -j2 demo 2>&1)
rc=$?
is "$rc" 0 "make demo builds and runs the binary the first time"
[ "$rc" = 0 ] || printf '%s\n' "$out" | grep -m 5 -E "error|undefined" | sed -e 's/^/# /' -e '$a\'
like "$out" "pocbake [0-9]" "the demo ran the binary it linked"
ok "scripts/deps ran before the flags were read" test -e "$T/installed"
done_testing
