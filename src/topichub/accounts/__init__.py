"""What spans identity, tenancy and topics, above all three: opening an account (sign-up,
the operator's bootstrap, demo users) and deleting a project (its topics retired)."""
