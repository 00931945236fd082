"""Audio: identify files by content and read their true duration and format.

`inspect` is the only module that imports mutagen; `mpeg` counts MP3 frames, `mp4` reads
M4A boxes, `sniff` names what a file really is.
"""
