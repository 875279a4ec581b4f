"""Helpers for the web and leaderboard tests: users, competitions and scored submissions.

Importable from every test because ``tests/`` holds the root conftest (pytest puts it on
``sys.path``). Rows are built through the ORM so the models' constraints apply.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone
from itertools import count

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from arena.core.enums import (
    DatasetSplit,
    EvaluationStatus,
    SubmissionFormat,
    SubmissionStatus,
    UserRole,
)
from arena.core.models import Competition, DatasetVersion, Evaluation, Score, Submission, User

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
PASSWORD = "correct-horse-battery"
_ids = count(1)
# Hashing with the default scrypt costs ~50 ms; tests create many users.
_FAST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_user(session: Session, username: str, role: UserRole = UserRole.PARTICIPANT) -> User:
    """A user whose password is ``PASSWORD``."""
    user = User(username=username, password_hash=_FAST_HASH, role=role)
    session.add(user)
    session.flush()
    return user


def make_dataset(session: Session, split: DatasetSplit, name: str = "set") -> DatasetVersion:
    """A dataset version row (no files)."""
    n = next(_ids)
    sha = hashlib.sha256(f"{name}-{split.value}-{n}".encode()).hexdigest()
    version = DatasetVersion(
        manifest_sha256=sha, name=name, split=split, n_content=2, n_style=2, n_pairs=4,
        storage_path=sha, licence="CC0",
    )
    session.add(version)
    session.flush()
    return version


def make_competition(session: Session, slug: str = "demo", **fields) -> Competition:
    """An open competition with a public and a hidden dataset version."""
    fields.setdefault("title", f"Competition {slug}")
    fields.setdefault("description", "Stylize **everything**.")
    competition = Competition(
        slug=slug,
        public_dataset=fields.pop("public_dataset", None) or make_dataset(session, DatasetSplit.PUBLIC),
        hidden_dataset=fields.pop("hidden_dataset", None) or make_dataset(session, DatasetSplit.HIDDEN),
        **fields,
    )
    session.add(competition)
    session.flush()
    return competition


def make_submission(
    session: Session,
    competition: Competition,
    owner: User,
    label: str = "",
    status: SubmissionStatus = SubmissionStatus.QUEUED,
    created_at: datetime | None = None,
    **fields,
) -> Submission:
    """A submission row (no stored file)."""
    n = next(_ids)
    submission = Submission(
        owner=owner, competition=competition, label=label or f"sub-{n}",
        original_filename="model.pt", sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        size_bytes=1234, format=SubmissionFormat.TORCHSCRIPT, status=status,
        created_at=created_at or T0 + timedelta(minutes=n), **fields,
    )
    session.add(submission)
    session.flush()
    return submission


def add_scored(
    session: Session,
    competition: Competition,
    owner: User,
    values: dict[str, float],
    minutes: int,
    label: str = "",
    calibrated: bool = True,
    dataset: DatasetVersion | None = None,
    scorer_version: str | None = None,
    status: SubmissionStatus = SubmissionStatus.SCORED,
    **fields,
) -> Submission:
    """A submission scored with ``values`` on the competition's hidden set (or ``dataset``)."""
    submission = make_submission(
        session, competition, owner, label=label, status=status,
        created_at=T0 + timedelta(minutes=minutes), **fields,
    )
    evaluation = Evaluation(
        submission=submission,
        dataset_version_id=(dataset or competition.hidden_dataset).id,
        scorer_version=scorer_version or competition.scorer_version,
        status=EvaluationStatus.SCORED,
        provenance={"dataset_sha256": (dataset or competition.hidden_dataset).manifest_sha256},
    )
    session.add(evaluation)
    session.flush()
    for metric, value in values.items():
        session.add(Score(evaluation_id=evaluation.id, metric=metric, value=value, calibrated=calibrated))
    session.flush()
    return submission


def full_scores(art_fid: float, **others: float) -> dict[str, float]:
    """A complete set of metric values with ``art_fid`` set and the rest defaulted."""
    values = {"art_fid": art_fid, "fid": 10.0, "kid": 0.01, "lpips": 0.5,
              "content_loss": 1.0, "style_loss": 2.0}
    values.update(others)
    return values


def csrf_token(html: str) -> str:
    """The CSRF token embedded in a rendered form."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)
