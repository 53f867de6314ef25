"""Organisations and VietinBank in the portal: Đăng ký thanh toán trực tuyến, Xem hồ sơ with several
dossiers paid at once (automatic debit, all or nothing) or at a branch; and who may see what (404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from civicpay.core.worker import run_until_idle
from civicpay.dossiers.models import Dossier, FeeStatus
from civicpay.dossiers.services import dossier_submit
from civicpay.payments.debit import debit_registration_create
from civicpay.payments.models import DebitRegistration, DebitRegistrationStatus, Payment
from civicpay.payments.states import PaymentStatus
from civicpay.portal.tests.helpers import World, login, pdf_upload
from civicpay.sandbox.models import SignedTransaction
from civicpay.sandbox.vietinbank import services as bank
from civicpay.sandbox.vietinbank.models import BankRegistration


def org_dossiers(world: World, count: int) -> list[Dossier]:
    """``count`` dossiers of ``world.org``, each with an issued fee notice of 1 005 000 VND."""
    dossiers = [world.org_dossier]
    for n in range(count - 1):
        dossiers.append(
            dossier_submit(
                user=world.owner,
                procedure=world.procedure,
                details={"summary": f"Hồ sơ số {n + 2} của công ty", "notes": ""},
                attachments=[pdf_upload()],
                organisation=world.org,
            )
        )
    for dossier in dossiers:
        world.issue_notice(dossier)
    return dossiers


def registration(world: World, account: str = "102010000001") -> DebitRegistration:
    return debit_registration_create(
        organisation=world.org, user=world.owner, account_number=account, account_holder="CONG TY TNHH SAO MAI"
    )


# --- registration pages -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_registration_form_prefilled_validated_and_created(client, world):
    login(client, world.owner)
    listing = client.get(reverse("portal:debit_registrations")).content.decode()
    assert "Công ty TNHH Sao Mai" in listing and "Chưa đăng ký" in listing
    url = reverse("portal:debit_registration_new", args=[world.org.pk])
    page = client.get(url).content.decode()
    assert world.org.tax_code in page and world.owner.full_name in page and "Số tài khoản" in page
    bad = client.post(url, {"account_number": "12ab", "account_holder": ""})
    assert bad.status_code == 400
    assert "Số tài khoản gồm 6 đến 19 chữ số." in bad.content.decode()
    assert "Nhập tên chủ tài khoản." in bad.content.decode()
    response = client.post(url, {"account_number": "1020 1000 0001", "account_holder": "Cong ty TNHH Sao Mai"})
    created = DebitRegistration.objects.get()
    assert response["Location"] == reverse("portal:debit_registration", args=[created.reference])
    detail = client.get(response["Location"]).content.decode()
    assert "Chờ ngân hàng duyệt" in detail and "In phiếu đăng ký" in detail
    # A second registration while one is pending goes back to it.
    assert client.get(url)["Location"] == reverse("portal:debit_registration", args=[created.reference])


@pytest.mark.django_db
def test_registration_form_pdf(client, world):
    login(client, world.owner)
    created = registration(world)
    response = client.get(reverse("portal:debit_registration_pdf", args=[created.reference]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    again = client.get(reverse("portal:debit_registration_pdf", args=[created.reference]))
    assert again.content == response.content  # issued once: printing again gives the same document


@pytest.mark.django_db
def test_cancel_with_confirmation(client, world):
    login(client, world.colleague)  # another representative of the same organisation may cancel
    created = registration(world)
    url = reverse("portal:debit_registration_cancel", args=[created.reference])
    assert "Hủy đăng ký thanh toán trực tuyến" in client.get(url).content.decode()
    client.post(url)
    created.refresh_from_db()
    assert created.status == DebitRegistrationStatus.CANCELLED


@pytest.mark.django_db
def test_another_organisation_cannot_see_or_cancel_a_registration(client, world):
    created = registration(world)
    for user in (world.other_rep, world.stranger):
        login(client, user)
        for name in ("debit_registration", "debit_registration_pdf", "debit_registration_cancel"):
            assert client.get(reverse(f"portal:{name}", args=[created.reference])).status_code == 404
        assert client.post(reverse("portal:debit_registration_cancel", args=[created.reference])).status_code == 404
        assert client.get(reverse("portal:debit_registration_new", args=[world.org.pk])).status_code == 404
        assert created.reference not in client.get(reverse("portal:debit_registrations")).content.decode()
    created.refresh_from_db()
    assert created.status == DebitRegistrationStatus.PENDING


@pytest.mark.django_db
def test_registration_pages_need_login(client, world):
    response = client.get(reverse("portal:debit_registrations"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- Xem hồ sơ ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dossier_list_and_check_page(client, world):
    dossiers = org_dossiers(world, 2)
    login(client, world.owner)
    page = client.get(reverse("portal:org_dossiers")).content.decode()
    for dossier in dossiers:
        assert dossier.code in page
    assert "Thanh toán" in page and "chi nhánh VietinBank" in page
    assert client.post(reverse("portal:org_pay"), {"to_chuc": world.org.pk}).status_code == 302  # nothing ticked
    check = client.post(reverse("portal:org_pay"), {"to_chuc": world.org.pk, "ho_so": [d.code for d in dossiers]})
    text = check.content.decode()
    assert "Kiểm tra trước khi thanh toán" in text and "2.010.000" in text and "nộp tiền tại chi nhánh" in text
    assert not Payment.objects.exists()  # nothing is created before "Xác nhận"


@pytest.mark.django_db
def test_another_organisation_cannot_list_or_pay_the_dossiers(client, world):
    dossiers = org_dossiers(world, 1)
    login(client, world.other_rep)
    assert client.get(reverse("portal:org_dossiers"), {"to_chuc": world.org.pk}).status_code == 404
    own = client.get(reverse("portal:org_dossiers")).content.decode()
    assert dossiers[0].code not in own
    body = {"to_chuc": world.org.pk, "ho_so": [dossiers[0].code], "xac_nhan": "1"}
    assert client.post(reverse("portal:org_pay"), body).status_code == 404
    # Ticking another organisation's dossier under one's own organisation is ignored.
    response = client.post(reverse("portal:org_pay"), {**body, "to_chuc": world.other_org.pk})
    assert response.status_code == 302 and not Payment.objects.exists()
    login(client, world.stranger)
    assert "chưa đại diện" in client.get(reverse("portal:org_dossiers")).content.decode()


@pytest.fixture
def live(live_server, transactional_db, settings):
    settings.BASE_URL = live_server.url
    return live_server.url


def approved(world: World, account: str = "102010000001") -> DebitRegistration:
    created = registration(world, account)
    run_until_idle()
    bank.registration_decide(registration=BankRegistration.objects.get(registration_id=created.reference), approve=True)
    run_until_idle()
    created.refresh_from_db()
    assert created.status == DebitRegistrationStatus.ACTIVE
    return created


def pay(client, world: World, dossiers: list[Dossier]) -> Payment:
    body = {"to_chuc": world.org.pk, "ho_so": [d.code for d in dossiers], "xac_nhan": "1"}
    response = client.post(reverse("portal:org_pay"), body)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Payment.objects.get()


def test_debit_three_dossiers_all_paid(client, live, world):
    dossiers = org_dossiers(world, 3)
    approved(world)
    login(client, world.owner)
    payment = pay(client, world, dossiers)
    assert (payment.method, payment.status, payment.amount) == ("DEBIT", PaymentStatus.SUBMITTED, 3 * 1_005_000)
    waiting = client.get(reverse("portal:org_dossiers")).content.decode()
    assert waiting.count("Đang chờ ngân hàng") == 3 and 'name="ho_so"' not in waiting
    run_until_idle()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert {d.fee_status for d in Dossier.objects.filter(pk__in=[d.pk for d in dossiers])} == {FeeStatus.PAID}
    page = client.get(reverse("portal:org_dossiers")).content.decode()
    assert page.count("ĐÃ THANH TOÁN") == 3
    status = client.get(reverse("portal:org_payment", args=[payment.reference])).content.decode()
    assert "Thanh toán thành công." in status


def test_refused_debit_leaves_every_dossier_unpaid(client, live, world):
    dossiers = org_dossiers(world, 3)
    approved(world, account="102010000051")
    login(client, world.owner)
    payment = pay(client, world, dossiers)
    run_until_idle()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert {d.fee_status for d in Dossier.objects.filter(pk__in=[d.pk for d in dossiers])} == {FeeStatus.AWAITING}
    status = client.get(reverse("portal:org_payment", args=[payment.reference])).content.decode()
    assert "Tài khoản không đủ số dư" in status
    page = client.get(reverse("portal:org_dossiers")).content.decode()
    assert "ĐÃ THANH TOÁN" not in page and page.count('name="ho_so"') == 3


def test_branch_instructions_then_counter(client, live, world):
    dossiers = org_dossiers(world, 2)
    login(client, world.owner)
    payment = pay(client, world, dossiers)
    assert (payment.method, payment.status) == ("BRANCH", PaymentStatus.SUBMITTED)
    page = client.get(reverse("portal:org_payment", args=[payment.reference])).content.decode()
    assert payment.reference in page and "In Chỉ dẫn thanh toán dịch vụ công trực tuyến" in page
    pdf = client.get(reverse("portal:org_payment_instructions_pdf", args=[payment.reference]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    bank.bill_collect(txn=SignedTransaction.objects.get(order_id=payment.reference))
    run_until_idle()
    assert {d.fee_status for d in Dossier.objects.filter(pk__in=[d.pk for d in dossiers])} == {FeeStatus.PAID}
    login(client, world.other_rep)
    assert client.get(reverse("portal:org_payment", args=[payment.reference])).status_code == 404
    assert client.get(reverse("portal:org_payment_instructions_pdf", args=[payment.reference])).status_code == 404
