"""Every shipped rule fires just past its threshold and stays quiet at it.

These tests drive the pure decision function with facts at the edges of each rule's default
parameters; the fact providers themselves are tested against real histories elsewhere.
"""

from __future__ import annotations

from importlib import resources

import pytest

from kustodia_domain.fraud.ruleset_files import default_ruleset, load_ruleset
from kustodia_domain.fraud.screening import FactValue, Outcome
from kustodia_domain.fraud.vocabulary import EVENT_KINDS
from tests.unit.fraud.builders import quiet_facts

H, D = 3_600, 86_400
Facts = dict[str, FactValue]

# (rule, event kind, facts that make it fire, facts just inside the threshold)
CASES: list[tuple[str, str, Facts, Facts]] = [
    (
        "ESC-KYC-01",
        "release",
        {"payee.kyc_status": "pending", "event.amount_minor": 652_501},
        {"payee.kyc_status": "pending", "event.amount_minor": 652_500},
    ),
    (
        "ESC-KYC-01",
        "payout",
        {"payee.kyc_status": "rejected", "event.amount_minor": 100},
        {"payee.kyc_status": "verified", "event.amount_minor": 90_000_000},
    ),
    (
        "ESC-KYC-02",
        "escrow.fund",
        {
            "payer.kyc_cap_minor": 652_500,
            "payer.month_inflow_minor": 552_500,
            "event.amount_minor": 100_001,
        },
        {
            "payer.kyc_cap_minor": 652_500,
            "payer.month_inflow_minor": 552_500,
            "event.amount_minor": 100_000,
        },
    ),
    (
        "ESC-KYC-02",
        "escrow.fund",
        {"payer.kyc_cap_minor": 1, "event.amount_minor": 2},
        {"payer.kyc_cap_minor": None, "event.amount_minor": 10**12},
    ),
    (
        "ESC-KYC-02.payout",
        "payout",
        {
            "payee.kyc_cap_minor": 2_610_000,
            "payee.month_inflow_minor": 2_610_000,
            "event.amount_minor": 1,
        },
        {
            "payee.kyc_cap_minor": 2_610_000,
            "payee.month_inflow_minor": 2_609_999,
            "event.amount_minor": 1,
        },
    ),
    (
        "ESC-KYC-03",
        "escrow.fund",
        {"payer.near_cap_count[30d,9000]": 3},
        {"payer.near_cap_count[30d,9000]": 2},
    ),
    (
        "ESC-KYC-04",
        "escrow.fund",
        {"event.sender_name_similarity_permille": 849},
        {"event.sender_name_similarity_permille": 850},
    ),
    (
        "ESC-KYC-04",
        "escrow.fund",
        {"event.sender_name_similarity_permille": 0},
        {"event.sender_name_similarity_permille": None},
    ),
    (
        "ESC-KYC-05",
        "account.created",
        {"actor.identity_shared_accounts": 1},
        {"actor.identity_shared_accounts": 0},
    ),
    (
        "ESC-KYC-05",
        "kyc.updated",
        {"actor.identity_shared_accounts": 2},
        {"actor.identity_shared_accounts": 0},
    ),
    ("ESC-LST-01", "escrow.fund", {"parties.uif_id_hit": True}, {"parties.uif_id_hit": False}),
    (
        "ESC-LST-01",
        "kyc.updated",
        {"parties.uif_name_similarity_permille": 920},
        {"parties.uif_name_similarity_permille": 919},
    ),
    (
        "ESC-LST-02",
        "escrow.create",
        {"payee.sat69b_status": "definitive"},
        {"payee.sat69b_status": "presumed"},
    ),
    (
        "ESC-LST-02.presumed",
        "escrow.create",
        {"payee.sat69b_status": "presumed"},
        {"payee.sat69b_status": "none"},
    ),
    ("ESC-LST-03", "payout", {"event.blocklist_hits": 1}, {"event.blocklist_hits": 0}),
    ("ESC-LST-03", "dispute.opened", {"event.blocklist_hits": 3}, {"event.blocklist_hits": 0}),
    ("ESC-LST-04", "escrow.create", {"parties.pep_hit": True}, {"parties.pep_hit": False}),
    ("ESC-LST-05", "release", {"event.watchlist_hits": 1}, {"event.watchlist_hits": 0}),
    ("ESC-SPEI-01", "refund", {"event.invalid_clabe_count": 1}, {"event.invalid_clabe_count": 0}),
    (
        "ESC-SPEI-01",
        "payout_account.changed",
        {"event.invalid_clabe_count": 1},
        {"event.invalid_clabe_count": 0},
    ),
    (
        "ESC-SPEI-02",
        "release",
        {"payee.payout_clabe_age_seconds": 72 * H - 1},
        {"payee.payout_clabe_age_seconds": 72 * H},
    ),
    (
        "ESC-SPEI-02",
        "payout",
        {"payee.payout_clabe_age_seconds": 0},
        {"payee.payout_clabe_age_seconds": None},
    ),
    ("ESC-SPEI-03", "payout", {"clabe.distinct_users[90d]": 3}, {"clabe.distinct_users[90d]": 2}),
    (
        "ESC-SPEI-03",
        "payout_account.changed",
        {"clabe.distinct_users[90d]": 4},
        {"clabe.distinct_users[90d]": 2},
    ),
    (
        "ESC-SPEI-04",
        "escrow.fund",
        {"event.source_clabe_registered": False},
        {"event.source_clabe_registered": None},
    ),
    (
        "ESC-SPEI-04",
        "escrow.fund",
        {"escrow.distinct_source_clabes": 2},
        {"escrow.distinct_source_clabes": 1},
    ),
    (
        "ESC-SPEI-05",
        "refund",
        {"escrow.refund_to_unknown_clabe": True},
        {"escrow.refund_to_unknown_clabe": False},
    ),
    (
        "ESC-SPEI-06",
        "escrow.fund",
        {"escrow.amount_minor": 100_000, "escrow.overfunded_minor": 1_001},
        {"escrow.amount_minor": 100_000, "escrow.overfunded_minor": 1_000},
    ),
    (
        "ESC-SPEI-06",
        "escrow.fund",
        {"escrow.amount_minor": 10**9, "escrow.overfunded_minor": 100_001},
        {"escrow.amount_minor": 10**9, "escrow.overfunded_minor": 100_000},
    ),
    ("ESC-SPEI-07", "payout.returned", {"clabe.returns[30d]": 2}, {"clabe.returns[30d]": 1}),
    (
        "ESC-AMT-01",
        "escrow.fund",
        {"payer.account_age_seconds": 7 * D - 1, "event.amount_minor": 2_000_000},
        {"payer.account_age_seconds": 7 * D, "event.amount_minor": 2_000_000},
    ),
    (
        "ESC-AMT-01",
        "escrow.fund",
        {"payer.account_age_seconds": 0, "event.amount_minor": 2_000_000},
        {"payer.account_age_seconds": 0, "event.amount_minor": 1_999_999},
    ),
    (
        "ESC-AMT-02",
        "escrow.fund",
        {
            "payer.escrows_as_payer[90d]": 3,
            "payer.escrow_median_minor[90d]": 100_000,
            "event.amount_minor": 500_001,
        },
        {
            "payer.escrows_as_payer[90d]": 3,
            "payer.escrow_median_minor[90d]": 100_000,
            "event.amount_minor": 500_000,
        },
    ),
    (
        "ESC-AMT-02",
        "escrow.fund",
        {
            "payer.escrows_as_payer[90d]": 3,
            "payer.escrow_median_minor[90d]": 1,
            "event.amount_minor": 6,
        },
        {
            "payer.escrows_as_payer[90d]": 2,
            "payer.escrow_median_minor[90d]": 1,
            "event.amount_minor": 10**9,
        },
    ),
    (
        "ESC-AMT-03",
        "escrow.create",
        {"event.amount_minor": 1_000_000, "event.has_invoice": False},
        {"event.amount_minor": 1_000_000, "event.has_invoice": True},
    ),
    (
        "ESC-AMT-03",
        "escrow.create",
        {"event.amount_minor": 2_500_000, "event.has_invoice": False},
        {"event.amount_minor": 1_050_000, "event.has_invoice": False},
    ),
    ("ESC-VEL-01", "escrow.fund", {"payer.funded_escrows[1d]": 5}, {"payer.funded_escrows[1d]": 4}),
    (
        "ESC-VEL-01",
        "escrow.fund",
        {"payer.funded_minor[1d]": 10_000_000},
        {"payer.funded_minor[1d]": 9_999_999},
    ),
    (
        "ESC-VEL-02",
        "release",
        {"payee.release_payers[7d]": 5, "payee.account_age_seconds": 30 * D - 1},
        {"payee.release_payers[7d]": 5, "payee.account_age_seconds": 30 * D},
    ),
    (
        "ESC-VEL-02",
        "release",
        {"payee.release_payers[7d]": 6, "payee.account_age_seconds": 0},
        {"payee.release_payers[7d]": 4, "payee.account_age_seconds": 0},
    ),
    ("ESC-VEL-03", "account.created", {"device.accounts[30d]": 3}, {"device.accounts[30d]": 2}),
    ("ESC-VEL-03", "account.created", {"ip.accounts[1d]": 5}, {"ip.accounts[1d]": 4}),
    (
        "ESC-VEL-04",
        "escrow.fund",
        {"payer.quick_releases_received[1d,30m]": 1},
        {"payer.quick_releases_received[1d,30m]": 0},
    ),
    (
        "ESC-VEL-04",
        "release",
        {"escrow.seconds_since_funded": 1_799, "payee.fund_count[1d]": 1},
        {"escrow.seconds_since_funded": 1_800, "payee.fund_count[1d]": 1},
    ),
    (
        "ESC-SELF-01",
        "escrow.create",
        {"pair.shared_identifiers": 1},
        {"pair.shared_identifiers": 0},
    ),
    (
        "ESC-SELF-01",
        "escrow.create",
        {"pair.shared_devices[365d]": 1},
        {"pair.shared_devices[365d]": 0},
    ),
    ("ESC-SELF-02", "release", {"pair.shared_ips[30d]": 1}, {"pair.shared_ips[30d]": 0}),
    (
        "ESC-SELF-02",
        "escrow.create",
        {"pair.shared_devices[30d]": 1, "pair.shared_devices[365d]": 0},
        {"pair.shared_devices[30d]": 0},
    ),
    (
        "ESC-SELF-03",
        "release",
        {"pair.cycle_length[14d,500]": 2},
        {"pair.cycle_length[14d,500]": 0},
    ),
    (
        "ESC-SELF-03",
        "release",
        {"pair.cycle_length[14d,500]": 3},
        {"pair.cycle_length[14d,500]": None},
    ),
    (
        "ESC-SELF-04",
        "release",
        {"pair.quick_releases[30d,1h]": 5, "pair.disputes[30d]": 0},
        {"pair.quick_releases[30d,1h]": 4, "pair.disputes[30d]": 0},
    ),
    (
        "ESC-SELF-04",
        "release",
        {"pair.quick_releases[30d,1h]": 9, "pair.disputes[30d]": 0},
        {"pair.quick_releases[30d,1h]": 9, "pair.disputes[30d]": 1},
    ),
    (
        "ESC-REL-01",
        "release",
        {"event.actor_role": "payer", "escrow.seconds_since_funded": 599},
        {"event.actor_role": "payer", "escrow.seconds_since_funded": 600},
    ),
    (
        "ESC-REL-01",
        "release",
        {"event.escrow_kind": "dual_approval", "escrow.seconds_since_funded": 0},
        {"event.actor_role": "scheduler", "escrow.seconds_since_funded": 0},
    ),
    (
        "ESC-REL-02",
        "release",
        {"actor.device_age_seconds": D - 1, "actor.other_devices": 1},
        {"actor.device_age_seconds": D, "actor.other_devices": 1},
    ),
    (
        "ESC-REL-02",
        "payout_account.changed",
        {"actor.device_age_seconds": 0, "actor.other_devices": 2},
        {"actor.device_age_seconds": 0, "actor.other_devices": 0},
    ),
    (
        "ESC-REL-04",
        "release",
        {"event.local_hour": 4, "event.amount_minor": 5_000_000},
        {"event.local_hour": 5, "event.amount_minor": 5_000_000},
    ),
    (
        "ESC-REL-04",
        "release",
        {"event.local_hour": 0, "event.amount_minor": 5_000_000},
        {"event.local_hour": 0, "event.amount_minor": 4_999_999},
    ),
    (
        "ESC-DSP-01",
        "dispute.opened",
        {"actor.disputes_opened[90d]": 3},
        {"actor.disputes_opened[90d]": 2},
    ),
    (
        "ESC-DSP-01",
        "dispute.opened",
        {"actor.disputes_opened[90d]": 2, "actor.escrows_as_payer[90d]": 9},
        {"actor.disputes_opened[90d]": 2, "actor.escrows_as_payer[90d]": 10},
    ),
    (
        "ESC-DSP-01",
        "dispute.opened",
        {"actor.disputes_opened[90d]": 2, "actor.escrows_as_payer[90d]": 5},
        {"actor.disputes_opened[90d]": 2, "actor.escrows_as_payer[90d]": 4},
    ),
    (
        "ESC-DSP-01",
        "dispute.opened",
        {"actor.disputes_opened[90d]": 5},
        {"actor.disputes_opened[90d]": 5, "event.actor_role": "payee"},
    ),
    (
        "ESC-DSP-03",
        "release",
        {"payee.escrows_as_payee[90d]": 10, "payee.disputes_lost[90d]": 2},
        {"payee.escrows_as_payee[90d]": 10, "payee.disputes_lost[90d]": 1},
    ),
    (
        "ESC-DSP-03",
        "payout",
        {"payee.escrows_as_payee[90d]": 10, "payee.disputes_lost[90d]": 5},
        {"payee.escrows_as_payee[90d]": 9, "payee.disputes_lost[90d]": 5},
    ),
    (
        "ESC-DSP-04",
        "dispute.evidence_uploaded",
        {"evidence.other_escrows": 1},
        {"evidence.other_escrows": 0},
    ),
    (
        "ESC-GOV-01",
        "override.requested",
        {"override.justification_length": 19},
        {"override.justification_length": 20},
    ),
    (
        "ESC-GOV-01",
        "override.requested",
        {"override.second_approver_ok": False},
        {"override.second_approver_ok": False, "override.of_outcome": "review"},
    ),
    (
        "ESC-GOV-01",
        "override.requested",
        {"override.of_outcome": None, "override.justification_length": 0},
        {"override.of_outcome": "flag", "override.justification_length": 0},
    ),
]


