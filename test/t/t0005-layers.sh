#!/bin/sh
# t0005-layers.sh: scripts/layers reports each rule it enforces on a small tree made to break them.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 is not installed"
command -v nm >/dev/null && command -v cc >/dev/null || skip_all "cc and nm are needed"
L=$TOP/scripts/layers
B=$T/tree/builder
mkdir -p "$B/util" "$B/stage" "$B/plan" "$B/cli"

# a clean tree passes
printf '/* a.h: a helper */\n#pragma once\nint a(void);\n' >"$B/util/a.h"
printf '/* a.c: a helper */\n#include "a.h"\nint a(void) { return 1; }\n' >"$B/util/a.c"
printf '/* p.c: a user */\n#include "util/a.h"\nint p(void);\nint p(void) { return a(); }\n' >"$B/plan/p.c"
out=$("$L" "$T/tree" 2>&1)
is "$?" 0 "a tree that keeps the rules passes"
like "$out" "0 problems" "and says so"

# an include from a layer above
printf '/* b.c: reaches up */\n#include "plan/q.h"\n' >"$B/util/b.c"
printf '/* q.h: a plan header */\n#pragma once\n' >"$B/plan/q.h"
out=$("$L" "$T/tree" 2>&1)
is "$?" 1 "an include from a layer above fails"
like "$out" "builder/util/b.c:2: includes plan/q.h from plan/, a layer above util/" "and names file, line and header"
rm "$B/util/b.c"

# a header private to another folder
printf '/* s.h: stage internals; private to stage/. */\n#pragma once\n' >"$B/stage/s.h"
printf '/* c.c: peeks */\n#include "stage/s.h"\n' >"$B/cli/c.c"
out=$("$L" "$T/tree" 2>&1)
is "$?" 1 "a private header used from another folder fails"
like "$out" "builder/cli/c.c:2: includes stage/s.h, private to stage/" "and says whose it is"
rm "$B/cli/c.c"

# an include cycle between files
printf '/* x.h: one */\n#pragma once\n#include "y.h"\n' >"$B/plan/x.h"
printf '/* y.h: two */\n#pragma once\n#include "x.h"\n' >"$B/plan/y.h"
out=$("$L" "$T/tree" 2>&1)
is "$?" 1 "an include cycle fails"
like "$out" "include cycle: plan/x.h -> plan/y.h -> plan/x.h" "and shows the cycle"
rm "$B/plan/x.h" "$B/plan/y.h"

# a file without its first line
printf '#pragma once\n' >"$B/util/bare.h"
out=$("$L" "$T/tree" 2>&1)
is "$?" 1 "a file that does not say what it holds fails"
like "$out" 'builder/util/bare.h:1: first line does not say what the file holds' "and names it"
rm "$B/util/bare.h"

# a call cycle between files and between folders, read from the objects
printf '/* m.c: calls n */\nint n(void);\nint m(void);\nint m(void) { return n(); }\n' >"$B/plan/m.c"
printf '/* n.c: calls m */\nint m(void);\nint n(void);\nint n(void) { return m(); }\n' >"$B/plan/n.c"
printf '/* u.c: calls up */\nint p(void);\nint u(void);\nint u(void) { return p(); }\n' >"$B/util/u.c"
for f in util/a util/u plan/p plan/m plan/n; do
        mkdir -p "$T/obj/builder/$(dirname $f)"
        cc -c -I"$B" -o "$T/obj/builder/$f.o" "$B/$f.c" || fail "cc $f.c"
done
out=$("$L" "$T/tree" "$T/obj" 2>&1)
is "$?" 1 "call cycles fail"
like "$out" "cycle between files .*plan/m.c uses n of plan/n.c" "a cycle between two files"
like "$out" "builder/plan/ and builder/util/ call each other" "a cycle between two folders"
like "$out" "calls up the layers: util/u.c uses p of plan/p.c" "a call up the layers"

# and the real tree keeps them all
out=$("$L" "$TOP" "${OBJDIR:-$TOP/build}" 2>&1)
is "$?" 0 "builder/ keeps the rules" || diag "$out"
done_testing
