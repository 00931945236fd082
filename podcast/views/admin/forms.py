"""Flask-WTF forms: they render the fields and carry CSRF; the services do the validating."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList

from podcast.i18n import gettext
from podcast.i18n import lazy_gettext as _l
from podcast.models import EpisodeType, Role, ShowType
from podcast.services.accounts import ADMIN_LOCALE_NAMES
from podcast.services.processing import BITRATES
from podcast.services.shows import DIRECTORIES

EPISODE_TYPES = {
    EpisodeType.FULL.value: _l("Full episode"),
    EpisodeType.TRAILER.value: _l("Trailer"),
    EpisodeType.BONUS.value: _l("Bonus"),
}
SHOW_TYPES = {
    ShowType.EPISODIC.value: _l("Episodic (newest first)"),
    ShowType.SERIAL.value: _l("Serial (oldest first)"),
}
ROLES = {Role.PRODUCER.value: _l("Producer"), Role.ADMIN.value: _l("Admin")}
NO_GUEST = ""
GUEST_SLOTS = 4
NEW_GUEST_SLOTS = 2
NEW_GUESTS_MAX = 50  # new guests typed into one episode form
CATEGORY_SLOTS = 3


class LoginForm(FlaskForm):
    """Email and password (the field names are a contract)."""

    email = EmailField(_l("Email"))
    password = PasswordField(_l("Password"))


class ForgotPasswordForm(FlaskForm):
    """The address a reset link goes to."""

    email = EmailField(_l("Email"))


class NewPasswordForm(FlaskForm):
    """The password a reset or invitation link sets."""

    password = PasswordField(_l("New password (at least 10 characters)"))


class WelcomeForm(NewPasswordForm):
    """An invitee's first password and their name."""

    name = StringField(_l("Your name"))


class InviteForm(FlaskForm):
    """An invitation: the invitee's address and role (shows are checkboxes named "show")."""

    email = EmailField(_l("Email"))
    role = SelectField(_l("Role"), choices=list(ROLES.items()))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class UserForm(FlaskForm):
    """A new account."""

    email = EmailField(_l("Email"))
    password = PasswordField(_l("Password (at least 10 characters)"))
    role = SelectField(_l("Role"), choices=list(ROLES.items()))


class WebhookForm(FlaskForm):
    """A new webhook: the URL that receives the POSTs."""

    url = StringField(_l("Receiver URL"))


class ImportForm(FlaskForm):
    """An import: the source feed's URL, the show to import into, a locked feed's owner email."""

    url = StringField(_l("Feed URL"))
    show = StringField(_l("Show handle (optional)"))
    override_email = StringField(_l("Owner email the locked feed declares"))


class NewGuestForm(Form):
    """A guest typed right into the episode form."""

    name = StringField(_l("Name"))
    bio = TextAreaField(_l("Bio (Markdown)"))


class EpisodeForm(FlaskForm):
    """Every field of an episode; parse_episode_input decides what is valid."""

    show = SelectField(_l("Show"), choices=[], validate_choice=False)
    title = StringField(_l("Title"))
    summary = TextAreaField(_l("Summary (one or two sentences for podcast apps)"))
    description = TextAreaField(_l("Show notes (Markdown)"))
    audio = FileField(_l("Audio file (MP3 or M4A)"))
    staged_audio_id = HiddenField()
    episode_type = SelectField(
        _l("Episode type"), choices=list(EPISODE_TYPES.items()), default=EpisodeType.FULL.value
    )
    season = StringField(_l("Season"))
    number = StringField(_l("Episode number"))
    explicit = BooleanField(_l("Explicit content"))
    chapters = TextAreaField(_l("Chapters"))
    image = FileField(_l("Episode image (square JPEG or PNG, 1400 to 3000 px)"))
    staged_image_id = HiddenField()
    remove_image = BooleanField(_l("Remove the current image"))
    transcript = FileField(_l("Transcript (SRT or WebVTT)"))
    staged_transcript_id = HiddenField()
    remove_transcript = BooleanField(_l("Remove the current transcript"))
    transcript_language = StringField(_l("Transcript language (ISO code such as ru or uz-Latn)"))
    guests = FieldList(SelectField(_l("Guest"), choices=[], validate_choice=False), min_entries=0)
    new_guests = FieldList(FormField(NewGuestForm), min_entries=0)
    publish_at = StringField(_l("Publish date and time"))
    # The chapter rows the last check refused, (row from 1, why): filled by the view.
    chapter_rows: list[tuple[int, str]] = []

    def setup(
        self,
        guest_choices: dict[str, str],
        chosen: list[int],
        *,
        restored: bool = False,
        new_guest_slot: bool = False,
    ) -> None:
        """Fill the guest pickers: the chosen guests in order (unless the pickers came from a
        post or a restored draft), then empty slots; one more new-guest slot when asked (the
        no-JS "Add another new guest")."""
        if not self.is_submitted() and not restored:
            for guest_id in chosen:
                self.guests.append_entry(str(guest_id))
        while len(self.guests) < max(GUEST_SLOTS, len(chosen) + 1):
            self.guests.append_entry(NO_GUEST)
        for index, entry in enumerate(self.guests, start=1):
            entry.choices = {NO_GUEST: gettext("(none)"), **guest_choices}
            entry.label.text = gettext("Guest %(index)s", index=index)
        while len(self.new_guests) < NEW_GUEST_SLOTS:
            self.new_guests.append_entry()
        if new_guest_slot and len(self.new_guests) < NEW_GUESTS_MAX:
            self.new_guests.append_entry()
        for index, slot in enumerate(self.new_guests, start=1):
            slot.form.name.label.text = gettext("New guest %(index)s: name", index=index)
            slot.form.bio.label.text = gettext("New guest %(index)s: bio (Markdown)", index=index)

    def guest_ids(self) -> list[str]:
        """The picked guest ids in order, empty slots skipped."""
        return [entry.data for entry in self.guests if entry.data and entry.data != NO_GUEST]


