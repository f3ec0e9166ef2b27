"""App events: the domains' side of the bus. Apps write events to the transactional outbox
in their own transaction (``outbox.Outbox``); one relay per process publishes them to the
bus after commit (``outbox.OutboxRelay``), each charged to the acting user's and tenant's
quotas when added (``charge``)."""
