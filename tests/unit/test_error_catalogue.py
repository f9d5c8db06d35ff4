"""One documented error list (issue 2 §7): docs/errors.md stays in step with domain/errors.py."""

from pathlib import Path

from gongji.domain.errors import all_error_classes

DOC = Path(__file__).parents[2] / "docs" / "errors.md"


def test_every_error_code_is_documented_with_both_messages():
    text = DOC.read_text(encoding="utf-8")
    for cls in all_error_classes():
        assert f"`{cls.code}`" in text, cls.code
        assert cls.message_zh and cls.message_en


def test_error_codes_are_unique():
    codes = [cls.code for cls in all_error_classes()]
    assert len(codes) == len(set(codes))
