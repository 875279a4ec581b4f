"""Three generators of very different cost through real workers and the real sandbox: their measured
latencies order as their cost does, under the limits recorded beside them, and the parameter counts
are the models' own.
"""
from __future__ import annotations

import warnings

import pytest
from cluster import Cluster, create_cluster
from pipeline_fixtures import TEST_SANDBOX, upload, wait_until

from arena.core.enums import EvaluationStatus
from arena.core.models import EvaluationEfficiency, Submission

N_PAIRS = 9  # TorchScript batches of 4: 4 + 4 + 1, the first is the warm-up


def _generators():
    """(name, scripted module): an identity, a small conv net, and a deliberately slow conv stack."""
    import torch

    class Identity(torch.nn.Module):
        def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            return content.clone()

    class SmallConv(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = torch.nn.Conv2d(3, 16, 3, padding=1)
            self.b = torch.nn.Conv2d(16, 3, 3, padding=1)

        def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.b(torch.relu(self.a(content))) + style.mean(dim=(2, 3), keepdim=True))

    class Slow(torch.nn.Module):
        """The same 32-channel conv applied 150 times: thousands of times the small net's work."""

        def __init__(self) -> None:
            super().__init__()
            self.inp = torch.nn.Conv2d(3, 32, 3, padding=1)
            self.mid = torch.nn.Conv2d(32, 32, 3, padding=1)
            self.out = torch.nn.Conv2d(32, 3, 3, padding=1)

        def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
            x = self.inp(content)
            for _ in range(150):
                x = torch.tanh(self.mid(x))
            return torch.sigmoid(self.out(x))

    torch.manual_seed(0)
    return [("identity", Identity()), ("small_conv", SmallConv()), ("slow", Slow())]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, services, postgres_template, docker_host) -> Cluster:
    built, teardown = create_cluster(tmp_path_factory.mktemp("efficiency"), services.postgres_admin_url,
                                     postgres_template, docker_host, lease_seconds=30, n_pairs=N_PAIRS)
    yield built
    teardown()


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.postgres
def test_measured_latencies_order_as_the_generators_cost(cluster, tmp_path):
    import torch

    expected, submissions = {}, {}
    for name, module in _generators():
        path = tmp_path / f"{name}.pt"
        with warnings.catch_warnings():  # TorchScript's deprecation notice
            warnings.simplefilter("ignore", FutureWarning)
            torch.jit.save(torch.jit.script(module.eval()), str(path))
        expected[name] = (sum(p.numel() for p in module.parameters()),
                          sum(t.numel() * t.element_size() for t in [*module.parameters(), *module.buffers()]),
                          path.stat().st_size)
        submissions[name] = upload(cluster.settings, cluster.factory, cluster.world, path, label=name)
    cluster.ensure_workers("eff")

    def costs():
        with cluster.factory() as session:
            found = {}
            for name, sid in submissions.items():
                evaluation = session.get(Submission, sid).evaluations[0]
                assert evaluation.status is not EvaluationStatus.FAILED, (evaluation.error_detail, cluster.logs())
                if evaluation.status is EvaluationStatus.SCORED:
                    found[name] = session.get(EvaluationEfficiency, evaluation.id)
            return found if len(found) == len(submissions) else None

    rows = wait_until(costs, 600, 1.0, "the three evaluations to be scored")
    figures = {n: (r.latency_median_ms, r.latency_p95_ms) for n, r in rows.items()}
    print("\nmeasured median/p95 ms per image:", figures)
    identity, small, slow = rows["identity"], rows["small_conv"], rows["slow"]
    # Orders of magnitude apart, so the order holds on a shared machine: slow's median is above
    # small's p95, and small's median above identity's.
    assert identity.latency_median_ms < small.latency_median_ms < slow.latency_median_ms, figures
    assert small.latency_p95_ms < slow.latency_median_ms, figures
    assert slow.latency_median_ms > 20 * small.latency_median_ms, figures
    for name, row in rows.items():
        count, tensor_bytes, size = expected[name]
        assert (row.parameter_count, row.parameter_bytes, row.parameter_source) == (count, tensor_bytes, "exact"), name
        assert row.size_bytes == size
        # The limits the figures were measured under, from the host (not the participant's report).
        assert (row.device, row.cpus, row.memory_mb) == ("cpu", TEST_SANDBOX.cpus, TEST_SANDBOX.memory_mb)
        assert (row.batch_size, row.warmup_pairs, row.timed_pairs) == (4, 4, N_PAIRS - 4)
        assert 0 < row.latency_median_ms <= row.latency_p95_ms and 0 < (row.peak_rss_mb or 0) <= TEST_SANDBOX.memory_mb
        assert row.throughput_ips > 0 and row.run_s > 0 and row.load_s is not None
    assert expected["identity"][0] == 0 and expected["small_conv"][0] == 883
