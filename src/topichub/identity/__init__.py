"""Users, login, access and refresh tokens, and authentication: every credential (token,
API key, stream ticket) resolves here to the auth subject every request acts as."""
