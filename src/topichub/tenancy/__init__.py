"""Tenants, memberships with roles, and projects."""
