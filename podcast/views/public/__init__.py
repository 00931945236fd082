"""What listeners and podcast apps read: pages, the feed, chapters and transcript files, media.

`presenters` turns rows into what the templates show; the routes stay thin.
"""
