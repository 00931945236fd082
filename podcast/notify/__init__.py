"""Telling the world about episode changes: WebSub pings and signed webhooks, sent as jobs.

`events` decides, inside the change's own transaction, what to tell and enqueues the jobs
(an outbox: a rolled-back change sends nothing); `release` announces scheduled episodes when
their time comes; `delivery` holds the jobs that make the requests (through `podcast.outbound`).
"""