class GuestForm(FlaskForm):
    """A guest's details."""

    name = StringField(_l("Name"))
    bio = TextAreaField(_l("Bio (Markdown)"))
    website = StringField(_l("Website"))
    links = TextAreaField(_l("Links (one a line: label then URL, e.g. “Twitter https://…”)"))
    photo = FileField(_l("Photo (JPEG or PNG)"))
    remove_photo = BooleanField(_l("Remove the current photo"))


class ShowForm(FlaskForm):
    """Every setting of the show (and a new show's handle)."""

    handle = StringField(_l("Handle (the show's address: /shows/<handle>/; never changes)"))
    title = StringField(_l("Title"))
    subtitle = StringField(_l("Subtitle"))
    description = TextAreaField(_l("Description (what Apple and Spotify show)"))
    author = StringField(_l("Author"))
    owner_name = StringField(_l("Owner name"))
    owner_email = EmailField(_l("Owner email (directories send ownership codes here)"))
    language = StringField(_l("Language (ISO code such as en, ru, uz-Latn)"))
    timezone = StringField(_l("Time zone (such as Europe/Prague)"))
    categories = FieldList(SelectField(_l("Category"), choices=[]), min_entries=CATEGORY_SLOTS)
    explicit = BooleanField(_l("Explicit content"))
    show_type = SelectField(_l("Show type"), choices=list(SHOW_TYPES.items()))
    copyright = StringField(_l("Copyright"))
    website = StringField(_l("Website"))
    funding_url = StringField(_l("Funding or donation URL"))
    funding_label = StringField(_l("Funding link text"))
    hosts = TextAreaField(_l("Hosts (one a line: name | role | profile URL | photo URL)"))
    locked = BooleanField(_l("Locked (other hosts may not import this feed)"))
    complete = BooleanField(_l("Complete (no new episodes will follow)"))
    new_feed_url = StringField(_l("New feed URL (only when moving the feed elsewhere)"))
    apple_verify = StringField(_l("Apple verification code"))
    embed_origins = StringField(_l("Sites that may embed the player"))
    feed_page_size = StringField(_l("Episodes in the main feed"))
    loudness_target = StringField(_l("Loudness target (LUFS)"))
    true_peak_max = StringField(_l("Highest true peak (dBTP)"))
    mp3_bitrate = SelectField(
        _l("MP3 bitrate (kbps)"),
        choices=[("", _l("Default (128 stereo, 64 mono)"))] + [(str(b), str(b)) for b in BITRATES],
        validate_choice=False,
    )
    channels = SelectField(
        _l("Channels of the published MP3"),
        choices=[("stereo", _l("Stereo")), ("mono", _l("Mono"))],
        validate_choice=False,
    )
    normalize_lossy = BooleanField(_l("Level MP3 and M4A uploads too (re-encodes them)"))
    artwork = FileField(_l("Artwork (square JPEG or PNG, 1400 to 3000 px)"))

    def directory_fields(self) -> list[Field]:
        """The directory link fields, in DIRECTORIES order."""
        return [getattr(self, f"directory_{name}") for name in DIRECTORIES]


# One link field per directory, named directory_<key> and labelled as the public page names it.
for _key, _label in DIRECTORIES.items():
    setattr(ShowForm, f"directory_{_key}", StringField(_l("%(directory)s link", directory=_label)))


class PasswordForm(FlaskForm):
    """A user's own new password, confirmed by the current one."""

    current_password = PasswordField(_l("Current password"))
    new_password = PasswordField(_l("New password (at least 10 characters)"))


class LocaleForm(FlaskForm):
    """The language of your admin pages."""

    locale = SelectField(
        _l("Language of the admin pages"), choices=list(ADMIN_LOCALE_NAMES.items())
    )
