"""Governance: meetings (see backend/governance/__init__.py)."""
