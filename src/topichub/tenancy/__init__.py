"""Tenants, memberships with roles, projects and plans."""
