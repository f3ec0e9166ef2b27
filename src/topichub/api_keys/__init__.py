"""Project-scoped API keys with permissions; only SHA-256 hashes are stored."""
