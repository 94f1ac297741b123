#!/bin/bash
# t0825: plan --matrix (the CI fan-out) against the plan itself, and the example
# pipelines in docs/ci/ against plan --matrix: valid YAML, the same jobs.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml is not installed"

"$POCBAKE" keys init --cn-prefix t0825 "$T/keys" >/dev/null
R=$TOP/recipes/poc.yaml
"$POCBAKE" plan --matrix --keys "$T/keys" --cache "$T/cache" "$R" >"$T/m.json" 2>"$T/err"
ok "plan --matrix prints JSON" sh -c "jq -e . '$T/m.json' >/dev/null" || cat "$T/err" >&2
"$POCBAKE" plan --json --keys "$T/keys" --cache "$T/cache" "$R" | jq -r .node | sort >"$T/all"

roles=$(sed -n 's|^  - roles/\(.*\)\.yaml$|\1|p' "$R" | sort)
is "$(jq -r '.roles.include[].role' "$T/m.json" | sort)" "$roles" "one job per role of the recipe"
bad=0
for r in $roles; do
        want=$("$POCBAKE" plan --json --role "$r" --keys "$T/keys" --cache "$T/cache" "$R" | jq -r .node | sort)
        got=$(jq -r --arg r "$r" '.roles.include[] | select(.role==$r) | .nodes[]' "$T/m.json" | sort)
        args=$(jq -r --arg r "$r" '.roles.include[] | select(.role==$r) | .args' "$T/m.json")
        [ "$got" = "$want" ] && [ "$args" = "--role $r" ] || { bad=$((bad + 1)); diag "$r: $got"; }
done
is "$bad" 0 "each role job lists what 'plan --role NAME' plans, and its args are --role NAME"
union=$(jq -r '.roles.include[].nodes[], .assemble.include[].nodes[]' "$T/m.json" | sort -u)
is "$union" "$(cat "$T/all")" "the role jobs and the assemble job together cover the whole plan"
is "$(jq -r '.assemble.include[0].nodes[]' "$T/m.json" | sort | comm -12 - <(jq -r '.roles.include[].nodes[]' "$T/m.json" | sort -u))" \
        "" "the assemble job builds no node a role job builds"
like "$(jq -r '.assemble.include[0].nodes[]' "$T/m.json" | tr '\n' ' ')" "host:host .*bundle:poc" \
        "the assemble job builds the host and the deliverables"
is "$(jq -r '.assemble.include[0].needs[]' "$T/m.json" | sort)" \
        "$(jq -r '.roles.include[].job' "$T/m.json" | sort)" "it needs every role job"
is "$(jq -c '.shared' "$T/m.json")" '["initrd:shared"]' "the one node several role jobs build is named as shared"
is "$(jq -r '.gitlab[0].ROLE[]' "$T/m.json" | sort)" "$roles" "the GitLab matrix lists the same roles"

# the example pipelines
y() { python3 -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$1"; }
y "$TOP/docs/ci/gitlab-ci.yml" >"$T/gl.json"
ok "docs/ci/gitlab-ci.yml is valid YAML" test -s "$T/gl.json"
is "$(jq -r '.role.parallel.matrix[0].ROLE[]' "$T/gl.json" | sort)" "$roles" \
        "its role job's parallel:matrix is plan --matrix's gitlab list"
is "$(jq -c '.stages' "$T/gl.json") $(jq -c '.assemble.needs' "$T/gl.json")" '["roles","assemble"] ["role"]' \
        "the assemble stage comes after the role jobs and needs them"
like "$(jq -r '.role.script[]' "$T/gl.json")" 'pocbake build .*--role "\$ROLE"' "the role job builds --role \$ROLE"
like "$(jq -r '.variables.POCBAKE_REMOTE_CACHE' "$T/gl.json")" '^oci://' "with the remote cache"
y "$TOP/docs/ci/github-actions.yml" >"$T/gh.json"
ok "docs/ci/github-actions.yml is valid YAML" test -s "$T/gh.json"
is "$(jq -r '.jobs | keys | join(" ")' "$T/gh.json")" "assemble plan roles" "its jobs: plan, roles, assemble"
like "$(jq -r '.jobs.plan.steps[].run // empty' "$T/gh.json")" 'pocbake plan --matrix' "the plan job runs plan --matrix"
is "$(jq -r '.jobs.roles.strategy.matrix' "$T/gh.json")" '${{ fromJSON(needs.plan.outputs.matrix).roles }}' \
        "the roles job's matrix is plan --matrix's roles"
like "$(jq -r '.jobs.roles.steps[].run // empty' "$T/gh.json")" 'pocbake build .*\$\{\{ matrix\.args \}\}' \
        "each runs pocbake build with its job's args"
is "$(jq -r '.jobs.assemble.needs | index("roles") != null' "$T/gh.json")" true "assemble runs after the roles"
like "$(jq -r '.env.POCBAKE_REMOTE_CACHE' "$T/gh.json")" '^oci://' "with the remote cache"

# both verify the bundle against the certificate its signature chains to (db.crt)
like "$(jq -r '.assemble.script[]' "$T/gl.json")" 'pocbake verify bundle --cert "[^"]*/keys/db\.crt"' \
        "GitLab's assemble job verifies the bundle against db.crt"
like "$(jq -r '.jobs.assemble.steps[].run // empty' "$T/gh.json")" 'pocbake verify bundle --cert "[^"]*/keys/db\.crt"' \
        "GitHub's assemble job verifies the bundle against db.crt"

"$POCBAKE" plan --matrix --role MAS-DC01 "$R" >/dev/null 2>"$T/u.err"
is "$?" 2 "--matrix with --role is a usage error"
done_testing
