"""Hostile outputs: tampering inside the harness is caught on the host, and nothing writes /out after it."""
from __future__ import annotations

import pytest
from PIL import Image

from sandbox.errors import GeneratorCrashed, InvalidOutput
from sandbox.validation import validate_outputs

pytestmark = pytest.mark.docker

# Each runs inside the harness's process, wrapped around its final report: after the good
# outputs were written, before they are collected. Participant code shares that process, so
# this can never be prevented; the host's validation is what catches it.
TAMPER = {
    "not_png": 'from PIL import Image; Image.new("RGB", (32, 24)).save("/out/images/p0.png", format="JPEG")',
    "wrong_size": 'from PIL import Image; Image.new("RGB", (31, 24)).save("/out/images/p0.png")',
    "symlink": 'os.remove("/out/images/p0.png"); os.symlink("/etc/passwd", "/out/images/p0.png")',
    "missing_output": 'os.remove("/out/images/p1.png")',
    "extra_output": 'import shutil; shutil.copy("/out/images/p0.png", "/out/images/p9.png")',
    "not_rgb": 'from PIL import Image; Image.new("RGBA", (32, 24)).save("/out/images/p0.png")',
}


@pytest.mark.parametrize("code", sorted(TAMPER))
def test_tampered_outputs_rejected_with_their_code(run_attack, tmp_path, image_set, code):
    with pytest.raises(InvalidOutput) as info:
        result = run_attack(f"""
            import __main__
            write_report = __main__.write_report
            def tamper(*args):
                {TAMPER[code]}
                print("tampered", flush=True)
                write_report(*args)
            __main__.write_report = tamper
        """)
        # Everything but links is caught by the host validation that gates the metrics.
        output_dir = next(tmp_path.glob("out-*"))
        assert "tampered" in result.log
        validate_outputs(output_dir, image_set)
    assert info.value.code == code


def test_killing_the_supervisor_collects_nothing(run_attack):
    with pytest.raises(GeneratorCrashed) as info:
        run_attack("os.kill(os.getppid(), 9)  # the harness's parent is the supervisor")
    assert not info.value.platform_fault and "signal 9" in info.value.message


def test_non_finite_outputs_rejected(run_attack):
    with pytest.raises(InvalidOutput) as info:
        run_attack("", files={"generator.py": "def Stylizer(content, style):\n    return content * float('nan')\n"})
    assert info.value.code == "non_finite"


# A child the generator forks waits for the harness to end, then keeps rewriting /out for a
# while: the supervisor's sweep must kill it with the harness, so that none of this is ever
# collected. Each mode alone breaks the run if it lands (wrong pixels, extra file, link, report).
LATE_WRITES = {
    "replace_png": 'tmp = "/out/images/.p0.tmp"; open(tmp, "wb").write(RED); os.replace(tmp, "/out/images/p0.png")',
    "add_file": 'open("/out/images/p9.png", "wb").write(RED)',
    "symlink": 'tmp = "/out/images/.p1.tmp"; os.symlink("/etc/passwd", tmp); os.replace(tmp, "/out/images/p1.png")',
    "report": 'open("/out/report.json", "w").write(\'{"status": "ok", "total_s": "late", "pairs_written": 1e999}\')',
}

LATE_WRITER = """
import io, csv
from PIL import Image

with open("/inputs/pairs.csv", newline="") as fh:
    first = next(csv.DictReader(fh))
size = Image.open("/inputs/content/" + first["content"]).size
buf = io.BytesIO()
Image.new("RGB", size, (255, 0, 0)).save(buf, format="PNG")
RED = buf.getvalue()

# Blocks on a pipe only the harness holds open: EOF arrives the moment the harness is gone.
wake_r, wake_w = os.pipe()
if os.fork() == 0:
    os.close(wake_w)
    os.setsid()
    os.read(wake_r, 1)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            {write}
        except OSError:
            pass
        time.sleep(0.001)
    os._exit(0)
os.close(wake_r)
print("late writer armed", flush=True)
"""


@pytest.mark.parametrize("mode", sorted(LATE_WRITES))
def test_nothing_writes_out_after_the_harness_ends(run_attack, tmp_path, image_set, mode):
    result = run_attack(LATE_WRITER.replace("{write}", LATE_WRITES[mode]))
    assert "late writer armed" in result.log
    output_dir = next(tmp_path.glob("out-*"))
    validate_outputs(output_dir, image_set)
    assert sorted(p.name for p in output_dir.iterdir()) == ["p0.png", "p1.png"]
    for pair in ("p0", "p1"):  # the generator returns its content image: exactly what the harness wrote
        content = image_set / "content" / f"c{pair[1:]}.png"
        with Image.open(output_dir / f"{pair}.png") as written, Image.open(content) as expected:
            assert written.tobytes() == expected.convert("RGB").tobytes()
    assert result.report["status"] == "ok" and result.report["pairs_written"] == 2
