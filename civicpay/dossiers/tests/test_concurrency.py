"""Dossier codes and receipt numbers stay unique when many people submit at the same moment.

On PostgreSQL this runs real threads, each with its own connection and transaction; on SQLite (one
writer at a time) it checks the same property sequentially."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from civicpay.accounts.tests.factories import OfficerFactory, UserFactory
from civicpay.core.tests.locks import attempt_while_held, skip_without_row_locks
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.models import Dossier
from civicpay.dossiers.services import dossier_receive
from civicpay.dossiers.tests.helpers import submit_dossier

THREADS = 8
EACH = 3


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_and_receptions_get_distinct_numbers():
    procedure = ProcedureFactory.create()
    officer = OfficerFactory.create(agency=procedure.agency)
    users = [UserFactory.create() for _ in range(THREADS)]
    parallel = connection.vendor == "postgresql"
    start = threading.Barrier(THREADS) if parallel else None

    def work(index: int) -> list[str]:
        try:
            if start is not None:
                start.wait()
            codes = []
            for _ in range(EACH):
                dossier = submit_dossier(users[index], procedure)
                dossier_receive(dossier=dossier, officer=officer)
                codes.append(dossier.code)
            return codes
        finally:
            if parallel:
                connections.close_all()

    if parallel:
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            codes = [code for chunk in pool.map(work, range(THREADS)) for code in chunk]
    else:
        codes = [code for index in range(THREADS) for code in work(index)]

    total = THREADS * EACH
    assert len(set(codes)) == total
    assert sorted(int(code.rsplit("-", 1)[1]) for code in codes) == list(range(1, total + 1))
    receipts = list(Dossier.objects.values_list("receipt_number", flat=True))
    assert len(set(receipts)) == total
    assert sorted(int(str(r).split("-")[1]) for r in receipts) == list(range(1, total + 1))


@pytest.mark.django_db(transaction=True)
def test_work_on_one_dossier_does_not_hold_up_another_of_the_same_agency():
    """An officer's action locks its dossier's row only: on PostgreSQL a second officer receiving another
    dossier of the same agency (and the same applicant) goes ahead instead of waiting for the first."""
    skip_without_row_locks()
    from django.db import transaction

    from civicpay.dossiers.services import _lock

    procedure = ProcedureFactory.create()
    officer = OfficerFactory.create(agency=procedure.agency)
    applicant = UserFactory.create()
    first, second = submit_dossier(applicant, procedure), submit_dossier(applicant, procedure)

    def second_officer() -> str:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")  # fail instead of waiting forever
            return dossier_receive(dossier=second, officer=officer).receipt_number or ""

    # An action on the first dossier, still in progress, while a second officer receives the second.
    assert attempt_while_held(lambda: _lock(first), second_officer)
