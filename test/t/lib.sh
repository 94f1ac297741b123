# lib.sh: TAP helpers sourced by every test/t script.
# Provides: plan N, ok COND-EXIT DESC, pass/fail, is GOT WANT DESC, like GOT REGEX DESC,
# skip DESC (a test not run, DESC says why), skip_all WHY, done_testing; $POCBAKE, $TOP, a scratch dir $T removed at exit.
# A failed is/like prints what it got on stderr (its last 60 lines), which prove shows in the log.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
POCBAKE=${POCBAKE:-$TOP/build/pocbake}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export POCBAKE_ACCEL=tcg
_n=0
_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/pocbake-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
pass() { _n=$((_n + 1)); echo "ok $_n - $1"; }
fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1"; }
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }
diag() { printf '%s\n' "$@" | sed -e 's/^/# /' -e '$a\'; }
# ok DESC CMD...: passes when CMD exits 0.
ok() { local d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
# is GOT WANT DESC
is() {
        if [ "$1" = "$2" ]; then pass "$3"; else
                fail "$3"; diag "got:  $1" "want: $2" | tail -n 60 >&2; fi
}
# like GOT EXTENDED-REGEX DESC
like() {
        if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
                fail "$3"; diag "got:  $1" "want match: $2" | tail -n 60 >&2; fi
}
done_testing() { echo "1..$_n"; [ "$_failed" = 0 ]; exit $?; }
