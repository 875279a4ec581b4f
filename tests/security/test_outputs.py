"""Tampered outputs are caught on the host, each with its own code, before any metric sees them."""
from __future__ import annotations

import pytest

from sandbox.errors import InvalidOutput
from sandbox.validation import validate_outputs

pytestmark = pytest.mark.docker

# Each runs from an atexit hook: after the harness wrote good outputs, before they are collected.
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
            import atexit
            def tamper():
                {TAMPER[code]}
                print("tampered", flush=True)
            atexit.register(tamper)
        """)
        # Everything but links is caught by the host validation that gates the metrics.
        output_dir = next(tmp_path.glob("out-*"))
        assert "tampered" in result.log
        validate_outputs(output_dir, image_set)
    assert info.value.code == code


def test_non_finite_outputs_rejected(run_attack):
    with pytest.raises(InvalidOutput) as info:
        run_attack("", files={"generator.py": "def Stylizer(content, style):\n    return content * float('nan')\n"})
    assert info.value.code == "non_finite"
