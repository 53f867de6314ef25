"""Demo data for the embedded profile: agencies, procedures with fee schedules, and ready-to-use accounts.

``manage.py load_demo_data`` runs every registered *demo step* in order inside one transaction. A step
creates only what is missing and never overwrites, so running the command twice changes nothing.

Other apps add their own demo data without this module importing them (layers point downward): put a
``demo.py`` in the app and register a step, e.g. in ``civicpay/dossiers/demo.py``::

    from civicpay.directory.demo import DemoReport, demo_agency, demo_procedure, demo_step, demo_user

    @demo_step(order=50)
    def load_demo_dossiers(report: DemoReport) -> None:
        citizen = demo_user("citizen@civicpay.local")
        procedure = demo_procedure("H34.15", "2.000488")
        ...
        report.add("dossiers")

The command imports every installed app's ``demo`` module (like the admin's autodiscovery) first.

Procedure codes follow the national catalogue's format and amounts follow the usual fee tables
(phí/lệ phí set by circulars and provincial councils), but this is demo data, not a legal reference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils.module_loading import autodiscover_modules

from civicpay.accounts.models import Officer, OfficerRole, Organisation, OrganisationMember, User
from civicpay.core import clock
from civicpay.core.audit import audit_record
from civicpay.directory.models import Agency, FeeKind, Procedure
from civicpay.directory.services import FeeLineData, agency_create, procedure_create

DEMO_PASSWORD = "CivicPay@2026"  # noqa: S105 — printed on purpose: every demo account uses it
DEMO_DOMAIN = "civicpay.local"

FEE, CHARGE, OBLIGATION = FeeKind.FEE, FeeKind.CHARGE, FeeKind.FINANCIAL_OBLIGATION


@dataclass(frozen=True)
class ProcedureSpec:
    code: str
    name: str
    processing_days: int
    fee_lines: tuple[FeeLineData, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class AgencySpec:
    code: str  # short, alphanumeric with dots: it prefixes the agency's dossier codes
    slug: str  # used in the officers' e-mail addresses
    name: str
    province_code: int  # current (post-2025) province code
    address: str
    phone: str
    procedures: tuple[ProcedureSpec, ...]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    kind: Literal["citizen", "organisation", "officer", "admin"]
    role: str  # as printed in the account table
    phone: str | None = None
    id_number: str = ""
    agency_code: str = ""
    officer_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    tax_code: str
    address: str
    representative_email: str
    representative_position: str


# --- Procedure catalogues (national procedure codes are the same in every province) ----------------

JUSTICE_DEPARTMENT = (
    ProcedureSpec(
        "2.000488",
        "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú tại Việt Nam",
        10,
        (FeeLineData(FEE, "Phí cung cấp thông tin lý lịch tư pháp", 200_000),),
    ),
    ProcedureSpec(
        "2.000505",
        "Cấp Phiếu lý lịch tư pháp cho sinh viên, người có công với cách mạng, thân nhân liệt sĩ",
        10,
        (FeeLineData(FEE, "Phí cung cấp thông tin lý lịch tư pháp (mức giảm 50%)", 100_000),),
    ),
    ProcedureSpec(
        "1.001071",
        "Thành lập Văn phòng công chứng",
        20,
        (FeeLineData(FEE, "Phí thẩm định điều kiện hoạt động Văn phòng công chứng", 1_000_000),),
    ),
)

FINANCE_DEPARTMENT = (
    ProcedureSpec(
        "2.001610",
        "Đăng ký thành lập công ty trách nhiệm hữu hạn một thành viên",
        3,
        (
            FeeLineData(CHARGE, "Lệ phí đăng ký doanh nghiệp", 50_000),
            FeeLineData(FEE, "Phí công bố nội dung đăng ký doanh nghiệp", 100_000),
        ),
    ),
    ProcedureSpec(
        "2.002038",
        "Đăng ký thành lập công ty cổ phần",
        3,
        (
            FeeLineData(CHARGE, "Lệ phí đăng ký doanh nghiệp", 50_000),
            FeeLineData(FEE, "Phí công bố nội dung đăng ký doanh nghiệp", 100_000),
        ),
    ),
    ProcedureSpec(
        "2.001199",
        "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
        3,
        (
            FeeLineData(CHARGE, "Lệ phí đăng ký doanh nghiệp", 50_000),
            FeeLineData(FEE, "Phí công bố nội dung đăng ký doanh nghiệp", 100_000),
        ),
    ),
    ProcedureSpec(
        "2.001583",
        "Cấp lại Giấy chứng nhận đăng ký doanh nghiệp",
        3,
        (FeeLineData(CHARGE, "Lệ phí cấp lại Giấy chứng nhận đăng ký doanh nghiệp", 50_000),),
    ),
    ProcedureSpec(
        "2.002015",
        "Cung cấp thông tin về nội dung đăng ký doanh nghiệp",
        2,
        (FeeLineData(FEE, "Phí cung cấp thông tin đăng ký doanh nghiệp", 20_000, "bản"),),
    ),
)

AGRICULTURE_ENVIRONMENT_DEPARTMENT = (
    ProcedureSpec(
        "1.012762",
        "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản "
        "gắn liền với đất lần đầu cho tổ chức",
        20,
        (
            FeeLineData(FEE, "Phí thẩm định hồ sơ cấp Giấy chứng nhận", 1_500_000),
            FeeLineData(CHARGE, "Lệ phí cấp Giấy chứng nhận quyền sử dụng đất (tổ chức)", 500_000),
            FeeLineData(OBLIGATION, "Tiền sử dụng đất (theo thông báo của cơ quan thuế)", None),
            FeeLineData(OBLIGATION, "Lệ phí trước bạ nhà, đất (0,5% giá tính lệ phí trước bạ)", None),
        ),
    ),
    ProcedureSpec(
        "1.012779",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do chuyển nhượng, tặng cho, "
        "thừa kế",
        10,
        (
            FeeLineData(FEE, "Phí thẩm định hồ sơ đăng ký biến động", 500_000),
            FeeLineData(CHARGE, "Lệ phí cấp Giấy chứng nhận quyền sử dụng đất", 100_000),
            FeeLineData(OBLIGATION, "Thuế thu nhập cá nhân từ chuyển nhượng bất động sản (2%)", None),
            FeeLineData(OBLIGATION, "Lệ phí trước bạ nhà, đất (0,5% giá tính lệ phí trước bạ)", None),
        ),
    ),
    ProcedureSpec(
        "1.012790",
        "Cấp lại Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do bị mất",
        10,
        (
            FeeLineData(FEE, "Phí thẩm định hồ sơ cấp lại Giấy chứng nhận", 300_000),
            FeeLineData(CHARGE, "Lệ phí cấp lại Giấy chứng nhận", 50_000),
        ),
    ),
    ProcedureSpec(
        "1.004228",
        "Cấp giấy phép khai thác, sử dụng nước dưới đất (lưu lượng dưới 3.000 m³/ngày đêm)",
        25,
        (FeeLineData(FEE, "Phí thẩm định đề án khai thác, sử dụng nước dưới đất", 1_000_000),),
    ),
    ProcedureSpec(
        "1.010733",
        "Thẩm định báo cáo đánh giá tác động môi trường",
        30,
        (FeeLineData(FEE, "Phí thẩm định báo cáo đánh giá tác động môi trường", 6_500_000),),
    ),
    ProcedureSpec(
        "1.010727",
        "Cung cấp thông tin, dữ liệu đất đai",
        3,
        (FeeLineData(FEE, "Phí khai thác và sử dụng tài liệu đất đai", 150_000, "hồ sơ"),),
    ),
)

WARD_PEOPLES_COMMITTEE = (
    ProcedureSpec(
        "2.000815",
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        1,
        (
            FeeLineData(
                FEE,
                "Phí chứng thực bản sao (từ trang thứ ba: 1.000 đồng/trang, tối đa 200.000 đồng/bản)",
                2_000,
                "trang",
            ),
        ),
    ),
    ProcedureSpec(
        "2.000884",
        "Chứng thực chữ ký trong các giấy tờ, văn bản",
        1,
        (FeeLineData(FEE, "Phí chứng thực chữ ký", 10_000, "trường hợp"),),
    ),
    ProcedureSpec(
        "2.001035",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        2,
        (FeeLineData(FEE, "Phí chứng thực hợp đồng, giao dịch", 50_000, "hợp đồng"),),
    ),
    ProcedureSpec("1.001193", "Đăng ký khai sinh", 1, (), "Miễn lệ phí đăng ký khai sinh."),
    ProcedureSpec(
        "1.000894",
        "Đăng ký kết hôn",
        1,
        (),
        "Miễn lệ phí đăng ký kết hôn giữa công dân Việt Nam cư trú ở trong nước.",
    ),
    ProcedureSpec(
        "2.000635",
        "Cấp bản sao trích lục hộ tịch",
        1,
        (FeeLineData(FEE, "Phí cấp bản sao trích lục hộ tịch", 8_000, "bản"),),
    ),
    ProcedureSpec(
        "1.004873",
        "Cấp Giấy xác nhận tình trạng hôn nhân",
        3,
        (FeeLineData(CHARGE, "Lệ phí cấp Giấy xác nhận tình trạng hôn nhân", 3_000),),
    ),
    ProcedureSpec(
        "1.001612",
        "Đăng ký thành lập hộ kinh doanh",
        3,
        (FeeLineData(CHARGE, "Lệ phí đăng ký hộ kinh doanh", 100_000),),
    ),
    ProcedureSpec(
        "1.004859",
        "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        3,
        (FeeLineData(CHARGE, "Lệ phí đăng ký thay đổi, cải chính hộ tịch", 15_000),),
    ),
)

# --- Agencies: the seeds' provinces (Khánh Hòa 56, Hà Tĩnh 42; Quảng Nam is now part of Đà Nẵng, 48) ---

DEMO_AGENCIES: tuple[AgencySpec, ...] = (
    AgencySpec(
        "H34.15",
        "stp-khanhhoa",
        "Sở Tư pháp tỉnh Khánh Hòa",
        56,
        "Số 1 Trần Hưng Đạo, Phường Nha Trang, Tỉnh Khánh Hòa",
        "0258 3822 245",
        JUSTICE_DEPARTMENT,
    ),
    AgencySpec(
        "H34.05",
        "stc-khanhhoa",
        "Sở Tài chính tỉnh Khánh Hòa",
        56,
        "Số 4 Phan Chu Trinh, Phường Nha Trang, Tỉnh Khánh Hòa",
        "0258 3822 864",
        FINANCE_DEPARTMENT,
    ),
    AgencySpec(
        "H34.09",
        "snnmt-khanhhoa",
        "Sở Nông nghiệp và Môi trường tỉnh Khánh Hòa",
        56,
        "Số 2 Nguyễn Chánh, Phường Nha Trang, Tỉnh Khánh Hòa",
        "0258 3827 187",
        AGRICULTURE_ENVIRONMENT_DEPARTMENT,
    ),
    AgencySpec(
        "H34.22366",
        "ubnd-nhatrang",
        "Ủy ban nhân dân phường Nha Trang",
        56,
        "Số 38 Thái Nguyên, Phường Nha Trang, Tỉnh Khánh Hòa",
        "0258 3523 456",
        WARD_PEOPLES_COMMITTEE,
    ),
    AgencySpec(
        "H27.15",
        "stp-hatinh",
        "Sở Tư pháp tỉnh Hà Tĩnh",
        42,
        "Số 78 Phan Đình Phùng, Phường Thành Sen, Tỉnh Hà Tĩnh",
        "0239 3855 632",
        JUSTICE_DEPARTMENT,
    ),
    AgencySpec(
        "H27.18073",
        "ubnd-thanhsen",
        "Ủy ban nhân dân phường Thành Sen",
        42,
        "Số 1 Nguyễn Du, Phường Thành Sen, Tỉnh Hà Tĩnh",
        "0239 3856 118",
        WARD_PEOPLES_COMMITTEE,
    ),
    AgencySpec(
        "H17.15",
        "stp-danang",
        "Sở Tư pháp thành phố Đà Nẵng",
        48,
        "Số 24 Trần Phú, Phường Hải Châu, Thành phố Đà Nẵng",
        "0236 3822 104",
        JUSTICE_DEPARTMENT,
    ),
    AgencySpec(
        "H17.20341",
        "ubnd-tamky",
        "Ủy ban nhân dân phường Tam Kỳ",
        48,
        "Số 62 Hùng Vương, Phường Tam Kỳ, Thành phố Đà Nẵng (trước đây thành phố Tam Kỳ, tỉnh Quảng Nam)",
        "0235 3851 220",
        WARD_PEOPLES_COMMITTEE,
    ),
)

DEMO_ORGANISATION = OrganisationSpec(
    name="Công ty TNHH Thương mại Minh Phát",
    tax_code="4201234566",
    address="Số 15 Lê Thánh Tôn, Phường Nha Trang, Tỉnh Khánh Hòa",
    representative_email=f"org@{DEMO_DOMAIN}",
    representative_position="Giám đốc",
)

_OFFICER_NAMES = (
    ("Lê Văn Hùng", "Phạm Thị Hoa"),
    ("Trần Minh Tuấn", "Võ Thị Thu Hà"),
    ("Nguyễn Quốc Bảo", "Đặng Thị Mai"),
    ("Huỳnh Văn Phúc", "Bùi Thị Ngọc Anh"),
    ("Lê Đình Nhu", "Nguyễn Thị Hằng"),
    ("Phan Văn Long", "Trần Thị Thanh Tâm"),
    ("Ngô Văn Thành", "Lê Thị Kim Oanh"),
    ("Đỗ Minh Khoa", "Trương Thị Bích Ngọc"),
)


def _officer_accounts() -> tuple[DemoAccount, ...]:
    accounts: list[DemoAccount] = []
    for agency, (reception_name, finance_name) in zip(DEMO_AGENCIES, _OFFICER_NAMES, strict=True):
        for prefix, name, role in (
            ("tiepnhan", reception_name, OfficerRole.RECEPTION),
            ("taichinh", finance_name, OfficerRole.FINANCE),
        ):
            accounts.append(
                DemoAccount(
                    email=f"{prefix}.{agency.slug}@{DEMO_DOMAIN}",
                    full_name=name,
                    kind="officer",
                    role=f"{role.label} – {agency.name}",
                    agency_code=agency.code,
                    officer_roles=(role.value,),
                )
            )
    return tuple(accounts)


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        email=f"citizen@{DEMO_DOMAIN}",
        full_name="Nguyễn Thị Lan",
        kind="citizen",
        role="Công dân",
        phone="0901234567",
        id_number="056190001234",
    ),
    DemoAccount(
        email=DEMO_ORGANISATION.representative_email,
        full_name="Trần Văn Minh",
        kind="organisation",
        role=f"Đại diện {DEMO_ORGANISATION.name}",
        phone="0912345678",
        id_number="056088004321",
    ),
    *_officer_accounts(),
    DemoAccount(email=f"admin@{DEMO_DOMAIN}", full_name="Quản trị CivicPay", kind="admin", role="Quản trị nền tảng"),
)


# --- Steps ------------------------------------------------------------------------------------------


@dataclass
class DemoReport:
    """What a run created, per kind of object ("agencies", "procedures", "accounts", …)."""

    created: Counter[str] = field(default_factory=Counter)

    def add(self, what: str, count: int = 1) -> None:
        self.created[what] += count


DemoStep = Callable[[DemoReport], None]
_STEPS: dict[str, tuple[int, DemoStep]] = {}


def demo_step(*, order: int) -> Callable[[DemoStep], DemoStep]:
    """Register a demo-data step; steps run by ascending ``order`` (directory 10, accounts 20, dossiers 50…)."""

    def register(step: DemoStep) -> DemoStep:
        _STEPS[f"{step.__module__}.{step.__qualname__}"] = (order, step)
        return step

    return register


def load_demo_data() -> DemoReport:
    """Run every registered step (after importing each installed app's ``demo`` module) in one transaction."""
    autodiscover_modules("demo")
    report = DemoReport()
    with transaction.atomic():
        for _order, _name, step in sorted((order, name, step) for name, (order, step) in _STEPS.items()):
            step(report)
    return report


def demo_agency(code: str) -> Agency:
    return Agency.objects.get(code=code)


def demo_procedure(agency_code: str, code: str) -> Procedure:
    return Procedure.objects.get(agency__code=agency_code, code=code)


def demo_user(email: str) -> User:
    return User.objects.get(email=email)


@demo_step(order=10)
def load_directory(report: DemoReport) -> None:
    """Agencies and their procedures with fee schedules; existing ones are left as they are."""
    for spec in DEMO_AGENCIES:
        agency = Agency.objects.filter(code=spec.code).first()
        if agency is None:
            agency = agency_create(
                code=spec.code,
                name=spec.name,
                province_code=spec.province_code,
                address=spec.address,
                phone=spec.phone,
                by=None,
            )
            report.add("agencies")
        existing = set(agency.procedures.values_list("code", flat=True))
        for procedure in spec.procedures:
            if procedure.code in existing:
                continue
            procedure_create(
                agency=agency,
                code=procedure.code,
                name=procedure.name,
                processing_days=procedure.processing_days,
                description=procedure.description,
                fee_lines=procedure.fee_lines,
                by=None,
            )
            report.add("procedures")


@cache
def _demo_password_hash() -> str:
    """Hash the (public) demo password once: Argon2 costs ~0.5 s a hash, and there are ~20 accounts."""
    return make_password(DEMO_PASSWORD)


def _ensure_user(account: DemoAccount, report: DemoReport) -> User:
    user = User.objects.filter(email=account.email).first()
    if user is not None:
        return user
    is_admin = account.kind == "admin"
    user = User(
        email=account.email,
        password=_demo_password_hash(),
        full_name=account.full_name,
        phone=account.phone,
        id_number=account.id_number,
        is_active=True,
        is_staff=is_admin,
        is_superuser=is_admin,
        activated_at=clock.now(),
    )
    user.save()
    audit_record(actor=None, action="user.create_demo", target=user, after={"email": user.email, "kind": account.kind})
    report.add("accounts")
    return user


@demo_step(order=20)
def load_accounts(report: DemoReport) -> None:
    """Every account in :data:`DEMO_ACCOUNTS`, active, with :data:`DEMO_PASSWORD`; plus the demo organisation."""
    for account in DEMO_ACCOUNTS:
        user = _ensure_user(account, report)
        if account.kind == "officer" and not hasattr(user, "officer"):
            Officer.objects.create(
                user=user, agency=demo_agency(account.agency_code), roles=list(account.officer_roles)
            )
            report.add("officers")
        if account.kind == "organisation":
            organisation, created = Organisation.objects.get_or_create(
                tax_code=DEMO_ORGANISATION.tax_code,
                defaults={"name": DEMO_ORGANISATION.name, "address": DEMO_ORGANISATION.address},
            )
            if created:
                report.add("organisations")
            _membership, joined = OrganisationMember.objects.get_or_create(
                organisation=organisation,
                user=user,
                defaults={
                    "position": DEMO_ORGANISATION.representative_position,
                    "is_legal_representative": True,
                },
            )
            if joined:
                report.add("organisation members")
