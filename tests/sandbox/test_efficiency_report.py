"""The harness's cost figures: measured in the harness, parsed as hostile bytes, checked against the host's facts."""
from __future__ import annotations

import json
import time
import warnings
import zipfile

import pytest

from arena.core.enums import SubmissionFormat
from arena.core.limits import SandboxLimits
from sandbox.efficiency import efficiency_of, significant
from sandbox.errors import InvalidOutput
from sandbox.examples import (
    BLEND_PACKAGE_CODE,
    write_image_set,
    write_torchscript_generator,
)
from sandbox.local import run_local
from sandbox.streams import parse_report

LIMITS = SandboxLimits(memory_mb=2048, cpus=2.0)


def _report(**efficiency) -> dict:
    block = {"warmup_pairs": 4, "timed_pairs": 6, "latency_median_ms": 12.0, "latency_p95_ms": 30.0,
             "throughput_ips": 70.0, "parameter_bytes": 336, "parameter_source": "exact", **efficiency}
    return {"status": "ok", "pairs_written": 10, "batch_size": 4, "load_s": 0.2, "peak_rss_mb": 500.0,
            "parameter_count": 84, "efficiency": block}


def test_a_plausible_report_becomes_typed_figures_with_the_hosts_limits():
    cost = efficiency_of(parse_report(json.dumps(_report()).encode()), LIMITS, run_s=5.0, outputs=10, size_bytes=4096)
    assert cost is not None
    assert (cost.latency_median_ms, cost.latency_p95_ms, cost.spread) == (12.0, 30.0, 2.5)
    assert (cost.batch_size, cost.timed_pairs, cost.warmup_pairs) == (4, 6, 4)
    assert (cost.parameter_count, cost.parameter_bytes, cost.parameter_source) == (84, 336, "exact")
    # The device and limits are the host's, whatever the report says.
    assert (cost.device, cost.cpus, cost.memory_mb, cost.size_bytes) == ("cpu", 2.0, 2048, 4096)
    assert cost.peak_device_mb is None  # a CPU run has no device memory


@pytest.mark.parametrize("change", [
    {"latency_median_ms": 40.0},                        # median above p95
    {"latency_p95_ms": 9000.0},                         # one image longer than the whole run
    {"latency_median_ms": 2000.0, "latency_p95_ms": 2000.0},  # half the images alone outlast the run
    {"timed_pairs": 7},                                 # more pairs than outputs
    {"throughput_ips": 0.5},                            # 6 images at 0.5/s outlast the run
    {"parameter_source": "trust-me"},
])
def test_figures_that_cannot_be_true_are_dropped_not_shown(change):
    report = parse_report(json.dumps(_report(**change)).encode())
    assert efficiency_of(report, LIMITS, run_s=5.0, outputs=10, size_bytes=1) is None


def test_memory_beyond_the_limit_and_absent_blocks_are_dropped():
    report = parse_report(json.dumps({**_report(), "peak_rss_mb": 9000.0}).encode())
    assert efficiency_of(report, LIMITS, 5.0, 10, 1) is None
    assert efficiency_of({"status": "ok"}, LIMITS, 5.0, 10, 1) is None


@pytest.mark.parametrize("block", ['"fast"', '{"latency_median_ms": "1"}', '{"timed_pairs": -3}',
                                   '{"latency_p95_ms": true}', '{"parameter_bytes": 1e300}'])
def test_efficiency_of_the_wrong_kind_is_a_bad_report(block):
    with pytest.raises(InvalidOutput) as info:
        parse_report(f'{{"status": "ok", "efficiency": {block}}}'.encode())
    assert info.value.code == "bad_report"


def test_unknown_efficiency_keys_are_dropped_and_values_rounded():
    parsed = parse_report(json.dumps(_report(per_image=[1, 2, 3], latency_median_ms=12.3456)).encode())
    assert "per_image" not in parsed["efficiency"]
    cost = efficiency_of(parsed, LIMITS, 5.0, 10, 1)
    assert cost.latency_median_ms == 12.3 and significant(0.0012345) == 0.00123


