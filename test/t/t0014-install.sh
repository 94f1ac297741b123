#!/bin/bash
# t0014-install.sh: make install PREFIX=DIR gives a tool that works from anywhere (data found beside its binary), its man pages, and shell completion of commands, options, roles and profiles.
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || skip_all "make is not installed"
P=$T/prefix
make -s -C "$TOP" install PREFIX="$P" O="$OBJDIR" >"$T/out" 2>&1
ok "make install PREFIX=$P" test $? = 0 || cat "$T/out" >&2
for f in bin/pocbake share/pocbake/firmware/initrd/init share/pocbake/recipes/poc.yaml \
        share/man/man1/pocbake.1 share/man/man5/pocbake-recipe.5 \
        share/bash-completion/completions/pocbake share/zsh/site-functions/_pocbake; do
        ok "installs $f" test -s "$P/$f"
done

cd "$T" || exit 1
like "$("$P/bin/pocbake" version)" "data directory: $P/share/pocbake" "run from elsewhere, it finds its data beside its binary"
"$P/bin/pocbake" keys init "$T/keys" >/dev/null
"$P/bin/pocbake" plan --keys "$T/keys" --cache "$T/cache" "$P/share/pocbake/recipes/poc.yaml" >"$T/plan" 2>"$T/err"
ok "it plans the installed appliance with keys (data files found)" test $? = 0 || cat "$T/err" >&2

for page in man1/pocbake.1 man5/pocbake-recipe.5; do
        out=$(MANWIDTH=80 man --warnings -l "$P/share/man/$page" 2>"$T/manerr")
        ok "man -l renders $page" test $? = 0 -a -n "$out"
        is "$(cat "$T/manerr")" "" "$page: no warnings"
done
like "$(MANWIDTH=80 man -l "$P/share/man/man1/pocbake.1")" "EXIT STATUS" "pocbake(1) says the exit codes"

# bash completion, driven as bash drives it
comp() { # WORDS... : the last word is the one completed
        PATH="$P/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
                _pocbake; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' - \
                "$P/share/bash-completion/completions/pocbake" "$@"
}
is "$(comp pocbake bu)" "build bundle burn " "bash: commands"
is "$(comp pocbake build --js)" "--json " "bash: a command's options, from its help"
is "$(comp pocbake build "$P/share/pocbake/recipes/poc.yaml" --role MAS-D)" "MAS-DC01 " "bash: role names from the recipe"
is "$(comp pocbake build "$P/share/pocbake/recipes/poc.yaml" --profile f)" "full " "bash: profiles from the recipe"
is "$(comp pocbake boot --firmware ovmf)" "ovmf ovmf-secboot " "bash: an option's values"
if command -v zsh >/dev/null; then
        ok "zsh: the completion script parses" zsh -n "$P/share/zsh/site-functions/_pocbake"
else
        skip "zsh is not installed"
fi
done_testing
