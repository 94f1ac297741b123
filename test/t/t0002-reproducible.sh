#!/bin/sh
# t0002: two builds with the same SOURCE_DATE_EPOCH in different directories give identical bytes.
. "$(dirname "$0")/lib.sh"

for i in 1 2; do
        mkdir -p "$T/w$i"
        cp -r "$TOP/test/data/sample" "$T/w$i/recipes"
        # create the overlay copy in a different order on the second run
        if [ $i = 2 ]; then
                rm -rf "$T/w2/recipes/overlays"
                mkdir -p "$T/w2/recipes/overlays"
                for d in common alpha; do cp -r "$TOP/test/data/sample/overlays/$d" "$T/w2/recipes/overlays/"; done
        fi
        (cd "$T/w$i" && "$POCBAKE" build --quiet -j $i --cache "$T/w$i/cache" -o "$T/w$i/out" recipes/app.yaml) 2>"$T/err$i"
        ok "build $i succeeds" test $? = 0 || cat "$T/err$i" >&2
done
for f in alpha/alpha.raw alpha/alpha.qcow2 alpha/alpha.vhdx beta/beta.raw beta/beta.qcow2 beta/beta.vhdx; do
        ok "$f identical in both builds" cmp "$T/w1/out/$f" "$T/w2/out/$f"
done
# a role file on its own: its tree is roles/, and it extends ../lib.yaml
SOURCE_DATE_EPOCH=1700000999 "$POCBAKE" build --quiet --allow-path "$T/w1/recipes" --cache "$T/w1/cache" -o "$T/w3" "$T/w1/recipes/roles/beta.yaml" 2>"$T/err3"
ok "another SOURCE_DATE_EPOCH builds" test $? = 0
ok "another SOURCE_DATE_EPOCH gives other bytes" sh -c "! cmp -s '$T/w1/out/beta/beta.raw' '$T/w3/beta/beta.raw'"
done_testing
