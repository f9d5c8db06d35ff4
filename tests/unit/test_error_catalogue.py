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


def test_the_error_document_is_generated_from_the_catalogue():
    """docs/errors.md is what scripts/errors_doc.py writes (run it after adding an error class)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("errors_doc", Path(__file__).parents[2] / "scripts" / "errors_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert DOC.read_text(encoding="utf-8") == module.render()
