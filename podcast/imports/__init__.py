"""Import a show from the feed it has at another host: fetch, parse, then apply (and re-sync)."""
