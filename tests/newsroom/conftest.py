"""People of the newsroom in their groups (made by migration newsroom 0002), and the
article form as the admin posts it."""

from __future__ import annotations

import importlib

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from byline.articles.models import Article

PASSWORD = "correct horse battery"


def newsroom_group(name: str) -> Group:
    """The group migration 0002 made; made again from the same lists after a flush
    (the browser suite's transactional tests empty every table between tests)."""
    group = Group.objects.filter(name=name).first()
    if group is not None:
        return group
    groups = importlib.import_module("byline.newsroom.migrations.0002_groups").GROUPS
    group = Group.objects.create(name=name)
    codes = groups[name]
    if codes is None:
        group.permissions.set(Permission.objects.all())
    else:
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def make_member(username: str, group: str):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(newsroom_group(group))
    return user


def client_for(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


@pytest.fixture
def writer(db):
    return make_member("wanda", "Writer")


@pytest.fixture
def other_writer(db):
    return make_member("otto", "Writer")


@pytest.fixture
def newsroom_editor(db):
    return make_member("edna", "Editor")


@pytest.fixture
def writer_client(writer):
    return client_for(writer)


@pytest.fixture
def desk_client(newsroom_editor):
    return client_for(newsroom_editor)


def form_data(article: Article | None = None, **changes) -> dict:
    """What the admin's article form posts (the notes inline empty)."""
    data = {
        "headline": "A headline",
        "slug": "",
        "standfirst": "A dek.",
        "body": "A body.",
        "status": "draft",
        "password": "",
        "lead_image_alt": "",
        "lead_image_caption": "",
        "comment_state": "default",
        "comments_close_days": "",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
        "notes-MIN_NUM_FORMS": "0",
        "notes-MAX_NUM_FORMS": "1000",
    }
    if article is not None:
        shown = ("headline", "slug", "standfirst", "body", "status", "comment_state")
        data.update({name: getattr(article, name) for name in shown})
        data["loaded_version"] = str(article.version)
        if article.published_at:
            local = timezone.localtime(article.published_at)
            data["published_at_0"] = local.strftime("%Y-%m-%d")
            data["published_at_1"] = local.strftime("%H:%M:%S")
        if article.featured:
            data["featured"] = "on"
    data.update(changes)
    return data


def change_url(article: Article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


ADD_URL = "/admin/articles/article/add/"
CHANGELIST = "/admin/articles/article/"
