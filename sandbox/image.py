"""The CPU sandbox image: built offline (debootstrap + the local torch wheel + the harness), cached by recipe hash.

No registry is reachable on the project's machines, so the image is made from a minimal
Debian root filesystem (``debootstrap --variant=minbase``), the CPU torch wheel lying on the
machine (installed with the host's pip into the rootfs, dependencies from a wheelhouse), and
the harness; then ``docker import``ed and tagged ``stylearena-sandbox:<recipe-hash>`` and
``:latest``. A build whose recipe hash is already tagged is a no-op. Downloaded .debs and
wheels are cached outside the repository (``/var/cache/stylearena`` by default).
Building needs root (debootstrap, chroot); running sandboxes does not.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from docker.errors import APIError, DockerException, ImageNotFound

from arena.core.settings import Settings
from sandbox.container import IDLE_UID, SANDBOX_UID
from sandbox.engine import connect
from sandbox.environment import DEBIAN_PACKAGES, DEBIAN_SUITE, TORCH_WHEEL
from sandbox.errors import ImageBuildError, SandboxUnavailable
from sandbox.recipes import BASE_VERSION
# The harness files are listed where ``stylearena check`` also runs them without Docker.
from sandbox import local
from sandbox.local import HARNESS_DIR


def harness_sources() -> list[Path]:
    """Every file baked into /opt/stylearena (``sandbox.local.harness_sources`` of HARNESS_DIR)."""
    return local.harness_sources(HARNESS_DIR)


# Bump (in sandbox.recipes, the base recipe's version) when the build steps below change in a way
# the recipe fields do not capture.
RECIPE_VERSION = BASE_VERSION
REPOSITORY = "stylearena-sandbox"
DEFAULT_CACHE_DIR = Path("/var/cache/stylearena")
DEFAULT_WHEEL = TORCH_WHEEL
SITE_PACKAGES = "usr/local/lib/python3.11/dist-packages"
# Big parts of the wheel nothing at inference time uses (headers, C++ test binaries).
_TRIM = ("include", "test", "share/cmake")
_ROOTFS_TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt", "var/lib/apt/lists")


@dataclass(frozen=True)
class ImageRecipe:
    """Everything that decides the image's contents; its hash names the image."""

    suite: str = DEBIAN_SUITE
    packages: tuple[str, ...] = DEBIAN_PACKAGES
    torch_wheel: Path = DEFAULT_WHEEL
    mirror: str = field(default="", compare=False)

    def digest(self) -> str:
        """The recipe hash: suite, packages, wheel identity, harness sources, recipe version."""
        h = hashlib.sha256()
        fields = asdict(self)
        fields.pop("mirror")  # any mirror serves the same suite
        wheel = Path(self.torch_wheel)
        fields["torch_wheel"] = [wheel.name, wheel.stat().st_size if wheel.exists() else None]
        h.update(json.dumps({"version": RECIPE_VERSION, **fields}, sort_keys=True, default=str).encode())
        for path in harness_sources():
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()[:16]


