"""The rules of the service, one module per aggregate or operation.

Services take plain values plus the session, storage and clock, and know nothing of Flask's
request. Views, the API and the CLI call them; every read a page or the API needs lives in
`queries`.
"""
