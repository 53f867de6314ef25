from __future__ import annotations

import pytest

from civicpay.core.audit import audit_trail
from civicpay.directory.models import Agency, FeeKind
from civicpay.directory.selectors import (
    agency_get_by_code,
    agency_list,
    fee_lines_known_total,
    procedure_fee_lines,
    procedure_get,
    procedure_search,
)
from civicpay.directory.services import FeeLineData, procedure_create, procedure_set_fee_lines
from civicpay.directory.tests.factories import AgencyFactory, FeeScheduleLineFactory, ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def justice() -> Agency:
    agency = AgencyFactory.create(code="H34.15", name="Sở Tư pháp tỉnh Khánh Hòa", province_code=56)
    ProcedureFactory.create(agency=agency, code="2.000488", name="Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam")
    ProcedureFactory.create(agency=agency, code="1.001071", name="Thành lập Văn phòng công chứng")
    return agency


def test_procedure_search_by_name_without_diacritics_or_case(justice: Agency):
    assert [p.code for p in procedure_search(q="LY LICH tu phap")] == ["2.000488"]
    assert [p.code for p in procedure_search(q="văn phòng CÔNG CHỨNG")] == ["1.001071"]
    assert list(procedure_search(q="khai sinh")) == []


def test_procedure_search_by_code_puts_the_exact_code_first(justice: Agency):
    other = AgencyFactory.create(code="H27.15", name="Sở Tư pháp tỉnh Hà Tĩnh", province_code=42)
    ProcedureFactory.create(agency=other, code="2.0004880", name="Thủ tục có mã gần giống")
    results = list(procedure_search(q="2.000488"))
    assert [p.code for p in results] == ["2.000488", "2.0004880"]
    assert [p.code for p in procedure_search(q="2.000488", agency=other)] == ["2.0004880"]


def test_procedure_search_hides_inactive_procedures_and_agencies(justice: Agency):
    ProcedureFactory.create(agency=justice, code="9.9", name="Lý lịch cũ", is_active=False)
    closed = AgencyFactory.create(code="X.1", is_active=False)
    ProcedureFactory.create(agency=closed, code="9.8", name="Lý lịch của cơ quan đã đóng")
    assert [p.code for p in procedure_search(q="ly lich")] == ["2.000488"]


def test_renaming_a_procedure_updates_its_search_text(justice: Agency):
    procedure = procedure_get(agency=justice, code="1.001071")
    assert procedure is not None
    procedure.name = "Đăng ký hoạt động Văn phòng thừa phát lại"
    procedure.save(update_fields=["name"])
    assert [p.code for p in procedure_search(q="thua phat lai")] == ["1.001071"]


def test_agency_list_filters_by_province_and_by_current_or_former_province_name():
    khanh_hoa = AgencyFactory.create(code="H34.15", name="Sở Tư pháp tỉnh Khánh Hòa", province_code=56)
    tam_ky = AgencyFactory.create(code="H17.20341", name="Ủy ban nhân dân phường Tam Kỳ", province_code=48)
    assert list(agency_list(province_code=56)) == [khanh_hoa]
    assert list(agency_list(q="tu phap khanh hoa")) == [khanh_hoa]
    assert list(agency_list(q="Quảng Nam")) == [tam_ky]  # Quảng Nam merged into Đà Nẵng in 2025
    assert agency_get_by_code("h34.15") == khanh_hoa


def test_fee_lines_in_order_and_the_known_total():
    procedure = ProcedureFactory.create()
    FeeScheduleLineFactory.create(procedure=procedure, kind=FeeKind.FEE, amount=100_000, position=1)
    FeeScheduleLineFactory.create(procedure=procedure, kind=FeeKind.CHARGE, amount=50_000, position=0)
    FeeScheduleLineFactory.create(procedure=procedure, kind=FeeKind.FINANCIAL_OBLIGATION, amount=None, position=2)
    lines = list(procedure_fee_lines(procedure))
    assert [line.kind for line in lines] == [FeeKind.CHARGE, FeeKind.FEE, FeeKind.FINANCIAL_OBLIGATION]
    assert lines[2].set_by_officer
    assert fee_lines_known_total(lines) == 150_000


def test_replacing_a_fee_schedule_is_audited_with_before_and_after():
    agency = AgencyFactory.create()
    procedure = procedure_create(
        agency=agency,
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        fee_lines=[FeeLineData(FeeKind.FEE, "Phí chứng thực", 2_000, "trang")],
        by=None,
    )
    procedure_set_fee_lines(
        procedure=procedure, fee_lines=[FeeLineData(FeeKind.FEE, "Phí chứng thực", 3_000, "trang")], by=None
    )
    assert [(line.amount, line.unit) for line in procedure_fee_lines(procedure)] == [(3_000, "trang")]
    last = audit_trail(procedure).last()
    assert last is not None
    assert last.action == "procedure.set_fee_lines"
    assert last.before["fee_lines"][0]["amount"] == 2_000
    assert last.after["fee_lines"][0]["amount"] == 3_000


def test_a_fee_line_amount_must_be_whole_vnd():
    with pytest.raises(ValueError, match="integer"):
        procedure_create(
            agency=AgencyFactory.create(),
            code="1.1",
            name="Thủ tục",
            fee_lines=[FeeLineData(FeeKind.FEE, "Phí", 2.5)],  # type: ignore[arg-type]
            by=None,
        )
