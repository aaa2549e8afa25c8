"""Drives the sandbox with the official Python `kubernetes` client (Debian python3-kubernetes).

Usage: python_client_check.py KUBECONFIG. Prints one line per check; exits non-zero on the first failure.
"""
import sys
import threading
import time

from kubernetes import client, config, watch


def main(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    apps = client.AppsV1Api()

    names = [ns.metadata.name for ns in core.list_namespace().items]
    assert "default" in names, names
    print("typed list: namespaces", names)

    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="seed"), data={"k": "v"})
    core.create_namespaced_config_map("default", body)
    listed = core.list_namespaced_config_map("default")
    assert [c.metadata.name for c in listed.items] == ["seed"], listed.items
    print("typed create and list: ok")

    seen = []
    w = watch.Watch()

    def changes():
        time.sleep(0.5)
        cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="watched"), data={"a": "1"})
        core.create_namespaced_config_map("default", cm)
        core.patch_namespaced_config_map("watched", "default", {"data": {"a": "2"}})
        core.delete_namespaced_config_map("watched", "default")

    t = threading.Thread(target=changes)
    t.start()
    # Watch from the list's resourceVersion, so changes made before the stream connects still arrive.
    for event in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=10,
                          resource_version=listed.metadata.resource_version):
        name = event["object"].metadata.name
        if name == "watched":
            seen.append((event["type"], dict(event["object"].data or {})))
        if event["type"] == "DELETED" and name == "watched":
            w.stop()
    t.join()
    types = [s[0] for s in seen]
    assert types == ["ADDED", "MODIFIED", "DELETED"], seen
    assert seen[1][1] == {"a": "2"}, seen
    print("watch: ADDED, MODIFIED, DELETED")

    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py"),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(match_labels={"app": "py"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "py"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="img:1")]))))
    apps.create_namespaced_deployment("default", deployment)
    for _ in range(100):
        d = apps.read_namespaced_deployment_status("py", "default")
        if d.status.available_replicas == 1:
            break
        time.sleep(0.1)
    assert d.status.available_replicas == 1, d.status
    print("deployment became available:", d.status.available_replicas)

    try:
        core.read_namespaced_config_map("missing", "default")
        raise AssertionError("expected a 404")
    except client.exceptions.ApiException as e:
        assert e.status == 404, e
    print("404 as ApiException: ok")


if __name__ == "__main__":
    main(sys.argv[1])
