"""The SQLAlchemy models of the whole domain; importing this builds no engine or app."""
from arena.models.base import Base, utcnow
from arena.models.competition import Competition, DatasetVersion
from arena.models.submission import Evaluation, Score, Submission
from arena.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "Base",
    "Competition",
    "DatasetVersion",
    "Evaluation",
    "Score",
    "Submission",
    "User",
    "utcnow",
]
