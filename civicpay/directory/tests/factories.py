from __future__ import annotations

import factory

from civicpay.directory.models import Agency, FeeKind, FeeScheduleLine, Procedure


class AgencyFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"G22.{n:02d}")
    name = factory.Sequence(lambda n: f"Sở Tư pháp số {n}")
    province_code = 56  # Khánh Hòa


class ProcedureFactory(factory.django.DjangoModelFactory[Procedure]):
    class Meta:
        model = Procedure

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"1.{n:06d}")
    name = factory.Sequence(lambda n: f"Cấp phiếu lý lịch tư pháp {n}")
    processing_days = 10


class FeeScheduleLineFactory(factory.django.DjangoModelFactory[FeeScheduleLine]):
    class Meta:
        model = FeeScheduleLine

    procedure = factory.SubFactory(ProcedureFactory)
    kind = FeeKind.CHARGE
    description = "Lệ phí cấp phiếu"
    amount = 200_000
