"""Policy profiles: province- and year-specific rules as validated data (SPEC §3).

Load with ``load_profiles()`` (all shipped profiles by code) or ``load_profile(path)``; ask a
``Profile`` through its helpers — ``premium_for``, ``benefit_rule``, ``subsidy``,
``allows_family_use``, ``allows_family_premium``, ``demo_fields`` — rather than branching on
the province in code.
"""

from gongji.domain.relations import RELATION_KINDS
from gongji.policy.loader import (
    ProfileError,
    default_profiles_dir,
    load_profile,
    load_profiles,
    parse_profile,
)
from gongji.policy.schema import (
    MEDICAL_USE_KINDS,
    VACCINES,
    Accounts,
    Benefit,
    BenefitRule,
    Collection,
    CollectionTarget,
    Family,
    FamilyUses,
    PolicyLookupError,
    PremiumStandard,
    Profile,
    ProfileInfo,
    Refund,
    Remittance,
    Resident,
    ResidentTerms,
    SubsidyCategory,
    TermsOverride,
    WaitingPeriod,
)

__all__ = [
    "MEDICAL_USE_KINDS",
    "RELATION_KINDS",
    "VACCINES",
    "Accounts",
    "Benefit",
    "BenefitRule",
    "Collection",
    "CollectionTarget",
    "Family",
    "FamilyUses",
    "PolicyLookupError",
    "PremiumStandard",
    "Profile",
    "ProfileError",
    "ProfileInfo",
    "Refund",
    "Remittance",
    "Resident",
    "ResidentTerms",
    "SubsidyCategory",
    "TermsOverride",
    "WaitingPeriod",
    "default_profiles_dir",
    "load_profile",
    "load_profiles",
    "parse_profile",
]
