# registry.sh: a real OCI registry (Debian's docker-registry) for a test, sourced after lib.sh.
# registry_start DIR [htpasswd FILE | token REALM SERVICE ISSUER CERTS] [tls CERT KEY]: serve on
#   127.0.0.1 on a free port with
#   storage in DIR/storage and a config written to DIR/config.yml; sets $REG (HOST:PORT)
#   and $REG_PID. registry_stop: stops it (also at exit). Nothing listens beyond 127.0.0.1.

free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

registry_start() {
        local dir=$1 port auth="" tls=""
        shift
        while [ $# -gt 0 ]; do
                case $1 in
                htpasswd) auth="auth:
  htpasswd:
    realm: pocbake-test
    path: $2"; shift 2 ;;
                token) auth="auth:
  token:
    realm: $2
    service: $3
    issuer: $4
    rootcertbundle: $5"; shift 5 ;;
                tls) tls="  tls:
    certificate: $2
    key: $3"; shift 3 ;;
                *) return 2 ;;
                esac
        done
        mkdir -p "$dir/storage"
        port=$(free_port)
        cat >"$dir/config.yml" <<CFG
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
$tls
$auth
CFG
        docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
        REG_PID=$!
        REG=127.0.0.1:$port
        trap 'registry_stop; rm -rf "$T"' EXIT
        local scheme=http i
        [ -n "$tls" ] && scheme=https
        for i in $(seq 1 100); do
                if curl -sk -o /dev/null "$scheme://$REG/v2/" 2>/dev/null; then return 0; fi
                kill -0 "$REG_PID" 2>/dev/null || break
                sleep 0.1
        done
        diag "the registry did not start:" "$(cat "$dir/registry.log")"
        return 1
}

registry_stop() {
        if [ -n "${REG_PID:-}" ]; then
                kill "$REG_PID" 2>/dev/null
                wait "$REG_PID" 2>/dev/null
                REG_PID=
        fi
        return 0
}
