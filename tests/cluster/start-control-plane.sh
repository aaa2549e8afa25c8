#!/usr/bin/env bash
# The real test bed (issue 9): starts a Kubernetes control plane built by scripts/build-kube.sh on free
# loopback ports, everything inside DIR:
#   etcd; kube-apiserver (own CA, serving and client certificates, service-account signing key,
#   --authorization-mode=Node,RBAC, the default admission plugins); kube-controller-manager (the
#   controllers Aviary meets, each with its own service account); kube-scheduler; kwok playing the
#   kubelet of the fake nodes (stages in kwok-stages.yaml), and fake nodes for it.
# Writes DIR/admin.kubeconfig (system:masters) and the API audit log DIR/logs/audit.log, waits for /readyz
# and for a 2-replica Deployment to have 2 ready pods (then deletes it), prints "control plane ready in N s"
# and writes DIR/ready. Then it stays in the foreground until it gets SIGTERM/SIGINT/SIGHUP, or one
# component exits, and stops everything.
# Every component also gets SIGKILL if this script dies by any means (PR_SET_PDEATHSIG), so nothing
# outlives it. DIR/pids lists this script's pid and the components'; stop-control-plane.sh DIR stops them.
#
# Usage: start-control-plane.sh DIR   (DIR is created if needed; of what is already there, only etcd's data,
#                                     the CA and the service-account key are reused)
# Environment: KUBE_BIN (folder with the six commands; default: what scripts/build-kube.sh prints),
#   AVIARY_KUBE_NODES (number of fake nodes, default 2), AVIARY_KUBE_VERBOSITY (components' -v, default 1),
#   AVIARY_KUBE_CONTROLLERS (kube-controller-manager --controllers; '*' for all), AVIARY_KUBE_SMOKE=0 to
#   skip the Deployment check, AVIARY_KUBE_CLIENT_QPS (kube-controller-manager's and kube-scheduler's
#   --kube-api-qps, their burst twice that; default: theirs, 20 and 50: at 1,000 Deployments created at once
#   the Deployment controller then makes ~7 pods a second, so the scale harness raises it as large clusters do).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[control-plane $(elapsed)s] $*" >&2; }

bin=${KUBE_BIN:-$("$root/scripts/build-kube.sh")}
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [[ -x $bin/$c ]] || { echo "start-control-plane: $bin/$c is missing (run scripts/build-kube.sh)" >&2; exit 1; }
done
nodes=${AVIARY_KUBE_NODES:-2}
verbosity=${AVIARY_KUBE_VERBOSITY:-1}
# The controllers that the operator's behaviour on a real cluster depends on (all of them, '*', take ~5 s
# more to start on 2 cores): Deployments and ReplicaSets with pod-template-hash; EndpointSlices (and
# Endpoints) following Service selectors; the garbage collector; namespaces; service accounts and their
# tokens; kube-root-ca.crt; aggregated ClusterRoles (admin, edit, view); node lifecycle (removes the
# not-ready taint from new nodes) and taint eviction; pod GC; HPAs; PDBs; ServiceCIDRs.
controllers=${AVIARY_KUBE_CONTROLLERS:-deployment-controller,replicaset-controller,endpointslice-controller,endpointslice-mirroring-controller,endpoints-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,clusterrole-aggregation-controller,node-lifecycle-controller,taint-eviction-controller,pod-garbage-collector-controller,horizontal-pod-autoscaler-controller,disruption-controller,service-cidr-controller}

pki=$dir/pki
logs=$dir/logs
mkdir -p "$pki" "$logs" "$dir/etcd" "$dir/kwok-home"
chmod 700 "$dir/etcd" "$pki"
: > "$dir/pids"
rm -f "$dir/ready"
echo "script $$" >> "$dir/pids"

