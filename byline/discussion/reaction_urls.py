"""Comment reactions' addresses: the JSON API under /api/, the no-script form under /comments/."""

from django.urls import path

from byline.discussion import reaction_views

app_name = "comment_reactions"

urlpatterns = [
    path("api/comments/reactions/", reaction_views.counts_api, name="counts"),
    path("api/comments/<int:pk>/reaction/", reaction_views.reaction_api, name="api"),
    path("comments/<int:pk>/react/", reaction_views.reaction_form, name="form"),
]
