"""What a generator can reach: no network, no secrets, no writable inputs, no privileges."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sandbox.examples import write_image_set

pytestmark = pytest.mark.docker


def test_tcp_and_dns_egress_fail(run_attack):
    result = run_attack("""
        for host, port in [("1.1.1.1", 53), ("8.8.8.8", 443), ("172.17.0.1", 2375), ("10.0.2.2", 80)]:
            try:
                socket.create_connection((host, port), timeout=2).close()
                print(f"EGRESS-OK {host}")
            except OSError as exc:
                print(f"egress-blocked {host} {exc.errno}")
        try:
            socket.getaddrinfo("deb.debian.org", 80)
            print("DNS-OK")
        except OSError as exc:
            print(f"dns-blocked {exc}")
        print("interfaces", sorted(name for _, name in socket.if_nameindex()))
    """)
    assert "EGRESS-OK" not in result.log and "DNS-OK" not in result.log
    assert result.log.count("egress-blocked") == 4 and "dns-blocked" in result.log
    assert "interfaces ['lo']" in result.log


def test_canaries_in_worker_secrets_are_unreachable(run_attack, image_set, tmp_path, monkeypatch):
    canary = "CANARY-" + os.urandom(8).hex()
    # Planted right beside what is mounted: reference statistics next to the image set, another
    # submission next to this one (only the one file is mounted), and the worker's environment.
    stats = image_set.parent / "refstats.npz"
    stats.write_text(canary)
    other = tmp_path / "other-submission.pt"
    other.write_text(canary)
    monkeypatch.setenv("STYLEARENA_SECRET_KEY", canary)
    result = run_attack(f"""
        canary = "{canary[:7]}" + "{canary[7:]}"  # split so the generator's own source does not match
        found, scanned = [], 0
        if canary in repr(dict(os.environ)):
            found.append("environ")
        for root, dirs, files in os.walk("/"):
            if root.startswith(("/proc", "/sys", "/usr/lib", "/usr/local/lib", "/usr/share", "/tmp/package")):
                dirs[:] = []
                continue
            for name in files + dirs:
                path = os.path.join(root, name)
                if canary in path or name in ("refstats.npz", "other-submission.pt"):
                    found.append(path)
                try:
                    if os.path.isfile(path) and not os.path.islink(path) and os.path.getsize(path) < 1_000_000:
                        scanned += 1
                        with open(path, "rb") as fh:
                            if canary.encode() in fh.read():
                                found.append(path)
                except OSError:
                    pass
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if canary.encode() in open(f"/proc/{{pid}}/environ", "rb").read():
                        found.append(f"/proc/{{pid}}/environ")
                except OSError:
                    pass
        print("scanned", scanned, "found", found)
    """)
    assert "found []" in result.log, result.log
    scanned = int(result.log.split("scanned ")[1].split()[0])
    assert scanned > 100  # the scan really ran over the container's files


def test_inputs_submission_and_root_are_read_only(run_attack, tmp_path: Path):
    # World-writable on the host, so that EROFS (not EACCES) proves the mounts are read-only.
    inputs = write_image_set(tmp_path / "writable-set", n_pairs=2, size=(32, 24))
    for path in [inputs, *inputs.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)
    result = run_attack("""
        import glob
        targets = ["/inputs/pairs.csv", "/inputs/new.txt", "/submission/generator", "/opt/stylearena/harness.py", "/etc/evil", "/usr/bin/evil"]
        for target in targets:
            try:
                with open(target, "a") as fh:
                    fh.write("x")
                print(f"WROTE {target}")
            except OSError as exc:
                print(f"write-failed {target} {errno.errorcode.get(exc.errno)}")
        try:
            os.remove("/inputs/pairs.csv")
            print("REMOVED")
        except OSError as exc:
            print(f"remove-failed {errno.errorcode.get(exc.errno)}")
    """, inputs=inputs, world_writable=True)
    assert "WROTE" not in result.log and "REMOVED" not in result.log
    assert result.log.count("EROFS") == 6, result.log
    assert "write-failed /inputs/pairs.csv EROFS" in result.log
    assert "write-failed /submission/generator EROFS" in result.log


def test_no_capabilities_and_no_new_privileges(run_attack):
    result = run_attack("""
        status = open("/proc/self/status").read()
        for line in status.splitlines():
            if line.startswith(("Cap", "NoNewPrivs", "Seccomp:", "Uid:")):
                print("status", line.replace("\\t", " "))
    """)
    lines = {line.split()[1].rstrip(":"): line.split()[2:] for line in result.log.splitlines() if line.startswith("status ")}
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert lines[cap] == ["0000000000000000"], (cap, result.log)
    assert lines["NoNewPrivs"] == ["1"] and lines["Seccomp"] == ["2"]
    assert lines["Uid"][0] != "0"


def test_no_docker_socket_inside(run_attack):
    result = run_attack("""
        import stat
        sockets = []
        for root, dirs, files in os.walk("/"):
            if root.startswith(("/proc", "/sys")):
                dirs[:] = []
                continue
            for name in files:
                try:
                    if stat.S_ISSOCK(os.lstat(os.path.join(root, name)).st_mode):
                        sockets.append(os.path.join(root, name))
                except OSError:
                    pass
        print("sockets", sockets, "docker-sock-paths", [p for p in ("/var/run/docker.sock", "/run/docker.sock") if os.path.exists(p)])
        print("docker-env", [k for k in os.environ if "DOCKER" in k])
    """)
    assert "sockets [] docker-sock-paths []" in result.log and "docker-env []" in result.log


def test_pickle_payload_never_runs_on_the_host(run_attack, tmp_path: Path):
    """A checkpoint with a __reduce__ payload: host validation lists it, never unpickles it."""
    import pickle

    from sandbox.examples import write_package
    from sandbox.upload import validate_upload

    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    checkpoint = pickle.dumps({"weights": Payload()})
    package = write_package(tmp_path / "p.zip", {"generator.py": "def Stylizer(content, style):\n    return content\n",
                                                 "weights.pkl": checkpoint})
    info = validate_upload(package, 10 << 20)
    assert info.format.value == "package" and not marker.exists()
    # Inside the sandbox the participant's own code may unpickle it: the host path is not there.
    result = run_attack("""
        import pickle
        try:
            pickle.load(open("weights.pkl", "rb"))
            print("unpickled inside the sandbox")
        except OSError as exc:
            print("payload could not reach the host:", exc.errno)
    """, files={"weights.pkl": checkpoint})
    assert "payload could not reach the host" in result.log
    assert not marker.exists()
