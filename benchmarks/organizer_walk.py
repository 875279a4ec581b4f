"""The organizer's path, walked as a new organizer would: an empty platform to a finished rescore.

Usage::

    python -P benchmarks/organizer_walk.py [--pairs 12] [--keep DIR]

Every step is the documented ``stylearena`` command (or, for the participant's upload, the REST
API), run as a subprocess against a fresh platform (its own SQLite database and data folder in a
temporary directory; the project's Redis and Docker Engine from ``scripts/services.sh``, started
first). It prints each command, its wall time and its last output line, then the table of times.
The datasets are real photographs (scikit-image's and matplotlib's samples) and the demo's
generated textures, written as an organizer would prepare them (``datasets/FORMAT.md``).

Steps: db upgrade, organizer and participant accounts, publish the public set and the first
hidden set, create a draft competition and attach them, rules and dates, a baseline, open the
competition, a participant's API upload, a worker scores both, then a new hidden version is
published (staged, the board unchanged), rescored, watched to the end with ``rescore status``,
switched with ``competition configure --hidden-dataset``, and the audit log read.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
STEPS: list[tuple[str, float, str]] = []


def run(title: str, *args: str, env: dict, input_text: str | None = None, check: bool = True) -> str:
    cmd = [str(VENV_BIN / "stylearena"), *args]
    print(f"\n$ stylearena {' '.join(args)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, input=input_text, capture_output=True, text=True)
    took = time.perf_counter() - start
    out = (proc.stdout + proc.stderr).strip()
    print(out[-1500:])
    last = out.splitlines()[-1] if out else ""
    STEPS.append((title, took, last[:90]))
    if check and proc.returncode != 0:
        raise SystemExit(f"step '{title}' failed with exit code {proc.returncode}")
    return proc.stdout


def write_sets(base: Path, hidden_pairs: int) -> dict[str, Path]:
    """Public set, hidden v1 and hidden v2 from distinct photographs and textures."""
    import numpy as np
    from PIL import Image

    from arena.demo import textures
    from arena.demo.sources import load_rgb

    photos = ["astronaut", "chelsea", "coffee", "rocket", "camera", "hubble", "coins", "moon",
              "page", "text", "retina", "grace_hopper", "brick", "gravel", "horse"]
    palettes = [((20, 30, 90), (240, 200, 60)), ((90, 10, 40), (250, 240, 220)), ((10, 70, 40), (230, 140, 30)),
                ((60, 20, 80), (120, 230, 210)), ((30, 30, 30), (250, 120, 90)), ((0, 40, 80), (250, 250, 160))]
    makers = [textures.brush_strokes, textures.swirls, textures.mosaic, textures.pointillism]

    crops: list[Image.Image] = []
    for name in photos:
        try:
            arr = load_rgb(name)
        except Exception:  # noqa: BLE001 - a sample missing from this scikit-image is skipped
            continue
        img = Image.fromarray(np.asarray(arr)).convert("RGB")
        w, h = img.size
        side = min(w, h)
        # Two different crops of each photograph: distinct images, still real photos.
        for fx in (0.0, 1.0):
            left = int((w - side * 0.8) * fx)
            crops.append(img.crop((left, 0, left + int(side * 0.8), int(side * 0.8))).resize((128, 128)))
    style_imgs = [makers[i % len(makers)](seed=100 + i, palette=palettes[i % len(palettes)], size=128)
                  for i in range(12)]

    def one(name: str, split: str, contents: list[Image.Image], styles: list[Image.Image], n_pairs: int) -> Path:
        d = base / name
        (d / "content").mkdir(parents=True)
        (d / "style").mkdir()
        cnames = [f"c{i:02d}.png" for i in range(len(contents))]
        snames = [f"s{i:02d}.png" for i in range(len(styles))]
        for img, n in zip(contents, cnames):
            img.save(d / "content" / n)
        for img, n in zip(styles, snames):
            img.convert("RGB").save(d / "style" / n)
        # Distinct (content, style) combinations, every content and style used (publishing refuses repeats).
        combos = sorted(itertools.product(range(len(cnames)), range(len(snames))), key=lambda cs: ((cs[1] - cs[0]) % len(snames), cs[0]))
        pairs = [{"pair_id": f"p{i:02d}", "content": cnames[c], "style": snames[t]}
                 for i, (c, t) in enumerate(combos[:n_pairs])]
        manifest = {"format": 1, "name": name, "split": split,
                    "licence": "scikit-image sample photographs (see their licences) and generated textures (CC0)",
                    "content": cnames, "style": snames, "pairs": pairs}
        (d / "manifest.json").write_text(json.dumps(manifest, indent=1))
        return d

    n = len(crops)
    third = n // 3
    return {
        "public": one("walk-public", "public", crops[:4], style_imgs[:2], 4),
        "hidden1": one("walk-hidden-v1", "hidden", crops[4:4 + third], style_imgs[2:6], hidden_pairs),
        "hidden2": one("walk-hidden-v2", "hidden", crops[4 + third:], style_imgs[6:10], hidden_pairs),
    }


def api_upload(base_url: str, token: str, slug: str, path: Path) -> dict:
    boundary = "----walk"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nmy-net\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{base_url}/api/v1/competitions/{slug}/submissions", data=body, method="POST",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=12, help="pairs of each hidden version")
    parser.add_argument("--keep", type=Path, help="keep the platform in this folder (default: a temporary one)")
    args = parser.parse_args()

    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "start", "all"], check=True)
    services_env = subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "env"], check=True,
                                  capture_output=True, text=True).stdout
    base = args.keep or Path(tempfile.mkdtemp(prefix="organizer-walk-"))
    base.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for line in services_env.splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    env.update({
        "STYLEARENA_DATABASE_URL": f"sqlite:///{base / 'arena.sqlite3'}",
        "STYLEARENA_DATA_DIR": str(base / "data"),
        # Its own Redis database, so the walk's queue is nobody else's.
        "STYLEARENA_REDIS_URL": env["STYLEARENA_REDIS_URL"].rsplit("/", 1)[0] + "/11",
        "STYLEARENA_SECRET_KEY": "organizer-walk",
    })
    sys.path.insert(0, str(ROOT))
    subprocess.run([str(VENV_BIN / "python"), "-c", "import redis, os; redis.Redis.from_url(os.environ['STYLEARENA_REDIS_URL']).flushdb()"],
                   env=env, check=True)
    sets = write_sets(base / "prepared", args.pairs)
    slug = "walk-2027"
    walk_start = time.perf_counter()

    run("schema", "db", "upgrade", env=env)
    run("organizer account", "user", "create", "olga", "--organizer", "--email", "olga@example.org",
        "--password", "organizer-pass-1", env=env)
    run("participant account", "user", "create", "pat", "--email", "pat@example.org", "--password", "participant-pass-1",
        env=env)
    public_id = json.loads(run("publish public set", "dataset", "publish", str(sets["public"]), "--json", env=env))["id"]
    hidden1 = json.loads(run("publish hidden v1", "dataset", "publish", str(sets["hidden1"]), "--json", env=env))["id"]
    run("create draft", "competition", "create", slug, "--title", "Walk 2027", "--ranking-metric", "art_fid", env=env)
    run("attach datasets", "competition", "configure", slug, "--public-dataset", str(public_id),
        "--hidden-dataset", str(hidden1), env=env)
    (base / "rules.md").write_text("# Rules\n\nOne account per person. Outputs must come from your model.\n")
    run("rules and dates", "competition", "configure", slug, "--rules-file", str(base / "rules.md"),
        "--ends", "2027-06-30", "--daily-quota", "3", env=env)
    example = base / "example.pt"
    subprocess.run([str(VENV_BIN / "python"), "-c",
                    f"from sandbox.examples import write_torchscript_generator as w; w(__import__('pathlib').Path({str(example)!r}))"],
                   env=env, check=True, cwd=ROOT)
    run("baseline", "baseline", "add", slug, str(example), "--label", "AdaIN (reference)", env=env)
    run("open", "competition", "configure", slug, "--status", "open", env=env)
    run("show", "competition", "show", slug, env=env)

    # The participant: a personal token (made here as the Tokens page makes one), then the API.
    token = subprocess.run([str(VENV_BIN / "python"), "-c", (
        "from arena.core.settings import Settings; from arena.core.db import make_engine, make_session_factory; "
        "from arena.core.models import User; from arena.services.tokens import create_token; "
        "from sqlalchemy import select; s=Settings.from_env(); db=make_session_factory(make_engine(s.database_url))(); "
        "u=db.scalar(select(User).where(User.username=='pat')); t,raw=create_token(db,u,'walk'); db.commit(); print(raw)")],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip().splitlines()[-1]
    port = "5517"
    web_log = (base / "web.log").open("w")
    web = subprocess.Popen([str(VENV_BIN / "stylearena"), "serve", "--port", port, "--workers", "1"],
                           env=env, cwd=ROOT, stdout=web_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120  # a loaded machine takes a while to import the app
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except Exception:  # noqa: BLE001 - not up yet
                if web.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the web server did not come up; see {base / 'web.log'}")
                time.sleep(0.5)
        start = time.perf_counter()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/competitions/{slug}/rules/accept", data=b"",
                                     method="POST", headers={"Authorization": f"Bearer {token}"})
        urllib.request.urlopen(req, timeout=30).read()
        STEPS.append(("participant accepts the rules (API)", time.perf_counter() - start, "accepted"))
        start = time.perf_counter()
        sub = api_upload(f"http://127.0.0.1:{port}", token, slug, example)
        STEPS.append(("participant API upload", time.perf_counter() - start, f"submission {sub.get('id')}: {sub.get('status')}"))
        print("\nAPI upload:", sub)
    finally:
        web.terminate()
        web.wait(10)

    run("worker scores both", "worker", "--burst", env=env)
    run("board", "export", slug, "--format", "csv", env=env)
    hidden2 = str(json.loads(run("publish hidden v2 (staged)", "dataset", "publish", str(sets["hidden2"]),
                                 "--competition", slug, "--json", env=env))["id"])
    run("board unchanged", "rescore", "status", slug, env=env)
    run("rescore dry run", "rescore", "run", slug, "--dataset-version", hidden2, "--dry-run", env=env)
    run("rescore", "rescore", "run", slug, "--dataset-version", hidden2, "--yes", env=env)
    run("switch refused while unfinished", "competition", "configure", slug, "--hidden-dataset", hidden2,
        env=env, check=False)
    run("worker scores the rescore", "worker", "--burst", env=env)
    run("rescore status", "rescore", "status", slug, env=env)
    run("switch", "competition", "configure", slug, "--hidden-dataset", hidden2, env=env)
    run("audit log", "audit", slug, env=env)
    total = time.perf_counter() - walk_start

    print("\n| step | wall s | last line |\n|---|---|---|")
    for title, took, last in STEPS:
        print(f"| {title} | {took:.1f} | {last.replace('|', '/')} |")
    print(f"| **total** | {total:.1f} | |")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
