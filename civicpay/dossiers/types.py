"""Typed values the dossier layer hands to the UIs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DossierAction(StrEnum):
    """What an officer can do to a dossier; the back office shows only ``dossier_officer_actions``."""

    REQUEST_PAYMENT = "request_payment"
    RESEND_PAYMENT_NOTICE = "resend_payment_notice"
    CANCEL_PAYMENT_REQUEST = "cancel_payment_request"
    RECEIVE = "receive"
    START_PROCESSING = "start_processing"
    REQUEST_ADDITIONAL_INFO = "request_additional_info"
    REJECT = "reject"
    RETURN_RESULT = "return_result"
    COMPLETE = "complete"


@dataclass(frozen=True)
class PublicDossierStatus:
    """What the public look-up may show: never a name, phone, e-mail, address or ID number."""

    code: str
    status_label: str
    agency_name: str
    procedure_name: str
    submitted_on: date
    received: bool
    paid: bool
