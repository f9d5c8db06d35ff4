"""PDF output (reportlab): a registered CJK font and the certificates Gongji issues."""
