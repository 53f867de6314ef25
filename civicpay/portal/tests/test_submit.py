"""The "Nộp hồ sơ" journey through the real pages: choose, describe and attach, check, submit."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicpay.accounts.tests.factories import UserFactory
from civicpay.directory.tests.factories import ProcedureFactory
from civicpay.dossiers.models import Dossier
from civicpay.portal.dossier_wizard import held_files_purge_older_than
from civicpay.portal.tests.helpers import PNG_BYTES, World, pdf_upload

pytestmark = pytest.mark.django_db


def _held_dir() -> Path:
    return Path(settings.PRIVATE_ROOT) / "wizard-uploads"


def _choose_procedure(client: Client, world: World) -> None:
    response = client.post(reverse("portal:dossier_new"), {"procedure": world.procedure.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dossier_new_details")


def test_step_one_finds_procedures_by_name_or_code(client: Client, world: World) -> None:
    client.force_login(world.owner)
    ProcedureFactory.create(agency=world.agency, code="2.001", name="Đăng ký khai sinh")
    by_name = client.get(reverse("portal:dossier_new"), {"q": "lý lịch"}).content.decode()
    assert "Cấp phiếu lý lịch tư pháp" in by_name
    assert "Đăng ký khai sinh" not in by_name
    by_code = client.get(reverse("portal:dossier_new"), {"q": "1.000656"}).content.decode()
    assert "Cấp phiếu lý lịch tư pháp" in by_code


def test_step_one_requires_a_choice(client: Client, world: World) -> None:
    client.force_login(world.owner)
    response = client.post(reverse("portal:dossier_new") + "?q=ly+lich", {})
    assert response.status_code == 200
    assert "Chọn thủ tục hành chính bạn muốn nộp hồ sơ" in response.content.decode()


def test_whole_journey_for_an_organisation_with_a_bad_upload_on_the_way(client: Client, world: World) -> None:
    client.force_login(world.owner)
    _choose_procedure(client, world)

    details = client.get(reverse("portal:dossier_new_details"))
    page = details.content.decode()
    assert world.owner.full_name in page  # pre-filled from the account, read-only
    assert world.org.name in page  # "Nộp cho": the organisation is offered

    fake_pdf = SimpleUploadedFile("hop-dong.pdf", b"MZ\x90\x00 not really a pdf", content_type="application/pdf")
    response = client.post(
        reverse("portal:dossier_new_details"),
        {
            "on_behalf": f"org:{world.org.pk}",
            "summary": "Cấp phiếu lý lịch tư pháp cho giám đốc",
            "notes": "Nhận kết quả qua bưu điện",
            "attachments": [pdf_upload("giay-phep.pdf"), fake_pdf],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Có lỗi cần sửa" in page
    assert "hop-dong.pdf" in page and "phải là PDF, JPEG hoặc PNG" in page
    # The user's answers are kept: the text, the choice, and the good file of the same upload.
    assert "Cấp phiếu lý lịch tư pháp cho giám đốc" in page
    assert "Nhận kết quả qua bưu điện" in page
    assert re.search(rf'value="org:{world.org.pk}"[^>]*checked', page)
    assert "giay-phep.pdf" in page
    assert len(list(_held_dir().iterdir())) == 1

    # Submitting the page again without choosing files: the held file is enough.
    response = client.post(
        reverse("portal:dossier_new_details"),
        {"on_behalf": f"org:{world.org.pk}", "summary": "Cấp phiếu lý lịch tư pháp cho giám đốc", "notes": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dossier_new_check")

    check = client.get(reverse("portal:dossier_new_check")).content.decode()
    assert "Kiểm tra thông tin" in check
    for expected in (world.procedure.name, world.agency.name, world.org.name, "giay-phep.pdf", "Thay đổi"):
        assert expected in check

    response = client.post(reverse("portal:dossier_new_check"))
    assert response.status_code == 302
    dossier = Dossier.objects.exclude(pk__in=[world.own.pk, world.org_dossier.pk]).get()
    assert response["Location"] == reverse("portal:dossier_submitted", args=[dossier.code])
    assert dossier.organisation == world.org
    assert dossier.details["summary"] == "Cấp phiếu lý lịch tư pháp cho giám đốc"
    assert [a.original_name for a in dossier.attachments.all()] == ["giay-phep.pdf"]
    assert dossier.attachments.get().file.read().startswith(b"%PDF-")

    confirmation = client.get(response["Location"]).content.decode()
    assert "Đã nộp hồ sơ" in confirmation and dossier.code in confirmation
    # The journey is over: held copies are gone and the check page sends the user back to the start.
    assert list(_held_dir().iterdir()) == []
    assert client.get(reverse("portal:dossier_new_check"))["Location"] == reverse("portal:dossier_new")


def test_citizen_without_organisation_submits_for_themself(client: Client, world: World) -> None:
    citizen = UserFactory.create(full_name="Đặng Thu Hà")
    client.force_login(citizen)
    _choose_procedure(client, world)
    page = client.get(reverse("portal:dossier_new_details")).content.decode()
    assert "Nộp cho" not in page
    response = client.post(
        reverse("portal:dossier_new_details"),
        {
            "on_behalf": "self",
            "summary": "Một bản",
            "attachments": [SimpleUploadedFile("anh.png", PNG_BYTES, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    response = client.post(reverse("portal:dossier_new_check"))
    dossier = Dossier.objects.get(applicant=citizen)
    assert dossier.organisation is None
    assert dossier.attachments.get().content_type == "image/png"


def test_missing_answers_are_explained(client: Client, world: World) -> None:
    client.force_login(world.owner)
    _choose_procedure(client, world)
    response = client.post(reverse("portal:dossier_new_details"), {"on_behalf": "self", "summary": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nhập nội dung yêu cầu" in page
    assert "Chọn ít nhất một tệp hồ sơ đính kèm" in page
    assert 'href="#id_summary"' in page  # the error summary links to the field


def test_cannot_submit_for_an_organisation_one_does_not_represent(client: Client, world: World) -> None:
    client.force_login(world.owner)
    _choose_procedure(client, world)
    response = client.post(
        reverse("portal:dossier_new_details"),
        {"on_behalf": f"org:{world.other_org.pk}", "summary": "Thử", "attachments": [pdf_upload()]},
    )
    assert response.status_code == 200
    assert "on_behalf" in response.context["form"].errors
    assert not Dossier.objects.filter(organisation=world.other_org).exists()


def test_removing_a_held_file_keeps_the_typed_answers(client: Client, world: World) -> None:
    client.force_login(world.owner)
    _choose_procedure(client, world)
    client.post(
        reverse("portal:dossier_new_details"),
        {"on_behalf": "self", "summary": "", "attachments": [pdf_upload("sai.pdf")]},
    )
    [held] = list(_held_dir().iterdir())
    response = client.post(
        reverse("portal:dossier_new_details"),
        {"on_behalf": "self", "summary": "Nội dung đã gõ", "remove": held.name},
    )
    page = response.content.decode()
    assert "Nội dung đã gõ" in page
    assert "sai.pdf" not in page
    assert not held.exists()


def test_details_step_needs_a_procedure_first(client: Client, world: World) -> None:
    client.force_login(world.owner)
    response = client.get(reverse("portal:dossier_new_details"))
    assert response["Location"] == reverse("portal:dossier_new")


def test_abandoned_held_files_can_be_purged(client: Client, world: World) -> None:
    client.force_login(world.owner)
    _choose_procedure(client, world)
    client.post(reverse("portal:dossier_new_details"), {"summary": "", "attachments": [pdf_upload("bo-do.pdf")]})
    [held] = list(_held_dir().iterdir())
    assert held_files_purge_older_than(seconds=3600) == 0  # still fresh: kept
    old = time.time() - 7200
    os.utime(held, (old, old))
    assert held_files_purge_older_than(seconds=3600) == 1
    assert not held.exists()
    # Coming back to the journey after the purge asks for the file again instead of failing later.
    client.post(reverse("portal:dossier_new_details"), {"on_behalf": "self", "summary": "Tiếp tục"})
    response = client.get(reverse("portal:dossier_new_check"), follow=True)
    assert "không còn lưu tạm, hãy tải lên lại" in response.content.decode()


def test_the_worker_purges_abandoned_uploads_daily() -> None:
    from civicpay.core.worker import periodic_jobs

    job = {job.name: job for job in periodic_jobs()}["portal.purge_held_uploads"]
    assert job.every_seconds == 3600