def apt_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror apt is configured with (deb822 ``URIs:`` or one-line ``deb`` entries)."""
    files = sorted(sources.glob("sources.list.d/*.sources")) + [sources / "sources.list"]
    files += sorted(sources.glob("sources.list.d/*.list"))
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for match in re.finditer(r"^URIs:\s*(\S+)", text, re.M):
            if "security" not in match.group(1) and "debian" in match.group(1):
                return match.group(1)
        for match in re.finditer(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+", text, re.M):
            if "security" not in match.group(1) and "debian" in match.group(1):
                return match.group(1)
    return "http://deb.debian.org/debian"


def ensure_image(settings: Settings, cache_dir: Path = DEFAULT_CACHE_DIR, log: Callable[[str], None] | None = None) -> str:
    """The id of ``settings.sandbox.image``, building the CPU image first when it is ours and missing.

    Images of other repositories (e.g. a production GPU image) are only looked up, never
    built or pulled.

    Raises:
        SandboxUnavailable: Docker is down, or a foreign image is missing.
        ImageBuildError: building failed (the message names the step).
    """
    name = settings.sandbox.image
    repository, _, tag = name.rpartition(":") if ":" in name.split("/")[-1] else (name, "", "latest")
    client = connect(settings.docker_host, timeout=900)
    if repository != REPOSITORY:
        try:
            return client.images.get(name).id
        except ImageNotFound as exc:
            raise SandboxUnavailable("image_missing", f"Sandbox image {name!r} is not on this Docker Engine; load or build it.") from exc
    recipe = ImageRecipe(mirror=apt_mirror())
    image_id = build_image(settings.docker_host, recipe, cache_dir, log=log)
    if tag and tag != recipe.digest():
        client.images.get(image_id).tag(REPOSITORY, tag)
    return image_id


def build_image(docker_host: str, recipe: ImageRecipe, cache_dir: Path = DEFAULT_CACHE_DIR,
                log: Callable[[str], None] | None = None, force: bool = False) -> str:
    """Build (or find) the image of ``recipe``; tag it ``<hash>`` and ``latest``; return its id.

    Raises:
        ImageBuildError: a step failed; the message says which and what to check.
        SandboxUnavailable: Docker is down.
    """
    say = log or (lambda message: None)
    client = connect(docker_host, timeout=900)
    digest = recipe.digest()
    ref = f"{REPOSITORY}:{digest}"
    if not force:
        found = _existing(client, ref)
        if found:
            client.images.get(found).tag(REPOSITORY, "latest")
            return found
    _preflight(recipe, cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time per machine
        found = None if force else _existing(client, ref)
        if found:
            return found
        work = cache_dir / "build" / digest
        _remove_tree(work)
        rootfs = work / "rootfs"
        rootfs.mkdir(parents=True)
        try:
            say(f"debootstrap {recipe.suite} from {recipe.mirror or apt_mirror()}")
            _debootstrap(recipe, rootfs, cache_dir, work)
            say("installing the torch wheel and its dependencies")
            _install_torch(recipe, rootfs, cache_dir, work)
            say("installing the harness")
            _finish_rootfs(rootfs, digest)
            say(f"docker import as {ref}")
            image_id = _import(client, rootfs, digest)
        finally:
            _remove_tree(work)
    client.images.get(image_id).tag(REPOSITORY, "latest")
    _prune_old(client, image_id, say)
    return image_id


def _prune_old(client, keep_id: str, say: Callable[[str], None]) -> None:
    """Remove images of earlier recipes (about 1 GB each); ones still in use are kept."""
    for image in client.images.list(name=REPOSITORY):
        if image.id == keep_id:
            continue
        for tag in image.tags:
            try:
                client.images.remove(tag, noprune=False)
                say(f"removed old image {tag}")
            except APIError:
                pass  # a container still uses it; a later build retries


def _remove_tree(path: Path) -> None:
    """Delete a build directory, first unmounting anything debootstrap left mounted in it.

    An interrupted debootstrap can leave /proc, /sys or bind-mounted device nodes inside the
    rootfs; removing through those would delete on the host.
    """
    prefix = str(path.resolve()) + "/"
    mounts = []
    with open("/proc/self/mountinfo", encoding="utf-8") as fh:
        for line in fh:
            point = line.split()[4].replace("\\040", " ")
            if point.startswith(prefix):
                mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


def _existing(client, ref: str) -> str | None:
    try:
        return client.images.get(ref).id
    except ImageNotFound:
        return None
    except DockerException as exc:
        raise SandboxUnavailable("docker_unavailable", f"Docker Engine error: {exc}") from exc


def _preflight(recipe: ImageRecipe, cache_dir: Path) -> None:
    if os.geteuid() != 0:
        raise ImageBuildError("needs_root", "Building the sandbox image needs root (debootstrap, chroot): run `sudo stylearena sandbox build-image`.")
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("missing_tool", "debootstrap is not installed: `apt-get install debootstrap` (scripts/services.sh start docker installs it).")
    if not Path(recipe.torch_wheel).is_file():
        raise ImageBuildError("missing_wheel", f"The CPU torch wheel {recipe.torch_wheel} is missing; put it there or pass --wheel.")
    if sys.version_info[:2] != (3, 11):
        raise ImageBuildError("wrong_python", "The image is built with a Python 3.11 pip (the rootfs has Python 3.11).")


def _run(step: str, cmd: list[str], log_file: Path, hint: str) -> None:
    """Run one build command, its output in ``log_file``; fail with the log's tail and a hint."""
    with log_file.open("wb") as out:
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log_file.read_text(errors="replace")[-1500:]
        raise ImageBuildError(f"{step}_failed", f"{step} failed (exit {result.returncode}); {hint}\n--- {log_file} ---\n{tail}")


