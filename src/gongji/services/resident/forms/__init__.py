"""Resident-insurance enrollment forms at the township window (城乡居民参保登记, SPEC §6; seed 002 §五).

Three paper forms of seed 002, each kept as a record that is never deleted (``status`` moves), one
module each, with what they share in ``common`` and the reads and printouts in ``views``:

- 附件1 《参保登记表》 (:func:`submit_registration`, :func:`review_registration`): first or broken
  enrollment (首次参保或中断参保, §五1). Staff fill it for the applicant; the review approves it —
  the person is registered if new and enrolled in 390 with the person type of the applicant's
  identity — or rejects it with a reason, which writes nothing to the registry.
- 附件2 《参保信息变更登记表》 (:func:`submit_change`, :func:`review_change`): key information
  (姓名, 身份证件号码, 户籍所在地) and non-key information (phone, address), before and after (§五3).
- 附件3 《停保或流出登记表》 (:func:`submit_stop`, :func:`review_stop`): ends the 390 enrollment, or
  transfers it to the region the person moves to, through ``registry.change_enrollment``. Seed
  002 gives only its title; its fields are designed here (docs/resident.md).

Duplicate enrollment (重复参保, 002 §八2) is detected and cleared: :func:`find_duplicates` lists a
person's live basic enrollments (310 or 390, every region) and pending registrations; approving
a registration for someone with a live basic enrollment is refused
(``E_RESIDENT_DUPLICATE_ENROLLMENT``) until staff end the wrong one with
:func:`clear_duplicate` (a reason is required) or reject the application.

Every bad input is refused with its own code before anything is written; the codes are listed in
``CODES`` (docs/resident.md), each raised as its own class of ``domain/errors.py``
(``EnrollmentFormRefusal`` and its subclasses; docs/errors.md).
"""

from gongji.services.resident.forms.change import (
    CHANGE_ITEMS,
    DERIVED_ITEMS,
    ChangeIn,
    ChangeRowIn,
    change_view,
    review_change,
    submit_change,
)
from gongji.services.resident.forms.common import (
    BASIC,
    CODES,
    E_CERT_IN_USE,
    E_CHANGE_NOOP,
    E_CHANGE_STALE,
    E_DECLARATION,
    E_DUPLICATE,
    E_GRADUATE_COVERED,
    E_ID_MISMATCH,
    E_IDENTITY_AGE,
    E_NAME_MISMATCH,
    E_NOT_DUPLICATE,
    E_NOT_ENROLLED,
    E_PENDING,
    E_PERSON_UNKNOWN,
    E_SCHOOL_REGION,
    E_SIGNATURE,
    E_STOP_DATE,
    E_STOP_DESTINATION,
    E_STOP_REASON,
    IDENTITIES,
    IDENTITY_AGE_BOUNDS,
    SEX_NAMES,
    STATUS_NAMES,
    Submitted,
    age_on,
)
from gongji.services.resident.forms.duplicates import clear_duplicate, find_duplicates
from gongji.services.resident.forms.registration import (
    CERT_TYPE_NAMES,
    DECLARATION_TEXT,
    DECLARATION_VERSION,
    HOUSEHOLD_KINDS,
    SIGNER_ROLES,
    RegistrationIn,
    check_identity_age,
    registration_view,
    review_registration,
    submit_registration,
)
from gongji.services.resident.forms.stop import (
    APPLICANT_ROLES,
    STOP_REASONS,
    StopIn,
    review_stop,
    stop_view,
    submit_stop,
)
from gongji.services.resident.forms.views import KIND_NAMES, MODELS, form_pdf, get_form, list_forms, view

__all__ = [
    "APPLICANT_ROLES",
    "BASIC",
    "CERT_TYPE_NAMES",
    "CHANGE_ITEMS",
    "CODES",
    "ChangeIn",
    "ChangeRowIn",
    "DECLARATION_TEXT",
    "DECLARATION_VERSION",
    "DERIVED_ITEMS",
    "E_CERT_IN_USE",
    "E_CHANGE_NOOP",
    "E_CHANGE_STALE",
    "E_DECLARATION",
    "E_DUPLICATE",
    "E_GRADUATE_COVERED",
    "E_IDENTITY_AGE",
    "E_ID_MISMATCH",
    "E_NAME_MISMATCH",
    "E_NOT_DUPLICATE",
    "E_NOT_ENROLLED",
    "E_PENDING",
    "E_PERSON_UNKNOWN",
    "E_SCHOOL_REGION",
    "E_SIGNATURE",
    "E_STOP_DATE",
    "E_STOP_DESTINATION",
    "E_STOP_REASON",
    "HOUSEHOLD_KINDS",
    "IDENTITIES",
    "IDENTITY_AGE_BOUNDS",
    "KIND_NAMES",
    "MODELS",
    "RegistrationIn",
    "SEX_NAMES",
    "SIGNER_ROLES",
    "STATUS_NAMES",
    "STOP_REASONS",
    "StopIn",
    "Submitted",
    "age_on",
    "change_view",
    "check_identity_age",
    "clear_duplicate",
    "find_duplicates",
    "form_pdf",
    "get_form",
    "list_forms",
    "registration_view",
    "review_change",
    "review_registration",
    "review_stop",
    "stop_view",
    "submit_change",
    "submit_registration",
    "submit_stop",
    "view",
]
