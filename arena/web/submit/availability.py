"""Whether a person may upload to a competition right now, and if not, why (one sentence).

The submit page writes the reason beside its disabled button and the API's limits route
returns it, so both say the same thing. The service (``arena.services.submissions``) still
enforces every rule on the upload itself; this only predicts its answer before a file is sent.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from arena.core.models import Competition, User, utcnow
from arena.services.rules import rules_refusal
from arena.services.submissions import smoke_failure_cap, smoke_failures_today
from arena.services.upload_rules import may_rehearse, upload_refusal
from arena.web.public.queries import QuotaStatus, quota_status


@dataclass(frozen=True)
class Availability:
    """``reason`` is None when an upload would be accepted; ``code`` matches the service's error code."""

    code: str | None
    reason: str | None
    quota: QuotaStatus | None
    smoke_failures_used: int | None
    smoke_failure_cap: int

    @property
    def can_submit(self) -> bool:
        return self.reason is None

    @property
    def smoke_failures_left(self) -> int | None:
        if self.smoke_failures_used is None:
            return None
        return max(0, self.smoke_failure_cap - self.smoke_failures_used)


def _resets(quota: QuotaStatus, now: datetime) -> str:
    hours, minutes = divmod(max(0, int((quota.resets_at - now).total_seconds())) // 60, 60)
    return f"{quota.resets_at:%Y-%m-%d %H:%M} UTC (in {hours} h {minutes} min)"


def availability(session: Session, user: User | None, competition: Competition,
                 now: datetime | None = None) -> Availability:
    """Why ``user`` (None: a visitor) cannot upload to ``competition`` now, or that they can."""
    now = now or utcnow()
    cap = smoke_failure_cap(competition)
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    quota = quota_status(session, user, competition, now) if signed_in else None
    failures = int(smoke_failures_today(session, user, competition, now)) if signed_in else None

    def answer(code: str | None, reason: str | None) -> Availability:
        return Availability(code, reason, quota, failures, cap)

    refusal = upload_refusal(competition, user if signed_in else None, now)
    if refusal is not None:
        return answer(*refusal)
    if quota is None:
        return answer("not_signed_in", "Log in to upload a generator.")
    rules = rules_refusal(session, competition, user)
    if rules is not None:
        return answer(*rules)
    if may_rehearse(competition, user):
        return answer(None, None)  # a rehearsal upload to a draft uses no quota
    if quota.limit == 0:
        return answer("quota_exceeded", "This competition's daily quota is 0: it accepts no uploads from "
                                        "participants at the moment.")
    if quota.remaining == 0:
        return answer("quota_exceeded", f"You have used all {quota.limit} uploads for today; the count resets "
                                        f"at {_resets(quota, now)}.")
    if failures is not None and failures >= cap:
        return answer("smoke_failures_exceeded", f"{cap} of your uploads failed the public smoke run today; check "
                                                 f"your generator locally on the dev set. The count resets at "
                                                 f"{_resets(quota, now)}.")
    return answer(None, None)
