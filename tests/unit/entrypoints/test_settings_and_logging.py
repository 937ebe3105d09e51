"""Settings refuse to start on bad values; logs never carry secrets or personal data."""

from __future__ import annotations

import pytest

from kustodia_entrypoints.bootstrap.cli import main
from kustodia_entrypoints.bootstrap.logging import mask_pii
from kustodia_entrypoints.bootstrap.settings import SettingsError, load_settings
from kustodia_entrypoints.cli.demo_data import DEMO_LOGINS
from kustodia_entrypoints.http.config import Mode


def test_production_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"KUSTODIA_ENV": "production"})
    assert any("KUSTODIA_JWT_SECRET is required in production" in p for p in refused.value.problems)
    assert any(
        "KUSTODIA_SPEI_WEBHOOK_SECRET is required in production" in p
        for p in refused.value.problems
    )


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(
            {
                "KUSTODIA_ENV": "staging",
                "KUSTODIA_PLATFORM_FEE_BPS": "1.5",
                "KUSTODIA_DATABASE_URL": "mysql://x",
                "KUSTODIA_CORS_ORIGINS": "*",
                "KUSTODIA_JWT_SECRET": "short",
            }
        )
    assert len(refused.value.problems) == 10  # every secret production requires, missing, too


def test_the_sandbox_starts_with_defaults() -> None:
    settings = load_settings({}, default_env=Mode.SANDBOX)
    assert (settings.env, settings.platform_fee_bps, settings.funding_window_days) == (
        Mode.SANDBOX,
        0,
        7,
    )
    assert settings.database_url == "sqlite+aiosqlite:///./kustodia.db"


def test_log_lines_mask_secrets_emails_clabes_and_names() -> None:
    line = mask_pii(
        None,
        "info",
        {
            "event": "paid ana@example.mx to 002115016003269411 with Bearer abc.def",
            "password": "hunter2hunter2",
            "refresh_token": "rtk_1.secret",
            "email": "luis@example.mx",
            "holder_name": "Luis Pérez",
            "clabe": "002115016003269411",
            "escrow_id": "esc_1",
        },
    )
    text = str(line)
    for secret in (
        "hunter2",
        "rtk_1.secret",
        "ana@",
        "luis@",
        "Luis Pérez",
        "00211501600326",
        "abc.def",
    ):
        assert secret not in text
    assert line["escrow_id"] == "esc_1"
    assert line["clabe"].endswith("9411")


def test_the_demo_plays_the_whole_story_over_http(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for step in range(1, 10):
        assert f"{step}. " in out
    assert "escrow completed" in out
    assert DEMO_LOGINS[0].email.endswith("@demo.kustodia.mx")


def test_the_cli_reports_bad_settings_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUSTODIA_PLATFORM_FEE_BPS", "lots")
    assert main(["worker", "--once"]) == 2
    assert "KUSTODIA_PLATFORM_FEE_BPS" in capsys.readouterr().err
