"""Users, login, access and refresh tokens, and the auth subject every request resolves to."""
