"""The words admin.js writes into pages, translated on the server and handed over as JSON."""

from __future__ import annotations

from podcast.i18n import gettext as _
from podcast.i18n import translate
from podcast.jobs.records import STATE_WORDS
from podcast.views.admin.common import bp


def script_words() -> dict[str, str]:
    """Every sentence the admin's script may show, in the producer's language.

    Placeholders are written `{name}` so the script can fill them without a printf.
    """
    return {
        "bytes": _("{size} bytes"),
        "kb": _("{size} KB"),
        "mb": _("{size} MB"),
        "gb": _("{size} GB"),
        "too_large": _("The file is larger than the upload limit."),
        "failed_status": _("The upload failed ({status}). Try again."),
        "network_error": _("network error"),
        "over_limit": _("The file is {size}; the limit is {limit}."),
        "kept": _("Uploaded, kept for this form"),
        "progress": _("{done} of {total} ({percent}%)"),
        "read_and_kept": _("{done} of {total} (100%) — read and kept"),
        "connection_lost": _("The upload failed: the connection was lost. Try again."),
        "cancelled": _("Upload cancelled."),
        "preview_failed": _("The preview could not be loaded."),
        "publish": _("Publish"),
        "publish_now": _("Publish now"),
        "schedule": _("Schedule"),
        "update": _("Update"),
        **{f"state_{state.value}": translate(words) for state, words in STATE_WORDS.items()},
        "copied": _("Copied."),
        "copy_failed": _("Select the text and copy it."),
        "drop_here": _("Drop a file here, or choose one:"),
        "chosen_file": _("Chosen: {name}"),
    }


@bp.context_processor
def _script_words() -> dict[str, object]:
    return {"script_words": script_words}
