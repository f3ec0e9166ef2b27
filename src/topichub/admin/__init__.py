"""Cross-tenant endpoints for platform administrators; they call other modules' services."""
