"""The deterministic evidence-and-history policy: the assessment used when no model answers.

The claim and both parties are scored separately. Every consideration is a :class:`Factor` whose
weight is signed integer points (positive toward the payee/seller, negative toward the
payer/buyer); their sum is the *net score*. The outcome is ``manual_review`` when both sides'
evidence is thin or when evidence and context (timing + history) each reach ``CONFLICT_POINTS``
in opposite directions; otherwise ``favor_seller`` at ``net >= DECISIVE_NET``, ``favor_buyer`` at
``net <= -DECISIVE_NET`` and ``split`` in between.

Invariants: the same request and instant give the same assessment; no floats; the dispute's free
text (``reason``, ``details``) is untrusted and never read, so no factor or summary can echo it; a
split's or manual review's ``payee_share_bps`` is the evidence balance (1-9999, 5000 without
evidence); ``confidence_bps`` stays within ``CONFIDENCE_FLOOR_BPS``-``CONFIDENCE_CAP_BPS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from kustodia_domain.disputes.assessment import (
    Assessment,
    AssessmentOutcome,
    AssessmentRequest,
    Factor,
    PartyHistory,
    SideActivity,
)
from kustodia_domain.shared.errors import ValidationError
from kustodia_domain.shared.money import BPS_WHOLE
from kustodia_domain.shared.time import ensure_utc

MODEL = "kustodia-policy"
MODEL_VERSION = "1"

# Evidence, in points per side.
FILE_POINTS = 10  # a file (receipt, photo, tracking page) is the strongest thing a party can add
MAX_FILES = 5  # past five files, volume proves nothing more; the cap stops flooding
MESSAGE_POINTS = 3  # a message explains but proves little
MAX_MESSAGES = 5  # a long thread is not stronger evidence than a short one
EVIDENCE_OVER_NONE = 15  # some evidence beats none, whatever its amount
SILENCE_PENALTY = 25  # a responder who ignores the deadline concedes the most telling point
RESPONSE_WINDOW_HOURS = 72  # default response window when the caller does not give one
THIN_EVIDENCE_POINTS = 10  # below one file's worth a side has not really made its case
# Timing, in points against the side that opened the dispute.
LAST_MINUTES = 60  # fraud rule ESC-DSP-02: the last hour before custody ends ...
LAST_HOUR_POINTS = 10  # ... is the classic moment to open a dispute just to block a release
EARLY_MINUTES = 60  # too soon after funding for goods or services to have been judged
EARLY_POINTS = 5  # only a hint: a few disputes are rightly raised at once
LATE_DAYS = 30  # a claim raised a month after funding is stale
LATE_POINTS = 5  # only a hint: late discovery of a defect happens
# History, in credibility points for the party (signed toward that party in the factor).
NEW_ACCOUNT_DAYS = 30  # a month-old account has no track record to lose
NEW_ACCOUNT_POINTS = 5  # a hint, not a verdict: every honest user starts new
TRACK_RECORD_ESCROWS = 10  # ten completed escrows show a working relationship with the platform
TRACK_RECORD_POINTS = 5  # mirrors NEW_ACCOUNT_POINTS
SERIAL_MIN_DISPUTES = 3  # fraud rule ESC-DSP-01: three or more disputes ...
SERIAL_RATE_BPS = 2_000  # ... at a rate above 20 % of completed escrows
SERIAL_POINTS = 10  # a habit of disputing weighs more than one bad record
LOST_DISPUTE_POINTS = 4  # each dispute lost before weakens the party's word
MAX_LOST_COUNTED = 5  # keeps history (at most 45 net points) below the strongest evidence
KYC_POINTS = 5  # a verified identity (N3 or N4) has more at stake
VERIFIED_KYC_LEVELS = frozenset({"N3", "N4"})
# Outcome, in net points.
DECISIVE_NET = 40  # e.g. three files against none (30 + 15); anything less is a split
CONFLICT_POINTS = 25  # evidence and context this strong in opposite directions need a human
# Confidence, in basis points.
CONFIDENCE_BASE_BPS = 1_500  # a policy never knows much: it reads counts, not content
CONFIDENCE_PER_EVIDENCE_POINT_BPS = 30  # more evidence in total, more to go on
CONFIDENCE_PER_BALANCE_POINT_BPS = 30  # one-sided evidence (and silence) reads more clearly
AGREEMENT_BPS = 1_000  # added when evidence and context agree, taken away when they disagree
CONFIDENCE_FLOOR_BPS = 500  # never claims to know nothing: the counts are real
CONFIDENCE_CAP_BPS = 9_000  # a counting policy is never certain
MANUAL_REVIEW_CAP_BPS = 5_000  # asking for a human is never a confident recommendation

_SIDES = {"payer": (-1, "buyer"), "payee": (1, "seller")}  # role -> (sign toward it, its name)


def evidence_points(activity: SideActivity) -> int:
    """One side's evidence in points: capped files and messages; negative counts count as 0."""
    files = min(max(activity.evidence_files, 0), MAX_FILES)
    messages = min(max(activity.messages, 0), MAX_MESSAGES)
    return files * FILE_POINTS + messages * MESSAGE_POINTS


