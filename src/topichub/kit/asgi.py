"""Names shared by ASGI middleware and the responses that cooperate with it."""

from __future__ import annotations

from typing import Final

RAW_SEND: Final = "topichub.raw_send"
"""Scope key of the server's own ``send``, set by the outermost middleware. A streaming
response sends its head through the ``send`` it was given (every middleware sees and
may amend it) and may write its body chunks here, skipping wrappers that only look at
the head. Only for responses whose body no middleware needs to see."""