def test_the_harness_measures_a_torchscript_model_exactly(tmp_path):
    import torch

    model = write_torchscript_generator(tmp_path / "model.pt")
    inputs = write_image_set(tmp_path / "set", n_pairs=9)
    started = time.monotonic()
    run = run_local(model, SubmissionFormat.TORCHSCRIPT, inputs, tmp_path / "out", timeout_s=120)
    # The host's own wall clock, as the runner passes it: on a loaded machine loading alone can
    # take longer than any fixed guess, and the check rightly refuses a load longer than the run.
    run_s = time.monotonic() - started
    block = run.report["efficiency"]
    with warnings.catch_warnings():  # TorchScript's deprecation notice
        warnings.simplefilter("ignore", FutureWarning)
        loaded = torch.jit.load(str(model))
    tensors = [*loaded.parameters(), *loaded.buffers()]
    assert run.report["parameter_count"] == sum(p.numel() for p in loaded.parameters())
    assert block["parameter_bytes"] == sum(t.numel() * t.element_size() for t in tensors)
    # Batches of 4: the first is the warm-up, the other five pairs are timed.
    assert (run.report["batch_size"], block["warmup_pairs"], block["timed_pairs"]) == (4, 4, 5)
    assert 0 < block["latency_median_ms"] <= block["latency_p95_ms"]
    cost = efficiency_of(parse_report(json.dumps(run.report).encode()), LIMITS, run_s=run_s, outputs=9,
                         size_bytes=model.stat().st_size)
    assert cost is not None and cost.parameter_source == "exact"


def test_a_package_declares_its_parameters(tmp_path):
    package = tmp_path / "pkg.zip"
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr("stylearena.toml", 'entry_point = "model:Stylizer"\nparameters = 1234\n')
        zf.writestr("model.py", BLEND_PACKAGE_CODE)
    inputs = write_image_set(tmp_path / "set", n_pairs=2)
    run = run_local(package, SubmissionFormat.PACKAGE, inputs, tmp_path / "out", timeout_s=120)
    assert run.report["parameter_count"] == 1234
    assert run.report["efficiency"]["parameter_source"] == "declared"
    # One batch only: it is timed, there is no warm-up to leave out.
    assert (run.report["efficiency"]["warmup_pairs"], run.report["efficiency"]["timed_pairs"]) == (0, 2)


def test_the_harness_counts_an_exported_program_exactly(tmp_path):
    import torch

    from sandbox.examples import write_export_generator

    model = write_export_generator(tmp_path / "model.pt2")
    inputs = write_image_set(tmp_path / "set", n_pairs=3)
    run = run_local(model, SubmissionFormat.EXPORT, inputs, tmp_path / "out", timeout_s=120)
    module = torch.export.load(str(model)).module()
    block = run.report["efficiency"]
    assert run.report["parameter_count"] == sum(p.numel() for p in module.parameters())
    assert block["parameter_bytes"] == sum(t.numel() * t.element_size() for t in [*module.parameters(), *module.buffers()])
    # One pair per call: the first call is the warm-up, two are timed.
    assert (run.report["batch_size"], block["warmup_pairs"], block["timed_pairs"], block["parameter_source"]) == \
        (1, 1, 2, "exact")


def test_peak_memory_is_the_harness_own_not_its_parents(tmp_path):
    # A local check started by a process holding gigabytes (a test run, a notebook) once reported
    # that process's peak: Linux carries ru_maxrss over fork and exec.
    import subprocess
    import sys
    import textwrap

    model = write_torchscript_generator(tmp_path / "model.pt")
    inputs = write_image_set(tmp_path / "set", n_pairs=5)
    script = textwrap.dedent(f"""
        import mmap
        from pathlib import Path
        from arena.core.enums import SubmissionFormat
        from sandbox.local import run_local
        held = mmap.mmap(-1, 3 * 1024 ** 3)
        for offset in range(0, len(held), 4096):
            held[offset] = 1  # resident, not just reserved
        run = run_local(Path({str(model)!r}), SubmissionFormat.TORCHSCRIPT, Path({str(inputs)!r}),
                        Path({str(tmp_path / 'out')!r}), timeout_s=120)
        print(run.report["peak_rss_mb"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True)
    peak = float(done.stdout.strip().splitlines()[-1])
    assert 0 < peak < 2048, f"the harness reported {peak} MiB, its parent holds 3072"