def evidence_share_bps(payer_points: int, payee_points: int) -> int:
    """The payee's share of the evidence in basis points, 1-9999 (5000 when there is none)."""
    total = payer_points + payee_points
    if total <= 0:
        return BPS_WHOLE // 2
    share = (payee_points * BPS_WHOLE + total // 2) // total
    return min(max(share, 1), BPS_WHOLE - 1)


def _history(role: str, history: PartyHistory) -> list[Factor]:
    done, opened = max(history.escrows_completed, 0), max(history.disputes_opened, 0)
    lost = max(history.disputes_lost, 0)
    found: list[tuple[str, int, str]] = []
    if history.account_age_days < NEW_ACCOUNT_DAYS:
        found.append(("new_account", -NEW_ACCOUNT_POINTS, f"under {NEW_ACCOUNT_DAYS} days old"))
    if done >= TRACK_RECORD_ESCROWS:
        found.append(("track_record", TRACK_RECORD_POINTS, f"{done} escrows completed"))
    if opened >= SERIAL_MIN_DISPUTES and opened * BPS_WHOLE > SERIAL_RATE_BPS * max(done, 1):
        text = f"{opened} disputes opened, {done} escrows completed"
        found.append(("serial_disputer", -SERIAL_POINTS, text))
    if lost:
        points = min(lost, MAX_LOST_COUNTED) * LOST_DISPUTE_POINTS
        found.append(("disputes_lost", -points, f"{lost} disputes lost"))
    if history.kyc_level.strip().upper() in VERIFIED_KYC_LEVELS:
        found.append(("kyc_verified", KYC_POINTS, "identity verified at N3 or above"))
    sign, who = _SIDES[role]
    return [Factor(f"{role}_{name}", sign * pts, f"{who}: {text}") for name, pts, text in found]


def _timing(opener: str, funded: datetime, ends: datetime, opened: datetime) -> list[Factor]:
    found: list[tuple[str, int, str]] = []
    if timedelta(0) <= ends - opened <= timedelta(minutes=LAST_MINUTES):
        found.append(("opened_in_last_hour", LAST_HOUR_POINTS, "in the last hour of custody"))
    if opened - funded < timedelta(minutes=EARLY_MINUTES):
        found.append(("opened_soon_after_funding", EARLY_POINTS, "right after funding"))
    elif opened - funded > timedelta(days=LATE_DAYS):
        found.append(("opened_long_after_funding", LATE_POINTS, f"after {LATE_DAYS}+ days"))
    sign, who = _SIDES[opener]
    return [Factor(name, -sign * pts, f"{who} opened it {text}") for name, pts, text in found]


def _evidence(
    request: AssessmentRequest, payer_pts: int, payee_pts: int, *, late: bool
) -> list[Factor]:
    factors: list[Factor] = []
    for role, activity, points in (
        ("payee", request.payee_activity, payee_pts),
        ("payer", request.payer_activity, -payer_pts),
    ):
        files, messages = max(activity.evidence_files, 0), max(activity.messages, 0)
        text = f"{_SIDES[role][1]}: files {files}, messages {messages}"
        factors.append(Factor(f"{role}_evidence", points, text))
    if (payer_pts == 0) != (payee_pts == 0):
        sign, who = _SIDES["payee" if payee_pts else "payer"]
        text = f"only the {who} gave evidence"
        factors.append(Factor("evidence_over_none", sign * EVIDENCE_OVER_NONE, text))
    responder = "payee" if request.opened_by == "payer" else "payer"
    if late and (payee_pts if responder == "payee" else payer_pts) == 0:
        sign, who = _SIDES[responder]
        text = f"{who} said nothing by the response deadline"
        factors.append(Factor("responder_silent", -sign * SILENCE_PENALTY, text))
    return [f for f in factors if f.weight]


def _decide(
    payer_pts: int, payee_pts: int, ev_net: int, ctx_net: int
) -> tuple[AssessmentOutcome, str]:
    net = ev_net + ctx_net
    if payer_pts < THIN_EVIDENCE_POINTS and payee_pts < THIN_EVIDENCE_POINTS:
        return AssessmentOutcome.MANUAL_REVIEW, "evidence on both sides is thin"
    if ev_net * ctx_net < 0 and min(abs(ev_net), abs(ctx_net)) >= CONFLICT_POINTS:
        return AssessmentOutcome.MANUAL_REVIEW, "evidence and context point opposite ways"
    if net >= DECISIVE_NET:
        return AssessmentOutcome.FAVOR_SELLER, f"the net score reaches +{DECISIVE_NET}"
    if net <= -DECISIVE_NET:
        return AssessmentOutcome.FAVOR_BUYER, f"the net score reaches -{DECISIVE_NET}"
    return AssessmentOutcome.SPLIT, f"the net score is within +/-{DECISIVE_NET}"


def _confidence(evidence_pts: int, ev_net: int, ctx_net: int, *, manual: bool) -> int:
    confidence = (
        CONFIDENCE_BASE_BPS
        + evidence_pts * CONFIDENCE_PER_EVIDENCE_POINT_BPS
        + abs(ev_net) * CONFIDENCE_PER_BALANCE_POINT_BPS
    )
    if ev_net and ctx_net:
        confidence += AGREEMENT_BPS if (ev_net > 0) == (ctx_net > 0) else -AGREEMENT_BPS
    cap = MANUAL_REVIEW_CAP_BPS if manual else CONFIDENCE_CAP_BPS
    return min(max(confidence, CONFIDENCE_FLOOR_BPS), cap)


@attrs.frozen
class EvidenceAndHistoryPolicy:
    """Scores a dispute from evidence counts, timing and both parties' histories (pure).

    Attributes:
        response_window: how long the responding party has, from the opening, before its
            silence counts against it, when the request carries no ``response_due_at``.
    """

    response_window: timedelta = timedelta(hours=RESPONSE_WINDOW_HOURS)

    def assess(
        self, request: AssessmentRequest, at: datetime, *, fallback_used: bool = False
    ) -> Assessment:
        """Assess ``request`` as of ``at`` (timezone-aware; stored as ``created_at`` in UTC).

        Raises:
            ValidationError: ``opened_by`` is neither ``payer`` nor ``payee``, or a timestamp
                is naive.
        """
        if request.opened_by not in _SIDES:
            raise ValidationError("opened_by must be payer or payee", field="opened_by")
        at, opened = ensure_utc(at), ensure_utc(request.opened_at, field="opened_at")
        payer_pts = evidence_points(request.payer_activity)
        payee_pts = evidence_points(request.payee_activity)
        due = request.response_due_at or opened + self.response_window
        late = at > ensure_utc(due, field="response_due_at")
        evidence = _evidence(request, payer_pts, payee_pts, late=late)
        funded = ensure_utc(request.funded_at, field="funded_at")
        ends = ensure_utc(request.custody_ends_at, field="custody_ends_at")
        context = _timing(request.opened_by, funded, ends, opened)
        context += _history("payer", request.payer) + _history("payee", request.payee)
        ev_net, ctx_net = sum(f.weight for f in evidence), sum(f.weight for f in context)
        outcome, why = _decide(payer_pts, payee_pts, ev_net, ctx_net)
        manual = outcome is AssessmentOutcome.MANUAL_REVIEW
        fixed = {AssessmentOutcome.FAVOR_SELLER: BPS_WHOLE, AssessmentOutcome.FAVOR_BUYER: 0}
        factors = tuple(evidence + context)
        top = max(factors, key=lambda f: abs(f.weight), default=None)
        lead = f"; strongest factor {top.name} ({top.weight:+d})" if top else ""
        summary = (
            f"Recommends {outcome.value} because {why}: net {ev_net + ctx_net:+d} "
            f"(evidence {ev_net:+d}, timing and history {ctx_net:+d}){lead}."
        )
        return Assessment(
            outcome=outcome,
            payee_share_bps=fixed.get(outcome, evidence_share_bps(payer_pts, payee_pts)),
            confidence_bps=_confidence(payer_pts + payee_pts, ev_net, ctx_net, manual=manual),
            factors=factors,
            summary=summary,
            model=MODEL,
            model_version=MODEL_VERSION,
            fallback_used=fallback_used,
            created_at=at,
        )
