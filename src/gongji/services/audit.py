"""The audit log: every write, and every whole-record read by staff, in the same transaction.

Details pass through the masking helper before they are stored, so the audit table itself
never holds a whole identity number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gongji.adapters.db.models import AuditLog
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain.masking import mask_text


@dataclass(frozen=True)
class Channel:
    """Where a request came from: ``api``, ``web``, ``cli`` or ``system``, and the client."""

    name: str = "system"
    client_addr: str | None = None


def row_values(
    *,
    actor: Any,
    action: str,
    entity: str,
    entity_id: object | None,
    now: datetime,
    channel: Channel,
    detail: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of one audit row (the detail masked): ``record`` adds it as an object, a bulk
    writer (``services.resident.batch``) inserts many at once."""
    return {
        "at": now,
        "user_id": getattr(actor, "user_id", None),
        "username": getattr(actor, "username", None),
        "role": getattr(actor, "role", None),
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "channel": channel.name,
        "client_addr": channel.client_addr,
        "detail_json": mask_text(json.dumps(detail or {}, ensure_ascii=False, default=str)),
    }


def record(
    uow: UnitOfWork,
    *,
    actor: Any,
    action: str,
    entity: str,
    entity_id: object | None,
    now: datetime,
    channel: Channel,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Add one audit row to the unit of work (committed with the change it describes)."""
    uow.session.add(
        AuditLog(
            **row_values(
                actor=actor, action=action, entity=entity, entity_id=entity_id, now=now, channel=channel, detail=detail
            )
        )
    )
