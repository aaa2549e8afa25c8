#!/usr/bin/env python3
"""Aviary's scale harness (issue 15).

Starts an API server (the sandbox's, or with `--bed kube` the real control plane: kube-apiserver with
API Priority and Fairness, etcd, kube-controller-manager, kube-scheduler and kwok, the operator under its
ServiceAccount and shipped RBAC) and the operator as separate processes, creates N Deployments and
Canaries across namespaces (Istio; interval, stepWeight and maxWeight as flags), waits until every Canary
is Initialized, gives all of them a new revision at once, follows every release to its end through a
watch, restarts the operator with the N Canaries in place, and prints what it measured:

- operator CPU seconds (user + system, /proc/<pid>/stat) in total and per canary step;
- operator RSS (/proc/<pid>/status VmRSS) idle, after initialization and peak, sampled every 0.2 s;
- step lateness: the time between two consecutive steps of a Canary as the watch shows them, minus the
  analysis interval (p50, p99, max);
- Kubernetes API requests by verb (the operator's aviary_kube_api_requests_total) per step, and the
  client-side rate limiter's waiting time (aviary_kube_client_throttle_seconds_total);
- the API server side's CPU per step (the sandbox process, or kube-apiserver + etcd), the answers the
  operator got by HTTP code (429: shed by the server) and, on the real server, what APF did by priority
  level (requests dispatched, rejected, mean queue wait);
- time to ready (/readyz) and until every Canary is Initialized; after a restart, time to ready and until
  every Canary has been reconciled once with the queue empty.

Metric checks: at N in the thousands a real Prometheus on the same 2 cores cannot answer thousands of
queries a second, so by default the harness answers the operator's queries itself, through Prometheus'
HTTP API (/api/v1/query): 99.9 for a success rate, 50 for a latency in ms. `--prometheus real` starts
the sandbox's real Prometheus scraping the simulated mesh instead (keep N in the hundreds there).

Only the standard library: this is a measurement driver, and http.client with keep-alive is enough.
"""

import argparse
import http.client
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from beds import KubeBed, SandboxBed, flowcontrol, flowcontrol_delta, parse_exposition, proc_cpu_seconds, wait_for_line

CANARIES = "/apis/aviary.io/v1beta1/canaries"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- processes


def proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


class RssSampler(threading.Thread):
    """Peak RSS of a process, sampled every 0.2 s until stopped or reset."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self):
        while self.running:
            try:
                self.peak = max(self.peak, proc_rss_mib(self.pid))
            except OSError:
                return
            time.sleep(0.2)


# ---------------------------------------------------------------- the operator's metrics


def http_get(url, timeout=5):
    u = urllib.parse.urlparse(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request("GET", u.path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


class RequestSampler(threading.Thread):
    """The operator's API requests by verb and its CPU seconds, sampled every 0.5 s: [(t, {verb: n}, cpu)]."""

    def __init__(self, op):
        super().__init__(daemon=True)
        self.op, self.samples, self.running = op, [], True

    def run(self):
        while self.running:
            try:
                t = time.time()
                samples = scrape(self.op.url)
                verbs = by_label(samples, "aviary_kube_api_requests_total", "verb")
                verbs["reconcile"] = total(samples, "aviary_reconcile_duration_seconds_count")
                self.samples.append((t, verbs, self.op.cpu()))
            except OSError:
                pass
            time.sleep(0.5)

    def at(self, t):
        """The last sample taken at or before t (the first one if none)."""
        best = self.samples[0]
        for sample in self.samples:
            if sample[0] <= t:
                best = sample
        return best


