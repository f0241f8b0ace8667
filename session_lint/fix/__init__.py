"""Autofix: plan edits from findings, apply them in one pass, write files atomically."""
