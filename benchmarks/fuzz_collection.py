"""Fuzz the output-collection path for longer than the test suite does, and count what happens.

Usage::

    python benchmarks/fuzz_collection.py [--examples 10000] [--seed 0]

Each example is a hostile /out archive (tests/sandbox/collection_fuzz.py: structured tars of
odd members, PNGs and reports, byte-level mutations with and without fixed header
checksums, raw bytes) run through ``extract_outputs`` -> ``parse_report`` ->
``validate_outputs``. Prints the number of examples, the outcomes by error code and every
escape (an exception that is not a ``SandboxError``) with its first traceback; exits 1 if
there was any. The suite's bounded version is tests/sandbox/test_collection_fuzz.py.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

if __name__ == "__main__":
    # Run as a file, this script's folder comes first on sys.path and its own name would
    # shadow the ``sandbox`` package; drop it, and add the tests' helper folder.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.path.insert(0, str(here.parent / "tests" / "sandbox"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import collection_fuzz
    from hypothesis import HealthCheck, Phase, given, seed, settings

    outcomes: Counter[str] = Counter()
    escapes: Counter[str] = Counter()
    first_trace: dict[str, str] = {}

    with tempfile.TemporaryDirectory(prefix="fuzz-inputs-") as scratch:
        inputs = collection_fuzz.make_inputs(Path(scratch) / "set")

        # Generation only (no shrinking), so that every example is counted once.
        @seed(args.seed)
        @settings(max_examples=args.examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(collection_fuzz.archives)
        def run(archive: bytes) -> None:
            try:
                outcomes[collection_fuzz.collect(archive, inputs)] += 1
            except Exception as exc:  # noqa: BLE001 - counting escapes is the point
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                key = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
                escapes[key] += 1
                first_trace.setdefault(key, traceback.format_exc(limit=-6))

        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's and hypothesis's advice is noise here
            run()
        seconds = time.perf_counter() - started

    total = sum(outcomes.values()) + sum(escapes.values())
    print(f"examples run: {total} in {seconds:.1f}s ({total / seconds:.0f}/s), seed {args.seed}")
    print("outcomes by error code:")
    for code, count in outcomes.most_common():
        print(f"  {code:20} {count:7}  {100 * count / total:5.1f}%")
    print(f"escapes (not SandboxError): {sum(escapes.values())}")
    for key, count in escapes.most_common():
        print(f"  {count:7}  {key}\n{first_trace[key]}")
    return 1 if escapes else 0


if __name__ == "__main__":
    sys.exit(main())
