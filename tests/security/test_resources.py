"""Resource attacks stop at their limits: pids, memory, wall clock, /tmp, output, log."""
from __future__ import annotations

import time

import docker
import pytest

from sandbox.errors import GeneratorCrashed, InvalidOutput, OutOfMemory, SandboxTimeout

pytestmark = pytest.mark.docker


def test_fork_bomb_stops_at_pids_limit(run_attack, limits):
    result = run_attack("""
        children = []
        try:
            for _ in range(10_000):
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                children.append(pid)
        except OSError as exc:
            print(f"fork-stopped after {len(children)} children: {errno.errorcode.get(exc.errno)}", flush=True)
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    """, run_limits=limits.tightened(pids_limit=40))
    assert "fork-stopped after" in result.log, result.log
    forked = int(result.log.split("fork-stopped after ")[1].split()[0])
    assert 0 < forked < 40 and "EAGAIN" in result.log


def test_memory_bomb_is_oom_killed(run_attack, limits):
    with pytest.raises(OutOfMemory) as info:
        run_attack("""
            hog = []
            while True:
                hog.append(bytearray(16 << 20))
                hog[-1][::4096] = b"x" * len(hog[-1][::4096])  # touch every page
        """, run_limits=limits.tightened(memory_mb=384))
    assert info.value.code == "out_of_memory" and not info.value.platform_fault
    assert "384 MB" in info.value.message


def test_spinning_sigterm_ignoring_generator_is_killed_at_deadline(run_attack, limits, docker_host):
    label = f"deadline-{time.monotonic_ns()}"
    started = time.monotonic()
    with pytest.raises(SandboxTimeout) as info:
        run_attack("""
            import signal
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            print("spinning", flush=True)
            while True:
                pass
        """, run_limits=limits.tightened(timeout_s=6), labels={"stylearena.evaluation": label})
    elapsed = time.monotonic() - started
    assert info.value.code == "timeout" and "spinning" in info.value.log
    assert 6 <= elapsed < 20
    client = docker.DockerClient(base_url=docker_host)
    assert client.containers.list(all=True, filters={"label": f"stylearena.evaluation={label}"}) == []


def test_filling_tmp_stops_at_its_cap(run_attack, limits):
    result = run_attack("""
        written = 0
        try:
            with open("/tmp/fill", "wb") as fh:
                while True:
                    fh.write(b"\\0" * (1 << 20))
                    fh.flush()
                    written += 1 << 20
        except OSError as exc:
            print(f"tmp-full after {written >> 20} MB: {errno.errorcode.get(exc.errno)}", flush=True)
        os.remove("/tmp/fill")
    """, run_limits=limits.tightened(tmpfs_mb=32))
    assert "tmp-full after" in result.log, result.log
    assert int(result.log.split("tmp-full after ")[1].split()[0]) <= 32
    assert "ENOSPC" in result.log


def test_filling_the_output_mount_stops_at_its_cap(run_attack, limits):
    with pytest.raises(InvalidOutput) as info:
        run_attack("""
            written = 0
            try:
                os.makedirs("/out/images", exist_ok=True)
                for i in range(10_000):
                    with open(f"/out/images/junk{i}.png", "wb") as fh:
                        fh.write(os.urandom(1 << 20))
                    written += 1 << 20
            except OSError as exc:
                print(f"out-full after {written >> 20} MB: {errno.errorcode.get(exc.errno)}", flush=True)
        """, run_limits=limits.tightened(output_mb=8))
    # The harness cannot write the real outputs into the full mount.
    assert info.value.code == "too_large"
    assert "out-full after" in info.value.log
    assert int(info.value.log.split("out-full after ")[1].split()[0]) <= 8


def test_flooding_stdout_leaves_a_bounded_log(run_attack, limits):
    with pytest.raises(GeneratorCrashed) as info:
        run_attack("""
            chunk = "A" * 65535 + "\\n"
            for _ in range(16384):  # 1 GiB
                sys.stdout.write(chunk)
            sys.stdout.flush()
            raise SystemExit("flooded")
        """, run_limits=limits.tightened(log_bytes=32_000))
    log = info.value.log
    assert len(log.encode()) < 33_000 and "bytes of output dropped" in log
    dropped = int(log.split("[... ")[1].split()[0])
    assert dropped > 1_000_000_000
