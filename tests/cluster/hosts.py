"""A cluster of StyleArena hosts on one machine: Linux network namespaces joined by veth links.

Not a test module; the cluster tests and ``benchmarks/soak.py`` use it. Layout::

    [svc] redis + postgres   [web] gunicorn   [w1] [w2] [w3] workers   (root: the controller)
       \\________________________ veth ________________________/
                              bridge in the [sw] namespace

Every host is its own network namespace with one veth link to a bridge that lives in a
namespace of its own (so the root namespace's routing is touched only by the controller's
link, which goes away with the bridge). Redis and PostgreSQL listen on the services host's
address only; workers and the web process reach them by that address. The Docker Engine
socket and the storage directory are plain paths, shared with every host as an NFS volume
would be (network namespaces do not separate the filesystem). Cutting a host's link is
``ip link set down`` on its bridge port: its TCP connections stall, as in a real partition.

Everything is named ``sa<tag>...``; ``Cluster.close`` kills every process it started and
deletes every namespace, and ``sweep_stale`` removes what a killed run of this module left.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
STYLEARENA = Path(sys.executable).with_name("stylearena")
REDIS_PORT = 6379
PG_PORT = 5432
WEB_PORT = 8000


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a short command (ip, runuser) and fail with its stderr."""
    done = subprocess.run(list(argv), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until truthy; raise AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def netns_available() -> str | None:
    """None if this process may create network namespaces, else why not."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"saprobe{os.getpid()}"
    done = sh("ip", "netns", "add", probe, check=False)
    if done.returncode != 0:
        return f"ip netns add failed: {done.stderr.strip()}"
    sh("ip", "netns", "del", probe, check=False)
    return None


def sweep_stale() -> None:
    """Delete namespaces left by runs of this module whose process is gone (``sa<pid>x...``)."""
    for line in sh("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith("sa") or "-" not in name:
            continue
        pid = name[2:].split("x", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            sh("ip", "netns", "del", name, check=False)


@dataclass
class Process:
    """A process started inside a host (``ip netns exec`` execs it: the pid is the program's)."""

    name: str
    proc: subprocess.Popen
    log_path: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def children(self) -> list[int]:
        try:
            return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            return []

    def kill(self, group: bool = True) -> None:
        """SIGKILL the process (and by default its process group: a worker's horse with it)."""
        if not self.alive():
            return
        try:
            if group:
                os.killpg(self.proc.pid, signal.SIGKILL)
            else:
                self.proc.kill()
        except ProcessLookupError:
            pass
        self.proc.wait(15)

    def terminate(self, timeout: float = 20) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Host:
    """One network namespace with one address on the cluster's bridge."""

    name: str
    netns: str
    address: str
    port: str  # its link's end on the bridge (in the switch namespace)
    cluster: "Network"

    def popen(self, name: str, argv: list[str], env: dict[str, str] | None = None, user: str | None = None) -> Process:
        log_path = self.cluster.log_dir / f"{self.name}-{name}.log"
        log = log_path.open("ab")
        prefix = ["ip", "netns", "exec", self.netns]
        if user:
            prefix += ["runuser", "-u", user, "--"]
        proc = subprocess.Popen(prefix + argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        process = Process(f"{self.name}/{name}", proc, log_path)
        self.cluster.processes.append(process)
        return process

    def run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        return sh("ip", "netns", "exec", self.netns, *argv, check=check)

    def cut(self) -> None:
        """Partition this host: its bridge port goes down (packets dropped, sockets stall)."""
        self.cluster.switch_run("link", "set", self.port, "down")

    def heal(self) -> None:
        self.cluster.switch_run("link", "set", self.port, "up")

    def reachable(self, other: "Host", port: int) -> bool:
        """Whether a TCP connection from this host to ``other:port`` succeeds within 2 s."""
        probe = f"timeout 2 bash -c 'echo > /dev/tcp/{other.address}/{port}'"
        return self.run("bash", "-c", probe, check=False).returncode == 0


@dataclass
class Network:
    """The switch namespace, its bridge, the hosts and the controller's own link."""

    tag: str
    subnet: str  # "10.a.b"
    log_dir: Path
    hosts: dict[str, Host] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    controller_ip: str = ""

    @property
    def switch(self) -> str:
        return f"{self.tag}-sw"

    def switch_run(self, *argv: str) -> None:
        sh("ip", "-n", self.switch, *argv)

    @classmethod
    def create(cls, log_dir: Path) -> "Network":
        sweep_stale()
        # sa<pid>x<hex>: the pid lets sweep_stale recognise leftovers of dead runs.
        tag = f"sa{os.getpid()}x{uuid.uuid4().hex[:3]}"
        routes = sh("ip", "route").stdout
        rng = random.Random()
        while True:
            subnet = f"10.{rng.randint(200, 250)}.{rng.randint(0, 255)}"
            if f"{subnet}." not in routes:
                break
        log_dir.mkdir(parents=True, exist_ok=True)
        net = cls(tag, subnet, log_dir)
        sh("ip", "netns", "add", net.switch)
        net.switch_run("link", "add", "br0", "type", "bridge")
        net.switch_run("link", "set", "br0", "up")
        net.switch_run("link", "set", "lo", "up")
        # The controller (this process) joins from the root namespace; deleting the switch
        # namespace deletes the peer and with it this link.
        ctl, peer = f"{tag}c", f"{tag}cp"
        sh("ip", "link", "add", ctl, "type", "veth", "peer", "name", peer)
        sh("ip", "link", "set", peer, "netns", net.switch)
        net.switch_run("link", "set", peer, "master", "br0")
        net.switch_run("link", "set", peer, "up")
        net.controller_ip = f"{subnet}.1"
        sh("ip", "addr", "add", f"{net.controller_ip}/24", "dev", ctl)
        sh("ip", "link", "set", ctl, "up")
        return net

    def add_host(self, name: str) -> Host:
        index = len(self.hosts) + 2
        netns = f"{self.tag}-{name}"
        a, b = f"{self.tag}{index}a", f"{self.tag}{index}b"
        sh("ip", "netns", "add", netns)
        sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        sh("ip", "link", "set", a, "netns", netns)
        sh("ip", "link", "set", b, "netns", self.switch)
        self.switch_run("link", "set", b, "master", "br0")
        self.switch_run("link", "set", b, "up")
        host = Host(name, netns, f"{self.subnet}.{index}", b, self)
        host.run("ip", "link", "set", "lo", "up")
        host.run("ip", "link", "set", a, "name", "eth0")
        host.run("ip", "addr", "add", f"{host.address}/24", "dev", "eth0")
        host.run("ip", "link", "set", "eth0", "up")
        self.hosts[name] = host
        return host

    def close(self) -> None:
        for process in reversed(self.processes):
            try:
                process.kill()
            except Exception:  # noqa: BLE001 - teardown goes on whatever one process does
                pass
        for host in list(self.hosts.values()):
            sh("ip", "netns", "del", host.netns, check=False)
        sh("ip", "netns", "del", self.switch, check=False)
        sh("ip", "link", "del", f"{self.tag}c", check=False)
        self.hosts.clear()
