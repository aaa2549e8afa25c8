"""The two test beds the scale harness runs on, behind one shape (issue 15):

- SandboxBed: Aviary's embedded API server (aviary-sandbox), plain HTTP on loopback, its Deployment
  simulator playing the Deployment controller and the kubelet;
- KubeBed: the real control plane (tests/cluster/start-control-plane.sh: etcd, kube-apiserver with RBAC and
  API Priority and Fairness, kube-controller-manager, kube-scheduler, kwok playing the kubelet), the
  operator under its own ServiceAccount and the shipped RBAC (config/rbac), never as admin.

Each bed gives: `api` (an Api for the harness's own requests, as admin), `operator_kubeconfig`, `server_cpu()`
(CPU seconds of the API server side: the sandbox process, or kube-apiserver + etcd) and `server_metrics()`
(the API server's own /metrics samples, {} on the sandbox).

Only the standard library, as the harness: http.client with keep-alive, ssl for the real server's TLS.
"""

import http.client
import json
import os
import re
import ssl
import subprocess
import threading
import time
import urllib.parse

CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11], fields[12] are utime and stime (fields 14 and 15 of proc(5), after pid and comm).
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_for_line(path, pattern, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as f:
            m = re.search(pattern, f.read())
        if m:
            return m
        time.sleep(0.05)
    raise RuntimeError(f"{path}: no line matching {pattern!r} within {timeout}s")


def parse_exposition(text):
    """Samples of a Prometheus text exposition: {(name, frozenset(labels)): value}."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)", line)
        if not m:
            continue
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


class Api:
    """A keep-alive connection per thread to a Kubernetes API server: plain HTTP (the sandbox) or HTTPS
    with a client certificate (the real control plane's admin)."""

    def __init__(self, url, tls=None):
        u = urllib.parse.urlparse(url)
        self.host, self.port, self.tls = u.hostname, u.port, tls
        self.local = threading.local()

    def connect(self, timeout=60):
        if self.tls is not None:
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            c = self.local.conn = self.connect()
        return c

    def request(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": content_type} if data is not None else {}
        for attempt in range(5):
            try:
                c = self.conn()
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                text = r.read()
                if r.status == 429 and attempt < 4:  # the real server's APF shed the harness's own load
                    time.sleep(float(r.getheader("Retry-After", "1")))
                    continue
                if r.status not in ok:
                    raise RuntimeError(f"{method} {path}: {r.status} {text[:300]!r}")
                return json.loads(text) if text else None
            except (http.client.HTTPException, ConnectionError):
                self.local.conn = None
                if attempt == 4:
                    raise

    def text(self, path):
        c = self.connect(timeout=30)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()


class SandboxBed:
    name = "sandbox"

    def __init__(self, args, work):
        self.args, self.work, self.proc, self.prometheus_url = args, work, None, None

    def start(self):
        log_path = os.path.join(self.work, "sandbox.log")
        cmd = [os.path.join(self.args.build_dir, "sandbox", "aviary-sandbox"), "--listen", "127.0.0.1:0",
               "--apply", os.path.join(self.args.source_dir, "sandbox", "crds"),
               "--apply", os.path.join(self.args.source_dir, "crds"),
               "--kubeconfig-out", os.path.join(self.work, "kubeconfig"), "--log-level", "warn"]
        if self.args.prometheus == "real":
            cmd.append("--prometheus")
        self.proc = subprocess.Popen(cmd, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
        self.url = wait_for_line(log_path, r"aviary-sandbox listening on (http://\S+)").group(1)
        if self.args.prometheus == "real":
            self.prometheus_url = wait_for_line(log_path, r"prometheus listening on (http://\S+)", 120).group(1)
        self.api = Api(self.url)
        self.api.request("POST", "/api/v1/namespaces", {"metadata": {"name": "aviary-system"}})
        self.operator_kubeconfig = os.path.join(self.work, "kubeconfig")

    def server_cpu(self):
        return proc_cpu_seconds(self.proc.pid)

    def server_metrics(self):
        return {}

    def stop(self):
        stop_process(self.proc)


class KubeBed:
    """The real control plane. Startup builds the pinned components first if the cache lacks them
    (scripts/build-kube.sh: minutes on a bare machine, nothing when cached)."""

    name = "kube"

    def __init__(self, args, work):
        self.args, self.work, self.proc, self.prometheus_url = args, work, None, None
        self.dir = os.path.join(work, "control-plane")

    def start(self):
        src = self.args.source_dir
        bin_dir = subprocess.run([os.path.join(src, "scripts", "build-kube.sh")], check=True,
                                 stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
        self.kubectl_bin = os.path.join(bin_dir, "kubectl")
        # kube-controller-manager's and kube-scheduler's own client rate (tests/cluster/start-control-plane.sh):
        # with their defaults the Deployment controller, not the operator, bounds a run of 1,000.
        env = dict(os.environ, KUBE_BIN=bin_dir, AVIARY_KUBE_CLIENT_QPS=str(self.args.control_plane_qps))
        log_path = os.path.join(self.work, "control-plane.log")
        self.proc = subprocess.Popen(["bash", os.path.join(src, "tests", "cluster", "start-control-plane.sh"),
                                      self.dir], stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 180
        while not os.path.exists(os.path.join(self.dir, "ready")):
            if self.proc.poll() is not None or time.time() > deadline:
                with open(log_path) as f:
                    raise RuntimeError("the control plane did not start:\n" + f.read()[-3000:])
            time.sleep(0.1)
        self.admin_kubeconfig = os.path.join(self.dir, "admin.kubeconfig")
        self.url = self.kubectl("config", "view", "--raw", "--minify",
                                "-o", "jsonpath={.clusters[0].cluster.server}").strip()
        pki = os.path.join(self.dir, "pki")
        tls = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        tls.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
        self.api = Api(self.url, tls)
        # What an install does (config/rbac), and the mesh CRDs the Istio router writes.
        self.kubectl("create", "namespace", "aviary-system")
        self.kubectl("apply", "-f", os.path.join(src, "crds"))
        self.kubectl("apply", "-f", os.path.join(src, "sandbox", "crds"))
        for f in ("service_account.yaml", "cluster_role.yaml", "cluster_role_binding.yaml",
                  "leader_election.yaml"):
            self.kubectl("apply", "-f", os.path.join(src, "config", "rbac", f))
        self.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/canaries.aviary.io")
        self.operator_kubeconfig = self.service_account_kubeconfig("aviary-system", "aviary")
        self.pids = {}
        with open(os.path.join(self.dir, "pids")) as f:
            for line in f:
                name, pid = line.split()
                self.pids[name] = int(pid)

    def kubectl(self, *argv):
        return subprocess.run([self.kubectl_bin, "--kubeconfig", self.admin_kubeconfig, *argv], check=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout

    def service_account_kubeconfig(self, ns, name):
        token = self.kubectl("create", "token", name, "-n", ns, "--duration=24h").strip()
        ca = self.kubectl("config", "view", "--raw", "--minify",
                          "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}").strip()
        path = os.path.join(self.work, "operator.kubeconfig")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(f"apiVersion: v1\nkind: Config\nclusters:\n- name: kube\n  cluster:\n"
                    f"    server: {self.url}\n    certificate-authority-data: {ca}\n"
                    f"users:\n- name: {name}\n  user:\n    token: {token}\n"
                    f"contexts:\n- name: {name}\n  context: {{cluster: kube, user: {name}}}\n"
                    f"current-context: {name}\n")
        return path

    def server_cpu(self):
        """kube-apiserver and etcd: what the operator's requests cost the server side."""
        return sum(proc_cpu_seconds(self.pids[c]) for c in ("kube-apiserver", "etcd"))

    def server_metrics(self):
        status, text = self.api.text("/metrics")
        return parse_exposition(text) if status == 200 else {}

    def stop(self):
        stop_process(self.proc, grace=15)


def stop_process(proc, grace=10):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()


# ------------------------------------------------------------- API Priority and Fairness (the real server)


def flowcontrol(samples):
    """What APF did, by priority level, from kube-apiserver's metrics (cumulative): requests dispatched,
    rejected (answered 429) and the seconds spent waiting in the level's queues (sum and count)."""
    names = {"apiserver_flowcontrol_dispatched_requests_total": "dispatched",
             "apiserver_flowcontrol_rejected_requests_total": "rejected",
             "apiserver_flowcontrol_request_wait_duration_seconds_sum": "wait_s_sum",
             "apiserver_flowcontrol_request_wait_duration_seconds_count": "wait_count",
             "apiserver_flowcontrol_nominal_limit_seats": "nominal_seats"}
    out = {}
    for (n, labels), v in samples.items():
        if n in names:
            level = out.setdefault(dict(labels).get("priority_level", ""), dict.fromkeys(names.values(), 0.0))
            level[names[n]] += v
    return out


def flowcontrol_delta(before, after):
    """Per priority level that served requests between two flowcontrol() readings."""
    out = {}
    for level, a in sorted(after.items()):
        b = before.get(level, {})
        d = {k: a[k] - b.get(k, 0.0) for k in ("dispatched", "rejected", "wait_s_sum", "wait_count")}
        if d["dispatched"] == 0 and d["rejected"] == 0:
            continue
        out[level] = {"dispatched": int(d["dispatched"]), "rejected_429": int(d["rejected"]),
                      "mean_queue_wait_ms": round(1000 * d["wait_s_sum"] / d["wait_count"], 2)
                      if d["wait_count"] else 0.0,
                      "nominal_seats": int(a["nominal_seats"])}
    return out
