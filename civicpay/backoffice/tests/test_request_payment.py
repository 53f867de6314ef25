"""The seed-001 "Yêu cầu thanh toán" journey through Django's test client: lines, confirmation, notices."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from civicpay.accounts.models import Officer
from civicpay.backoffice.tests.factories import DossierFactory
from civicpay.billing.models import PaymentRequest, PaymentRequestStatus
from civicpay.directory.models import FeeKind, Procedure
from civicpay.directory.tests.factories import FeeScheduleLineFactory, ProcedureFactory
from civicpay.dossiers.models import Dossier, DossierStatus, FeeStatus
from civicpay.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db

START = reverse("backoffice:request_payment")
CONFIRM = reverse("backoffice:request_payment_confirm")


def lines_post(dossier: Dossier, rows: list[dict[str, str]], *, initial: int = 2) -> dict[str, str]:
    prefix = f"d{dossier.pk}"
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def schedule_rows(**changes: str) -> list[dict[str, str]]:
    rows = [
        {"kind": FeeKind.CHARGE, "description": "Lệ phí cấp phiếu", "amount": "200000", "change_reason": ""},
        {"kind": FeeKind.FEE, "description": "Phí cung cấp thông tin", "amount": "100000", "change_reason": ""},
    ]
    rows[0].update(changes)
    return rows


@pytest.fixture
def two_dossiers(procedure: Procedure) -> tuple[Dossier, Dossier]:
    return (
        DossierFactory.create(procedure=procedure, code="G22.45-261122-0001"),
        DossierFactory.create(procedure=procedure, code="G22.45-261122-0002"),
    )


def test_lines_are_prefilled_from_the_fee_schedule(officer_client: Client, two_dossiers: tuple[Dossier, Dossier]):
    a, b = two_dossiers
    response = officer_client.get(START, {"ids": f"{a.pk},{b.pk}"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Hồ sơ G22.45-261122-0001" in html and "Hồ sơ G22.45-261122-0002" in html
    assert html.count('value="Lệ phí cấp phiếu"') == 2
    assert f'name="d{a.pk}-0-amount" value="200000"' in html
    assert f'name="d{b.pk}-1-amount" value="100000"' in html


def test_two_dossiers_edited_amount_needs_a_reason_then_confirm_issues_notices(
    officer_client: Client, two_dossiers: tuple[Dossier, Dossier]
):
    a, b = two_dossiers
    ids = f"{a.pk},{b.pk}"
    data = {"ids": ids, "due_date": ""}
    data |= lines_post(a, schedule_rows(amount="150000"))
    data |= lines_post(b, schedule_rows())

    refused = officer_client.post(START, data)

    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Có lỗi cần sửa" in html
    assert "G22.45-261122-0001, dòng 1: Nhập lý do thay đổi số tiền (biểu phí: 200.000 ₫)" in html
    assert f'name="d{a.pk}-0-amount" value="150000"' in html  # the officer's answer is kept
    assert not PaymentRequest.objects.exists()

    data[f"d{a.pk}-0-change_reason"] = "Miễn giảm 25% theo Thông tư 244/2016"
    to_confirm = officer_client.post(START, data)
    assert to_confirm.status_code == 302 and to_confirm["Location"] == CONFIRM

    check = officer_client.get(CONFIRM)
    html = check.content.decode()
    assert "Kiểm tra nội dung thu phí" in html
    assert "250.000 ₫" in html and "300.000 ₫" in html  # each dossier's total
    assert "550.000 ₫" in html  # grand total
    assert "Miễn giảm 25% theo Thông tư 244/2016" in html

    unticked = officer_client.post(CONFIRM, {})
    assert unticked.status_code == 400
    assert "Đánh dấu vào ô xác nhận đã kiểm tra nội dung thu phí và lệ phí" in unticked.content.decode()
    assert not PaymentRequest.objects.exists()

    sent = officer_client.post(CONFIRM, {"confirmed": "on"}, follow=True)

    assert sent.redirect_chain[-1][0] == reverse("backoffice:queue")
    assert "Đã gửi yêu cầu thanh toán cho 2 hồ sơ: G22.45-261122-0001, G22.45-261122-0002" in sent.content.decode()
    for dossier, total in ((a, 250_000), (b, 300_000)):
        dossier.refresh_from_db()
        assert dossier.status == DossierStatus.AWAITING_PAYMENT
        assert dossier.fee_status == FeeStatus.AWAITING
        notice = PaymentRequest.objects.get(owner_kind="dossier", owner_id=dossier.pk)
        assert notice.total == total and notice.status == PaymentRequestStatus.ISSUED
        sent_to = set(OutboxMessage.objects.filter(user=dossier.applicant).values_list("channel", "to"))
        assert ("sms", dossier.applicant_phone) in sent_to
        assert ("email", dossier.applicant_email) in sent_to
        assert "portal" in {channel for channel, _ in sent_to}
    edited = PaymentRequest.objects.get(owner_id=a.pk).lines.get(position__in=[0, 1], kind=FeeKind.CHARGE)
    assert edited.amount == 150_000 and edited.schedule_amount == 200_000

    again = officer_client.post(CONFIRM, {"confirmed": "on"})  # a double click sends nothing twice
    assert again.status_code == 302
    assert PaymentRequest.objects.count() == 2


def test_add_a_line_keeps_answers_and_remove_a_line(officer_client: Client, two_dossiers: tuple[Dossier, Dossier]):
    a, _ = two_dossiers
    data = {"ids": str(a.pk), "add_line": str(a.pk), "due_date": "2099-12-31"} | lines_post(
        a, schedule_rows(amount="180000")
    )

    added = officer_client.post(START, data)

    html = added.content.decode()
    assert added.status_code == 200
    assert "Có lỗi cần sửa" not in html  # adding a line is not a submission
    assert f'name="d{a.pk}-2-description"' in html
    assert f'name="d{a.pk}-0-amount" value="180000"' in html
    assert 'value="2099-12-31"' in html

    data = {"ids": str(a.pk)} | lines_post(
        a,
        [
            *schedule_rows(),
            {"kind": FeeKind.FEE, "description": "Phí gửi kết quả qua bưu điện", "amount": "30000"},
        ],
    )
    data[f"d{a.pk}-1-DELETE"] = "on"
    assert officer_client.post(START, data)["Location"] == CONFIRM
    officer_client.post(CONFIRM, {"confirmed": "on"})

    notice = PaymentRequest.objects.get(owner_id=a.pk)
    assert notice.total == 230_000
    assert sorted(notice.lines.values_list("description", flat=True)) == [
        "Lệ phí cấp phiếu",
        "Phí gửi kết quả qua bưu điện",
    ]


def test_a_line_the_officer_sets_must_be_filled(officer: Officer, officer_client: Client):
    procedure = ProcedureFactory.create(agency=officer.agency)
    FeeScheduleLineFactory.create(procedure=procedure, description="Phí thẩm định", amount=None, kind=FeeKind.FEE)
    dossier = DossierFactory.create(procedure=procedure)

    form = officer_client.get(START, {"ids": dossier.pk}).content.decode()
    assert "Cán bộ nhập" in form

    data = {"ids": str(dossier.pk)} | lines_post(
        dossier, [{"kind": FeeKind.FEE, "description": "Phí thẩm định", "amount": "0"}], initial=1
    )
    response = officer_client.post(START, data)
    assert response.status_code == 400
    assert "Nhập số tiền cho khoản thu do cán bộ xác định" in response.content.decode()


def test_dossiers_that_cannot_be_asked_to_pay_are_listed_with_the_reason(officer_client: Client, procedure: Procedure):
    paid = DossierFactory.create(procedure=procedure, status=DossierStatus.PAID, fee_status=FeeStatus.PAID)
    waiting = DossierFactory.create(procedure=procedure)

    response = officer_client.get(START, {"ids": [paid.pk, waiting.pk]})

    html = response.content.decode()
    assert "Hồ sơ không thể yêu cầu thanh toán" in html
    assert f"<strong>{paid.code}</strong>: Không thể yêu cầu thanh toán" in html
    assert f'name="d{waiting.pk}-0-amount"' in html
    assert f'name="d{paid.pk}-0-amount"' not in html


def test_a_due_date_in_the_past_is_refused(officer_client: Client, two_dossiers: tuple[Dossier, Dossier]):
    a, _ = two_dossiers
    data = {"ids": str(a.pk), "due_date": "2020-01-01"} | lines_post(a, schedule_rows())
    response = officer_client.post(START, data)
    assert response.status_code == 400
    assert "Hạn thanh toán không được trước hôm nay" in response.content.decode()


def test_back_to_edit_from_the_confirmation_keeps_the_edits(
    officer_client: Client, two_dossiers: tuple[Dossier, Dossier]
):
    a, _ = two_dossiers
    data = {"ids": str(a.pk)} | lines_post(a, schedule_rows(amount="120000", change_reason="Giảm 40%"))
    officer_client.post(START, data)

    back = officer_client.get(f"{START}?{urlencode({'ids': a.pk, 'sua': 1})}")

    html = back.content.decode()
    assert f'name="d{a.pk}-0-amount" value="120000"' in html
    assert 'value="Giảm 40%"' in html


def test_replace_an_unpaid_request(officer_client: Client, two_dossiers: tuple[Dossier, Dossier]):
    a, _ = two_dossiers
    officer_client.post(START, {"ids": str(a.pk)} | lines_post(a, schedule_rows()))
    officer_client.post(CONFIRM, {"confirmed": "on"})
    first = PaymentRequest.objects.get(owner_id=a.pk)

    without_reason = {"ids": str(a.pk), "replace": "1"} | lines_post(
        a, schedule_rows(amount="100000", change_reason="Miễn 50%")
    )
    refused = officer_client.post(START, without_reason)
    assert "Nhập lý do thay thế yêu cầu thanh toán" in refused.content.decode()

    officer_client.post(START, without_reason | {"reason": "Sai mức lệ phí"})
    done = officer_client.post(CONFIRM, {"confirmed": "on"})

    assert done["Location"] == reverse("backoffice:dossier", args=[a.pk])
    first.refresh_from_db()
    assert first.status == PaymentRequestStatus.CANCELLED
    current = PaymentRequest.objects.get(owner_id=a.pk, status=PaymentRequestStatus.ISSUED)
    assert current.total == 200_000
