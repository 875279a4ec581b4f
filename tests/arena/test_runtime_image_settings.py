"""Choosing a competition's runtime image (issue 19): configure, bundles, and the participant guide."""
from __future__ import annotations

import html

import pytest
import yaml
from click.testing import CliRunner
from datasets_helpers import make_dataset
from webfixtures import app, client, world  # noqa: F401  (fixtures)

from arena.cli import cli
from arena.core.settings import Settings
from arena.services.audit import entries
from arena.services.competitions import get_competition
from sandbox.recipes import RECIPES, RuntimeRecipe, get_recipe


@pytest.fixture(scope="module")
def torchvision_built(docker_host: str):
    """The torchvision recipe built on this host (a no-op when an earlier suite built it)."""
    from sandbox.runtime_images import build_runtime_image

    return build_runtime_image(Settings(docker_host=docker_host), "torchvision")


def _invoke(settings, *args):
    return CliRunner().invoke(cli, list(args), obj={"settings": settings})


def _bundle(root, **extra):
    make_dataset(root / "hidden", name="rt-hidden", split="hidden", seed=3)
    doc = {"slug": "rt", "title": "Runtime", "scorer_version": "s1", "datasets": {"hidden": {"folder": "hidden"}},
           **extra}
    (root / "bundle.yaml").write_text(yaml.safe_dump(doc))
    return root / "bundle.yaml"


def test_an_unknown_recipe_is_refused_by_configure_and_by_a_bundle(settings, db_session, tmp_path):
    assert _invoke(settings, "competition", "create", "rt", "--title", "Runtime").exit_code == 0
    out = _invoke(settings, "competition", "configure", "rt", "--runtime-image", "tensorflow")
    assert out.exit_code == 1
    assert "Unknown runtime image 'tensorflow'; the platform builds: base, torchvision" in out.output
    assert "stylearena sandbox images" in out.output
    out = _invoke(settings, "competition", "apply", str(_bundle(tmp_path, runtime_image="tensorflow")),
                  "--no-reference-stats")
    assert out.exit_code == 1 and "Unknown runtime image 'tensorflow'" in out.output
    db_session.expire_all()
    assert get_competition(db_session, "rt").runtime_image == "base"


@pytest.mark.docker
def test_configure_refuses_a_recipe_not_built_here_and_sets_a_built_one(settings, db_session, torchvision_built,
                                                                        monkeypatch):
    monkeypatch.setitem(RECIPES, "never-built", RuntimeRecipe("never-built", "1", "nothing"))
    assert _invoke(settings, "competition", "create", "rt", "--title", "Runtime").exit_code == 0
    out = _invoke(settings, "competition", "configure", "rt", "--runtime-image", "never-built", "--daily-quota", "9")
    assert out.exit_code == 1 and "is not built on this host" in out.output
    assert "`stylearena sandbox build-image --recipe never-built`" in out.output
    db_session.expire_all()
    competition = get_competition(db_session, "rt")
    assert (competition.runtime_image, competition.daily_quota) == ("base", 5)  # nothing changed
    out = _invoke(settings, "competition", "configure", "rt", "--runtime-image", "torchvision", "--json")
    assert out.exit_code == 0, out.output
    assert yaml.safe_load(out.output)["runtime_image"] == "torchvision"
    db_session.expire_all()
    competition = get_competition(db_session, "rt")
    assert competition.runtime_image == "torchvision"
    assert [e for e in entries(db_session, competition) if e.action == "configure"][0].details["runtime_image"] == ["base", "torchvision"]


@pytest.mark.docker
def test_a_bundle_sets_the_runtime_image_exports_it_and_applies_twice_as_a_no_op(settings, db_session, tmp_path,
                                                                                torchvision_built):
    path = _bundle(tmp_path / "a", runtime_image="torchvision")
    out = _invoke(settings, "competition", "apply", str(path), "--no-reference-stats")
    assert out.exit_code == 0 and "runtime_image: - -> torchvision" in out.output, out.output
    db_session.expire_all()
    assert get_competition(db_session, "rt").runtime_image == "torchvision"
    again = _invoke(settings, "competition", "apply", str(path), "--no-reference-stats")
    assert again.exit_code == 0 and "no change" in again.output, again.output
    assert _invoke(settings, "competition", "export-bundle", "rt", "-o", str(tmp_path / "out")).exit_code == 0
    exported = yaml.safe_load((tmp_path / "out" / "bundle.yaml").read_text())
    assert exported["runtime_image"] == "torchvision"
    # Back to base through the bundle, and a base competition's export stays without the key.
    exported.pop("runtime_image")
    (tmp_path / "out" / "bundle.yaml").write_text(yaml.safe_dump(exported))
    out = _invoke(settings, "competition", "apply", str(tmp_path / "out" / "bundle.yaml"), "--no-reference-stats")
    assert out.exit_code == 0 and "runtime_image: torchvision -> base" in out.output, out.output
    assert _invoke(settings, "competition", "export-bundle", "rt", "-o", str(tmp_path / "out2")).exit_code == 0
    assert "runtime_image" not in yaml.safe_load((tmp_path / "out2" / "bundle.yaml").read_text())


def test_the_guide_names_the_competitions_runtime_and_what_it_contains(client, world):  # noqa: F811
    def environment() -> str:
        page = html.unescape(client.get("/competitions/demo/guide").get_data(as_text=True))
        start = page.index('data-rule="runtime-image"')
        return page[start:page.index("</p>", start)]

    base = environment()
    assert "<code>base (version 3)</code>" in base and "no torchvision" in base
    world["competition"].runtime_image = "torchvision"
    world["session"].commit()
    chosen = environment()
    assert "<code>torchvision (version 1)</code>" in chosen and get_recipe("torchvision").summary in chosen
    sandbox = client.get("/api/v1/competitions/demo/limits").get_json()["sandbox"]  # the API says the same
    assert sandbox["runtime_image"] == "torchvision (version 1)"
    assert sandbox["environment"] == get_recipe("torchvision").summary
