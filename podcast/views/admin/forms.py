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

from podcast.models import EpisodeType, Role, ShowType
from podcast.services.shows import DIRECTORIES

EPISODE_TYPES = {
    EpisodeType.FULL.value: "Full episode",
    EpisodeType.TRAILER.value: "Trailer",
    EpisodeType.BONUS.value: "Bonus",
}
SHOW_TYPES = {
    ShowType.EPISODIC.value: "Episodic (newest first)",
    ShowType.SERIAL.value: "Serial (oldest first)",
}
ROLES = {Role.PRODUCER.value: "Producer", Role.ADMIN.value: "Admin"}
NO_GUEST = ""
GUEST_SLOTS = 4
NEW_GUEST_SLOTS = 2
CATEGORY_SLOTS = 3


class LoginForm(FlaskForm):
    """Email and password (the field names are a contract)."""

    email = EmailField("Email")
    password = PasswordField("Password")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class UserForm(FlaskForm):
    """A new account."""

    email = EmailField("Email")
    password = PasswordField("Password (at least 10 characters)")
    role = SelectField("Role", choices=ROLES)


class WebhookForm(FlaskForm):
    """A new webhook: the URL that receives the POSTs."""

    url = StringField("Receiver URL")


class NewGuestForm(Form):
    """A guest typed right into the episode form."""

    name = StringField("Name")
    bio = TextAreaField("Bio (Markdown)")


class EpisodeForm(FlaskForm):
    """Every field of an episode; parse_episode_input decides what is valid."""

    title = StringField("Title")
    summary = TextAreaField("Summary (one or two sentences for podcast apps)")
    description = TextAreaField("Show notes (Markdown)")
    audio = FileField("Audio file (MP3 or M4A)")
    staged_audio_id = HiddenField()
    episode_type = SelectField(
        "Episode type", choices=EPISODE_TYPES, default=EpisodeType.FULL.value
    )
    season = StringField("Season")
    number = StringField("Episode number")
    explicit = BooleanField("Explicit content")
    chapters = TextAreaField("Chapters")
    image = FileField("Episode image (square JPEG or PNG, 1400 to 3000 px)")
    remove_image = BooleanField("Remove the current image")
    transcript = FileField("Transcript (SRT or WebVTT)")
    remove_transcript = BooleanField("Remove the current transcript")
    transcript_language = StringField("Transcript language (ISO code such as ru or uz-Latn)")
    guests = FieldList(SelectField("Guest", choices=[], validate_choice=False), min_entries=0)
    new_guests = FieldList(FormField(NewGuestForm), min_entries=0)
    publish_at = StringField("Publish date and time")

    def setup(self, guest_choices: dict[str, str], chosen: list[int]) -> None:
        """Fill the guest pickers: the chosen guests in order, then empty slots."""
        if not self.is_submitted():
            for guest_id in chosen:
                self.guests.append_entry(str(guest_id))
        while len(self.guests) < max(GUEST_SLOTS, len(chosen) + 1):
            self.guests.append_entry(NO_GUEST)
        for index, entry in enumerate(self.guests, start=1):
            entry.choices = {NO_GUEST: "(none)", **guest_choices}
            entry.label.text = f"Guest {index}"
        while len(self.new_guests) < NEW_GUEST_SLOTS:
            self.new_guests.append_entry()
        for index, slot in enumerate(self.new_guests, start=1):
            slot.form.name.label.text = f"New guest {index}: name"
            slot.form.bio.label.text = f"New guest {index}: bio (Markdown)"

    def guest_ids(self) -> list[str]:
        """The picked guest ids in order, empty slots skipped."""
        return [entry.data for entry in self.guests if entry.data and entry.data != NO_GUEST]


class GuestForm(FlaskForm):
    """A guest's details."""

    name = StringField("Name")
    bio = TextAreaField("Bio (Markdown)")
    website = StringField("Website")
    links = TextAreaField("Links (one a line: label then URL, e.g. “Twitter https://…”)")
    photo = FileField("Photo (JPEG or PNG)")
    remove_photo = BooleanField("Remove the current photo")


class ShowForm(FlaskForm):
    """Every setting of the show."""

    title = StringField("Title")
    subtitle = StringField("Subtitle")
    description = TextAreaField("Description (what Apple and Spotify show)")
    author = StringField("Author")
    owner_name = StringField("Owner name")
    owner_email = EmailField("Owner email (directories send ownership codes here)")
    language = StringField("Language (ISO code such as en, ru, uz-Latn)")
    timezone = StringField("Time zone (such as Europe/Prague)")
    categories = FieldList(SelectField("Category", choices=[]), min_entries=CATEGORY_SLOTS)
    explicit = BooleanField("Explicit content")
    show_type = SelectField("Show type", choices=SHOW_TYPES)
    copyright = StringField("Copyright")
    website = StringField("Website")
    funding_url = StringField("Funding or donation URL")
    funding_label = StringField("Funding link text")
    hosts = TextAreaField("Hosts (one a line: name | role | profile URL | photo URL)")
    locked = BooleanField("Locked (other hosts may not import this feed)")
    complete = BooleanField("Complete (no new episodes will follow)")
    new_feed_url = StringField("New feed URL (only when moving the feed elsewhere)")
    apple_verify = StringField("Apple verification code")
    artwork = FileField("Artwork (square JPEG or PNG, 1400 to 3000 px)")

    def directory_fields(self) -> list[Field]:
        """The directory link fields, in DIRECTORIES order."""
        return [getattr(self, f"directory_{name}") for name in DIRECTORIES]


# One link field per directory, named directory_<key> and labelled as the public page names it.
for _key, _label in DIRECTORIES.items():
    setattr(ShowForm, f"directory_{_key}", StringField(f"{_label} link"))


class PasswordForm(FlaskForm):
    """A user's own new password, confirmed by the current one."""

    current_password = PasswordField("Current password")
    new_password = PasswordField("New password (at least 10 characters)")
