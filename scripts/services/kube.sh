#!/usr/bin/env bash
# A real Kubernetes API server for tests: etcd and kube-apiserver built from the Go module proxy
# (kube/build.sh, cached by version), on 127.0.0.1, data under $FEATURESTORE_SERVICES_DIR, RBAC on,
# a static admin token, a service-account signing key; the SparkApplication CRD installed. No
# kubelet: pods never run (dev/spark-operator plays the operator's part).
#   kube.sh start   -> prints the path of a kubeconfig for the admin     kube.sh stop
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DIR="${FEATURESTORE_SERVICES_DIR:-${TMPDIR:-/tmp}/featurestore-services}/kube"
PORT="${FEATURESTORE_KUBE_PORT:-26443}"
ETCD_PORT="${FEATURESTORE_ETCD_PORT:-22379}"

start() {
  local bin
  bin="$("$(dirname "$0")/kube/build.sh")/bin"
  mkdir -p "$DIR/etcd" "$DIR/certs"
  if [ ! -s "$DIR/sa.key" ]; then
    openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
    openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null
    echo "$(openssl rand -hex 24),featurestore-admin,featurestore-admin,system:masters" > "$DIR/tokens.csv"
  fi
  start_bg "$DIR/etcd.pid" "$DIR/etcd.log" tcp_open "$ETCD_PORT" -- \
    "$bin/etcd" --data-dir "$DIR/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --log-level warn
  local token
  token="$(cut -d, -f1 "$DIR/tokens.csv")"
  start_bg "$DIR/apiserver.pid" "$DIR/apiserver.log" ready "$token" -- \
    "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none \
    --secure-port "$PORT" --cert-dir "$DIR/certs" \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$DIR/sa.pub" \
    --service-account-signing-key-file "$DIR/sa.key" --token-auth-file "$DIR/tokens.csv" \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/24 --enable-priority-and-fairness=false
  cat > "$DIR/kubeconfig" <<CFG
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$PORT
      certificate-authority: $DIR/certs/apiserver.crt
users:
  - name: featurestore-admin
    user:
      token: $token
contexts:
  - name: local
    context: { cluster: local, user: featurestore-admin }
current-context: local
CFG
  chmod 600 "$DIR/kubeconfig"
  node --import tsx "$ROOT/scripts/services/kube-crds.ts" "$DIR/kubeconfig" >&2
  echo "$DIR/kubeconfig"
}

# ready TOKEN: the API server answers /readyz
ready() { curl -sfk -H "Authorization: Bearer $1" "https://127.0.0.1:$PORT/readyz" >/dev/null; }

case "${1:-}" in
  start) start ;;
  stop)
    stop_bg "$DIR/apiserver.pid"
    stop_bg "$DIR/etcd.pid"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
