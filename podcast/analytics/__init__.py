"""Downloads counted by the IAB Podcast Measurement Guidelines v2.3, private by design.

record (the counting route's cheap buffer), rules (what counts), agents (apps from user
agents), geo (country of an address), keys (the daily listener keys), rollup (raw hits into
download_daily), ingest (CDN and bucket logs). docs/analytics.md is the methodology.
"""
