"""The RSS feed: `build` renders it (with `podcast_ns`, the only feedgen importers), `cache`
keeps one rendering per show revision, `categories` holds Apple's category list.
"""