def steady_state(history, t0, sampler, step_weight, max_weight):
    """Requests and CPU per step between two steps of the middle of the releases: from the moment every
    Canary has made its second step until the first one reaches maxWeight or leaves Progressing. Only
    weight steps happen in that window (the clone, the scale-up and the promotion are outside it), so the
    figures are what one step costs. None when the releases were too spread out for such a window."""
    starts, ends, step_times = [], [], []
    for hist in history.values():
        release = [h for h in hist if h[0] >= t0]
        second = [t for t, phase, w in release if phase == "Progressing" and w >= 2 * step_weight]
        last = [t for t, phase, w in release
                if (phase == "Progressing" and w >= max_weight) or phase in ("Promoting", "Finalising",
                                                                            "Succeeded", "Failed")]
        if not second or not last:
            return None
        starts.append(min(second))
        ends.append(min(last))
        prev = None
        for t, phase, w in release:
            if phase == "Progressing" and prev is not None and w != prev:
                step_times.append(t)
            if phase == "Progressing":
                prev = w
    a, b = max(starts), min(ends)
    # Whole sampling periods inside [a, b): the samples bound the window.
    sa, sb = sampler.at(a + 0.5), sampler.at(b)
    if sb[0] - sa[0] < 1:
        return None
    steps = sum(1 for t in step_times if sa[0] <= t < sb[0])
    if steps == 0:
        return None
    verbs = {v: sb[1].get(v, 0) - sa[1].get(v, 0) for v in sb[1]}
    reconciles = verbs.pop("reconcile", 0)
    return {"window_s": round(sb[0] - sa[0], 1), "steps": steps,
            "requests_per_step": {v: round(c / steps, 2) for v, c in sorted(verbs.items()) if c},
            "reconciles_per_step": round(reconciles / steps, 2),
            "cpu_per_step_ms": round(1000.0 * (sb[2] - sa[2]) / steps, 3)}


def scrape(url):
    """The operator's own /metrics: {(name, frozenset(labels)): value}."""
    return parse_exposition(http_get(url + "/metrics")[1])


def by_label(samples, name, label):
    out = {}
    for (n, labels), v in samples.items():
        if n == name:
            key = dict(labels).get(label, "")
            out[key] = out.get(key, 0.0) + v
    return out


def total(samples, name):
    return sum(v for (n, _), v in samples.items() if n == name)


def histogram_delta(before, after, name):
    """The observations a histogram gained between two scrapes: {"count", "p50_le_s", "p99_le_s"}, the
    quantiles as the upper bound of the bucket they fall in (what the exposition can tell)."""
    buckets = {}
    for (n, labels), v in after.items():
        if n == name + "_bucket":
            le = dict(labels)["le"]
            buckets[float("inf") if le == "+Inf" else float(le)] = v - before.get((n, labels), 0.0)
    count = buckets.get(float("inf"), 0.0)
    if not count:
        return {"count": 0}

    def upper(q):
        return next(le for le in sorted(buckets) if buckets[le] >= q * count)
    return {"count": int(count), "p50_le_s": upper(0.5), "p99_le_s": upper(0.99),
            "buckets": {("+Inf" if le == float("inf") else le): int(v) for le, v in sorted(buckets.items())}}


# ---------------------------------------------------------------- the Prometheus responder


class Responder(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    # Every Canary's checks come due in the same second: socketserver's default backlog of 5 refused
    # connections the operator then reported as an unreachable Prometheus (a failed check).
    request_queue_size = 4096


class ResponderHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    queries = 0

    def answer(self, query):
        ResponderHandler.queries += 1
        # A latency check (histogram_quantile, *_time, *duration*) gets 50 ms, anything else 99.9 percent.
        value = "50" if re.search(r"histogram_quantile|duration|_time", query) else "99.9"
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": [time.time(), value]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        self.answer(q.get("query", [""])[0])

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        q = urllib.parse.parse_qs(self.rfile.read(n).decode())
        self.answer(q.get("query", [""])[0])

    def log_message(self, *args):
        pass


# ---------------------------------------------------------------- the workload


def namespace_of(i, per_ns):
    return f"scale-{i // per_ns:04d}"


def deployment(name, ns):
    """A Deployment the size of a real service's (about 2 KB of JSON: probes, resources, env, ports), so the
    operator's caches hold what they would hold in a cluster."""
    container = {
        "name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.5.0", "imagePullPolicy": "IfNotPresent",
        "command": ["./podinfo", "--port=9898", "--port-metrics=9797", "--grpc-port=9999",
                    "--grpc-service-name=podinfo", "--level=info", "--random-delay=false", "--random-error=false"],
        "ports": [{"containerPort": 9898, "name": "http", "protocol": "TCP"},
                  {"containerPort": 9797, "name": "http-metrics", "protocol": "TCP"},
                  {"containerPort": 9999, "name": "grpc", "protocol": "TCP"}],
        "env": [{"name": "PODINFO_UI_COLOR", "value": "#34577c"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 9898}, "initialDelaySeconds": 5,
                          "timeoutSeconds": 5, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 9898}, "initialDelaySeconds": 5,
                           "timeoutSeconds": 5, "periodSeconds": 10, "failureThreshold": 3},
        "resources": {"limits": {"cpu": "2000m", "memory": "512Mi"},
                      "requests": {"cpu": "100m", "memory": "64Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns,
                     "labels": {"app": name, "app.kubernetes.io/part-of": "scale-test"},
                     "annotations": {"sandbox.aviary.io/ready-after": "0s"}},
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 5,
            # Kubernetes' default. 60 s was too short on the real control plane: with 1,000 rollouts at
            # once on 2 cores the Deployment controller marked 154 of them ProgressDeadlineExceeded and
            # Aviary rolled them back, as it should.
            "progressDeadlineSeconds": 600,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name},
                             "annotations": {"revision": "1", "prometheus.io/scrape": "true",
                                             "prometheus.io/port": "9797"}},
                "spec": {"containers": [container], "volumes": [{"name": "data", "emptyDir": {}}],
                         "terminationGracePeriodSeconds": 30},
            },
        },
    }