# ---- stopping: on any exit of this script, every component goes with it -------------------------------
declare -A pid=()
stopping=0
stop_all() {
  local status=$?
  trap - EXIT INT TERM HUP
  stopping=1
  # etcd last, so that the others stop cleanly; state is disposable, so nobody gets more than 3 s.
  stop_some kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_some etcd
  wait 2> /dev/null || true
  rm -f "$dir/ready"
  exit "$status"
}
stop_some() { # stop_some NAME...: SIGTERM, then SIGKILL to those still there after 3 s
  local name alive
  for name in "$@"; do [[ -n ${pid[$name]:-} ]] && kill -TERM "${pid[$name]}" 2> /dev/null; done
  for _ in $(seq 30); do
    alive=0
    for name in "$@"; do [[ -n ${pid[$name]:-} ]] && kill -0 "${pid[$name]}" 2> /dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for name in "$@"; do [[ -n ${pid[$name]:-} ]] && kill -KILL "${pid[$name]}" 2> /dev/null; done
  return 0
}
trap stop_all EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

# start NAME COMMAND...: runs it in the background with its output in DIR/logs/NAME.log; it gets SIGKILL
# when this script dies.
start() {
  local name=$1
  shift
  setpriv --pdeathsig KILL -- "$@" > "$logs/$name.log" 2>&1 &
  pid[$name]=$!
  echo "$name $!" >> "$dir/pids"
}
fail() {
  echo "start-control-plane: $*" >&2
  local name
  for name in "${!pid[@]}"; do
    echo "---- last lines of $logs/$name.log" >&2
    tail -n 15 "$logs/$name.log" >&2 || true
  done
  exit 1
}
check_alive() {
  local name
  for name in "${!pid[@]}"; do
    kill -0 "${pid[$name]}" 2>/dev/null || fail "$name exited"
  done
}

# ---- free loopback ports: below the ephemeral range, not listening now, distinct ---------------------
declare -A taken=()
free_port() { # free_port VAR
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    [[ -z ${taken[$p]:-} ]] || continue
    taken[$p]=1
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
      printf -v "$1" %s "$p"
      return
    fi
  done
}
free_port etcd_port
free_port etcd_peer_port
free_port api_port
server=https://127.0.0.1:$api_port

# ---- etcd first: it has nothing to wait for ------------------------------------------------------------
start etcd "$bin/etcd" --name aviary --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "aviary=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync --quota-backend-bytes 2147483648 --log-level warn

# ---- certificates (ECDSA P-256: fast to make) ----------------------------------------------------------
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by the CA
sign() {
  newkey "$pki/$1.key"
  openssl req -new -key "$pki/$1.key" -subj "$2" 2> /dev/null |
    openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
      -days 3650 -extfile <(printf '%b' "$3") -out "$pki/$1.crt" 2> /dev/null
}
if [[ ! -s $pki/ca.crt ]]; then
  newkey "$pki/ca.key"
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=aviary-test-ca" -days 3650 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/ca.crt" 2> /dev/null
fi
client_ext='basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n"
sign admin "/O=system:masters/CN=aviary-admin" "$client_ext"
sign controller-manager "/CN=system:kube-controller-manager" "$client_ext"
sign scheduler "/CN=system:kube-scheduler" "$client_ext"
[[ -s $pki/sa.key ]] || newkey "$pki/sa.key"
openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2> /dev/null

