"""What the harness measures about a run: latency per image after a warm-up batch, parameters, peak memory.

Standard library only (plus the generator's own tensors): copied flat beside harness.py in the
image and by ``sandbox.local`` for a local check.
"""
from __future__ import annotations

import resource


def efficiency(report: dict, generator, manifest: dict) -> dict:
    """Whole-run cost figures (never per image): latency of the generator's calls after a warm-up batch.

    Each image of a batch is charged the batch's time divided by its size; the first batch
    (weights paged in, kernels chosen, caches cold) is the warm-up and left out, unless it is
    the only one. p95 is the nearest rank. Parameter bytes count parameters and buffers.
    """
    batches = report["batches"]
    timed = batches[1:] if len(batches) > 1 else batches
    per_image = sorted(b["seconds"] / b["pairs"] for b in timed for _ in range(b["pairs"]))
    seconds = sum(b["seconds"] for b in timed)
    figures: dict = {"warmup_pairs": sum(b["pairs"] for b in batches) - len(per_image), "timed_pairs": len(per_image)}
    if per_image:
        rank = max(0, -(-95 * len(per_image) // 100) - 1)
        figures.update(latency_median_ms=round(1000 * _median(per_image), 4),
                       latency_p95_ms=round(1000 * per_image[rank], 4),
                       throughput_ips=round(len(per_image) / seconds, 4) if seconds > 0 else None)
    tensors = _tensors(generator)
    if report.get("format") in ("torchscript", "export"):
        figures["parameter_source"] = "exact"
    elif isinstance(manifest.get("parameters"), int):
        report["parameter_count"], figures["parameter_source"] = manifest["parameters"], "declared"
        tensors = None  # what the module holds may not be what the manifest declares
    elif tensors is not None:
        figures["parameter_source"] = "counted"
    if tensors is not None:
        figures["parameter_bytes"] = sum(t.numel() * t.element_size() for t in tensors)
    return figures


def _median(values: list) -> float:
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _tensors(generator):
    """Parameters and buffers of a module (TorchScript, exported or nn.Module); None for a function."""
    try:
        return [*generator.parameters(), *generator.buffers()]
    except Exception:  # a plain function, or participant code that raises: no count
        return None


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB since it started its program.

    Why not ``ru_maxrss``: Linux carries it over fork and exec, so a harness started by a large
    parent (a local check from a test process holding gigabytes) reported the parent's peak.
    ``VmHWM`` belongs to the memory map made at exec. ``ru_maxrss`` stays the fallback where
    /proc cannot be read.
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)  # kB
    except (OSError, ValueError, IndexError):
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
