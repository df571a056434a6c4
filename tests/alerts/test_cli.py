"""``portal alerts send|digest`` as an admin runs them: counts, and what to set when mail or the base URL is missing."""

from __future__ import annotations

from tests.alerts.conftest import SmtpServer
from tests.support.cli_instance import Portal


def test_send_without_base_url_says_what_to_set(portal: Portal) -> None:
    result = portal.run("alerts", "send")
    assert result.exit_code == 2
    assert "PORTAL_BASE_URL is required for alert mails" in result.output


def test_send_without_smtp_keeps_mail_queued_and_says_so(portal: Portal) -> None:
    portal.settings = portal.settings.with_overrides(base_url="https://bob.example.org")
    result = portal.ok("alerts", "send")
    assert "Mail is not configured: no SMTP server is set (PORTAL_SMTP_HOST)" in result.output
    assert "Matched 0 notifications from 0 events; sent 0, retrying 0, failed 0, skipped 0." in result.output


def test_digest_with_smtp_prints_counts(portal: Portal, smtp: SmtpServer) -> None:
    portal.settings = portal.settings.with_overrides(base_url="https://bob.example.org", smtp_host="127.0.0.1",
                                                     smtp_port=smtp.port, mail_from="bob@example.org")
    result = portal.ok("alerts", "digest")
    assert "Mail is not configured" not in result.output
    assert "Sent 0 digests; retrying 0, failed 0." in result.output