# kubeconfig NAME: DIR/NAME.kubeconfig with NAME's client certificate
kubeconfig() {
  local b64='base64 -w0'
  cat > "$dir/$1.kubeconfig" << EOF
apiVersion: v1
kind: Config
clusters:
- name: aviary-kube
  cluster:
    server: $server
    certificate-authority-data: $($b64 < "$pki/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $($b64 < "$pki/$1.crt")
    client-key-data: $($b64 < "$pki/$1.key")
contexts:
- name: aviary-kube
  context:
    cluster: aviary-kube
    user: $1
current-context: aviary-kube
EOF
}
kubeconfig admin
kubeconfig controller-manager
kubeconfig scheduler

# ---- kube-apiserver ------------------------------------------------------------------------------------
# The audit log (DIR/logs/audit.log, JSON lines): the writes of ServiceAccounts in aviary-* namespaces (the
# operator's replicas, told apart by their User-Agent), for the tests that prove who wrote what and when.
cat > "$dir/audit-policy.yaml" << 'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: [system:serviceaccounts:aviary-system, system:serviceaccounts:aviary-helm]
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
start kube-apiserver "$bin/kube-apiserver" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$pki" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --endpoint-reconciler-type none \
  --authorization-mode Node,RBAC \
  --allow-privileged=true --profiling=false \
  --audit-policy-file "$dir/audit-policy.yaml" --audit-log-path "$logs/audit.log" --audit-log-format json \
  --audit-log-mode blocking \
  --v "$verbosity"

# The other components retry until the API server answers; starting them now overlaps their start-up.
client_rate=()
if [[ -n ${AVIARY_KUBE_CLIENT_QPS:-} ]]; then
  client_rate=(--kube-api-qps "$AVIARY_KUBE_CLIENT_QPS" --kube-api-burst "$((AVIARY_KUBE_CLIENT_QPS * 2))")
fi
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$dir/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 \
  --leader-elect=false --controllers "$controllers" --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --profiling=false --v "$verbosity" "${client_rate[@]}"
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$dir/scheduler.kubeconfig" \
  --authentication-kubeconfig "$dir/scheduler.kubeconfig" \
  --authorization-kubeconfig "$dir/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 \
  --leader-elect=false --profiling=false --v "$verbosity" "${client_rate[@]}"
HOME="$dir/kwok-home" start kwok "$bin/kwok" \
  --kubeconfig "$dir/admin.kubeconfig" --config "$here/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 10.243.0.1 \
  -v "$( ((verbosity > 1)) && echo DEBUG || echo INFO)"

kc() { "$bin/kubectl" --kubeconfig "$dir/admin.kubeconfig" --cache-dir "$dir/kubectl-cache" "$@"; }
curl_api() {
  curl -sS --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" "$server$1" 2> /dev/null
}
wait_for() { # wait_for SECONDS WHAT COMMAND...
  local deadline=$(($(date +%s) + $1)) what=$2
  shift 2
  until "$@"; do
    check_alive
    (($(date +%s) < deadline)) || fail "timed out waiting for $what"
    sleep 0.1
  done
}

wait_for 60 "kube-apiserver /readyz" eval '[[ $(curl_api /readyz) == ok ]]'
log "kube-apiserver ready at $server"

# ---- fake nodes, managed by kwok -----------------------------------------------------------------------
for i in $(seq 0 $((nodes - 1))); do
  cat << EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
---
EOF
done | kc apply -f - > /dev/null
log "$nodes fake nodes created"

if [[ ${AVIARY_KUBE_SMOKE:-1} != 0 ]]; then
  # Pods can only be made once the namespace's default service account exists.
  wait_for 60 "the default service account" eval 'curl_api /api/v1/namespaces/default/serviceaccounts/default | grep -q "\"name\": \"default\""'
  log "default service account present"
  kc apply -f - > /dev/null << 'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: control-plane-check
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: control-plane-check}
  template:
    metadata:
      labels: {app: control-plane-check}
      annotations: {sandbox.aviary.io/ready-after: 100ms}
    spec:
      containers:
      - {name: app, image: registry.invalid/control-plane-check:1}
EOF
  wait_for 60 "2 ready pods of Deployment default/control-plane-check" eval \
    '[[ $(kc get deployment control-plane-check -o "jsonpath={.status.readyReplicas}" 2> /dev/null) == 2 ]]'
  kc delete deployment control-plane-check --wait=false > /dev/null
fi

elapsed > "$dir/ready"
echo "control plane ready in $(elapsed) s: KUBECONFIG=$dir/admin.kubeconfig (server $server, logs in $logs)"

# ---- stay until told to stop, or until a component dies -----------------------------------------------
while :; do
  wait -n "${pid[@]}" 2> /dev/null || true
  ((stopping)) && break
  check_alive
done
