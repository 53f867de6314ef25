import pytest

from civicpay.accounts.tests.factories import UserFactory
from civicpay.core.audit import audit_record, audit_trail
from civicpay.core.models import AuditEntry
from civicpay.directory.tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


def test_audit_entries_are_append_only() -> None:
    officer = UserFactory.create()
    agency = AgencyFactory.create()
    entry = audit_record(
        actor=officer, action="agency.rename", target=agency, before={"name": "A"}, after={"name": "B"}
    )
    assert list(audit_trail(agency)) == [entry]
    assert entry.actor_label == officer.full_name

    entry.note = "rewritten"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""
