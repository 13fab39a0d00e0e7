"""Message catalogues of the pages (English; the message ids are the Chinese texts)."""
