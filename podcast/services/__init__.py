"""The rules of the service, one module per aggregate or operation.

Services take plain values plus the session, storage and clock, and know nothing of Flask's
request (tests/test_architecture.py checks). Each aggregate has one parser returning a frozen
input (episode_input, guests.parse_guest_input, shows.parse_show_input) and one call per
operation that the form, the API and the CLI share (episodes.create_episode, guests.save_guest,
shows.save_show, ...): a new rule goes there and every surface gets it. Every read a page, the
admin or the API needs lives in `queries`. Imports run one way: episodes -> guests -> shows ->
uploads -> audio, storage.
"""