def _label(case: tuple[str, str, Facts, Facts]) -> str:
    rule_id, kind, fire, _ = case
    return f"{rule_id} on {kind}: " + ", ".join(f"{k}={v}" for k, v in fire.items())


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_the_rule_fires_just_past_its_threshold(case: tuple[str, str, Facts, Facts]) -> None:
    rule_id, kind, fire, _ = case

    decision = default_ruleset().decide("evt", quiet_facts(kind, fire))

    assert decision.reasons == (rule_id,)
    rule = next(r for r in default_ruleset().rules if r.rule_id == rule_id)
    assert decision.outcome >= rule.outcome
    assert decision.fired[0].explanation


@pytest.mark.parametrize("case", CASES, ids=_label)
def test_the_rule_stays_quiet_at_its_threshold(case: tuple[str, str, Facts, Facts]) -> None:
    rule_id, kind, _, quiet = case

    decision = default_ruleset().decide("evt", quiet_facts(kind, quiet))

    assert rule_id not in decision.reasons


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_no_rule_fires_on_quiet_facts(kind: str) -> None:
    decision = default_ruleset().decide("evt", quiet_facts(kind))

    assert (decision.outcome, decision.reasons) == (Outcome.ALLOW, ())


def test_every_shipped_rule_has_edge_cases_except_the_configurable_bank_list() -> None:
    tested = {rule_id for rule_id, *_ in CASES}

    assert {r.rule_id for r in default_ruleset().rules} - tested == {"ESC-SPEI-08"}


def _with_high_risk_bank(bank: str) -> str:
    toml = resources.files("kustodia_domain.fraud.rulesets").joinpath("default.toml")
    return toml.read_text(encoding="utf-8").replace(
        "high_risk_banks = []", f'high_risk_banks = ["{bank}"]'
    )


def test_a_large_payout_to_a_listed_high_risk_bank_is_flagged_and_one_centavo_less_is_not() -> None:
    ruleset = load_ruleset(_with_high_risk_bank("166"))
    listed: Facts = {"event.destination_bank": "166", "event.amount_minor": 5_000_000}
    smaller: Facts = {"event.destination_bank": "166", "event.amount_minor": 4_999_999}
    other_bank: Facts = {"event.destination_bank": "002", "event.amount_minor": 8_000_000}

    assert ruleset.decide("e", quiet_facts("payout", listed, ruleset)).reasons == ("ESC-SPEI-08",)
    assert ruleset.decide("e", quiet_facts("payout", smaller, ruleset)).reasons == ()
    assert ruleset.decide("e", quiet_facts("payout", other_bank, ruleset)).reasons == ()