def _debootstrap(recipe: ImageRecipe, rootfs: Path, cache_dir: Path, work: Path) -> None:
    debs = cache_dir / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    mirror = recipe.mirror or apt_mirror()
    _run(
        "debootstrap",
        ["debootstrap", "--variant=minbase", f"--include={','.join(recipe.packages)}", f"--cache-dir={debs}",
         recipe.suite, str(rootfs), mirror],
        work / "debootstrap.log",
        f"check that the mirror {mirror} is reachable (apt-get update) and the suite exists.",
    )


def _install_torch(recipe: ImageRecipe, rootfs: Path, cache_dir: Path, work: Path) -> None:
    wheels = cache_dir / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = Path(recipe.torch_wheel)
    target = rootfs / SITE_PACKAGES
    platform = ["--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                "--platform", "manylinux_2_28_x86_64"]
    requirement = wheel.name.split("-")[0] + "==" + wheel.name.split("-")[1]
    if not (wheels / wheel.name).exists():
        shutil.copy2(wheel, wheels / wheel.name)
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(wheels),
               "--target", str(target), *platform, requirement]
    # Offline first (cached wheelhouse); on a fresh machine fill the wheelhouse from the index.
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        _run("pip_download",
             [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(wheels), "--find-links", str(wheels),
              *platform, requirement],
             work / "pip-download.log", "torch's dependencies must be downloadable from the package index once.")
        _run("pip_install", install, work / "pip-install.log", "see the pip log.")
    torch_dir = target / "torch"
    for part in _TRIM:
        shutil.rmtree(torch_dir / part, ignore_errors=True)


def _finish_rootfs(rootfs: Path, digest: str) -> None:
    for part in _ROOTFS_TRIM:
        shutil.rmtree(rootfs / part, ignore_errors=True)
    (rootfs / "var/cache/apt").mkdir(parents=True, exist_ok=True)
    opt = rootfs / "opt/stylearena"
    opt.mkdir(parents=True, exist_ok=True)
    for path in harness_sources():
        shutil.copyfile(path, opt / path.name)
        (opt / path.name).chmod(0o644)
    with (rootfs / "etc/passwd").open("a") as fh:
        fh.write(f"sandbox:x:{SANDBOX_UID}:{SANDBOX_UID}:sandbox:/tmp:/usr/sbin/nologin\n")
    with (rootfs / "etc/group").open("a") as fh:
        fh.write(f"sandbox:x:{SANDBOX_UID}:\n")
    (rootfs / "etc/stylearena-recipe").write_text(digest + "\n")
    # No setuid/setgid programs at all (no-new-privileges already neuters them).
    for path in rootfs.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o6000:
            path.chmod(path.stat().st_mode & ~0o6000)


def _import(client, rootfs: Path, digest: str) -> str:
    """``tar`` the rootfs straight into ``docker import`` (no temporary tarball)."""
    tar = subprocess.Popen(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", "-", "."],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    changes = [
        f"USER {IDLE_UID}:{IDLE_UID}", "WORKDIR /tmp", "ENV PATH=/usr/local/bin:/usr/bin:/bin",
        'CMD ["sleep", "infinity"]', f"LABEL stylearena.recipe={digest}",
    ]
    try:
        client.api.import_image(src=tar.stdout, repository=REPOSITORY, tag=digest, changes=changes, stream_src=True)
    except DockerException as exc:
        tar.kill()
        raise ImageBuildError("import_failed", f"docker import failed: {exc}") from exc
    finally:
        _, err = tar.communicate()
    if tar.returncode != 0:
        raise ImageBuildError("import_failed", f"tar of the rootfs failed: {err.decode(errors='replace')[-500:]}")
    try:
        return client.images.get(f"{REPOSITORY}:{digest}").id
    except ImageNotFound as exc:
        raise ImageBuildError("import_failed", "docker import reported success but the image is missing.") from exc
