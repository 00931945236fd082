"""Flask extensions, created unbound here and attached to the app in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention Alembic can rely on."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()

from flask_sqlalchemy import SQLAlchemy  # noqa: E402

if TYPE_CHECKING:

    class _SQLAlchemy(SQLAlchemy):
        # db.session is a scoped_session, a proxy forwarding each Session method to the
        # current context's Session; services take a plain Session, so call it one.
        session: Session  # type: ignore[assignment]  # proxy with Session's methods

    db = _SQLAlchemy(model_class=Base)
    # An attribute (db.Model) cannot be a base class to a type checker: the models' base is
    # db.Model at run time, a subclass of Base, and Base to the checker.
    Model = Base
else:
    db = SQLAlchemy(model_class=Base)
    Model = db.Model