def canary(name, ns, args):
    return {
        "apiVersion": "aviary.io/v1beta1", "kind": "Canary",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "provider": "istio",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "service": {"port": 9898},
            "analysis": {
                "interval": f"{args.interval}s", "threshold": 5,
                "stepWeight": args.step_weight, "maxWeight": args.max_weight,
                "metrics": [
                    {"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"},
                    {"name": "request-duration", "thresholdRange": {"max": 500}, "interval": "30s"},
                ],
            },
        },
    }


class CanaryWatch(threading.Thread):
    """Follows every Canary's status: when each phase and weight was first seen."""

    def __init__(self, api):
        super().__init__(daemon=True)
        self.api = api
        self.lock = threading.Lock()
        self.state = {}        # key -> (phase, weight)
        self.history = {}      # key -> [(t, phase, weight)]
        self.error = None

    def observe(self, obj, t):
        md, st = obj["metadata"], obj.get("status") or {}
        key = md["namespace"] + "/" + md["name"]
        now = (st.get("phase", ""), st.get("canaryWeight", 0))
        with self.lock:
            if self.state.get(key) != now:
                self.state[key] = now
                self.history.setdefault(key, []).append((t, now[0], now[1]))

    def run(self):
        try:
            listed = self.api.request("GET", CANARIES)
            for item in listed["items"]:
                self.observe(item, time.time())
            rv = listed["metadata"]["resourceVersion"]
            while True:
                c = self.api.connect(timeout=3600)
                c.request("GET", f"{CANARIES}?watch=1&allowWatchBookmarks=true&resourceVersion={rv}")
                r = c.getresponse()
                for line in r:
                    if not line.strip():
                        continue
                    ev = json.loads(line)
                    if ev["type"] == "ERROR":
                        raise RuntimeError(f"watch: {ev}")
                    rv = ev["object"]["metadata"].get("resourceVersion", rv)
                    if ev["type"] in ("ADDED", "MODIFIED"):
                        self.observe(ev["object"], time.time())
        except Exception as e:  # reported by the waits below
            self.error = e

    def count(self, phases):
        with self.lock:
            return sum(1 for p, _ in self.state.values() if p in phases)

    def wait(self, phases, n, timeout, what):
        start = time.time()
        last_report = start
        while time.time() - start < timeout:
            if self.error:
                raise RuntimeError(f"the Canary watch failed: {self.error}")
            done = self.count(phases)
            if done >= n:
                return time.time() - start
            if time.time() - last_report > 15:
                log(f"  {what}: {done}/{n}")
                last_report = time.time()
            time.sleep(0.1)
        with self.lock:
            seen = {}
            for p, _ in self.state.values():
                seen[p] = seen.get(p, 0) + 1
        raise RuntimeError(f"{what}: not all {n} within {timeout}s; phases seen: {seen}")


# ---------------------------------------------------------------- the run


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


