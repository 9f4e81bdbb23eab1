"""Governance: surveys (see backend/governance/__init__.py)."""
