"""Designated institutions (定点医药机构) and the gateway keys of institutions and the tax bureau.

- ``registry``: register, list, suspend / reactivate / end an institution (staff in its region);
- ``keys``: issue, list (masked), rotate, revoke keys — a secret is shown once and never stored;
- ``gateway``: check a signed request (docs/his-signing.md) and consume its nonce.

Every change is audited in its transaction (``services.audit``).
"""