class Operator:
    def __init__(self, args, work, kubeconfig, prometheus_url, tag):
        self.log_path = os.path.join(work, f"aviary-{tag}.log")
        cmd = shlex.split(args.operator_prefix) + [
               os.path.join(args.build_dir, "operator", "aviary"), "--kubeconfig", kubeconfig,
               "--metrics-server", prometheus_url, "--listen-address", "127.0.0.1:0",
               "--leader-elect=false", "--workers", str(args.workers)]
        if args.kube_api_qps is not None:
            cmd += ["--kube-api-qps", str(args.kube_api_qps)]
        if args.kube_api_burst is not None:
            cmd += ["--kube-api-burst", str(args.kube_api_burst)]
        self.started = time.time()
        self.proc = subprocess.Popen(cmd, stdout=open(self.log_path, "w"),
                                     stderr=subprocess.STDOUT)
        self.url = wait_for_line(self.log_path, r"metrics and health at (http://\S+)").group(1)
        self.rss = RssSampler(self.proc.pid)
        self.rss.start()

    def wait_ready(self, timeout=600):
        while time.time() - self.started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the operator exited ({self.proc.returncode}); see {self.log_path}")
            try:
                if http_get(self.url + "/readyz")[0] == 200:
                    return time.time() - self.started
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("the operator was not ready in time")

    def cpu(self):
        return proc_cpu_seconds(self.proc.pid)

    def stop(self):
        self.rss.running = False
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run(args):
    work = tempfile.mkdtemp(prefix="aviary-scale-")
    procs = []
    report = {"n": args.n, "namespaces": -(-args.n // args.per_namespace), "interval_s": args.interval,
              "step_weight": args.step_weight, "max_weight": args.max_weight, "workers": args.workers,
              "prometheus": args.prometheus, "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    bed = KubeBed(args, work) if args.bed == "kube" else SandboxBed(args, work)
    report["bed"] = bed.name
    if bed.name == "kube":
        report["control_plane_qps"] = args.control_plane_qps
    try:
        bed.start()
        prometheus_url = bed.prometheus_url
        if prometheus_url is None:
            responder = Responder(("127.0.0.1", 0), ResponderHandler)
            threading.Thread(target=responder.serve_forever, daemon=True).start()
            prometheus_url = f"http://127.0.0.1:{responder.server_address[1]}"
        api = bed.api
        log(f"{bed.name} API server at {bed.url}, metric queries answered by "
            f"{'the real Prometheus at ' + prometheus_url if args.prometheus == 'real' else 'the harness (' + prometheus_url + ')'}")

        watch = CanaryWatch(api)
        watch.start()

        op = Operator(args, work, bed.operator_kubeconfig, prometheus_url, "first")
        procs.append(op.proc)
        report["ready_empty_s"] = op.wait_ready()
        time.sleep(2)
        report["rss_idle_mib"] = proc_rss_mib(op.proc.pid)
        log(f"operator ready in {report['ready_empty_s']:.2f}s, RSS {report['rss_idle_mib']:.1f} MiB")

        # N Deployments and Canaries.
        names = [(namespace_of(i, args.per_namespace), f"app-{i:05d}") for i in range(args.n)]
        for ns in sorted({ns for ns, _ in names}):
            api.request("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        cpu0 = op.cpu()
        init_before = by_label(scrape(op.url), "aviary_kube_api_requests_total", "verb")
        t0 = time.time()

        def create(item):
            ns, name = item
            c = canary(name, ns, args)
            if args.prometheus == "real":  # live traffic for the real Prometheus to measure
                c["spec"]["service"]["apex"] = {"annotations": {"sandbox.aviary.io/rps": "20"}}
            api.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment(name, ns))
            api.request("POST", f"/apis/aviary.io/v1beta1/namespaces/{ns}/canaries", c)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create, names))
        report["create_s"] = time.time() - t0
        log(f"created {args.n} Deployments and Canaries in {report['create_s']:.1f}s")
        watch.wait({"Initialized"}, args.n, args.timeout, "Initialized")
        report["initialized_s"] = time.time() - t0
        report["init_cpu_s"] = op.cpu() - cpu0
        init_after = by_label(scrape(op.url), "aviary_kube_api_requests_total", "verb")
        report["init_requests_per_canary"] = {
            v: round((c - init_before.get(v, 0)) / args.n, 2) for v, c in sorted(init_after.items())
            if c - init_before.get(v, 0)}
        time.sleep(2)
        report["rss_initialized_mib"] = proc_rss_mib(op.proc.pid)
        log(f"all {args.n} Initialized {report['initialized_s']:.1f}s after the first create; "
            f"operator CPU {report['init_cpu_s']:.1f}s, RSS {report['rss_initialized_mib']:.1f} MiB; "
            f"requests per Canary {report['init_requests_per_canary']}")

        # A new revision on every Deployment at once.
        before = scrape(op.url)
        queries0 = ResponderHandler.queries
        server_cpu0, apf0 = bed.server_cpu(), flowcontrol(bed.server_metrics())
        cpu0 = op.cpu()
        op.rss.peak = 0.0
        t0 = time.time()

        def bump(item):
            ns, name = item
            api.request("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/{name}",
                        {"spec": {"template": {"metadata": {"annotations": {"revision": "2"}}}}},
                        content_type="application/merge-patch+json")

        sampler = RequestSampler(op)
        sampler.start()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(bump, names))
        log(f"new revision on all {args.n} Deployments in {time.time() - t0:.1f}s; following the releases")
        # A rolled-back release is over too: counted in `failed`, never waited for until the timeout.
        watch.wait({"Succeeded", "Failed"}, args.n, args.timeout, "Succeeded or Failed")
        report["release_s"] = time.time() - t0
        report["release_cpu_s"] = op.cpu() - cpu0
        report["release_server_cpu_s"] = bed.server_cpu() - server_cpu0
        report["apf"] = flowcontrol_delta(apf0, flowcontrol(bed.server_metrics())) if bed.name == "kube" else None
        report["rss_peak_mib"] = op.rss.peak
        after = scrape(op.url)
        sampler.running = False
        report["prometheus_queries"] = ResponderHandler.queries - queries0 if args.prometheus != "real" else None

        # Steps and their lateness, from the watch's history of the release.
        # The first step (weight 0 -> stepWeight) also waits for the canary's pods to become ready, which on
        # the real control plane is kube-controller-manager's, the scheduler's and kwok's work: its lateness
        # is reported apart too (the later steps wait on the operator and the API server alone).
        lateness, later, steps, failed = [], [], 0, 0
        with watch.lock:
            for key, hist in watch.history.items():
                release = [h for h in hist if h[0] >= t0]
                # A step is a change of the canary's weight while it progresses (the planner's step).
                moves = [h for h in release if h[1] == "Progressing"]
                prev = None  # (time, weight) of the last step
                for t, _, weight in moves:
                    if prev is not None and weight != prev[1]:
                        steps += 1
                        lateness.append(t - prev[0] - args.interval)
                        if prev[1] > 0:
                            later.append(t - prev[0] - args.interval)
                    if prev is None or weight != prev[1]:
                        prev = (t, weight)
                if any(h[1] == "Failed" for h in release):
                    failed += 1
        planned = (args.max_weight // args.step_weight)
        report["steps"] = steps
        report["failed"] = failed
        report["lateness_p50_s"] = percentile(lateness, 50)
        report["lateness_p99_s"] = percentile(lateness, 99)
        report["lateness_max_s"] = max(lateness) if lateness else float("nan")
        report["later_steps_lateness_p50_p99_max_s"] = [percentile(later, 50), percentile(later, 99),
                                                         max(later) if later else float("nan")]
        report["planned_release_s"] = planned * args.interval
        report["cpu_per_step_ms"] = 1000.0 * report["release_cpu_s"] / max(1, steps)
        report["server_cpu_per_step_ms"] = 1000.0 * report["release_server_cpu_s"] / max(1, steps)

        reqs_before = by_label(before, "aviary_kube_api_requests_total", "verb")
        reqs_after = by_label(after, "aviary_kube_api_requests_total", "verb")
        per_verb = {v: reqs_after.get(v, 0) - reqs_before.get(v, 0) for v in reqs_after}
        report["requests_by_verb"] = {v: int(c) for v, c in sorted(per_verb.items()) if c}
        report["requests_per_step"] = {v: round(c / max(1, steps), 2) for v, c in report["requests_by_verb"].items()}
        t_before = by_label(before, "aviary_kube_client_throttle_seconds_total", "client")
        t_after = by_label(after, "aviary_kube_client_throttle_seconds_total", "client")
        report["throttle_s"] = {c: round(v - t_before.get(c, 0.0), 2) for c, v in sorted(t_after.items())}
        # The operator's own account of the same (aviary_canary_step_lateness_seconds: from each step's due
        # time to its decision, the release's first step left out), as a production dashboard sees it.
        report["operator_step_lateness"] = histogram_delta(before, after, "aviary_canary_step_lateness_seconds")
        # How long the metric checks' answers took (the responder, or the real Prometheus), a part of it.
        report["prometheus_query_duration"] = histogram_delta(before, after,
                                                              "aviary_prometheus_query_duration_seconds")
        c_before = by_label(before, "aviary_kube_api_requests_total", "code")
        c_after = by_label(after, "aviary_kube_api_requests_total", "code")
        report["answers_by_code"] = {c: int(v - c_before.get(c, 0)) for c, v in sorted(c_after.items())
                                     if v - c_before.get(c, 0)}
        with watch.lock:
            report["steady_state"] = steady_state(watch.history, t0, sampler, args.step_weight, args.max_weight)
        if report["steady_state"]:
            log(f"steady state (mid-release steps only): {report['steady_state']}")
        log(f"all released in {report['release_s']:.1f}s (planned {report['planned_release_s']}s); "
            f"{steps} steps, lateness p50 {report['lateness_p50_s']:.2f}s p99 {report['lateness_p99_s']:.2f}s "
            f"max {report['lateness_max_s']:.2f}s (after the first step: "
            f"{' / '.join(f'{x:.2f}' for x in report['later_steps_lateness_p50_p99_max_s'])}s); "
            f"CPU {report['release_cpu_s']:.1f}s "
            f"({report['cpu_per_step_ms']:.2f} ms/step); peak RSS {report['rss_peak_mib']:.1f} MiB")
        log(f"the {bed.name} API server's CPU: {report['release_server_cpu_s']:.1f}s "
            f"({report['server_cpu_per_step_ms']:.2f} ms/step); the operator's answers by code "
            f"{report['answers_by_code']}; client throttling {report['throttle_s']}; the operator's own step "
            f"lateness {report['operator_step_lateness']}; metric queries {report['prometheus_query_duration']}")
        if report["apf"] is not None:
            log(f"API Priority and Fairness by priority level: {report['apf']}")

        # A restart with N Canaries in place.
        op.stop()
        op = Operator(args, work, bed.operator_kubeconfig, prometheus_url, "restart")
        procs.append(op.proc)
        report["restart_ready_s"] = op.wait_ready()
        start = op.started
        while time.time() - start < args.timeout:
            s = scrape(op.url)
            reconciled = total(s, "aviary_reconcile_duration_seconds_count")
            depth = total(s, "aviary_workqueue_depth")
            if reconciled >= args.n and depth == 0:
                break
            time.sleep(0.1)
        report["restart_settled_s"] = time.time() - start
        report["restart_cpu_s"] = op.cpu()
        report["rss_restart_mib"] = proc_rss_mib(op.proc.pid)
        log(f"restart: ready in {report['restart_ready_s']:.2f}s, every Canary reconciled and the queue empty "
            f"after {report['restart_settled_s']:.1f}s, RSS {report['rss_restart_mib']:.1f} MiB")
        op.stop()
        return report
    finally:
        for p in procs:  # the operators first, then the API server they talk to
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        bed.stop()
        if args.keep:
            log(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="number of Canaries")
    p.add_argument("--per-namespace", type=int, default=100, help="Canaries per namespace")
    p.add_argument("--interval", type=int, default=10, help="analysis interval (s)")
    p.add_argument("--step-weight", type=int, default=10)
    p.add_argument("--max-weight", type=int, default=50)
    p.add_argument("--workers", type=int, default=2, help="the operator's --workers")
    p.add_argument("--kube-api-qps", type=float, default=None, help="the operator's --kube-api-qps")
    p.add_argument("--kube-api-burst", type=int, default=None, help="the operator's --kube-api-burst")
    p.add_argument("--bed", choices=["sandbox", "kube"], default="sandbox",
                   help="the API server: Aviary's sandbox, or the real control plane (kube-apiserver, etcd, "
                        "kube-controller-manager, kube-scheduler, kwok; the operator under its ServiceAccount)")
    p.add_argument("--control-plane-qps", type=int, default=500,
                   help="--bed kube: kube-controller-manager's and kube-scheduler's --kube-api-qps (burst twice "
                        "that); their defaults (20, 50) make the Deployment controller the bottleneck at 1,000")
    p.add_argument("--prometheus", choices=["responder", "real"], default="responder")
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed for each phase")
    p.add_argument("--build-dir", default=os.path.join(here, "..", "..", "build"))
    p.add_argument("--source-dir", default=os.path.join(here, "..", ".."))
    p.add_argument("--json", help="also write the report here")
    p.add_argument("--keep", action="store_true", help="keep the logs")
    p.add_argument("--operator-prefix", default="",
                   help="a command the operator runs under, e.g. 'heaptrack -o /tmp/aviary' (a profile; the "
                        "CPU and RSS reported are then the wrapper's)")
    args = p.parse_args()
    # A SIGTERM (a timeout, a Ctrl-C from a wrapper) still stops what the run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.bed == "kube" and args.prometheus == "real":
        p.error("--bed kube answers metric queries with the responder (the real Prometheus runs on the sandbox)")
    report = run(args)
    print(json.dumps(report, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    ok = report["failed"] == 0 and report["steps"] >= args.n * (args.max_weight // args.step_weight - 1)
    if args.prometheus == "responder":
        ok = ok and report["prometheus_queries"] > 0
    if not ok:
        print("scale: some releases failed or their steps were not seen", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
