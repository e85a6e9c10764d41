from django.urls import path

from byline.discussion import edit_views, views

app_name = "discussion"

urlpatterns = [
    path("post/", views.post_comment, name="post"),
    path("session/", views.session, name="session"),
    path("data/", views.data_page, name="data"),
    path("data/request/", views.data_request, name="data-request"),
    path("data/<str:token>/", views.data_link, name="data-link"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<int:pk>/", views.comment_detail, name="comment"),
    path("<int:pk>/edit/", edit_views.edit_comment, name="edit"),
]
