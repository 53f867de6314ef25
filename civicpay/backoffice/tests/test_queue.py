"""The online-dossier queue: own agency only, filters, search, keyset pages, the paid tag, the menu count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Officer
from civicpay.backoffice.paging import PAGE_SIZE, Cursor
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.core import clock
from civicpay.directory.models import Procedure
from civicpay.directory.tests.factories import AgencyFactory, ProcedureFactory
from civicpay.dossiers.models import DossierStatus, FeeStatus

pytestmark = pytest.mark.django_db
QUEUE = reverse("backoffice:queue")


def test_queue_lists_own_agency_newest_first_with_checkbox_labels(officer_client: Client, procedure: Procedure):
    older = DossierFactory.create(procedure=procedure, submitted_at=clock.now() - timedelta(days=2))
    newer = DossierFactory.create(procedure=procedure, submitted_at=clock.now() - timedelta(hours=1))
    other = DossierFactory.create(procedure=ProcedureFactory.create(agency=AgencyFactory.create(code="H10.01")))

    html = officer_client.get(QUEUE).content.decode()

    assert "<h1>Tiếp nhận hồ sơ qua mạng</h1>" in html
    assert html.index(newer.code) < html.index(older.code)
    assert other.code not in html
    assert f'<label for="chon-{newer.pk}" class="visually-hidden">Chọn hồ sơ {newer.code}</label>' in html
    assert "Yêu cầu thanh toán</button>" in html


def test_submitted_time_is_shown_in_vietnam_time(officer_client: Client, procedure: Procedure):
    from datetime import UTC, datetime

    DossierFactory.create(procedure=procedure, submitted_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    assert "23/11/2026 06:30" in officer_client.get(QUEUE).content.decode()


def test_paid_dossiers_show_paid(officer_client: Client, procedure: Procedure):
    DossierFactory.create(procedure=procedure, status=DossierStatus.PAID, fee_status=FeeStatus.PAID)
    html = officer_client.get(QUEUE).content.decode()
    assert '<span class="tag tag-paid">Đã thanh toán</span>' in html


def test_filters_and_search(officer_client: Client, procedure: Procedure, officer: Officer):
    other_procedure = ProcedureFactory.create(agency=officer.agency, name="Đăng ký khai sinh")
    paid = DossierFactory.create(
        procedure=procedure,
        status=DossierStatus.PAID,
        fee_status=FeeStatus.PAID,
        code="G22.45-261120-0007",
        submitted_at=clock.now() - timedelta(days=2),
    )
    waiting = DossierFactory.create(
        procedure=other_procedure,
        applicant_name="Phạm Minh Đức",
        code="G22.45-261121-0001",
        submitted_at=clock.now() - timedelta(days=1),
    )
    old = DossierFactory.create(procedure=procedure, submitted_at=clock.now() - timedelta(days=40))

    def codes(**params) -> set[str]:
        html = officer_client.get(QUEUE, params).content.decode()
        return {d.code for d in (paid, waiting, old) if d.code in html}

    assert codes(status="paid") == {paid.code}
    assert codes(fee_status="paid") == {paid.code}
    assert codes(procedure=other_procedure.pk) == {waiting.code}
    assert codes(q="G22.45-261120") == {paid.code}
    assert codes(q="Phạm Minh") == {waiting.code}
    assert codes(date_from=(clock.local_today() - timedelta(days=7)).isoformat()) == {paid.code, waiting.code}
    assert codes(date_to=(clock.local_today() - timedelta(days=30)).isoformat()) == {old.code}


def test_reversed_dates_show_an_error(officer_client: Client, procedure: Procedure):
    response = officer_client.get(QUEUE, {"date_from": "2026-11-22", "date_to": "2026-11-01"})
    assert "“Đến ngày” phải sau hoặc bằng “Nộp từ ngày”" in response.content.decode()


def test_keyset_pages_forward_and_back(officer_client: Client, procedure: Procedure):
    dossiers = [DossierFactory.create(procedure=procedure) for _ in range(PAGE_SIZE + 5)]
    newest_first = sorted(dossiers, key=lambda d: (d.submitted_at, d.pk), reverse=True)

    first = officer_client.get(QUEUE)
    rows = first.context["page"].rows
    assert [d.pk for d in rows] == [d.pk for d in newest_first[:PAGE_SIZE]]
    assert first.context["previous_url"] is None
    assert "30 hồ sơ" in first.content.decode()

    second = officer_client.get(first.context["next_url"])
    assert [d.pk for d in second.context["page"].rows] == [d.pk for d in newest_first[PAGE_SIZE:]]
    assert second.context["next_url"] is None

    back = officer_client.get(second.context["previous_url"])
    assert [d.pk for d in back.context["page"].rows] == [d.pk for d in newest_first[:PAGE_SIZE]]


def test_a_broken_cursor_shows_the_first_page(officer_client: Client, procedure: Procedure):
    DossierFactory.create(procedure=procedure)
    assert officer_client.get(QUEUE, {"sau": "not-a-cursor"}).status_code == 200
    assert Cursor.decode("2026-11-22T10:00:00~12") is None  # a naive time is not one of ours


def test_home_menu_counts_waiting_dossiers(officer_client: Client, procedure: Procedure):
    DossierFactory.create_batch(3, procedure=procedure)
    DossierFactory.create(procedure=procedure, status=DossierStatus.RECEIVED)
    html = officer_client.get(reverse("backoffice:home")).content.decode()
    assert "Tiếp nhận hồ sơ qua mạng" in html
    assert "3 hồ sơ chờ tiếp nhận" in html
