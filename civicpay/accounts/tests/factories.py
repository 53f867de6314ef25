from __future__ import annotations

import factory

from civicpay.accounts.models import Officer, OfficerRole, Organisation, OrganisationMember, User
from civicpay.directory.tests.factories import AgencyFactory

PASSWORD = "Mat-khau-an-toan-2026"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"nguoidung{n}@example.vn")
    phone = factory.Sequence(lambda n: f"09{n:08d}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    id_number = factory.Sequence(lambda n: f"{79_000_000_000 + n:012d}")
    is_active = True
    password = factory.django.Password(PASSWORD)


class OrganisationFactory(factory.django.DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Công ty TNHH Minh Phát {n}")
    tax_code = factory.Sequence(lambda n: f"0100109106-{n:03d}")
    address = "12 Trần Phú, Phường Nha Trang, Tỉnh Khánh Hòa"


class OrganisationMemberFactory(factory.django.DjangoModelFactory[OrganisationMember]):
    class Meta:
        model = OrganisationMember

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    is_legal_representative = True


class OfficerFactory(factory.django.DjangoModelFactory[Officer]):
    class Meta:
        model = Officer

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    roles = factory.LazyFunction(lambda: [OfficerRole.RECEPTION.value])
