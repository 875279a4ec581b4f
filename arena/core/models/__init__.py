"""The SQLAlchemy models of the whole domain; importing this builds no engine or app."""
from arena.core.models.base import Base, utcnow
from arena.core.models.competition import Competition, DatasetVersion
from arena.core.models.submission import BoardRank, Evaluation, Score, ScoreReplicate, Submission
from arena.core.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "Base",
    "BoardRank",
    "Competition",
    "DatasetVersion",
    "Evaluation",
    "Score",
    "ScoreReplicate",
    "Submission",
    "User",
    "utcnow",
]
