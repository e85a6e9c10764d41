from django.urls import path

from byline.engagement import views

app_name = "engagement"

urlpatterns = [
    path("api/articles/<int:article_id>/engagement/", views.counts, name="counts"),
    path("api/articles/<int:article_id>/engagement/mine/", views.mine, name="mine"),
    path("api/articles/<int:article_id>/reaction/", views.reaction_api, name="reaction"),
    path("api/articles/<int:article_id>/rating/", views.rating_api, name="rating"),
    path("api/articles/<int:article_id>/view/", views.view_beacon, name="view"),
    path("engagement/<int:article_id>/react/", views.reaction_form, name="react-form"),
    path("engagement/<int:article_id>/rate/", views.rating_form, name="rate-form"),
    path("engagement/<int:article_id>/seen.gif", views.view_pixel, name="pixel"),
]
