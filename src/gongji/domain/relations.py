"""The eight close-relative kinds (近亲属) of family mutual aid (seeds 000, 003; Civil Code).

Kinds are named from the authorizer's side: ``parent`` means the relative is the
authorizer's parent. The demo registry uses the same names for a member's relation to the
household head.
"""

from __future__ import annotations

from typing import Literal, get_args

RelationKind = Literal[
    "spouse",  # 配偶
    "parent",  # 父母
    "child",  # 子女
    "sibling",  # 兄弟姐妹
    "paternal_grandparent",  # 祖父母
    "maternal_grandparent",  # 外祖父母
    "grandchild",  # 孙子女
    "maternal_grandchild",  # 外孙子女
]
RELATION_KINDS: tuple[RelationKind, ...] = get_args(RelationKind)

RELATION_ZH: dict[RelationKind, str] = {
    "spouse": "配偶",
    "parent": "父母",
    "child": "子女",
    "sibling": "兄弟姐妹",
    "paternal_grandparent": "祖父母",
    "maternal_grandparent": "外祖父母",
    "grandchild": "孙子女",
    "maternal_grandchild": "外孙子女",
}
