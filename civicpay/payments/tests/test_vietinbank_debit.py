"""VietinBank against its sandbox over real HTTP (live server; tasks run as the worker runs them):
registration life cycle, automatic debit of several payables (all or nothing), branch payment codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civicpay.accounts.tests.factories import OrganisationFactory, OrganisationMemberFactory, UserFactory
from civicpay.core import clock
from civicpay.core.worker import run_until_idle
from civicpay.notifications.models import OutboxMessage
from civicpay.payments.debit import (
    DebitError,
    debit_payment_create,
    debit_registration_cancel,
    debit_registration_create,
)
from civicpay.payments.models import DebitRegistration, DebitRegistrationStatus, LedgerEntry, Payment, PaymentItem
from civicpay.payments.providers.vietinbank import METHOD_BRANCH
from civicpay.payments.services import payment_expire_overdue, payment_start
from civicpay.payments.states import PaymentStatus
from civicpay.payments.tests.helpers import make_payment, spec
from civicpay.sandbox.models import SignedTransaction
from civicpay.sandbox.vietinbank import services as bank
from civicpay.sandbox.vietinbank.models import BankRegistration, RegistrationStatus

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server, transactional_db, settings, payable):
    settings.BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def member():
    organisation = OrganisationFactory.create(name="Công ty TNHH Sao Mai", tax_code="4201234566")
    user = UserFactory.create(full_name="Trần Thị Bích Ngọc", phone="0912345678")
    OrganisationMemberFactory.create(organisation=organisation, user=user, is_legal_representative=True)
    return organisation, user


def register(member, account: str = "102010000001") -> DebitRegistration:
    organisation, user = member
    registration = debit_registration_create(
        organisation=organisation, user=user, account_number=account, account_holder="Cong ty TNHH Sao Mai"
    )
    run_until_idle()  # the platform sends it to the bank
    registration.refresh_from_db()
    return registration


def approve(registration: DebitRegistration, *, accept: bool = True, reason: str = "") -> DebitRegistration:
    at_bank = BankRegistration.objects.get(registration_id=registration.reference)
    bank.registration_decide(registration=at_bank, approve=accept, reason=reason)
    run_until_idle()  # the bank notifies the platform
    registration.refresh_from_db()
    return registration


def test_registration_is_sent_approved_and_notified(live, member):
    registration = register(member)
    assert registration.status == DebitRegistrationStatus.PENDING
    assert registration.sent_at is not None and registration.bank_reference.startswith("VTBDK")
    at_bank = BankRegistration.objects.get(registration_id=registration.reference)
    assert (at_bank.tax_code, at_bank.account_number, at_bank.account_holder) == (
        "4201234566",
        "102010000001",
        "CONG TY TNHH SAO MAI",
    )
    registration = approve(registration)
    assert registration.status == DebitRegistrationStatus.ACTIVE
    assert registration.get_status_display() == "Yêu cầu đã được đăng ký thành công"
    notice = at_bank.notices.get()
    assert (notice.status, notice.last_reply_code) == ("delivered", "00")
    assert OutboxMessage.objects.filter(key__startswith=f"debit_registration:{registration.reference}").count() == 2


def test_rejection_carries_the_reason_and_allows_a_new_registration(live, member):
    registration = approve(register(member), accept=False, reason="Chữ ký không khớp mẫu đăng ký")
    assert registration.status == DebitRegistrationStatus.REJECTED
    assert registration.rejection_reason == "Chữ ký không khớp mẫu đăng ký"
    again = register(member, account="102010000002")
    assert again.status == DebitRegistrationStatus.PENDING


def test_one_live_registration_per_organisation_and_cancel_tells_the_bank(live, member):
    registration = register(member)
    with pytest.raises(DebitError):
        debit_registration_create(
            organisation=member[0], user=member[1], account_number="102010000009", account_holder="X"
        )
    debit_registration_cancel(registration=registration, user=member[1])
    run_until_idle()
    registration.refresh_from_db()
    assert registration.status == DebitRegistrationStatus.CANCELLED and registration.cancel_sent_at is not None
    at_bank = BankRegistration.objects.get(registration_id=registration.reference)
    assert at_bank.status == RegistrationStatus.CANCELLED
    # The teller can no longer approve it, so nothing reaches the platform.
    bank.registration_decide(registration=at_bank, approve=True)
    assert not at_bank.notices.exists()


def test_a_stranger_cannot_register_cancel_or_debit(live, member):
    registration = approve(register(member))
    stranger = UserFactory.create()
    with pytest.raises(DebitError):
        debit_registration_create(
            organisation=member[0], user=stranger, account_number="102010000009", account_holder="X"
        )
    with pytest.raises(DebitRegistration.DoesNotExist):
        debit_registration_cancel(registration=registration, user=stranger)
    with pytest.raises(DebitRegistration.DoesNotExist):
        debit_payment_create(registration=registration, user=stranger, items=[spec("1")], return_url="/xem-ho-so/")


def debit(member, registration: DebitRegistration, *ids: str) -> Payment:
    payment = debit_payment_create(
        registration=registration, user=member[1], items=[spec(i) for i in ids], return_url="/xem-ho-so/"
    )
    start = payment_start(payment=payment, client_ip="203.0.113.5")
    assert "VietinBank" in start.instructions
    payment.refresh_from_db()
    return payment


def test_debit_of_three_payables_is_one_payment_paid_at_once(live, member, payable):
    registration = approve(register(member))
    payment = debit(member, registration, "1", "2", "3")
    assert payment.status == PaymentStatus.SUBMITTED and payment.amount == 3 * 210_000
    assert payment.debit_request.registration == registration
    at_bank = SignedTransaction.objects.get(gateway="vietinbank", order_id=payment.reference)
    assert (at_bank.method, at_bank.amount) == ("debit", payment.amount)
    run_until_idle()  # the bank debits, then notifies
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payable.paid == {"1": payment.reference, "2": payment.reference, "3": payment.reference}
    assert set(PaymentItem.objects.filter(payment=payment).values_list("outcome", flat=True)) == {"settled"}
    assert LedgerEntry.objects.filter(payment=payment).count() == 1


@pytest.mark.parametrize(("account", "code"), [("102010000051", "51"), ("102010000014", "14")])
def test_a_refused_debit_pays_none_of_them(live, member, payable, account, code):
    registration = approve(register(member, account=account))
    payment = debit(member, registration, "1", "2", "3")
    run_until_idle()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED and payment.failure_code == code
    assert payment.failure_message  # the reason the page shows
    assert payable.paid == {} and not LedgerEntry.objects.exists()
    # The same payables can be debited again once the first attempt has ended.
    assert debit(member, registration, "1", "2", "3").status == PaymentStatus.SUBMITTED


def test_no_second_debit_while_one_waits_and_none_without_an_active_registration(live, member):
    registration = register(member)
    with pytest.raises(DebitError):
        debit_payment_create(registration=registration, user=member[1], items=[spec("1")], return_url="/xem-ho-so/")
    registration = approve(registration)
    debit(member, registration, "1", "2")
    with pytest.raises(DebitError):
        debit_payment_create(
            registration=registration, user=member[1], items=[spec("2"), spec("3")], return_url="/xem-ho-so/"
        )


def test_debit_is_not_a_method_the_payer_can_choose(live):
    from civicpay.payments.providers.base import provider_get

    assert [m.code for m in provider_get("vietinbank").methods] == ["CARD", "BRANCH"]
    with pytest.raises(Exception, match="Phương thức"):
        make_payment(spec("1"), provider="vietinbank", method="DEBIT")


def test_branch_code_is_published_collected_and_notified(live, payable):
    payment = make_payment(spec("1"), spec("2"), provider="vietinbank", method=METHOD_BRANCH)
    assert payment.status == PaymentStatus.SUBMITTED
    assert payment.expires_at > clock.now() + timedelta(hours=71)
    bill = bank.bill_find(code=payment.reference.lower())
    assert bill is not None and bill.amount == payment.amount
    bank.bill_collect(txn=bill)
    run_until_idle()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCESS
    assert payable.paid == {"1": payment.reference, "2": payment.reference}


def test_unpaid_branch_code_expires(live, payable):
    payment = make_payment(spec("1"), provider="vietinbank", method=METHOD_BRANCH)
    assert payment_expire_overdue(now=clock.now() + timedelta(hours=71)) == 0
    assert payment_expire_overdue(now=payment.expires_at + timedelta(hours=1)) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED


def test_sweeper_asks_the_bank_about_a_waiting_code_and_changes_nothing(live, payable):
    from civicpay.payments.services import payment_sweep_stuck

    payment = make_payment(spec("1"), provider="vietinbank", method=METHOD_BRANCH)
    report = payment_sweep_stuck(now=clock.now() + timedelta(minutes=10))
    assert (report.queried, report.applied, report.errors) == (1, 0, 0)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUBMITTED
