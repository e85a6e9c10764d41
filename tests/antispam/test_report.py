"""Editors see how the filter did against moderators over the last 30 days."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from byline.antispam.models import CheckLog
from byline.antispam.report import performance

pytestmark = pytest.mark.django_db
REPORT_URL = "/admin/antispam/filterreport/"


def make_log(verdict: str, label: str = "", days_ago: float = 1, **fields) -> CheckLog:
    return CheckLog.objects.create(
        fingerprint=fields.pop("fingerprint", "f"),
        text_key="t",
        backend="local",
        verdict=verdict,
        score=fields.pop("score", 0.5),
        reasons=fields.pop("reasons", ["A reason."]),
        label=label,
        created_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


@pytest.fixture
def month_of_checks():
    for _ in range(8):
        make_log("spam", "spam")  # caught
    make_log("spam", "ham", reasons=["Links to 3 different sites."])  # false positive
    make_log("discard", "spam")
    make_log("hold", "spam")  # missed (waited for a person)
    make_log("approve", "spam")  # missed (published)
    for _ in range(5):
        make_log("approve", "ham")
    make_log("hold", "ham")
    make_log("approve")  # never reviewed
    make_log("spam", "ham", days_ago=45)  # too old to count


def test_precision_recall_and_false_positives_over_30_days(month_of_checks):
    report = performance(30)
    assert report.checked == 19
    assert report.labelled == 18
    assert report.true_positives == 9
    assert report.false_positive_count == 1
    assert report.false_negative_count == 2
    assert report.precision == pytest.approx(9 / 10)
    assert report.recall == pytest.approx(9 / 11)
    assert report.false_positive_rate == pytest.approx(1 / 7)
    assert [log.reasons for log in report.false_positives] == [["Links to 3 different sites."]]


def test_no_decisions_yet_gives_no_figures_rather_than_an_error():
    report = performance(30)
    assert (report.precision, report.recall, report.false_positive_rate) == (None, None, None)


def test_an_editor_reads_the_report_from_the_admin_index(editor_client, month_of_checks):
    index = editor_client.get("/admin/")
    assert REPORT_URL.encode() in index.content
    assert b"Performance over the last 30 days" in index.content
    page = editor_client.get(REPORT_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Precision (flagged comments that were spam)</th><td>90%" in html
    assert "Recall (spam the filter flagged)</th><td>82%" in html
    assert "False positives (flagged, but not spam)</th><td>1 (14% of genuine comments)" in html
    assert "Links to 3 different sites." in html


def test_an_empty_report_renders(editor_client):
    page = editor_client.get(REPORT_URL)
    assert page.status_code == 200
    assert "no flagged comment reviewed yet" in page.content.decode()


def test_readers_and_staff_without_permission_cannot_see_it(client):
    assert client.get(REPORT_URL).status_code == 302  # to the admin login
    clerk = get_user_model().objects.create_user("clerk", password="pw-12345678", is_staff=True)
    client.force_login(clerk)
    assert client.get(REPORT_URL).status_code == 403


def test_the_report_cannot_be_changed_through_the_admin(editor_client):
    log = make_log("spam", "ham")
    assert editor_client.get(f"{REPORT_URL}add/").status_code == 403
    assert editor_client.post(f"/admin/antispam/checklog/{log.pk}/delete/").status_code == 403


def test_the_filters_times_read_in_the_newsrooms_time_zone(editor_client, settings):
    """Checks (in the list, on their page and in the report), training examples, linked
    domains, model versions and snapshots give their times in the site's time zone
    (BYLINE_TIME_ZONE), the zone named, never in UTC or without a zone."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from byline.antispam.models import Classifier, LearnedSnapshot, SpamDomain, TrainingExample

    settings.TIME_ZONE = "Europe/Berlin"
    summer = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)
    # The report shows the last 30 days: a check a day ago, its time read independently.
    checked = (timezone.now() - timedelta(days=1)).replace(second=0, microsecond=0)
    shown = checked.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M %Z")
    log = make_log("spam", "ham")
    CheckLog.objects.filter(pk=log.pk).update(created_at=checked, labelled_at=summer)
    example = TrainingExample.objects.create(
        fingerprint="e", body="Cheap loans", label="spam", created_at=summer, updated_at=summer
    )
    domain = SpamDomain.objects.create(domain="loans.example", updated_at=summer)
    version = Classifier.objects.create(version=99, kind="trained", data=b"", created_at=summer)
    snapshot = LearnedSnapshot.objects.create(base_version=99, data=b"", created_at=summer)
    assert shown in editor_client.get("/admin/antispam/checklog/").text
    page = editor_client.get(f"/admin/antispam/checklog/{log.pk}/change/").text
    assert shown in page and "2026-07-01 08:30 CEST" in page  # checked, labelled
    assert shown in editor_client.get(REPORT_URL).text  # the latest false positives
    for url in [
        "/admin/antispam/trainingexample/",
        f"/admin/antispam/trainingexample/{example.pk}/change/",
        "/admin/antispam/spamdomain/",
        f"/admin/antispam/spamdomain/{domain.pk}/change/",
        "/admin/antispam/classifier/",
        f"/admin/antispam/classifier/{version.pk}/change/",
        "/admin/antispam/learnedsnapshot/",
        f"/admin/antispam/learnedsnapshot/{snapshot.pk}/change/",
    ]:
        html = editor_client.get(url).text
        assert "2026-07-01 08:30 CEST" in html and "July 1, 2026" not in html, url
