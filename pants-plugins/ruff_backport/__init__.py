"""Backport of upstream Pants 2.20+ `ruff check` and `ruff format` backends to Pants 2.17."""
