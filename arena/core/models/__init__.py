"""The SQLAlchemy models of the whole domain; importing this builds no engine or app."""
from arena.core.models.audit import AuditEntry
from arena.core.models.base import Base, utcnow
from arena.core.models.competition import Competition, DatasetVersion
from arena.core.models.dataset_hash import DatasetImageHash
from arena.core.models.phase import Phase
from arena.core.models.notification import Notification, NotificationKind
from arena.core.models.private_board import PrivateBoardEntry, PrivateScore
from arena.core.models.preference import PreferenceMatch, PreferenceRating, PreferenceSummary, PreferenceVote, VoteChoice
from arena.core.models.rules import RulesAcceptance
from arena.core.models.submission import BoardRank, Evaluation, EvaluationEfficiency, Score, ScoreReplicate, Submission
from arena.core.models.tryit import TryItRequest, TryItStatus
from arena.core.models.user import ApiToken, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "BoardRank",
    "Competition",
    "DatasetImageHash",
    "DatasetVersion",
    "Notification",
    "NotificationKind",
    "Phase",
    "PreferenceMatch",
    "PrivateBoardEntry",
    "PrivateScore",
    "PreferenceRating",
    "PreferenceSummary",
    "PreferenceVote",
    "RulesAcceptance",
    "Evaluation",
    "EvaluationEfficiency",
    "Score",
    "ScoreReplicate",
    "Submission",
    "TryItRequest",
    "TryItStatus",
    "User",
    "VoteChoice",
    "utcnow",
]
