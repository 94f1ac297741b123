#!/bin/sh
# t0010: the README's command-line reference matches the binary's own help.
. "$(dirname "$0")/lib.sh"

R=$TOP/README.md
cmds=$("$POCBAKE" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
ok "pocbake --help lists commands" test -n "$cmds"
for c in $cmds; do
        ok "README documents 'pocbake $c'" grep -q "^### pocbake $c\$" "$R"
        usage=$("$POCBAKE" "$c" --help | head -n 1)
        ok "README carries '$c --help' usage line" grep -qF -- "$usage" "$R"
        "$POCBAKE" "$c" --help >/dev/null
        ok "'pocbake $c --help' exits 0" test $? = 0
done
for code in 0 1 2; do
        ok "README documents exit code $code" grep -q "^| $code |" "$R"
done
"$POCBAKE" no-such-verb 2>"$T/err"; rc=$?
is "$rc" 2 "unknown verb exits 2"
like "$(cat "$T/err")" 'unknown command "no-such-verb"' "unknown verb is named"
"$POCBAKE" build 2>/dev/null; rc=$?
is "$rc" 2 "build without a recipe exits 2"
done_testing
